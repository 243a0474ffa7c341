"""LSGAN: the least-squares losses, with b = loss.real_label."""
import pytest
import torch

from tests.algorithms.helpers import VECTOR, batch_for, make


def test_d_loss_is_half_squared_error_to_the_targets():
    algo = make("lsgan", VECTOR, "loss.real_label=0.9")
    batch = {**batch_for(VECTOR), "z": algo.latent(8)}
    with torch.no_grad():
        D = algo.nets["D"]
        real, fake = D(batch["real"]), D(algo.nets["G"](batch["z"]))
    want = 0.5 * ((real - 0.9) ** 2).mean() + 0.5 * (fake ** 2).mean()  # b = 0.9, a = 0
    assert algo.d_step(batch)["d_loss"].item() == pytest.approx(want.item(), rel=1e-5)


def test_g_loss_is_half_squared_error_to_one():
    algo = make("lsgan")
    z = algo.latent(8)
    with torch.no_grad():
        want = 0.5 * ((algo.nets["D"](algo.nets["G"](z)) - 1) ** 2).mean()  # c = 1
    assert algo.g_step({**batch_for(VECTOR), "z": z})["g_loss"].item() == pytest.approx(want.item(), rel=1e-5)

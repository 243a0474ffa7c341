"""WGAN: a Wasserstein critic whose weights stay in [-c, c] after every update."""
import pytest
import torch

from gankit.losses import LOSSES
from tests.algorithms.helpers import VECTOR, batch_for, make


def critic_range(algo) -> float:
    return max(p.abs().max().item() for p in algo.nets["D"].parameters())


def test_critic_weights_are_clipped_to_the_paper_default():
    algo = make("wgan")
    assert critic_range(algo) > 0.01  # the initial weights are not clipped yet
    algo.d_step(batch_for(VECTOR))
    assert critic_range(algo) <= 0.01
    assert algo.loss is LOSSES.get("wasserstein")  # whatever loss.name says (circle: nonsaturating)


def test_clip_value_and_split_updates_follow_the_config():
    algo = make("wgan", VECTOR, "reg.clip=0.05", "train.d_update=split")
    algo.d_step(batch_for(VECTOR))
    assert 0.01 < critic_range(algo) <= 0.05 + 1e-7  # float32(0.05) is a hair above


def test_g_is_not_clipped():
    algo = make("wgan")
    algo.g_step(batch_for(VECTOR))
    assert max(p.abs().max().item() for p in algo.nets["G"].parameters()) > 0.01


def test_critic_loss_is_the_wasserstein_estimate():
    algo = make("wgan")
    batch = {**batch_for(VECTOR), "z": algo.latent(8)}
    with torch.no_grad():
        D = algo.nets["D"]
        want = D(algo.nets["G"](batch["z"])).mean() - D(batch["real"]).mean()  # E f(G(z)) - E f(x)
    assert algo.d_step(batch)["d_loss"].item() == pytest.approx(want.item(), rel=1e-5, abs=1e-7)


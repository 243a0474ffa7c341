"""The GAN recipe's switches: penalties in the D step (joint and split), PacGAN, minibatch stddev."""
import copy

import pytest
import torch

from gankit import penalties
from gankit.errors import GankitError
from gankit.models.wrappers import WrappedDiscriminator
from tests.algorithms.helpers import IMAGE, VECTOR, batch_for, make


def first_linear(D):
    return next(m for m in D.modules() if isinstance(m, torch.nn.Linear))


def test_gradient_penalty_is_added_and_logged_in_joint_and_split_mode():
    for mode in ("joint", "split"):
        algo = make("gan", VECTOR, "reg.gp_weight=10", f"train.d_update={mode}")
        stats = algo.d_step(batch_for(VECTOR))
        assert "gp" in stats and stats["gp"] > 0 and not stats["gp"].requires_grad


def test_gradient_penalty_value_is_the_one_of_penalties_py(monkeypatch):
    algo = make("gan", VECTOR, "reg.gp_weight=3")
    eps = torch.linspace(0, 1, 8).view(8, 1)
    monkeypatch.setattr(penalties, "per_sample_weight", lambda n, like: eps)
    batch = {**batch_for(VECTOR), "z": algo.latent(8)}
    D_before = copy.deepcopy(algo.nets["D"])
    with torch.no_grad():
        fake = algo.nets["G"](batch["z"])
    want = penalties.gradient_penalty(D_before, batch["real"], fake, 3.0, eps)
    assert algo.d_step(batch)["gp"].item() == pytest.approx(want.item(), rel=1e-6)


def test_r1_is_lazy_every_k_d_updates():
    algo = make("gan", VECTOR, "reg.r1_gamma=1.0", "reg.r1_every=2")
    seen = ["r1" in algo.d_step(batch_for(VECTOR)) for _ in range(5)]
    assert seen == [True, False, True, False, True]
    algo = make("gan", VECTOR, "reg.r1_gamma=1.0")
    assert all("r1" in algo.d_step(batch_for(VECTOR)) for _ in range(2))


def test_pacgan_widens_d_input_and_scores_per_pack():
    algo = make("gan", VECTOR, "reg.pack=2")
    D = algo.nets["D"]
    assert isinstance(D, WrappedDiscriminator) and first_linear(D).in_features == 4  # 2 samples x 2 features
    scores = D(batch_for(VECTOR)["real"])
    assert scores.shape == (8,) and torch.equal(scores[0::2], scores[1::2])
    stats = algo.d_step(batch_for(VECTOR))
    assert torch.isfinite(stats["d_loss"])
    image = make("gan", IMAGE, "reg.pack=2")
    assert first_linear(image.nets["D"]).in_features == 2 * 64  # m x channels, flattened by the MLP


def test_pacgan_gradient_penalty_norms_are_per_pack():
    algo = make("gan", VECTOR, "reg.pack=2", "reg.gp_weight=1")
    critic, prepare = algo._critic(None)
    packed = prepare(torch.randn(8, 2))
    assert packed.shape == (4, 4) and critic(packed).shape == (4,)
    assert "gp" in algo.d_step(batch_for(VECTOR))


def test_pacgan_batch_sizes_must_divide():
    with pytest.raises(GankitError, match="reg.pack"):
        make("gan", VECTOR, "reg.pack=3")


def test_minibatch_std_adds_one_input_feature():
    algo = make("gan", VECTOR, "reg.minibatch_std=true")
    assert first_linear(algo.nets["D"]).in_features == 3
    assert algo.d_step(batch_for(VECTOR))["d_loss"].isfinite()


def test_recipes_fix_their_loss_and_unconditional_sampling_refuses_labels():
    assert make("wgan").loss.probabilistic is False and make("gan").loss.probabilistic is True
    with pytest.raises(GankitError, match="unconditional"):
        make("gan").sample(4, label=1)

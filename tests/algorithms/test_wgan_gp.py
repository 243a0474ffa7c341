"""WGAN-GP: λ = 10 by default, the penalty in every critic step, and no BatchNorm in the critic."""
import pytest

from gankit.errors import GankitError
from gankit.losses import LOSSES
from tests.algorithms.helpers import IMAGE, VECTOR, batch_for, make


def test_penalty_defaults_to_lambda_10_and_is_logged():
    algo = make("wgan-gp")
    assert algo.gp_weight == 10.0 and algo.loss is LOSSES.get("wasserstein")
    stats = algo.d_step(batch_for(VECTOR))
    assert stats["gp"] > 0
    assert make("wgan-gp", VECTOR, "reg.gp_weight=1").gp_weight == 1.0


def test_batchnorm_critic_is_refused_with_a_clear_error():
    with pytest.raises(GankitError, match="model.d.batchnorm"):
        make("wgan-gp", VECTOR, "model.d.batchnorm=true")
    make("wgan-gp", VECTOR, "model.g.batchnorm=true")  # BatchNorm in G is fine


def test_works_on_images_with_the_dcgan_architecture():
    algo = make("wgan-gp", IMAGE, "model.arch=dcgan", "model.g.options={width: 4}", "model.d.options={width: 4}",
                "model.g.out_activation=tanh")
    stats = {**algo.d_step(batch_for(IMAGE)), **algo.g_step(batch_for(IMAGE))}
    assert stats["gp"] > 0 and stats["g_loss"].isfinite()

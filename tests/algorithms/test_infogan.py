"""InfoGAN: latent codes of the right shapes, Q on D's body, the mutual-information loss by hand."""
import math

import pytest
import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from tests.algorithms.helpers import IMAGE, VECTOR, batch_for, make

CODES = ("model.cond.categorical=[4, 3]", "model.cond.continuous=2")
LATENT = 3  # the circle preset's noise width


def test_latent_is_noise_then_one_hot_codes_then_continuous_codes():
    algo = make("infogan", VECTOR, *CODES)
    z = algo.latent(500)
    assert z.shape == (500, LATENT + 4 + 3 + 2) and algo.code_dim == 9
    onehots, continuous = algo.split_codes(z)
    assert [o.shape for o in onehots] == [(500, 4), (500, 3)]
    for o in onehots:
        assert torch.equal(o.sum(1), torch.ones(500)) and set(o.unique().tolist()) == {0.0, 1.0}
        assert len(o.argmax(1).unique()) == o.shape[1], "every category gets drawn"
    assert continuous.shape == (500, 2) and continuous.abs().max() <= 1
    g = torch.Generator().manual_seed(3)
    assert torch.equal(algo.latent_on_cpu(4, g), algo.latent_on_cpu(4, torch.Generator().manual_seed(3)))


def test_g_and_q_shapes():
    algo = make("infogan", VECTOR, *CODES)
    assert algo.nets["G"].body[0].in_features == LATENT + 9
    logits, q = algo.nets["D"](torch.randn(5, 2), with_aux=True)
    assert logits.shape == (5,) and q.shape == (5, 4 + 3 + 2 * 2)  # logits | means | log-variances
    assert algo.sample(6).shape == (6, 2)


def test_default_codes_are_the_papers_mnist_ones():
    algo = make("infogan", IMAGE)
    assert algo.categorical == [10] and algo.continuous == 2


def test_info_loss_by_hand():
    algo = make("infogan", VECTOR, "model.cond.categorical=[3]", "model.cond.continuous=1",
                "loss.info_cat=1.0", "loss.info_cont=0.5")
    q = torch.tensor([[2.0, 0.0, 0.0, 0.3, 0.0], [0.0, 1.0, 0.0, -0.2, math.log(4.0)]])  # 3 logits, μ, log σ²
    codes = torch.tensor([[1.0, 0.0, 0.0, 0.5], [0.0, 0.0, 1.0, 0.0]])
    ce = (-math.log(math.exp(2) / (math.exp(2) + 2)) - math.log(1 / (math.e + 2))) / 2
    nll = (0.5 * math.log(2 * math.pi) + 0.5 * 0.2 ** 2                       # σ² = 1
           + 0.5 * math.log(2 * math.pi) + 0.5 * math.log(4.0) + 0.2 ** 2 / (2 * 4.0)) / 2  # σ² = 4
    assert algo.info_loss(q, codes).item() == pytest.approx(ce + 0.5 * nll, rel=1e-6)


def test_both_steps_train_the_mutual_information():
    algo = make("infogan", VECTOR, *CODES)
    stats = {**algo.d_step(batch_for(VECTOR)), **algo.g_step(batch_for(VECTOR))}
    assert stats["d_info"] > 0 and stats["g_info"] > 0
    head = algo.nets["D"].head
    assert any(p.grad is not None for p in head.parameters()), "Q trains with D's optimizer"


def test_label_fixes_the_first_categorical_code():
    algo = make("infogan", VECTOR, *CODES)
    seen = []
    algo.nets["G"].register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    algo.sample(5, label=2)
    assert torch.equal(seen[-1][:, LATENT:LATENT + 4], F.one_hot(torch.full((5,), 2), 4).float())
    with pytest.raises(GankitError, match="0..3"):
        algo.sample(5, label=4)


def test_traversal_rows_are_categories_and_columns_sweep_one_code(tmp_path):
    algo = make("infogan", IMAGE, "model.cond.categorical=[3]", "model.cond.continuous=2")
    z = algo.traversal_latents(continuous_index=1, steps=5)
    assert z.shape == (15, LATENT + 3 + 2)
    assert z[:, LATENT:LATENT + 3].argmax(1).tolist() == [0] * 5 + [1] * 5 + [2] * 5
    assert torch.allclose(z[:5, -1], torch.linspace(-2, 2, 5)) and torch.equal(z[:, -2], torch.zeros(15))
    assert torch.equal(z[0, :LATENT], z[14, :LATENT]), "one noise vector for the whole figure"
    algo.extra_figures(3, tmp_path)
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == ["traversal_c0_000003.png",
                                                                        "traversal_c1_000003.png"]

"""The SNGAN recipe: hinge loss, and every layer of D spectrally normalised (σ_max(W) ≈ 1)."""
import torch

from gankit.losses import LOSSES
from tests.algorithms.helpers import VECTOR, batch_for, make


def test_every_d_layer_has_unit_spectral_norm_after_a_few_power_iterations():
    algo = make("hinge", VECTOR, "model.d.hidden=[16, 16]")
    D = algo.nets["D"]
    layers = [m for m in D.modules() if isinstance(m, torch.nn.Linear)]
    assert layers and all(hasattr(m, "parametrizations") for m in layers)
    raw = [torch.linalg.matrix_norm(m.parametrizations.weight.original, ord=2).item() for m in layers]
    assert any(abs(s - 1) > 0.1 for s in raw), "the raw weights are not normalised by themselves"
    for _ in range(10):  # each training-mode forward runs one power iteration
        D(torch.randn(4, 2))
    for m in layers:
        assert abs(torch.linalg.matrix_norm(m.weight.detach(), ord=2).item() - 1.0) < 1e-2


def test_hinge_loss_and_g_unnormalised():
    algo = make("hinge")
    assert algo.loss is LOSSES.get("hinge")
    assert not any(hasattr(m, "parametrizations") for m in algo.nets["G"].modules())
    stats = algo.d_step(batch_for(VECTOR))
    assert stats["d_loss"] >= 0  # relu(1 - r) + relu(1 + f) is never negative

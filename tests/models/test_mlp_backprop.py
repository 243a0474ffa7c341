"""MLPBackprop's hand-written gradients against autograd, in float64 (agreement to rounding)."""
from __future__ import annotations

import pytest
import torch

from gankit.config import NetConfig
from gankit.models.mlp import MLPDiscriminator, MLPGenerator
from gankit.models.mlp_backprop import MLPBackprop
from gankit.penalties import r1_penalty

ACTS = ["relu", "leaky_relu", "tanh", "sigmoid", "none"]


def _d(act: str, feature_dim: int = 0, batchnorm: bool = False) -> MLPDiscriminator:
    torch.manual_seed(0)
    cfg = NetConfig(hidden=[7, 5], activation=act, init="torch", feature_dim=feature_dim, batchnorm=batchnorm)
    return MLPDiscriminator((3,), cfg).double()


def _grads(net) -> list[torch.Tensor]:
    """Every parameter's gradient; autograd leaves None where nothing reached it (R1's biases)."""
    return [p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in net.parameters()]


@pytest.mark.parametrize("act,batchnorm", [(a, False) for a in ACTS] + [("leaky_relu", True), ("tanh", True)])
def test_discriminator_gradients_match_autograd(act, batchnorm):
    D = _d(act, feature_dim=2, batchnorm=batchnorm)
    x = torch.randn(11, 3, dtype=torch.float64)
    w = torch.randn(11, dtype=torch.float64)  # any ∂L/∂logits
    (D(x) * w).sum().backward()
    expected = _grads(D)
    D.zero_grad(set_to_none=True)
    manual = MLPBackprop.of(D)
    if batchnorm:  # the reference forward above moved the running statistics once: rewind them
        for m in D.modules():
            if isinstance(m, torch.nn.BatchNorm1d):
                m.reset_running_stats()
    out, saved = manual.forward(x)
    if batchnorm:
        ref = _d(act, feature_dim=2, batchnorm=True)
        torch.testing.assert_close(out, ref(x).detach(), rtol=1e-12, atol=1e-14)
        for (name, got), want in zip(D.named_buffers(), ref.buffers()):  # running mean / var / count
            torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-14, msg=name)
    else:
        torch.testing.assert_close(out, D(x).detach(), rtol=0, atol=0)
    manual.backward(saved, w)
    for got, want in zip(_grads(D), expected):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("act,batchnorm", [(a, False) for a in ACTS] + [("relu", True)])
def test_generator_gradients_and_input_gradients(act, batchnorm):
    torch.manual_seed(1)
    G = MLPGenerator(4, (3,), NetConfig(hidden=[6, 6], activation=act, init="torch", out_activation="tanh",
                                        batchnorm=batchnorm, bn_momentum=0.3)).double()
    D = _d("leaky_relu")
    z = torch.randn(9, 4, dtype=torch.float64)
    for p in D.parameters():
        p.requires_grad_(False)
    torch.nn.functional.softplus(-D(G(z))).mean().backward()
    expected = _grads(G)
    G.zero_grad(set_to_none=True)
    g, d = MLPBackprop.of(G), MLPBackprop.of(D)
    fake, saved_g = g.forward(z)
    out, saved_d = d.forward(fake)
    grad_x = d.backward(saved_d, (torch.sigmoid(out) - 1) / len(out), params=False, inputs=True)
    assert all(p.grad is None for p in D.parameters())  # params=False leaves D alone
    g.backward(saved_g, grad_x)
    for got, want in zip(_grads(G), expected):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "none"])
def test_r1_gradient_matches_double_backward(act):
    D = _d(act)
    x = torch.randn(13, 3, dtype=torch.float64)
    gamma, rows = 0.7, 8  # R1 on the first 8 rows only (the real half of a joint forward)
    r1_penalty(D, x[:rows], gamma).backward()
    expected = _grads(D)
    D.zero_grad(set_to_none=True)
    manual = MLPBackprop.of(D)
    _, saved = manual.forward(x)
    grad_x = manual.r1_backward(saved, rows, gamma / (2 * rows))
    want_x = torch.autograd.functional.jacobian(lambda v: D(v).sum(), x[:rows])
    torch.testing.assert_close(grad_x, want_x, rtol=1e-12, atol=1e-14)
    for got, want in zip(_grads(D), expected):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-14)


def test_gradients_accumulate_like_autograd():
    D = _d("relu")
    manual = MLPBackprop.of(D)
    x = torch.randn(5, 3, dtype=torch.float64)
    _, saved = manual.forward(x)
    manual.backward(saved, torch.ones(5, dtype=torch.float64))
    once = _grads(D)
    manual.backward(saved, torch.ones(5, dtype=torch.float64))
    for got, first in zip(_grads(D), once):
        torch.testing.assert_close(got, 2 * first)


def test_networks_it_cannot_follow_are_refused():
    assert MLPBackprop.of(torch.nn.Linear(2, 2)) is None
    torch.manual_seed(0)
    for cfg in (NetConfig(hidden=[4], dropout=0.3), NetConfig(hidden=[4], spectral_norm=True)):
        assert MLPBackprop.of(MLPDiscriminator((2,), cfg)) is None
    assert not MLPBackprop.of(_d("tanh")).piecewise_linear
    assert not MLPBackprop.of(_d("relu", batchnorm=True)).piecewise_linear  # ∇ₓD couples the batch
    assert MLPBackprop.of(_d("leaky_relu")).piecewise_linear

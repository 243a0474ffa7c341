"""Penalties against closed forms: critics whose input gradient is known exactly.

  linear     D(x) = w·x      ∇D = w everywhere, so ‖∇D(x̂)‖ = ‖w‖ whatever the interpolate
  quadratic  D(x) = ½‖x‖²    ∇D = x, so ‖∇D(x̂_i)‖ = ‖x̂_i‖ depends on sample i's own ε_i
The quadratic critic tells a per-sample interpolation weight from a per-pixel one: the test
implements the per-pixel variant (the classic bug) and shows that it gives a different value.
"""
import math

import pytest
import torch
from torch import nn

from gankit.penalties import (clip_weights_, gradient_norms, gradient_penalty, interpolate, lazy_scale,
                              per_sample_weight, r1_penalty)

W = torch.tensor([[3.0, 0.0], [0.0, 4.0]])  # a (1, 2, 2) "image" weight: ‖w‖ = 5


def linear(x):
    return (x * W).flatten(1).sum(1)  # (N,)


def quadratic(x):
    return 0.5 * x.flatten(1).pow(2).sum(1)  # (N,)


def images(seed: int, n: int = 4):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 2, 2, generator=g)


def expected_gp_quadratic(real, fake, eps, weight):
    """λ mean_i (‖ε_i x_i + (1 - ε_i) x̃_i‖ - 1)², with one scalar ε_i per sample."""
    terms = []
    for i in range(len(real)):
        point = eps[i].item() * real[i] + (1 - eps[i].item()) * fake[i]
        terms.append((math.sqrt(float(point.pow(2).sum())) - 1) ** 2)
    return weight * sum(terms) / len(terms)


def per_pixel_gradient_penalty(critic, real, fake, weight):
    """THE BUG: an interpolation weight drawn per pixel instead of per sample."""
    eps = torch.rand_like(real)
    x = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return weight * (grad.flatten(1).norm(2, dim=1) - 1).pow(2).mean()


def test_interpolation_weight_is_one_per_sample():
    real = images(0)
    eps = per_sample_weight(len(real), real)
    assert eps.shape == (4, 1, 1, 1)
    x = interpolate(real, images(1), eps)
    # each sample lies on the segment between its own real and fake with a single coefficient
    ratio = (x - images(1)) / (real - images(1))
    assert torch.allclose(ratio, eps.expand_as(ratio), atol=1e-5)


def test_gradient_penalty_of_a_linear_critic_is_constant():
    # ‖∇‖ = ‖w‖ = 5 at every point: λ (5 - 1)² = 16 λ, whatever the samples and weights
    for seed in range(3):
        torch.manual_seed(seed)
        assert gradient_penalty(linear, images(seed), images(seed + 10), weight=10.0).item() == pytest.approx(160.0)


def test_gradient_penalty_of_a_quadratic_critic_matches_the_per_sample_formula():
    real, fake = images(2), images(3)
    eps = torch.tensor([0.0, 0.25, 0.5, 1.0]).view(4, 1, 1, 1)
    got = gradient_penalty(quadratic, real, fake, weight=10.0, eps=eps)
    assert got.item() == pytest.approx(expected_gp_quadratic(real, fake, eps.flatten(), 10.0), rel=1e-5)
    # with drawn weights: re-draw the same ε from the same RNG state to compute the reference
    torch.manual_seed(7)
    got = gradient_penalty(quadratic, real, fake, weight=2.0)
    torch.manual_seed(7)
    eps = torch.rand(4, 1, 1, 1)
    assert got.item() == pytest.approx(expected_gp_quadratic(real, fake, eps.flatten(), 2.0), rel=1e-5)


def test_per_pixel_interpolation_fails_the_closed_form():
    real, fake = images(2), images(3)
    torch.manual_seed(7)
    wrong = per_pixel_gradient_penalty(quadratic, real, fake, 2.0)
    torch.manual_seed(7)
    eps = torch.rand(4, 1, 1, 1)  # what a correct implementation would have drawn first
    right = expected_gp_quadratic(real, fake, eps.flatten(), 2.0)
    assert abs(wrong.item() - right) > 1e-3


def test_norm_is_per_sample_not_over_the_batch():
    x = images(4)
    norms = gradient_norms(quadratic, x)
    assert norms.shape == (4,)
    assert torch.allclose(norms, x.flatten(1).norm(dim=1), atol=1e-6)
    # one norm over the whole batch would be a single, larger number
    assert not torch.allclose(norms, x.norm().expand(4))


def test_gradient_penalty_trains_the_critic():
    critic = nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 4.0]]))
    gp = gradient_penalty(lambda x: critic(x).squeeze(1), torch.randn(8, 2), torch.randn(8, 2), weight=1.0)
    gp.backward()
    # d/dw (‖w‖ - 1)² = 2 (‖w‖ - 1) w / ‖w‖ = 2 * 4 * (0.6, 0.8)
    assert torch.allclose(critic.weight.grad, torch.tensor([[4.8, 6.4]]), atol=1e-5)


def test_r1_by_hand():
    # ∇(½‖x‖²) = x, so R1 = γ/2 mean_i ‖x_i‖²
    x = torch.tensor([[1.0, 2.0], [0.0, 3.0]])
    assert r1_penalty(quadratic, x, gamma=4.0).item() == pytest.approx(2.0 * (5.0 + 9.0) / 2)
    # linear critic: ‖∇‖² = ‖w‖² = 25 everywhere
    assert r1_penalty(linear, images(5), gamma=0.1).item() == pytest.approx(0.05 * 25.0)


def test_lazy_scale_every_k_updates_times_k():
    assert [lazy_scale(i, 4) for i in range(9)] == [4, 0, 0, 0, 4, 0, 0, 0, 4]
    assert [lazy_scale(i, 1) for i in range(3)] == [1, 1, 1]


def test_clip_weights():
    net = nn.Linear(3, 2)
    with torch.no_grad():
        net.weight.mul_(100)
    clip_weights_(net, 0.01)
    assert all(p.abs().max() <= 0.01 for p in net.parameters())
    assert net.weight.abs().max().item() == pytest.approx(0.01)

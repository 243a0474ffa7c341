"""Regularisers of the discriminator, as pure functions of a critic and its inputs.

A critic is any callable (N, *shape) -> (N,) scores. Every gradient norm is taken PER SAMPLE over
all non-batch dimensions: one norm over the whole batch, or an interpolation weight per pixel
instead of per sample, are the two classic bugs of public WGAN-GP code (tests/test_penalties.py
shows that the per-pixel variant fails the closed-form test).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

Critic = Callable[[Tensor], Tensor]


def per_sample_weight(n: int, like: Tensor) -> Tensor:
    """ε ~ U(0, 1), one per sample, shaped (N, 1, ..., 1) to broadcast over every other dimension."""
    return torch.rand((n,) + (1,) * (like.dim() - 1), device=like.device, dtype=like.dtype)


def interpolate(real: Tensor, fake: Tensor, eps: Tensor | None = None) -> Tensor:
    """x̂ = ε x + (1 - ε) x̃ on the line between paired real and fake samples (Gulrajani et al. 2017)."""
    n = min(len(real), len(fake))
    real, fake = real[:n], fake[:n]
    eps = per_sample_weight(n, real) if eps is None else eps
    return (eps * real + (1 - eps) * fake).detach()


def input_gradients(critic: Critic, x: Tensor) -> Tensor:
    """∇ₓ critic(x) for each sample, kept in the graph so that the penalty can be back-propagated.
    Summing the scores first is exact: sample i's score depends on sample i only."""
    x = x.detach().requires_grad_(True)
    scores = critic(x)
    (grad,) = torch.autograd.grad(scores.sum(), x, create_graph=True)
    return grad  # (N, *shape)


def gradient_norms(critic: Critic, x: Tensor) -> Tensor:
    """‖∇ₓ critic(x)‖₂ per sample, over all non-batch dimensions: (N,)."""
    return input_gradients(critic, x).flatten(1).norm(2, dim=1)


def gradient_penalty(critic: Critic, real: Tensor, fake: Tensor, weight: float = 10.0,
                     eps: Tensor | None = None) -> Tensor:
    """WGAN-GP (Gulrajani et al. 2017, eq. 3): λ E_x̂ (‖∇D(x̂)‖₂ - 1)², λ = 10 in the paper."""
    norms = gradient_norms(critic, interpolate(real, fake, eps))
    return weight * (norms - 1.0).pow(2).mean()


def r1_penalty(critic: Critic, real: Tensor, gamma: float) -> Tensor:
    """R1 (Mescheder et al. 2018, eq. 9): γ/2 E_x ‖∇D(x)‖² on real data only (no square root)."""
    grad = input_gradients(critic, real)
    return 0.5 * gamma * grad.flatten(1).pow(2).sum(1).mean()


def lazy_scale(update_index: int, every: int) -> int:
    """Lazy regularisation (Karras et al. 2020, sec. 3.1): apply a penalty only on every k-th update
    and multiply it by k, so its average strength is unchanged. Returns k when due, else 0."""
    return every if update_index % every == 0 else 0


@torch.no_grad()
def clip_weights_(net: nn.Module, c: float) -> None:
    """WGAN weight clipping (Arjovsky et al. 2017, Algorithm 1): every parameter into [-c, c], in place."""
    for p in net.parameters():
        p.clamp_(-c, c)

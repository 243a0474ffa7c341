"""The latents `gankit generate` feeds a run's generator: seeded, optionally truncated, or along a path.

Separate from commands/generate.py because they are maths with their own tests (tests/test_generate_images.py),
not argument handling.
"""
from __future__ import annotations

import torch

from gankit.errors import GankitError

TRUNCATION_ROUNDS = 100  # rejection rounds before the exact fallback; T >= 0.5 never gets there (0.62^100)


def latents(run, n: int, seed: int, truncation: float | None = None) -> torch.Tensor:
    """(n, latent_dim) noise from `seed`. With a truncation T, entries with |z| > T are drawn
    again until none is left, the last few directly from N(0, 1) cut to [-T, T] (the truncation
    trick, Brock et al. 2019): samples move towards the typical ones, trading variety for quality.
    Entries already within T keep their values, so a truncated sample stays close to the
    untruncated one of the same seed."""
    generator = torch.Generator().manual_seed(seed)
    z = run.algo.latent_on_cpu(n, generator)
    if truncation is None:
        return z
    if run.cfg.model.latent != "normal":
        raise GankitError(f"--truncation needs Gaussian latents; this run's model.latent is '{run.cfg.model.latent}'")
    if not truncation > 0:
        raise GankitError(f"--truncation must be > 0, got {truncation}")
    # Only the Gaussian noise: InfoGAN's codes come after it (one-hot categories, uniform continuous codes),
    # and truncating them too turned a category's 1 into a Gaussian draw. `noise` is a view: writes reach z.
    noise = z[:, :run.cfg.model.latent_dim]
    outside = noise.abs() > truncation
    for _ in range(TRUNCATION_ROUNDS):  # each round keeps a fraction P(|z| <= T) of what is left
        if not outside.any():
            return z
        noise[outside] = torch.randn(int(outside.sum()), generator=generator)
        outside = noise.abs() > truncation
    # A tiny T keeps almost nothing per round (P ~ 0.8 T), so redrawing would never end: draw what is
    # left from N(0, 1) restricted to [-T, T] directly, by the inverse CDF of a uniform in [Phi(-T), Phi(T)].
    low = torch.special.ndtr(torch.tensor(-truncation, dtype=torch.float64))
    u = low + (1 - 2 * low) * torch.rand(int(outside.sum()), generator=generator, dtype=torch.float64)
    noise[outside] = torch.special.ndtri(u).clamp(-truncation, truncation).to(z.dtype)
    return z


def interpolation(run, k: int, seed: int, truncation: float | None = None, **cond) -> torch.Tensor:
    """K samples along a path between two latents z0, z1 (the first and last are G(z0), G(z1)):
    slerp for Gaussian latents, which keeps the norm typical of N(0, I) (White 2016),
    slerp(t) = [sin((1 - t) w) z0 + sin(t w) z1] / sin w with cos w = z0.z1 / (|z0| |z1|);
    a straight line for uniform ones, whose cube a line never leaves."""
    if k < 2:
        raise GankitError(f"--interpolate needs K >= 2, got {k}")
    z = latents(run, 2, seed, truncation)
    t = torch.linspace(0, 1, k).unsqueeze(1)  # (K, 1)
    a, b = z[0], z[1]
    omega = torch.arccos((a / a.norm()).dot(b / b.norm()).clamp(-1, 1))
    if run.cfg.model.latent == "normal" and torch.sin(omega) > 1e-6:
        path = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)
    else:  # uniform latents, or (anti)parallel endpoints where slerp is 0/0
        path = (1 - t) * a + t * b
    return run.generator.sample(k, z=path, **cond)

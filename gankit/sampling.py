"""The latents `gankit generate` feeds a run's generator: seeded, optionally truncated, or along a path.

Separate from commands/generate.py because they are maths with their own tests (tests/test_generate_images.py),
not argument handling.
"""
from __future__ import annotations

import torch

from gankit.errors import GankitError

TRUNCATION_ROUNDS = 100  # rejection rounds before the exact fallback; T >= 0.5 never gets there (0.62^100)


LATENT_BLOCK = 1024  # rows drawn at a time, whatever n is (see `latents`)


def latents(run, n: int, seed: int, truncation: float | None = None) -> torch.Tensor:
    """(n, latent_dim) noise from `seed`. With a truncation T, entries with |z| > T are drawn
    again until none is left, the last few directly from N(0, 1) cut to [-T, T] (the truncation
    trick, Brock et al. 2019): samples move towards the typical ones, trading variety for quality.
    Entries already within T keep their values, so a truncated sample stays close to the
    untruncated one of the same seed.

    The noise is drawn in whole blocks of LATENT_BLOCK rows, each truncated on its own, so that
    `-n 10` gives the first 10 samples of `-n 1000` with the same seed: torch draws a Gaussian tensor
    of fewer than 16 numbers by another method than a larger one, and redraws for truncation took
    numbers from later rows, so a smaller n used to give other samples."""
    if truncation is not None:
        if run.cfg.model.latent != "normal":
            raise GankitError(f"--truncation needs Gaussian latents; this run's model.latent is "
                              f"'{run.cfg.model.latent}'")
        if not truncation > 0:
            raise GankitError(f"--truncation must be > 0, got {truncation}")
    generator = torch.Generator().manual_seed(seed)
    blocks = []
    for start in range(0, n, LATENT_BLOCK):
        z = run.algo.latent_on_cpu(LATENT_BLOCK, generator)
        if truncation is not None:
            # Only the Gaussian noise: InfoGAN's codes come after it (one-hot categories, uniform continuous
            # codes), and truncating them too turned a category's 1 into a Gaussian draw. A view: writes reach z.
            _truncate(z[:, :run.cfg.model.latent_dim], truncation, generator)
        blocks.append(z[:n - start])
    return torch.cat(blocks)


def _truncate(noise: torch.Tensor, truncation: float, generator: torch.Generator) -> None:
    """Redraw, in place, the entries of `noise` outside [-T, T] (see `latents`)."""
    outside = noise.abs() > truncation
    for _ in range(TRUNCATION_ROUNDS):  # each round keeps a fraction P(|z| <= T) of what is left
        if not outside.any():
            return
        noise[outside] = torch.randn(int(outside.sum()), generator=generator)
        outside = noise.abs() > truncation
    # A tiny T keeps almost nothing per round (P ~ 0.8 T), so redrawing would never end: draw what is
    # left from N(0, 1) restricted to [-T, T] directly, by the inverse CDF of a uniform in [Phi(-T), Phi(T)].
    low = torch.special.ndtr(torch.tensor(-truncation, dtype=torch.float64))
    u = low + (1 - 2 * low) * torch.rand(int(outside.sum()), generator=generator, dtype=torch.float64)
    noise[outside] = torch.special.ndtri(u).clamp(-truncation, truncation).to(noise.dtype)


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

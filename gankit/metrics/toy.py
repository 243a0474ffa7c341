"""Metrics for vector (toy) data: mode coverage, MMD, sliced Wasserstein, shape residuals, summaries.

Pure functions: tensors or numpy arrays in, plain Python numbers and dicts out (JSON-ready). All
maths runs on the CPU in float64 and never builds an autograd graph. Randomness (subsampling,
projection directions) comes from a local `torch.Generator`, never the global RNG, so calling a
metric in the middle of training cannot change the training run.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from gankit.errors import GankitError

_ROW_CHUNK = 2048          # rows per block of a pairwise matrix: 2048 x 10,000 float64 = 160 MB at most
_MEDIAN_MAX_POINTS = 2000  # median heuristic on at most this many pooled points (~2M pair distances)
# MMD costs n² kernel values: 10,000 points a side take ~2 s on 2 cores, 100,000 would take minutes.
# vector_metrics scores MMD on a fixed random subset of this many points of each set (the other metrics
# use every point): the V-statistic's bias is then below 2/n = 2e-4 (the kernel is at most 1), and its
# spread between samples is what an --n of 10,000 has anyway.
MMD_MAX_POINTS = 10_000


def _as_points(x, name: str) -> Tensor:
    """Any array-like -> detached CPU float64 tensor of shape (N, D); a 1-D input is N points in 1-D."""
    points = torch.as_tensor(np.asarray(x) if not isinstance(x, Tensor) else x)
    points = points.detach().to(device="cpu", dtype=torch.float64)
    if points.ndim == 1:
        points = points[:, None]
    if points.ndim != 2 or points.shape[0] == 0:
        raise GankitError(f"{name}: expected a non-empty (N, D) array of points, got shape {tuple(points.shape)}")
    return points


def _same_width(a: Tensor, b: Tensor, a_name: str, b_name: str) -> None:
    if a.shape[1] != b.shape[1]:
        raise GankitError(f"{a_name} has {a.shape[1]} columns but {b_name} has {b.shape[1]}; expected the same width")


def _subsample(points: Tensor, n: int, generator: torch.Generator) -> Tensor:
    """n rows drawn without replacement (all rows, unchanged, when there are at most n)."""
    if len(points) <= n:
        return points
    return points[torch.randperm(len(points), generator=generator)[:n]]


# ---------------------------------------------------------------------------------------------
# Mode coverage (VEEGAN / PacGAN protocol)
# ---------------------------------------------------------------------------------------------

def mode_stats(samples, modes, mode_std: float, n_std: float = 3.0) -> dict:
    """Modes captured, high-quality fraction and reverse KL to the uniform mode distribution.

    Protocol of Srivastava et al. 2017 (VEEGAN, sec. 5.1), reused by Lin et al. 2018 (PacGAN):
    a sample is *high quality* if its Euclidean distance to the nearest mode is <= n_std * mode_std.
    """
    points, centres = _as_points(samples, "samples"), _as_points(modes, "modes")  # (N, D), (K, D)
    _same_width(points, centres, "samples", "modes")
    if not mode_std > 0 or not n_std > 0:
        raise GankitError(f"mode_std and n_std must be positive numbers, got {mode_std} and {n_std}")
    n_modes = len(centres)
    distances = torch.cdist(points, centres, compute_mode="donot_use_mm_for_euclid_dist")  # (N, K), exact
    nearest_distance, nearest_mode = distances.min(dim=1)                                  # (N,), (N,)
    high_quality = nearest_distance <= n_std * mode_std                                    # (N,)
    hq_per_mode = torch.bincount(nearest_mode[high_quality], minlength=n_modes)            # (K,)
    # "Captured" = at least ONE high-quality sample is nearest to the mode. This is VEEGAN's wording
    # ("the number of mixture components whose mean is nearest to at least one high quality sample"),
    # which PacGAN adopts to compare against VEEGAN's table; some later papers demand a minimum count
    # instead, but one sample is the published protocol and needs no extra free parameter.
    captured = int((hq_per_mode >= 1).sum())
    return {
        "modes": captured,
        "n_modes": n_modes,
        "hq": float(high_quality.double().mean()),
        "reverse_kl": _kl_to_uniform(hq_per_mode),
    }


def _kl_to_uniform(counts: Tensor) -> float:
    """KL(p || uniform over K) = sum_k p_k log(p_k K), with 0 log 0 = 0; NaN when all counts are 0.

    With no high-quality sample there is no histogram, hence no divergence: NaN says "undefined"
    rather than inventing a number (json.dump writes it as NaN)."""
    total = counts.sum()
    if total == 0:
        return float("nan")
    p = counts[counts > 0].double() / total
    return float((p * torch.log(p * len(counts))).sum().clamp_min(0.0))  # clamp: rounding can give -1e-17


# ---------------------------------------------------------------------------------------------
# Maximum mean discrepancy
# ---------------------------------------------------------------------------------------------

def _mean_rbf(a: Tensor, b: Tensor, bandwidth: float) -> float:
    """mean_ij k(a_i, b_j) with k(a, b) = exp(-|a - b|^2 / (2 s^2)), a block of rows at a time.

    |a - b|^2 = |a|^2 + |b|^2 - 2 a.b: one matmul per block and in-place ops, about twice as fast
    as cdist-then-square; blocks keep 10k x 10k from ever sitting in memory."""
    b_sq = b.square().sum(dim=1)                                                  # (N,)
    total = 0.0
    for start in range(0, len(a), _ROW_CHUNK):
        rows = a[start:start + _ROW_CHUNK]                                        # (chunk, D)
        sq_dist = torch.addmm(rows.square().sum(dim=1)[:, None] + b_sq, rows, b.T, alpha=-2)  # (chunk, N)
        sq_dist.clamp_(min=0)  # cancellation can leave -1e-16 where a point meets itself
        total += float(sq_dist.mul_(-1 / (2 * bandwidth**2)).exp_().sum())
    return total / (len(a) * len(b))


def median_pairwise_distance(points: Tensor) -> float:
    """Median distance over distinct pairs i < j (of a fixed random subset of at most 2,000 points)."""
    subset = _subsample(points, _MEDIAN_MAX_POINTS, torch.Generator().manual_seed(0))
    i, j = torch.triu_indices(len(subset), len(subset), offset=1)
    return float(torch.cdist(subset, subset)[i, j].median()) if len(i) else 0.0


def mmd_rbf(x, y, bandwidth: float | None = None, max_points: int | None = None) -> float:
    """Squared MMD with a Gaussian RBF kernel, *biased* (V-statistic) estimator (Gretton et al. 2012, eq. 5).

    MMD^2_b = mean k(x, x') + mean k(y, y') - 2 mean k(x, y), diagonals included: never negative and
    exactly 0 for identical sets (the unbiased U-statistic can dip below 0, which reads badly on a
    training curve); its O(1/n) bias is the same for every evaluation at a fixed n.
    bandwidth None -> s = median pairwise distance of the pooled sample (median heuristic).
    max_points: score a fixed random subset of at most this many rows of each set (the cost is n²).
    """
    a, b = _as_points(x, "x"), _as_points(y, "y")  # (M, D), (N, D)
    _same_width(a, b, "x", "y")
    if max_points is not None:
        if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 2:
            raise GankitError(f"mmd max_points must be an integer >= 2, got {max_points!r}")
        a = _subsample(a, max_points, torch.Generator().manual_seed(1))
        b = _subsample(b, max_points, torch.Generator().manual_seed(2))
    if bandwidth is None:
        bandwidth = median_pairwise_distance(torch.cat([a, b]))
        bandwidth = bandwidth if bandwidth > 0 else 1.0  # all points equal: x == y, any s gives 0
    elif not bandwidth > 0:
        raise GankitError(f"mmd bandwidth must be a positive number, got {bandwidth}")
    mmd2 = _mean_rbf(a, a, bandwidth) + _mean_rbf(b, b, bandwidth) - 2 * _mean_rbf(a, b, bandwidth)
    return max(mmd2, 0.0)  # V-statistic is >= 0 in exact arithmetic; clamp float rounding


# ---------------------------------------------------------------------------------------------
# Sliced Wasserstein
# ---------------------------------------------------------------------------------------------

def sliced_wasserstein(x, y, n_projections: int = 256, seed: int = 0) -> float:
    """Mean over random unit directions theta of W1(<x, theta>, <y, theta>) (Rabin et al. 2011).

    In 1-D with equally many points, W1 between empirical measures = mean |sorted x - sorted y|.
    Unequal sizes: the larger set is subsampled (without replacement) to the smaller size.
    Directions are normalised Gaussians, i.e. uniform on the sphere, from a local generator.
    """
    a, b = _as_points(x, "x"), _as_points(y, "y")  # (M, D), (N, D)
    _same_width(a, b, "x", "y")
    if n_projections < 1:
        raise GankitError(f"n_projections must be at least 1, got {n_projections}")
    generator = torch.Generator().manual_seed(seed)
    n = min(len(a), len(b))
    a, b = _subsample(a, n, generator), _subsample(b, n, generator)             # (n, D) each
    directions = torch.randn(a.shape[1], n_projections, generator=generator, dtype=torch.float64)
    directions = directions / directions.norm(dim=0, keepdim=True)             # (D, P), unit columns
    a_sorted = (a @ directions).sort(dim=0).values                              # (n, P)
    b_sorted = (b @ directions).sort(dim=0).values                              # (n, P)
    return float((a_sorted - b_sorted).abs().mean())  # mean over points, then over directions


# ---------------------------------------------------------------------------------------------
# Shape checks for the circle and quadratic toy sets
# ---------------------------------------------------------------------------------------------

def circle_stats(samples, center: Sequence[float] = (0, 0)) -> dict:
    """Mean and (population, ddof=0) standard deviation of the distance to `center`."""
    points = _as_points(samples, "samples")                       # (N, D)
    centre = torch.as_tensor(center, dtype=torch.float64).reshape(1, -1)  # (1, D)
    _same_width(points, centre, "samples", "center")
    radius = (points - centre).norm(dim=1)                        # (N,)
    return {"radius_mean": float(radius.mean()), "radius_std": float(radius.std(correction=0))}


def quadratic_residual(samples, y_range: float | None = None) -> dict:
    """How far (x, y) samples sit from the curve y = 10 + x^2.

    median_abs_residual = median |y - 10 - x^2|; relative_residual divides it by `y_range` (the
    data's y range, e.g. 2500 for x in [-50, 50)) or, when None, by the samples' own max y - min y
    (NaN if that is 0)."""
    points = _as_points(samples, "samples")  # (N, 2)
    if points.shape[1] != 2:
        raise GankitError(f"quadratic samples: expected 2 columns (x, y), got {points.shape[1]}")
    x, y = points[:, 0], points[:, 1]
    median_abs = float((y - 10 - x.square()).abs().median())
    scale = float(y.max() - y.min()) if y_range is None else float(y_range)
    if y_range is not None and not scale > 0:
        raise GankitError(f"quadratic y_range must be a positive number, got {y_range}")
    return {"median_abs_residual": median_abs, "relative_residual": median_abs / scale if scale > 0 else float("nan")}


# ---------------------------------------------------------------------------------------------
# Summaries and the one-call bundle
# ---------------------------------------------------------------------------------------------

def summary_stats(x, names: Sequence[str] | None = None) -> dict[str, dict]:
    """Per column, like pandas' describe(): count, mean, std (ddof=1), min, 25%, 50%, 75%, max.

    Quartiles interpolate linearly between order statistics (numpy's and pandas' default).
    Columns are named x0, x1, ... unless `names` is given."""
    points = _as_points(x, "x")  # (N, D)
    names = [f"x{i}" for i in range(points.shape[1])] if names is None else list(names)
    if len(names) != points.shape[1]:
        raise GankitError(f"summary_stats: {len(names)} names given for {points.shape[1]} columns")
    quartiles = torch.quantile(points, torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64), dim=0)  # (3, D)
    std = points.std(dim=0, correction=1) if len(points) > 1 else torch.full((points.shape[1],), math.nan)
    return {
        name: {
            "count": len(points),
            "mean": float(points[:, i].mean()),
            "std": float(std[i]),
            "min": float(points[:, i].min()),
            "25%": float(quartiles[0, i]),
            "50%": float(quartiles[1, i]),
            "75%": float(quartiles[2, i]),
            "max": float(points[:, i].max()),
        }
        for i, name in enumerate(names)
    }


def vector_metrics(real, fake, dataset: str | None = None, modes=None, mode_std: float | None = None) -> dict:
    """Everything that applies to `fake` versus `real`, as one flat dict with stable keys.

    Always: mmd (on at most MMD_MAX_POINTS of each set), swd. With `modes`: modes, n_modes, hq, reverse_kl.
    dataset "circle": radius_mean, radius_std of fake. dataset "quadratic": median_abs_residual,
    relative_residual of fake, relative to the real data's y range."""
    real_points, fake_points = _as_points(real, "real"), _as_points(fake, "fake")
    _same_width(real_points, fake_points, "real", "fake")
    metrics: dict = {"mmd": mmd_rbf(real_points, fake_points, max_points=MMD_MAX_POINTS),
                     "swd": sliced_wasserstein(real_points, fake_points)}
    if modes is not None:
        if mode_std is None:
            raise GankitError("vector_metrics: modes given without mode_std; expected both or neither")
        metrics.update(mode_stats(fake_points, modes, mode_std))
    if dataset == "circle":
        metrics.update(circle_stats(fake_points))
    elif dataset == "quadratic":
        real_y = real_points[:, -1]
        metrics.update(quadratic_residual(fake_points, y_range=float(real_y.max() - real_y.min()) or None))
    return metrics

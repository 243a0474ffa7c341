"""Precision / recall (Kynkäänniemi et al. 2019) and density / coverage (Naeem et al. 2020).

Each sample x of a set gets a ball B(x, r_k(x)), r_k(x) = distance to its k-th nearest neighbour in
the same set (the point itself excluded). With real X_1..X_N, fake Y_1..Y_M:
    precision = 1/M Σ_j 1[Y_j lies in some real ball]             (fakes on the real manifold)
    recall    = 1/N Σ_i 1[X_i lies in some fake ball]             (reals on the fake manifold)
    density   = 1/(kM) Σ_j Σ_i 1[Y_j ∈ B(X_i, r_k(X_i))]          (≈ 1 when fake ~ real)
    coverage  = 1/N Σ_i 1[some fake lies in B(X_i, r_k(X_i))]      (real modes that are hit)
Balls are closed (distance ≤ radius), as in Kynkäänniemi et al.'s definition. So a fake set
identical to the real one scores precision = recall = coverage = 1 and density = (k+1)/k (each
fake is also a ball centre); an independent sample of the real distribution has density ≈ 1.
All four come from one blockwise pass over the fake × real distances.
"""
from __future__ import annotations

import numpy as np
import torch

from gankit.errors import GankitError
from gankit.metrics.frechet import as_feature_matrix, check_same_width, is_integer
from gankit.metrics.memorisation import distance_blocks, nearest_neighbours

# torch.cdist's fast route |u|² + |v|² - 2u·v is accurate to ~√eps ≈ 1e-8 of the data's scale
# (worst for near-coincident points) and is not bitwise symmetric in u, v. A sample that is the
# k-th neighbour of a ball's centre sits exactly on its surface and would fall in or out by
# chance, so a surface counts as SURFACE_SLACK × (RMS distance of the reals from their mean) wider.
SURFACE_SLACK = 1e-7


def _k_nn_radii(points: np.ndarray, k: int) -> np.ndarray:
    """(N,) distance of each row to its k-th nearest other row."""
    distances, _ = nearest_neighbours(points, points, k, exclude_self=True)
    return distances[:, k - 1]


def _check_k(k: int, set_size: int, name: str) -> None:
    if not is_integer(k) or not 1 <= k < set_size:
        raise GankitError(f"k must be an integer in [1, {set_size - 1}] for {set_size} {name} samples, "
                          f"got {k!r}")


def _ball_statistics(real: object, fake: object, k: int, with_recall: bool) -> dict[str, float]:
    real = as_feature_matrix(real, "real")
    fake = as_feature_matrix(fake, "fake")
    check_same_width(real, fake, "real", "fake")
    _check_k(k, len(real), "real")
    if with_recall:
        _check_k(k, len(fake), "fake")  # recall needs fake balls
    k = int(k)
    centre = real.mean(axis=0)  # distances ignore a shift; smaller norms mean less rounding
    real, fake = real - centre, fake - centre
    slack = SURFACE_SLACK * float(np.sqrt(np.mean(np.sum(real**2, axis=1))))
    real_radii = torch.from_numpy(_k_nn_radii(real, k) + slack)  # (N,)
    fake_radii = torch.from_numpy(_k_nn_radii(fake, k) + slack) if with_recall else None  # (M,)
    in_some_real_ball = np.zeros(len(fake), dtype=bool)  # (M,) precision
    real_balls_hit = np.zeros(len(fake), dtype=np.int64)  # (M,) density
    real_covered = np.zeros(len(real), dtype=bool)  # (N,) coverage
    in_some_fake_ball = np.zeros(len(real), dtype=bool)  # (N,) recall
    for start, fake_to_real in distance_blocks(fake, real):  # (rows, N)
        rows = slice(start, start + len(fake_to_real))
        inside_real = fake_to_real <= real_radii[None, :]  # [j, i]: Y_j ∈ B(X_i)
        in_some_real_ball[rows] = inside_real.any(dim=1).numpy()
        real_balls_hit[rows] = inside_real.sum(dim=1).numpy()
        real_covered |= inside_real.any(dim=0).numpy()
        if fake_radii is not None:
            inside_fake = fake_to_real <= fake_radii[rows, None]  # [j, i]: X_i ∈ B(Y_j)
            in_some_fake_ball |= inside_fake.any(dim=0).numpy()
    statistics = {"precision": float(in_some_real_ball.mean()),
                  "density": float(real_balls_hit.sum() / (k * len(fake))),
                  "coverage": float(real_covered.mean())}
    if with_recall:
        statistics["recall"] = float(in_some_fake_ball.mean())
    return statistics


def precision_recall(real: object, fake: object, k: int = 3) -> dict[str, float]:
    """{"precision", "recall"} of (M, D) fakes against (N, D) reals, k-NN balls (Kynkäänniemi 2019)."""
    statistics = _ball_statistics(real, fake, k, with_recall=True)
    return {"precision": statistics["precision"], "recall": statistics["recall"]}


def density_coverage(real: object, fake: object, k: int = 5) -> dict[str, float]:
    """{"density", "coverage"} of (M, D) fakes against (N, D) reals, k-NN balls (Naeem 2020)."""
    statistics = _ball_statistics(real, fake, k, with_recall=False)
    return {"density": statistics["density"], "coverage": statistics["coverage"]}


def prdc(real: object, fake: object, k: int = 5) -> dict[str, float]:
    """{"precision", "recall", "density", "coverage"} with one k, sharing the distance pass."""
    statistics = _ball_statistics(real, fake, k, with_recall=True)
    return {name: statistics[name] for name in ("precision", "recall", "density", "coverage")}

"""Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs").

KID is the unbiased estimate of the squared maximum mean discrepancy with the polynomial kernel
k(x, y) = (gamma x·y + coef0)^degree (paper: gamma = 1/D, coef0 = 1, degree = 3). For samples
X (m rows) and Y (n rows):
    MMD²_u = Σ_{i≠j} k(x_i, x_j) / (m(m-1)) + Σ_{i≠j} k(y_i, y_j) / (n(n-1))
             - 2 Σ_{i,j} k(x_i, y_j) / (mn)
Dropping the i = j terms (a sample paired with itself) is what makes E[MMD²_u] = MMD² exactly, so
KID has no bias towards the sample size, unlike FID; it can come out slightly negative.
KID reports the mean and (population) std of MMD²_u over random equal-size subsets.
"""
from __future__ import annotations

import numbers

import numpy as np

from gankit.errors import GankitError
from gankit.metrics.frechet import as_feature_matrix, check_same_width, is_integer


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int, gamma: float, coef0: float) -> np.ndarray:
    """(m, D), (n, D) → (m, n) Gram matrix (gamma x·y + coef0)^degree."""
    return (gamma * (x @ y.T) + coef0) ** degree


def unbiased_mmd2(x: np.ndarray, y: np.ndarray, degree: int = 3, gamma: float | None = None,
                  coef0: float = 1.0) -> float:
    """MMD²_u between (m, D) and (n, D) samples, m, n ≥ 2 (formula in the module doc)."""
    m, n = len(x), len(y)
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    k_xx = polynomial_kernel(x, x, degree, gamma, coef0)  # (m, m)
    k_yy = polynomial_kernel(y, y, degree, gamma, coef0)  # (n, n)
    k_xy = polynomial_kernel(x, y, degree, gamma, coef0)  # (m, n)
    within_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))  # off-diagonal mean
    within_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * k_xy.mean())


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_settings(n_subsets: int, degree: int, gamma: float | None, coef0: float) -> None:
    for name, value in (("n_subsets", n_subsets), ("degree", degree)):
        if not is_integer(value) or value < 1:
            raise GankitError(f"kid: {name} must be an integer >= 1, got {value!r}")
    if gamma is not None and not (_is_real(gamma) and np.isfinite(gamma) and gamma > 0):
        raise GankitError(f"kid: gamma must be a finite number > 0 (or None for 1/D), got {gamma!r}")
    if not (_is_real(coef0) and np.isfinite(coef0)):
        raise GankitError(f"kid: coef0 must be finite, got {coef0!r}")


def kid(feats_a: object, feats_b: object, n_subsets: int = 100, subset_size: int = 1000, degree: int = 3,
        gamma: float | None = None, coef0: float = 1.0, seed: int = 0) -> tuple[float, float]:
    """(mean, std) of MMD²_u over n_subsets random subset pairs of (N, D) and (M, D) features.

    subset_size is clipped to min(N, M); subsets are drawn without replacement by a private
    numpy Generator(seed), so numpy's and torch's global random state are never touched. The same seed
    gives the same subsets; seed=None asks for fresh OS entropy (numpy's convention), so repeated calls
    then differ within kid_std.
    """
    a = as_feature_matrix(feats_a, "feats_a")
    b = as_feature_matrix(feats_b, "feats_b")
    check_same_width(a, b, "feats_a", "feats_b")
    _check_settings(n_subsets, degree, gamma, coef0)
    if not is_integer(subset_size) or subset_size < 2:
        raise GankitError(f"kid: subset_size must be an integer >= 2, got {subset_size!r}")
    if seed is not None and (not is_integer(seed) or seed < 0):  # numpy's ValueError / TypeError otherwise
        raise GankitError(f"kid: seed must be an integer >= 0, got {seed!r}")
    n_subsets, size = int(n_subsets), min(int(subset_size), len(a), len(b))
    if size < 2:
        raise GankitError(f"kid: need at least 2 samples in each set, got {len(a)} and {len(b)}")
    gamma = 1.0 / a.shape[1] if gamma is None else float(gamma)
    rng = np.random.default_rng(seed)
    estimates = np.empty(n_subsets)
    for subset in range(n_subsets):
        x = a[rng.choice(len(a), size, replace=False)]  # (size, D)
        y = b[rng.choice(len(b), size, replace=False)]  # (size, D)
        estimates[subset] = unbiased_mmd2(x, y, degree, gamma, coef0)
    return float(estimates.mean()), float(estimates.std())

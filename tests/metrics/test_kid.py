import itertools

import numpy as np
import pytest
import torch

from gankit.errors import GankitError
from gankit.metrics.kid import kid, unbiased_mmd2


def _loop_mmd2(x, y, degree, gamma, coef0) -> float:
    """Direct double loops over the unbiased estimator's three sums."""
    def k(u, v):
        return (gamma * sum(ui * vi for ui, vi in zip(u, v)) + coef0) ** degree
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_unbiased_mmd2_matches_double_loop():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)) + 0.5
    assert unbiased_mmd2(x, y) == pytest.approx(_loop_mmd2(x, y, 3, 1 / 3, 1.0), rel=1e-12)
    assert unbiased_mmd2(x, y, degree=2, gamma=0.7, coef0=0.3) == pytest.approx(
        _loop_mmd2(x, y, 2, 0.7, 0.3), rel=1e-12)


def test_estimator_is_exactly_unbiased_by_enumeration():
    # X, Y iid uniform over a 3-point support, 2 draws each: averaging over all 3^2 × 3^2 equally
    # likely draws gives the exact expectation, which must be the population MMD².
    support_p = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, -1.0]])
    support_q = np.array([[0.5, 0.0], [1.5, 1.0], [-1.0, 2.0]])

    def expectation(p, q):
        draws = [np.array(d) for d in itertools.product(range(3), repeat=2)]
        return np.mean([unbiased_mmd2(p[i], q[j]) for i in draws for j in draws])

    def population_mmd2(p, q):
        def gram(u, v):
            return (u @ v.T / 2 + 1.0) ** 3
        return gram(p, p).mean() + gram(q, q).mean() - 2 * gram(p, q).mean()

    assert abs(expectation(support_p, support_p)) < 1e-12  # same distribution → 0
    expected = population_mmd2(support_p, support_q)
    assert expectation(support_p, support_q) == pytest.approx(expected, rel=1e-12)


def test_same_distribution_averages_to_zero():
    # 400 independent pairs of samples: the mean of MMD²_u lies within 4 standard errors of its
    # expectation 0 (the biased V-statistic, diagonals kept, sits ~57 standard errors above it here).
    rng = np.random.default_rng(1)
    values = np.array([unbiased_mmd2(rng.standard_normal((20, 4)), rng.standard_normal((20, 4)))
                       for _ in range(400)])
    assert abs(values.mean()) < 4 * values.std() / np.sqrt(len(values))


def test_kid_separates_shifted_distributions():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((400, 8)), rng.standard_normal((400, 8))
    shifted = rng.standard_normal((400, 8)) + 1.0
    same_mean, same_std = kid(a, b, n_subsets=20, subset_size=200)
    shifted_mean, shifted_std = kid(a, shifted, n_subsets=20, subset_size=200)
    assert abs(same_mean) < 3 * same_std + 1e-3
    assert shifted_mean > 0.1 and shifted_mean > 20 * (abs(same_mean) + same_std)


def test_kid_leaves_global_rng_alone_and_is_seeded():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((60, 4)), rng.standard_normal((50, 4)) + 0.3
    numpy_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    first = kid(a, b, n_subsets=5, subset_size=20, seed=7)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert kid(a, b, n_subsets=5, subset_size=20, seed=7) == first
    assert kid(a, b, n_subsets=5, subset_size=20, seed=8) != first


def test_subset_size_is_clipped_and_gamma_defaults_to_one_over_d():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((30, 5)), rng.standard_normal((30, 5)) + 0.2
    # subset_size 1000 > 30 rows: every subset is a permutation of a whole set → one value, std 0
    assert kid(a, b, n_subsets=3, subset_size=1000) == pytest.approx((unbiased_mmd2(a, b), 0.0), abs=1e-12)
    assert kid(a, b, n_subsets=3, gamma=0.2) == kid(a, b, n_subsets=3)


@pytest.mark.parametrize("kwargs", [dict(n_subsets=0), dict(subset_size=1), dict(degree=0), dict(gamma=-1.0)])
def test_bad_settings_raise_gankit_error(kwargs):
    with pytest.raises(GankitError):
        kid(np.zeros((10, 3)), np.ones((10, 3)), **kwargs)


def test_mismatched_widths_raise_gankit_error():
    with pytest.raises(GankitError):
        kid(np.zeros((10, 3)), np.ones((10, 4)))


def test_numpy_integers_are_integers_and_bad_seeds_are_one_line():
    """n_subsets=len(a) // 10 (np.int64) was refused as 'must be an integer'; seed=-1 or 'x' escaped as numpy's
    ValueError / TypeError."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((30, 3)), rng.standard_normal((30, 3))
    expected = kid(a, b, n_subsets=3, subset_size=10, degree=3, seed=4)
    assert kid(a, b, n_subsets=np.int64(3), subset_size=np.int32(10), degree=np.int64(3), seed=np.int64(4)) == expected
    for seed in (-1, "x", 1.5):
        with pytest.raises(GankitError, match=r"kid: seed must be an integer >= 0"):
            kid(a, b, seed=seed)
    with pytest.raises(GankitError, match="n_subsets"):
        kid(a, b, n_subsets=np.bool_(True))

import numpy as np
import pytest
import scipy.linalg
import torch

from gankit.errors import GankitError
from gankit.metrics.frechet import feature_stats, fid, frechet_distance, trace_sqrt_product


def _random_orthogonal(d: int, rng: np.random.Generator) -> np.ndarray:
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return q


def _sqrtm_reference(mu1, sigma1, mu2, sigma2) -> float:
    """Independent route: scipy's general matrix square root of the (non-symmetric) product."""
    root = scipy.linalg.sqrtm(sigma1 @ sigma2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(root).real)


def test_diagonal_gaussians_match_closed_form():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.standard_normal(6), rng.standard_normal(6)
    var1, var2 = rng.uniform(0.1, 3.0, 6), rng.uniform(0.1, 3.0, 6)
    # diagonal S: Tr((S1 S2)^{1/2}) = Σ √(σ1 σ2)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(var1 + var2 - 2 * np.sqrt(var1 * var2))
    assert frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected, rel=1e-12)


def test_commuting_non_diagonal_gaussians_match_closed_form():
    rng = np.random.default_rng(1)
    q = _random_orthogonal(8, rng)  # S_i = Q diag(a_i) Q^T share eigenvectors, so they commute
    a, b = rng.uniform(0.1, 4.0, 8), rng.uniform(0.1, 4.0, 8)
    mu1, mu2 = rng.standard_normal(8), rng.standard_normal(8)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(a + b - 2 * np.sqrt(a * b))
    got = frechet_distance(mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T)
    assert got == pytest.approx(expected, rel=1e-10)


def test_fid_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(2).standard_normal((300, 32)) * np.linspace(0.1, 5.0, 32)
    _, sigma = feature_stats(x)
    assert abs(fid(x, x)) < 1e-6 * np.trace(sigma)


def test_fid_is_symmetric_and_accepts_torch():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((200, 16)), rng.standard_normal((150, 16)) * 1.5 + 0.3
    assert fid(a, b) == pytest.approx(fid(b, a), rel=1e-10)
    assert fid(torch.from_numpy(a).float(), b) == pytest.approx(fid(a.astype(np.float32), b), rel=1e-12)


def test_feature_stats_match_numpy():
    x = np.random.default_rng(4).standard_normal((50, 5))
    mean, cov = feature_stats(torch.from_numpy(x))
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(cov, np.cov(x, rowvar=False, ddof=1), rtol=1e-12)


def test_agrees_with_scipy_sqrtm_on_well_conditioned_data():
    rng = np.random.default_rng(5)
    mix_a, mix_b = rng.standard_normal((24, 24)), rng.standard_normal((24, 24))
    a = rng.standard_normal((2000, 24)) @ mix_a + 0.5
    b = rng.standard_normal((2000, 24)) @ mix_b
    mu1, sigma1 = feature_stats(a)
    mu2, sigma2 = feature_stats(b)
    assert fid(a, b) == pytest.approx(_sqrtm_reference(mu1, sigma1, mu2, sigma2), rel=1e-6)


def test_fewer_samples_than_dimensions_stays_real_and_exact():
    # N < D: both covariances have rank N-1. Reference by another route: with centred data
    # A (n1, D), B (n2, D), S1 = AᵀA/(n1-1), S2 = BᵀB/(n2-1), the nonzero eigenvalues of
    # S1^{1/2} S2 S1^{1/2} are the squared singular values of C = A Bᵀ / √((n1-1)(n2-1)),
    # so Tr((S1 S2)^{1/2}) is the nuclear norm of the small, well-conditioned C.
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((12, 64)), rng.standard_normal((20, 64)) + 0.2
    mu1, sigma1 = feature_stats(a)
    mu2, sigma2 = feature_stats(b)
    centred_a, centred_b = a - mu1, b - mu2
    cross = centred_a @ centred_b.T / np.sqrt((len(a) - 1) * (len(b) - 1))  # (12, 20)
    nuclear = np.linalg.svd(cross, compute_uv=False).sum()
    assert trace_sqrt_product(sigma1, sigma2) == pytest.approx(nuclear, rel=1e-10)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * nuclear
    got = fid(a, b)
    assert isinstance(got, float) and np.isfinite(got) and got >= 0
    assert got == pytest.approx(expected, rel=1e-10)


def test_duplicated_columns_equal_the_full_rank_subspace_formula():
    # x' = P x duplicates the first 6 of 12 features: Cov(x') = P S Pᵀ is singular (rank 12 of 18).
    # |P u - P v|² = (u - v)ᵀ PᵀP (u - v) and PᵀP = diag(2,…,2,1,…,1), so the same Gaussians live
    # isometrically in 12 full-rank dimensions after scaling the duplicated features by √2.
    rng = np.random.default_rng(7)
    a = rng.standard_normal((500, 12)) @ rng.standard_normal((12, 12))
    b = rng.standard_normal((400, 12)) @ rng.standard_normal((12, 12)) + 1.0
    duplicated_a, duplicated_b = np.hstack([a, a[:, :6]]), np.hstack([b, b[:, :6]])
    scale = np.where(np.arange(12) < 6, np.sqrt(2.0), 1.0)
    mu1, sigma1 = feature_stats(a * scale)
    mu2, sigma2 = feature_stats(b * scale)
    got = fid(duplicated_a, duplicated_b)
    assert np.isfinite(got) and got >= 0
    assert got == pytest.approx(_sqrtm_reference(mu1, sigma1, mu2, sigma2), rel=1e-6)


def test_constant_features_give_the_mean_term_only():
    a, b = np.ones((10, 4)), np.full((7, 4), 3.0)  # zero covariances: worst case for a matrix root
    assert fid(a, b) == pytest.approx(4 * 2.0**2, rel=1e-12)


@pytest.mark.parametrize("call", [
    lambda: fid(np.zeros((5, 3)), np.zeros((5, 4))),
    lambda: fid(np.zeros(5), np.zeros((5, 1))),
    lambda: fid(np.zeros((1, 3)), np.zeros((5, 3))),
    lambda: fid(np.full((5, 3), np.nan), np.zeros((5, 3))),
    lambda: frechet_distance(np.zeros(3), np.eye(2), np.zeros(3), np.eye(3)),
    lambda: frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2)),
])
def test_bad_inputs_raise_gankit_error(call):
    with pytest.raises(GankitError):
        call()


@pytest.mark.parametrize("broken", [-np.eye(3), np.diag([1.0, 1.0, -0.5]),
                                    np.array([[1.0, 2.0, 0], [2.0, 1.0, 0], [0, 0, 1.0]])])  # eigenvalues 3, -1, 1
def test_a_covariance_that_is_not_positive_semidefinite_is_refused(broken):
    """Eigenvalue clipping used to turn these into a plausible distance (-I against -I: 0.0)."""
    with pytest.raises(GankitError, match="second Gaussian: covariance is not positive semi-definite"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), broken)
    with pytest.raises(GankitError, match="first Gaussian"):
        frechet_distance(np.zeros(3), broken, np.zeros(3), broken)


def test_semidefinite_covariances_at_the_edge_are_accepted():
    """Rank-deficient (a zero eigenvalue) and rounding-level negative eigenvalues are covariances."""
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(4, 4)))
    singular = q @ np.diag([2.0, 1.0, 0.0, -1e-14]) @ q.T
    assert frechet_distance(np.zeros(4), singular, np.zeros(4), singular) == pytest.approx(0.0, abs=1e-6)

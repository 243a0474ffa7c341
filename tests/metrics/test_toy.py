"""Toy-data metrics against closed forms and independently computed references (numpy / scipy)."""
import json
import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import pdist
from scipy.stats import wasserstein_distance

from gankit.errors import GankitError
from gankit.metrics.toy import (
    circle_stats,
    mmd_rbf,
    mode_stats,
    quadratic_residual,
    sliced_wasserstein,
    summary_stats,
    vector_metrics,
)

K = 8
ANGLES = torch.arange(K, dtype=torch.float64) * 2 * math.pi / K
RING = 2.0 * torch.stack([ANGLES.cos(), ANGLES.sin()], dim=1)  # (8, 2): the ring8 modes
STD = 0.02


# --- mode_stats -------------------------------------------------------------------------------

def test_samples_exactly_at_every_mode_capture_all_with_zero_kl():
    stats = mode_stats(RING.repeat(10, 1), RING, STD)
    assert stats == {"modes": K, "n_modes": K, "hq": 1.0, "reverse_kl": pytest.approx(0.0, abs=1e-12)}


def test_all_samples_at_one_mode_give_one_mode_and_kl_log_k():
    stats = mode_stats(RING[3].repeat(50, 1), RING, STD)
    assert stats["modes"] == 1 and stats["hq"] == 1.0
    assert stats["reverse_kl"] == pytest.approx(math.log(K))


def test_half_the_modes_evenly_gives_kl_log_2():
    stats = mode_stats(RING[:4].repeat(5, 1).numpy(), RING.numpy(), STD)  # numpy in, same answer
    assert stats["modes"] == 4
    assert stats["reverse_kl"] == pytest.approx(math.log(2))  # sum_4 (1/4) log(8/4)


def test_samples_far_from_every_mode_are_not_high_quality():
    stats = mode_stats(torch.full((20, 2), 100.0), RING, STD)
    assert stats["modes"] == 0 and stats["hq"] == 0.0
    assert math.isnan(stats["reverse_kl"])  # no high-quality histogram: undefined, not invented


def test_high_quality_threshold_is_n_std_standard_deviations():
    inside = RING[0] + torch.tensor([2.9 * STD, 0.0], dtype=torch.float64)
    outside = RING[1] + torch.tensor([0.0, 3.1 * STD], dtype=torch.float64)
    stats = mode_stats(torch.stack([inside, outside]), RING, STD)
    assert stats["hq"] == 0.5 and stats["modes"] == 1  # the outside sample captures nothing
    assert mode_stats(torch.stack([inside, outside]), RING, STD, n_std=4.0)["modes"] == 2


def test_mode_stats_rejects_bad_input():
    with pytest.raises(GankitError):
        mode_stats(torch.zeros(5, 3), RING, STD)  # width mismatch
    with pytest.raises(GankitError):
        mode_stats(RING, RING, 0.0)


# --- mmd_rbf ----------------------------------------------------------------------------------

def test_mmd_of_a_set_with_itself_is_zero():
    x = torch.randn(300, 2, generator=torch.Generator().manual_seed(1))
    assert mmd_rbf(x, x) == pytest.approx(0.0, abs=1e-12)


def test_mmd_on_two_point_sets_matches_hand_computation():
    x = [[0.0, 0.0], [1.0, 0.0]]
    y = [[0.0, 0.0], [0.0, 2.0]]
    # Kxx mean = (1 + e^-1/2)/2, Kyy mean = (1 + e^-2)/2, Kxy mean = (1 + e^-2 + e^-1/2 + e^-5/2)/4
    # => MMD^2_b = (1 - e^-5/2) / 2   (s = 1)
    assert mmd_rbf(x, y, bandwidth=1.0) == pytest.approx((1 - math.exp(-2.5)) / 2, rel=1e-12)
    # s = 2: every exponent divided by 4
    assert mmd_rbf(np.array(x), np.array(y), bandwidth=2.0) == pytest.approx((1 - math.exp(-2.5 / 4)) / 2, rel=1e-12)


def test_median_heuristic_uses_median_pairwise_distance_of_pooled_sample():
    generator = torch.Generator().manual_seed(2)
    x, y = torch.randn(40, 3, generator=generator), torch.randn(30, 3, generator=generator) + 1
    median = float(np.median(pdist(torch.cat([x, y]).numpy())))  # scipy: distinct pairs i < j
    assert mmd_rbf(x, y) == pytest.approx(mmd_rbf(x, y, bandwidth=median), rel=1e-12)


@pytest.mark.parametrize("bandwidth", [None, 1.0])
def test_mmd_grows_with_the_shift_of_y(bandwidth):
    generator = torch.Generator().manual_seed(3)
    x, y = torch.randn(400, 2, generator=generator), torch.randn(400, 2, generator=generator)
    values = [mmd_rbf(x, y + shift, bandwidth) for shift in (0.0, 0.5, 1.0, 2.0, 3.0)]
    assert all(a < b for a, b in zip(values, values[1:])), values


def test_mmd_max_points_scores_a_fixed_subset_of_each_set():
    """Above max_points rows, MMD is the MMD of a fixed random subset of each set: repeatable, and equal
    to scoring that subset directly; at or below it nothing changes."""
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(300, 2, generator=gen), torch.randn(250, 2, generator=gen) + 0.5
    capped = mmd_rbf(x, y, bandwidth=1.0, max_points=100)
    assert capped == mmd_rbf(x, y, bandwidth=1.0, max_points=100)
    sub_x = x[torch.randperm(300, generator=torch.Generator().manual_seed(1))[:100]]
    sub_y = y[torch.randperm(250, generator=torch.Generator().manual_seed(2))[:100]]
    assert capped == pytest.approx(mmd_rbf(sub_x, sub_y, bandwidth=1.0), rel=1e-12)
    assert capped != pytest.approx(mmd_rbf(x, y, bandwidth=1.0), rel=1e-6)
    assert mmd_rbf(x, y, bandwidth=1.0, max_points=300) == mmd_rbf(x, y, bandwidth=1.0)
    for bad in (0, 1, 2.5, True):
        with pytest.raises(GankitError, match="max_points"):
            mmd_rbf(x, y, max_points=bad)


def test_vector_metrics_caps_mmd_at_mmd_max_points(monkeypatch):
    import gankit.metrics.toy as toy

    gen = torch.Generator().manual_seed(3)
    x, y = torch.randn(200, 2, generator=gen), torch.randn(200, 2, generator=gen) + 0.3
    monkeypatch.setattr(toy, "MMD_MAX_POINTS", 50)
    assert vector_metrics(x, y)["mmd"] == mmd_rbf(x, y, max_points=50)


def test_mmd_accepts_tensors_that_require_grad():
    x = torch.randn(10, 2, requires_grad=True)
    assert isinstance(mmd_rbf(x, x.detach() + 1), float)


# --- sliced_wasserstein -------------------------------------------------------------------------

def test_swd_of_a_set_with_itself_is_zero():
    x = torch.randn(200, 3, generator=torch.Generator().manual_seed(4))
    assert sliced_wasserstein(x, x) == 0.0


def test_swd_between_shifted_gaussians_is_mean_abs_cosine_times_shift():
    # Projections onto unit theta: N(0,1) vs N(<d,theta>,1), whose W1 is |<d,theta>|;
    # averaged over the circle E|cos| = 2/pi, so SW1 = |d| * 2/pi.
    generator = torch.Generator().manual_seed(5)
    d = torch.tensor([3.0, 4.0])
    x, y = torch.randn(4000, 2, generator=generator), torch.randn(4000, 2, generator=generator) + d
    assert sliced_wasserstein(x, y, n_projections=2000) == pytest.approx(5.0 * 2 / math.pi, rel=0.03)


def test_swd_in_one_dimension_is_the_exact_wasserstein_distance():
    x, y = [0.0, 1.0, 2.0], [5.0, 1.0, 3.0]
    assert sliced_wasserstein(x, y, n_projections=3) == pytest.approx(wasserstein_distance(x, y))  # = 2


def test_swd_subsamples_the_larger_set():
    # every point of x at 0, every point of y at 3: any subsample is 3 apart in 1-D
    assert sliced_wasserstein(torch.zeros(100, 1), torch.full((50, 1), 3.0)) == pytest.approx(3.0)


def test_swd_leaves_the_global_rng_alone_and_is_seeded():
    x, y = torch.rand(64, 2), torch.rand(80, 2)
    state = torch.get_rng_state()
    first = sliced_wasserstein(x, y, seed=7)
    assert torch.equal(torch.get_rng_state(), state)
    assert sliced_wasserstein(x, y, seed=7) == first
    assert sliced_wasserstein(x, y, seed=8) != first


# --- circle / quadratic -------------------------------------------------------------------------

def test_circle_stats_on_exact_circle_points():
    angles = torch.linspace(0, 2 * math.pi, 100)
    points = torch.stack([1 + 2 * angles.cos(), -1 + 2 * angles.sin()], dim=1)
    stats = circle_stats(points, center=(1, -1))
    assert stats["radius_mean"] == pytest.approx(2.0, rel=1e-6)
    assert stats["radius_std"] == pytest.approx(0.0, abs=1e-6)
    # radii 1 and 3: mean 2, population std 1
    assert circle_stats([[1.0, 0.0], [0.0, 3.0]]) == pytest.approx({"radius_mean": 2.0, "radius_std": 1.0})


def test_quadratic_residual_is_zero_on_the_curve():
    x = torch.linspace(-50, 50, 101)
    stats = quadratic_residual(torch.stack([x, 10 + x**2], dim=1), y_range=2500)
    assert stats == pytest.approx({"median_abs_residual": 0.0, "relative_residual": 0.0}, abs=1e-9)


def test_quadratic_residual_by_hand():
    samples = [[0.0, 11.0], [1.0, 9.0], [2.0, 18.0]]  # residuals +1, -2, +4 -> median |r| = 2
    assert quadratic_residual(samples, y_range=2500) == pytest.approx(
        {"median_abs_residual": 2.0, "relative_residual": 2 / 2500})
    assert quadratic_residual(samples)["relative_residual"] == pytest.approx(2 / 9)  # own y range 18 - 9


# --- summary_stats / vector_metrics -------------------------------------------------------------

def test_summary_stats_match_numpy():
    data = np.random.default_rng(6).normal(size=(37, 3))
    stats = summary_stats(data, names=["a", "b", "c"])
    for i, name in enumerate("abc"):
        column = data[:, i]
        expected = {"count": 37, "mean": column.mean(), "std": column.std(ddof=1), "min": column.min(),
                    "25%": np.percentile(column, 25), "50%": np.percentile(column, 50),
                    "75%": np.percentile(column, 75), "max": column.max()}
        assert stats[name] == pytest.approx(expected, rel=1e-12)
        assert isinstance(stats[name]["count"], int)
    assert list(summary_stats(data)) == ["x0", "x1", "x2"]
    with pytest.raises(GankitError):
        summary_stats(data, names=["only_one"])


def test_vector_metrics_keys_and_json():
    generator = torch.Generator().manual_seed(9)
    real = RING[torch.randint(K, (200,), generator=generator)] + STD * torch.randn(200, 2, generator=generator)
    fake = RING[:2].repeat(60, 1)
    metrics = vector_metrics(real, fake, modes=RING, mode_std=STD)
    assert set(metrics) == {"mmd", "swd", "modes", "n_modes", "hq", "reverse_kl"}
    assert metrics["modes"] == 2 and metrics["reverse_kl"] == pytest.approx(math.log(4))
    assert metrics["mmd"] > 0 and metrics["swd"] > 0
    json.dumps(metrics)
    assert {"radius_mean", "radius_std"} <= set(vector_metrics(real, fake, dataset="circle"))
    x = torch.linspace(-50, 50, 100, dtype=torch.float64)  # float32 would round y ~ 2500 by ~1e-4
    quadratic = torch.stack([x, 10 + x**2], dim=1)
    residuals = vector_metrics(quadratic, quadratic, dataset="quadratic")
    assert residuals["median_abs_residual"] == pytest.approx(0.0, abs=1e-9)
    assert residuals["mmd"] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(GankitError):
        vector_metrics(real, fake, modes=RING)  # mode_std missing
    with pytest.raises(GankitError):
        vector_metrics(real, torch.zeros(10, 3))

import json
import math
import random

import numpy as np
import pytest
import torch

from gankit.data.toy import SAMPLERS, make_sampler
from gankit.errors import GankitError

ALL = sorted(SAMPLERS)


def nearest_mode(x: torch.Tensor, modes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(distance to, index of) the nearest mode for each sample."""
    distance, index = torch.cdist(x.double(), modes.double()).min(dim=1)
    return distance, index


def test_registry_has_every_documented_sampler():
    assert set(ALL) == {"circle", "quadratic", "ring8", "grid25", "swissroll", "moons", "spiral", "gmm1d"}


@pytest.mark.parametrize("name", ALL)
def test_shape_dtype_device_and_describe_round_trip(name):
    sampler = make_sampler(name)
    x = sampler.sample(7, device=torch.device("cpu"))
    assert x.shape == (7, sampler.dim) and x.dtype == torch.float32 and x.device.type == "cpu"
    assert sampler.sample(0).shape == (0, sampler.dim)
    description = json.loads(json.dumps(sampler.describe()))
    assert description["name"] == name
    params = {k: v for k, v in description.items() if k != "name"}
    assert make_sampler(name, **params).describe() == description


def test_circle_radius_and_grid_angles():
    torch.manual_seed(0)
    x = make_sampler("circle").sample(2000).double()
    assert torch.allclose(x.norm(dim=1), torch.full((2000,), 2.0, dtype=torch.float64), atol=1e-5, rtol=0)
    # angles = linspace(0, 2π, 1001): step 2π/1000, so angle / step must be a whole number.
    steps = torch.atan2(x[:, 1], x[:, 0]).remainder(2 * math.pi) / (2 * math.pi / 1000)
    assert (steps - steps.round()).abs().max() < 1e-3
    assert len(steps.round().unique()) > 500  # draws many of the grid points, not a few


def test_circle_small_grid_hits_only_its_points():
    torch.manual_seed(1)
    x = make_sampler("circle", radius=3.0, n_points=5).sample(400).double()
    angles = np.linspace(0, 2 * np.pi, 5)  # the 0 and 2π ends coincide → 4 distinct points
    grid = torch.from_numpy(3.0 * np.stack([np.cos(angles), np.sin(angles)], 1))
    distance, _ = nearest_mode(x, grid)
    assert distance.max() < 1e-5
    assert len(torch.unique(x.round(decimals=4), dim=0)) == 4


def test_quadratic_curve_and_x_range():
    torch.manual_seed(0)
    x, y = make_sampler("quadratic").sample(2000).double().unbind(1)
    assert torch.allclose(y, 10 + x**2, rtol=1e-6, atol=0)
    assert x.min() >= -50 and x.max() < 50
    assert x.min() < -40 and x.max() > 40  # covers the range, not a narrow part of it
    x_small = make_sampler("quadratic", scale=2.0).sample(500)[:, 0]
    assert x_small.min() >= -1 and x_small.max() < 1


def test_ring8_modes_closed_form():
    sampler = make_sampler("ring8")
    k = np.arange(8)
    expected = np.stack([np.cos(2 * np.pi * k / 8), np.sin(2 * np.pi * k / 8)], 1)
    assert sampler.modes.shape == (8, 2) and sampler.mode_std == 0.01
    np.testing.assert_allclose(sampler.modes.numpy(), expected, atol=1e-6)


def test_grid25_modes_closed_form():
    sampler = make_sampler("grid25")
    expected = {(a, b) for a in (-4.0, -2.0, 0.0, 2.0, 4.0) for b in (-4.0, -2.0, 0.0, 2.0, 4.0)}
    assert sampler.modes.shape == (25, 2) and sampler.mode_std == 0.05
    assert {tuple(row) for row in sampler.modes.tolist()} == expected


@pytest.mark.parametrize("name, n_modes", [("ring8", 8), ("grid25", 25), ("gmm1d", 2)])
def test_samples_near_a_mode_and_every_mode_hit(name, n_modes):
    torch.manual_seed(0)
    sampler = make_sampler(name)
    distance, index = nearest_mode(sampler.sample(2000), sampler.modes)
    assert distance.max() < 5 * sampler.mode_std
    assert len(index.unique()) == n_modes


def test_custom_ring_and_grid_sizes():
    assert make_sampler("ring8", n_modes=3, radius=2.0).modes.norm(dim=1).allclose(torch.full((3,), 2.0))
    grid = make_sampler("grid25", n_per_side=2, spacing=1.0).modes
    assert sorted(map(tuple, grid.tolist())) == [(-0.5, -0.5), (-0.5, 0.5), (0.5, -0.5), (0.5, 0.5)]


def test_gmm1d_modes_mode_std_and_weights():
    sampler = make_sampler("gmm1d", means=[-1, 3], stds=[0.1, 0.5], weights=[1, 3])
    assert sampler.modes.tolist() == [[-1.0], [3.0]] and sampler.mode_std == 0.5
    torch.manual_seed(0)
    x = sampler.sample(20000)[:, 0].double()
    # weights normalise to (1/4, 3/4): E[x] = -1/4 + 9/4 = 2; sd of the mean ≈ 1.8/√20000 ≈ 0.013.
    assert abs(x.mean().item() - 2.0) < 0.07
    assert (make_sampler("gmm1d", weights=[1, 0]).sample(200) < 0).all()  # only the mode at -2


def test_swissroll_without_noise_lies_on_the_roll():
    torch.manual_seed(0)
    p = make_sampler("swissroll", noise=0).sample(500).double() * 5  # undo the /5
    t = p.norm(dim=1)  # |t (cos t, sin t)| = t
    assert t.min() >= 1.5 * math.pi - 1e-4 and t.max() <= 4.5 * math.pi + 1e-4
    assert torch.allclose(p, t[:, None] * torch.stack([t.cos(), t.sin()], 1), atol=1e-4)


def test_moons_without_noise_lie_on_two_half_circles():
    torch.manual_seed(0)
    p = make_sampler("moons", noise=0).sample(500).double() + torch.tensor([0.5, 0.25], dtype=torch.float64)
    on_upper = ((p.norm(dim=1) - 1).abs() < 1e-5) & (p[:, 1] >= -1e-6)
    on_lower = (((p - torch.tensor([1.0, 0.5], dtype=torch.float64)).norm(dim=1) - 1).abs() < 1e-5) & (
        p[:, 1] <= 0.5 + 1e-6)
    assert (on_upper | on_lower).all()
    assert on_upper.sum() > 150 and on_lower.sum() > 150  # both moons drawn, about half each


def test_spiral_without_noise_lies_on_the_arm():
    torch.manual_seed(0)
    p = make_sampler("spiral", noise=0, turns=1.5, radius=3.0).sample(500).double()
    s = p.norm(dim=1) / 3.0  # r = radius·s
    angle = 2 * math.pi * 1.5 * s
    assert s.max() <= 1 + 1e-6
    assert torch.allclose(p, 3.0 * s[:, None] * torch.stack([angle.cos(), angle.sin()], 1), atol=1e-4)


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_samples_and_only_torch_rng_matters(name):
    sampler = make_sampler(name)
    torch.manual_seed(123)
    np.random.seed(1), random.seed(1)
    first = sampler.sample(64)
    torch.manual_seed(123)
    np.random.seed(2), random.seed(2)
    assert torch.equal(sampler.sample(64), first)
    assert not torch.equal(sampler.sample(64), first)  # the global torch stream moved on


@pytest.mark.parametrize("name", ALL)
def test_resume_from_saved_rng_state_continues_identically(name):
    sampler = make_sampler(name)
    torch.manual_seed(7)
    sampler.sample(10)
    state = torch.get_rng_state()
    expected = [sampler.sample(32) for _ in range(3)]
    torch.manual_seed(999)  # a "restarted process" with some other state
    torch.set_rng_state(state)
    for batch in expected:
        assert torch.equal(sampler.sample(32), batch)


def test_unknown_name_lists_known_names():
    with pytest.raises(GankitError, match=r"unknown toy distribution 'ring9'.*circle.*grid25"):
        make_sampler("ring9")


@pytest.mark.parametrize("name, params, words", [
    ("grid25", {"sigma": 0.1}, r"unknown parameter 'sigma'.*n_per_side, spacing, std"),
    ("ring8", {"std": -0.01}, r"ring8: std must be a finite number > 0, got -0.01"),
    ("ring8", {"std": float("nan")}, r"std must be a finite number > 0"),
    ("ring8", {"n_modes": 0}, r"n_modes must be an integer >= 1, got 0"),
    ("circle", {"n_points": 0}, r"circle: n_points must be an integer >= 1, got 0"),
    ("circle", {"n_points": 2.5}, r"n_points must be an integer >= 1"),
    ("circle", {"n_points": True}, r"n_points must be an integer >= 1"),
    ("circle", {"radius": 0}, r"radius must be a finite number > 0"),
    ("quadratic", {"scale": "big"}, r"scale must be a finite number > 0, got 'big'"),
    ("swissroll", {"noise": -1}, r"noise must be a finite number >= 0, got -1"),
    ("spiral", {"turns": 0}, r"turns must be a finite number > 0"),
    ("gmm1d", {"stds": [0.3]}, r"must have the same length, got 2, 1, 2"),
    ("gmm1d", {"stds": [0.3, -1]}, r"stds\[1\] must be a finite number > 0"),
    ("gmm1d", {"weights": [0, 0]}, r"weights must not all be 0"),
    ("gmm1d", {"means": []}, r"means must be a non-empty list of numbers"),
])
def test_bad_parameters_name_the_parameter(name, params, words):
    with pytest.raises(GankitError, match=words):
        make_sampler(name, **params)


def test_bad_sample_count():
    with pytest.raises(GankitError, match=r"sample count must be an integer >= 0, got -1"):
        make_sampler("circle").sample(-1)

import numpy as np
import pytest
import torch

from gankit.errors import GankitError
from gankit.metrics import memorisation
from gankit.metrics.prdc import density_coverage, prdc, precision_recall


def _ring_of_clusters(n_modes: int, per_mode: int, rng: np.random.Generator) -> np.ndarray:
    """(n_modes * per_mode, 2) tight clusters (std 0.1) on a circle of radius 10, mode by mode."""
    angles = 2 * np.pi * np.arange(10) / 10
    centres = 10 * np.stack([np.cos(angles), np.sin(angles)], axis=1)[:n_modes]  # (n_modes, 2)
    return np.repeat(centres, per_mode, axis=0) + 0.1 * rng.standard_normal((n_modes * per_mode, 2))


def test_hand_computed_one_dimensional_example():
    # real 0 1 2 6 7, fake 0.5 3 9 10, k = 1.
    # real radii (1-NN among reals): 1 1 1 1 1;  fake radii: 2.5 2.5 1 1.
    # fake 0.5 lies in the balls of reals 0 and 1; fake 3 lies on the surface of real 2's ball
    # (|3-2| = 1, closed ball counts); fakes 9, 10 are 2 and 3 from real 7: outside.
    #   precision = 2/4, density = (2 + 1) / (1 * 4) = 3/4, coverage = reals 0 1 2 hit = 3/5.
    # reals 0, 1, 2 lie within 2.5 of fake 0.5 or 3; real 6 is 3 from fakes 3 and 9
    # (radii 2.5, 1); real 7 is 2 from fake 9 (radius 1) and 4 from fake 3: recall = 3/5.
    real = np.array([[0.0], [1.0], [2.0], [6.0], [7.0]])
    fake = np.array([[0.5], [3.0], [9.0], [10.0]])
    expected = {"precision": 0.5, "recall": 0.6, "density": 0.75, "coverage": 0.6}
    assert prdc(real, fake, k=1) == pytest.approx(expected, abs=1e-12)


def test_identical_sets_score_one():
    x = np.random.default_rng(0).standard_normal((300, 3)) + 50.0  # offset: rounding must not matter
    scores = prdc(x, torch.from_numpy(x), k=5)
    # each fake is also a ball centre, so it sits in its own ball plus those of whose k nearest
    # neighbours it is: Σ_j hits = N (k + 1), density = (k + 1)/k.
    expected = {"precision": 1.0, "recall": 1.0, "density": 6 / 5, "coverage": 1.0}
    assert scores == pytest.approx(expected, abs=1e-12)


def test_independent_sample_of_the_same_distribution_scores_near_one():
    rng = np.random.default_rng(1)
    n = m = 1000
    k = 5
    scores = prdc(rng.standard_normal((n, 2)), rng.standard_normal((m, 2)), k=k)
    assert scores["precision"] > 0.97 and scores["recall"] > 0.97
    assert scores["density"] == pytest.approx(1.0, abs=0.05)  # E[density] = 1 (Naeem et al. 2020)
    # a real misses coverage iff its k nearest among the other N-1+M iid points are all real:
    # E[coverage] = 1 - C(N-1, k) / C(N-1+M, k) ≈ 1 - 2^-k (Naeem et al. 2020); spread ≈ 0.007 here
    expected_coverage = 1 - np.prod([(n - 1 - i) / (n - 1 + m - i) for i in range(k)])
    assert scores["coverage"] == pytest.approx(expected_coverage, abs=0.03)


def test_disjoint_far_sets_score_zero():
    rng = np.random.default_rng(2)
    real, fake = rng.standard_normal((100, 4)), rng.standard_normal((80, 4)) + 100.0
    assert prdc(real, fake, k=3) == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_fake_covering_half_the_modes():
    rng = np.random.default_rng(3)
    real = _ring_of_clusters(10, 200, rng)
    fake = _ring_of_clusters(5, 200, rng)  # the first 5 of the same 10 modes
    scores = prdc(real, fake, k=5)
    assert scores["precision"] > 0.95
    assert scores["recall"] == pytest.approx(0.5, abs=0.03)
    assert scores["coverage"] == pytest.approx(0.5, abs=0.03)
    assert scores["density"] == pytest.approx(1.0, abs=0.1)


def test_split_functions_agree_with_prdc_and_blocks_do_not_matter(monkeypatch):
    rng = np.random.default_rng(4)
    real, fake = rng.standard_normal((120, 3)), rng.standard_normal((90, 3)) * 1.3
    whole = prdc(real, fake, k=4)
    monkeypatch.setattr(memorisation, "DISTANCE_BLOCK_ELEMENTS", 4000)  # 2 to 4 row blocks
    assert prdc(real, fake, k=4) == whole
    assert precision_recall(real, fake, k=4) == {"precision": whole["precision"], "recall": whole["recall"]}
    assert density_coverage(real, fake, k=4) == {"density": whole["density"], "coverage": whole["coverage"]}


@pytest.mark.parametrize("call", [
    lambda: prdc(np.zeros((5, 2)), np.zeros((5, 3))),
    lambda: prdc(np.zeros((5, 2)), np.zeros((9, 2)), k=5),  # k must be < number of reals
    lambda: precision_recall(np.zeros((9, 2)), np.zeros((3, 2)), k=3),  # recall needs k < fakes
    lambda: density_coverage(np.zeros((9, 2)), np.zeros((9, 2)), k=0),
])
def test_bad_inputs_raise_gankit_error(call):
    with pytest.raises(GankitError):
        call()


def test_numpy_integer_k_is_an_integer():
    """k=np.int64(3) (from array arithmetic) was refused as 'must be an integer'."""
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((40, 3)), rng.standard_normal((40, 3))
    assert precision_recall(real, fake, k=np.int64(3)) == precision_recall(real, fake, k=3)
    assert density_coverage(real, fake, k=np.int32(5)) == density_coverage(real, fake, k=5)

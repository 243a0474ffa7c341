import numpy as np
import pytest
import torch

from gankit.errors import GankitError
from gankit.metrics import memorisation
from gankit.metrics.memorisation import memorisation_summary, nearest_neighbours


def _brute_force(query: np.ndarray, reference: np.ndarray, k: int, exclude_self: bool = False):
    distances, indices = [], []
    for i, q in enumerate(query):
        row = [(float(np.sqrt(np.sum((q - r) ** 2))), j) for j, r in enumerate(reference)
               if not (exclude_self and i == j)]
        row.sort()
        distances.append([d for d, _ in row[:k]])
        indices.append([j for _, j in row[:k]])
    return np.array(distances), np.array(indices)


@pytest.mark.parametrize("k", [1, 3])
def test_matches_brute_force_across_blocks(monkeypatch, k):
    rng = np.random.default_rng(0)
    fake, train = rng.standard_normal((23, 5)), rng.standard_normal((17, 5))
    monkeypatch.setattr(memorisation, "DISTANCE_BLOCK_ELEMENTS", 50)  # 2 rows per block
    distances, indices = nearest_neighbours(torch.from_numpy(fake).float(), train, k=k)
    expected_distances, expected_indices = _brute_force(fake.astype(np.float32).astype(np.float64), train, k)
    assert distances.shape == indices.shape == (23, k)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-10)


def test_exclude_self_skips_the_point_by_index_but_keeps_duplicates(monkeypatch):
    rng = np.random.default_rng(1)
    points = rng.standard_normal((12, 3))
    points[7] = points[2]  # exact duplicate: a genuine neighbour at distance 0
    monkeypatch.setattr(memorisation, "DISTANCE_BLOCK_ELEMENTS", 30)
    distances, indices = nearest_neighbours(points, points, k=2, exclude_self=True)
    expected_distances, _ = _brute_force(points, points, 2, exclude_self=True)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-10, atol=1e-7)
    # indices may order the tied pair 2 / 7 either way, but must point at rows that far away
    np.testing.assert_allclose(np.linalg.norm(points[indices] - points[:, None], axis=2), distances,
                               rtol=1e-10, atol=1e-7)
    assert indices[2, 0] == 7 and indices[7, 0] == 2 and distances[2, 0] < 1e-7
    assert np.all(indices != np.arange(12)[:, None])


def test_summary_matches_brute_force():
    rng = np.random.default_rng(2)
    fake, train = rng.standard_normal((30, 4)), rng.standard_normal((40, 4))
    fake[0] = train[5]  # a memorised sample
    nearest = _brute_force(fake, train, 1)[0][:, 0]
    summary = memorisation_summary(fake, train)
    assert summary == pytest.approx({"nn_min": nearest.min(), "nn_median": np.median(nearest),
                                     "nn_mean": nearest.mean()}, rel=1e-9, abs=1e-7)
    assert summary["nn_min"] < 1e-6


@pytest.mark.parametrize("call", [
    lambda: nearest_neighbours(np.zeros((3, 2)), np.zeros((4, 3))),
    lambda: nearest_neighbours(np.zeros((3, 2)), np.zeros((4, 2)), k=5),
    lambda: nearest_neighbours(np.zeros((4, 2)), np.zeros((4, 2)), k=4, exclude_self=True),
    lambda: nearest_neighbours(np.zeros((3, 2)), np.zeros((4, 2)), exclude_self=True),
    lambda: memorisation_summary(np.zeros((0, 2)), np.zeros((4, 2))),
])
def test_bad_inputs_raise_gankit_error(call):
    with pytest.raises(GankitError):
        call()


def test_numpy_integer_k_is_an_integer():
    rng = np.random.default_rng(0)
    fake, train = rng.standard_normal((5, 3)), rng.standard_normal((9, 3))
    distances, indices = nearest_neighbours(fake, train, k=np.int64(2))  # was: "k must be an integer"
    np.testing.assert_array_equal(indices, nearest_neighbours(fake, train, k=2)[1])
    assert distances.shape == (5, 2)

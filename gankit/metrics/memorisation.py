"""Exact nearest-neighbour distances between feature sets, and a memorisation summary.

A generator that copies its training set puts fakes at (near) zero distance from training points;
the distribution of each fake's distance to its nearest training sample shows that at a glance.
Distances are exact Euclidean (torch.cdist in float64), computed in row blocks so that
10,000 × 10,000 pairs never sit in memory at once. `prdc.py` reuses the same blocks.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from gankit.errors import GankitError
from gankit.metrics.frechet import as_feature_matrix, check_same_width, is_integer

# At most this many pairwise distances are held at once: 2**24 float64 = 128 MiB per block.
DISTANCE_BLOCK_ELEMENTS = 2**24


def distance_blocks(query: np.ndarray, reference: np.ndarray) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield (first query row, Euclidean distances (rows, N) to all N reference rows), in order."""
    reference_t = torch.from_numpy(np.ascontiguousarray(reference, dtype=np.float64))  # (N, D)
    rows_per_block = max(1, DISTANCE_BLOCK_ELEMENTS // len(reference))
    for start in range(0, len(query), rows_per_block):
        block = torch.from_numpy(np.ascontiguousarray(query[start:start + rows_per_block], dtype=np.float64))
        yield start, torch.cdist(block, reference_t)  # (rows, N)


def nearest_neighbours(fake: object, train: object, k: int = 1, *,
                       exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """k nearest `train` rows of each `fake` row → distances (M, k) ascending, indices (M, k).

    exclude_self: `fake` and `train` are the same set; row i may not be its own neighbour
    (by index, so an exact duplicate at another index still counts, at distance 0).
    """
    query = as_feature_matrix(fake, "fake")
    reference = as_feature_matrix(train, "train")
    check_same_width(query, reference, "fake", "train")
    if exclude_self and query.shape != reference.shape:
        raise GankitError(f"exclude_self needs one set passed twice, "
                          f"got shapes {query.shape} and {reference.shape}")
    available = len(reference) - (1 if exclude_self else 0)
    if not is_integer(k) or not 1 <= k <= available:
        raise GankitError(f"k must be an integer in [1, {available}] for {len(reference)} reference rows, "
                          f"got {k!r}")
    k = int(k)
    distances = np.empty((len(query), k))
    indices = np.empty((len(query), k), dtype=np.int64)
    for start, block in distance_blocks(query, reference):
        rows = torch.arange(len(block))
        if exclude_self:
            block[rows, start + rows] = torch.inf  # a point is not its own neighbour
        nearest = torch.topk(block, k, dim=1, largest=False, sorted=True)
        distances[start:start + len(block)] = nearest.values.numpy()
        indices[start:start + len(block)] = nearest.indices.numpy()
    return distances, indices


def memorisation_summary(fake: object, train: object) -> dict[str, float]:
    """Min / median / mean distance from each fake to its nearest training sample."""
    distances, _ = nearest_neighbours(fake, train, k=1)
    nearest = distances[:, 0]  # (M,)
    return {"nn_min": float(nearest.min()), "nn_median": float(np.median(nearest)),
            "nn_mean": float(nearest.mean())}

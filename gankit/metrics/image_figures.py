"""The memorisation picture: the generated images closest to a training image, above their match.

If a generator copies its training set, the top row and the bottom row of this figure are the
same pictures (distance ~0 in feature space); a healthy generator's closest pairs are merely alike.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gankit.data.images import convert_channels
from gankit.viz.grid import save_image_grid

PAIRS = 8           # columns of the figure
CELL_PIXELS = 84    # small images are enlarged (nearest neighbour) to about this size


def save_nearest_neighbours(distance: np.ndarray, index: np.ndarray, fake_images: torch.Tensor,
                            train_images: torch.Tensor, path: str | Path, pairs: int = PAIRS) -> Path:
    """Top row: the `pairs` generated images nearest to the training set (closest first); bottom row:
    the training image each is nearest to. distance, index (M,): each fake's nearest training image
    (gankit.metrics.nearest_neighbours with k = 1); images uint8 (N, C, H, W)."""
    closest = np.argsort(distance, kind="stable")[:pairs]  # (pairs,)
    top = fake_images[torch.from_numpy(closest)]
    bottom = train_images[torch.from_numpy(index[closest])]
    images = torch.cat([top, bottom])  # (2 * pairs, C, H, W)
    if images.shape[1] != 1:  # the grid writer shows grey or RGB; RGBA is composited over black
        images = convert_channels(images, 3)
    scale = max(1, CELL_PIXELS // max(images.shape[2:]))
    return save_image_grid(images.numpy(), path, nrow=len(top), scale=scale)

"""Tests for gankit/metrics/image_figures.py: the nearest-neighbour picture puts the closest fakes on
top (closest first, ties in input order) above the training image each one matched, enlarges small
images to about 84 pixels, and composites RGBA over black."""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from gankit.metrics.image_figures import save_nearest_neighbours

PAD = 2  # the grid writer's padding around every cell


def flat(values, channels: int = 1, size: int = 4) -> torch.Tensor:
    """One uniformly coloured image per value (per channel when values are tuples)."""
    t = torch.tensor(values, dtype=torch.uint8).view(len(values), channels, 1, 1)
    return t.expand(-1, channels, size, size).contiguous()


def cell_centres(path, size: int, scale: int, columns: int) -> np.ndarray:
    """(2, columns, ...) pixel values at the centre of each cell of the saved 2-row figure."""
    picture = np.asarray(Image.open(path))
    assert picture.shape[:2] == ((2 * (size + PAD) + PAD) * scale, (columns * (size + PAD) + PAD) * scale)
    centre = lambda k: (PAD + k * (size + PAD) + size // 2) * scale  # noqa: E731
    return np.array([[picture[centre(r), centre(c)] for c in range(columns)] for r in range(2)])


def test_closest_fakes_first_above_their_training_match(tmp_path):
    fakes = flat([10 * i for i in range(10)])            # fake i is grey level 10 i
    train = flat([200, 210, 220, 230, 240])               # training image j is grey level 200 + 10 j
    distance = np.array([5.0, 0.5, 9.0, 0.1, 3.0, 0.5, 7.0, 8.0, 6.0, 4.0])
    index = np.array([0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
    path = save_nearest_neighbours(distance, index, fakes, train, tmp_path / "nn.png")
    assert path == tmp_path / "nn.png" and Image.open(path).mode == "L"
    closest = [3, 1, 5, 4, 9, 0, 8, 6]                    # by distance; 1 before 5 (a tie, input order)
    cells = cell_centres(path, size=4, scale=84 // 4, columns=8)
    assert cells[0].tolist() == [10 * i for i in closest]
    assert cells[1].tolist() == [200 + 10 * index[i] for i in closest]


def test_fewer_fakes_than_pairs_give_fewer_columns(tmp_path):
    fakes, train = flat([0, 100, 50]), flat([7, 9])
    path = save_nearest_neighbours(np.array([2.0, 1.0, 3.0]), np.array([1, 0, 1]), fakes, train, tmp_path / "nn.png",
                                   pairs=8)
    cells = cell_centres(path, size=4, scale=21, columns=3)
    assert cells.tolist() == [[100, 0, 50], [7, 9, 9]]


def test_large_images_are_not_enlarged(tmp_path):
    fakes, train = flat([1, 2], size=90), flat([3], size=90)
    path = save_nearest_neighbours(np.array([1.0, 0.0]), np.array([0, 0]), fakes, train, tmp_path / "nn.png")
    assert cell_centres(path, size=90, scale=1, columns=2).tolist() == [[2, 1], [3, 3]]


def test_rgba_images_are_shown_as_rgb_over_black(tmp_path):
    fakes = flat([(200, 100, 50, 255), (200, 100, 50, 0)], channels=4)
    train = flat([(10, 20, 30, 51)], channels=4)          # 20 % opaque
    path = save_nearest_neighbours(np.array([0.0, 1.0]), np.array([0, 0]), fakes, train, tmp_path / "nn.png")
    assert Image.open(path).mode == "RGB"
    cells = cell_centres(path, size=4, scale=21, columns=2)
    assert cells[0].tolist() == [[200, 100, 50], [0, 0, 0]]  # opaque as is; transparent -> black
    assert cells[1].tolist() == [[2, 4, 6], [2, 4, 6]]        # colour x alpha / 255

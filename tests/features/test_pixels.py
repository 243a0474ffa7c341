"""Tests for gankit/features/pixels.py beyond the basic values (tests/features/test_extractors.py):
images keep their own size and channels (RGBA included), features do not depend on the batch split,
distances are pixel distances, and the setup record names the feature width and no weights."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gankit.features import get_extractor


def images(n: int, channels: int, size: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (n, channels, size, size), dtype=torch.uint8,
                         generator=torch.Generator().manual_seed(seed))


def test_rgba_and_odd_sizes_are_kept_as_they_are():
    batch = images(3, channels=4, size=7)
    features = get_extractor("pixels").extract(batch).features
    assert features.shape == (3, 4 * 7 * 7) and features.dtype == np.float32
    np.testing.assert_allclose(features[:, -49:], batch[:, 3].flatten(1).numpy() / 255.0, rtol=1e-6)  # alpha last


def test_features_do_not_depend_on_the_batch_split():
    batch = images(11, channels=1, size=6)
    extractor = get_extractor("pixels")
    whole = extractor.extract(batch).features
    split = extractor.extract(batch, batch_size=4).features  # 4 + 4 + 3
    np.testing.assert_array_equal(whole, split)


def test_feature_distance_is_the_pixel_distance_over_255():
    black, grey = torch.zeros(1, 1, 2, 2, dtype=torch.uint8), torch.full((1, 1, 2, 2), 51, dtype=torch.uint8)
    features = get_extractor("pixels").extract(torch.cat([black, grey])).features
    assert np.linalg.norm(features[0] - features[1]) == pytest.approx(0.4, rel=1e-6)  # sqrt(4 * (51/255)^2)


def test_setup_record_names_the_width_seen_no_weights_and_no_resizing():
    extractor = get_extractor("pixels")
    extractor.extract(images(2, channels=3, size=5))
    record = extractor.describe()
    assert record["features"] == "pixels" and record["weights_sha256"] is None
    assert record["feature_dim"] == 75 and record["input_shape"] is None
    assert record["pixel_range"].startswith("[0, 1]")

"""What every extractor promises: uint8 in, deterministic (N, D) features out, the same preprocessing
for any batch split, and clear errors for anything else."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gankit.errors import GankitError
from gankit.features import default_extractor, get_extractor
from gankit.features.base import check_pixels


def _images(n: int, channels: int = 1, size: int = 28, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (n, channels, size, size), generator=torch.Generator().manual_seed(seed),
                         dtype=torch.uint8)


def test_pixels_are_the_flattened_image_over_255():
    images = _images(4, channels=3, size=5)
    out = get_extractor("pixels").extract(images)
    assert out.features.shape == (4, 75) and out.probs is None
    np.testing.assert_allclose(out.features, images.flatten(1).numpy() / 255.0, rtol=1e-6)


def test_classifier_features_are_deterministic_and_independent_of_the_batch_split():
    extractor = get_extractor("classifier:fashion-mnist")
    images = _images(23)
    first, again = extractor.extract(images), extractor.extract(images)
    np.testing.assert_array_equal(first.features, again.features)
    np.testing.assert_array_equal(first.probs, again.probs)
    split = extractor.extract(images, batch_size=5)  # eval mode: no example depends on its batch-mates
    np.testing.assert_allclose(split.features, first.features, rtol=1e-5, atol=1e-5)
    assert first.features.shape == (23, 128) and first.probs.shape == (23, 10)
    np.testing.assert_allclose(first.probs.sum(axis=1), 1.0, atol=1e-12)


def test_classifier_converts_other_sizes_and_channels_to_its_input():
    extractor = get_extractor("classifier:fashion-mnist")
    rgb = _images(3, channels=3, size=32)
    grey = (rgb.float() * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    out_rgb = extractor.extract(rgb).features
    out_grey = extractor.extract(grey.round().to(torch.uint8)).features
    assert out_rgb.shape == (3, 128)
    np.testing.assert_allclose(out_rgb, out_grey, rtol=1e-5, atol=1e-5)  # RGB -> luma first, then resize


@pytest.mark.parametrize("bad", [torch.rand(2, 1, 28, 28), torch.zeros(2, 28, 28, dtype=torch.uint8),
                                 torch.zeros(0, 1, 28, 28, dtype=torch.uint8),
                                 torch.zeros(2, 2, 28, 28, dtype=torch.uint8), [1, 2, 3]])
def test_anything_but_uint8_nchw_images_is_refused(bad):
    with pytest.raises(GankitError, match="feature extraction"):
        check_pixels(bad)


def test_channels_last_images_get_a_hint():
    """NHWC images read as '28 channels': the message now shows the shape and the layout expected."""
    with pytest.raises(GankitError, match=r"shaped \(2, 28, 28, 3\) have 28 channels \(channels last\? expected "
                                          r"\(N, C, H, W\)\); expected 1, 3 or 4"):
        check_pixels(torch.zeros(2, 28, 28, 3, dtype=torch.uint8))
    with pytest.raises(GankitError, match=r"have 2 channels; expected"):
        check_pixels(torch.zeros(2, 2, 28, 28, dtype=torch.uint8))


def test_unknown_names_list_what_exists():
    with pytest.raises(GankitError, match="classifier:<dataset"):
        get_extractor("vgg16")
    with pytest.raises(GankitError, match="unknown feature extractor"):
        get_extractor("classifier:")


def test_describe_names_the_weights_by_hash():
    described = get_extractor("classifier:fashion-mnist").describe()
    assert described["features"] == "classifier:fashion-mnist"
    assert len(described["weights_sha256"]) == 64 and described["feature_dim"] == 128
    assert described["input_shape"] == [1, 28, 28]
    assert get_extractor("pixels").describe()["weights_sha256"] is None


def test_default_extractor_is_the_shipped_classifier_only():
    assert default_extractor("fashion-mnist") == "classifier:fashion-mnist"
    assert default_extractor("celeba") is None


def test_extraction_reports_progress_only_when_asked(monkeypatch):
    from tests.progress_recorder import record_progress

    seen = record_progress(monkeypatch)
    extractor = get_extractor("pixels")
    extractor.extract(_images(10, size=4), batch_size=4, progress=True)
    assert seen == [(10, True, "features"), (4, []), (8, []), (10, [])]
    seen.clear()
    extractor.extract(_images(10, size=4), batch_size=4)  # during training: the trainer's bar is on screen
    assert seen[0] == (10, False, "features")


@pytest.mark.parametrize("spec", ["pixels", "classifier:fashion-mnist"])
@pytest.mark.parametrize("shape", [(2, 1, 0, 0), (2, 1, 5, 0), (2, 3, 0, 7)])
def test_images_without_pixels_are_refused(spec, shape):
    """Were a ZeroDivisionError (classifier: resizing) or numpy's zero-size reduction error (pixels)."""
    with pytest.raises(GankitError, match=r"with N, H, W >= 1, got torch.uint8"):
        get_extractor(spec).extract(torch.zeros(shape, dtype=torch.uint8))


@pytest.mark.parametrize("batch_size", [0, -1, 2.5])
def test_a_batch_size_below_one_is_refused(batch_size):
    with pytest.raises(GankitError, match="batch_size must be an integer >= 1"):  # was range()'s ValueError
        get_extractor("pixels").extract(_images(3, size=4), batch_size=batch_size)

"""Tests for gankit/viz/features.py (d_features, value_function; also importable from discriminator)."""
import math
import warnings

import numpy as np
import pytest
from matplotlib.axes import Axes

from gankit.errors import GankitError
from gankit.viz import discriminator
from gankit.viz.features import EPS, d_features, value_function

DPI = 20


@pytest.fixture
def feature_sets():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(30, 2))
    return real, rng.normal(3.0, 1.0, size=(20, 2)), real + 0.1, rng.normal(1.0, 1.0, size=(20, 2))


def test_functions_are_reexported_from_discriminator():
    assert discriminator.d_features is d_features
    assert discriminator.value_function is value_function


def test_d_features_marks_each_centroid_in_both_panels(tmp_path, feature_sets, open_image, spy):
    scatter_calls = spy(Axes, "scatter")
    title_calls = spy(Axes, "set_title")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = d_features(*feature_sets, tmp_path / "features.png", step=42, dpi=DPI)
    assert open_image(path) == ((200, 96), "RGBA", "PNG")  # 10 x 4.8 inches at 20 dpi
    real_before, fake_before, real_after, fake_after = feature_sets

    def centroids(marker):
        return [np.array(call.args) for call in scatter_calls
                if call.kwargs.get("marker") == marker and call.kwargs.get("facecolors") != "none"]
    np.testing.assert_allclose(centroids("X"), [real_before.mean(0), real_after.mean(0)])
    np.testing.assert_allclose(centroids("*"), [fake_before.mean(0), fake_after.mean(0)])
    titles = [call.args[0] for call in title_calls]
    distance = np.linalg.norm(real_before.mean(0) - fake_before.mean(0))
    assert titles[0] == f"before G update: ‖μ_real − μ_fake‖ = {distance:.3g}"
    assert titles[1].startswith("after G update")


def test_d_features_needs_two_dimensional_features(tmp_path, feature_sets):
    real_before, fake_before, real_after, _ = feature_sets
    with pytest.raises(GankitError, match="fake_after"):
        d_features(real_before, fake_before, real_after, np.zeros((5, 3)), tmp_path / "f.png", step=1)


def test_value_function_puts_the_batch_on_the_curves_and_clips_without_warnings(tmp_path, open_image, spy):
    scatter_calls = spy(Axes, "scatter")
    d_real = np.array([0.0, 0.5, 0.9, 1.0])  # 0 and 1 would give infinite losses unclipped
    d_fake = np.array([[0.0], [0.2], [1.0]])  # (M, 1) is fine too
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero or log(0) warnings
        path = value_function(d_real, d_fake, tmp_path / "value.png", dpi=DPI)
    assert open_image(path) == ((130, 90), "RGBA", "PNG")
    (real_x, real_y), (fake_x, fake_y) = (call.args for call in scatter_calls)
    np.testing.assert_allclose(real_x, [EPS, 0.5, 0.9, 1 - EPS])
    np.testing.assert_allclose(real_y, [-math.log(EPS), math.log(2), -math.log(0.9), -math.log(1 - EPS)])
    np.testing.assert_allclose(fake_y, [-math.log(1 - EPS), -math.log(0.8), -math.log(EPS)], rtol=1e-6)
    assert np.isfinite(real_y).all() and np.isfinite(fake_y).all()


@pytest.mark.parametrize("bad", [[1.5], [-0.1], [np.nan], []])
def test_value_function_rejects_non_probabilities(tmp_path, bad):
    with pytest.raises(GankitError, match="d_fake"):
        value_function([0.5], bad, tmp_path / "v.png", dpi=DPI)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_old_file(feature_sets, existing_file, broken_savefig, assert_untouched):
    with pytest.raises(OSError):
        d_features(*feature_sets, existing_file, step=0, dpi=DPI)
    with pytest.raises(OSError):
        value_function([0.3], [0.6], existing_file, dpi=DPI)
    assert_untouched(existing_file)

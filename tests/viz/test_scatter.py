"""Tests for gankit/viz/scatter.py."""
import warnings

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gankit.errors import GankitError
from gankit.viz.scatter import scatter_limits, scatter_points, scatter_real_fake

DPI = 20


@pytest.fixture
def clouds():
    rng = np.random.default_rng(0)
    return rng.normal(size=(50, 2)), rng.normal(1.0, 0.5, size=(40, 2))


def test_scatter_limits_add_margin_times_range():
    real = np.array([[0.0, 0.0], [10.0, 2.0]])
    (x_limits, y_limits) = scatter_limits(real, margin=0.1)
    assert x_limits == pytest.approx((-1.0, 11.0))
    assert y_limits == pytest.approx((-0.2, 2.2))


def test_scatter_limits_give_a_constant_column_a_unit_window():
    real = np.array([[3.0, 0.0], [3.0, 1.0]])
    (x_limits, _) = scatter_limits(real, margin=0.5)
    assert x_limits == pytest.approx((2.5, 3.5))


def test_scatter_limits_reject_negative_margin():
    with pytest.raises(GankitError, match="margin"):
        scatter_limits(np.zeros((2, 2)), margin=-0.1)


def test_scatter_real_fake_writes_png(tmp_path, clouds, open_image, spy):
    scatter_calls = spy(Axes, "scatter")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = scatter_real_fake(*clouds, tmp_path / "step.png", title="step 10", dpi=DPI)
    assert open_image(path) == ((110, 100), "RGBA", "PNG")  # 5.5 x 5 inches at 20 dpi
    assert [call.kwargs["c"] for call in scatter_calls] == ["black", "red"]  # real black, generated red
    np.testing.assert_array_equal(scatter_calls[1].args[0], clouds[1][:, 0])


def test_scatter_real_fake_uses_given_limits(tmp_path, clouds, spy):
    subplot_calls = spy(Figure, "add_subplot")
    scatter_real_fake(*clouds, tmp_path / "fixed.png", limits=((-5, 5), (-1, 2)), dpi=DPI)
    ax = subplot_calls[0].result
    assert ax.get_xlim() == (-5.0, 5.0)
    assert ax.get_ylim() == (-1.0, 2.0)
    assert ax.get_aspect() == 1.0  # equal aspect


def test_scatter_real_fake_notes_points_outside_fixed_limits(tmp_path, spy):
    text_calls = spy(Axes, "text")
    real, fake = np.zeros((5, 2)), np.array([[0.0, 0.0], [9.0, 0.0], [0.0, -9.0]])
    scatter_real_fake(real, fake, tmp_path / "out.png", limits=((-1, 1), (-1, 1)), dpi=DPI)
    assert any("2 generated point(s) outside" in call.args[2] for call in text_calls)


def test_one_dimensional_data_is_drawn_as_histograms(tmp_path, spy, open_image):
    hist_calls, scatter_calls = spy(Axes, "hist"), spy(Axes, "scatter")
    rng = np.random.default_rng(1)
    path = scatter_real_fake(rng.normal(size=(30, 1)), rng.normal(size=(20, 1)), tmp_path / "h.png", dpi=DPI)
    assert len(hist_calls) == 2 and scatter_calls == []
    np.testing.assert_array_equal(hist_calls[0].kwargs["bins"], hist_calls[1].kwargs["bins"])  # shared bins
    assert open_image(path)[1] == "RGBA"


def test_scatter_real_fake_rejects_mismatched_columns(tmp_path):
    with pytest.raises(GankitError, match="fake"):
        scatter_real_fake(np.zeros((3, 2)), np.zeros((3, 1)), tmp_path / "x.png", dpi=DPI)
    with pytest.raises(GankitError, match="real"):
        scatter_real_fake(np.zeros((3, 3)), np.zeros((3, 3)), tmp_path / "x.png", dpi=DPI)
    assert list(tmp_path.iterdir()) == []


def test_scatter_points_writes_png(tmp_path, clouds, open_image):
    path = scatter_points(clouds[1], tmp_path / "generated.png", title="samples", dpi=DPI)
    assert open_image(path)[0] == (110, 100)


def test_failed_write_keeps_the_old_file(clouds, existing_file, broken_savefig, assert_untouched):
    with pytest.raises(OSError):
        scatter_real_fake(*clouds, existing_file, dpi=DPI)
    assert_untouched(existing_file)

"""Tests for gankit/viz/_figure.py: atomic figure saving and the shared input checks."""
import numpy as np
import pytest

from gankit.errors import GankitError
from gankit.viz._figure import as_points, check_limits, marker_size, new_figure, save_figure


def test_save_figure_writes_png_of_the_requested_size(tmp_path, open_image):
    fig = new_figure(2.0, 1.5)
    fig.add_subplot().plot([0, 1], [0, 1])
    path = save_figure(fig, tmp_path / "sub" / "line.png", dpi=20)
    assert open_image(path) == ((40, 30), "RGBA", "PNG")


def test_save_figure_without_suffix_writes_png(tmp_path, open_image):
    path = save_figure(new_figure(1.0, 1.0), tmp_path / "plain", dpi=20)
    assert open_image(path)[2] == "PNG"


def test_save_figure_rejects_unknown_format_and_writes_nothing(tmp_path):
    with pytest.raises(GankitError, match=r"\.xyz"):
        save_figure(new_figure(1.0, 1.0), tmp_path / "plot.xyz", dpi=20)
    assert list(tmp_path.iterdir()) == []


def test_save_figure_failure_keeps_the_old_file(existing_file, broken_savefig, assert_untouched):
    with pytest.raises(OSError, match="simulated"):
        save_figure(new_figure(1.0, 1.0), existing_file, dpi=20)
    assert_untouched(existing_file)


def test_as_points_accepts_vectors_as_one_column():
    assert as_points([1, 2, 3], "x").shape == (3, 1)


@pytest.mark.parametrize("bad", [np.zeros((0, 2)), np.zeros((4, 3)), np.zeros((2, 2, 2)), [[0.0, np.nan]]])
def test_as_points_rejects_bad_arrays(bad):
    with pytest.raises(GankitError, match="bad_name"):
        as_points(bad, "bad_name")


def test_check_limits_normalises_pairs():
    assert check_limits([[0, 1], [-2, 3]], 2) == ((0.0, 1.0), (-2.0, 3.0))
    assert check_limits((0, 1), 1) == ((0.0, 1.0),)  # a bare pair is fine for 1-D data
    assert check_limits(((0, 1),), 1) == ((0.0, 1.0),)


@pytest.mark.parametrize("bad", [((1, 0), (0, 1)), ((0, 1),), "abc", ((0, np.inf), (0, 1)), None])
def test_check_limits_rejects_bad_limits(bad):
    with pytest.raises(GankitError, match="limits"):
        check_limits(bad, 2)


def test_marker_size_shrinks_with_more_points_within_bounds():
    assert marker_size(1) == 20.0
    assert marker_size(10_000) == pytest.approx(4.0)  # 400 / sqrt(10^4)
    assert marker_size(10**8) == 1.0

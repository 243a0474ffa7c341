"""Tests for gankit/viz/discriminator.py."""
import warnings

import numpy as np
import pytest
from matplotlib.axes import Axes

from gankit.errors import GankitError
from gankit.viz.discriminator import d_heatmap, evaluate_d, gan_paper_1d

DPI = 20


class RecordingD:
    """A fake discriminator: remembers its inputs, answers sigmoid(x₁) (crosses 0.5 at x₁ = 0)."""

    def __init__(self):
        self.inputs = []

    def __call__(self, points: np.ndarray) -> np.ndarray:
        self.inputs.append(points.copy())
        return 1.0 / (1.0 + np.exp(-points[:, 0]))


@pytest.fixture
def clouds():
    rng = np.random.default_rng(0)
    return rng.normal(size=(30, 2)), rng.normal(0.5, 1.0, size=(20, 2))


def test_d_heatmap_evaluates_d_once_on_the_grid_over_the_limits(tmp_path, clouds, open_image, spy):
    contour_calls = spy(Axes, "contour")
    d_prob = RecordingD()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = d_heatmap(d_prob, *clouds, ((-2.0, 4.0), (1.0, 3.0)), tmp_path / "heat.png", resolution=7, dpi=DPI)
    assert open_image(path)[1:] == ("RGBA", "PNG")
    (grid,) = d_prob.inputs
    assert grid.shape == (49, 2) and grid.dtype == np.float32
    np.testing.assert_allclose(np.unique(grid[:, 0]), np.linspace(-2.0, 4.0, 7), rtol=1e-6)
    np.testing.assert_allclose(np.unique(grid[:, 1]), np.linspace(1.0, 3.0, 7), rtol=1e-6)
    assert [call.kwargs["levels"] for call in contour_calls] == [[0.5]]  # the decision boundary


def test_d_heatmap_image_is_oriented_with_y_up(tmp_path, clouds, spy):
    imshow_calls = spy(Axes, "imshow")
    d_heatmap(lambda x: (x[:, 1] > 2.0).astype(float), *clouds, ((0, 1), (1, 3)), tmp_path / "h.png",
              resolution=4, dpi=DPI)
    call = imshow_calls[0]
    assert call.kwargs["origin"] == "lower" and call.kwargs["extent"] == (0, 1, 1, 3)
    # row 0 of the image is the lowest y (1.0, D = 0), the last row the highest (3.0, D = 1)
    np.testing.assert_array_equal(call.args[0][:, 0], [0.0, 0.0, 1.0, 1.0])


def test_d_heatmap_without_a_half_level_draws_no_contour(tmp_path, clouds, spy):
    contour_calls = spy(Axes, "contour")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns when a contour level is absent
        d_heatmap(lambda x: np.full(len(x), 0.9), *clouds, ((0, 1), (0, 1)), tmp_path / "flat.png",
                  resolution=5, dpi=DPI)
    assert contour_calls == []


@pytest.mark.parametrize("bad_d, message", [
    (lambda x: np.zeros(3), "returned 3 values"),
    (lambda x: 5.0 * x[:, 0], "outside"),
    (lambda x: np.full(len(x), np.nan), "outside"),
])
def test_bad_d_outputs_are_reported(bad_d, message):
    with pytest.raises(GankitError, match=message):
        evaluate_d(bad_d, np.linspace(-1, 1, 8).reshape(4, 2))


def test_evaluate_d_accepts_a_column_of_probabilities():
    probabilities = evaluate_d(lambda x: np.full((len(x), 1), 0.25), np.zeros((3, 2)))
    np.testing.assert_array_equal(probabilities, [0.25, 0.25, 0.25])


def test_d_heatmap_rejects_bad_arguments(tmp_path, clouds):
    with pytest.raises(GankitError, match="resolution"):
        d_heatmap(RecordingD(), *clouds, ((0, 1), (0, 1)), tmp_path / "x.png", resolution=1)
    with pytest.raises(GankitError, match="limits"):
        d_heatmap(RecordingD(), *clouds, ((0, 1),), tmp_path / "x.png")
    with pytest.raises(GankitError, match="real"):
        d_heatmap(RecordingD(), np.zeros((3, 1)), clouds[1], ((0, 1), (0, 1)), tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("limits", [(-3.0, 2.0), ((-3.0, 2.0),)])
def test_gan_paper_1d_evaluates_d_along_the_x_axis(tmp_path, open_image, limits):
    d_prob = RecordingD()
    rng = np.random.default_rng(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = gan_paper_1d(d_prob, rng.normal(size=(50, 1)), rng.normal(1, 0.3, size=(40, 1)),
                            tmp_path / "fig1.png", limits=limits, resolution=50, dpi=DPI)
    assert open_image(path) == ((140, 80), "RGBA", "PNG")  # 7 x 4 inches at 20 dpi
    (xs,) = d_prob.inputs
    assert xs.shape == (50, 1)
    assert (xs[0, 0], xs[-1, 0]) == (-3.0, 2.0)


def test_gan_paper_1d_line_styles_follow_the_paper(tmp_path, spy):
    plot_calls = spy(Axes, "plot")
    rng = np.random.default_rng(3)
    gan_paper_1d(RecordingD(), rng.normal(size=(50, 1)), rng.normal(size=(40, 1)), tmp_path / "f.png", dpi=DPI)
    styles = [(call.kwargs["color"], call.kwargs["linestyle"]) for call in plot_calls]
    assert styles == [("black", ":"), ("green", "-"), ("blue", "--")]  # data, generator, D


def test_gan_paper_1d_shows_a_collapsed_generator_as_a_point_mass(tmp_path, spy):
    axvline_calls = spy(Axes, "axvline")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a KDE of identical samples would fail; we must not try
        gan_paper_1d(RecordingD(), np.linspace(-1, 1, 20)[:, None], np.full((10, 1), 0.7), tmp_path / "c.png",
                     dpi=DPI)
    assert [call.args[0] for call in axvline_calls] == [0.7]


def test_failed_write_keeps_the_old_file(clouds, existing_file, broken_savefig, assert_untouched):
    with pytest.raises(OSError):
        d_heatmap(RecordingD(), *clouds, ((0, 1), (0, 1)), existing_file, resolution=4, dpi=DPI)
    with pytest.raises(OSError):
        gan_paper_1d(RecordingD(), clouds[0][:, :1], clouds[1][:, :1], existing_file, dpi=DPI)
    assert_untouched(existing_file)

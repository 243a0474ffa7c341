"""Per-class scatter and traversal paths write readable PNGs."""
import numpy as np

from gankit.viz.conditional import labelled_scatter, traversal_paths


def test_labelled_scatter_and_traversal_paths(tmp_path, open_image):
    points = np.random.default_rng(0).normal(size=(30, 2))
    size, _, fmt = open_image(labelled_scatter(points, np.repeat([0, 1, 2], 10), tmp_path / "c.png", title="t"))
    assert fmt == "PNG" and size[0] > 100
    paths = np.cumsum(np.ones((3, 5, 2)), axis=1)
    size, _, fmt = open_image(traversal_paths(paths, tmp_path / "t.png"))
    assert fmt == "PNG" and size[0] > 100

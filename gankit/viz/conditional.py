"""Figures of conditional and code-controlled generators, drawn at each evaluation.

  per-class grid     cgan / acgan: one row per class, the same noise down each column, so a
                     column shows what the label alone changes (vectors: points coloured by class)
  code traversal     infogan: rows = values of the first categorical code, columns = one continuous
                     code swept over [-2, 2], everything else fixed (Chen et al. 2016, fig. 2);
                     vectors: each row is a path through the plane
Files go to `<run>/samples/classes_<step>.png` and `<run>/samples/traversal_c<j>_<step>.png`
(names that the sample animation, which takes `step_*.png`, leaves alone).
The drawing functions take plain arrays; the two entry points take an algorithm.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gankit.viz._figure import PathLike, as_points, marker_size, new_figure, save_figure
from gankit.viz.grid import save_image_grid

IMAGES_PER_ROW = 8
POINTS_PER_CLASS = 200
TRAVERSAL_STEPS = 7


def labelled_scatter(points, groups, path: PathLike, title: str = "", group_name: str = "class") -> Path:
    """2-D (or 1-D) points coloured by their group (class or code value), with a legend."""
    points, groups = as_points(points, "points"), np.asarray(groups)
    if points.shape[1] == 1:
        points = np.concatenate([points, np.zeros_like(points)], axis=1)
    fig = new_figure(5.5, 5)
    ax = fig.add_subplot()
    for i, g in enumerate(np.unique(groups)):
        mine = points[groups == g]
        ax.scatter(mine[:, 0], mine[:, 1], s=marker_size(len(points)), color=_colour(i), label=f"{group_name} {g}")
    ax.set_title(title)
    ax.legend(fontsize="x-small", markerscale=2, ncol=2 if len(np.unique(groups)) > 10 else 1)
    return save_figure(fig, path)


def traversal_paths(paths: np.ndarray, path: PathLike, title: str = "", row_name: str = "code") -> Path:
    """(rows, steps, 2) points: one polyline per row, its start marked, ends labelled -2 and +2."""
    paths = np.asarray(paths, dtype=np.float64)
    fig = new_figure(5.5, 5)
    ax = fig.add_subplot()
    for i, row in enumerate(paths):
        ax.plot(row[:, 0], row[:, 1], "-o", ms=3, color=_colour(i), label=f"{row_name} {i}")
        ax.plot(row[:1, 0], row[:1, 1], "s", ms=6, color=_colour(i))  # the -2 end
    ax.set_title(title)
    ax.legend(fontsize="x-small", ncol=2 if len(paths) > 10 else 1)
    return save_figure(fig, path)


def _colour(i: int) -> tuple:
    """tab10 for the first ten groups (distinct), tab20 beyond (25 modes of grid25, say)."""
    from matplotlib import colormaps

    return colormaps["tab10"](i) if i < 10 else colormaps["tab20"](i % 20)


def _images(algo, x) -> np.ndarray:
    return (algo.info.denormalize(x) / 255.0).clamp(0, 1).cpu().numpy()  # image data units are 0..255


def per_class_figure(algo, step: int, directory: PathLike) -> Path | None:
    """Samples of every class: an image grid with one row per class, or a coloured 2-D scatter."""
    out = Path(directory) / "samples" / f"classes_{step:06d}.png"
    K = algo.num_classes
    if algo.info.kind == "image":
        x = algo.sample_per_class(IMAGES_PER_ROW)  # (K * 8, C, H, W), row k = class k
        return save_image_grid(_images(algo, x), out, nrow=IMAGES_PER_ROW, scale=2)
    if algo.info.shape[0] > 2:
        return None
    x = algo.info.denormalize(algo.sample_per_class(POINTS_PER_CLASS)).cpu().numpy()
    classes = np.repeat(np.arange(K), POINTS_PER_CLASS)
    return labelled_scatter(x, classes, out, title=f"samples by class, step {step}")


def traversal_figures(algo, step: int, directory: PathLike) -> list[Path]:
    """One traversal figure per continuous code (one figure without continuous codes: the categories)."""
    written = []
    for j in range(max(1, algo.continuous)):
        z = algo.traversal_latents(j, TRAVERSAL_STEPS)  # (rows * steps, latent + codes)
        x = algo.sample(len(z), z=z)
        out = Path(directory) / "samples" / f"traversal_c{j}_{step:06d}.png"
        if algo.info.kind == "image":
            written.append(save_image_grid(_images(algo, x), out, nrow=TRAVERSAL_STEPS, scale=2))
        elif algo.info.shape[0] <= 2:
            points = algo.info.denormalize(x).cpu().numpy()
            points = np.pad(points, ((0, 0), (0, 2 - points.shape[1])))
            written.append(traversal_paths(points.reshape(-1, TRAVERSAL_STEPS, 2), out,
                                           title=f"continuous code {j} from -2 to 2, step {step}",
                                           row_name="category"))
    return written

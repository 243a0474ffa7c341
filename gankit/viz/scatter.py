"""Real-vs-generated point clouds: scatter plots for 2-D data, histograms for 1-D data.

Colours follow the seed article: real samples black, generated samples red.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes

from gankit.errors import GankitError
from gankit.viz._figure import (DEFAULT_DPI, Limits, PathLike, as_points, check_limits, marker_size,
                                new_figure, save_figure)

REAL_COLOR = "black"
FAKE_COLOR = "red"
HISTOGRAM_BINS = 60


def scatter_limits(real, margin: float = 0.1) -> Limits:
    """Axis limits around `real` (N, D), widened by `margin` × range on each side.

    Compute them once from the data and pass them to every step's plot so the axes stay fixed."""
    if not margin >= 0:
        raise GankitError(f"margin: expected a number >= 0, got {margin!r}")
    points = as_points(real, "real")
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.where(high > low, high - low, 1.0)  # a constant column still gets a visible window
    return tuple((float(lo - margin * s), float(hi + margin * s)) for lo, hi, s in zip(low, high, span))


def scatter_real_fake(real, fake, path: PathLike, title: str = "", limits: Limits | None = None,
                      dpi: int = DEFAULT_DPI) -> Path:
    """Plot real (N, D) and generated (M, D) samples, D = 1 (histograms) or 2 (scatter)."""
    real, fake = as_points(real, "real"), as_points(fake, "fake")
    if real.shape[1] != fake.shape[1]:
        raise GankitError(f"fake: has {fake.shape[1]} column(s) but real has {real.shape[1]}; expected the same")
    clouds = [(real, REAL_COLOR, "real"), (fake, FAKE_COLOR, "generated")]
    return _plot_clouds(clouds, path, title, limits, dpi)


def scatter_points(points, path: PathLike, title: str = "", limits: Limits | None = None,
                   dpi: int = DEFAULT_DPI) -> Path:
    """Plot one set of generated samples (N, 2), or a histogram for (N, 1)."""
    return _plot_clouds([(as_points(points, "points"), FAKE_COLOR, "generated")], path, title, limits, dpi)


def _plot_clouds(clouds: list[tuple[np.ndarray, str, str]], path: PathLike, title: str,
                 limits: Limits | None, dpi: int) -> Path:
    dims = clouds[0][0].shape[1]
    if limits is None:
        limits = scatter_limits(np.concatenate([points for points, _, _ in clouds]))
    limits = check_limits(limits, dims)
    fig = new_figure(5.5, 5.0) if dims == 2 else new_figure(6.5, 4.0)
    ax = fig.add_subplot()
    if dims == 2:
        _draw_scatter(ax, clouds, limits)
    else:
        _draw_histograms(ax, clouds, limits[0])
    _note_points_outside(ax, clouds, limits)
    if title:
        ax.set_title(title)
    return save_figure(fig, path, dpi)


def _draw_scatter(ax: Axes, clouds: list[tuple[np.ndarray, str, str]], limits: Limits) -> None:
    for points, color, label in clouds:
        ax.scatter(points[:, 0], points[:, 1], s=marker_size(len(points)), c=color, alpha=0.5,
                   linewidths=0, label=f"{label} (n={len(points)})")
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    (x0, x1), (y0, y1) = limits[0], limits[1]
    spans = sorted((x1 - x0, y1 - y0))
    if spans[1] <= 4 * spans[0]:  # a circle must look like a circle; y = 10 + x^2 (spans 100 vs 2,500) must not
        ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="upper right", markerscale=2.0, framealpha=0.8)


def _draw_histograms(ax: Axes, clouds: list[tuple[np.ndarray, str, str]], x_limits: tuple[float, float]) -> None:
    bins = np.linspace(*x_limits, HISTOGRAM_BINS + 1)  # shared bins so the bars compare directly
    for points, color, label in clouds:
        ax.hist(points[:, 0], bins=bins, density=True, histtype="stepfilled", alpha=0.35, color=color,
                edgecolor=color, label=f"{label} (n={len(points)})")
    ax.set_xlim(*x_limits)
    ax.set_xlabel("$x$")
    ax.set_ylabel("density")
    ax.legend(loc="upper right", framealpha=0.8)


def _note_points_outside(ax: Axes, clouds: list[tuple[np.ndarray, str, str]], limits: Limits) -> None:
    """With fixed limits a diverging generator can leave the view; say so instead of hiding it."""
    low = np.array([lo for lo, _ in limits])
    high = np.array([hi for _, hi in limits])
    notes = []
    for points, _, label in clouds:
        outside = int((((points < low) | (points > high)).any(axis=1)).sum())
        if outside:
            notes.append(f"{outside} {label} point(s) outside the view")
    if notes:
        ax.text(0.01, 0.99, "\n".join(notes), transform=ax.transAxes, va="top", ha="left", fontsize=8,
                color="dimgray")

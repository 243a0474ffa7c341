"""What the discriminator sees: D(x) over the data space, in 2-D (heatmap) and 1-D (Goodfellow et al. 2014, Fig. 1).

`d_prob` is any callable mapping points (K, D) float32 to probabilities (K,) in [0, 1], e.g.
`lambda x: torch.sigmoid(D(torch.from_numpy(x))).squeeze(1).numpy()`. The figures of D's
feature space and of the value function live in `features.py` and are re-exported here.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from scipy.stats import gaussian_kde

from gankit.errors import GankitError
from gankit.viz._figure import (DEFAULT_DPI, Limits, PathLike, as_points, check_limits, marker_size,
                                new_figure, save_figure)
from gankit.viz.features import d_features, value_function  # noqa: F401  (re-exported)
from gankit.viz.scatter import FAKE_COLOR, REAL_COLOR, scatter_limits

ProbabilityFn = Callable[[np.ndarray], np.ndarray]
PROBABILITY_TOLERANCE = 1e-6


def evaluate_d(d_prob: ProbabilityFn, points: np.ndarray) -> np.ndarray:
    """Call `d_prob` once on (K, D) points and check it returned K probabilities."""
    probabilities = np.asarray(d_prob(points), dtype=np.float64).reshape(-1)
    if probabilities.size != len(points):
        raise GankitError(f"d_prob returned {probabilities.size} values for {len(points)} points; "
                          f"expected one probability per point")
    finite = probabilities[np.isfinite(probabilities)]
    if finite.size != probabilities.size or finite.min() < -PROBABILITY_TOLERANCE \
            or finite.max() > 1 + PROBABILITY_TOLERANCE:
        raise GankitError("d_prob returned values outside [0, 1]; expected probabilities "
                          "(apply a sigmoid to the discriminator's logits)")
    return np.clip(probabilities, 0.0, 1.0)


def d_heatmap(d_prob: ProbabilityFn, real, fake, limits: Limits, path: PathLike, title: str = "",
              resolution: int = 200, dpi: int = DEFAULT_DPI) -> Path:
    """D's probability over the plane (colour), its 0.5 decision contour, real (black) and fake (red) on top."""
    real, fake = as_points(real, "real", dims=(2,)), as_points(fake, "fake", dims=(2,))
    (x_low, x_high), (y_low, y_high) = check_limits(limits, 2)
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise GankitError(f"resolution: expected an integer >= 2, got {resolution!r}")
    xs = np.linspace(x_low, x_high, resolution)
    ys = np.linspace(y_low, y_high, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)  # (R, R) each; row index follows y
    grid_points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(np.float32)  # (R², 2)
    probability = evaluate_d(d_prob, grid_points).reshape(resolution, resolution)

    fig = new_figure(6.2, 5.0)
    ax = fig.add_subplot()
    image = ax.imshow(probability, origin="lower", extent=(x_low, x_high, y_low, y_high), vmin=0.0, vmax=1.0,
                      cmap="PRGn", alpha=0.85, interpolation="bilinear")
    fig.colorbar(image, ax=ax, label="D(x) = P(x is real)")
    if probability.min() < 0.5 < probability.max():  # otherwise there is no 0.5 level to draw
        ax.contour(xs, ys, probability, levels=[0.5], colors="black", linestyles="--", linewidths=1.2)
    ax.plot([], [], color="black", linestyle="--", linewidth=1.2, label="D(x) = 0.5")
    for points, color, label in ((real, REAL_COLOR, "real"), (fake, FAKE_COLOR, "generated")):
        ax.scatter(points[:, 0], points[:, 1], s=marker_size(len(points)), c=color, alpha=0.6, linewidths=0,
                   label=f"{label} (n={len(points)})")
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="upper right", markerscale=2.0, framealpha=0.8, fontsize=8)
    ax.set_title(title or "Discriminator output over the data space")
    return save_figure(fig, path, dpi)


def gan_paper_1d(d_prob: ProbabilityFn, real, fake, path: PathLike, limits: Limits | None = None,
                 resolution: int = 400, dpi: int = DEFAULT_DPI) -> Path:
    """Goodfellow et al. 2014, Fig. 1: data density (black dotted), generator density (green solid)
    and D(x) (blue dashed, right axis) along one x axis."""
    real, fake = as_points(real, "real", dims=(1,)), as_points(fake, "fake", dims=(1,))
    if limits is None:
        limits = scatter_limits(np.concatenate([real, fake]))
    ((x_low, x_high),) = check_limits(limits, 1)
    xs = np.linspace(x_low, x_high, max(int(resolution), 2))
    discriminator = evaluate_d(d_prob, xs[:, None].astype(np.float32))

    fig = new_figure(7.0, 4.0)
    density_ax = fig.add_subplot()
    _draw_density(density_ax, real[:, 0], xs, color="black", linestyle=":", label="data $p_{data}(x)$")
    _draw_density(density_ax, fake[:, 0], xs, color="green", linestyle="-", label="generator $p_g(x)$")
    density_ax.set_xlim(x_low, x_high)
    density_ax.set_ylim(bottom=0.0)
    density_ax.set_xlabel("$x$")
    density_ax.set_ylabel("density")
    d_ax = density_ax.twinx()  # D lives in [0, 1], densities do not: give D its own scale
    d_ax.plot(xs, discriminator, color="blue", linestyle="--", linewidth=1.5, label="discriminator $D(x)$")
    d_ax.axhline(0.5, color="gray", linewidth=0.6, linestyle=(0, (1, 3)))
    d_ax.set_ylim(0.0, 1.05)
    d_ax.set_ylabel("D(x)")
    handles, labels = density_ax.get_legend_handles_labels()
    d_handles, d_labels = d_ax.get_legend_handles_labels()
    d_ax.legend(handles + d_handles, labels + d_labels, loc="upper right", framealpha=0.8, fontsize=8)
    density_ax.set_title("Data, generator and discriminator (Goodfellow et al. 2014, Fig. 1)")
    return save_figure(fig, path, dpi)


def _draw_density(ax: Axes, samples: np.ndarray, xs: np.ndarray, color: str, linestyle: str, label: str) -> None:
    """Gaussian KDE of `samples` on `xs`; a collapsed sample (all equal) is drawn as a vertical line."""
    if len(samples) >= 2 and np.ptp(samples) > 0:
        ax.plot(xs, gaussian_kde(samples)(xs), color=color, linestyle=linestyle, linewidth=1.8, label=label)
    else:
        ax.axvline(samples[0], color=color, linestyle=linestyle, linewidth=1.8, label=f"{label}: point mass")

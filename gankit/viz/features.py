"""D's view of a batch: its 2-D feature space around a G update, and the minimax value-function terms.

Both are re-exported from `gankit.viz.discriminator`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes

from gankit.errors import GankitError
from gankit.viz._figure import DEFAULT_DPI, PathLike, as_points, marker_size, new_figure, save_figure
from gankit.viz.scatter import FAKE_COLOR, REAL_COLOR, scatter_limits

# Outputs of exactly 0 or 1 would put -log(.) at infinity; clipping to [EPS, 1 - EPS] caps a term
# at -log(EPS) ≈ 13.8, far above any loss a healthy run shows.
EPS = 1e-6


def d_features(real_before, fake_before, real_after, fake_after, path: PathLike, step: int,
               dpi: int = DEFAULT_DPI) -> Path:
    """Real vs generated points in D's 2-D feature space before and after one G update, centroids marked.

    Feature matching (Salimans et al. 2016) trains G to pull the generated centroid onto the
    real one, so the panels show the centroid distance ‖μ_real − μ_fake‖."""
    names = ("real_before", "fake_before", "real_after", "fake_after")
    arrays = [real_before, fake_before, real_after, fake_after]
    real_before, fake_before, real_after, fake_after = (as_points(a, n, dims=(2,)) for a, n in zip(arrays, names))
    limits = scatter_limits(np.concatenate([real_before, fake_before, real_after, fake_after]))
    fig = new_figure(10.0, 4.8)
    before_ax, after_ax = fig.subplots(1, 2, sharex=True, sharey=True)
    _draw_feature_panel(before_ax, real_before, fake_before, "before G update")
    _draw_feature_panel(after_ax, real_after, fake_after, "after G update")
    # Where the generated centroid came from, so the move caused by the G step is visible.
    old, new = fake_before.mean(axis=0), fake_after.mean(axis=0)
    after_ax.scatter(*old, marker="*", s=300, facecolors="none", edgecolors=FAKE_COLOR, linewidths=1.2,
                     label="generated centroid before", zorder=3)
    after_ax.annotate("", xy=new, xytext=old, arrowprops={"arrowstyle": "->", "color": FAKE_COLOR}, zorder=3)
    after_ax.legend(loc="upper right", fontsize=8, framealpha=0.8, markerscale=0.6)
    for ax in (before_ax, after_ax):
        ax.set_xlim(*limits[0])
        ax.set_ylim(*limits[1])
        ax.set_xlabel("feature 1")
    before_ax.set_ylabel("feature 2")
    fig.suptitle(f"Discriminator feature space, step {step}")
    return save_figure(fig, path, dpi)


def _draw_feature_panel(ax: Axes, real: np.ndarray, fake: np.ndarray, title: str) -> None:
    real_centroid, fake_centroid = real.mean(axis=0), fake.mean(axis=0)
    for points, color, label in ((real, REAL_COLOR, "real"), (fake, FAKE_COLOR, "generated")):
        ax.scatter(points[:, 0], points[:, 1], s=marker_size(len(points)), c=color, alpha=0.35, linewidths=0,
                   label=f"{label} (n={len(points)})")
    ax.scatter(*real_centroid, marker="X", s=250, c=REAL_COLOR, edgecolors="white", linewidths=1.2,
               label="real centroid", zorder=4)
    ax.scatter(*fake_centroid, marker="*", s=350, c=FAKE_COLOR, edgecolors="white", linewidths=1.2,
               label="generated centroid", zorder=4)
    distance = float(np.linalg.norm(real_centroid - fake_centroid))
    ax.set_title(f"{title}: ‖μ_real − μ_fake‖ = {distance:.3g}")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.8, markerscale=0.6)


def value_function(d_real, d_fake, path: PathLike, dpi: int = DEFAULT_DPI) -> Path:
    """The two terms of V(D, G) (Goodfellow et al. 2014, Eq. 1), as losses D minimises, with a batch on them.

    V = E[log D(x)] + E[log(1 − D(G(z)))]; D's loss is −V, i.e. −log D(x) on real samples and
    −log(1 − D(G(z))) on generated ones. At the equilibrium D = 1/2 both terms equal log 2."""
    d_real, d_fake = _probabilities(d_real, "d_real"), _probabilities(d_fake, "d_fake")
    edge = np.geomspace(EPS, 0.5, 200)  # dense near 0 and 1, where the curves blow up
    p = np.unique(np.concatenate([edge, 1.0 - edge]))  # (400,) in [EPS, 1 - EPS]
    real_points = np.clip(d_real, EPS, 1.0 - EPS)
    fake_points = np.clip(d_fake, EPS, 1.0 - EPS)
    real_losses = -np.log(real_points)  # −log D(x)
    fake_losses = -np.log1p(-fake_points)  # −log(1 − D(G(z))); log1p keeps precision near D = 0

    fig = new_figure(6.5, 4.5)
    ax = fig.add_subplot()
    ax.plot(p, -np.log(p), color=REAL_COLOR, linewidth=1.5, label="real term $-\\log D(x)$")
    ax.plot(p, -np.log1p(-p), color=FAKE_COLOR, linewidth=1.5, label="fake term $-\\log(1 - D(G(z)))$")
    ax.scatter(real_points, real_losses, s=18, c=REAL_COLOR, alpha=0.6, edgecolors="white", linewidths=0.5,
               zorder=3, label=f"batch, real (mean {real_losses.mean():.3g})")
    ax.scatter(fake_points, fake_losses, s=18, c=FAKE_COLOR, alpha=0.6, edgecolors="white", linewidths=0.5,
               zorder=3, label=f"batch, generated (mean {fake_losses.mean():.3g})")
    ax.axvline(0.5, color="gray", linestyle="--", linewidth=1.0)
    ax.axhline(np.log(2.0), color="gray", linestyle=":", linewidth=1.0, label="equilibrium: $\\log 2$")
    ax.set_xlim(0.0, 1.0)
    top = max(5.0, 1.1 * float(max(real_losses.max(), fake_losses.max())))  # keep every batch point in view
    ax.set_ylim(0.0, top)
    ax.set_xlabel("discriminator output D(·)")
    ax.set_ylabel("loss term (D minimises)")
    ax.set_title("Minimax value function terms (Goodfellow et al. 2014, Eq. 1)")
    ax.legend(loc="upper center", fontsize=8, framealpha=0.8)
    return save_figure(fig, path, dpi)


def _probabilities(values, name: str) -> np.ndarray:
    """Flatten to (N,) and check every value is a probability."""
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.size == 0:
        raise GankitError(f"{name}: is empty; expected at least one discriminator output")
    if not np.isfinite(array).all() or array.min() < 0.0 or array.max() > 1.0:
        raise GankitError(f"{name}: expected probabilities in [0, 1] (sigmoid of D's logits), "
                          f"got values outside that range or NaN")
    return array

"""Shared plumbing for the plotting modules: figures, atomic saving, input checks.

We build `matplotlib.figure.Figure` objects directly instead of going through pyplot: no global
figure registry (nothing to leak, nothing to close, safe from several threads) and no backend to
select, since `Figure.savefig` picks the Agg renderer from the file format.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from gankit.errors import GankitError
from gankit.utils.io import atomic_path

PathLike = str | os.PathLike
Limits = tuple[tuple[float, float], ...]  # one (low, high) pair per data dimension

DEFAULT_DPI = 100


def new_figure(width_in: float, height_in: float) -> Figure:
    """A pyplot-free figure with constrained layout (titles and colourbars never overlap)."""
    return Figure(figsize=(width_in, height_in), layout="constrained")


def save_figure(fig: Figure, path: PathLike, dpi: int = DEFAULT_DPI) -> Path:
    """Write `fig` to `path` atomically; the format comes from the suffix (PNG when none)."""
    path = Path(path)
    file_format = path.suffix.lstrip(".").lower() or "png"
    supported = fig.canvas.get_supported_filetypes()
    if file_format not in supported:
        expected = ", ".join(f".{name}" for name in sorted(supported))
        raise GankitError(f"{path}: cannot write a figure as '.{file_format}'; expected one of {expected}")
    if dpi <= 0:
        raise GankitError(f"dpi must be a positive number, got {dpi}")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=file_format, dpi=dpi)
    return path


def as_points(array, name: str, dims: tuple[int, ...] = (1, 2)) -> np.ndarray:
    """Check and return a finite float array of shape (N, D) with D in `dims`; (N,) counts as (N, 1)."""
    points = np.asarray(array, dtype=np.float64)
    if points.ndim == 1:
        points = points[:, None]
    if points.ndim != 2 or points.shape[1] not in dims or points.shape[0] == 0:
        wanted = " or ".join(f"(N, {d})" for d in dims)
        raise GankitError(f"{name}: expected a non-empty array of shape {wanted}, got shape {points.shape}")
    if not np.isfinite(points).all():
        raise GankitError(f"{name}: contains NaN or infinite values; expected finite numbers")
    return points


def check_limits(limits, dims: int) -> Limits:
    """Normalise `limits` to ((low, high), ...) with one finite, increasing pair per dimension.

    For 1-D data a bare (low, high) pair is accepted too."""
    try:
        array = np.asarray(limits, dtype=np.float64)
    except (TypeError, ValueError):
        array = np.empty(0)
    if dims == 1 and array.shape == (2,):
        array = array[None, :]
    if array.shape != (dims, 2) or not np.isfinite(array).all() or (array[:, 0] >= array[:, 1]).any():
        raise GankitError(
            f"limits: expected {dims} finite (low, high) pair(s) with low < high, got {limits!r}")
    return tuple((float(low), float(high)) for low, high in array)


def marker_size(count: int) -> float:
    """Scatter marker area (points²) that keeps a cloud readable from ten to a hundred thousand points."""
    return float(np.clip(400.0 / np.sqrt(count), 1.0, 20.0))

"""Training curves from metrics.jsonl rows: losses (linear and log scale) and D's mean outputs."""
from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes

from gankit.errors import GankitError
from gankit.viz._figure import DEFAULT_DPI, PathLike, new_figure, save_figure

LOSS_KEYS = ("d_loss", "g_loss")
PROBABILITY_KEYS = ("d_real", "d_fake")
LABELS = {
    "d_loss": "D loss",
    "g_loss": "G loss",
    "d_real": "D(real): mean D(x)",
    "d_fake": "D(fake): mean D(G(z))",
}
COLORS = {"d_loss": "tab:blue", "g_loss": "tab:orange", "d_real": "black", "d_fake": "red"}

Series = dict[str, tuple[np.ndarray, np.ndarray]]  # key -> (steps (K,), values (K,))


def plot_losses(records: Sequence[Mapping], path: PathLike, dpi: int = DEFAULT_DPI) -> Path:
    """Three stacked panels over training steps: losses, |losses| on a log scale, D(real) and D(fake)."""
    series = {key: extract_series(records, key) for key in LOSS_KEYS + PROBABILITY_KEYS}
    fig = new_figure(8.0, 9.0)
    linear_ax, log_ax, probability_ax = fig.subplots(3, 1, sharex=True)
    _draw_losses(linear_ax, series)
    _draw_log_losses(log_ax, series)
    _draw_probabilities(probability_ax, series)
    probability_ax.set_xlabel("step")
    return save_figure(fig, path, dpi)


def extract_series(records: Sequence[Mapping], key: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of the rows that have both "step" and `key`, sorted by step.

    Sorting matters for resumed runs, whose log can repeat a stretch of steps. Non-finite
    values become NaN, which matplotlib draws as a gap (a visible sign of divergence)."""
    steps, values = [], []
    for index, row in enumerate(records):
        if not isinstance(row, Mapping):
            raise GankitError(f"metrics record {index}: expected a JSON object, got {type(row).__name__}")
        if row.get("step") is None or row.get(key) is None:
            continue
        steps.append(_number(row["step"], index, "step"))
        values.append(_number(row[key], index, key))
    steps_array, values_array = np.asarray(steps, dtype=np.float64), np.asarray(values, dtype=np.float64)
    values_array[~np.isfinite(values_array)] = np.nan
    order = np.argsort(steps_array, kind="stable")
    return steps_array[order], values_array[order]


def _number(value, index: int, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise GankitError(f"metrics record {index}: '{key}' is {value!r}; expected a number")
    return float(value)


def _draw_losses(ax: Axes, series: Series) -> None:
    ax.set_title("Losses")
    ax.set_ylabel("loss")
    if not _plot_keys(ax, series, LOSS_KEYS):
        _say_not_logged(ax, LOSS_KEYS)


def _draw_log_losses(ax: Axes, series: Series) -> None:
    # A log axis cannot show a sign, and Wasserstein / hinge losses go negative: we plot the
    # magnitude |loss| and skip exact zeros (log 0 = -inf); the title says so.
    ax.set_title("Loss magnitude |loss|, log scale (sign dropped, zeros skipped)")
    ax.set_ylabel("|loss|")
    magnitudes = {}
    for key in LOSS_KEYS:
        steps, values = series[key]
        keep = np.abs(values) > 0  # NaN > 0 is False, so gaps are skipped as well
        magnitudes[key] = (steps[keep], np.abs(values[keep]))
    if _plot_keys(ax, magnitudes, LOSS_KEYS):
        ax.set_yscale("log")
    elif any(len(series[key][0]) for key in LOSS_KEYS):
        _say(ax, "no non-zero loss values")
    else:
        _say_not_logged(ax, LOSS_KEYS)


def _draw_probabilities(ax: Axes, series: Series) -> None:
    # Goodfellow et al. 2014, Prop. 1: the optimal D is p_data / (p_data + p_g), which is 1/2
    # everywhere once the generator matches the data.
    ax.set_title("Discriminator output (equilibrium: D = 1/2 everywhere)")
    ax.set_ylabel("mean D output")
    ax.set_ylim(-0.02, 1.02)
    ax.axhline(0.5, color="gray", linestyle="--", linewidth=1.0, label="equilibrium 0.5")
    if not _plot_keys(ax, series, PROBABILITY_KEYS):
        _say_not_logged(ax, PROBABILITY_KEYS)


def _plot_keys(ax: Axes, series: Series, keys: tuple[str, ...]) -> bool:
    """Plot each key that has data; note the ones that do not. Returns whether anything was drawn."""
    drawn = [key for key in keys if len(series[key][0]) > 0]
    for key in drawn:
        steps, values = series[key]
        ax.plot(steps, values, color=COLORS[key], linewidth=1.0, label=LABELS[key])
    if drawn:
        missing = [key for key in keys if key not in drawn]
        if missing:
            ax.text(0.01, 0.02, "not logged: " + ", ".join(missing), transform=ax.transAxes, fontsize=8,
                    color="dimgray")
        ax.legend(loc="upper right", framealpha=0.8)
        ax.grid(alpha=0.3)
    return bool(drawn)


def _say_not_logged(ax: Axes, keys: tuple[str, ...]) -> None:
    _say(ax, f"not logged ({', '.join(keys)})")


def _say(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color="dimgray")

"""Markdown comparison of per-column summary statistics, real vs generated.

Input: {column: {"count": …, "mean": …, "std": …, "min": …, "25%": …, "50%": …, "75%": …, "max": …}},
as returned by `gankit.metrics.toy.summary_stats`.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from pathlib import Path

from gankit.errors import GankitError
from gankit.utils.io import atomic_open
from gankit.viz._figure import PathLike

STATISTIC_ORDER = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")
MISSING = "—"

Stats = Mapping[str, Mapping[str, float]]


def stats_markdown(real_stats: Stats, fake_stats: Stats, path: PathLike, extra_lines: Iterable[str] = ()) -> str:
    """Write one table per column (rows: statistic, columns: real | generated) to `path`; return the text.

    `extra_lines` (e.g. run name, checkpoint step) go under the heading, one paragraph each."""
    _check_stats(real_stats, "real_stats")
    _check_stats(fake_stats, "fake_stats")
    lines = ["# Summary statistics: real vs generated", ""]
    for extra in extra_lines:
        lines += [str(extra), ""]
    columns = list(real_stats) + [column for column in fake_stats if column not in real_stats]
    for column in columns:
        lines += [f"## {_escape(str(column))}", ""] + _column_table(real_stats.get(column, {}),
                                                                   fake_stats.get(column, {})) + [""]
    text = "\n".join(lines).rstrip("\n") + "\n"
    with atomic_open(Path(path), "w") as file:
        file.write(text)
    return text


def _column_table(real: Mapping[str, float], fake: Mapping[str, float]) -> list[str]:
    # The usual statistics first, in describe() order, then anything else either side reported.
    statistics = [name for name in STATISTIC_ORDER if name in real or name in fake]
    statistics += [name for name in list(real) + list(fake) if name not in statistics]
    statistics = list(dict.fromkeys(statistics))  # de-duplicate, keeping order
    rows = ["| statistic | real | generated |", "|---|---:|---:|"]
    for name in statistics:
        rows.append(f"| {_escape(str(name))} | {_format(name, real.get(name))} | {_format(name, fake.get(name))} |")
    return rows


def _format(statistic: str, value) -> str:
    if value is None:
        return MISSING
    number = float(value)
    if math.isnan(number):
        return "nan"
    if statistic == "count" and number.is_integer():
        return str(int(number))
    return f"{number:.4g}"


def _escape(text: str) -> str:
    """A '|' in a column name would split the markdown table cell."""
    return text.replace("|", "\\|")


def _check_stats(stats: Stats, name: str) -> None:
    if not isinstance(stats, Mapping):
        raise GankitError(f"{name}: expected a mapping column -> statistics, got {type(stats).__name__}")
    for column, values in stats.items():
        if not isinstance(values, Mapping):
            raise GankitError(f"{name}[{column!r}]: expected a mapping statistic -> number, "
                              f"got {type(values).__name__}")
        for statistic, value in values.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
                raise GankitError(f"{name}[{column!r}][{statistic!r}]: is {value!r}; expected a number")

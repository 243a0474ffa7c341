"""Tests for gankit/viz/tables.py."""
import contextlib

import pytest

from gankit.errors import GankitError
from gankit.utils.io import atomic_open
from gankit.viz import tables
from gankit.viz.tables import stats_markdown


def stats(mean: float, count: int = 100) -> dict:
    return {"count": count, "mean": mean, "std": 1.0, "min": -2.5, "25%": -0.5, "50%": 0.0, "75%": 0.5,
            "max": 2.5}


def test_one_table_per_column_with_real_and_generated(tmp_path):
    path = tmp_path / "report" / "stats.md"
    text = stats_markdown({"x0": stats(0.0)}, {"x0": stats(0.123456, count=50)}, path,
                          extra_lines=["run: circle", "step 1000"])
    assert path.read_text() == text
    assert text == (
        "# Summary statistics: real vs generated\n"
        "\n"
        "run: circle\n"
        "\n"
        "step 1000\n"
        "\n"
        "## x0\n"
        "\n"
        "| statistic | real | generated |\n"
        "|---|---:|---:|\n"
        "| count | 100 | 50 |\n"
        "| mean | 0 | 0.1235 |\n"
        "| std | 1 | 1 |\n"
        "| min | -2.5 | -2.5 |\n"
        "| 25% | -0.5 | -0.5 |\n"
        "| 50% | 0 | 0 |\n"
        "| 75% | 0.5 | 0.5 |\n"
        "| max | 2.5 | 2.5 |\n"
    )


def test_columns_statistics_and_nan_that_only_one_side_has(tmp_path):
    real = {"a|b": {"mean": 1.0, "skew": 0.25}}
    fake = {"a|b": {"mean": float("nan"), "count": 3}, "extra": {"mean": 2.0}}
    text = stats_markdown(real, fake, tmp_path / "s.md")
    assert "## a\\|b" in text  # a pipe would split the table
    assert "| count | — | 3 |" in text
    assert "| mean | 1 | nan |" in text
    assert "| skew | 0.25 | — |" in text
    assert text.index("| count |") < text.index("| mean |") < text.index("| skew |")  # describe() order first
    assert "## extra\n\n| statistic | real | generated |\n|---|---:|---:|\n| mean | — | 2 |" in text


@pytest.mark.parametrize("bad_fake, message", [
    ({"x0": {"mean": "big"}}, r"fake_stats\['x0'\]\['mean'\]"),
    ({"x0": [1, 2]}, r"fake_stats\['x0'\]"),
    ([1, 2], "fake_stats"),
])
def test_bad_statistics_leave_the_old_file(existing_file, assert_untouched, bad_fake, message):
    with pytest.raises(GankitError, match=message):
        stats_markdown({"x0": stats(0.0)}, bad_fake, existing_file)
    assert_untouched(existing_file)


class HalfWriter:
    """A file whose write() puts a few characters on disk and then fails, like a full disk."""

    def __init__(self, file):
        self.file = file

    def write(self, text: str) -> None:
        self.file.write(text[:5])
        self.file.flush()
        raise OSError("disk full (simulated)")


def test_failed_write_keeps_the_old_file(existing_file, assert_untouched, monkeypatch):
    @contextlib.contextmanager
    def half_writing_atomic_open(path, mode="w"):
        with atomic_open(path, mode) as file:  # the real one: it must clean up after the failure
            yield HalfWriter(file)
    monkeypatch.setattr(tables, "atomic_open", half_writing_atomic_open)
    with pytest.raises(OSError, match="simulated"):
        tables.stats_markdown({"x0": stats(0.0)}, {"x0": stats(1.0)}, existing_file)
    assert_untouched(existing_file)

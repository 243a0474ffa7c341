"""Tests for gankit/viz/curves.py."""
import math
import warnings

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gankit.errors import GankitError
from gankit.viz.curves import extract_series, plot_losses

DPI = 20


def full_records(count: int = 20) -> list[dict]:
    return [{"step": 10 * i, "d_loss": 1.0 + 0.01 * i, "g_loss": 0.7, "d_real": 0.6, "d_fake": 0.4}
            for i in range(count)]


def test_extract_series_skips_rows_without_the_key_and_sorts_by_step():
    records = [{"step": 20, "d_loss": 2.0}, {"step": 5, "g_loss": 1.0}, {"step": 10, "d_loss": 1.0},
               {"d_loss": 9.0}, {"step": 30, "d_loss": None}]
    steps, values = extract_series(records, "d_loss")
    np.testing.assert_array_equal(steps, [10.0, 20.0])
    np.testing.assert_array_equal(values, [1.0, 2.0])


def test_extract_series_turns_infinity_into_a_gap():
    _, values = extract_series([{"step": 0, "d_loss": math.inf}, {"step": 1, "d_loss": 1.0}], "d_loss")
    assert math.isnan(values[0]) and values[1] == 1.0


@pytest.mark.parametrize("bad_row, message", [({"step": 3, "d_loss": "high"}, "record 1: 'd_loss'"),
                                              ({"step": True, "d_loss": 1.0}, "record 1: 'step'"),
                                              ([1, 2], "record 1: expected a JSON object")])
def test_extract_series_names_the_bad_record(bad_row, message):
    with pytest.raises(GankitError, match=message):
        extract_series([{"step": 0, "d_loss": 1.0}, bad_row], "d_loss")


def test_plot_losses_writes_three_panels(tmp_path, open_image, spy):
    subplots_calls = spy(Figure, "subplots")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = plot_losses(full_records(), tmp_path / "losses.png", dpi=DPI)
    assert open_image(path) == ((160, 180), "RGBA", "PNG")  # 8 x 9 inches at 20 dpi
    linear_ax, log_ax, probability_ax = subplots_calls[0].result
    assert log_ax.get_yscale() == "log" and linear_ax.get_yscale() == "linear"
    assert probability_ax.get_ylim() == (-0.02, 1.02)
    dashed = [line for line in probability_ax.get_lines() if line.get_linestyle() == "--"]
    assert [tuple(line.get_ydata()) for line in dashed] == [(0.5, 0.5)]  # the equilibrium line


def test_log_panel_plots_magnitudes_and_skips_zeros(tmp_path, spy):
    plot_calls = spy(Axes, "plot")
    records = [{"step": 0, "d_loss": -1.0}, {"step": 1, "d_loss": 0.0}, {"step": 2, "d_loss": 2.0}]
    plot_losses(records, tmp_path / "signed.png", dpi=DPI)
    drawn = [(list(call.args[0]), list(call.args[1])) for call in plot_calls]
    assert ([0.0, 1.0, 2.0], [-1.0, 0.0, 2.0]) in drawn  # linear panel: as logged
    assert ([0.0, 2.0], [1.0, 2.0]) in drawn  # log panel: |loss|, zero skipped


def test_missing_keys_are_reported_on_their_panels(tmp_path, spy):
    text_calls = spy(Axes, "text")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty log axis must not warn
        plot_losses([{"step": 0, "d_loss": 1.0}, {"step": 1, "d_loss": 0.5}], tmp_path / "partial.png", dpi=DPI)
    messages = [call.args[2] for call in text_calls]
    assert "not logged: g_loss" in messages
    assert "not logged (d_real, d_fake)" in messages


def test_no_records_still_gives_a_figure(tmp_path, open_image, spy):
    text_calls = spy(Axes, "text")
    path = plot_losses([], tmp_path / "empty.png", dpi=DPI)
    assert open_image(path)[0] == (160, 180)
    assert sum("not logged" in call.args[2] for call in text_calls) == 3


def test_failed_write_keeps_the_old_file(existing_file, broken_savefig, assert_untouched):
    with pytest.raises(OSError):
        plot_losses(full_records(), existing_file, dpi=DPI)
    assert_untouched(existing_file)

"""`gankit plot` redraws from the log and sample grids alone (tests/test_cli.py has the torn-log case)."""
from __future__ import annotations

import shutil

from tests.cli_helpers import TINY, assert_one_line_error, run_cli, train_ok


def test_plot_needs_no_checkpoint(tmp_path):
    """A run stopped before its first checkpoint still has a log to draw: plot used to load the weights
    and refused it with 'no checkpoint'."""
    run_dir = train_ok(["circle", "--steps", "20", "--out", tmp_path, *TINY])
    shutil.rmtree(run_dir / "checkpoints")
    result = run_cli(["plot", run_dir])
    assert result.code == 0, result.err
    assert (run_dir / "plots" / "losses.png").stat().st_size > 0


def test_plot_of_an_empty_log_or_a_non_run_is_one_line(tmp_path):
    run_dir = train_ok(["circle", "--steps", "20", "--out", tmp_path, *TINY])
    (run_dir / "metrics.jsonl").write_text("")
    assert_one_line_error(run_cli(["plot", run_dir]), ["metrics.jsonl", "no logged step"])
    assert_one_line_error(run_cli(["plot", tmp_path]), [str(tmp_path), "config.yaml"])

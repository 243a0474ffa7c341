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


def test_plot_and_report_of_a_log_with_a_non_utf8_line(tmp_path):
    """A damaged byte in metrics.jsonl escaped as a UnicodeDecodeError traceback (the whole file was decoded
    at once); now it is that line's one-line error, or, on the torn last line of a killed run, dropped."""
    run_dir = train_ok(["circle", "--steps", "20", "--out", tmp_path, *TINY])
    log = run_dir / "metrics.jsonl"
    whole = log.read_bytes()
    log.write_bytes(whole + b'{"step": 30, "d_lo\xe2\x82')  # torn in the middle of a character
    assert run_cli(["plot", run_dir]).code == 0
    assert run_cli(["report", run_dir]).code == 0
    log.write_bytes(b'{"step": 1, "d_loss": \xff}\n' + whole)
    for command in ("plot", "report"):
        assert_one_line_error(run_cli([command, run_dir]), ["metrics.jsonl", "line 1", "not valid JSON"])

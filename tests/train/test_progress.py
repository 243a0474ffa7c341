"""Tests for gankit/train/progress.py: silent when disabled or when stderr is not a terminal (logs
and pipes stay clean); on a terminal the bar starts at the resumed step, follows the step, and
shows the four headline losses in a fixed order to 3 significant figures."""
from __future__ import annotations

import io
import sys

import pytest

from gankit.train.progress import Progress

VALUES = {"g_loss": 1234.5678, "d_loss": 0.123456, "d_fake": -2e-05, "gp": 7.0, "d_real": float("nan")}


class TerminalStderr(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("enabled", [False, True])  # True: pytest's captured stderr is not a terminal
def test_nothing_is_written_when_disabled_or_not_on_a_terminal(capfd, enabled):
    with Progress(100, 0, enabled=enabled) as progress:
        for step in (10, 20, 100):
            progress.update(step, VALUES)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


@pytest.fixture
def terminal_bar(monkeypatch):
    monkeypatch.setattr(sys, "stderr", TerminalStderr())
    progress = Progress(200, start=50, enabled=True)
    progress.__enter__()
    yield progress
    progress.__exit__(None, None, None)


def test_a_resumed_run_starts_at_its_step_out_of_the_total(terminal_bar):
    task = terminal_bar._bar.tasks[0]
    assert (task.total, task.completed) == (200, 50)


def test_update_moves_to_the_step_and_shows_the_headline_losses_in_order(terminal_bar):
    terminal_bar.update(60, VALUES)
    task = terminal_bar._bar.tasks[0]
    assert task.completed == 60
    # d_loss, g_loss, d_real, d_fake whatever the dict order; 3 significant figures; other keys left out
    assert task.fields["losses"] == "d_loss=0.123 g_loss=1.23e+03 d_real=nan d_fake=-2e-05"


def test_missing_losses_are_skipped_not_shown_empty(terminal_bar):
    terminal_bar.update(70, {"g_loss": 0.5})
    assert terminal_bar._bar.tasks[0].fields["losses"] == "g_loss=0.5"


def test_the_bar_is_drawn_on_stderr_and_stdout_stays_clean(monkeypatch):
    """`gankit train > log.txt` on a terminal: the bar shows on the terminal, no frame lands in the log."""
    stdout, stderr = io.StringIO(), TerminalStderr()
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)
    with Progress(10, 0, enabled=True) as progress:
        progress.update(10, {"d_loss": 0.5})
    assert stdout.getvalue() == ""
    assert "train" in stderr.getvalue() and "d_loss=0.5" in stderr.getvalue()

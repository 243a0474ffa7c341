"""Running `gankit` inside the test process, as a terminal would show it (shared by the CLI tests).

A subprocess pays ~3 s of torch import per call, so commands run through `gankit.cli.main`;
`run_cli` turns what escapes `main` into the exit status and stderr a terminal would show,
a traceback included for any exception that is not a clean exit.
"""
from __future__ import annotations

import contextlib
import io
import re
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

from gankit.cli import main

# A few seconds of training at most: 20 steps, small evaluation, no pictures unless asked for.
TINY = ["--set", "eval.every=10", "--set", "eval.n_metric=200", "--set", "eval.n_samples=100",
        "--set", "train.batch_size=32", "--set", "eval.plots=false", "--no-progress"]


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(argv: list[str]) -> Result:
    """Run `gankit ARGV` here: exit status, stdout, stderr (warnings included, as a terminal shows them)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for quiet in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.simplefilter("ignore", quiet)  # hidden by Python's own defaults on a terminal too
        try:
            main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception:  # what Python would print before exiting with status 1
            code = 1
            err.write(traceback.format_exc())
    for w in caught:
        err.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno))
    return Result(code, out.getvalue(), err.getvalue())


def train_ok(argv: list[str]) -> Path:
    """Run a `gankit train` that must succeed; return the run directory it prints."""
    result = run_cli(["train", *argv])
    assert result.code == 0, result.err
    match = re.search(r"run directory: (.+)", result.out)
    assert match, result.out
    return Path(match.group(1).strip())


def assert_one_line_error(result: Result, words: list[str]) -> None:
    assert "Traceback" not in result.out + result.err, result.err
    assert result.code == 2, (result.code, result.err)
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"stderr must be one line, got: {result.err!r}"
    for word in words:
        assert word in lines[0], f"{word!r} not named in: {lines[0]}"

"""Atomic file writes: a reader never sees a half-written file, a crash never leaves one.

Write to a temporary file in the same directory, flush + fsync, then `os.replace` (atomic on
POSIX and Windows). A SIGKILL at any moment leaves either the old file or the new one.
Also the reader of the one file that is appended to instead (metrics.jsonl), which tolerates a torn last line.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator

from gankit.errors import GankitError

_UMASK = os.umask(0)
os.umask(_UMASK)  # read the process umask (the only way is to set it and set it back)


def _temporary_beside(path: Path) -> str:
    """A new empty temporary file in `path`'s folder (made if missing). A bad output path is the
    user's input: one line naming it, not an OSError traceback."""
    if path.is_dir():
        raise GankitError(f"cannot write {path}: it is a directory; expected a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp" + path.suffix)
    except OSError as exc:  # a parent is a file, read-only, missing permission, ...
        existing = next(p for p in path.parents if p.exists())  # "/" or "." at the latest
        why = f"{existing} is not a folder" if not existing.is_dir() else exc.strerror
        raise GankitError(f"cannot write {path} ({why}); expected a path in a writable folder") from None
    os.close(fd)
    return tmp


def check_writable(path: str | os.PathLike) -> None:
    """Fail now, in one line, if `path` could not be written later (a folder, a file in the way, no
    permission): for commands that would otherwise find out after minutes of work. Nothing is left behind
    but missing folders, which are made."""
    os.unlink(_temporary_beside(Path(path)))


# What training writes into a run directory (docs/design.md, "The run directory"). A command's explicit
# output must not land on these: `generate -o RUN/samples/step_000500.png` replaced a training sample,
# `report -o RUN/metrics.jsonl` the training log.
RUN_RECORDS = ("config.yaml", "data.json", "metrics.jsonl", "report.html", "checkpoints", "samples", "plots",
               "predict", "tb")


def refuse_run_records(out: str | os.PathLike, run_dir: str | os.PathLike, allow: tuple[str, ...] = ()) -> None:
    """GankitError when `out` is (or lies inside) one of the run's own records, other than `allow`."""
    out_path, run_path = Path(out).expanduser().resolve(), Path(run_dir).expanduser().resolve()
    if out_path == run_path or run_path not in out_path.parents:
        return
    record = out_path.relative_to(run_path).parts[0]
    if record in RUN_RECORDS and record not in allow:
        raise GankitError(f"-o {out}: {run_path / record} is the run's own record (written by training); "
                          f"expected an output outside {', '.join(r for r in RUN_RECORDS if r not in allow)}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success it is renamed over `path`.

    For libraries that want a filename (matplotlib, Pillow, safetensors)."""
    path = Path(path)
    tmp = _temporary_beside(path)
    try:
        yield Path(tmp)
        # mkstemp makes 0600 files, and some writers (safetensors) recreate the file 0600 again: give the
        # finished file the mode open() would, so a shared runs folder stays readable to others.
        os.chmod(tmp, 0o666 & ~_UMASK)
        with open(tmp, "rb+") as f:  # make the bytes durable before the rename publishes them
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """Like open(path, mode) for writing, but all-or-nothing."""
    with atomic_path(path) as tmp, open(tmp, mode) as f:
        yield f


def _finite(obj):
    """obj with NaN and ±inf floats as None: Python's json writes them as bare NaN/Infinity, which
    standard JSON parsers (JavaScript's, jq, Python's with parse_constant) reject. A metric that has no
    value (toy.py: reverse KL without samples on a mode) reads back as null, i.e. missing."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def dumps_json(obj, **kwargs) -> str:
    """json.dumps that writes standard JSON (non-finite numbers as null)."""
    return json.dumps(_finite(obj), allow_nan=False, **kwargs)


def write_json(path: str | os.PathLike, obj) -> None:
    with atomic_open(path) as f:
        f.write(dumps_json(obj, indent=2, sort_keys=True) + "\n")


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """The rows of a JSON-lines log (metrics.jsonl). Appends are not atomic: a run killed mid-write
    leaves a torn last line, which is dropped (it is rewritten on resume); a bad line before it is an error."""
    path = Path(path)
    # Bytes, not text: a damaged byte that is not UTF-8 makes json.loads raise UnicodeDecodeError, a
    # ValueError, so it is that line's error below (read_text() raised it for the whole file, a traceback).
    lines = [(number, line) for number, line in enumerate(path.read_bytes().splitlines(), 1) if line.strip()]
    rows = []
    for i, (number, line) in enumerate(lines):
        try:
            row = json.loads(line)
        except ValueError:
            if i == len(lines) - 1:
                break
            raise GankitError(f"{path}, line {number} is not valid JSON; expected one JSON object per line") from None
        step = row.get("step") if isinstance(row, dict) else None
        if not isinstance(row, dict) or (step is not None and (not isinstance(step, int) or isinstance(step, bool))):
            raise GankitError(f"{path}, line {number} is not a log row; expected one JSON object per line "
                              "(with an integer 'step')")
        rows.append(row)
    return rows

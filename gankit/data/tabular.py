"""Point clouds of any width from .csv / .tsv / .txt text tables or .npy arrays → (N, D) float32.

Why a hand-rolled loop over the csv module instead of np.loadtxt / np.genfromtxt: the user must
be told the exact line (1-based, as an editor shows it) and the cell that is wrong, and the header
row must be detected rather than declared; numpy's loaders give neither reliably. The csv module
still does the quoting rules. Point clouds are small (≤ ~10⁶ rows), so a Python loop is fast enough.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable, Iterator, TextIO

import numpy as np
import torch

from gankit.data.numpy_files import check_numpy_file
from gankit.errors import GankitError

# Every value must survive the cast to float32: |v| <= FLOAT32_MAX. Written as `not abs(v) <= MAX`
# this one comparison also rejects NaN (all comparisons with NaN are False) and ±inf.
FLOAT32_MAX = float(np.finfo(np.float32).max)
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
SUPPORTED = TEXT_SUFFIXES + (".npy",)


def load_table(path: str | Path) -> torch.Tensor:
    """Load a table of numbers, one sample per row → (N, D) float32 with N, D >= 1."""
    path = Path(path)
    if not path.exists():
        raise GankitError(f"data file {path} not found")
    if not path.is_file():
        raise GankitError(f"data file {path} is not a regular file")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        table = _load_npy(path)
    elif suffix in TEXT_SUFFIXES:
        table = _load_text(path, suffix)
    else:
        raise GankitError(f"data file {path} has unsupported extension {suffix or '(none)'!r}; "
                          f"expected one of: {', '.join(SUPPORTED)}")
    assert table.ndim == 2 and table.shape[0] >= 1 and table.shape[1] >= 1, table.shape
    return torch.from_numpy(table)


# --- .npy ---

def _load_npy(path: Path) -> np.ndarray:
    check_numpy_file(path)  # random bytes would be reported as "pickled data" by np.load
    try:
        array = np.load(path, allow_pickle=False)  # never unpickle: a .npy may come from anyone
    except (ValueError, OSError, EOFError) as err:
        raise GankitError(f"data file {path} is not a readable numeric .npy array ({err})") from None
    if not isinstance(array, np.ndarray):  # np.load sniffs the bytes: a renamed .npz lands here
        array.close()
        raise GankitError(f"data file {path} holds an .npz archive, expected a single .npy array")
    if array.dtype.kind not in "biuf":
        raise GankitError(f"data file {path} has dtype {array.dtype}, expected real numbers")
    if array.ndim == 1:
        array = array[:, None]  # (N,) → (N, 1)
    if array.ndim != 2:
        raise GankitError(f"data file {path} has shape {array.shape}, expected (N,) or (N, D)")
    if array.size == 0:
        raise GankitError(f"data file {path} has shape {array.shape}, expected at least one value")
    bad_rows = np.flatnonzero(~(np.abs(array.astype(np.float64)) <= FLOAT32_MAX).all(axis=1))
    if len(bad_rows):
        raise GankitError(f"data file {path}: row {bad_rows[0]} (0-based) holds NaN, inf or a value "
                          f"too large for float32, expected finite numbers")
    return np.ascontiguousarray(array, dtype=np.float32)  # (N, D)


# --- .csv / .tsv / .txt ---

def _text_rows(path: Path, suffix: str) -> Iterator[tuple[int, list[str]]]:
    """(1-based line number, stripped cells) for every non-blank line."""
    try:
        # newline="" as the csv module requires; "-sig" drops the BOM Excel puts first.
        with open(path, newline="", encoding="utf-8-sig") as file:
            yield from _split_lines(file, suffix)
    except UnicodeDecodeError as err:
        raise GankitError(f"data file {path} is not UTF-8 text ({err.reason})") from None


def _split_lines(file: TextIO, suffix: str) -> Iterator[tuple[int, list[str]]]:
    if suffix == ".txt":
        first_line = next((line for line in file if line.strip()), "")
        file.seek(0)
        if "," not in first_line:  # no commas: whitespace separated, as np.savetxt writes it
            for number, line in enumerate(file, 1):
                if line.split():
                    yield number, line.split()
            return
    reader = csv.reader(file, delimiter="\t" if suffix == ".tsv" else ",")
    for cells in reader:
        if len(cells) > 1 or (cells and cells[0].strip()):
            yield reader.line_num, [cell.strip() for cell in cells]  # line_num: physical lines read


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _parse_row(path: Path, number: int, cells: Iterable[str]) -> list[float]:
    values = []
    for column, cell in enumerate(cells, 1):
        try:
            value = float(cell)
        except ValueError:
            raise GankitError(f"data file {path}, line {number}, column {column}: {cell!r} is not a "
                              f"number") from None
        if not abs(value) <= FLOAT32_MAX:
            raise GankitError(f"data file {path}, line {number}, column {column}: {cell!r} is not a "
                              f"finite float32 number")
        values.append(value)
    return values


def _load_text(path: Path, suffix: str) -> np.ndarray:
    rows = _text_rows(path, suffix)
    first = next(rows, None)
    if first is None:
        raise GankitError(f"data file {path} is empty, expected rows of numbers")
    first_number, first_cells = first
    width = len(first_cells)
    # Header iff no cell of the first row reads as a number; a row mixing numbers and words is
    # a data row with a typo, and is reported as such rather than silently dropped.
    has_header = not any(_is_number(cell) for cell in first_cells)
    values: list[list[float]] = [] if has_header else [_parse_row(path, first_number, first_cells)]
    for number, cells in rows:
        if len(cells) != width:
            raise GankitError(f"data file {path}, line {number} has {len(cells)} column(s), expected "
                              f"{width} (as on line {first_number})")
        values.append(_parse_row(path, number, cells))
    if not values:
        raise GankitError(f"data file {path} has a header row but no data rows")
    return np.asarray(values, dtype=np.float32)  # (N, D)

"""Tests for gankit/utils/io.py: atomic writes publish all or nothing, clean up their temporary
file on any failure (Ctrl-C included), create missing folders, honour the umask like open()."""
from __future__ import annotations

import json
import os
import stat

import pytest
import torch

from gankit.errors import GankitError
from gankit.utils.io import check_writable, atomic_open, atomic_path, read_jsonl, write_json


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_atomic_open_replaces_the_file_and_leaves_nothing_else(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    with atomic_open(path) as f:
        f.write("new content")
        assert path.read_text() == "old"  # a reader sees the old file until the write is complete
    assert path.read_text() == "new content"
    assert names(tmp_path) == ["a.txt"]


@pytest.mark.parametrize("error", [OSError("disk full (simulated)"), KeyboardInterrupt()])
def test_a_failure_midway_keeps_the_old_content_and_removes_the_temporary(tmp_path, error):
    path = tmp_path / "a.txt"
    path.write_text("old")
    with pytest.raises(type(error)):
        with atomic_open(path) as f:
            f.write("half of the new")
            f.flush()
            raise error
    assert path.read_text() == "old"
    assert names(tmp_path) == ["a.txt"]


def test_a_failed_first_write_creates_no_file(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "new.png") as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("encoder failed")
    assert names(tmp_path) == []


def test_atomic_path_is_a_sibling_keeping_the_suffix_and_missing_folders_are_made(tmp_path):
    target = tmp_path / "deep" / "er" / "plot.png"
    with atomic_path(target) as tmp:
        # same folder (so os.replace is a rename, never a copy), hidden, and the suffix libraries sniff
        assert tmp.parent == target.parent and tmp.name.startswith(".plot.png.") and tmp.suffix == ".png"
        tmp.write_bytes(b"\x89PNG")
    assert target.read_bytes() == b"\x89PNG"
    assert names(target.parent) == ["plot.png"]


def test_files_get_the_mode_open_would_give_not_mkstemps_0600(tmp_path):
    with atomic_open(tmp_path / "atomic.txt") as f:
        f.write("x")
    with open(tmp_path / "plain.txt", "w") as f:
        f.write("x")
    mode = stat.S_IMODE((tmp_path / "atomic.txt").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # e.g. 0644 under the usual 022, not mkstemp's private 0600


def test_binary_mode(tmp_path):
    with atomic_open(tmp_path / "a.bin", "wb") as f:
        f.write(bytes(range(256)))
    assert (tmp_path / "a.bin").read_bytes() == bytes(range(256))


def test_write_json_is_sorted_indented_newline_terminated_and_round_trips(tmp_path):
    obj = {"b": [1, 2.5], "a": {"z": None, "y": "ü"}}
    write_json(tmp_path / "sub" / "x.json", obj)
    text = (tmp_path / "sub" / "x.json").read_text()
    assert json.loads(text) == obj
    assert text.endswith("}\n") and text.index('"a"') < text.index('"b"') and '\n  "a": {' in text


def test_write_json_of_an_unserialisable_object_keeps_the_old_file(tmp_path):
    path = tmp_path / "x.json"
    write_json(path, {"ok": 1})
    with pytest.raises(TypeError):
        write_json(path, {"ok": 2, "bad": object()})  # json.dump fails after writing part of the text
    assert json.loads(path.read_text()) == {"ok": 1}
    assert names(tmp_path) == ["x.json"]


def test_a_folder_at_the_path_is_a_one_line_error_and_is_left_as_it_was(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep")
    with pytest.raises(GankitError, match="out: it is a directory; expected a file path"):
        with atomic_open(tmp_path / "out") as f:
            f.write("never")
    assert names(tmp_path) == ["out"] and names(tmp_path / "out") == ["mine.txt"]


def test_a_file_where_a_folder_should_be_is_named(tmp_path):
    (tmp_path / "data.csv").write_text("x\n1\n")
    with pytest.raises(GankitError, match=r"data\.csv is not a folder"):  # was FileExistsError's traceback
        write_json(tmp_path / "data.csv" / "deeper" / "m.json", {})
    assert (tmp_path / "data.csv").read_text() == "x\n1\n" and names(tmp_path) == ["data.csv"]


def test_read_jsonl_drops_a_torn_last_line_but_not_a_bad_one_before_it(tmp_path):
    log = tmp_path / "metrics.jsonl"
    log.write_text('{"step": 1}\n\n{"step": 2}\n{"step": 3, "lo')  # killed while appending step 3
    assert read_jsonl(log) == [{"step": 1}, {"step": 2}]
    log.write_text('{"step": 1}\ngarbage\n{"step": 3}\n')
    with pytest.raises(GankitError, match="metrics.jsonl, line 2 is not valid JSON"):
        read_jsonl(log)


def test_check_writable_leaves_nothing_behind(tmp_path):
    check_writable(tmp_path / "new" / "w.safetensors")
    assert [p.name for p in tmp_path.iterdir()] == ["new"] and not list((tmp_path / "new").iterdir())


def test_a_writer_that_recreates_the_file_still_gets_opens_mode(tmp_path):
    # safetensors' save_file (checkpoints) deletes and recreates its file 0600: others could not read a
    # shared run's weights
    from safetensors.torch import save_file

    with atomic_path(tmp_path / "w.safetensors") as tmp:
        save_file({"x": torch.zeros(2)}, str(tmp))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "w.safetensors").stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("row", ['[1, 2, 3]', '"text"', '{"step": "x"}', '{"step": true}'])
def test_read_jsonl_refuses_a_valid_json_line_that_is_not_a_log_row(tmp_path, row):
    # plot, report and resume died with AttributeError / TypeError tracebacks on these
    log = tmp_path / "metrics.jsonl"
    log.write_text(f'{{"step": 1}}\n{row}\n{{"step": 3}}\n')
    with pytest.raises(GankitError, match="line 2 is not a log row"):
        read_jsonl(log)


def test_write_json_writes_standard_json_non_finite_as_null(tmp_path):
    # evaluate --json and metrics rows held bare NaN, which JavaScript's JSON.parse and jq reject
    path = tmp_path / "m.json"
    write_json(path, {"reverse_kl": float("nan"), "rows": [float("inf"), 1.5], "n": 3})

    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    assert json.loads(path.read_text(), parse_constant=refuse) == {"reverse_kl": None, "rows": [None, 1.5], "n": 3}

"""`gankit generate` through the CLI: option pairs that used to be silently ignored, and a png-dir output
folder that already holds samples (refused, the user's files untouched)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import assert_one_line_error, run_cli
from tests.commands import test_features as shared
from tests.commands.test_features import ok

folder, folder_run = shared.folder, shared.folder_run  # the fixtures (folder_run needs folder)


def pngs(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.png"))}


# ---------------------------------------------------------------------------------------- ignored options
def test_n_with_interpolate_is_refused(folder_run, tmp_path):
    result = run_cli(["generate", folder_run, "-n", "4", "--interpolate", "6", "-o", tmp_path / "strip.png"])
    assert_one_line_error(result, ["-n 4", "--interpolate 6"])  # was: a strip of 6, -n 4 dropped
    assert not (tmp_path / "strip.png").exists()
    assert "wrote 6 samples" in ok(["generate", folder_run, "--interpolate", "6", "-o", tmp_path / "strip.png"])


@pytest.mark.parametrize("output, fmt", [("s.npz", []), ("s.bin", ["--format", "npz"]), ("dir", []),
                                         ("dir2", ["--format", "png-dir"])])
def test_grid_with_npz_or_png_dir_is_refused(folder_run, tmp_path, output, fmt):
    result = run_cli(["generate", folder_run, "--grid", "2x3", "-o", tmp_path / output, *fmt])
    assert_one_line_error(result, ["--grid", "npz" if "npz" in output + str(fmt) else "png-dir"])
    assert not (tmp_path / output).exists()  # was: six images written, the layout ignored


# ---------------------------------------------------------------------------------------- png-dir
def test_png_dir_refuses_a_folder_that_holds_samples_and_keeps_them(folder_run, tmp_path):
    out = tmp_path / "samples"
    ok(["generate", folder_run, "-n", "12", "-o", out])
    first = pngs(out)
    assert sorted(first) == [f"sample_{i:02d}.png" for i in range(12)]
    result = run_cli(["generate", folder_run, "-n", "3", "--seed", "1", "-o", out])
    # was: sample_0..2 written beside sample_00..11, two numberings in one folder
    assert_one_line_error(result, [str(out), "12 sample_*.png", "new or empty folder"])
    assert pngs(out) == first


def test_png_dir_into_a_folder_of_other_files_leaves_them_be(folder_run, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    ok(["generate", folder_run, "-n", "3", "-o", out, "--format", "png-dir"])
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "sample_0.png", "sample_1.png", "sample_2.png"]
    assert (out / "notes.txt").read_text() == "mine"

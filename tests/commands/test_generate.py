"""`gankit generate` through the CLI: option pairs that used to be silently ignored, a png-dir output
folder that already holds samples (refused, the user's files untouched), and png-dir as all or none (Ctrl-C
mid-way leaves no partial set; a file in the way is found before the sampling)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import assert_one_line_error, run_cli
from tests.commands import test_features as shared
from tests.commands.test_features import ok

folder, folder_run, vector_run = shared.folder, shared.folder_run, shared.vector_run  # the fixtures


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


# ---------------------------------------------------------------------------------------- png-dir: all or none
def interrupt_after(monkeypatch, n_files: int) -> None:
    """Ctrl-C arrives while the n_files+1-th PNG is being written."""
    import gankit.viz.grid as grid

    real, calls = grid._write_png, []

    def write(pixels, path):
        calls.append(path)
        if len(calls) > n_files:
            raise KeyboardInterrupt
        return real(pixels, path)

    monkeypatch.setattr(grid, "_write_png", write)


def test_ctrl_c_during_png_dir_leaves_no_partial_folder(folder_run, tmp_path, monkeypatch):
    interrupt_after(monkeypatch, 5)
    result = run_cli(["generate", folder_run, "-n", "12", "-o", tmp_path / "new"])
    assert result.code == 130 and result.err == "gankit generate: interrupted\n", result.err
    assert not (tmp_path / "new").exists()  # was: sample_00..04.png, and the same command then refused the folder
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    result = run_cli(["generate", folder_run, "-n", "12", "-o", mine])
    assert result.code == 130
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]  # no samples, no hidden folder; the user's file kept
    monkeypatch.undo()
    ok(["generate", folder_run, "-n", "12", "-o", mine])
    assert sorted(pngs(mine)) == [f"sample_{i:02d}.png" for i in range(12)] and not list(mine.glob(".*"))


def test_png_dir_under_a_file_is_refused_before_sampling(folder_run, tmp_path, monkeypatch):
    from gankit.train.run import Generator

    (tmp_path / "afile").write_text("mine")

    def no_sampling(*args, **kwargs):
        raise AssertionError("sampled before finding that the output cannot be written")

    monkeypatch.setattr(Generator, "sample", no_sampling)
    for out in (tmp_path / "afile", tmp_path / "afile" / "sub"):
        result = run_cli(["generate", folder_run, "-n", "3", "-o", out, "--format", "png-dir"])
        assert_one_line_error(result, [str(out), f"{tmp_path / 'afile'} is a file", "folder"])
    assert (tmp_path / "afile").read_text() == "mine"


def test_held_interrupt_comes_after_the_block():
    import os
    import signal

    from gankit.commands.generate import _interrupt_held

    done = []
    with pytest.raises(KeyboardInterrupt):
        with _interrupt_held():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("moved")
    assert done == ["moved"] and signal.getsignal(signal.SIGINT) is signal.default_int_handler


# ---------------------------------------------------------------------------------------- output checked first
@pytest.fixture
def no_sampling(monkeypatch):
    from gankit.train.run import Generator

    def refuse(*args, **kwargs):
        raise AssertionError("sampled before finding that the output cannot be written")

    monkeypatch.setattr(Generator, "sample", refuse)


@pytest.mark.parametrize("which, output, words", [
    ("vector", "p.txt", ["'txt'", "vector data", "csv, npy or png"]),
    ("vector", "afile/p.csv", ["afile is not a folder"]),
    ("image", "p.csv", ["'csv'", "images", "png-dir or npz"]),
    ("image", "afile/g.png", ["afile is not a folder"]),
])
def test_a_bad_output_is_refused_before_sampling(vector_run, folder_run, tmp_path, no_sampling, which, output,
                                                 words):
    """A format that does not fit the run, or a path that cannot be written, was found only when writing,
    after all -n samples were made (25 s for 2,000,000 circle points, then the error)."""
    (tmp_path / "afile").write_text("mine")
    run = vector_run if which == "vector" else folder_run
    assert_one_line_error(run_cli(["generate", run, "-n", "5", "-o", tmp_path / output]), words)
    assert (tmp_path / "afile").read_text() == "mine"


@pytest.mark.parametrize("count", [["-n", "100000000000"], ["-n", "99999999999999999999999"],
                                   ["--interpolate", "100000000000"]])
def test_a_count_beyond_the_machine_memory_is_one_line(vector_run, tmp_path, no_sampling, count):
    """Was torch's 'DefaultCPUAllocator: can't allocate memory' traceback (a RuntimeError)."""
    result = run_cli(["generate", vector_run, *count, "-o", tmp_path / "p.csv"])
    assert_one_line_error(result, [count[1], "GiB of memory", "smaller count"])
    assert not (tmp_path / "p.csv").exists()


# ---------------------------------------------------------------------------------------- infogan
@pytest.fixture(scope="module")
def infogan_run(tmp_path_factory) -> Path:
    from tests.cli_helpers import TINY, train_ok

    return train_ok(["grid25-infogan", "--steps", "2", "--out", tmp_path_factory.mktemp("runs"), *TINY])


def test_infogan_runs_generate_with_and_without_a_label(infogan_run, tmp_path):
    """InfoGAN's latents are noise + codes (2 + 26 on grid25-infogan): Generator.sample's shape check took
    model.latent_dim alone as their width and refused every sample, '(N, 2) ... got (5, 28)'."""
    run = infogan_run
    assert "wrote 5 samples" in ok(["generate", run, "-n", "5", "-o", tmp_path / "a.csv"])
    assert "wrote 5 samples" in ok(["generate", run, "-n", "5", "--label", "3", "-o", tmp_path / "b.csv"])
    assert "wrote 4 samples" in ok(["generate", run, "--interpolate", "4", "-o", tmp_path / "c.csv"])
    assert_one_line_error(run_cli(["generate", run, "-n", "5", "--label", "25", "-o", tmp_path / "d.csv"]),
                          ["label 25", "0..24"])


def test_truncation_leaves_infogan_codes_alone(infogan_run):
    """--truncation T < 1 redrew every entry above T, the one-hot category codes' 1s and the uniform
    continuous codes included; only the Gaussian noise (the first model.latent_dim columns) is truncated."""
    import torch

    from gankit.sampling import latents
    from gankit.train.run import load_run

    run = load_run(infogan_run)
    noise_dim = run.cfg.model.latent_dim
    plain, cut = latents(run, 64, 0), latents(run, 64, 0, truncation=0.5)
    assert torch.equal(cut[:, noise_dim:], plain[:, noise_dim:])  # codes as drawn: one 1 per row, the rest 0
    assert cut[:, :noise_dim].abs().max() <= 0.5 < plain[:, :noise_dim].abs().max()


# ---------------------------------------------------------------------------------------- the run's own files
@pytest.mark.parametrize("target", ["samples/step_000002.png", "plots/losses.png", "metrics.jsonl",
                                    "checkpoints/mine.npz", "predict"])
def test_output_onto_the_runs_own_records_is_refused_and_they_are_kept(folder_run, target):
    """-o RUN/samples/step_000002.png replaced a training sample with a generated grid."""
    run = Path(folder_run)
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    result = run_cli(["generate", folder_run, "-n", "4", "-o", run / target])
    assert_one_line_error(result, [str(run.resolve() / target.split("/")[0]), "run's own record"])
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


def test_a_new_file_at_the_top_of_the_run_folder_is_allowed(folder_run):
    out = Path(folder_run) / "extra_samples.npz"
    try:
        assert "wrote 4 samples" in ok(["generate", folder_run, "-n", "4", "-o", out])
    finally:
        out.unlink(missing_ok=True)  # the run fixture is shared by the module

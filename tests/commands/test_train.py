"""`gankit train` from the command line (gankit/commands/train.py): a failed command writes no run
folder and leaves a resumed run as it was; flags and --set never both set a key; runs are named
after --data when no preset was named."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.cli_helpers import TINY, assert_one_line_error, run_cli, train_ok


def snapshot(run_dir: Path) -> dict:
    return {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def ten_step_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    return train_ok(["--steps", "10", "--out", out, "--name", "ten", *TINY])


@pytest.mark.parametrize("args, words", [
    # found late (after the run folder was made), which left an empty folder behind
    (["--set", "eval.best_metric=foo"], ["eval.best_metric", "foo", "fid, kid, precision, recall, coverage, is"]),
    (["--set", "eval.features=foo"], ["eval.features", "foo", "classifier:<dataset", "inception", "pixels"]),
    # found at the first evaluation, in a message that did not name the key
    (["--set", "eval.n_metric=0"], ["eval.n_metric", ">= 1"]),
    (["--set", "eval.grid=0"], ["eval.grid", ">= 1"]),
    (["--set", "loss.real_label=0"], ["loss.real_label", "(0, 1]"]),
    # a number is a preset name like any other: missing, so the presets are listed
    (["5"], ["config '5' not found", "circle, fashion-cgan"]),
    (["--set", "train.steps.x=3"], ["'train.steps' is a value, not a section", "train.steps=VALUE"]),
    (["--steps", "50", "--set", "train.steps=100"], ["--steps 50 and --set train.steps=100 both set train.steps"]),
    (["--steps", "50", "--set", "train.epochs=2"], ["--steps 50 and --set train.epochs=2 both set train.epochs"]),
    (["--name", "a", "--set", "train.name=b"], ["--name a", "train.name=b"]),
    (["--image-size", "32"], ["data.image_size", "--image-size", "vectors of shape (2,)"]),
])
def test_bad_train_input_is_one_line_and_writes_no_run_folder(tmp_path, args, words):
    out = tmp_path / "out"
    assert_one_line_error(run_cli(["train", "--out", out, *TINY, *args]), words)  # after TINY: they win
    assert not out.exists(), f"a failed command wrote {sorted(p.name for p in out.rglob('*'))}"


@pytest.mark.parametrize("args, words", [
    (["--name", "x"], ["--name x with --resume", "stays in its folder"]),
    (["--out", "{tmp}/elsewhere"], ["--out", "elsewhere", "stays in its folder"]),
    (["--set", "train.name=x"], ["--set train.name=x with --resume"]),
    (["--set", "train.out_dir={tmp}/elsewhere"], ["--set train.out_dir="]),
    (["--steps", "10"], ["the run is at step 10", "must be above 10", "got 10"]),
    (["--steps", "4"], ["the run is at step 10", "must be above 10", "got 4"]),
    ([], ["the run is at step 10", "must be above 10"]),  # a finished run, resumed without more steps
])
def test_a_refused_resume_leaves_the_run_as_it_was(tmp_path, ten_step_run, args, words):
    """--name/--out were ignored yet written into config.yaml; --steps <= the run's step did nothing
    and rewrote train.steps in config.yaml."""
    before = snapshot(ten_step_run)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert_one_line_error(run_cli(["train", "--resume", ten_step_run, *args, "--no-progress"]), words)
    assert snapshot(ten_step_run) == before
    assert not (tmp_path / "elsewhere").exists()


def test_a_resume_with_more_steps_goes_on_in_its_folder(tmp_path, ten_step_run):
    import shutil

    run = Path(shutil.copytree(ten_step_run, tmp_path / "copy"))
    assert train_ok(["--resume", run, "--steps", "20", "--no-progress"]) == run
    assert yaml.safe_load((run / "config.yaml").read_text())["train"]["steps"] == 20


@pytest.mark.parametrize("data, name", [("points.csv", "points"), ("grid25", "grid25")])
def test_a_run_of_data_without_a_preset_is_named_after_the_data(tmp_path, data, name):
    """It was named 'circle', after the default preset the data replaced."""
    if data.endswith(".csv"):
        (tmp_path / data).write_text("x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(40)))
        data = str(tmp_path / data)
    run = train_ok(["--data", data, "--steps", "2", "--out", tmp_path / "out", "--set", "eval.metrics=false", *TINY])
    assert run == tmp_path / "out" / name


def test_a_named_preset_or_name_still_names_the_run(tmp_path):
    common = ["--data", "grid25", "--steps", "2", "--out", tmp_path, "--set", "eval.metrics=false", *TINY]
    assert train_ok(["ring8", *common]).name == "ring8"
    assert train_ok(["--name", "mine", *common]).name == "mine"
    assert train_ok(["--set", "train.name=set", *common]).name == "set"


@pytest.mark.parametrize("local_rank, printed", [("0", True), ("1", False)])
def test_a_config_error_under_torchrun_is_printed_by_local_rank_0_only(monkeypatch, tmp_path, local_rank, printed):
    """Every rank of a node finds the same config error: one line per node, not one per process; every
    rank still exits 2 (before any process group exists, so this runs without torchrun)."""
    monkeypatch.setenv("RANK", local_rank)
    monkeypatch.setenv("LOCAL_RANK", local_rank)
    monkeypatch.setenv("WORLD_SIZE", "2")
    result = run_cli(["train", "circle", "--set", "train.stepz=3", "--out", tmp_path])
    assert result.code == 2
    assert ("train.stepz" in result.err) is printed and (result.err == "") is not printed
    assert not any(tmp_path.iterdir())

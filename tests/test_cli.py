"""The `gankit` command as a user meets it: help, listings, one-line errors, overrides, generate, evaluate.

Most commands run in this process (tests/cli_helpers.py: `run_cli`); one test runs the real
`python -m gankit` to check the same contract end to end. Newer command tests live in tests/commands/.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from gankit.sampling import latents
from gankit.train.checkpoint import latest_step, list_steps
from gankit.train.run import load_run
from tests.cli_helpers import TINY, Result, assert_one_line_error, run_cli, train_ok

@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """A 20-step circle run, data standardised so that 'data units' differ from the network's units."""
    out = tmp_path_factory.mktemp("runs")
    return train_ok(["circle", "--steps", "20", "--set", "data.normalize=standard", "--out", out, *TINY])


# ---------------------------------------------------------------------------------------- help, list
def test_help_exits_zero_and_lists_commands():
    result = run_cli(["--help"])
    assert result.code == 0 and result.err == ""
    for command in ("train", "generate", "evaluate", "list"):
        assert command in result.out


def test_train_help_documents_overrides_and_resume():
    result = run_cli(["train", "--help"])
    assert result.code == 0 and result.err == ""
    for flag in ("--set", "--resume", "--steps", "--seed", "--out", "--data", "--model"):
        assert flag in result.out


def test_list_names_models_losses_datasets_presets():
    result = run_cli(["list"])
    assert result.code == 0, result.err
    sections = {}
    current = None
    for line in result.out.splitlines():
        if line and not line.startswith(" "):
            current = line.rstrip(":")
            sections[current] = []
        elif line.strip():
            sections[current].append(line.split()[0])
    assert "mlp" in sections["models"]
    assert {"nonsaturating", "minimax"} <= set(sections["losses"])
    assert {"circle", "quadratic", "grid25"} <= set(sections["datasets"])
    assert {"circle", "quadratic"} <= set(sections["presets"])


# ---------------------------------------------------------------------------------------- bad input
@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    """Broken inputs a user might hand over."""
    paths = {name: tmp_path / name for name in ("bad.yaml", "list.yaml", "unknown.yaml", "garbled.csv")}
    paths["bad.yaml"].write_text("data:\n  name: circle\ntrain: {steps: [1, 2\n")  # unclosed bracket
    paths["list.yaml"].write_text("- data\n- model\n")
    paths["unknown.yaml"].write_text("train:\n  steps: 5\n  stepz: 3\n")
    paths["garbled.csv"].write_text("x,y\n1.0,2.0\n3.0,oops\n4.0,5.0\n")
    paths["pickled.npy"] = tmp_path / "pickled.npy"
    np.save(paths["pickled.npy"], np.array([{"a": 1}], dtype=object), allow_pickle=True)  # objects: never unpickled
    paths["notrun"] = tmp_path / "notrun"
    paths["notrun"].mkdir()
    return paths


# (id, arguments after `train` or the command, words the one-line message must contain)
TRAIN_ERRORS = [
    ("missing-config", lambda f: ["{tmp}/nope.yaml"], ["nope.yaml"]),
    ("bad-yaml", lambda f: [f["bad.yaml"]], ["bad.yaml", "line "]),
    ("yaml-list", lambda f: [f["list.yaml"]], ["list.yaml", "mapping"]),
    ("yaml-unknown-key", lambda f: [f["unknown.yaml"]], ["train.stepz"]),
    ("set-unknown-key", lambda f: ["--set", "train.stepz=3"], ["train.stepz"]),
    ("set-wrong-type", lambda f: ["--set", "train.steps=abc"], ["train.steps", "integer"]),
    ("set-without-equals", lambda f: ["--set", "train.steps"], ["train.steps", "="]),
    ("negative-steps", lambda f: ["--steps", "-5"], ["train.steps", "-5"]),
    ("unknown-dataset", lambda f: ["--data", "nosuchset"], ["nosuchset"]),
    ("unknown-model", lambda f: ["--model", "nosuchmodel"], ["nosuchmodel"]),
    ("unknown-loss", lambda f: ["--set", "loss.name=foo"], ["loss.name", "foo"]),
    ("unknown-optimizer", lambda f: ["--set", "optim.g.name=foo"], ["optim.g.name", "foo"]),
    ("bad-choice", lambda f: ["--set", "train.precision=fp8"], ["train.precision", "fp8"]),
    ("missing-csv", lambda f: ["--data", "{tmp}/no/such.csv"], ["such.csv"]),
    ("garbled-csv", lambda f: ["--data", f["garbled.csv"]], ["garbled.csv", "line 3"]),
    ("resume-not-a-run", lambda f: ["--resume", f["notrun"]], ["notrun"]),
    ("unknown-device", lambda f: ["--device", "tpu"], ["tpu"]),
    # torch.device() accepts these names, but this build cannot train on them
    ("unusable-device-meta", lambda f: ["--device", "meta"], ["meta"]),
    ("unusable-device-xla", lambda f: ["--device", "xla"], ["xla"]),
    ("zero-width-layer", lambda f: ["--set", "model.g.hidden=[0]"], ["model.g.hidden"]),
    # NaN passed every range check and escaped as torch's "Invalid learning rate: nan" traceback
    ("nan-lr", lambda f: ["--set", "optim.g.lr=nan"], ["optim.g.lr", "number"]),
    ("nan-penalty", lambda f: ["--set", "reg.gp_weight=.nan"], ["reg.gp_weight", "number"]),
    ("beta-above-one", lambda f: ["--set", "optim.d.betas=[0.5, 1.5]"], ["optim.d.betas", "[0, 1)"]),
    ("negative-threads", lambda f: ["--set", "train.threads=-2"], ["train.threads", ">= 1"]),
    ("image-size-zero", lambda f: ["--image-size", "0"], ["data.image_size", ">= 1"]),
    ("seed-overflow", lambda f: ["--seed", "99999999999999999999"], ["--seed", "out of range"]),
    ("set-seed-overflow", lambda f: ["--set", "train.seed=99999999999999999999"], ["train.seed"]),
    ("pickled-npy", lambda f: ["--data", f["pickled.npy"]], ["pickled.npy", ".npy"]),
    ("out-is-a-file", lambda f: ["--out", f["garbled.csv"]], ["garbled.csv", "train.out_dir"]),
    ("unknown-flag", lambda f: ["--stepz", "3"], ["--stepz"]),  # argparse's own errors are one line too
]


@pytest.mark.parametrize("make_args, words", [c[1:] for c in TRAIN_ERRORS], ids=[c[0] for c in TRAIN_ERRORS])
def test_train_bad_input_is_one_line_and_writes_nothing(tmp_path, files, make_args, words):
    out = tmp_path / "out"
    # --steps 3 first: a case's own --steps comes later and wins; a bug that lets a case through stays short.
    base = ["--steps", "3", "--out", out, "--no-progress", "--set", "eval.plots=false", "--set", "eval.metrics=false"]
    args = [str(a).replace("{tmp}", str(tmp_path)) for a in make_args(files)]
    assert_one_line_error(run_cli(["train", *base, *args]), words)
    assert not out.exists(), f"a failed command wrote {sorted(p.name for p in out.rglob('*'))}"


GENERATE_ERRORS = [
    ("generate-not-a-run", lambda f, run: ["generate", f["notrun"], "-n", "5"], ["notrun"]),
    ("generate-n-zero", lambda f, run: ["generate", run, "-n", "0"], ["-n", "0"]),
    ("generate-no-such-step", lambda f, run: ["generate", run, "--checkpoint", "15"], ["15"]),
    ("generate-bad-format", lambda f, run: ["generate", run, "--format", "npz"], ["npz"]),
    ("evaluate-not-a-run", lambda f, run: ["evaluate", f["notrun"]], ["notrun"]),
    ("generate-unknown-format", lambda f, run: ["generate", run, "--format", "unknown"], ["--format", "unknown"]),
    ("generate-n-not-a-number", lambda f, run: ["generate", run, "-n", "abc"], ["-n", "abc"]),
    ("generate-seed-overflow", lambda f, run: ["generate", run, "--seed", str(2**64)], ["--seed", "out of range"]),
    # K = 0 was read as "no --interpolate" and wrote 1000 samples
    ("generate-interpolate-zero", lambda f, run: ["generate", run, "--interpolate", "0"], ["--interpolate", "0"]),
    ("generate-grid-on-vectors", lambda f, run: ["generate", run, "-n", "4", "--grid", "2x2"], ["--grid", "vectors"]),
    ("generate-out-in-a-file", lambda f, run: ["generate", run, "-n", "5", "-o", f["garbled.csv"] / "pts.csv"],
     ["garbled.csv", "not a folder"]),
    ("evaluate-n-zero", lambda f, run: ["evaluate", run, "--n", "0"], ["--n", "0"]),
    ("evaluate-bad-device", lambda f, run: ["evaluate", run, "--device", "nonsense"], ["--device", "nonsense"]),
    ("evaluate-json-in-a-file", lambda f, run: ["evaluate", run, "--n", "50", "--json", f["garbled.csv"] / "m.json"],
     ["garbled.csv", "not a folder"]),
    ("features-bad-device", lambda f, run: ["features", "extract", "--features", "pixels", "--run", run, "-o",
                                            f["notrun"] / "f.npy", "--device", "nonsense"], ["--device", "nonsense"]),
    ("features-no-action", lambda f, run: ["features"], ["ACTION"]),
    ("unknown-command", lambda f, run: ["nosuch"], ["nosuch"]),
]


@pytest.mark.parametrize("make_args, words", [c[1:] for c in GENERATE_ERRORS], ids=[c[0] for c in GENERATE_ERRORS])
def test_generate_and_evaluate_bad_input_is_one_line(tmp_path, files, trained_run, make_args, words):
    target = tmp_path / "pts.csv"
    argv = [*make_args(files, trained_run)]
    if argv[0] == "generate" and "-o" not in argv:
        argv += ["-o", target]
    assert_one_line_error(run_cli(argv), words)
    assert not target.exists()


def test_real_process_prints_one_line_and_exits_2(tmp_path):
    """The contract end to end, in the process a user runs (one case: each costs seconds of imports)."""
    argv = [sys.executable, "-m", "gankit", "train", "--set", "train.stepz=1", "--out", str(tmp_path / "out")]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert_one_line_error(Result(proc.returncode, proc.stdout, proc.stderr), ["train.stepz"])
    assert proc.stderr.startswith("gankit train: error: ")
    assert not (tmp_path / "out").exists()


def test_an_output_path_that_is_a_folder_is_refused_and_the_folder_kept(tmp_path, trained_run):
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep")
    result = run_cli(["generate", trained_run, "-n", "5", "--format", "csv", "-o", folder])
    assert_one_line_error(result, [str(folder), "directory", "expected a file"])
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert left == ["taken", "taken/mine.txt"]  # no temporary file left either


def test_evaluate_json_into_a_folder_fails_before_the_work(tmp_path, trained_run):
    # it used to sample, print the whole table, and only then fail to write
    folder = tmp_path / "taken"
    folder.mkdir()
    result = run_cli(["evaluate", trained_run, "--json", folder])
    assert_one_line_error(result, [str(folder), "directory"])
    assert result.out == ""  # no results table: nothing was computed


def test_plot_drops_a_torn_last_log_line_and_names_a_missing_log(tmp_path, trained_run):
    """A run killed while appending to metrics.jsonl leaves half a line; plot redraws from the rest."""
    run_dir = shutil.copytree(trained_run, tmp_path / "run")
    with open(run_dir / "metrics.jsonl", "a") as f:
        f.write('{"step": 21, "d_lo')
    result = run_cli(["plot", run_dir])
    assert result.code == 0, result.err
    assert (run_dir / "plots" / "losses.png").stat().st_size > 0
    (run_dir / "metrics.jsonl").unlink()
    assert_one_line_error(run_cli(["plot", run_dir]), ["metrics.jsonl", "not found"])


def test_resume_after_a_kill_mid_log_line(tmp_path, trained_run):
    run_dir = shutil.copytree(trained_run, tmp_path / "run")
    with open(run_dir / "metrics.jsonl", "a") as f:
        f.write('{"step": 21, "d_lo')
    assert train_ok(["--resume", run_dir, "--steps", "25", *TINY]) == run_dir
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]  # all whole again
    assert rows[-1]["step"] == 25 and latest_step(run_dir / "checkpoints") == 25


def test_resume_with_other_networks_names_the_mismatch(tmp_path, trained_run):
    run_dir = shutil.copytree(trained_run, tmp_path / "run")
    result = run_cli(["train", "--resume", run_dir, "--steps", "25", "--set", "model.g.hidden=[4]", *TINY])
    # torch's own first line ("Error(s) in loading state_dict for ...:") said nothing about what differs
    assert_one_line_error(result, ["network 'G'", "body.", "expected the model settings"])


# ---------------------------------------------------------------------------------------- overrides
def test_overrides_reach_config_model_and_run_directory(tmp_path):
    run_dir = train_ok(["circle", "--set", "train.steps=7", "--set", "optim.g.lr=5e-4", "--set", "model.g.hidden=[8,8]",
                        "--set", f"train.out_dir={tmp_path / 'runs'}", "--set", "train.name=mine", *TINY])
    assert run_dir == tmp_path / "runs" / "mine"
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["train"]["steps"] == 7
    assert saved["optim"]["g"]["lr"] == pytest.approx(5e-4) and isinstance(saved["optim"]["g"]["lr"], float)
    assert saved["model"]["g"]["hidden"] == [8, 8]
    assert saved["model"]["d"]["hidden"] == [32, 16]  # only G was asked to change
    assert latest_step(run_dir / "checkpoints") == 7
    G = load_run(run_dir).algo.nets["G"]
    # (latent 3) -> 8 -> 8 -> (2): the override shaped the network, not only the YAML
    assert [tuple(p.shape) for p in G.parameters() if p.dim() == 2] == [(8, 3), (8, 8), (2, 8)]


def test_seed_and_steps_shortcuts(tmp_path):
    run_dir = train_ok(["circle", "--seed", "5", "--steps", "4", "--out", tmp_path, "--name", "short", *TINY])
    assert run_dir == tmp_path / "short"
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert (saved["train"]["seed"], saved["train"]["steps"]) == (5, 4)
    assert list_steps(run_dir / "checkpoints") == [4]


def test_same_command_twice_never_overwrites(tmp_path):
    argv = ["circle", "--steps", "3", "--out", tmp_path, "--name", "twice", "--set", "eval.metrics=false", *TINY]
    first = train_ok(argv)
    before = {p: p.read_bytes() for p in first.rglob("*") if p.is_file()}
    second = train_ok(argv)
    assert (first.name, second.name) == ("twice", "twice-2")
    assert {p: p.read_bytes() for p in first.rglob("*") if p.is_file()} == before
    assert latest_step(second / "checkpoints") == 3


def test_data_shortcut_switches_dataset_and_its_parameters(tmp_path):
    """`--data quadratic` on the circle preset must not keep circle's sampler parameters (radius, n_points)."""
    run_dir = train_ok(["circle", "--data", "quadratic", "--steps", "2", "--out", tmp_path,
                        "--set", "eval.metrics=false", *TINY])
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["data"]["name"] == "quadratic"


# ---------------------------------------------------------------------------------------- generate
def test_generate_csv_npy_png(tmp_path, trained_run):
    for name in ("pts.csv", "pts.npy", "pts.png"):
        result = run_cli(["generate", trained_run, "-n", "50", "-o", tmp_path / name])
        assert result.code == 0, result.err
    lines = (tmp_path / "pts.csv").read_text().splitlines()
    assert lines[0] == "x0,x1" and len(lines) == 51
    from_csv = np.loadtxt(tmp_path / "pts.csv", delimiter=",", skiprows=1)
    from_npy = np.load(tmp_path / "pts.npy", allow_pickle=False)
    assert from_csv.shape == from_npy.shape == (50, 2)
    assert np.isfinite(from_npy).all()
    np.testing.assert_allclose(from_csv, from_npy, rtol=1e-6, atol=1e-6)  # CSV keeps 7 significant digits
    with Image.open(tmp_path / "pts.png") as image:
        image.verify()
        assert image.format == "PNG"


def test_generate_writes_data_units(tmp_path, trained_run):
    """The run standardised its data, so the network's raw output and data units differ by the scale."""
    assert run_cli(["generate", trained_run, "-n", "50", "--seed", "3", "-o", tmp_path / "pts.npy"]).code == 0
    written = torch.from_numpy(np.load(tmp_path / "pts.npy"))
    run = load_run(trained_run)
    raw = run.algo.sample(50, z=latents(run, 50, 3))  # normalised units, the seed's latents
    scale, shift = torch.tensor(run.info.scale), torch.tensor(run.info.shift)
    assert not torch.allclose(scale, torch.ones(2), atol=0.05)  # the check below would prove nothing
    torch.testing.assert_close(written, raw * scale + shift)


def test_generate_same_seed_same_file(tmp_path, trained_run):
    for name, seed in (("a.csv", "7"), ("b.csv", "7"), ("c.csv", "8")):
        assert run_cli(["generate", trained_run, "-n", "50", "--seed", seed, "-o", tmp_path / name]).code == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()


# ---------------------------------------------------------------------------------------- evaluate
def test_evaluate_json(tmp_path, trained_run):
    result = run_cli(["evaluate", trained_run, "--n", "200", "--json", tmp_path / "out.json"])
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["step"] == 20 and report["n"] == 200
    for key in ("mmd", "swd", "radius_mean"):
        assert np.isfinite(report["metrics"][key]), key
    assert report["metrics"]["radius_mean"] > 0


def test_evaluate_says_when_mmd_scores_a_subset(trained_run, monkeypatch):
    """MMD costs n²: above MMD_MAX_POINTS a vector run's MMD is on a subset, and the header says so."""
    import gankit.metrics.toy as toy

    monkeypatch.setattr(toy, "MMD_MAX_POINTS", 100)
    result = run_cli(["evaluate", trained_run, "--n", "300"])
    assert result.code == 0, result.err
    assert "300 real vs 300 generated; mmd on 100 of each" in result.out
    assert "mmd on" not in run_cli(["evaluate", trained_run, "--n", "100"]).out


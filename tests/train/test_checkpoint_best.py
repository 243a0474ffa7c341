"""checkpoints/best.json and pruning: train.keep_last keeps the newest checkpoints plus the best one, even
when the hooks no longer protect it (a run resumed without eval.best_metric), so `--checkpoint best` works."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from torch import nn

from gankit.train.checkpoint import best_step, list_steps, save_checkpoint
from tests.cli_helpers import TINY, run_cli, train_ok
from tests.commands.test_features import make_image_folder


def save_tiny(directory: Path, step: int, keep_last: int) -> None:
    save_checkpoint(directory, step, {"G": nn.Linear(2, 2)}, {}, {}, keep_last=keep_last)


def test_the_step_best_json_names_survives_pruning(tmp_path):
    save_tiny(tmp_path, 10, keep_last=1)
    (tmp_path / "best.json").write_text(json.dumps({"step": 10, "metric": "fid", "value": 3.0}))
    for step in (20, 30, 40, 50):
        save_tiny(tmp_path, step, keep_last=1)
    assert list_steps(tmp_path) == [10, 40, 50]  # was [40, 50]: best.json named a deleted checkpoint
    (tmp_path / "best.json").write_text(json.dumps({"step": 50}))  # a new best: the old one may go now
    save_tiny(tmp_path, 60, keep_last=1)
    assert list_steps(tmp_path) == [50, 60]


@pytest.mark.parametrize("content", ["", "garbage", "[10]", '{"step": null}', '{"step": true}', '{"step": "10"}',
                                     '{"metric": "fid"}'])
def test_an_unreadable_best_json_protects_nothing_and_breaks_nothing(tmp_path, content):
    (tmp_path / "best.json").write_text(content)
    assert best_step(tmp_path) is None
    for step in (10, 20, 30):
        save_tiny(tmp_path, step, keep_last=0)
    assert list_steps(tmp_path) == [30]


def test_best_survives_a_resume_without_best_metric(tmp_path):
    pictures = make_image_folder(tmp_path / "pictures", per_class=8)
    best = ["--set", "eval.image_metrics=[fid]", "--set", "eval.features=pixels", "--set", "eval.n_image_metric=16",
            "--set", "eval.best_metric=fid"]
    run = train_ok(["circle", "--data", pictures, "--image-size", "4", "--steps", "2", "--out", tmp_path, *TINY,
                    "--set", "eval.every=1", "--set", "train.keep_last=0", *best])
    chosen = json.loads((run / "checkpoints" / "best.json").read_text())["step"]
    result = run_cli(["train", "--resume", run, "--steps", "5", "--no-progress", "--set", "eval.best_metric=null"])
    assert result.code == 0, result.err
    assert list_steps(run / "checkpoints") == sorted({chosen, 5})  # keep_last=0: the newest, and the best
    result = run_cli(["generate", run, "--checkpoint", "best", "-n", "2", "-o", tmp_path / "best.npz"])
    assert result.code == 0, result.err  # was: "checkpoint .../step_000001.safetensors/.json not found"
    assert "wrote 2 samples" in result.out


@pytest.fixture
def circle_run(tmp_path):
    return train_ok(["circle", "--steps", "4", "--out", tmp_path, *TINY, "--set", "eval.every=2",
                     "--set", "eval.plots=false"])


@pytest.mark.parametrize("which, words", [
    ("²", "--checkpoint '²': expected latest, best or a step number"),  # isdigit() took it, int() raised
    ("7", "no checkpoint at step 7 in"),
])
def test_a_bad_checkpoint_choice_is_one_line(tmp_path, circle_run, which, words):
    result = run_cli(["generate", circle_run, "--checkpoint", which, "-n", "2", "-o", tmp_path / "x.npz"])
    assert result.code != 0 and words in result.err and "Traceback" not in result.err
    if which == "7":
        assert "available: 2, 4" in result.err


@pytest.mark.parametrize("content, words", [
    ('{"step": null}', "best.json is unreadable; expected a JSON object"),  # a TypeError traceback
    ("[1]", "best.json is unreadable"),
    ('{"step": "x"}', "best.json is unreadable"),  # was reported as missing
    ('{"step": 3}', "best.json names step 3, which has no checkpoint in"),
])
def test_a_best_json_that_names_no_checkpoint_is_one_line(tmp_path, circle_run, content, words):
    (circle_run / "checkpoints" / "best.json").write_text(content)
    result = run_cli(["generate", circle_run, "--checkpoint", "best", "-n", "2", "-o", tmp_path / "x.npz"])
    assert result.code != 0 and words in result.err and "Traceback" not in result.err
    if "names step" in words:
        assert "available: 2, 4" in result.err

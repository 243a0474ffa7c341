"""Tests for gankit/train/trainer.py: the linear and cosine learning-rate schedules in closed form
(also across a resume), train.time_limit ending a run early with the last step logged, evaluated and
saved, TrainingDiverged as a one-line error naming the non-finite loss, epochs -> steps and the
epoch column, and the keyword checks of the `train()` API."""
from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest
import torch

from gankit.config import apply_overrides, load_config
from gankit.errors import GankitError
from gankit.train.checkpoint import latest_step, read_checkpoint
from gankit.train.trainer import Trainer, TrainingDiverged, train

QUIET = ["eval.every=1000", "eval.plots=false", "eval.metrics=false", "train.progress=false", "train.batch_size=32"]


def config(tmp_path, *overrides: str):
    return apply_overrides(load_config("circle"), QUIET + [f"train.out_dir={tmp_path}", *overrides])


def record_lrs(trainer: Trainer) -> list[tuple[float, float]]:
    """(G's lr, D's lr) in force at each iteration, read when its D step starts."""
    seen, d_step = [], trainer.algo.d_step
    trainer.algo.d_step = lambda batch: (seen.append(tuple(trainer.optimizers[k].param_groups[0]["lr"]
                                                           for k in ("G", "D"))), d_step(batch))[1]
    return seen


def rows(run_dir) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


# ------------------------------------------------------------------------------------ lr schedules
def linear(k: int) -> float:
    return 1 - k / 10


def cosine_from_half(k: int) -> float:
    return 1.0 if k <= 5 else 0.5 * (1 + math.cos(math.pi * (k - 5) / 5))


@pytest.mark.parametrize("decay, factor", [(["train.lr_decay=linear"], linear),
                                           (["train.lr_decay=cosine", "train.lr_decay_start=0.5"], cosine_from_half)],
                         ids=["linear", "cosine-from-half"])
def test_lr_schedule_in_closed_form(tmp_path, decay, factor):
    trainer = Trainer(config(tmp_path, "train.steps=10", "optim.g.lr=0.01", "optim.d.lr=0.002", *decay))
    seen = record_lrs(trainer)
    trainer.fit()
    expected = [(0.01 * factor(k), 0.002 * factor(k)) for k in range(10)]
    np.testing.assert_allclose(np.array(seen), np.array(expected), rtol=1e-12, atol=1e-15)
    assert factor(9) < 0.11 and factor(0) == 1.0  # the last update is nearly 0, the first the full rate


def test_lr_decay_continues_its_schedule_after_a_resume(tmp_path):
    args = ["train.steps=10", "train.lr_decay=cosine", "train.checkpoint_every=5", "train.log_every=5"]
    straight = Trainer(config(tmp_path, "train.name=straight", *args)).fit().dir
    split = Trainer(config(tmp_path, "train.name=split", *args)).fit().dir
    for name in ("step_000010.safetensors", "step_000010.json", "latest.json"):  # as if it stopped at step 5
        (split / "checkpoints" / name).unlink()
    resumed = Trainer(config(tmp_path, *args), resume=split)
    seen = record_lrs(resumed)
    resumed.fit()
    assert [g for g, _ in seen] == pytest.approx([1e-3 * 0.5 * (1 + math.cos(math.pi * k / 10)) for k in range(5, 10)])
    a, b = (read_checkpoint(run / "checkpoints", 10)[0] for run in (straight, split))
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("start", [-0.5, 1.0, 1.5])  # -0.5 would start below the lr, >= 1 never decay
def test_lr_decay_start_outside_zero_to_one_is_refused(start):
    with pytest.raises(GankitError, match=r"train\.lr_decay_start' must be in \[0, 1\)"):
        apply_overrides(load_config("circle"), ["train.lr_decay=linear", f"train.lr_decay_start={start}"])


@pytest.mark.parametrize("seconds", [0, -3])
def test_a_time_limit_must_be_positive(seconds):
    with pytest.raises(GankitError, match=r"train\.time_limit' must be > 0"):
        apply_overrides(load_config("circle"), [f"train.time_limit={seconds}"])


# ------------------------------------------------------------------------------------ time limit
def test_time_limit_ends_the_run_at_a_log_step_that_is_logged_evaluated_and_saved(tmp_path):
    trainer = Trainer(config(tmp_path, "train.steps=100000", "train.time_limit=1e-9", "train.log_every=3"))
    run = trainer.fit()
    assert run.step == trainer.step == trainer.total == 3
    assert latest_step(run.dir / "checkpoints") == 3
    assert [(r["step"], r.get("kind")) for r in rows(run.dir)] == [(3, None), (3, "eval")]


# ------------------------------------------------------------------------------------ divergence
def test_a_nan_loss_stops_training_with_a_one_line_error_naming_it(tmp_path):
    trainer = Trainer(config(tmp_path, "train.steps=20", "train.log_every=1", "train.checkpoint_every=2"))
    g_step, calls = trainer.algo.g_step, []

    def g_step_nan_at_4(batch):
        calls.append(1)
        stats = g_step(batch)
        return {**stats, "g_loss": torch.tensor(float("nan"))} if len(calls) == 4 else stats

    trainer.algo.g_step = g_step_nan_at_4
    with pytest.raises(TrainingDiverged) as info:
        trainer.fit()
    where = trainer.run_dir / "checkpoints"
    assert str(info.value) == f"training diverged at step 4: g_loss=nan; last checkpoint: step 2 in {where}"
    assert isinstance(info.value, GankitError) and len(calls) == 4
    assert latest_step(trainer.run_dir / "checkpoints") == 2  # nothing diverged was saved
    assert [r["step"] for r in rows(trainer.run_dir)] == [1, 2, 3]


def test_a_divergence_before_any_checkpoint_says_there_is_none(tmp_path):
    trainer = Trainer(config(tmp_path, "train.steps=20", "train.log_every=1", "train.checkpoint_every=10"))
    g_step = trainer.algo.g_step
    trainer.algo.g_step = lambda batch: {**g_step(batch), "g_loss": torch.tensor(float("inf"))}
    with pytest.raises(TrainingDiverged) as info:
        trainer.fit()
    assert str(info.value) == "training diverged at step 1: g_loss=inf; no checkpoint was saved before it"


def test_a_huge_learning_rate_is_caught_at_the_next_log_step(tmp_path):
    cfg = config(tmp_path, "train.steps=50", "train.log_every=5", "optim.g.name=sgd", "optim.d.name=sgd",
                 "optim.g.lr=1e10", "optim.d.lr=1e10")
    with pytest.raises(TrainingDiverged, match=r"^training diverged at step 5: [a-z_]+=(nan|-?inf); no checkpoint was saved before it$"):
        Trainer(cfg).fit()


# ------------------------------------------------------------------------------------ epochs and the API
def test_epochs_become_steps_from_the_data_size_and_the_log_counts_epochs(tmp_path):
    table = tmp_path / "points.csv"
    np.savetxt(table, np.random.default_rng(0).normal(size=(40, 2)), delimiter=",")
    cfg = config(tmp_path, f"data.path={table}", "train.batch_size=8", "train.epochs=2", "train.log_every=5",
                 "eval.every_epochs=1")
    run = Trainer(cfg).fit()  # 40 rows // batch 8 = 5 steps an epoch
    assert (run.cfg.train.steps, run.cfg.eval.every) == (10, 5)
    assert [(r["step"], r["epoch"]) for r in rows(run.dir) if r.get("kind") != "eval"] == [(5, 1.0), (10, 2.0)]
    assert latest_step(run.dir / "checkpoints") == 10 and (run.dir / "checkpoints" / "step_000005.json").exists()


def test_train_api_steps_win_over_epochs_and_unknown_options_are_refused(tmp_path):
    cfg = config(tmp_path, "train.epochs=3", "train.name=api")
    assert train(cfg, steps=2).step == 2
    with pytest.raises(GankitError, match=r"^unknown train option 'stepz'$"):
        train(config(tmp_path / "other"), stepz=3)
    with pytest.raises(GankitError, match=r"train\.lr_decay.*'sometimes'"):
        train(config(tmp_path / "other"), steps=2, lr_decay="sometimes")
    assert not (tmp_path / "other").exists()


# ------------------------------------------------------------------------------------ failed set-up, resume
def _failing_hooks(monkeypatch):
    def fail(trainer):
        raise GankitError("set-up failed")
    # the module itself: the attribute path gankit.train.trainer is hidden by the gankit.train() function
    monkeypatch.setattr(sys.modules[Trainer.__module__], "Hooks", fail)


def test_a_failed_set_up_leaves_no_run_folder_behind(tmp_path, monkeypatch):
    """The empty folder looked like a run: the next one was named circle-2."""
    _failing_hooks(monkeypatch)
    with pytest.raises(GankitError, match="set-up failed"):
        Trainer(config(tmp_path / "out", "train.steps=2"))
    assert not (tmp_path / "out" / "circle").exists()


def test_a_failed_set_up_keeps_a_folder_it_did_not_make(tmp_path, monkeypatch):
    """A folder that is no run (no config.yaml) is used as the run's folder; what was there before stays."""
    mine, empty = tmp_path / "mine", tmp_path / "empty"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    empty.mkdir()
    _failing_hooks(monkeypatch)
    for folder in (mine, empty):
        with pytest.raises(GankitError, match="set-up failed"):
            Trainer(config(tmp_path, f"train.name={folder.name}", "train.steps=2"))
    assert (mine / "notes.txt").read_text() == "keep" and empty.is_dir()


@pytest.fixture
def ten_step_run(tmp_path):
    return Trainer(config(tmp_path, "train.name=run", "train.steps=10", "eval.every=10")).fit().dir


def snapshot(run_dir) -> dict:
    return {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}


@pytest.mark.parametrize("steps", [10, 5])
def test_resuming_to_no_more_steps_is_refused_and_rewrites_nothing(tmp_path, ten_step_run, steps):
    """It did nothing, yet rewrote train.steps in config.yaml."""
    before = snapshot(ten_step_run)
    with pytest.raises(GankitError, match=rf"^--resume {ten_step_run}: the run is at step 10; train.steps "
                                          rf"\(--steps\) must be above 10 to train on, got {steps}$"):
        Trainer(config(tmp_path, f"train.steps={steps}"), resume=ten_step_run)
    assert snapshot(ten_step_run) == before


def test_a_failed_set_up_never_removes_a_resumed_run(tmp_path, ten_step_run, monkeypatch):
    before = snapshot(ten_step_run)
    _failing_hooks(monkeypatch)
    with pytest.raises(GankitError, match="set-up failed"):
        Trainer(config(tmp_path, "train.steps=20"), resume=ten_step_run)
    assert snapshot(ten_step_run) == before


def test_a_resumed_run_keeps_its_name_and_folder_in_the_python_api(tmp_path, ten_step_run):
    """Trainer(cfg, resume=...) wrote cfg's train.name / out_dir (here another name and parent) into the
    resumed run's config.yaml, though the run stays in its folder (the CLI refuses such a move)."""
    elsewhere = tmp_path / "elsewhere"
    run = Trainer(config(elsewhere, "train.name=other", "train.steps=20"), resume=ten_step_run).fit()
    assert run.dir == ten_step_run and run.step == 20
    saved = load_config(ten_step_run / "config.yaml")
    assert (saved.train.name, saved.train.out_dir, saved.train.steps) == ("run", str(tmp_path), 20)
    assert not elsewhere.exists()


def test_a_run_in_use_cannot_be_resumed_by_another_trainer(tmp_path, ten_step_run):
    """A second `--resume` of a run another process was training truncated its log and interleaved two
    trajectories' checkpoints, both exiting 0 (run.py: RunLock, held from set-up to the end of fit)."""
    busy = Trainer(config(tmp_path, "train.steps=20"), resume=ten_step_run)  # holds the lock until its fit ends
    before = snapshot(ten_step_run)
    with pytest.raises(GankitError, match=rf"^run directory {ten_step_run} is in use by another gankit train"):
        Trainer(config(tmp_path, "train.steps=30"), resume=ten_step_run)
    assert snapshot(ten_step_run) == before
    busy.fit()
    assert Trainer(config(tmp_path, "train.steps=30"), resume=ten_step_run).fit().step == 30  # free again

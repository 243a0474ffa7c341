"""Image metrics during training and the `best` checkpoint: best.json names the best evaluated step
that has a checkpoint, that checkpoint survives pruning, and resuming continues the same search.
Scores are scripted (score_features patched) so that the best step is known in advance."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import gankit.metrics.image as image
from gankit.config import apply_overrides, load_config
from gankit.errors import GankitError
from gankit.train.checkpoint import list_steps
from gankit.train.trainer import Trainer


@pytest.fixture
def npz(tmp_path) -> Path:
    path = tmp_path / "tiles.npz"
    rng = np.random.default_rng(0)
    np.savez(path, images=rng.integers(0, 256, (64, 6, 6), dtype=np.uint8))
    return path


def config(out: Path, data: Path, steps: int, *overrides: str):
    return apply_overrides(load_config("circle"), [
        f"train.out_dir={out}", "train.name=run", f"train.steps={steps}", f"data.path={data}",
        "model.latent_dim=4", "model.g.hidden=[16]", "model.d.hidden=[16]", "model.g.out_activation=tanh",
        "train.batch_size=16", "eval.every=2", "train.keep_last=0", "eval.plots=false", "train.progress=false",
        "eval.n_samples=16", "eval.n_accuracy=16", "eval.image_metrics=[fid]", "eval.features=pixels",
        "eval.n_image_metric=20", "eval.best_metric=fid", *overrides])


@pytest.fixture
def scripted(monkeypatch):
    """Each evaluation's FID comes from the list, in order."""
    values: list[float] = []
    monkeypatch.setattr(image, "score_features", lambda *a, **k: {"fid": values.pop(0)})
    return values


def best(run_dir: Path) -> dict:
    return json.loads((run_dir / "checkpoints" / "best.json").read_text())


# Evaluations and checkpoints every 2 steps. keep_last=0 prunes all but the latest checkpoint, except
# the best one. A best found at the last step is written after its checkpoint, so the previous best
# (step 4) is still protected at that save.
@pytest.mark.parametrize("fids, best_step, kept", [([5.0, 3.0, 4.0, 6.0], 4, [4, 8]),
                                                   ([5.0, 3.0, 4.0, 1.0], 8, [4, 8])])
def test_best_json_names_the_lowest_fid_and_its_checkpoint_survives_pruning(tmp_path, npz, scripted, fids,
                                                                            best_step, kept):
    scripted.extend(fids)
    run = Trainer(config(tmp_path, npz, 8)).fit().dir
    record = best(run)
    assert (record["step"], record["metric"], record["value"]) == (best_step, "fid", min(fids))
    assert record["setup"]["features"] == "pixels" and record["setup"]["n_fake"] == 20
    assert list_steps(run / "checkpoints") == kept
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if r.get("kind") == "eval"]
    assert [r["fid"] for r in evals] == fids
    assert evals[0]["metric_setup"] == record["setup"]


def test_an_evaluation_without_its_own_checkpoint_cannot_become_best(tmp_path, npz, scripted):
    scripted.extend([1.0, 3.0, 0.5, 6.0])  # the two lowest fall on steps 2 and 6: no checkpoint there
    run = Trainer(config(tmp_path, npz, 8, "train.checkpoint_every=4")).fit().dir
    assert (best(run)["step"], best(run)["value"]) == (4, 3.0)
    assert list_steps(run / "checkpoints") == [4, 8]


def test_resuming_keeps_the_best_and_continues_the_search(tmp_path, npz, scripted):
    scripted.extend([5.0, 3.0, 4.0, 6.0])
    run = Trainer(config(tmp_path, npz, 8)).fit().dir
    scripted.extend([2.0, 7.0])
    Trainer(config(tmp_path, npz, 12), resume=run).fit()
    assert (best(run)["step"], best(run)["value"]) == (10, 2.0)
    assert list_steps(run / "checkpoints") == [10, 12]


def test_a_resumed_run_with_another_setup_starts_the_search_again(tmp_path, npz, scripted):
    scripted.extend([1.0, 3.0])
    run = Trainer(config(tmp_path, npz, 4)).fit().dir
    assert best(run)["step"] == 2
    scripted.extend([8.0, 9.0])  # worse than 1.0, but measured on 30 images instead of 20
    Trainer(config(tmp_path, npz, 8, "eval.n_image_metric=30"), resume=run).fit()
    assert (best(run)["step"], best(run)["value"], best(run)["setup"]["n_fake"]) == (6, 8.0, 30)


@pytest.mark.parametrize("overrides, message", [
    (["eval.best_metric=kid"], "does not compute it"),
    (["eval.image_metrics=[fid, nn]"], "gankit evaluate RUN --metrics nn"),
    (["eval.image_metrics=[fid, lpips]"], "unknown image metric 'lpips'"),
    (["eval.features=classifier:no-such-data"], "no-such-data"),
    (["eval.image_metrics=[fid, is]"], "metric 'is' needs an extractor with class probabilities"),  # was: at step 2
    # were "features: need at least 2 rows ..." / "k must be an integer in [1, 2]" at the first evaluation
    (["eval.n_image_metric=1"], r"eval.n_image_metric must be >= 2 for fid; got 1"),
    (["eval.n_image_metric=3", "eval.image_metrics=[pr]", "eval.best_metric=null"],
     r"eval.n_image_metric must be > k \(=3\) for precision/recall"),
])
def test_settings_that_cannot_work_fail_before_training_and_leave_no_folder(tmp_path, npz, overrides, message):
    """Found only once the data are known, when the run's folder is made: it is removed again, or it
    would look like a run and push the next one's name to run-2."""
    with pytest.raises(GankitError, match=message):
        Trainer(config(tmp_path, npz, 2, *overrides))
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("overrides, message", [
    (["eval.best_metric=lpips"], "'eval.best_metric' is 'lpips'; expected one of: fid, kid"),
    (["eval.features=vgg"], "'eval.features' is 'vgg'; expected one of: classifier:<dataset"),
])
def test_names_that_cannot_work_are_config_errors(tmp_path, npz, overrides, message):
    with pytest.raises(GankitError, match=message):
        config(tmp_path, npz, 2, *overrides)


def test_metrics_switched_off_switch_the_best_checkpoint_off_too(tmp_path, npz):
    run = Trainer(config(tmp_path, npz, 2, "eval.metrics=false")).fit().dir
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert not any("fid" in r for r in rows)
    assert not (run / "checkpoints" / "best.json").exists()


def test_without_best_metric_there_is_no_best_json_but_scores_are_logged(tmp_path, npz):
    run = Trainer(config(tmp_path, npz, 2, "eval.best_metric=null", "eval.image_metrics=[fid, pr, dc]")).fit().dir
    row = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()][-1]
    assert {"fid", "precision", "recall", "density", "coverage"} <= set(row) and row["fid"] > 0
    assert not (run / "checkpoints" / "best.json").exists()

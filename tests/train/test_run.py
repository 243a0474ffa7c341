"""Tests for gankit/train/run.py's Generator: samples come from G in chunks of SAMPLE_BATCH (G's
activations grow with the batch: seed 002's DCGAN held 4 GB for 3,000 images in one pass), with
the same noise, per-sample labels split alongside, and results equal to one pass."""
from __future__ import annotations

import sys

import pytest
import torch

from gankit.train.run import SAMPLE_BATCH, Generator
from tests.algorithms.helpers import LABELLED, VECTOR, make
from tests.progress_recorder import record_progress


# The module itself: the attribute path gankit.train.run is hidden by the gankit.train() function.
RUN_MODULE = sys.modules[Generator.__module__]


def recording(algo):
    """The algorithm with its sample() wrapped to record each call's size and label argument."""
    calls, sample = [], algo.sample
    algo.sample = lambda n, z=None, **cond: (calls.append((n, len(z), cond.get("label"))), sample(n, z=z, **cond))[1]
    return calls


def test_sample_runs_g_in_chunks_and_keeps_the_noise_order():
    algo = make("gan", VECTOR, "model.g.batchnorm=true")  # eval-mode BatchNorm: per-sample, so chunks = one pass
    z = algo.latent_on_cpu(2 * SAMPLE_BATCH + 37, torch.Generator().manual_seed(0))
    whole = Generator(algo, VECTOR).sample(len(z), z=z)
    calls = recording(algo)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RUN_MODULE, "SAMPLE_BATCH", 100)
        chunked = Generator(algo, VECTOR).sample(len(z), z=z)
    assert [c[0] for c in calls] == [100] * 10 + [37]
    assert chunked.shape == (len(z), 2) and torch.allclose(chunked, whole, atol=1e-6)


def test_seeded_samples_repeat_and_n_is_honoured():
    gen = Generator(make("gan", VECTOR), VECTOR)
    a, b = gen.sample(SAMPLE_BATCH + 1, seed=5), gen.sample(SAMPLE_BATCH + 1, seed=5)
    assert a.shape == (SAMPLE_BATCH + 1, 2) and torch.equal(a, b)
    assert not torch.equal(a, gen.sample(SAMPLE_BATCH + 1, seed=6))


def test_per_sample_labels_are_split_with_the_noise_and_a_single_label_is_passed_whole(monkeypatch):
    monkeypatch.setattr(RUN_MODULE, "SAMPLE_BATCH", 4)
    algo = make("cgan", LABELLED)
    calls = recording(algo)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    Generator(algo, LABELLED).sample(10, seed=0, label=labels)
    assert [c[0] for c in calls] == [4, 4, 2]
    assert torch.equal(torch.cat([c[2] for c in calls]), labels)
    calls.clear()
    Generator(algo, LABELLED).sample(10, seed=0, label=2)
    assert [c[2] for c in calls] == [2, 2, 2]


def test_long_sampling_reports_progress(monkeypatch):
    seen = record_progress(monkeypatch)
    monkeypatch.setattr(RUN_MODULE, "SAMPLE_BATCH", 4)
    Generator(make("gan", VECTOR), VECTOR).sample(10, seed=0, progress=True)
    assert seen == [(10, True, "generate"), (4, []), (8, []), (10, [])]


# ---------------------------------------------------------------------------------------- run folders
@pytest.fixture
def ten_step_run(tmp_path):
    from gankit.config import apply_overrides, load_config
    from gankit.train.trainer import Trainer

    cfg = apply_overrides(load_config("circle"), [f"train.out_dir={tmp_path}", "train.name=run", "train.steps=10",
                                                  "eval.every=10", "eval.plots=false", "eval.metrics=false",
                                                  "train.progress=false", "train.batch_size=16"])
    return Trainer(cfg).fit().dir


@pytest.mark.parametrize("edit, words", [
    (lambda d: {k: v for k, v in d.items() if k not in ("shift", "scale")}, "lacks fields shift, scale"),
    (lambda d: {**d, "colour": "red"}, "has unknown fields colour"),
    (lambda d: [d], "expected a JSON object with fields name, kind, shape, shift, scale, got list"),
], ids=["older-version", "newer-version", "a-list"])
def test_a_data_json_with_other_fields_is_a_one_line_error_naming_them(ten_step_run, edit, words):
    """DataInfo(**data) raised "DataInfo.__init__() missing 2 required positional arguments"."""
    import json

    from gankit.errors import GankitError
    from gankit.train.run import load_run

    path = ten_step_run / "data.json"
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    with pytest.raises(GankitError) as caught:
        load_run(ten_step_run)
    message = str(caught.value)
    assert message.startswith(str(path)) and words in message and "__init__" not in message and "\n" not in message


def test_discarding_a_failed_run_folder_removes_folders_only(tmp_path):
    from gankit.train.run import discard_empty_run_dir, make_run_dir

    empty, kept = tmp_path / "out" / "empty", tmp_path / "kept"
    assert make_run_dir(empty) and not make_run_dir(empty)  # True only for the call that made it
    (empty / "tb" / "deeper").mkdir(parents=True)
    (kept / "tb").mkdir(parents=True)
    (kept / "tb" / "notes.txt").write_text("mine")
    discard_empty_run_dir(empty)
    discard_empty_run_dir(kept)
    assert not empty.exists() and (tmp_path / "out").is_dir()
    assert (kept / "tb" / "notes.txt").read_text() == "mine"

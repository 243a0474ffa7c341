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


def test_without_a_label_the_classes_cycle_over_all_samples_not_per_chunk(monkeypatch):
    """3 classes, chunks of 4: labels 0 1 2 0 | 1 2 0 1 | 2 0 (each chunk restarted at 0 before: 0 1 2 0 |
    0 1 2 0 | 0 1, so class 0 got 5 of the 10 samples)."""
    monkeypatch.setattr(RUN_MODULE, "SAMPLE_BATCH", 4)
    algo = make("cgan", LABELLED)
    calls = recording(algo)
    Generator(algo, LABELLED).sample(10, seed=0)
    assert torch.cat([torch.as_tensor(c[2]) for c in calls]).tolist() == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]


def test_long_sampling_reports_progress(monkeypatch):
    seen = record_progress(monkeypatch)
    monkeypatch.setattr(RUN_MODULE, "SAMPLE_BATCH", 4)
    Generator(make("gan", VECTOR), VECTOR).sample(10, seed=0, progress=True)
    assert seen == [(10, True, "generate"), (4, []), (8, []), (10, [])]



@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_a_sample_count_below_one_or_not_an_integer_is_a_one_line_error(n):
    """gankit.load_run(...).generator.sample(0) was torch.cat's ValueError, -1 and 2.5 torch's errors."""
    from gankit.errors import GankitError

    with pytest.raises(GankitError, match=r"sample: n must be an integer >= 1"):
        Generator(make("gan", VECTOR), VECTOR).sample(n)


@pytest.mark.parametrize("bad_z", [
    lambda width: torch.zeros(4, width + 1),    # another width
    lambda width: torch.zeros(width),           # one vector without its batch axis
    lambda width: torch.zeros(0, width),        # no vectors
    lambda width: [[0.0] * width],              # not a tensor
])
def test_latent_vectors_of_the_wrong_shape_are_a_one_line_error(bad_z):
    """sample(z=...) with another width was a torch matmul error deep inside G."""
    from gankit.errors import GankitError

    algo = make("gan", VECTOR)
    width = algo.cfg.model.latent_dim
    with pytest.raises(GankitError, match=rf"sample: z must be a \(N, {width}\) tensor"):
        Generator(algo, VECTOR).sample(0, z=bad_z(width))
    assert len(Generator(algo, VECTOR).sample(0, z=torch.zeros(2, width))) == 2


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
    from gankit.train.run import RunDirTaken, discard_empty_run_dir, make_run_dir

    made, found, kept = tmp_path / "out" / "made", tmp_path / "found", tmp_path / "kept"
    found.mkdir()
    assert make_run_dir(made) and make_run_dir(found)
    with pytest.raises(RunDirTaken):  # a folder is claimed once
        make_run_dir(made)
    (made / "tb" / "deeper").mkdir(parents=True)
    (kept / "tb").mkdir(parents=True)
    (kept / "tb" / "notes.txt").write_text("mine")
    for folder in (made, found, kept):
        discard_empty_run_dir(folder)
    assert not made.exists() and (tmp_path / "out").is_dir()
    assert found.is_dir() and not any(found.iterdir())  # the claim is undone, the folder found stays
    assert (kept / "tb" / "notes.txt").read_text() == "mine"


def _circle(out) -> "Config":  # noqa: F821
    from gankit.config import load_config

    cfg = load_config("circle")
    cfg.train.out_dir = str(out)
    return cfg


def test_a_folder_claimed_but_not_yet_written_is_passed_over(tmp_path):
    """A run folder was made at the end of set-up, and marked as a run only when config.yaml was written:
    a run started in between took the same folder (new_run_dir gave circle twice)."""
    from gankit.train.run import RunDirTaken, make_run_dir, new_run_dir

    cfg = _circle(tmp_path)
    assert new_run_dir(cfg) == tmp_path / "circle" and not (tmp_path / "circle" / "config.yaml").exists()
    assert new_run_dir(cfg) == tmp_path / "circle-2"
    chosen = new_run_dir(cfg, create=False)  # two processes both look, then both claim
    assert chosen == tmp_path / "circle-3" == new_run_dir(cfg, create=False)
    make_run_dir(chosen)
    with pytest.raises(RunDirTaken) as caught:
        make_run_dir(chosen)
    assert "claimed by another run" in str(caught.value) and "\n" not in str(caught.value)


def _claim(cfg, barrier, results) -> None:
    from gankit.train.run import new_run_dir

    barrier.wait()
    results.put(str(new_run_dir(cfg)))


def test_runs_started_at_the_same_moment_get_folders_of_their_own(tmp_path):
    import multiprocessing

    context = multiprocessing.get_context("fork")
    n = 6
    barrier, results = context.Barrier(n), context.Queue()
    procs = [context.Process(target=_claim, args=(_circle(tmp_path), barrier, results)) for _ in range(n)]
    for proc in procs:
        proc.start()
    names = sorted(results.get(timeout=30) for _ in procs)
    for proc in procs:
        proc.join(timeout=30)
    assert len(set(names)) == n, names
    assert {p.name for p in tmp_path.iterdir()} == {"circle"} | {f"circle-{k}" for k in range(2, n + 1)}


def test_an_out_dir_under_a_file_is_refused_before_any_folder_is_made(tmp_path):
    """Under torchrun every rank looks (create=False) and rank 0 alone makes the folder: the error came from
    rank 0 only, while rank 1 waited for rank 0's choice and died with a gloo traceback."""
    from gankit.errors import GankitError
    from gankit.train.run import new_run_dir

    (tmp_path / "file").write_text("x")
    for create in (False, True):
        with pytest.raises(GankitError) as caught:
            new_run_dir(_circle(tmp_path / "file" / "runs"), create=create)
        message = str(caught.value)
        assert "cannot create run directory" in message and "--out" in message and "\n" not in message
    assert (tmp_path / "file").read_text() == "x"


def test_load_run_takes_a_step_number_as_an_int(ten_step_run):
    """gankit.load_run(run, 10) was a TypeError from re.fullmatch; the CLI passes '10'."""
    import gankit
    from gankit.errors import GankitError

    assert gankit.load_run(ten_step_run, 10).step == gankit.load_run(ten_step_run, "10").step == 10
    with pytest.raises(GankitError, match="no checkpoint at step 7 .* available: 10"):
        gankit.load_run(ten_step_run, 7)

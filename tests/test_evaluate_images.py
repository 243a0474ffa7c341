"""`gankit evaluate` / `gankit features` on image runs, end to end through the CLI: scores come with
their setup, --reference-only gives the floor, features extract writes (N, D) arrays, the inception
extractor without weights fails in one line, and `generate --checkpoint best` uses best.json."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gankit.data.idx import SYSTEM_DATASETS_DIR
from gankit.features.base import file_sha256
from gankit.features.classifier import SHIPPED_DIR
from tests.cli_helpers import run_cli, train_ok

pytestmark = pytest.mark.skipif(not (SYSTEM_DATASETS_DIR / "fashion-mnist").is_dir(),
                                reason="Fashion-MNIST (Debian dataset-fashion-mnist) is not installed")
SHIPPED_SHA256 = file_sha256(SHIPPED_DIR / "fashion-mnist-classifier.safetensors")
# A 20-step MLP on 300 Fashion-MNIST images, FID every 10 steps on 100 images, best checkpoint by FID.
TINY_IMAGES = ["--data", "fashion-mnist", "--steps", "20", "--no-progress", "--set", "data.limit=300",
               "--set", "model.latent_dim=8", "--set", "model.g.out_activation=tanh", "--set", "model.g.hidden=[32]",
               "--set", "model.d.hidden=[32]", "--set", "train.batch_size=32", "--set", "eval.every=10",
               "--set", "eval.plots=false", "--set", "eval.n_samples=16", "--set", "eval.image_metrics=[fid]",
               "--set", "eval.n_image_metric=100", "--set", "eval.best_metric=fid"]


@pytest.fixture(scope="module")
def image_run(tmp_path_factory) -> Path:
    return train_ok(["circle", "--out", tmp_path_factory.mktemp("runs"), *TINY_IMAGES])


def ok(argv: list) -> str:
    result = run_cli(argv)
    assert result.code == 0, result.err
    return result.out


def test_evaluate_prints_and_writes_every_score_with_its_setup(image_run, tmp_path):
    out = ok(["evaluate", image_run, "--metrics", "fid,kid,pr,dc,is,nn", "--n", "100", "--json", tmp_path / "m.json"])
    record = json.loads((tmp_path / "m.json").read_text())
    setup = record["setup"]
    assert (setup["features"], setup["weights_sha256"]) == ("classifier:fashion-mnist", SHIPPED_SHA256)
    assert (setup["n_real"], setup["n_fake"], setup["reference"], setup["seed"]) == (100, 100, "train", 0)
    assert setup["image_shape"] == [1, 28, 28] and setup["data"] == "fashion-mnist"
    assert record["step"] == 20
    assert {"fid", "kid", "precision", "recall", "density", "coverage", "is", "nn_min"} <= set(record["scores"])
    assert record["scores"]["fid"] > 0 and 1 <= record["scores"]["is"] <= 10
    for key in ("fid", "kid", "precision", "is", "nn_median", "classifier:fashion-mnist", SHIPPED_SHA256[:12]):
        assert key in out
    assert (image_run / "plots" / "nearest_neighbours.png").stat().st_size > 0


def test_the_same_evaluation_twice_gives_the_same_numbers(image_run, tmp_path):
    for name in ("a", "b"):
        ok(["evaluate", image_run, "--metrics", "fid,pr", "--n", "60", "--seed", "3", "--json", tmp_path / name])
    a, b = (json.loads((tmp_path / name).read_text()) for name in ("a", "b"))
    assert a["scores"] == b["scores"] and a["setup"] == b["setup"]


def test_reference_test_split_is_recorded(image_run, tmp_path):
    ok(["evaluate", image_run, "--metrics", "fid", "--n", "50", "--reference", "test", "--json", tmp_path / "t.json"])
    setup = json.loads((tmp_path / "t.json").read_text())["setup"]
    assert setup["reference"] == "test" and "(test)" in setup["reference_source"]


def test_reference_only_scores_the_train_split_against_the_test_split(tmp_path):
    out = ok(["evaluate", "--reference-only", "--data", "fashion-mnist", "--metrics", "fid,kid,pr,dc,is", "--n", "200",
              "--json", tmp_path / "floor.json"])
    record = json.loads((tmp_path / "floor.json").read_text())
    assert record["run"] is None and "(test)" in record["setup"]["fake_source"]
    assert record["setup"]["n_real"] == record["setup"]["n_fake"] == 200
    assert record["scores"]["precision"] > 0.5 and record["scores"]["is"] > 2  # real images: sharp, varied
    assert "test" in out


def test_features_extract_writes_n_by_d_arrays_deterministically(image_run, tmp_path):
    for name in ("a.npy", "b.npy"):
        ok(["features", "extract", "--features", "classifier:fashion-mnist", "--data", "fashion-mnist", "-n", "40",
            "--split", "test", "-o", tmp_path / name])
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert a.shape == (40, 128) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    ok(["features", "extract", "--features", "pixels", "--run", image_run, "-n", "7", "-o", tmp_path / "g.npy"])
    generated = np.load(tmp_path / "g.npy")
    assert generated.shape == (7, 784) and 0 <= generated.min() and generated.max() <= 1


def test_inception_without_weights_is_a_one_line_error(image_run, tmp_path, monkeypatch):
    import gankit.features.inception as inception

    monkeypatch.delenv("GANKIT_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setattr(inception, "DEFAULT_WEIGHTS", tmp_path / inception.WEIGHTS_NAME)
    result = run_cli(["evaluate", image_run, "--features", "inception", "--n", "10"])
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert "pt_inception-2015-12-05-6726825d.pth" in result.err and "Traceback" not in result.err


def test_best_json_is_written_and_generate_uses_it(image_run, tmp_path):
    best = json.loads((image_run / "checkpoints" / "best.json").read_text())
    assert best["metric"] == "fid" and best["step"] in (10, 20)
    fids = {r["step"]: r["fid"] for r in map(json.loads, (image_run / "metrics.jsonl").read_text().splitlines())
            if r.get("kind") == "eval"}
    assert best["value"] == min(fids.values()) == fids[best["step"]]
    out = ok(["generate", image_run, "--checkpoint", "best", "-n", "4", "-o", tmp_path / "best.png"])
    assert "wrote 4" in out and (tmp_path / "best.png").stat().st_size > 0


def test_evaluate_errors_name_what_is_missing(image_run, tmp_path):
    assert "--reference-only needs --data" in run_cli(["evaluate", "--reference-only"]).err
    assert "unknown image metric 'lpips'" in run_cli(["evaluate", image_run, "--metrics", "lpips"]).err
    no_classifier = run_cli(["evaluate", "--reference-only", "--data", "mnist", "--n", "10"])
    assert no_classifier.code == 2 and "gankit features train --data mnist" in no_classifier.err


def test_features_train_through_the_cli(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 60)
    images = (rng.integers(0, 40, (60, 8, 8)) + 200 * labels[:, None, None]).astype(np.uint8)
    np.savez(tmp_path / "two.npz", images=images, labels=labels)
    out = ok(["features", "train", "--data", tmp_path / "two.npz", "-o", tmp_path / "c.safetensors", "--epochs", "1"])
    record = json.loads((tmp_path / "c.json").read_text())
    assert record["sha256"] in out and record["command"].startswith("gankit features train --data")
    extracted = ok(["features", "extract", "--features", f"classifier:{tmp_path / 'c.safetensors'}", "--data",
                    tmp_path / "two.npz", "-n", "5", "-o", tmp_path / "f.npy"])
    assert np.load(tmp_path / "f.npy").shape == (5, 128) and "5 x 128" in extracted


@pytest.mark.parametrize("args, words", [
    # was: 300 real images (data.limit) scored against 301 generated ones, as if nothing were wrong
    (["--n", "301"], "--n 301 is more than the 300 real images of the train split; expected --n <= 300"),
    (["--metrics", ""], "--metrics '' names no metric; expected some of: fid"),  # was: an empty table, status 0
])
def test_evaluate_requests_that_cannot_be_met_are_one_line_errors(image_run, args, words):
    result = run_cli(["evaluate", image_run, "--features", "pixels", *args])
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert words in result.err

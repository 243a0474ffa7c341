"""The classifier behind `classifier:<...>`: the shipped Fashion-MNIST weights (pinned hash, measured
accuracy) and the train -> save -> load round trip on a small labelled set."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from gankit.data.idx import SYSTEM_DATASETS_DIR
from gankit.errors import GankitError
from gankit.features import get_extractor
from gankit.features.base import file_sha256
from gankit.features.classifier import SHIPPED_DIR, accuracy, load_classifier, train_classifier
from tests.progress_recorder import record_progress

SHIPPED = SHIPPED_DIR / "fashion-mnist-classifier.safetensors"
# Pinned when the file was made (`gankit features train --data fashion-mnist -o <SHIPPED>`); a new
# training run changes every score measured with it, so this literal must change with the file.
PINNED_SHA256 = "fbfaf5c3b2118d670b9e45fc305ec05f648cb2c368634de2c51c77701e3f0e2e"
HAS_FASHION = (SYSTEM_DATASETS_DIR / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz").is_file()


def test_shipped_weights_match_the_pinned_hash_and_are_small():
    record = json.loads(SHIPPED.with_suffix(".json").read_text())
    assert file_sha256(SHIPPED) == record["sha256"] == PINNED_SHA256
    assert SHIPPED.stat().st_size < 2 * 1024 * 1024
    assert record["test_accuracy"] >= 0.90 and record["n_test"] == 10_000
    assert record["command"].startswith("gankit features train --data fashion-mnist")


@pytest.mark.skipif(not HAS_FASHION, reason="Fashion-MNIST (Debian dataset-fashion-mnist) is not installed")
def test_shipped_weights_reach_90_percent_on_the_fashion_mnist_test_split():
    from gankit.data.images import load_images

    test = load_images("fashion-mnist", split="test")
    model, meta = load_classifier(SHIPPED)
    assert meta["input_shape"] == (1, 28, 28) and meta["feature_dim"] == 128 and len(meta["class_names"]) == 10
    measured = accuracy(model, test.images, test.labels)
    assert len(test.images) == 10_000
    assert measured >= 0.90
    assert measured == pytest.approx(json.loads(SHIPPED.with_suffix(".json").read_text())["test_accuracy"], abs=1e-6)


def _labelled_npz(path: Path, n: int = 160) -> Path:
    """Two classes a CNN separates at once: a bright top half (0) or a bright bottom half (1), plus noise."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, n)
    images = rng.integers(0, 60, (n, 12, 12)).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, 6 * label:6 * label + 6] += 180
    np.savez(path, images=images, labels=labels)
    return path


def test_train_writes_a_self_describing_file_that_loads_as_an_extractor(tmp_path):
    data = _labelled_npz(tmp_path / "halves.npz")
    out = tmp_path / "halves-classifier.safetensors"
    record = train_classifier(str(data), out, epochs=3, batch_size=32, lr=3e-3, command="test", log=lambda _: None)
    assert record["sha256"] == file_sha256(out) == json.loads(out.with_suffix(".json").read_text())["sha256"]
    assert record["n_train"] == 128 and record["n_test"] == 32  # the last 20% held out
    assert record["test_accuracy"] >= 0.9
    extractor = get_extractor(f"classifier:{out}")
    assert extractor.input_shape == (1, 12, 12) and extractor.num_classes == 2
    assert extractor.weights_sha256 == record["sha256"]
    images = torch.from_numpy(np.load(data)["images"][:5, None])
    out_feats = extractor.extract(images)
    assert out_feats.features.shape == (5, 128) and out_feats.features.dtype == np.float32
    np.testing.assert_allclose(out_feats.probs.sum(axis=1), 1.0, atol=1e-12)


def test_training_reports_progress_when_asked(tmp_path, monkeypatch):
    seen = record_progress(monkeypatch)
    data = _labelled_npz(tmp_path / "halves.npz")
    train_classifier(str(data), tmp_path / "c.safetensors", epochs=2, batch_size=8, log=lambda _: None, progress=True)
    assert seen == [(32, True, "classifier"), (20, ["loss"]), (32, ["loss"])]  # 128 images / 8 = 16 steps an epoch


def test_a_safetensors_file_that_is_not_a_classifier_is_refused(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(GankitError, match="not a gankit classifier"):
        load_classifier(path)
    with pytest.raises(GankitError, match="not found"):
        get_extractor(f"classifier:{tmp_path / 'missing.safetensors'}")


def test_a_dataset_without_shipped_weights_says_how_to_train_them():
    with pytest.raises(GankitError, match="gankit features train --data mnist"):
        get_extractor("classifier:mnist")


def test_damaged_shipped_weights_are_detected(tmp_path, monkeypatch):
    import gankit.features.classifier as classifier

    copy = tmp_path / "fashion-mnist-classifier.safetensors"
    copy.write_bytes(SHIPPED.read_bytes()[:-1] + b"\0")
    copy.with_suffix(".json").write_text(SHIPPED.with_suffix(".json").read_text())
    monkeypatch.setattr(classifier, "SHIPPED_DIR", tmp_path)
    with pytest.raises(GankitError, match="pinned SHA-256"):
        get_extractor("classifier:fashion-mnist")


@pytest.mark.parametrize("name", ["c.json", "c.txt"])
def test_an_output_that_is_not_safetensors_is_refused_before_training(tmp_path, name):
    """-o c.json wrote the weights, then the record over them (out.with_suffix(".json") is out itself)."""
    with pytest.raises(GankitError, match=r"expected a \.safetensors file"):
        train_classifier("no-such-data", tmp_path / name, epochs=1)  # refused before the data is even looked at
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_output_is_refused_before_training(tmp_path, monkeypatch):
    """A file in the way of -o's folder was found only after the whole training run; now before it starts."""
    import gankit.features.splits as splits

    monkeypatch.setattr(splits, "load_split", lambda *a, **k: pytest.fail("training started"))
    (tmp_path / "blocker").write_text("a file, not a folder")
    with pytest.raises(GankitError, match=r"^cannot write .*blocker/c\.safetensors \(.*blocker is not a folder\)"):
        train_classifier("digits", tmp_path / "blocker" / "c.safetensors", epochs=1)
    (tmp_path / "taken.json").mkdir()  # the record's path is a folder
    with pytest.raises(GankitError, match=r"taken\.json: it is a directory"):
        train_classifier("digits", tmp_path / "taken.safetensors", epochs=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "taken.json"]  # nothing left behind



def test_the_same_weights_always_make_the_same_file(tmp_path):
    """safetensors wrote the metadata keys in a random order at each save: retraining with the same seed (or
    re-saving) gave another SHA-256, so setup records called identical classifiers different."""
    from gankit.features.classifier import ImageClassifier, save_classifier

    torch.manual_seed(0)
    model = ImageClassifier((1, 8, 8), 3, widths=(2, 2, 2), feature_dim=4)
    paths = [tmp_path / f"c{i}.safetensors" for i in range(6)]
    for path in paths:
        save_classifier(model, path, (1, 8, 8), ["a", "b", "c"], dataset="toy")
    assert len({file_sha256(p) for p in paths}) == 1
    blob = paths[0].read_bytes()
    metadata = json.loads(blob[8:8 + int.from_bytes(blob[:8], "little")])["__metadata__"]
    assert list(metadata) == sorted(metadata)
    loaded, meta = load_classifier(paths[0])
    assert meta["class_names"] == ["a", "b", "c"] and meta["widths"] == (2, 2, 2)
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor)


def _edited_classifier(path: Path, meta_change: dict, drop: str | None = None) -> Path:
    """A small saved classifier whose header or tensors were then changed by hand."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    from gankit.features.classifier import ImageClassifier, save_classifier

    save_classifier(ImageClassifier((1, 8, 8), 2, widths=(2, 2, 2), feature_dim=4), path, (1, 8, 8), ["a", "b"],
                    dataset="toy")
    with safe_open(str(path), "pt") as f:
        meta = {**f.metadata(), **meta_change}
    tensors = {k: v for k, v in load_file(str(path)).items() if k != drop}
    save_file(tensors, str(path), metadata={k: v for k, v in meta.items() if v is not None})
    return path


@pytest.mark.parametrize("meta_change, drop, said", [
    ({"widths": "[4, 4, 4]"}, None, "size mismatch"),            # tensors of another architecture
    ({"input_shape": "[3, 8, 8]"}, None, "size mismatch"),       # another number of channels
    ({"input_shape": "oops"}, None, "JSONDecodeError"),
    ({"class_names": None}, None, "KeyError: 'class_names'"),
    ({"feature_dim": "four"}, None, "ValueError"),
    ({}, "head.weight", "Missing key"),
])
def test_a_damaged_classifier_file_is_one_line_naming_it(tmp_path, meta_change, drop, said):
    """Was a KeyError / JSONDecodeError / load_state_dict RuntimeError traceback."""
    path = _edited_classifier(tmp_path / "c.safetensors", meta_change, drop)
    with pytest.raises(GankitError, match=r"c\.safetensors' is a damaged gankit classifier") as error:
        get_extractor(f"classifier:{path}")
    assert said in str(error.value) and "\n" not in str(error.value)

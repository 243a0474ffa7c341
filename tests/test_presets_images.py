"""The image presets: their numbers are the seeds', each trains 2 steps with shrinking overrides,
epochs become steps, and a folder with broken files trains with one warning."""
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gankit.config import apply_overrides, load_config
from gankit.data.image_folder import SkippedImagesWarning
from gankit.errors import GankitError
from gankit.train.trainer import Trainer

FASHION = Path("/usr/share/datasets/fashion-mnist")
SHRINK = ["train.steps=2", "train.epochs=null", "train.batch_size=4", "train.fake_batch_size=4",
          "train.g_batch_size=4", "eval.every=1", "eval.every_epochs=null", "eval.n_samples=4", "eval.grid=4",
          "eval.n_accuracy=4", "train.progress=false", "train.threads=1"]


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> Path:
    """Ten small random RGB pictures of another size and shape than the presets ask for."""
    folder = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(0)
    for k in range(10):
        Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)).save(folder / f"p{k}.png")
    return folder


def train(preset: str, out: Path, *overrides: str):
    cfg = apply_overrides(load_config(preset), [*SHRINK, *overrides, f"train.out_dir={out}"])
    return Trainer(cfg).fit()


def rows(run) -> list[dict]:
    return [json.loads(line) for line in (run.dir / "metrics.jsonl").read_text().splitlines()]


def test_preset_numbers_are_the_seeds():
    mlp, dcgan, folder = (load_config(p) for p in ("mnist-mlp", "mnist-dcgan", "folder-dcgan-100"))
    # seed 001
    assert (mlp.model.latent_dim, mlp.model.g.hidden, mlp.model.d.hidden) == (784, [256] * 3, [256] * 3)
    assert mlp.model.g.batchnorm and (mlp.model.g.bn_momentum, mlp.model.g.bn_eps) == (0.01, 1e-3)
    assert (mlp.model.g.out_activation, mlp.loss.d_scale, mlp.optim.g.lr, mlp.optim.d.lr) == ("tanh", 0.5, 1e-4, 1e-4)
    assert (mlp.train.batch_size, mlp.data.limit, mlp.train.steps) == (32, 5000, 500 * math.ceil(5000 / 32))
    # seed 002
    t = dcgan.train
    assert (t.batch_size, t.fake_batch_size, t.g_batch_size, t.d_update) == (128, 128, 256, "joint")
    assert (t.steps, dcgan.eval.every) == (100 * (60000 // 256), 10 * (60000 // 256))
    assert (dcgan.optim.g.lr, dcgan.optim.g.betas, dcgan.optim.d.betas) == (2e-4, [0.5, 0.999], [0.5, 0.999])
    assert (dcgan.model.latent_dim, dcgan.model.g.out_activation, dcgan.model.d.dropout) == (100, "sigmoid", 0.3)
    assert (dcgan.eval.grid, dcgan.eval.predict, dcgan.eval.n_accuracy) == (25, 20, 100)
    # seed 003
    assert (folder.data.image_size, folder.data.channels, folder.loss.real_label) == (100, 3, 0.9)
    assert (folder.train.batch_size, folder.train.epochs) == (50, 100)
    assert (folder.eval.every_epochs, folder.eval.grid) == (5, 100)
    assert (folder.optim.g.betas, folder.model.g.slope, folder.model.d.dropout) == ([0.9, 0.999], 0.3, 0.02)


@pytest.mark.parametrize("preset, data", [
    ("mnist-mlp", ["data.name=digits"]),
    ("mnist-dcgan", ["data.name=digits", "eval.predict=3"]),
    ("fashion-dcgan", ["data.name=digits"]),
    ("folder-dcgan-100", ["data.path={pictures}"]),
])
def test_each_image_preset_trains_two_steps(preset, data, pictures, tmp_path):
    run = train(preset, tmp_path, *(d.format(pictures=pictures) for d in data))
    losses = [r for r in rows(run) if "g_loss" in r]
    assert losses[-1]["step"] == 2 and all(math.isfinite(r["g_loss"]) and math.isfinite(r["d_loss"]) for r in losses)
    assert (run.dir / "checkpoints" / "step_000002.safetensors").is_file()
    assert (run.dir / "samples" / "step_000002.png").is_file()
    if preset == "folder-dcgan-100":
        assert run.info.shape == [3, 100, 100]
    if preset == "mnist-dcgan":
        assert len(list((run.dir / "predict").glob("image_*.png"))) == 3
        assert (run.dir / "predict" / "summary.png").is_file()


def test_seed_001_single_example_experiment(tmp_path):
    run = train("mnist-mlp", tmp_path, "data.name=digits", "data.limit=1")
    assert run.info.extra["n"] == 1 and rows(run)[-1]["step"] == 2


@pytest.mark.skipif(not FASHION.is_dir(), reason="Fashion-MNIST (Debian dataset-fashion-mnist) not installed")
def test_seed_001_on_fashion_mnist_images(tmp_path):
    run = train("mnist-mlp", tmp_path, "data.name=fashion-mnist", "data.limit=1")
    assert run.info.shape == [1, 28, 28] and run.generator.sample(2, seed=0).shape == (2, 1, 28, 28)


def test_folder_preset_without_a_path_names_the_field():
    with pytest.raises(GankitError, match="data.path"):
        Trainer(load_config("folder-dcgan-100"))


def test_epochs_become_steps_and_epoch_one_is_evaluated(pictures, tmp_path):
    # 10 pictures // batch 3 = 3 steps an epoch: 2 epochs = 6 steps; every 5 epochs = 15 steps,
    # so the evaluations are after epoch 1 (step 3) and at the end (step 6)
    run = train("folder-dcgan-100", tmp_path, f"data.path={pictures}", "data.image_size=16",
                "train.batch_size=3", "train.epochs=2", "eval.every_epochs=5")
    assert run.cfg.train.steps == 6 and run.cfg.eval.every == 15
    assert [r["step"] for r in rows(run) if r.get("kind") == "eval"] == [3, 6]
    assert sorted(p.name for p in (run.dir / "samples").glob("*.png")) == ["step_000003.png", "step_000006.png"]


def test_folder_with_three_broken_files_trains_and_warns_once(tmp_path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for k in range(100):
        Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)).save(folder / f"ok_{k:03d}.png")
    (folder / "bad_1.png").write_bytes(b"not a png")
    (folder / "bad_2.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (folder / "bad_3.png").write_bytes(b"")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = train("folder-dcgan-100", tmp_path / "runs", f"data.path={folder}", "data.image_size=16")
    skipped = [w for w in caught if issubclass(w.category, SkippedImagesWarning)]
    assert len(skipped) == 1 and "skipped 3 " in str(skipped[0].message)
    assert run.info.extra["n"] == 100 and rows(run)[-1]["step"] == 2


def test_an_explicit_step_count_wins_over_a_presets_epochs(pictures, tmp_path):
    """`gankit train folder-dcgan-100 --steps 2` trains 2 steps, not seed 003's 100 epochs."""
    from gankit.cli import main

    main(["train", "folder-dcgan-100", "--data", str(pictures), "--steps", "2", "--out", str(tmp_path),
          "--no-progress", "--set", "data.image_size=16", "--set", "train.batch_size=4",
          "--set", "train.fake_batch_size=4", "--set", "train.g_batch_size=4", "--set", "eval.n_samples=4",
          "--set", "eval.grid=4", "--set", "eval.n_accuracy=4"])
    rows = [json.loads(line) for line in (tmp_path / "folder-dcgan-100" / "metrics.jsonl").read_text().splitlines()]
    assert max(row["step"] for row in rows) == 2

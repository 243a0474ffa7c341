"""`gankit features train / extract` through the CLI: image folders (--image-size), and options or files
that were silently misread (--split with --run, NPY bytes under a .csv name, a vector run, random bytes
named .npy). The image-folder helpers here are shared with the other command tests of this folder."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.cli_helpers import TINY, assert_one_line_error, run_cli, train_ok

CLASSES = ("dark", "light")


def make_image_folder(root: Path, per_class: int = 20, bad: int = 0) -> Path:
    """root/dark/*.png and root/light/*.png: 12x12 RGB noise around 40 or 200 (two easy classes, files sorted
    class by class), plus `bad` files that only pretend to be PNGs."""
    rng = np.random.default_rng(0)
    for k, name in enumerate(CLASSES):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 40, (12, 12, 3)) + (40 if k == 0 else 200)
            Image.fromarray(pixels.astype(np.uint8)).save(root / name / f"{i:02d}.png")
    for i in range(bad):
        (root / CLASSES[0] / f"broken{i}.png").write_bytes(b"not a png at all")
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make_image_folder(tmp_path_factory.mktemp("pictures") / "pictures")


@pytest.fixture(scope="module")
def folder_run(tmp_path_factory, folder) -> Path:
    """A 4-step MLP GAN on the folder at 8x8 (the classifier needs 8x8 at least: three poolings)."""
    out = tmp_path_factory.mktemp("runs")
    return train_ok(["circle", "--data", folder, "--image-size", "8", "--steps", "4", "--out", out, *TINY])


@pytest.fixture(scope="module")
def vector_run(tmp_path_factory) -> Path:
    return train_ok(["circle", "--steps", "2", "--out", tmp_path_factory.mktemp("runs"), *TINY])


def ok(argv: list) -> str:
    result = run_cli(argv)
    assert result.code == 0, result.err
    return result.out


# ---------------------------------------------------------------------------------------- image folders
def test_an_image_folder_trains_a_classifier_and_gives_features(folder, tmp_path):
    weights = tmp_path / "c.safetensors"
    out = ok(["features", "train", "--data", folder, "--image-size", "8", "-o", weights, "--epochs", "2"])
    record = json.loads((tmp_path / "c.json").read_text())
    assert record["input_shape"] == [3, 8, 8] and "--image-size 8" in record["command"] and record["sha256"] in out
    # the held-out tail is taken per class: a plain tail of a class-sorted folder would be all 'light'
    assert record["n_test"] == 8 and record["test_accuracy"] > 0.5
    ok(["features", "extract", "--features", f"classifier:{weights}", "--data", folder, "--image-size", "8",
        "-n", "6", "--split", "test", "-o", tmp_path / "f.npy"])
    assert np.load(tmp_path / "f.npy").shape == (6, 128)
    ok(["features", "extract", "--features", "pixels", "--data", folder, "--image-size", "6", "-n", "5",
        "-o", tmp_path / "p.npy"])
    assert np.load(tmp_path / "p.npy").shape == (5, 3 * 6 * 6)


@pytest.mark.parametrize("action", ["train", "extract"])
def test_an_image_folder_without_image_size_names_the_flag(folder, tmp_path, action):
    more = ["-o", tmp_path / "c.safetensors"]
    if action == "extract":
        more = ["--features", "pixels", "-o", tmp_path / "f.npy"]
    assert_one_line_error(run_cli(["features", action, "--data", folder, *more]), ["folder", "--image-size N"])


def test_image_size_must_be_positive(folder, tmp_path):
    result = run_cli(["features", "extract", "--features", "pixels", "--data", folder, "--image-size", "0",
                      "-o", tmp_path / "f.npy"])
    assert_one_line_error(result, ["--image-size", "expected an integer >= 1"])


# ---------------------------------------------------------------------------------------- misread options
def test_split_and_image_size_with_run_are_refused(folder_run, tmp_path):
    for flag, value in (("--split", "test"), ("--split", "train"), ("--image-size", "8")):
        result = run_cli(["features", "extract", "--features", "pixels", "--run", folder_run, flag, value,
                          "-o", tmp_path / "f.npy"])  # was: --split ignored, features of the samples written
        assert_one_line_error(result, [flag, "--data", "--run"])
    assert not (tmp_path / "f.npy").exists()
    ok(["features", "extract", "--features", "pixels", "--run", folder_run, "-n", "3", "-o", tmp_path / "f.npy"])
    assert np.load(tmp_path / "f.npy").shape == (3, 192)


@pytest.mark.parametrize("name", ["out.csv", "out.txt", "out", "out.npz"])
def test_output_other_than_npy_is_refused_before_the_work(folder_run, tmp_path, name):
    result = run_cli(["features", "extract", "--features", "pixels", "--run", folder_run, "-o", tmp_path / name])
    assert_one_line_error(result, [name, ".npy"])  # was: NPY bytes written under a .csv name
    assert not (tmp_path / name).exists()


def test_a_vector_run_is_said_to_make_vectors(vector_run, tmp_path):
    result = run_cli(["features", "extract", "--features", "pixels", "--run", vector_run, "-o", tmp_path / "f.npy"])
    assert_one_line_error(result, ["makes vectors", "not images"])  # was: "needs uint8 images ... got (N, 2)"


def test_random_bytes_named_npy_are_not_called_pickled(tmp_path):
    path = tmp_path / "noise.npy"
    path.write_bytes(bytes(np.random.default_rng(1).integers(0, 256, 64, dtype=np.uint8)))
    result = run_cli(["features", "extract", "--features", "pixels", "--data", path, "-o", tmp_path / "f.npy"])
    assert_one_line_error(result, ["noise.npy", "not a valid .npy file"])
    assert "pickle" not in result.err


def test_more_real_images_than_there_are_is_refused_not_cut(folder, tmp_path):
    """-n 33 of a 32-image train split wrote 32 rows without a word (evaluate --n refuses the same)."""
    out = tmp_path / "f.npy"
    result = run_cli(["features", "extract", "--features", "pixels", "--data", folder, "--image-size", "4",
                      "-n", "33", "-o", out])
    assert_one_line_error(result, ["-n 33", "32 real images", "expected -n <= 32"])
    assert not out.exists()
    ok(["features", "extract", "--features", "pixels", "--data", folder, "--image-size", "4", "-o", out])
    assert np.load(out).shape == (32, 48)  # without -n: 10000, or all there are when fewer


def test_extraction_shows_a_progress_bar(folder, tmp_path, monkeypatch):
    """60,000 Fashion-MNIST images took ~45 s with no sign of life (only generating had a bar)."""
    from tests.progress_recorder import record_progress

    seen = record_progress(monkeypatch)
    ok(["features", "extract", "--features", "pixels", "--data", folder, "--image-size", "4", "-n", "7",
        "-o", tmp_path / "f.npy"])
    assert (7, True, "features") in seen and seen[-1] == (7, [])

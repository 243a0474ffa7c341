"""Image hooks: display conversion, grid layout and enlargement, the per-eval grid of fixed-noise
fakes and seed 002's end-of-run predictions, on a tiny DCGAN over scikit-learn's 8x8 digits."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.config import apply_overrides, load_config
from gankit.train.hooks_image import display_scale, grid_columns, to_display
from gankit.train.trainer import Trainer


def test_to_display_maps_data_units_to_unit_range_and_drops_alpha_over_black():
    grey = torch.tensor([0.0, 127.5, 255.0, 300.0]).view(1, 1, 2, 2)
    assert np.allclose(to_display(grey).ravel(), [0, 0.5, 1, 1])  # overshoot is clipped
    rgba = torch.full((2, 4, 3, 3), 255.0)
    rgba[1, 3] = 0.0  # second image fully transparent
    shown = to_display(rgba)
    assert shown.shape == (2, 3, 3, 3)
    assert np.all(shown[0] == 1) and np.all(shown[1] == 0)


@pytest.mark.parametrize("side, scale", [(8, 10), (28, 3), (32, 2), (64, 1), (100, 1)])
def test_small_images_are_enlarged_to_be_seen(side, scale):
    assert display_scale(side, side) == scale


@pytest.mark.parametrize("n, cols", [(1, 1), (20, 5), (25, 5), (26, 6), (100, 10)])
def test_grids_are_square_ish(n, cols):
    assert grid_columns(n) == cols


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    cfg = apply_overrides(load_config("fashion-dcgan"), [
        "data.name=digits", "model.latent_dim=8", "model.g.options={width: 4}", "model.d.options={width: 4}",
        "train.steps=3", "train.batch_size=8", "eval.every=2", "eval.n_samples=6", "eval.grid=6",
        "eval.n_accuracy=4", "eval.predict=12", f"train.out_dir={out}", "train.progress=false",
        "train.threads=1"])
    return Trainer(cfg).fit()


def test_a_grid_of_fixed_noise_fakes_at_each_evaluation(tiny_run):
    frames = sorted(p.name for p in (tiny_run.dir / "samples").glob("*.png"))
    assert frames == ["step_000002.png", "step_000003.png"]  # every 2 steps and the last
    grid = Image.open(tiny_run.dir / "samples" / frames[0])
    # 6 digits of 8x8 in 3 columns x 2 rows, 2-pixel padding, enlarged 10 times
    assert grid.size == ((3 * 10 + 2) * 10, (2 * 10 + 2) * 10) and grid.mode == "L"
    assert (tiny_run.dir / "plots" / "animation.gif").is_file()
    rows = [json.loads(line) for line in (tiny_run.dir / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if r.get("kind") == "eval"]
    assert [r["step"] for r in evals] == [2, 3] and all(0 <= r["eval_acc_fake"] <= 1 for r in evals)


def test_grid_shows_the_generator_on_the_fixed_noise(tiny_run):
    """The last grid is exactly G(fixed noise) of the final weights, as data pixels."""
    from gankit.viz.grid import image_grid

    run, trainer_z = tiny_run, tiny_run.algo.latent_on_cpu(6, torch.Generator().manual_seed(0))
    expected = image_grid(to_display(run.generator.sample(6, z=trainer_z)), nrow=3)
    saved = np.asarray(Image.open(run.dir / "samples" / "step_000003.png"))[::10, ::10]
    assert np.array_equal(saved, expected[:, :, 0])


def test_predictions_one_file_each_and_a_two_by_five_summary(tiny_run):
    predict = tiny_run.dir / "predict"
    files = sorted(p.name for p in predict.glob("image_*.png"))
    assert files == [f"image_{i:02d}.png" for i in range(1, 13)]
    assert Image.open(predict / "image_01.png").size == (80, 80)  # one 8x8 digit, enlarged 10 times
    summary = Image.open(predict / "summary.png")
    assert summary.size == ((5 * 10 + 2) * 10, (2 * 10 + 2) * 10)  # the first 10, 2 rows of 5


def test_an_unpaired_translation_run_shows_source_and_translation_and_logs_cycle_l1(tmp_path):
    """cyclegan on unpaired data: the samples figure has source | translation pairs (no target to show),
    no paired scores, and the recipe's cycle_l1 at each evaluation."""
    cfg = apply_overrides(load_config("fashion-sneakers2boots"), [
        "data.image_size=16", "data.limit=32", "data.bank=4", "model.g.options={width: 4, blocks: 1}",
        "model.d.options={width: 4, d_layers: 1}", "train.steps=2", "train.batch_size=2", "eval.every=2",
        "eval.n_samples=5", "eval.grid=5", "train.progress=false", f"train.out_dir={tmp_path}", "train.name=cyc"])
    run = Trainer(cfg).fit()
    rows = [json.loads(line) for line in (run.dir / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if r.get("kind") == "eval"]
    assert len(evals) == 1 and 0 <= evals[0]["cycle_l1"] <= 1 and "paired_l1" not in evals[0]
    with Image.open(run.dir / "samples" / "step_000002.png") as figure:
        width, height = figure.size
    scale = display_scale(16, 16)
    assert (width, height) == ((4 * 2 * (16 + 2) + 2) * scale, (2 * (16 + 2) + 2) * scale)  # 5 pairs, 4 a row

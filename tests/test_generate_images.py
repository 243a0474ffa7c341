"""`gankit generate` on image runs: PNG grids, PNG folders, NPZ arrays in the data's range and
channels, checkpoints, seeds, slerp interpolation and the truncation trick."""
import numpy as np
import pytest
import torch
from PIL import Image

from gankit.cli import main
from gankit.sampling import interpolation, latents
from gankit.config import apply_overrides, load_config
from gankit.errors import GankitError
from gankit.train.run import load_run
from gankit.train.trainer import Trainer

TINY = ["model.latent_dim=8", "model.g.options={width: 4}", "model.d.options={width: 4}", "train.steps=2",
        "train.batch_size=8", "eval.every=1", "eval.n_samples=4", "eval.grid=4", "eval.n_accuracy=4",
        "train.progress=false", "train.threads=1"]


def train_tiny(out, data_overrides):
    cfg = apply_overrides(load_config("fashion-dcgan"), [*TINY, *data_overrides, f"train.out_dir={out}"])
    return Trainer(cfg).fit().dir


@pytest.fixture(scope="module")
def grey_run(tmp_path_factory):
    return train_tiny(tmp_path_factory.mktemp("grey"), ["data.name=digits"])  # (1, 8, 8)


@pytest.fixture(scope="module")
def rgb_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rgb")
    rng = np.random.default_rng(0)
    np.savez(folder / "pictures.npz", images=rng.integers(0, 256, (16, 6, 10, 3), dtype=np.uint8))  # NHWC
    return train_tiny(folder, [f"data.path={folder / 'pictures.npz'}", "train.name=rgb"])  # (3, 6, 10)


def generate(run, *args):
    main(["generate", str(run), *map(str, args)])


def test_png_grid_rows_by_columns(grey_run, tmp_path):
    generate(grey_run, "-n", 10, "--grid", "2x5", "-o", tmp_path / "grid.png")
    image = Image.open(tmp_path / "grid.png")
    assert image.size == (5 * (8 + 2) + 2, 2 * (8 + 2) + 2) and image.mode == "L"  # native pixels, padding 2
    generate(grey_run, "--grid", "3x4", "-o", tmp_path / "default_n.png")  # no -n: the grid's 12
    assert Image.open(tmp_path / "default_n.png").size == (4 * 10 + 2, 3 * 10 + 2)


def test_grid_too_small_is_a_one_line_error(grey_run, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        generate(grey_run, "-n", 20, "--grid", "2x5", "-o", tmp_path / "grid.png")
    assert exit_info.value.code == 2 and "2x5 holds 10" in capsys.readouterr().err
    assert not (tmp_path / "grid.png").exists()


def test_png_dir_one_file_per_sample(grey_run, tmp_path):
    generate(grey_run, "-n", 7, "-o", tmp_path / "pictures")
    files = sorted((tmp_path / "pictures").glob("*.png"))
    assert len(files) == 7 and Image.open(files[0]).size == (8, 8)


def test_npz_in_data_units_same_seed_same_images(grey_run, tmp_path):
    generate(grey_run, "-n", 6, "--seed", 3, "-o", tmp_path / "a.npz")
    generate(grey_run, "-n", 6, "--seed", 3, "--format", "npz", "-o", tmp_path / "b.bin")
    a, b = np.load(tmp_path / "a.npz")["images"], np.load(tmp_path / "b.bin")["images"]
    assert a.shape == (6, 1, 8, 8) and a.dtype == np.uint8 and np.array_equal(a, b)
    run = load_run(grey_run)
    expected = run.generator.sample(6, seed=3)  # 0..255 floats: G's tanh output mapped back
    assert 0 <= expected.min() and expected.max() <= 255
    assert np.abs(a.astype(float) - expected.numpy()).max() <= 0.5 + 1e-4


def test_rgb_data_gives_rgb_files(rgb_run, tmp_path):
    generate(rgb_run, "-n", 5, "-o", tmp_path / "c.npz")
    assert np.load(tmp_path / "c.npz")["images"].shape == (5, 3, 6, 10)
    generate(rgb_run, "-n", 4, "-o", tmp_path / "c.png")
    assert Image.open(tmp_path / "c.png").mode == "RGB"


def test_checkpoint_choice(grey_run, tmp_path):
    generate(grey_run, "-n", 3, "--checkpoint", 1, "-o", tmp_path / "one.npz")
    generate(grey_run, "-n", 3, "--checkpoint", "latest", "-o", tmp_path / "two.npz")
    first, last = (np.load(tmp_path / f"{name}.npz")["images"] for name in ("one", "two"))
    assert not np.array_equal(first, last)  # step 1 and step 2 weights differ


def test_interpolation_ends_at_the_two_latents(grey_run, tmp_path):
    run = load_run(grey_run)
    strip = interpolation(run, 5, seed=4)
    z = run.algo.latent_on_cpu(2, torch.Generator().manual_seed(4))
    ends = run.generator.sample(2, z=z)
    assert strip.shape == (5, 1, 8, 8)
    assert torch.allclose(strip[0], ends[0], atol=1e-4) and torch.allclose(strip[-1], ends[1], atol=1e-4)
    generate(grey_run, "--interpolate", 5, "-o", tmp_path / "strip.png")
    assert Image.open(tmp_path / "strip.png").size == (5 * 10 + 2, 12)  # one row


def test_slerp_path_keeps_the_norm_between_equal_norm_ends(grey_run):
    """slerp between z0 and z1 of equal norm r stays on their sphere at constant angular speed
    (a straight line would cut inside the sphere, where N(0, I) has almost no mass)."""
    run = load_run(grey_run)
    ends = torch.zeros(2, 8)
    ends[0, 0], ends[1, :2] = 3.0, torch.tensor([0.0, -3.0])  # r = 3, 90 degrees apart
    run.algo.latent_on_cpu = lambda n, generator: ends.clone()
    seen = []
    run.generator.sample = lambda k, z: seen.append(z) or torch.zeros(k, 1, 8, 8)
    interpolation(run, 7, seed=0)
    path = seen[0]
    assert torch.allclose(path[0], ends[0]) and torch.allclose(path[-1], ends[1], atol=1e-6)
    assert torch.allclose(path.norm(dim=1), torch.full((7,), 3.0))
    steps = torch.arccos(torch.nn.functional.cosine_similarity(path[:-1], path[1:]).clamp(-1, 1))
    assert torch.allclose(steps, torch.full((6,), torch.pi / 2 / 6), atol=1e-4)


def test_truncation_bounds_the_latents_and_keeps_those_within(grey_run, tmp_path):
    run = load_run(grey_run)
    plain, truncated = latents(run, 500, 0), latents(run, 500, 0, truncation=0.5)
    assert truncated.abs().max() <= 0.5
    inside = plain.abs() <= 0.5
    assert inside.any() and torch.equal(truncated[inside], plain[inside])
    generate(grey_run, "-n", 4, "--truncation", 0.5, "-o", tmp_path / "t.npz")
    assert np.load(tmp_path / "t.npz")["images"].shape == (4, 1, 8, 8)
    with pytest.raises(GankitError, match="truncation"):
        latents(run, 4, 0, truncation=0.0)
    run.cfg.model.latent = "uniform"
    with pytest.raises(GankitError, match="Gaussian"):
        latents(run, 4, 0, truncation=1.0)


def test_a_tiny_truncation_finishes_and_still_bounds_the_latents(grey_run):
    """Redrawing alone never ended for T = 1e-6 (a draw lands within T with probability ~1e-6)."""
    run = load_run(grey_run)
    for t in (1e-6, 1e-30):
        z = latents(run, 50, 0, truncation=t)
        assert z.shape == (50, 8) and z.abs().max() <= t
    assert torch.equal(latents(run, 50, 0, truncation=1e-6), latents(run, 50, 0, truncation=1e-6))  # seeded


@pytest.mark.parametrize("truncation", [None, 0.5])
def test_a_smaller_n_gives_the_first_samples_of_a_larger_one(grey_run, tmp_path, truncation):
    """-n 10 was not the start of -n 1000 with the same seed: torch draws fewer than 16 Gaussians another
    way, and truncation's redraws took numbers from later rows."""
    run = load_run(grey_run)
    many = latents(run, 2500, 3, truncation)  # crosses two block boundaries
    for n in (1, 10, 1024, 1500):
        assert torch.equal(latents(run, n, 3, truncation), many[:n])
    extra = [] if truncation is None else ["--truncation", truncation]
    generate(grey_run, "-n", 5, "--seed", 3, *extra, "-o", tmp_path / "few.npz")
    generate(grey_run, "-n", 40, "--seed", 3, *extra, "-o", tmp_path / "more.npz")
    few, more = np.load(tmp_path / "few.npz")["images"], np.load(tmp_path / "more.npz")["images"]
    assert np.abs(few.astype(int) - more[:5].astype(int)).max() <= 1  # uint8 pixels; GEMM rounding may differ

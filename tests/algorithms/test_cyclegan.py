"""gankit/algorithms/cyclegan.py: losses by hand, the image pool, one step, exact resume, refusals."""
from __future__ import annotations

import copy
import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.algorithms import cyclegan
from gankit.algorithms.cyclegan import CycleGAN, ImagePool, least_squares_d, least_squares_g
from gankit.data.source import DataInfo
from gankit.errors import GankitError
from gankit.train.checkpoint import latest_step, read_checkpoint
from gankit.train.trainer import Trainer
from tests.algorithms.helpers import config

TINY = ["model.arch=resnet-translator", "model.g.options={width: 4, blocks: 1}",
        "model.d.options={width: 4, d_layers: 1}", "model.g.out_activation=tanh", "model.g.init=normal",
        "model.d.init=normal"]


def unpaired(c_a: int = 1, c_b: int = 1, side: int = 8) -> DataInfo:
    source = {"shape": [c_a, side, side], "shift": [127.5] * c_a, "scale": [127.5] * c_a, "paired": False, "bank": 4}
    return DataInfo(name="ab", kind="image", shape=[c_b, side, side], shift=[127.5] * c_b, scale=[127.5] * c_b,
                    extra={"source": source})


def make(info: DataInfo | None = None, *overrides: str) -> CycleGAN:
    torch.manual_seed(0)
    algo = CycleGAN(config("cyclegan", *TINY, *overrides), info or unpaired())
    algo.optimizers()
    return algo


def batch(info: DataInfo, n: int = 4, seed: int = 1) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {"real": torch.rand(n, *info.shape, generator=g) * 2 - 1,
            "source": torch.rand(n, *info.extra["source"]["shape"], generator=g) * 2 - 1}


# ---------------------------------------------------------------------------------------- losses by hand
def test_least_squares_losses_by_hand():
    real, fake = torch.tensor([[0.5, 1.5]]), torch.tensor([[0.5, -0.5]])
    # D: ((0.5-1)^2 + (1.5-1)^2)/2 = 0.25 on reals, (0.25 + 0.25)/2 = 0.25 on fakes; halved: 0.25
    assert least_squares_d(real, fake).item() == pytest.approx(0.25)
    assert least_squares_d(torch.ones(3), torch.zeros(3)).item() == 0.0  # D perfect
    # G: ((0.5-1)^2 + (-0.5-1)^2)/2 = (0.25 + 2.25)/2
    assert least_squares_g(fake).item() == pytest.approx(1.25)


def test_logged_cycle_and_identity_losses_are_the_papers_terms():
    """cycle = E|F(G(a)) - a| + E|G(F(b)) - b|, identity = E|G(b) - b| + E|F(a) - a|, from the nets before the step;
    the weights are λ = 10 and 0.5 λ."""
    algo, info = make(), unpaired()
    data = batch(info)
    a, b = data["source"], data["real"]
    G, F = copy.deepcopy(algo.nets["G"]), copy.deepcopy(algo.nets["F"])
    with torch.no_grad():
        cycle = (F(G(a)) - a).abs().mean() + (G(F(b)) - b).abs().mean()
        identity = (G(b) - b).abs().mean() + (F(a) - a).abs().mean()
    stats = algo.g_step(data)
    torch.testing.assert_close(stats["cycle"], cycle)
    torch.testing.assert_close(stats["identity"], identity)
    assert (algo.cycle_weight, algo.identity_weight) == (10.0, 5.0)
    assert "identity" not in make(info, "loss.identity_weight=0").g_step(data)


def test_the_generators_minimise_the_weighted_sum():
    """The G/F update follows the gradient of adv_G + adv_F + λ cycle + 0.5 λ identity: with plain SGD (lr 1)
    one step moves G's weights by exactly minus that gradient."""
    algo, info = make(None, "optim.g.name=sgd", "optim.g.lr=1.0"), unpaired()
    data = batch(info)
    a, b = data["source"], data["real"]
    G, F = copy.deepcopy(algo.nets["G"]), copy.deepcopy(algo.nets["F"])
    D_B, D_A = algo.nets["D"], algo.nets["D_A"]
    fake_b, fake_a = G(a), F(b)
    total = ((D_B(fake_b) - 1) ** 2).mean() + ((D_A(fake_a) - 1) ** 2).mean() \
        + 10 * ((F(fake_b) - a).abs().mean() + (G(fake_a) - b).abs().mean()) \
        + 5 * ((G(b) - b).abs().mean() + (F(a) - a).abs().mean())
    grads = torch.autograd.grad(total, list(G.parameters()))
    algo.g_step(data)
    for before, grad, after in zip(G.parameters(), grads, algo.nets["G"].parameters()):
        torch.testing.assert_close(after, before - grad)


# ---------------------------------------------------------------------------------------- the image pool
def test_pool_fills_first_then_swaps():
    torch.manual_seed(0)
    pool = ImagePool(4, (1, 2, 2))
    first = torch.arange(3.0).view(3, 1, 1, 1).expand(3, 1, 2, 2)
    assert torch.equal(pool.query(first), first)  # filling: the fakes come back as they are
    assert int(pool.count) == 3
    second = (10 + torch.arange(3.0)).view(3, 1, 1, 1).expand(3, 1, 2, 2)
    out = pool.query(second)
    assert out.shape == second.shape and int(pool.count) == 4
    assert torch.equal(out[0], second[0])  # the fourth slot was free: stored, returned as it is
    seen = {0.0, 1.0, 2.0, 10.0, 11.0, 12.0}
    assert {float(x) for x in out[:, 0, 0, 0]} <= seen  # the rest: the fake itself or an earlier fake
    stored = sorted(float(x) for x in pool.images[:, 0, 0, 0])
    assert len(stored) == 4 and set(stored) <= seen


def test_pool_swaps_half_of_the_fakes_and_returns_earlier_ones():
    torch.manual_seed(0)
    pool = ImagePool(10, (1,))
    pool.query(-torch.ones(10, 1))  # full
    fakes = torch.arange(2000.0).view(-1, 1)
    out = torch.cat([pool.query(fakes[i:i + 20]) for i in range(0, 2000, 20)])
    assert out.shape == fakes.shape
    swapped = (out != fakes).squeeze(1)
    assert 0.45 < swapped.float().mean() < 0.55  # probability 1/2 (2000 draws: sd 0.011)
    # a swapped-in image is an earlier fake (or one of the pool's first images), never a later one
    assert bool((out[swapped] < fakes[swapped]).all())


def test_pool_draws_the_same_random_numbers_full_or_not():
    """n uniforms and n slots per query whatever the pool holds: the global stream advances alike."""
    torch.manual_seed(0)
    ImagePool(50, (1,)).query(torch.zeros(5, 1))  # filling
    after_filling = torch.rand(1)
    torch.manual_seed(0)
    full = ImagePool(2, (1,))
    full.count.fill_(2)
    full.query(torch.zeros(5, 1))
    assert torch.equal(torch.rand(1), after_filling)


# ---------------------------------------------------------------------------------------- one step
def test_one_step_changes_both_generators_and_both_discriminators():
    algo, info = make(), unpaired()
    before = {k: copy.deepcopy(v.state_dict()) for k, v in algo.nets.items()}
    stats = {**algo.d_step(batch(info)), **algo.g_step(batch(info))}
    assert set(stats) == {"d_loss", "d_a_loss", "d_real", "d_fake", "g_loss", "f_loss", "cycle", "identity"}
    assert all(torch.isfinite(v) and not v.requires_grad for v in stats.values())
    for name in ("G", "F", "D", "D_A"):
        assert any(not torch.equal(before[name][k], v) for k, v in algo.nets[name].state_dict().items()), name
    assert int(algo.nets["pool_B"].count) == int(algo.nets["pool_A"].count) == 4
    assert set(algo.opt) == {"G", "F", "D", "D_A"}


def test_sample_translates_a_to_b_with_g():
    algo = make(unpaired(c_a=1, c_b=3), "loss.identity_weight=0")
    a = torch.rand(2, 1, 8, 8) * 2 - 1
    assert algo.sample(2, source=a).shape == (2, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(algo.sample(2, source=a), algo.nets["G"](a))
        torch.testing.assert_close(algo.translate_back(algo.sample(2, source=a)), algo.nets["F"](algo.nets["G"](a)))


def test_cycle_scores_and_figure_over_the_bank(tmp_path):
    """cycle_l1 = mean |F(G(a)) - a| / 255 over the bank's sources (in chunks); the figure shows a | G(a) | F(G(a))."""
    algo = make(unpaired(c_a=1, c_b=3), "loss.identity_weight=0", "eval.grid=3")
    bank = torch.randint(0, 256, (4, 1, 8, 8), dtype=torch.uint8)
    algo.nets["bank"].fill(bank, None)
    a = bank.float() / 127.5 - 1
    with torch.no_grad():
        back = ((algo.nets["F"](algo.nets["G"](a)) + 1) * 127.5).clamp(0, 255)
    expected = float((back - bank.float()).abs().mean() / 255)
    assert algo.cycle_scores(chunk=3)["cycle_l1"] == pytest.approx(expected, rel=1e-5)
    algo.extra_figures(7, tmp_path)
    with Image.open(tmp_path / "samples" / "cycle_000007.png") as figure:
        # 3 triples in one row of 2x-enlarged 8x8 cells with 2-pixel padding: 9 cells wide, 1 high, RGB
        assert figure.size == (2 * (9 * 10 + 2), 2 * (10 + 2)) and figure.mode == "RGB"


def test_d_accuracy_thresholds_least_squares_outputs_at_one_half():
    algo, info = make(), unpaired()
    data = batch(info)
    with torch.no_grad():
        out = algo.nets["D"](data["real"])
    torch.testing.assert_close(algo.d_logits(data["source"], data["real"]), out - 0.5)
    assert algo.d_accuracy(data)["eval_acc_real"] == pytest.approx(float((out > 0.5).float().mean()))


@pytest.mark.parametrize("info, overrides, message", [
    (unpaired(1, 3), [], "identity_weight"),
    (unpaired(), ["model.arch=unet"], "model.arch"),
    (unpaired(), ["reg.ema_beta=0.999"], "reg.ema_beta"),
    (DataInfo(name="img", kind="image", shape=[1, 8, 8], shift=[0.0], scale=[1.0]), [], "translation data"),
])
def test_refusals_are_one_line_errors(info, overrides, message):
    with pytest.raises(GankitError, match=message):
        CycleGAN(config("cyclegan", *TINY, *overrides), info)


# ---------------------------------------------------------------------------------------- exact resume
def _folders(root):
    """trainA/ and trainB/: 6 small random images each (the CycleGAN datasets' layout)."""
    rng = np.random.default_rng(0)
    for sub in ("trainA", "trainB"):
        (root / sub).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(root / sub / f"{i}.png")
    return root


def _train(data, out, name, steps, resume=None):
    cfg = config("cyclegan", *TINY, f"data.path={data}", "data.translation=unpaired", "data.image_size=8",
                 "data.channels=1", "data.bank=4", "train.batch_size=2", f"train.steps={steps}", "eval.every=3",
                 "train.checkpoint_every=3", "eval.n_samples=4", "eval.grid=4", "eval.plots=false",
                 "eval.metrics=false", "train.progress=false", "train.lr_decay=linear", "train.lr_decay_start=0.5",
                 "train.log_every=1", f"train.out_dir={out}", f"train.name={name}", "train.threads=1")
    return Trainer(cfg, resume=resume).fit().dir


def test_resume_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    """A run killed after its step-3 checkpoint (same config: the lr decay depends on train.steps) and
    resumed ends as the uninterrupted run. The pools fill in the first steps (size 3), so the resumed
    half swaps images from the saved pools; the decay reaches the extra optimizers F and D_A too."""
    monkeypatch.setattr(cyclegan, "POOL_SIZE", 3)
    data = _folders(tmp_path / "data")
    straight = _train(data, tmp_path, "straight", 6)
    split = tmp_path / "split"
    shutil.copytree(straight, split)
    for name in ("step_000006.safetensors", "step_000006.json", "latest.json"):
        (split / "checkpoints" / name).unlink()
    _train(data, tmp_path, "ignored", 6, resume=split)
    a = read_checkpoint(straight / "checkpoints", latest_step(straight / "checkpoints"))[0]
    b = read_checkpoint(split / "checkpoints", 6)[0]
    assert sorted(a) == sorted(b)
    assert {k.split("/")[1] for k in a if k.startswith("net/")} == {"G", "F", "D", "D_A", "bank", "pool_A", "pool_B"}
    assert int(a["net/pool_B/count"]) == 3
    assert [k for k in a if not torch.equal(a[k], b[k])] == []
    lrs = {name: opt["param_groups"][0]["lr"] for name, opt in
           read_checkpoint(straight / "checkpoints", 6)[1]["optimizers"].items()}
    assert lrs == pytest.approx({"G": 1e-3 / 3, "F": 1e-3 / 3, "D": 1e-3 / 3, "D_A": 1e-3 / 3})  # step 5 of 6: 1/3 left
    assert _rows(split) == _rows(straight)


def _rows(run) -> list[dict]:
    """metrics.jsonl without the wall-clock column."""
    return [{k: v for k, v in json.loads(line).items() if k != "time"}
            for line in (run / "metrics.jsonl").read_text().splitlines()]


# ---------------------------------------------------------------------------------------- the preset
def test_the_preset_has_the_papers_numbers_and_trains_two_steps(tmp_path):
    from gankit.config import apply_overrides, load_config

    cfg = load_config("fashion-sneakers2boots")
    assert (cfg.train.algorithm, cfg.data.name, cfg.data.params, cfg.data.image_size) == \
        ("cyclegan", "fashion-unpaired", {"a": 7, "b": 9}, 32)
    assert (cfg.loss.cycle_weight, cfg.loss.identity_weight) == (10.0, 0.5)  # sec. 4 and 5.2
    assert (cfg.optim.g.lr, cfg.optim.g.betas, cfg.optim.d.lr, cfg.optim.d.betas) == (2e-4, [0.5, 0.999], 2e-4,
                                                                                      [0.5, 0.999])
    assert (cfg.train.lr_decay, cfg.train.lr_decay_start) == ("linear", 0.5)  # constant, then linear to 0
    cfg = apply_overrides(cfg, ["train.steps=2", "eval.every=2", "train.batch_size=2", "data.bank=4",
                                "eval.grid=4", "eval.n_samples=4", "eval.n_accuracy=4", "train.progress=false",
                                "train.threads=1", f"train.out_dir={tmp_path}"])
    run = Trainer(cfg).fit()
    assert run.algo.nets["G"](torch.zeros(1, 1, 32, 32)).shape == (1, 1, 32, 32)
    assert (run.dir / "samples" / "step_000002.png").is_file() and (run.dir / "samples" / "cycle_000002.png").is_file()
    assert "cycle" in _rows(run.dir)[-2]

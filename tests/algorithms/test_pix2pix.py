"""Pix2Pix (gankit/algorithms/pix2pix.py): the losses and updates by hand, the data it refuses, sampling
from the bank, and a tiny Fashion-MNIST edges -> items run end to end (figure, paired scores, exact
resume, generate, evaluate, report)."""
from __future__ import annotations

import contextlib
import copy
import io
import json

import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import gankit.algorithms  # noqa: F401
from gankit.algorithms.pix2pix import Pix2Pix
from gankit.cli import main
from gankit.config import apply_overrides, load_config
from gankit.data.source import DataInfo
from gankit.errors import GankitError
from gankit.train import checkpoint as ckpt
from gankit.train.run import load_run
from gankit.train.trainer import Trainer

SOURCE = {"shape": [1, 16, 16], "shift": [127.5], "scale": [127.5], "paired": True, "bank": 6}
PAIRS = DataInfo(name="pairs", kind="image", shape=[2, 16, 16], shift=[127.5] * 2, scale=[127.5] * 2,
                 extra={"source": SOURCE})
SMALL = ["train.algorithm=pix2pix", "model.arch=unet", "model.g.out_activation=tanh", "model.g.dropout=0.5",
         "model.g.init=normal", "model.d.init=normal", "model.g.options={width: 4}", "model.d.options={width: 4}"]


def make(info: DataInfo = PAIRS, *overrides: str) -> Pix2Pix:
    cfg = apply_overrides(load_config("circle"), [*SMALL, *overrides])
    torch.manual_seed(0)
    algo = Pix2Pix(cfg, info)
    algo.optimizers()
    return algo


def pairs(n: int = 4):
    torch.manual_seed(1)
    return {"source": torch.rand(n, 1, 16, 16) * 2 - 1, "real": torch.rand(n, 2, 16, 16) * 2 - 1}


def grads(net, loss):
    return [g.clone() for g in torch.autograd.grad(loss, list(net.parameters()))]


def params(net):
    return [p.detach().clone() for p in net.parameters()]


# ---------------------------------------------------------------------------------------- the losses
def test_d_step_is_the_halved_bce_on_real_and_translated_pairs():
    """With SGD lr 1 an update is w <- w - grad: D's change is minus the gradient of
    (softplus(-D(A, B)) + softplus(D(A, G(A)))) / 2, computed here on copies with the same dropout draws."""
    algo = make(PAIRS, "optim.d.name=sgd", "optim.d.lr=1.0")
    batch = pairs()
    G, D = copy.deepcopy(algo.nets["G"]), copy.deepcopy(algo.nets["D"])
    torch.manual_seed(5)
    with torch.no_grad():
        fake = G(batch["source"])
    out_real, out_fake = D(batch["source"], batch["real"]), D(batch["source"], fake)
    expected = 0.5 * (F.softplus(-out_real).mean() + F.softplus(out_fake).mean())
    expected_grads = grads(D, expected)
    before = params(algo.nets["D"])
    torch.manual_seed(5)
    stats = algo.d_step(batch)
    assert torch.allclose(stats["d_loss"], expected.detach(), atol=1e-6)
    for b, a, g in zip(before, params(algo.nets["D"]), expected_grads):
        assert torch.allclose(b - a, g, atol=1e-5)
    assert torch.allclose(stats["d_real"], torch.sigmoid(out_real).mean().detach(), atol=1e-6)


def test_g_step_is_non_saturating_cgan_plus_lambda_l1():
    algo = make(PAIRS, "optim.g.name=sgd", "optim.g.lr=1.0", "loss.l1_weight=100")
    batch = pairs()
    G, D = copy.deepcopy(algo.nets["G"]), copy.deepcopy(algo.nets["D"])
    torch.manual_seed(5)
    fake = G(batch["source"])
    adversarial = F.softplus(-D(batch["source"], fake)).mean()  # -log sigmoid(D(A, G(A)))
    l1 = (fake - batch["real"]).abs().mean()
    expected_grads = grads(G, adversarial + 100.0 * l1)  # eq. 4, λ = 100
    before, d_before = params(algo.nets["G"]), params(algo.nets["D"])
    torch.manual_seed(5)
    stats = algo.g_step(batch)
    assert torch.allclose(stats["g_loss"], adversarial.detach(), atol=1e-6)
    assert torch.allclose(stats["g_l1"], l1.detach(), atol=1e-6)
    for b, a, g in zip(before, params(algo.nets["G"]), expected_grads):
        assert torch.allclose(b - a, g, atol=1e-4)
    assert all(torch.equal(b, a) for b, a in zip(d_before, params(algo.nets["D"])))  # D untouched by G's step


# ---------------------------------------------------------------------------------------- what it refuses
@pytest.mark.parametrize("info, message", [
    (DataInfo(name="img", kind="image", shape=[1, 16, 16], shift=[127.5], scale=[127.5]),
     "pix2pix' translates images A -> B and needs translation data; data 'img' is not"),
    (DataInfo(name="toy", kind="vector", shape=[2], shift=[0.0, 0.0], scale=[1.0, 1.0]), "needs translation data"),
    (DataInfo(name="u", kind="image", shape=[2, 16, 16], shift=[127.5] * 2, scale=[127.5] * 2,
              extra={"source": {**SOURCE, "paired": False}}), "needs paired data .* use cyclegan"),
    (DataInfo(name="m", kind="image", shape=[2, 8, 8], shift=[127.5] * 2, scale=[127.5] * 2,
              extra={"source": SOURCE}), r"source images are \[1, 16, 16\] and targets \[2, 8, 8\]"),
])
def test_data_that_is_not_paired_translation_data_is_one_line(info, message):
    with pytest.raises(GankitError, match=message):
        make(info)


@pytest.mark.parametrize("override, message", [("model.arch=dcgan", "set model.arch: unet"),
                                               ("reg.gp_weight=10", "'reg.gp_weight' is 10.0: pix2pix does not use it"),
                                               ("reg.ema_beta=0.999", "pix2pix does not use it")])
def test_settings_pix2pix_does_not_have_are_refused(override, message):
    with pytest.raises(GankitError, match=message):
        make(PAIRS, override)


# ---------------------------------------------------------------------------------------- sampling
def test_sample_translates_the_bank_deterministically_or_given_sources():
    algo = make()
    torch.manual_seed(2)
    bank = algo.nets["bank"]
    bank.fill(torch.randint(0, 256, (6, 1, 16, 16), dtype=torch.uint8),
              torch.randint(0, 256, (6, 2, 16, 16), dtype=torch.uint8))
    first = algo.sample(8)
    assert first.shape == (8, 2, 16, 16)
    assert torch.equal(first, algo.sample(8, z=torch.randn(8, 3)))  # z is ignored, dropout off
    assert torch.equal(first[6:], first[:2])  # past the bank's end it cycles
    assert torch.allclose(algo.sample(3, source=algo.bank_sources(3, start=2)), first[2:5], atol=1e-6)
    assert torch.equal(algo.bank_targets(2, start=5), torch.cat([bank.target[5:], bank.target[:1]]))
    with pytest.raises(GankitError, match=r"source must be \(N, 1, 16, 16\) normalised images, got \(2, 2, 16, 16\)"):
        algo.sample(2, source=torch.zeros(2, 2, 16, 16))
    with pytest.raises(GankitError, match="cannot sample with label"):
        algo.sample(2, label=1)


# ---------------------------------------------------------------------------------------- a whole run
TINY_RUN = ["data.image_size=16", "data.limit=64", "data.bank=6", "train.batch_size=4", "eval.every=2",
            "train.checkpoint_every=2", "train.log_every=1", "eval.n_samples=6", "eval.grid=5", "train.progress=false",
            "model.g.options={width: 4}", "model.d.options={width: 4}", "eval.n_accuracy=4"]


def tiny(out, name: str, steps: int, *overrides: str):
    return apply_overrides(load_config("fashion-edges2items"), [f"train.out_dir={out}", f"train.name={name}",
                                                                f"train.steps={steps}", *TINY_RUN, *overrides])


def metric_rows(run_dir):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in row.items() if k != "time"} for row in rows]


def test_a_tiny_run_logs_paired_scores_draws_the_figure_and_resumes_exactly(tmp_path):
    straight = Trainer(tiny(tmp_path, "straight", 4)).fit().dir
    evals = [r for r in metric_rows(straight) if r.get("kind") == "eval"]
    assert [r["step"] for r in evals] == [2, 4]
    assert all(0 < r["paired_l1"] < 1 and 0 < r["paired_psnr"] < 100 and "eval_acc_real" in r for r in evals)
    assert {"d_loss", "g_loss", "g_l1", "d_real", "d_fake"} <= set(metric_rows(straight)[0])
    with Image.open(straight / "samples" / "step_000004.png") as figure:  # source | translation | target
        width, height = figure.size
    scale = 84 // 16  # hooks_image.display_scale
    assert width == (4 * 3 * (16 + 2) + 2) * scale and height == (2 * (16 + 2) + 2) * scale  # 5 triples: 4 a row
    split = Trainer(tiny(tmp_path, "split", 2, "eval.plots=false")).fit().dir  # (figures change no number)
    Trainer(tiny(tmp_path, "split", 4, "eval.plots=false"), resume=split).fit()
    a, b = ckpt.read_checkpoint(straight / "checkpoints", 4)[0], ckpt.read_checkpoint(split / "checkpoints", 4)[0]
    assert sorted(a) == sorted(b) and [k for k in a if not torch.equal(a[k], b[k])] == []
    assert {k.split("/")[1] for k in a if k.startswith("net/")} == {"G", "D", "bank"}
    assert metric_rows(split) == metric_rows(straight)

    run = load_run(straight)  # without the data: the bank came back from the checkpoint
    bank = run.algo.nets["bank"]
    assert bank.source.shape == (6, 1, 16, 16) and bank.source.float().std() > 0
    samples = run.generator.sample(8, seed=3)
    assert samples.shape == (8, 1, 16, 16) and torch.equal(samples[6:], samples[:2])
    # image metrics sample in chunks: consecutive bank rows in every chunk, not rows 0.. again
    from gankit.metrics import image as image_metrics

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(image_metrics, "SAMPLE_BATCH", 4)
        pixels = image_metrics.sample_pixels(run.generator, 8, seed=0)
    assert torch.equal(pixels, image_metrics.to_pixels(samples))

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["generate", str(straight), "-n", "6", "-o", str(tmp_path / "g.png")])
        main(["evaluate", str(straight), "--features", "pixels", "--metrics", "fid", "--n", "6"])
        main(["report", str(straight)])
    assert (tmp_path / "g.png").is_file() and "fid" in out.getvalue() and (straight / "report.html").is_file()
    for flags in (["--interpolate", "3"], ["-n", "3", "--truncation", "0.5"]):  # no latents to move: one line
        with pytest.raises(SystemExit) as exited, contextlib.redirect_stderr(io.StringIO()) as err:
            main(["generate", str(straight), *flags, "-o", str(tmp_path / "x.png")])
        assert exited.value.code == 2 and "a pix2pix run translates its held-out source images" in err.getvalue()

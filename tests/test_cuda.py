"""CUDA checks, run where a GPU is present (skipped elsewhere, so CI's CPU machines skip them; they
are not counted as its coverage). On a GPU machine: `pytest -q tests/test_cuda.py`.

- seed 002's one-output-channel convolution (GEMM + fold, the fold's adjoint by hand) equals cuDNN's
  in float64, values and gradients, in both layouts;
- the hand-written MLP steps train as autograd does on the GPU (circle, R1 + EMA on grid25);
- train.compile trains a convolutional preset on the GPU (inductor's layout optimisation broke the
  compiled backward, pytorch#171622) and a gradient-penalised one (D left eager);
- resume on the GPU equals an uninterrupted run bit for bit (train.deterministic, the default).
"""
from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from gankit.config import apply_overrides, load_config
from gankit.data.idx import SYSTEM_DATASETS_DIR
from gankit.models.fast_conv import conv2d_single_output, unfold_single_channel
from gankit.train.run import load_run
from gankit.train.trainer import Trainer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
needs_fashion = pytest.mark.skipif(not (SYSTEM_DATASETS_DIR / "fashion-mnist").is_dir(),
                                   reason="Fashion-MNIST (Debian dataset-fashion-mnist) not installed")
QUIET = ["eval.every=1000", "eval.plots=false", "eval.metrics=false", "train.progress=false", "train.device=cuda"]


def config(preset: str, out, *overrides: str):
    return apply_overrides(load_config(preset), QUIET + [f"train.out_dir={out}", *overrides])


def weights(run_dir) -> dict[str, torch.Tensor]:
    run = load_run(run_dir, device="cuda")
    return {f"{k}.{n}": v for k, net in run.algo.nets.items() for n, v in net.state_dict().items()
            if v.is_floating_point()}


def last_losses(run_dir) -> dict:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r for r in rows if "d_loss" in r][-1]


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last], ids=["nchw", "nhwc"])
def test_single_output_conv_equals_cudnn(layout):
    x = torch.randn(4, 8, 28, 28, dtype=torch.float64, device="cuda").to(memory_format=layout).requires_grad_()
    w = torch.randn(1, 8, 7, 7, dtype=torch.float64, device="cuda").requires_grad_()
    ours, ref = conv2d_single_output(x, w, None, (3, 3)), F.conv2d(x, w, padding=3)
    assert torch.allclose(ours, ref, atol=1e-10)
    g = torch.randn_like(ref)
    for a, r in zip(torch.autograd.grad(ours, (x, w), g), torch.autograd.grad(ref, (x, w), g)):
        assert torch.allclose(a, r, atol=1e-10)
    image = torch.randn(3, 1, 10, 9, dtype=torch.float64, device="cuda")
    assert torch.equal(unfold_single_channel(image, (7, 7), (3, 3)), F.unfold(image, (7, 7), padding=(3, 3)))


@pytest.mark.parametrize("preset, extra", [("circle", []), ("grid25", ["train.batch_size=64"])])
def test_hand_written_steps_match_autograd_on_cuda(tmp_path, preset, extra):
    runs = {}
    for manual in (True, False):
        cfg = config(preset, tmp_path / str(manual), "train.steps=8", f"train.manual_backward={str(manual).lower()}",
                     *extra)
        runs[manual] = Trainer(cfg).fit().dir
    a, b = weights(runs[True]), weights(runs[False])
    assert a.keys() == b.keys()
    # float32 on both sides: the two orders of summation agree to rounding over 8 steps
    assert max((a[k] - b[k]).abs().max().item() for k in a) < 1e-4


@needs_fashion
@pytest.mark.parametrize("preset", ["fashion-dcgan", "fashion-wgan-gp"])
def test_compiled_runs_train_on_cuda(tmp_path, preset):
    run = Trainer(config(preset, tmp_path, "train.steps=3", "train.log_every=1", "train.compile=true")).fit()
    last = last_losses(run.dir)
    assert last["step"] == 3 and all(torch.isfinite(torch.tensor(last[k])) for k in ("d_loss", "g_loss"))


@needs_fashion
def test_resume_is_exact_on_cuda_when_deterministic(tmp_path):
    base = ["train.steps=6", "train.checkpoint_every=3", "train.seed=3"]  # train.deterministic: on by default
    straight = Trainer(config("fashion-dcgan", tmp_path / "straight", *base)).fit()
    half = Trainer(config("fashion-dcgan", tmp_path / "halves", *base, "train.steps=3")).fit()
    resumed = Trainer(config("fashion-dcgan", tmp_path / "halves", *base), resume=half.dir).fit()
    a, b = weights(straight.dir), weights(resumed.dir)
    assert all(torch.equal(a[k], b[k]) for k in a)

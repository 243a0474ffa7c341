"""Hand-written MLP steps (gankit/algorithms/mlp_steps.py) train exactly as the autograd steps do.

In float64 the two agree to rounding through several whole D and G steps: every loss, split and
joint D updates, lazy R1, label smoothing, instance noise, weight clipping, EMA, BatchNorm in G or D
(running statistics included: they are buffers in the compared state). Runs that need
autograd must not get the hand-written steps.
"""
from __future__ import annotations

import pytest
import torch

from gankit.algorithms.mlp_steps import MLPSteps
from gankit.registry import ALGORITHMS
from tests.algorithms.helpers import VECTOR, LABELLED, batch_for, config

CASES = {
    "split": ("gan", "train.d_update=split"),
    "joint-r1-ema": ("gan", "reg.r1_gamma=1.0", "reg.r1_every=2", "reg.ema_beta=0.9", "model.d.activation=leaky_relu",
                     "model.d.hidden=[8, 6]"),
    "split-r1": ("gan", "train.d_update=split", "reg.r1_gamma=0.5", "reg.r1_every=1"),
    "smoothing-scale": ("gan", "loss.real_label=0.9", "loss.d_scale=0.5", "train.fake_batch_size=6", "train.g_batch_size=10"),
    "instance-noise": ("gan", "reg.instance_noise=0.1", "reg.instance_noise_steps=4"),
    "minimax-tanh-sigmoid": ("gan", "loss.name=minimax", "model.g.activation=tanh", "model.d.activation=sigmoid"),
    "wgan-clip-rmsprop": ("wgan",),
    "lsgan": ("lsgan", "model.d.feature_dim=2"),
    "hinge-loss": ("gan", "loss.name=hinge"),
    "g-batchnorm": ("gan", "model.g.batchnorm=true", "model.g.bn_momentum=0.3", "model.g.hidden=[8, 8]"),
    "d-batchnorm": ("gan", "model.d.batchnorm=true", "model.d.activation=leaky_relu"),  # real, fake apart
    "d-batchnorm-split": ("gan", "model.d.batchnorm=true", "train.d_update=split"),
}


def _train(algorithm: str, overrides: tuple[str, ...], manual: bool, steps: int = 5):
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # nets, latents and data in float64: agreement to rounding
    try:
        torch.manual_seed(0)
        algo = ALGORITHMS.get(algorithm)(config(algorithm, f"train.manual_backward={str(manual).lower()}",
                                               *overrides), VECTOR)
        algo.optimizers()
        torch.manual_seed(1)
        logs = []
        for step in range(steps):
            batch = batch_for(VECTOR, seed=step)
            batch["real"] = batch["real"].double()
            stats = algo.d_step(batch)
            stats.update(algo.g_step(batch))
            logs.append({k: float(v) for k, v in stats.items()})
        assert (algo.manual_steps() is not None) == manual
        weights = {f"{k}.{n}": v.clone() for k, net in algo.nets.items() for n, v in net.state_dict().items()}
        return weights, logs
    finally:
        torch.set_default_dtype(previous)


@pytest.mark.parametrize("case", sorted(CASES))
def test_hand_written_steps_equal_autograd_steps(case):
    algorithm, *overrides = CASES[case]
    (w_manual, log_manual), (w_auto, log_auto) = (_train(algorithm, tuple(overrides), m) for m in (True, False))
    assert w_manual.keys() == w_auto.keys()
    for key in w_auto:
        torch.testing.assert_close(w_manual[key], w_auto[key], rtol=1e-9, atol=1e-11, msg=f"{case}: {key}")
    for got, want in zip(log_manual, log_auto):  # the same statistics on every (logged) step
        assert got.keys() == want.keys()
        for key in want:
            assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-11), (case, key)


@pytest.mark.parametrize("algorithm,overrides,info", [
    ("gan", ("train.manual_backward=false",), VECTOR),
    ("gan", ("train.precision=bf16",), VECTOR),
    ("gan", ("reg.r1_gamma=1.0", "model.d.batchnorm=true"), VECTOR),  # ... and no BatchNorm in D
    ("gan", ("model.d.dropout=0.2",), VECTOR),
    ("gan", ("reg.pack=2",), VECTOR),
    ("gan", ("reg.r1_gamma=1.0", "model.d.activation=tanh"), VECTOR),  # R1 by hand needs a piecewise-linear D
    ("wgan-gp", (), VECTOR),
    ("hinge", (), VECTOR),  # SNGAN's spectral norm
    ("cgan", (), LABELLED),
    ("infogan", ("model.cond.categorical=[3]",), VECTOR),
])
def test_runs_that_need_autograd_keep_it(algorithm, overrides, info):
    algo = ALGORITHMS.get(algorithm)(config(algorithm, *overrides), info)
    algo.optimizers()
    assert algo.manual_steps() is None
    assert MLPSteps.attach(algo) is None or algorithm in ("cgan", "infogan")  # those refused by the recipe check


def test_wrapped_networks_keep_autograd():
    algo = ALGORITHMS.get("gan")(config("gan"), VECTOR)
    algo.optimizers()
    algo.nets["D"] = torch.nn.Sequential(algo.nets["D"])  # what torch.compile / DDP wrapping looks like here
    assert algo.manual_steps() is None


@pytest.mark.parametrize("preset,overrides", [
    ("circle", []), ("quadratic", []), ("grid25", []), ("ring8", []), ("grid25-wgan", []),
    ("mnist-mlp", ["data.name=digits"]),  # seed 001's BatchNorm G (on the bundled 8x8 digits here)
])
def test_the_toy_presets_take_the_hand_written_steps(tmp_path, preset, overrides):
    """The speed figures in benchmarks/RESULTS.md assume these presets skip autograd: a change that
    silently sends one back (a dropout layer, a new wrapper) should fail here, not in a benchmark."""
    import gankit
    from gankit.config import apply_overrides

    cfg = apply_overrides(gankit.load_config(preset), overrides + [
        "train.steps=2", "train.progress=false", "eval.plots=false", "eval.metrics=false",
        f"train.out_dir={tmp_path}"])
    run = gankit.train(cfg)
    assert run.algo.manual_steps() is not None

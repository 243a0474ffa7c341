"""Tests for train.compile and the backend switches scoped to `fit` (gankit/train/backends.py,
used by gankit/train/trainer.py): every network is compiled except those the algorithm differentiates twice
(gradient penalties), since aot_autograd has no double backward; a real compiled run with an
R1-penalised D trains with finite losses, where it used to stop with "torch.compile with aot_autograd
does not currently support double backward"; inductor's layout setting and cuDNN's deterministic
flags hold during fit only."""
from __future__ import annotations

import json

import pytest
import torch

from gankit.config import apply_overrides, load_config
from gankit.errors import GankitError
from gankit.registry import ALGORITHMS
from gankit.train.trainer import Trainer

QUIET = ["eval.every=1000", "eval.plots=false", "eval.metrics=false", "train.progress=false"]
TINY = ["model.g.hidden=[8]", "model.d.hidden=[8]", "train.batch_size=16"]


def config(tmp_path, *overrides: str):
    return apply_overrides(load_config("circle"), QUIET + TINY + [f"train.out_dir={tmp_path}", *overrides])


@pytest.mark.parametrize("overrides, twice", [([], set()), (["reg.r1_gamma=1.0"], {"D"}),
                                              (["train.algorithm=wgan-gp", "model.d.batchnorm=false"], {"D"}),
                                              (["reg.gp_weight=10"], {"D"}), (["train.algorithm=lsgan"], set())],
                         ids=["gan", "gan+r1", "wgan-gp", "gan+gp", "lsgan"])
def test_differentiated_twice_names_penalised_networks(tmp_path, overrides, twice):
    cfg = config(tmp_path, *overrides)
    algo = ALGORITHMS.get(cfg.train.algorithm, "train.algorithm")(cfg, Trainer(cfg).data.info)
    assert algo.differentiated_twice() == twice


def test_compile_leaves_the_penalised_network_eager(tmp_path, monkeypatch, capsys):
    wrapped = []

    def fake_compile(net, mode="default"):  # records the choice without paying for a compilation
        wrapped.append((net, mode))
        return net

    monkeypatch.setattr(torch, "compile", fake_compile)
    trainer = Trainer(config(tmp_path, "train.compile=true", "reg.r1_gamma=1.0",
                             "train.compile_mode=reduce-overhead"))
    assert trainer.compiled == ["G"]
    assert wrapped == [(trainer.algo.nets["G"], "reduce-overhead")]
    assert "D left uncompiled" in capsys.readouterr().out
    plain = Trainer(config(tmp_path / "plain", "train.compile=true"))
    assert sorted(plain.compiled) == ["D", "G"]
    assert Trainer(config(tmp_path / "off")).compiled == []


def test_compiled_run_with_r1_trains(tmp_path):
    """The real torch.compile on the CPU, with the penalty every step (r1_every=1): ~10 s of compiling."""
    cfg = config(tmp_path, "train.compile=true", "reg.r1_gamma=1.0", "reg.r1_every=1", "train.steps=3")
    run = Trainer(cfg).fit()
    rows = [json.loads(line) for line in (run.dir / "metrics.jsonl").read_text().splitlines()]
    last = [r for r in rows if "d_loss" in r][-1]
    assert last["step"] == 3
    assert all(torch.isfinite(torch.tensor(last[k])) for k in ("d_loss", "g_loss"))


def test_unknown_compile_mode_is_refused(tmp_path):
    with pytest.raises(GankitError, match="train.compile_mode.*reduce-overhead"):
        config(tmp_path, "train.compile_mode=fastest")


def test_inductor_layout_setting_is_scoped_to_fit(tmp_path, monkeypatch):
    import torch._inductor.config as inductor_config

    seen = []
    monkeypatch.setattr(torch, "compile", lambda net, mode="default": net)
    trainer = Trainer(config(tmp_path, "train.compile=true", "train.steps=2"))
    d_step = trainer.algo.d_step
    trainer.algo.d_step = lambda batch: (seen.append(inductor_config.layout_optimization), d_step(batch))[1]
    before = inductor_config.layout_optimization
    trainer.fit()
    assert seen == [False, False]  # off while compiled graphs are built and run
    assert inductor_config.layout_optimization == before  # the caller's setting afterwards


def test_deterministic_cudnn_is_scoped_to_fit(tmp_path):
    """train.deterministic sets cuDNN's flags while the trainer fits and puts the caller's back."""
    cudnn, seen = torch.backends.cudnn, []
    trainer = Trainer(config(tmp_path, "train.steps=2"))  # the default: deterministic
    d_step = trainer.algo.d_step
    trainer.algo.d_step = lambda batch: (seen.append((cudnn.benchmark, cudnn.deterministic)), d_step(batch))[1]
    before = cudnn.benchmark, cudnn.deterministic
    try:
        cudnn.benchmark, cudnn.deterministic = True, False
        trainer.fit()
        assert seen == [(False, True)] * 2
        assert (cudnn.benchmark, cudnn.deterministic) == (True, False)
    finally:
        cudnn.benchmark, cudnn.deterministic = before


def test_non_deterministic_cudnn_is_asked_for_not_default(tmp_path):
    cudnn, before = torch.backends.cudnn, (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    trainer, seen = Trainer(config(tmp_path, "train.steps=1", "train.deterministic=false")), []
    d_step = trainer.algo.d_step
    trainer.algo.d_step = lambda batch: (seen.append(cudnn.deterministic), d_step(batch))[1]
    try:
        cudnn.deterministic = False
        trainer.fit()
        assert seen == [False]  # left as the process had it
    finally:
        cudnn.benchmark, cudnn.deterministic = before


@pytest.mark.parametrize("flags, native", [("fpu avx2 avx512f avx512_bf16 avx512_vnni", True),
                                           ("fpu avx2 amx_tile amx_bf16", True),
                                           ("fpu avx avx2 fma", False), ("fpu avx512f avx512bw", False)])
def test_native_bf16_is_read_from_the_cpu_flags(tmp_path, flags, native):
    from gankit.train.backends import cpu_has_native_bf16

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    assert cpu_has_native_bf16(str(cpuinfo)) is native
    assert cpu_has_native_bf16(str(tmp_path / "missing")) is True  # cannot tell: never warn wrongly


@pytest.mark.parametrize("native", [True, False])
def test_bf16_on_a_cpu_without_native_bf16_is_warned_about(tmp_path, monkeypatch, native):
    import warnings

    from gankit.train import backends

    monkeypatch.setattr(backends, "cpu_has_native_bf16", lambda: native)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Trainer(config(tmp_path, "train.precision=bf16", "train.steps=1"))
        Trainer(config(tmp_path, "train.steps=1"))  # fp32: never
    said = [str(w.message) for w in caught if "bf16" in str(w.message)]
    assert len(said) == (0 if native else 1)
    assert native or "no native bf16 instructions" in said[0]

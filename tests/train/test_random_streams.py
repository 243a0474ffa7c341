"""A trainer draws from its own random streams: other trainers, and the caller, neither change its
numbers nor have theirs changed by it (Trainer.own_random_streams)."""
from __future__ import annotations

import random

import numpy as np
import torch

from gankit.config import apply_overrides, load_config
from gankit.train.trainer import Trainer

QUIET = ["eval.every=1000", "eval.plots=false", "eval.metrics=false", "train.progress=false",
         "train.checkpoint_every=1000", "train.batch_size=32"]


def make(tmp_path, steps: int, seed: int = 0) -> Trainer:
    cfg = apply_overrides(load_config("circle"), QUIET + [f"train.out_dir={tmp_path}", f"train.steps={steps}",
                                                          f"train.seed={seed}"])
    return Trainer(cfg)


def make_fitted(tmp_path, seed: int) -> Trainer:
    trainer = make(tmp_path, 20, seed)
    trainer.fit()
    return trainer


def weights(trainer: Trainer) -> dict[str, torch.Tensor]:
    return {f"{name}.{k}": v.clone() for name in ("G", "D") for k, v in trainer.algo.nets[name].state_dict().items()}


def assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_two_trainers_fitted_in_either_order_match_lone_runs(tmp_path):
    lone = {seed: weights(make_fitted(tmp_path, seed)) for seed in (0, 1)}
    first, second = make(tmp_path, 20, 0), make(tmp_path, 20, 1)  # both built before either is fitted
    second.fit()
    first.fit()
    assert_same(weights(first), lone[0])
    assert_same(weights(second), lone[1])
    assert not all(torch.equal(lone[0][k], lone[1][k]) for k in lone[0])  # the seeds do differ


def test_a_fit_in_two_parts_with_other_work_between_equals_one_fit(tmp_path):
    whole = make_fitted(tmp_path, 0)
    parts = make(tmp_path, 8)
    parts.fit()
    make_fitted(tmp_path, 3)  # another trainer, and the caller, draw in between
    torch.randn(100)
    parts.cfg.train.steps = 20
    parts.fit()
    assert parts.step == 20
    assert_same(weights(parts), weights(whole))


def test_the_callers_streams_are_left_as_they_were(tmp_path):
    def draws():
        return torch.randn(4), np.random.rand(4), [random.random() for _ in range(4)]

    torch.manual_seed(123), np.random.seed(123), random.seed(123)
    expected = draws()
    torch.manual_seed(123), np.random.seed(123), random.seed(123)
    make_fitted(tmp_path, 0)
    got = draws()
    assert torch.equal(got[0], expected[0])
    assert np.array_equal(got[1], expected[1])
    assert got[2] == expected[2]

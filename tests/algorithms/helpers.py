"""Tiny algorithms for the recipe tests: the circle preset shrunk to 8-unit MLPs, any overrides on top."""
from __future__ import annotations

import torch

import gankit.algorithms  # noqa: F401  (registers the recipes)
import gankit.models  # noqa: F401  (registers the architectures)
from gankit.config import apply_overrides, load_config
from gankit.data.source import DataInfo
from gankit.registry import ALGORITHMS

VECTOR = DataInfo(name="toy", kind="vector", shape=[2], shift=[0.0, 0.0], scale=[1.0, 1.0])
LABELLED = DataInfo(name="toy3", kind="vector", shape=[2], shift=[0.0, 0.0], scale=[1.0, 1.0], num_classes=3)
IMAGE = DataInfo(name="img", kind="image", shape=[1, 8, 8], shift=[127.5], scale=[127.5], num_classes=4)


def config(algorithm: str, *overrides: str):
    return apply_overrides(load_config("circle"), [
        f"train.algorithm={algorithm}", "train.batch_size=8", "train.fake_batch_size=8", "train.g_batch_size=8",
        "train.d_update=joint", "model.g.hidden=[8]", "model.d.hidden=[8]", *overrides])


def make(algorithm: str, info: DataInfo = VECTOR, *overrides: str, seed: int = 0):
    """The registered recipe on `info`, with optimizers, built from a fixed seed."""
    torch.manual_seed(seed)
    algo = ALGORITHMS.get(algorithm)(config(algorithm, *overrides), info)
    algo.optimizers()
    return algo


def batch_for(info: DataInfo, n: int = 8, seed: int = 1) -> dict:
    g = torch.Generator().manual_seed(seed)
    batch = {"real": torch.rand(n, *info.shape, generator=g) * 2 - 1}
    if info.num_classes:
        batch["label"] = torch.randint(info.num_classes, (n,), generator=g)
    return batch

"""The checks every registered algorithm must pass (one parametrised list, like scikit-learn's
common estimator checks): one step on vector data and on 1x28x28 images gives finite losses,
changes both networks, round-trips through a checkpoint and samples the right shapes."""
import copy
import dataclasses

import pytest
import torch

import gankit.algorithms  # noqa: F401
import gankit.models  # noqa: F401
from gankit.config import apply_overrides, load_config
from gankit.data.source import DataInfo
from gankit.registry import ALGORITHMS
from gankit.train import checkpoint as ckpt

VECTOR = DataInfo(name="toy", kind="vector", shape=[2], shift=[0.0, 0.0], scale=[1.0, 1.0])
IMAGE = DataInfo(name="img", kind="image", shape=[1, 28, 28], shift=[127.5], scale=[127.5], num_classes=10)
CONDITIONAL = ("cgan", "acgan")
# Image-to-image recipes train on (source, target) pairs (docs/design.md, "Image-to-image translation"):
# they get translation data whatever the parametrised info, and their own small nets.
TRANSLATION = {"pix2pix": ["model.arch=unet", "model.g.options={width: 4}", "model.d.options={width: 4}"],
               # PAIRS' domains have 1 and 3 channels: no identity loss (it compares G(b) with b)
               "cyclegan": ["model.arch=resnet-translator", "model.g.options={width: 4, blocks: 1}",
                            "model.d.options={width: 4, d_layers: 1}", "loss.identity_weight=0"]}
# Progressive GAN grows image networks (vector data is a one-line error, tests/algorithms/test_progan.py):
# it gets the 1x28x28 info whatever the parametrised info (7 -> 14 -> 28 px), and narrow nets.
IMAGE_ONLY = {"progan": ["model.arch=progressive", "model.g.options={width: 4, max_width: 8}",
                         "model.d.options={width: 4, max_width: 8}"]}
PAIRS = DataInfo(name="pairs", kind="image", shape=[3, 16, 16], shift=[127.5] * 3, scale=[127.5] * 3,
                 extra={"source": {"shape": [1, 16, 16], "shift": [127.5], "scale": [127.5], "paired": True, "bank": 6}})


def make(algorithm: str, info: DataInfo):
    if algorithm in CONDITIONAL and not info.num_classes:  # class-conditional recipes need labelled data
        info = dataclasses.replace(info, num_classes=3)
    if algorithm in TRANSLATION:
        info = PAIRS
    if algorithm in IMAGE_ONLY:
        info = IMAGE
    cfg = apply_overrides(load_config("circle"), [
        f"train.algorithm={algorithm}", "train.batch_size=8", "train.fake_batch_size=8", "train.g_batch_size=8",
        "model.g.hidden=[16]", "model.d.hidden=[16]", *TRANSLATION.get(algorithm, []),
        *IMAGE_ONLY.get(algorithm, [])])
    torch.manual_seed(0)
    algo = ALGORITHMS.get(algorithm)(cfg, info)
    algo.optimizers()
    return algo


def batch_for(info: DataInfo, n: int = 8):
    batch = {"real": torch.rand(n, *info.shape) * 2 - 1}
    if info.num_classes:
        batch["label"] = torch.randint(info.num_classes, (n,))
    if "source" in info.extra:
        batch["source"] = torch.rand(n, *info.extra["source"]["shape"]) * 2 - 1
    return batch


@pytest.mark.parametrize("info", [VECTOR, IMAGE], ids=["vector", "image"])
@pytest.mark.parametrize("name", ALGORITHMS.names())
def test_one_step_changes_both_networks(name, info):
    algo = make(name, info)
    before = {k: copy.deepcopy(v.state_dict()) for k, v in algo.nets.items()}
    stats = {**algo.d_step(batch_for(algo.info)), **algo.g_step(batch_for(algo.info))}
    assert stats and all(torch.isfinite(v).all() for v in stats.values())
    assert all(not v.requires_grad for v in stats.values()), "stats must be detached"
    for net in ("G", "D"):
        changed = any(not torch.equal(before[net][k], v) for k, v in algo.nets[net].state_dict().items())
        assert changed, f"{name}: {net} did not change after one step"


@pytest.mark.parametrize("info", [VECTOR, IMAGE], ids=["vector", "image"])
@pytest.mark.parametrize("name", ALGORITHMS.names())
def test_checkpoint_round_trip_and_sample_shapes(name, info, tmp_path):
    algo = make(name, info)
    algo.d_step(batch_for(algo.info))
    algo.g_step(batch_for(algo.info))
    ckpt.save_checkpoint(tmp_path, 1, algo.nets, algo.opt, {})
    other = make(name, info)
    tensors, plain = ckpt.read_checkpoint(tmp_path, 1)
    ckpt.restore(tensors, plain, other.nets, other.opt)
    z = algo.latent(5)
    assert torch.equal(algo.sample(5, z=z), other.sample(5, z=z))
    assert algo.sample(5).shape == (5, *algo.info.shape)

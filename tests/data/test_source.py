"""Tests for gankit/data/source.py: normalize/denormalize are inverse affine maps per feature or per
channel; tensor batches are normalised with labels that belong to their own examples; sampler
batches are the sampler's draws, shifted and scaled only when the info says so; draws follow torch's RNG."""
from __future__ import annotations

import pytest
import torch

from gankit.data.source import DataInfo, SamplerSource, TensorSource
from gankit.data.toy import make_sampler


def vector_info(shift, scale) -> DataInfo:
    return DataInfo(name="t", kind="vector", shape=[len(shift)], shift=shift, scale=scale)


def test_vector_normalize_is_per_feature_and_denormalize_inverts_it():
    info = vector_info([1.0, -2.0, 0.5], [2.0, 4.0, 0.25])
    x = torch.tensor([[3.0, 2.0, 1.0], [1.0, -2.0, 0.5]])
    expected = torch.tensor([[1.0, 1.0, 2.0], [0.0, 0.0, 0.0]])  # (x - shift) / scale, column by column
    assert torch.equal(info.normalize(x), expected)
    assert torch.allclose(info.denormalize(info.normalize(x)), x)


def test_image_normalize_is_per_channel():
    info = DataInfo(name="i", kind="image", shape=[2, 3, 3], shift=[127.5, 0.0], scale=[127.5, 255.0])
    x = torch.stack([torch.full((2, 3, 3), 255.0), torch.zeros(2, 3, 3)])
    out = info.normalize(x)
    assert out.shape == x.shape
    assert torch.equal(out[0, 0], torch.ones(3, 3)) and torch.equal(out[0, 1], torch.ones(3, 3))
    assert torch.equal(out[1, 0], -torch.ones(3, 3)) and torch.equal(out[1, 1], torch.zeros(3, 3))
    assert torch.equal(info.denormalize(out), x)


def labelled_images(n: int = 10) -> TensorSource:
    """Image k is filled with the value 20 k in channel 0 and 255 - 20 k in channel 1; its label is k."""
    k = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1)
    images = torch.cat([(20 * k).expand(n, 1, 4, 4), (255 - 20 * k).expand(n, 1, 4, 4)], dim=1).contiguous()
    info = DataInfo(name="i", kind="image", shape=[2, 4, 4], shift=[127.5, 127.5], scale=[127.5, 127.5],
                    num_classes=n)
    return TensorSource(images, torch.arange(n), info)


def test_tensor_batches_are_normalised_float32_with_matching_labels():
    source = labelled_images()
    torch.manual_seed(0)
    x, labels = source.batch(64)
    assert x.dtype == torch.float32 and x.shape == (64, 2, 4, 4) and labels.shape == (64,)
    k = labels.view(-1, 1, 1).float()
    assert torch.allclose(x[:, 0], (20 * k - 127.5) / 127.5) and torch.allclose(x[:, 1], (127.5 - 20 * k) / 127.5)
    assert len(set(labels.tolist())) > 5  # draws spread over the data set (with replacement)
    assert len(source) == 10


def test_unlabelled_tensor_batches_have_no_labels_and_draws_follow_torchs_rng():
    info = vector_info([0.0], [1.0])
    source = TensorSource(torch.arange(100.0).view(100, 1), None, info)
    torch.manual_seed(3)
    first, none = source.batch(16)
    torch.manual_seed(3)
    again, _ = source.batch(16)
    assert none is None and torch.equal(first, again)
    assert torch.equal(first.flatten(), torch.randint(100, (16,), generator=torch.Generator().manual_seed(3)).float())


@pytest.mark.parametrize("normalised", [False, True])
def test_sampler_batches_are_the_samplers_draws_mapped_by_the_info(normalised):
    sampler = make_sampler("circle", radius=2.0)
    shift, scale = ([1.0, -1.0], [2.0, 0.5]) if normalised else ([0.0, 0.0], [1.0, 1.0])
    source = SamplerSource(sampler, vector_info(shift, scale), epoch_size=123)
    torch.manual_seed(1)
    x, labels = source.batch(50)
    torch.manual_seed(1)
    raw = sampler.sample(50)
    expected = (raw - torch.tensor(shift)) / torch.tensor(scale)
    assert labels is None and torch.allclose(x, expected)
    assert torch.allclose(source.info.denormalize(x).norm(dim=1), torch.full((50,), 2.0))  # back on the circle
    assert len(source) == 123


def test_moving_a_source_keeps_its_batches():
    source = labelled_images()
    torch.manual_seed(5)
    before = source.batch(8)
    moved = source.to("cpu")
    torch.manual_seed(5)
    after = moved.batch(8)
    assert moved is source and moved.device == torch.device("cpu")
    assert torch.equal(before[0], after[0]) and torch.equal(before[1], after[1])


def test_origin_is_the_loaders_text_or_the_translation_datas_origin():
    from gankit.data.source import DataInfo

    plain = DataInfo(name="x", kind="image", shape=[1, 2, 2], shift=[0.0], scale=[1.0], extra={"source": "a.npz"})
    pairs = DataInfo(name="p", kind="image", shape=[1, 2, 2], shift=[0.0], scale=[1.0],
                     extra={"source": {"shape": [1, 2, 2]}, "origin": "folder (paired AtoB)"})
    bare = DataInfo(name="toy", kind="vector", shape=[2], shift=[0.0, 0.0], scale=[1.0, 1.0])
    assert (plain.origin(), pairs.origin(), bare.origin()) == ("a.npz", "folder (paired AtoB)", "toy")

"""PacGAN packing and the minibatch standard deviation, on hand-made batches."""
import math

import torch
from torch import nn

from gankit.models.wrappers import MinibatchStdDev, WrappedDiscriminator, minibatch_stddev, packed_shape


class SumD(nn.Module):
    """A transparent 'D': the sum of its input, so scores reveal what it was given."""

    def forward(self, x):
        return x.flatten(1).sum(1)


def test_minibatch_stddev_by_hand():
    x = torch.tensor([[0.0], [2.0], [4.0], [6.0]])
    out = minibatch_stddev(x, group=4)  # population std of 0, 2, 4, 6 = sqrt(5)
    assert out.shape == (4, 2) and torch.allclose(out[:, 1], torch.full((4,), math.sqrt(5)), atol=1e-6)
    out = minibatch_stddev(x, group=2)  # groups (0, 2) and (4, 6): std 1 each
    assert torch.allclose(out[:, 1], torch.ones(4), atol=1e-6)
    assert torch.allclose(minibatch_stddev(x, group=3)[:, 1], out.new_full((4,), math.sqrt(5)), atol=1e-6)
    images = torch.randn(8, 3, 5, 5)
    out = MinibatchStdDev()(images)
    assert out.shape == (8, 4, 5, 5) and torch.equal(out[:, :3], images)
    assert torch.equal(out[0, 3], out[0, 3, 0, 0].expand(5, 5)), "one constant map per sample"


def test_a_batch_of_copies_has_zero_stddev():
    x = torch.randn(1, 6).expand(4, 6)
    assert minibatch_stddev(x)[:, -1].max() < 1e-3


def test_packed_shape():
    assert packed_shape((2,), 4, False) == (8,)
    assert packed_shape((1, 28, 28), 2, True) == (3, 28, 28)


def test_pack_puts_consecutive_samples_side_by_side():
    D = WrappedDiscriminator(SumD(), pack=2)
    x = torch.arange(12.0).view(6, 2)
    assert torch.equal(D.pack(x), torch.tensor([[0.0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]))
    assert torch.equal(D(x), torch.tensor([6.0, 6, 22, 22, 38, 38])), "each sample gets its pack's score"
    images = torch.randn(4, 1, 3, 3)
    packed = D.pack(images)
    assert packed.shape == (2, 2, 3, 3) and torch.equal(packed[1, 1], images[3, 0])


def test_incomplete_pack_is_filled_with_the_last_sample():
    D = WrappedDiscriminator(SumD(), pack=3)
    x = torch.arange(4.0).view(4, 1)
    assert torch.equal(D(x), torch.tensor([3.0, 3, 3, 9]))  # (0, 1, 2) and (3, 3, 3)

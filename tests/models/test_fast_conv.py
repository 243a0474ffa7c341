import pytest
import torch
import torch.nn.functional as F

from gankit.models.fast_conv import conv2d_single_output, single_output_conv_applies, unfold_single_channel
from gankit.models.keras_dcgan import SameConv2d


@pytest.mark.parametrize("shape, kernel, padding", [((3, 5, 10, 12), (3, 5), (1, 2)), ((2, 4, 7, 7), (7, 7), (3, 3)),
                                                    ((2, 3, 9, 8), (3, 3), (0, 0)), ((1, 1, 6, 6), (2, 2), (1, 0))])
def test_single_output_conv_is_torchs_conv(shape, kernel, padding):
    torch.manual_seed(0)
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    w = torch.randn(1, shape[1], *kernel, dtype=torch.float64, requires_grad=True)
    b = torch.randn(1, dtype=torch.float64, requires_grad=True)
    ours, ref = conv2d_single_output(x, w, b, padding), F.conv2d(x, w, b, padding=padding)
    assert ours.shape == ref.shape
    assert torch.allclose(ours, ref, atol=1e-12)
    g = torch.randn_like(ref)
    for a, r in zip(torch.autograd.grad(ours, (x, w, b), g), torch.autograd.grad(ref, (x, w, b), g)):
        assert torch.allclose(a, r, atol=1e-12)


def test_same_conv_takes_the_fast_path_only_where_it_applies():
    one, many, strided = SameConv2d(4, 1, 7), SameConv2d(4, 2, 7), SameConv2d(4, 1, 5, 2)
    x = torch.randn(2, 4, 12, 12)
    assert single_output_conv_applies(one, x)
    assert not single_output_conv_applies(many, x) and not single_output_conv_applies(strided, x)
    # seed 002's last layer: "same" 7x7 at stride 1 is symmetric padding 3
    assert torch.allclose(one(x), F.conv2d(x, one.weight, one.bias, padding=3), atol=1e-5)


@pytest.mark.parametrize("shape, kernel, padding", [((3, 1, 10, 12), (3, 5), (1, 2)), ((2, 1, 7, 7), (7, 7), (3, 3)),
                                                    ((1, 1, 6, 5), (2, 2), (1, 0)), ((2, 1, 8, 8), (3, 3), (0, 0))])
def test_unfold_single_channel_is_torchs_unfold(shape, kernel, padding):
    g = torch.randn(*shape, dtype=torch.float64)
    ours, ref = unfold_single_channel(g, kernel, padding), F.unfold(g, kernel, padding=padding)
    assert ours.shape == ref.shape and torch.equal(ours, ref)


def test_fast_path_has_a_double_backward():
    """Gradient penalties differentiate D's input gradient again: the fold's hand-written adjoint must
    be differentiable itself (gradgradcheck against finite differences, float64)."""
    torch.manual_seed(1)
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    w = torch.randn(1, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(lambda x, w: conv2d_single_output(x, w, None, (1, 1)), (x, w))

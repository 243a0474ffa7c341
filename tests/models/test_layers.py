import math

import pytest
import torch
from torch import nn

from gankit.models.layers import Dropout


def test_dropout_keeps_each_value_with_probability_one_minus_p_and_scales_it():
    torch.manual_seed(0)
    p, n = 0.3, 1_000_000
    x = torch.rand(n) + 0.5  # never 0: a zero in the output means "dropped"
    y = Dropout(p).train()(x)
    kept = y != 0
    rate, sigma = kept.float().mean().item(), math.sqrt(p * (1 - p) / n)
    assert abs(rate - (1 - p)) < 5 * sigma, rate
    torch.testing.assert_close(y[kept], x[kept] / (1 - p))


def test_dropout_gradient_is_the_same_mask_and_scale_and_twice_differentiable():
    torch.manual_seed(1)
    x = torch.randn(4, 3, 5, 5, dtype=torch.float64, requires_grad=True)
    drop = Dropout(0.4).train()
    torch.manual_seed(2)
    y = drop(x)
    (grad,) = torch.autograd.grad(y, x, torch.ones_like(y), create_graph=True)
    torch.testing.assert_close(grad, (y != 0).double() / 0.6)  # ∂y/∂x = keep / (1 - p)
    # the gradient is itself differentiable (R1 / gradient penalties through D): d(Σ grad·x)/dx = grad
    (second,) = torch.autograd.grad((grad * x).sum(), x)
    torch.testing.assert_close(second, grad)
    torch.manual_seed(3)
    keep = torch.rand(4, 3, 5, 5) >= 0.4
    assert torch.autograd.gradcheck(lambda t: t.mul(keep).mul(1 / 0.6), (x.detach().requires_grad_(),))


def test_dropout_is_reproducible_keeps_the_memory_layout_and_is_identity_in_eval():
    x = torch.randn(8, 16, 6, 6).contiguous(memory_format=torch.channels_last)
    drop = Dropout(0.3).train()
    torch.manual_seed(5)
    a = drop(x)
    torch.manual_seed(5)
    torch.testing.assert_close(drop(x), a, rtol=0, atol=0)
    assert a.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(drop.eval()(x), x)


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_edge_probabilities_match_torch(p):
    x = torch.randn(100)
    torch.testing.assert_close(Dropout(p).train()(x), nn.Dropout(p).train()(x))


def test_dropout_under_bf16_autocast_draws_fp32_numbers():
    torch.manual_seed(0)
    x = torch.ones(200_000, dtype=torch.bfloat16)
    rate = (Dropout(0.3).train()(x) != 0).float().mean().item()
    assert abs(rate - 0.7) < 0.005, rate

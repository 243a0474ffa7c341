"""A convolution with ONE output channel, as a GEMM and a fold, for CPUs.

Why by hand: oneDNN, which runs torch's CPU convolutions, is slow on this shape. Seed 002's last
layer (128 -> 1 channels, 7x7, 28x28, batch 256) runs at ~7 GFLOP/s forward and backward on a
2-core AVX2 CPU, against ~50-120 GFLOP/s for a GEMM of the same FLOPs (benchmarks/RESULTS.md), and
that one layer took a third of a training step. The same sum in another order:

    taps[n, p, k] = sum_c x[n, c, p] w[c, k]          one GEMM over channels, (N, H W, kh kw)
    out[n, q]     = sum_k taps[n, q + offset(k), k]   the kernel's taps gathered: a fold (col2im)

fold *scatters* column k of position p to p + k - pad, a convolution *gathers* x[q + k - pad]; with
the taps in reverse order (k -> K - 1 - k) and padding K - 1 - pad the two agree. Autograd
differentiates both steps (the fold's adjoint is an unfold of the 1-channel gradient: cheap).
Results match F.conv2d to float rounding (tests/models/test_fast_conv.py).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


def single_output_conv_applies(conv: nn.Conv2d, x: Tensor) -> bool:
    """The fast path covers stride 1, no dilation or groups, one output channel, on the CPU."""
    return (conv.out_channels == 1 and conv.stride == (1, 1) and conv.dilation == (1, 1)
            and conv.groups == 1 and x.device.type == "cpu" and x.dim() == 4)


def conv2d_single_output(x: Tensor, weight: Tensor, bias: Tensor | None, padding: tuple[int, int]) -> Tensor:
    """F.conv2d(x, weight, bias, stride=1, padding=padding) for weight (1, C, kh, kw)."""
    n, c, h, w = x.shape
    _, c_w, kh, kw = weight.shape
    assert c_w == c and weight.shape[0] == 1, (tuple(x.shape), tuple(weight.shape))
    out_h, out_w = h + 2 * padding[0] - kh + 1, w + 2 * padding[1] - kw + 1
    taps = weight.reshape(c, kh * kw).flip(1)                # (C, K), taps in reverse order
    columns = taps.t() @ x.reshape(n, c, h * w)              # (N, K, H W): batched GEMM over channels
    out = F.fold(columns, (out_h, out_w), (kh, kw), padding=(kh - 1 - padding[0], kw - 1 - padding[1]))
    return out if bias is None else out + bias.view(1, 1, 1, 1)  # (N, 1, out_h, out_w)

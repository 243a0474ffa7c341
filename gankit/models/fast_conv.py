"""A convolution with ONE output channel, as a GEMM and a fold.

Why by hand: oneDNN, which runs torch's CPU convolutions, is slow on this shape. Seed 002's last
layer (128 -> 1 channels, 7x7, 28x28, batch 256) runs at ~7 GFLOP/s forward and backward on a
2-core AVX2 CPU, against ~50-120 GFLOP/s for a GEMM of the same FLOPs (benchmarks/RESULTS.md), and
that one layer took a third of a training step. The same sum in another order:

    taps[n, p, k] = sum_c x[n, c, p] w[c, k]          one GEMM over channels, (N, H W, kh kw)
    out[n, q]     = sum_k taps[n, q + offset(k), k]   the kernel's taps gathered: a fold (col2im)

fold *scatters* column k of position p to p + k - pad, a convolution *gathers* x[q + k - pad]; with
the taps in reverse order (k -> K - 1 - k) and padding K - 1 - pad the two agree. Autograd
differentiates the GEMM; the fold's adjoint (an unfold of the 1-channel gradient) is written out
below as windows of a strided view, one copy, because torch's CUDA unfold (im2col) launches one
kernel per sample: 256 launches made the backward slower than cuDNN's on an H100.
On an H100 cuDNN is no better at this shape than oneDNN is on a CPU: seed 002's last layer took
~3.6 of ~8 ms of GPU time a step (benchmarks/results/profile_cuda_h100.txt).
Results match F.conv2d to float rounding (tests/models/test_fast_conv.py).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def single_output_conv_applies(conv: nn.Conv2d, x: Tensor) -> bool:
    """The fast path covers stride 1, no dilation or groups, one output channel, on CPUs and CUDA."""
    return (conv.out_channels == 1 and conv.stride == (1, 1) and conv.dilation == (1, 1)
            and conv.groups == 1 and x.device.type in ("cpu", "cuda") and x.dim() == 4)


def conv2d_single_output(x: Tensor, weight: Tensor, bias: Tensor | None, padding: tuple[int, int]) -> Tensor:
    """F.conv2d(x, weight, bias, stride=1, padding=padding) for weight (1, C, kh, kw)."""
    n, c, h, w = x.shape
    _, c_w, kh, kw = weight.shape
    assert c_w == c and weight.shape[0] == 1, (tuple(x.shape), tuple(weight.shape))
    out_h, out_w = h + 2 * padding[0] - kh + 1, w + 2 * padding[1] - kw + 1
    taps = weight.reshape(c, kh * kw).flip(1)                # (C, K), taps in reverse order
    columns = taps.t() @ x.reshape(n, c, h * w)              # (N, K, H W): batched GEMM over channels
    out = Fold.apply(columns, (out_h, out_w), (kh, kw), (kh - 1 - padding[0], kw - 1 - padding[1]))
    return out if bias is None else out + bias.view(1, 1, 1, 1)  # (N, 1, out_h, out_w)


def unfold_single_channel(g: Tensor, kernel: tuple[int, int], padding: tuple[int, int]) -> Tensor:
    """F.unfold(g, kernel, padding=padding) for g (N, 1, H, W): (N, kh kw, L), as one strided copy.
    Window (y, x) of the padded image holds g_pad[y + i, x + j] at row i kw + j."""
    n, one, _, _ = g.shape
    assert one == 1, tuple(g.shape)
    (kh, kw), (ph, pw) = kernel, padding
    padded = F.pad(g[:, 0], (pw, pw, ph, ph))                       # (N, H + 2 ph, W + 2 pw)
    windows = padded.unfold(1, kh, 1).unfold(2, kw, 1)              # (N, Ly, Lx, kh, kw), a view
    return windows.permute(0, 3, 4, 1, 2).reshape(n, kh * kw, -1)   # the copy: (N, K, Ly Lx)


class Fold(torch.autograd.Function):
    """F.fold to one channel, with its adjoint as `unfold_single_channel` (differentiable again: the
    double backward of gradient penalties goes through it)."""

    @staticmethod
    def forward(ctx, columns: Tensor, size: tuple[int, int], kernel: tuple[int, int], padding: tuple[int, int]):
        assert columns.shape[1] == kernel[0] * kernel[1], (tuple(columns.shape), kernel)
        ctx.kernel, ctx.padding = kernel, padding
        return F.fold(columns, size, kernel, padding=padding)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return unfold_single_channel(grad, ctx.kernel, ctx.padding), None, None, None

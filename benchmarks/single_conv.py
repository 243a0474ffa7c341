"""A one-output-channel convolution: the library's kernel vs gankit's GEMM + fold (gankit/models/fast_conv.py).

    python -m benchmarks.single_conv [--device cuda] [--batch 256] [--reps 20]

Seed 002's last layer (128 -> 1 channels, 7x7, 'same' padding, 28x28), forward alone and forward +
backward (gradients of input and weight), in NCHW and channels_last, best-of-reps milliseconds.
"""
from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from gankit.models.fast_conv import conv2d_single_output


def best_ms(fn, device: str, reps: int) -> float:
    for _ in range(3):
        fn()
    best = float("inf")
    for _ in range(reps):
        if device != "cpu":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device != "cpu":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--channels", type=int, default=128)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--kernel", type=int, default=7)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args(argv)
    dev, k = args.device, args.kernel
    pad = (k // 2, k // 2)
    print(f"# {torch.cuda.get_device_name() if dev != 'cpu' else 'cpu'} | torch {torch.__version__} | "
          f"x ({args.batch}, {args.channels}, {args.size}, {args.size}), w (1, {args.channels}, {k}, {k})")
    print("| layout | pass | library ms | GEMM + fold ms | speed-up | max |diff| |")
    print("|---|---|---|---|---|---|")
    for layout in (torch.contiguous_format, torch.channels_last):
        x = torch.randn(args.batch, args.channels, args.size, args.size, device=dev).to(memory_format=layout)
        w = (torch.randn(1, args.channels, k, k, device=dev) * 0.05).to(memory_format=layout)
        b = torch.zeros(1, device=dev)
        x.requires_grad_(True)
        w.requires_grad_(True)
        library = lambda: F.conv2d(x, w, b, padding=pad)  # noqa: E731
        ours = lambda: conv2d_single_output(x, w, b, pad)  # noqa: E731
        diff = (library() - ours()).abs().max().item()
        for name, make in (("forward", lambda f: f), ("forward+backward", lambda f: lambda: f().sum().backward())):
            a, g = best_ms(make(library), dev, args.reps), best_ms(make(ours), dev, args.reps)
            tag = "NCHW" if layout is torch.contiguous_format else "NHWC"
            print(f"| {tag} | {name} | {a:.3f} | {g:.3f} | {a / g:.2f}x | {diff:.1e} |")


if __name__ == "__main__":
    main()

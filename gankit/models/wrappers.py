"""What D sees, changed without touching any architecture: PacGAN packing and minibatch stddev.

Both work on D's INPUT, so every architecture gets them for free: the wrapped D is built by its
own builder for the wider input (`packed_shape`), and the wrapper reshapes the batch before it.
  PacGAN (Lin et al. 2018): D judges m samples at once, concatenated along the feature axis
    (vectors: width m·d; images: m·C channels). A collapsed G makes packs of near-copies, which a
    packed D can tell from packs of independent reals.
  Minibatch standard deviation (Karras et al. 2018, sec. 3): one extra feature, the standard
    deviation of each input feature over a group of samples, averaged; a batch of look-alikes has
    a small one. Karras et al. put it before D's last block; at the input it needs no knowledge of D.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn


def minibatch_stddev(x: Tensor, group: int = 4) -> Tensor:
    """Append one feature: the std over each group of `group` consecutive samples (the whole batch
    when N is not a multiple), averaged over all features. (N, d) -> (N, d + 1); (N, C, H, W) -> (N, C + 1, H, W)."""
    n = x.shape[0]
    g = group if n % group == 0 else n
    grouped = x.reshape(n // g, g, -1)                                   # (N/g, g, features)
    std = (grouped.var(dim=1, unbiased=False) + 1e-8).sqrt().mean(dim=1)  # (N/g,)
    per_sample = std.repeat_interleave(g)                                 # (N,)
    extra = per_sample.view(n, 1, *([1] * (x.dim() - 2))).expand(n, 1, *x.shape[2:])
    return torch.cat([x, extra.to(x.dtype)], dim=1)


class MinibatchStdDev(nn.Module):
    """The layer form of `minibatch_stddev`, usable inside any D."""

    def __init__(self, group: int = 4):
        super().__init__()
        self.group = group

    def forward(self, x: Tensor) -> Tensor:
        return minibatch_stddev(x, self.group)


def packed_shape(shape: tuple[int, ...], pack: int, minibatch_std: bool) -> tuple[int, ...]:
    """The input shape D must be built for: m times the features, plus the stddev feature."""
    return (shape[0] * pack + int(minibatch_std),) + tuple(shape[1:])


class WrappedDiscriminator(nn.Module):
    """D on packs of `pack` samples, optionally with the minibatch-stddev feature appended.

    forward(x) still returns one score per SAMPLE, (N,): each sample gets its pack's score, so the
    mean of any loss over samples equals its mean over packs and callers need not know about packs.
    A batch that does not divide into packs (only at evaluation: training batch sizes are checked)
    has its last pack completed with copies of the last sample."""

    def __init__(self, inner: nn.Module, pack: int = 1, minibatch_std: bool = False, group: int = 4):
        super().__init__()
        self.inner, self.m = inner, pack
        self.stddev = MinibatchStdDev(group) if minibatch_std else nn.Identity()

    def pack(self, x: Tensor) -> Tensor:
        """(N, c, ...) -> (ceil(N / m), m·c, ...): consecutive samples side by side."""
        short = -len(x) % self.m
        if short:
            x = torch.cat([x, x[-1:].expand(short, *x.shape[1:])])
        return x.reshape(len(x) // self.m, self.m * x.shape[1], *x.shape[2:])

    def score_packs(self, packed: Tensor) -> Tensor:
        """The critic as a function of a packed batch: (P, m·c, ...) -> (P,). Penalties use this."""
        return self.inner(self.stddev(packed))

    def forward(self, x: Tensor) -> Tensor:
        return self.score_packs(self.pack(x)).repeat_interleave(self.m)[: len(x)]  # (N,)

    def features(self, x: Tensor) -> Tensor:
        f = self.inner.features(self.stddev(self.pack(x)))
        return f.repeat_interleave(self.m, dim=0)[: len(x)]

    @property
    def out(self) -> nn.Module:
        """The inner D's output layer (so heads can share the body when m = 1)."""
        return self.inner.out

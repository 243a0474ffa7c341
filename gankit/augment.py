"""DiffAugment (Zhao et al. 2020): differentiable augmentations of everything D sees.

D is shown augmented reals AND augmented fakes (and G is trained through augmented fakes), so the
augmentation is never learnt as part of the data distribution; every transform is differentiable
in its input, so G's gradient flows through it. Each call draws fresh per-sample parameters from
torch's GLOBAL RNG on the input's device, so a checkpointed RNG state makes resumed runs exact.
Images are (N, C, H, W) in the normalised range ([-1, 1] or [0, 1]); the paper's magnitudes:
  brightness  x + (r - 0.5)                 r ~ U(0, 1) per sample
  saturation  (x - mean_c) * 2r + mean_c    mean over channels (a no-op on 1-channel images)
  contrast    (x - mean) * (r + 0.5) + mean mean over C, H, W
  translation shift by up to 1/8 of the size in each direction, zero padding
  cutout      a zero square of half the size at a random centre
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from gankit.errors import GankitError


def _uniform(x: Tensor) -> Tensor:
    return torch.rand(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype)  # (N, 1, 1, 1)


def brightness(x: Tensor) -> Tensor:
    return x + (_uniform(x) - 0.5)


def saturation(x: Tensor) -> Tensor:
    mean = x.mean(dim=1, keepdim=True)  # (N, 1, H, W)
    return (x - mean) * (_uniform(x) * 2) + mean


def contrast(x: Tensor) -> Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)  # (N, 1, 1, 1)
    return (x - mean) * (_uniform(x) + 0.5) + mean


def translation(x: Tensor, ratio: float = 0.125) -> Tensor:
    """Shift each image by integers (dy, dx) in [-ratio·size, ratio·size]; vacated pixels are 0."""
    n, _, h, w = x.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sy, sy + 1, (n, 1, 1), device=x.device)
    dx = torch.randint(-sx, sx + 1, (n, 1, 1), device=x.device)
    padded = F.pad(x, [sx, sx, sy, sy])  # (N, C, H + 2sy, W + 2sx), zeros around
    rows = torch.arange(h, device=x.device).view(1, h, 1) + sy - dy  # (N, H, 1) source row of each output row
    cols = torch.arange(w, device=x.device).view(1, 1, w) + sx - dx  # (N, 1, W)
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    # Advanced indexing gathers (N, H, W, C); indexing is differentiable in `padded`.
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)


def cutout(x: Tensor, ratio: float = 0.5) -> Tensor:
    """Zero a (ratio·H) x (ratio·W) square centred uniformly in the image (clipped at the borders)."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h, (n, 1, 1), device=x.device) - ch // 2  # centre minus half the size
    left = torch.randint(0, w, (n, 1, 1), device=x.device) - cw // 2
    ys = torch.arange(h, device=x.device).view(1, h, 1)
    xs = torch.arange(w, device=x.device).view(1, 1, w)
    inside = (ys >= top) & (ys < top + ch) & (xs >= left) & (xs < left + cw)  # (N, H, W)
    return x * (~inside).unsqueeze(1).to(x.dtype)


POLICIES: dict[str, list[Callable[[Tensor], Tensor]]] = {
    "color": [brightness, saturation, contrast],
    "translation": [translation],
    "cutout": [cutout],
}


def parse_policy(policy: str) -> list[Callable[[Tensor], Tensor]]:
    """'color,translation,cutout' -> the transforms, in that order ('' = none)."""
    names = [p.strip() for p in policy.split(",") if p.strip()]
    for name in names:
        if name not in POLICIES:
            raise GankitError(f"config key 'train.augment': unknown DiffAugment policy '{name}'; "
                              f"expected a comma-separated subset of: {', '.join(POLICIES)}")
    return [fn for name in names for fn in POLICIES[name]]


class DiffAugment:
    """The one policy applied to every input of D (real and fake, D and G steps)."""

    def __init__(self, policy: str):
        self.policy = policy
        self.transforms = parse_policy(policy)

    def __bool__(self) -> bool:
        return bool(self.transforms)

    def __call__(self, x: Tensor) -> Tensor:
        if x.dim() != 4 and self.transforms:
            raise GankitError(f"config key 'train.augment': DiffAugment needs images (N, C, H, W), "
                              f"got data of shape {tuple(x.shape[1:])}; set train.augment to \"\"")
        for transform in self.transforms:
            x = transform(x)
        return x

"""`pixels`: the images themselves, pixels / 255 flattened to (N, C*H*W), at their own size.

The baseline feature space: no network, no weights, nothing learnt. Distances in it measure pixel
overlap, not content (a one-pixel shift of a sharp image moves it far), which is why FID uses a
network's features; pixel FID is still a useful sanity check on small images (28x28 -> D = 784;
the covariance is D x D, so at 64x64x3 = 12,288 it grows to 1.2 GB).
"""
from __future__ import annotations

import torch

from gankit.features.base import FeatureExtractor


class PixelFeatures(FeatureExtractor):
    name = "pixels"

    def __init__(self, device: str | torch.device = "cpu"):
        self.device = torch.device(device)

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        self.feature_dim = x[0].numel()
        return x.flatten(1), None  # (B, C*H*W); no classes, so no Inception Score

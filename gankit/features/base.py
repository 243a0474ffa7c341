"""What every feature extractor does: uint8 images in, (N, D) features (and class probabilities) out.

An extractor owns its preprocessing, so that real and generated images always go through exactly
the same steps: channel conversion and resizing to the network's input shape (the uint8 helpers of
gankit.data.images, as if the images had been saved and reloaded at that size), then pixels / 255.
Inputs must be uint8 (N, C, H, W): a float batch could be in [0, 1], [-1, 1] or [0, 255], and a
wrong guess would shift every score without any error, so callers quantise first
(`gankit.metrics.image.to_pixels`), the way a generated image saved as PNG would be.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gankit.data.images import convert_channels, resize_images
from gankit.errors import GankitError

BATCH_SIZE = 500  # images per forward pass: bounds memory, not results (every network runs in eval mode)


@dataclass
class Features:
    features: np.ndarray  # (N, D) float32
    probs: np.ndarray | None  # (N, K) float64 softmax rows, or None when the extractor has no classes


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_pixels(images: object) -> torch.Tensor:
    """uint8 (N, C, H, W) numpy array or tensor -> CPU tensor; GankitError for anything else."""
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    # H or W of 0 ended in a ZeroDivisionError (resizing) or numpy's "zero-size array" (pixels)
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.ndim != 4 or 0 in images.shape:
        what = f"{images.dtype} {tuple(images.shape)}" if isinstance(images, torch.Tensor) else type(images).__name__
        raise GankitError(f"feature extraction needs uint8 images shaped (N, C, H, W) with N, H, W >= 1, got {what}")
    if images.shape[1] not in (1, 3, 4):
        hint = " (channels last? expected (N, C, H, W))" if images.shape[3] in (1, 3, 4) else ""
        raise GankitError(f"feature extraction: images shaped {tuple(images.shape)} have {images.shape[1]} channels"
                          f"{hint}; expected 1, 3 or 4")
    return images.cpu()


class FeatureExtractor:
    """Subclasses set the attributes and implement `_forward`."""

    name: str = ""                          # registry spec, e.g. "classifier:fashion-mnist"
    weights_sha256: str | None = None       # SHA-256 of the weights file (None: no weights)
    input_shape: tuple[int, int, int] | None = None  # (C, H, W) the network sees; None: as given
    feature_dim: int = 0
    num_classes: int | None = None          # softmax width for the Inception Score; None: no IS
    pixel_range: str = "[0, 1] (pixels / 255)"
    device: torch.device = torch.device("cpu")

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, C, H, W) float in [0, 1] at input_shape -> features (B, D), logits (B, K) or None."""
        raise NotImplementedError

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (B, C, H, W) -> float32 (B, *input_shape) in [0, 1] on the extractor's device."""
        if self.input_shape is not None:
            channels, height, width = self.input_shape
            images = resize_images(convert_channels(images, channels), (height, width))
        return images.to(self.device, torch.float32) / 255.0

    @torch.no_grad()
    def extract(self, images: object, with_probs: bool = True, batch_size: int = BATCH_SIZE,
                progress: bool = False) -> Features:
        """Features (N, D) of uint8 images, and softmax probabilities (N, K) when the extractor has classes.
        progress: a bar on a terminal's stderr (the commands: 60,000 images take ~45 s on 2 CPU cores)."""
        from gankit.train.progress import Progress

        images = check_pixels(images)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise GankitError(f"feature extraction: batch_size must be an integer >= 1, got {batch_size!r}")
        feats, probs = [], []
        with Progress(len(images), enabled=progress, label="features") as bar:
            for start in range(0, len(images), batch_size):
                f, logits = self._forward(self.prepare(images[start:start + batch_size]))
                feats.append(f.float().cpu())
                if with_probs and logits is not None:
                    probs.append(torch.softmax(logits.double(), dim=1).cpu())  # float64: rows sum to 1 within 1e-15
                bar.update(start + len(f), {})
        return Features(torch.cat(feats).numpy(), torch.cat(probs).numpy() if probs else None)

    def describe(self) -> dict:
        """The extractor's part of a score's setup record."""
        return {"features": self.name, "weights_sha256": self.weights_sha256, "feature_dim": self.feature_dim,
                "input_shape": list(self.input_shape) if self.input_shape else None, "pixel_range": self.pixel_range}

"""Feature extractors for image metrics, by name.

    classifier:<dataset>   a small CNN gankit trained on that dataset; fashion-mnist ships with gankit
    classifier:<path>      any classifier written by `gankit features train` (a .safetensors file)
    inception              the FID Inception-v3 (Heusel et al. 2017), when its weights are on disk
    pixels                 the raw pixels / 255, flattened

    extractor = gankit.features.get_extractor("classifier:fashion-mnist")
    out = extractor.extract(images_uint8)      # out.features (N, D), out.probs (N, K) or None

Scores from different extractors (or different weights) are different numbers on different
scales: every score gankit records carries `extractor.describe()` (name and weights SHA-256).
"""
from __future__ import annotations

import os

import torch

from gankit.errors import GankitError
from gankit.features.base import FeatureExtractor, Features

EXTRACTORS = {
    "classifier:NAME": "small CNN trained by gankit on dataset NAME (fashion-mnist ships) or a .safetensors path",
    "inception": "FID Inception-v3, 2048-D pool features (weights file needed: eval.inception_weights)",
    "pixels": "raw pixels / 255, flattened (C*H*W-D, no IS)",
}
INCEPTION_ENV = "GANKIT_INCEPTION_WEIGHTS"


def get_extractor(spec: str, *, device: str | torch.device = "cpu",
                  inception_weights: str | None = None) -> FeatureExtractor:
    """The extractor `spec` names. inception_weights: path of the FID Inception weights (else the
    GANKIT_INCEPTION_WEIGHTS environment variable, else the default location)."""
    spec = (spec or "").strip()
    if spec.startswith("classifier:") and spec != "classifier:":
        from gankit.features.classifier import ClassifierFeatures

        return ClassifierFeatures(spec.split(":", 1)[1], device=device)
    if spec == "pixels":
        from gankit.features.pixels import PixelFeatures

        return PixelFeatures(device=device)
    if spec == "inception":
        from gankit.features.inception import InceptionFeatures

        return InceptionFeatures(inception_weights or os.environ.get(INCEPTION_ENV) or None, device=device)
    raise GankitError(f"unknown feature extractor '{spec}'; expected one of: classifier:<dataset or .safetensors "
                      "path> (e.g. classifier:fashion-mnist), inception, pixels")


def default_extractor(dataset: str) -> str | None:
    """The extractor used when none is configured: the shipped classifier of `dataset`, if any."""
    from gankit.features.classifier import SHIPPED_DIR

    return f"classifier:{dataset}" if (SHIPPED_DIR / f"{dataset}-classifier.safetensors").is_file() else None


__all__ = ["EXTRACTORS", "FeatureExtractor", "Features", "default_extractor", "get_extractor"]

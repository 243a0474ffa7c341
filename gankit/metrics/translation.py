"""Paired image-to-image scores: how close translations G(A) are to the true targets B.

What pix2pix users report next to FID (Isola et al. 2017 report per-pixel accuracy for labels and
perceptual studies; L1 and PSNR are the plain distances of image-to-image work): both on uint8
pixels, as a PNG stores the images.
    paired_l1   = mean |G(A) - B| / 255 over every pixel, channel and image (0 = identical, 1 = inverted)
    paired_psnr = mean over images of 10 log10(255² / MSE_i) dB, MSE_i the image's mean squared error;
                  an exact copy (MSE 0) counts as PSNR_CAP dB rather than infinity
"""
from __future__ import annotations

import torch

from gankit.errors import GankitError

PSNR_CAP = 100.0  # dB given to an exact copy (10 log10(255² / MSE) for MSE = 255² 1e-10)


def paired_scores(fake: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """fake, target: uint8 (N, C, H, W) of the same shape, row i of fake the translation of target i's source."""
    if fake.shape != target.shape or fake.dim() != 4 or len(fake) == 0:
        raise GankitError(f"paired scores: translations {tuple(fake.shape)} and targets {tuple(target.shape)} "
                          "must be the same (N, C, H, W) shape with N >= 1")
    diff = fake.double() - target.double()
    l1 = float(diff.abs().mean() / 255.0)
    mse = diff.pow(2).flatten(1).mean(1)  # (N,) per image
    psnr = 10.0 * torch.log10(255.0 ** 2 / mse.clamp_min(255.0 ** 2 * 10 ** (-PSNR_CAP / 10)))
    return {"paired_l1": l1, "paired_psnr": float(psnr.mean())}

"""Evaluation of runs on images: a grid of fixed-noise fakes at each evaluation, and at the end of
training seed 002's "predict" step (eval.predict images from the final G, one file each, plus a
2 x 5 summary of the first ten)."""
from __future__ import annotations

import math
import weakref

import numpy as np
import torch

CELL_PIXELS = 84        # small images are enlarged (nearest neighbour) to about this many pixels a side
SUMMARY_SHAPE = (2, 5)  # seed 002's summary.png: the first 10 predictions in 2 rows of 5


def to_display(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in data units (0..255) -> float (N, 1 or 3, H, W) in [0, 1] for PNG files.

    RGBA is shown as its colour over black (colour * alpha), the way the folder loader reads it."""
    x = (images.detach().float().cpu() / 255.0).clamp(0, 1)
    if x.shape[1] == 4:
        x = x[:, :3] * x[:, 3:]
    return x.numpy()


def display_scale(height: int, width: int) -> int:
    """Integer enlargement so a 28x28 digit is visible (x3) and 64x64 or larger stays as is."""
    return max(1, CELL_PIXELS // max(height, width))


def grid_columns(n: int) -> int:
    """Square-ish layout: ceil(sqrt(n)) columns (25 -> 5x5, 20 -> 4 rows of 5, 100 -> 10x10)."""
    return max(1, math.ceil(math.sqrt(n)))


class ImageHooks:
    def __init__(self, hooks):
        self.h, self.t, self.dir, self.info = weakref.proxy(hooks), hooks.t, hooks.dir, hooks.info
        self.scale = display_scale(*self.info.shape[1:3])

    def on_eval(self, step: int, real_norm: torch.Tensor, fake_norm: torch.Tensor, acc: dict) -> dict:
        from gankit.viz.grid import save_image_grid

        scores = self.h.image_metrics.on_eval(step)  # FID, KID, ... and the best checkpoint (hooks_metrics.py)
        if not self.t.cfg.eval.plots:
            return scores
        n = min(len(fake_norm), self.t.cfg.eval.grid)
        images = to_display(self.info.denormalize(fake_norm[:n]))  # the same fixed noise every time
        save_image_grid(images, self.dir / "samples" / f"step_{step:06d}.png", nrow=grid_columns(n),
                        scale=self.scale)
        return scores

    def on_end(self, step: int) -> None:
        if self.t.cfg.eval.predict > 0:
            self.predict(self.t.cfg.eval.predict)

    @torch.no_grad()
    def predict(self, k: int) -> None:
        """Seed 002's test.py: k images from the final G saved one per file (image_01.png, ...) and
        the first ten as a 2 x 5 summary. The noise has its own seed (train.seed + 1), so the
        pictures are reproducible and differ from the evaluation grids."""
        from gankit.viz.grid import save_image_grid

        algo = self.t.algo
        z = algo.latent_on_cpu(k, torch.Generator().manual_seed(self.t.cfg.train.seed + 1))
        images = to_display(self.info.denormalize(algo.sample(k, z=z)))
        out = self.dir / "predict"
        digits = max(2, len(str(k)))
        for i, image in enumerate(images, start=1):
            save_image_grid(image[None], out / f"image_{i:0{digits}d}.png", nrow=1, scale=self.scale, padding=0)
        rows, cols = SUMMARY_SHAPE
        first = images[:rows * cols]
        save_image_grid(first, out / "summary.png", nrow=min(cols, len(first)), scale=self.scale)

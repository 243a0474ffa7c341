"""Evaluation of runs on images: a grid of fixed-noise fakes at each evaluation, and at the end of
training seed 002's "predict" step (eval.predict images from the final G, one file each, plus a
2 x 5 summary of the first ten)."""
from __future__ import annotations

import math
import weakref

import numpy as np
import torch

from gankit.algorithms.base import unwrap

CELL_PIXELS = 84        # small images are enlarged (nearest neighbour) to about this many pixels a side
SUMMARY_SHAPE = (2, 5)  # seed 002's summary.png: the first 10 predictions in 2 rows of 5
TRIPLES_PER_ROW = 4     # translation grids: source | translation (| target) groups per row


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
        translator = hasattr(self.t.algo, "bank_sources")  # image-to-image: fake_norm[i] = G(bank source i)
        if translator and self.t.cfg.eval.metrics:
            scores.update(self.paired_scores())
            if hasattr(self.t.algo, "cycle_scores"):  # cyclegan: how well F undoes G on the bank
                scores.update(self.t.algo.cycle_scores())
        if not self.t.cfg.eval.plots:
            return scores
        n = min(len(fake_norm), self.t.cfg.eval.grid)
        if translator:
            self.translation_grid(step, fake_norm[:n])
            return scores
        images = to_display(self.info.denormalize(fake_norm[:n]))  # the same fixed noise every time
        save_image_grid(images, self.dir / "samples" / f"step_{step:06d}.png", nrow=grid_columns(n),
                        scale=self.scale)
        return scores

    @torch.no_grad()
    def paired_scores(self) -> dict:
        """Paired data: L1 / PSNR of the translations of the whole bank against its targets
        (gankit/metrics/translation.py); {} for unpaired data."""
        from gankit.metrics.image import to_pixels
        from gankit.metrics.translation import paired_scores
        from gankit.train.run import Generator

        algo = self.t.algo
        size = len(unwrap(algo.nets["bank"]).source)
        target = algo.bank_targets(size) if size else None
        if target is None:
            return {}
        fake = to_pixels(Generator(algo, self.info).sample(size, seed=0))  # (z is ignored by translators)
        return paired_scores(fake, target.cpu())

    def translation_grid(self, step: int, fake_norm: torch.Tensor) -> None:
        """Rows of source | translation (| target, paired data): the first bank images, 4 per row."""
        from gankit.viz.grid import save_image_grid

        algo, n = self.t.algo, len(fake_norm)
        columns = [algo.source.denormalize(algo.bank_sources(n)), self.info.denormalize(fake_norm)]
        target = algo.bank_targets(n)
        if target is not None:
            columns.append(target.float())
        shown = [to_display(c) for c in columns]
        if len({c.shape[1] for c in shown}) > 1:  # greyscale next to colour: show all as RGB
            shown = [np.repeat(c, 3, axis=1) if c.shape[1] == 1 else c for c in shown]
        cells = np.stack(shown, axis=1).reshape(n * len(shown), *shown[1].shape[1:])  # source, fake, target, ...
        save_image_grid(cells, self.dir / "samples" / f"step_{step:06d}.png", nrow=TRIPLES_PER_ROW * len(shown),
                        scale=self.scale)

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

"""Evaluation of runs on images: a grid of fixed-noise fakes at each evaluation."""
from __future__ import annotations

import torch


class ImageHooks:
    def __init__(self, hooks):
        self.h, self.t, self.dir, self.info = hooks, hooks.t, hooks.dir, hooks.info

    def on_end(self, step: int) -> None:
        pass

    def on_eval(self, step: int, real_norm: torch.Tensor, fake_norm: torch.Tensor, acc: dict) -> dict:
        from gankit.viz.grid import save_image_grid

        if not self.t.cfg.eval.plots:
            return {}
        images = (self.info.denormalize(fake_norm) / 255.0).clamp(0, 1).cpu()
        n = min(len(images), self.t.cfg.eval.grid)
        nrow = max(1, int(round(n ** 0.5)))
        save_image_grid(images[:n].numpy(), self.dir / "samples" / f"step_{step:06d}.png", nrow=nrow, scale=2)
        return {}

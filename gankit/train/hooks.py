"""Periodic work of a run: samples, plots, metrics, D accuracy, the end-of-run pictures.

Hooks run on rank 0 only and inside `torch.random.fork_rng` (see the trainer), so they may draw
random numbers freely without changing the training. They never modify the networks: anything
that needs a "what if" update (seed 004's before/after figure) works on copies.
"""
from __future__ import annotations

import weakref
from pathlib import Path

import torch

from gankit.algorithms.base import unwrap
from gankit.errors import GankitError
from gankit.utils.io import dumps_json, read_jsonl


class Hooks:
    def __init__(self, trainer):
        # Back-references are weak (here and in the kind hooks): the trainer owns its hooks, and
        # reference cycles would keep a finished run's tensors alive until the cycle collector runs —
        # several runs in one process (sweeps, notebooks, benchmarks) then got slower run by run.
        self.t = weakref.proxy(trainer)
        self.dir: Path = trainer.run_dir
        self.info = trainer.data.info
        self.vector = self.info.kind == "vector"
        from gankit.train.hooks_image import ImageHooks
        from gankit.train.hooks_vector import VectorHooks

        from gankit.train.hooks_metrics import ImageMetricTracker

        # (image-only keys on vector data were refused before the run's folder was made: train/checks.py)
        self.image_metrics = None if self.vector else ImageMetricTracker(self)  # before ImageHooks, which uses it
        self.kind_hooks = (VectorHooks if self.vector else ImageHooks)(self)
        if trainer.cfg.train.tensorboard:  # last: the only set-up step that writes (tb/), once all else passed
            self._tensorboard({"step": trainer.step})  # fail at the start, not at the first log step
        self.frames: list[Path] = sorted((self.dir / "samples").glob("step_*.png"))

    # ------------------------------------------------------------------ events
    def on_log(self, row: dict) -> None:
        if self.t.cfg.train.tensorboard:
            self._tensorboard(row)

    def _tensorboard(self, row: dict) -> None:
        """Mirror metrics.jsonl into TensorBoard events under tb/ (optional dependency)."""
        if getattr(self, "_tb", None) is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                raise GankitError("train.tensorboard=true needs the tensorboard package: "
                                  "pip install tensorboard (or set train.tensorboard=false)") from None
            self._tb = SummaryWriter(str(self.dir / "tb"))
        for key, value in row.items():
            if key not in ("step", "kind") and isinstance(value, (int, float)):
                self._tb.add_scalar(key, value, row["step"])

    @torch.no_grad()
    def d_prob(self, points) -> "np.ndarray":
        """D(x) as probabilities for examples in data units (the plots' coordinates)."""
        D = unwrap(self.t.algo.nets["D"])
        x = self.info.normalize(torch.as_tensor(points, dtype=torch.float32, device=self.t.algo.device))
        was = D.training
        D.eval()
        try:
            return torch.sigmoid(D(x).float()).cpu().numpy()
        finally:
            D.train(was)

    def checkpoint_extra(self) -> dict:
        return self.image_metrics.checkpoint_extra() if self.image_metrics else {}  # protect_steps: the best

    def on_eval(self, step: int) -> None:
        algo, cfg = self.t.algo, self.t.cfg
        fake_norm = algo.sample(len(self.t.fixed_z), z=self.t.fixed_z)
        real_norm, _ = self.t.data.batch(len(self.t.fixed_z))
        row: dict = {"step": step, "kind": "eval"}
        row.update(self._d_accuracy(cfg.eval.n_accuracy))
        row.update(self.kind_hooks.on_eval(step, real_norm, fake_norm, row))
        if cfg.eval.plots and hasattr(algo, "extra_figures"):  # per-class grids, InfoGAN traversals
            algo.extra_figures(step, self.dir)
        with open(self.dir / "metrics.jsonl", "a") as f:
            f.write(dumps_json(row) + "\n")
        if cfg.train.tensorboard:
            self._tensorboard(row)

    def on_end(self, step: int) -> None:
        if getattr(self, "_tb", None) is not None:  # its events reach the disk now, not at some later flush
            self._tb.flush()
        if self.image_metrics:  # the final evaluation's best checkpoint now exists: point best.json at it
            self.image_metrics.on_end(step)
        if not self.t.cfg.eval.plots:
            return
        from gankit.viz.animation import make_gif
        from gankit.viz.curves import plot_losses

        rows = read_jsonl(self.dir / "metrics.jsonl")
        plot_losses([r for r in rows if r.get("kind") != "eval"], self.dir / "plots" / "losses.png")
        frames = sorted((self.dir / "samples").glob("step_*.png"))
        if frames:
            make_gif(frames, self.dir / "plots" / "animation.gif", fps=2)
        self.kind_hooks.on_end(step)

    # ------------------------------------------------------------------ shared measurements
    @torch.no_grad()
    def _d_accuracy(self, n: int) -> dict:
        """D's accuracy on n real and n fresh fake examples, D in inference mode (as Keras' evaluate)."""
        if hasattr(self.t.algo, "d_accuracy"):  # image-to-image: D judges (source, image) pairs
            return self.t.algo.d_accuracy(self.t._batch(n))
        D = unwrap(self.t.algo.nets["D"])
        real, _ = self.t.data.batch(n)
        fake = self.t.algo.sample(n)
        was = D.training
        D.eval()
        try:
            out_real, out_fake = D(real).float(), D(fake).float()
        finally:
            D.train(was)
        return {"eval_acc_real": float((out_real > 0).float().mean()),
                "eval_acc_fake": float((out_fake < 0).float().mean())}

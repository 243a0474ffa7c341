"""Periodic work of a run: samples, plots, metrics, D accuracy, the end-of-run pictures.

Hooks run on rank 0 only and inside `torch.random.fork_rng` (see the trainer), so they may draw
random numbers freely without changing the training. They never modify the networks: anything
that needs a "what if" update (seed 004's before/after figure) works on copies.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import torch

from gankit.algorithms.base import frozen, unwrap


class Hooks:
    def __init__(self, trainer):
        self.t = trainer
        self.dir: Path = trainer.run_dir
        self.info = trainer.data.info
        self.vector = self.info.kind == "vector"
        self.limits = None  # scatter axes, fixed at the first evaluation
        self.frames: list[Path] = sorted((self.dir / "samples").glob("step_*.png"))

    # ------------------------------------------------------------------ events
    def on_log(self, row: dict) -> None:
        pass

    def checkpoint_extra(self) -> dict:
        return {}

    def on_eval(self, step: int) -> None:
        algo, cfg = self.t.algo, self.t.cfg
        fake_norm = algo.sample(len(self.t.fixed_z), z=self.t.fixed_z)
        real_norm, _ = self.t.data.batch(len(self.t.fixed_z))
        row: dict = {"step": step, "kind": "eval"}
        row.update(self._d_accuracy(cfg.eval.n_accuracy))
        if self.vector:
            row.update(self._vector_eval(step, real_norm, fake_norm))
        else:
            self._image_eval(step, fake_norm)
        with open(self.dir / "metrics.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")

    def on_end(self, step: int) -> None:
        if not self.t.cfg.eval.plots:
            return
        from gankit.viz.animation import make_gif
        from gankit.viz.curves import plot_losses

        rows = [json.loads(line) for line in (self.dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
        plot_losses([r for r in rows if r.get("kind") != "eval"], self.dir / "plots" / "losses.png")
        frames = sorted((self.dir / "samples").glob("step_*.png"))
        if frames:
            make_gif(frames, self.dir / "plots" / "animation.gif", fps=2)

    # ------------------------------------------------------------------ shared measurements
    @torch.no_grad()
    def _d_accuracy(self, n: int) -> dict:
        """D's accuracy on n real and n fresh fake examples, D in inference mode (as Keras' evaluate)."""
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

    # ------------------------------------------------------------------ vector data
    def _vector_eval(self, step: int, real_norm: torch.Tensor, fake_norm: torch.Tensor) -> dict:
        from gankit.metrics.toy import summary_stats, vector_metrics

        cfg, info = self.t.cfg, self.info
        real = info.denormalize(real_norm).cpu().numpy()
        fake = info.denormalize(fake_norm).cpu().numpy()
        out: dict = {}
        if cfg.eval.metrics:
            n = cfg.eval.n_metric
            real_m = info.denormalize(self.t.data.batch(n)[0]).cpu()
            fake_m = info.denormalize(self.t.algo.sample(n)).cpu()
            out.update(vector_metrics(real_m, fake_m, dataset=info.name, modes=info.modes, mode_std=info.mode_std))
        if cfg.eval.plots:
            self._vector_plots(step, real, fake, real_norm)
            from gankit.viz.tables import stats_markdown

            acc = self._d_accuracy(cfg.eval.n_accuracy)
            lines = [f"Step {step}: D accuracy on {cfg.eval.n_accuracy} real = {acc['eval_acc_real']:.2f}, "
                     f"on {cfg.eval.n_accuracy} fake = {acc['eval_acc_fake']:.2f}"]
            stats_markdown(summary_stats(real), summary_stats(fake), self.dir / "plots" / "stats.md", lines)
        return out

    def _d_prob(self, points: np.ndarray) -> np.ndarray:
        """D(x) for points in data units (the plots' coordinates)."""
        D = unwrap(self.t.algo.nets["D"])
        x = self.info.normalize(torch.as_tensor(points, dtype=torch.float32, device=self.t.algo.device))
        was = D.training
        D.eval()
        try:
            with torch.no_grad():
                return torch.sigmoid(D(x).float()).cpu().numpy()
        finally:
            D.train(was)

    def _vector_plots(self, step: int, real: np.ndarray, fake: np.ndarray, real_norm: torch.Tensor) -> None:
        from gankit.viz.discriminator import d_heatmap, gan_paper_1d
        from gankit.viz.scatter import scatter_limits, scatter_real_fake

        dim = real.shape[1]
        if dim > 2:
            return
        if self.limits is None:
            self.limits = scatter_limits(real)
        name = f"step_{step:06d}.png"
        scatter_real_fake(real, fake, self.dir / "samples" / name, title=f"step {step}", limits=self.limits)
        if dim == 2:
            d_heatmap(self._d_prob, real, fake, self.limits, self.dir / "plots" / f"d_heatmap_{step:06d}.png",
                      title=f"D(x) at step {step}")
        else:
            gan_paper_1d(self._d_prob, real, fake, self.dir / "plots" / f"d_heatmap_{step:06d}.png")
        self._d_feature_plot(step, real_norm)
        self._value_function_plot(real_norm)

    @torch.no_grad()
    def _d_feature_plot(self, step: int, real_norm: torch.Tensor) -> None:
        """Seed 004: real and fake in D's feature space before and after one G update (on a copy of G)."""
        from gankit.viz.features import d_features

        algo, D = self.t.algo, unwrap(self.t.algo.nets["D"])
        if not hasattr(D, "features"):
            return
        z = algo.latent(len(real_norm))
        G_copy = copy.deepcopy(unwrap(algo.nets["G"]))
        opt = type(algo.opt["G"])(G_copy.parameters(), **algo.opt["G"].defaults)
        opt.load_state_dict(algo.opt["G"].state_dict())

        real_f, fake_before = D.features(real_norm), D.features(G_copy(z))
        with torch.enable_grad(), frozen(D):
            loss = algo.loss.g(D(G_copy(z))) if hasattr(algo, "loss") else None
            if loss is not None:
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        both = torch.cat([real_f, fake_before, D.features(G_copy(z))]).float().cpu().numpy()
        proj = _project_2d(both)
        n = len(real_norm)
        real_p, before_p, after_p = proj[:n], proj[n:2 * n], proj[2 * n:]
        d_features(real_p, before_p, real_p, after_p, self.dir / "plots" / f"d_features_{step:06d}.png", step)

    @torch.no_grad()
    def _value_function_plot(self, real_norm: torch.Tensor) -> None:
        from gankit.viz.features import value_function

        d_real = self._d_prob(self.info.denormalize(real_norm).cpu().numpy())
        d_fake = self._d_prob(self.info.denormalize(self.t.algo.sample(len(real_norm))).cpu().numpy())
        value_function(d_real, d_fake, self.dir / "plots" / "value_function.png")

    # ------------------------------------------------------------------ images
    def _image_eval(self, step: int, fake_norm: torch.Tensor) -> None:
        from gankit.viz.grid import save_image_grid

        if not self.t.cfg.eval.plots:
            return
        images = (self.info.denormalize(fake_norm) / 255.0).clamp(0, 1).cpu()
        n = min(len(images), self.t.cfg.eval.grid)
        nrow = max(1, int(round(n ** 0.5)))
        save_image_grid(images[:n].numpy(), self.dir / "samples" / f"step_{step:06d}.png", nrow=nrow, scale=2)


def _project_2d(features: np.ndarray) -> np.ndarray:
    """D's feature layer as 2-D points: as is when it has 2 units, else its first two principal axes."""
    if features.shape[1] == 2:
        return features
    if features.shape[1] == 1:
        return np.concatenate([features, np.zeros_like(features)], axis=1)
    centred = features - features.mean(0, keepdims=True)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T

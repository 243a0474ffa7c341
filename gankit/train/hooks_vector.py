"""Evaluation of runs on vector data: scatter, D heatmap / 1-D figure, D feature space, value
function, summary statistics and the toy metrics (seeds 000, 001 and 004)."""
from __future__ import annotations

import copy
import weakref

import numpy as np
import torch

from gankit.algorithms.base import frozen, unwrap


class VectorHooks:
    def __init__(self, hooks):
        self.h, self.t, self.dir, self.info = weakref.proxy(hooks), hooks.t, hooks.dir, hooks.info
        self.limits = None  # scatter axes, fixed at the first evaluation

    def on_end(self, step: int) -> None:
        pass

    def on_eval(self, step: int, real_norm: torch.Tensor, fake_norm: torch.Tensor, acc: dict) -> dict:
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
            self._plots(step, real, fake, real_norm)
            from gankit.viz.tables import stats_markdown

            lines = [f"Step {step}: D accuracy on {cfg.eval.n_accuracy} real = {acc['eval_acc_real']:.2f}, "
                     f"on {cfg.eval.n_accuracy} fake = {acc['eval_acc_fake']:.2f}"]
            stats_markdown(summary_stats(real), summary_stats(fake), self.dir / "plots" / "stats.md", lines)
        return out

    def _plots(self, step: int, real: np.ndarray, fake: np.ndarray, real_norm: torch.Tensor) -> None:
        from gankit.viz.discriminator import d_heatmap, gan_paper_1d
        from gankit.viz.scatter import scatter_limits, scatter_real_fake

        dim = real.shape[1]
        if dim > 2:
            return
        if self.limits is None:
            self.limits = scatter_limits(real)
        # Figures cost ~0.5 s each to render, more than 1,000 steps of a toy GAN: per-step figures are drawn
        # at a lower resolution, and the ones that only matter at the end are drawn once.
        name, dpi = f"step_{step:06d}.png", 80
        final = step >= self.t.total
        scatter_real_fake(real, fake, self.dir / "samples" / name, title=f"step {step}", limits=self.limits, dpi=dpi)
        if dim == 2:
            d_heatmap(self.h.d_prob, real, fake, self.limits, self.dir / "plots" / f"d_heatmap_{step:06d}.png",
                      title=f"D(x) at step {step}", dpi=dpi)
        else:
            gan_paper_1d(self.h.d_prob, real, fake, self.dir / "plots" / f"d_heatmap_{step:06d}.png", dpi=dpi)
        # Seed 004's figure at every evaluation when D has its own feature layer; else (a PCA of the last
        # hidden layer) at the end only.
        if final or self._has_feature_layer():
            self._d_feature_plot(step, real_norm)
        if final:  # one file, overwritten at each evaluation: draw it once, at the end
            self._value_function_plot(real_norm)

    def _has_feature_layer(self) -> bool:
        return bool(self.t.cfg.model.d.feature_dim)

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
        opt.load_state_dict(copy.deepcopy(algo.opt["G"].state_dict()))  # its own moments: never touch the real ones

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

        d_real = self.h.d_prob(self.info.denormalize(real_norm).cpu().numpy())
        d_fake = self.h.d_prob(self.info.denormalize(self.t.algo.sample(len(real_norm))).cpu().numpy())
        value_function(d_real, d_fake, self.dir / "plots" / "value_function.png")


def _project_2d(features: np.ndarray) -> np.ndarray:
    """D's feature layer as 2-D points: as is when it has 2 units, else its first two principal axes."""
    if features.shape[1] == 2:
        return features
    if features.shape[1] == 1:
        return np.concatenate([features, np.zeros_like(features)], axis=1)
    centred = features - features.mean(0, keepdims=True)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T

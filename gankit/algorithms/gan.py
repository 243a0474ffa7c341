"""The original GAN (Goodfellow et al. 2014) with a choice of adversarial loss.

D step: D learns real -> 1 (or the smoothed label), fake -> 0.  G step: G learns to make D say 1.
With `train.d_update: split` D makes two updates, one on real and one on fake, as the Keras code of
seed 000 does with two `train_on_batch` calls.
"""
from __future__ import annotations

import torch
from torch import Tensor

from gankit.algorithms.base import Algorithm, Batch, frozen, has_batchnorm, unwrap
from gankit.losses import LOSSES, d_output_stats
from gankit.registry import ALGORITHMS


@ALGORITHMS.register("gan", "GAN with any adversarial loss (loss.name), one D and one G")
class GAN(Algorithm):
    def __init__(self, cfg, info):
        super().__init__(cfg, info)
        self.loss = LOSSES.get(cfg.loss.name, "loss.name")
        self.split = cfg.train.d_update == "split"
        # One D forward over [real; fake] is the same maths unless BatchNorm mixes the two halves.
        self.joint_forward = not has_batchnorm(self.nets["D"])

    def _fake(self, n: int, z: Tensor | None) -> Tensor:
        with torch.no_grad():
            return unwrap(self.nets["G"])(self.latent(n) if z is None else z)

    def _update(self, name: str, loss: Tensor) -> None:
        opt = self.opt[name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    # ---------------------------------------------------------------- D step
    def d_step(self, batch: Batch) -> dict[str, Tensor]:
        D, real, t = self.nets["D"], batch["real"], self.cfg.train
        fake = self._fake(t.fake_batch_size or len(real), batch.get("z"))
        label, scale = self.cfg.loss.real_label, self.cfg.loss.d_scale
        if self.split:  # two updates: first on real only, then on fake only
            out_real = D(real)
            loss_real = self.loss.d_real(out_real, label)
            self._update("D", scale * loss_real)
            out_fake = D(fake)
            loss_fake = self.loss.d_fake(out_fake)
            self._update("D", scale * loss_fake)
        else:
            if self.joint_forward:
                out_real, out_fake = D(torch.cat([real, fake])).split([len(real), len(fake)])
            else:
                out_real, out_fake = D(real), D(fake)
            loss_real, loss_fake = self.loss.d_real(out_real, label), self.loss.d_fake(out_fake)
            self._update("D", scale * (loss_real + loss_fake))
        stats = d_output_stats(out_real, out_fake, self.loss.probabilistic) if self.want_stats else {}
        stats["d_loss"] = (scale * (loss_real + loss_fake)).detach()
        return stats

    # ---------------------------------------------------------------- G step
    def g_step(self, batch: Batch) -> dict[str, Tensor]:
        D = unwrap(self.nets["D"])  # D's gradients are not wanted here, nor their all-reduce
        z = batch.get("z")
        z = self.latent(self.cfg.train.g_batch_size or len(batch["real"])) if z is None else z
        with frozen(D):
            loss = self.loss.g(D(self.nets["G"](z)))
        self._update("G", loss)
        return {"g_loss": loss.detach()}

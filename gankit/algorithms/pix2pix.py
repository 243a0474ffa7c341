"""Pix2Pix (Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial Networks").

Paired data: source A and target B, row for row. G is a U-Net (gankit/models/translation.py) with
dropout as its only noise; D a PatchGAN that judges (A, B) pairs patch by patch. Objective (eq. 4):
    G* = arg min_G max_D  L_cGAN(G, D) + λ L_L1(G),   λ = 100 (loss.l1_weight)
    L_cGAN = E[log D(A, B)] + E[log(1 - D(A, G(A)))]       (eq. 1; the mean over D's patches)
    L_L1   = E[|B - G(A)|_1]                                (eq. 3; normalised units, mean per pixel)
D step: BCE on real pairs -> 1 and translated pairs -> 0, halved (sec. 3.1: "we divide the objective
by 2 while optimizing D, which slows down the rate at which D learns relative to G"):
    loss_D = (softplus(-D(A, B)) + softplus(D(A, G(A)))) / 2,   softplus(-x) = -log(sigmoid(x))
G step: non-saturating (sec. 3.1: maximise log D(A, G(A)) rather than minimise log(1 - D)):
    loss_G = softplus(-D(A, G(A))) + λ |B - G(A)|
Optimiser (sec. 3.1): Adam, lr 2e-4, β = (0.5, 0.999) for both nets (the preset sets them).
Logged: d_loss, g_loss (the adversarial term alone, comparable with the other recipes' curves),
g_l1 (the L1 term before λ), d_real / d_fake / acc_* (per patch).
Sampling: G(A) for given sources, else the run's bank of held-out sources (algorithms/translation.py);
dropout is off when sampling (the paper keeps it on at test time; we want `sample` deterministic).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gankit.algorithms.base import Algorithm, Batch, frozen, unwrap
from gankit.algorithms.translation import Translator
from gankit.errors import GankitError
from gankit.losses import d_output_stats
from gankit.models.translation import PatchDiscriminator, UNetGenerator
from gankit.registry import ALGORITHMS


@ALGORITHMS.register("pix2pix", "Pix2Pix: U-Net G + PatchGAN D on paired images, cGAN + λ·L1 (Isola et al. 2017)")
class Pix2Pix(Translator, Algorithm):
    def __init__(self, cfg, info):
        self.cfg, self.info = cfg, info
        self.setup_translation(paired=True, arch="unet", arch_help="U-Net G and PatchGAN D (options: g.options.width, "
                               "d.options.width, d_layers)")  # before the nets: they are sized from both domains
        self.l1_weight = cfg.loss.l1_weight
        super().__init__(cfg, info)

    def build_nets(self) -> dict[str, nn.Module]:
        model, c_a, c_b = self.cfg.model, self.source.shape[0], self.info.shape[0]
        return {"G": UNetGenerator(tuple(self.source.shape), c_b, model.g),
                "D": PatchDiscriminator(c_a, c_b, model.d),
                "bank": self.make_bank()}

    @staticmethod
    def _pair(batch: Batch) -> tuple[Tensor, Tensor]:
        if "source" not in batch:
            raise GankitError("pix2pix: the batch has no 'source' images; expected translation data")
        return batch["source"], batch["real"]

    def _update(self, name: str, loss: Tensor) -> None:
        opt = self.opt[name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def d_logits(self, source: Tensor, image: Tensor) -> Tensor:  # hooks' D accuracy: D sees the pair
        return unwrap(self.nets["D"])(source, image)

    # ---------------------------------------------------------------- D step
    def d_step(self, batch: Batch) -> dict[str, Tensor]:
        source, real = self._pair(batch)  # (N, C_A, H, W), (N, C_B, H, W)
        G, D = unwrap(self.nets["G"]), self.nets["D"]
        with torch.no_grad():  # D's update only: no graph through G
            fake = G(source)
        # Two forward passes, not one over [real; fake]: D's BatchNorm would mix the two halves.
        out_real, out_fake = D(source, real), D(source, fake)  # (N, h, w) patch logits
        loss = 0.5 * (F.softplus(-out_real).mean() + F.softplus(out_fake).mean())  # sec. 3.1: halved
        self._update("D", loss)
        if not self.want_stats:
            return {}
        stats = d_output_stats(out_real, out_fake, probabilistic=True)
        stats["d_loss"] = loss.detach()
        return stats

    # ---------------------------------------------------------------- G step
    def g_step(self, batch: Batch) -> dict[str, Tensor]:
        source, real = self._pair(batch)
        D = unwrap(self.nets["D"])  # no gradients of D here, nor their all-reduce
        fake = self.nets["G"](source)
        with frozen(D):
            adversarial = F.softplus(-D(source, fake)).mean()  # non-saturating: -log D(A, G(A))
        l1 = (fake - real).abs().mean()  # eq. 3, per pixel
        self._update("G", adversarial + self.l1_weight * l1)
        return {"g_loss": adversarial.detach(), "g_l1": l1.detach()}

"""The original GAN (Goodfellow et al. 2014) with a choice of adversarial loss, penalties and
stabilisers; every other GAN recipe in this package is a small subclass of it.

D step: D learns real -> 1 (or the smoothed label), fake -> 0, plus any penalty (WGAN-GP, R1).
G step: G learns to make D say 1. With `train.d_update: split` D makes two updates, one on real
and one on fake, as the Keras code of seed 000 does with two `train_on_batch` calls (R1 joins the
real update, the gradient penalty, which needs both, the fake one).
Subclasses change what the recipe is made of through four small methods: `build_nets`,
`generate` (fakes and their conditioning: labels, codes), `real_context` and `discriminate`
(D's logits and an optional auxiliary loss: AC-GAN's classifier, InfoGAN's mutual information).
"""
from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from gankit.algorithms.base import Algorithm, Batch, frozen, has_batchnorm, unwrap
from gankit.algorithms.mlp_steps import MLPSteps
from gankit.algorithms.stabilisers import Stabilisers
from gankit.errors import GankitError
from gankit.losses import LOSSES, d_output_stats
from gankit.models.wrappers import WrappedDiscriminator, packed_shape
from gankit.penalties import gradient_penalty, lazy_scale, r1_penalty
from gankit.registry import ALGORITHMS, ARCHITECTURES

Context = Tensor | None  # what conditions a batch: class labels (N,), InfoGAN codes, or nothing


def take(ctx: Context, n: int) -> Context:
    return ctx[:n] if ctx is not None else None


@ALGORITHMS.register("gan", "GAN with any adversarial loss (loss.name), one D and one G")
class GAN(Algorithm):
    loss_name: str | None = None    # recipes that define their loss (wgan, lsgan, ...); else loss.name
    default_clip = 0.0              # used when reg.clip is 0
    default_gp = 0.0                # used when reg.gp_weight is 0
    d_spectral_norm = False         # force spectral norm on D (the SNGAN recipe)
    aux_name = "aux"                # log key of the auxiliary loss (d_aux, g_aux)
    plain_d = True                  # D(x) alone decides: real and fake may share one forward pass

    def __init__(self, cfg, info):
        super().__init__(cfg, info)
        self.loss = LOSSES.get(self.loss_name or cfg.loss.name, "loss.name")
        self.split = cfg.train.d_update == "split"
        # One D forward over [real; fake] is the same maths unless BatchNorm mixes the two halves.
        self.joint_forward = self.plain_d and not has_batchnorm(self.nets["D"])
        reg = cfg.reg
        self.gp_weight = reg.gp_weight or self.default_gp
        self.r1_gamma, self.r1_every = reg.r1_gamma, reg.r1_every
        self.stab = Stabilisers(cfg, info, self.nets, clip=reg.clip or self.default_clip,
                                count_updates=self.r1_gamma > 0 and self.r1_every > 1)
        self._check_packing()
        self._manual: MLPSteps | None | bool = False  # decided at the first step (after the trainer's wrapping)

    # ---------------------------------------------------------------- networks
    def model_config(self):
        """cfg.model, with the recipe's own requirements (spectral norm on D) applied."""
        model = self.cfg.model
        if self.d_spectral_norm and not model.d.spectral_norm:
            model = copy.deepcopy(model)
            model.d.spectral_norm = True
        return model

    def build_nets(self) -> dict[str, nn.Module]:
        model, shape, reg = self.model_config(), tuple(self.info.shape), self.cfg.reg
        build = ARCHITECTURES.get(model.arch, "model.arch")
        nets = build(model, shape, self.info.num_classes)
        if reg.pack > 1 or reg.minibatch_std:  # D built for the wider input it will see
            inner = build(model, packed_shape(shape, reg.pack, reg.minibatch_std), self.info.num_classes)["D"]
            nets["D"] = WrappedDiscriminator(inner, reg.pack, reg.minibatch_std)
        return nets

    def _check_packing(self) -> None:
        m, t = self.cfg.reg.pack, self.cfg.train
        for key, value in (("batch_size", t.batch_size), ("fake_batch_size", t.fake_batch_size),
                           ("g_batch_size", t.g_batch_size)):
            if value is not None and value % m:
                raise GankitError(f"config key 'train.{key}' ({value}) must be a multiple of reg.pack ({m})")

    # ---------------------------------------------------------------- conditioning (subclasses)
    def generate(self, n: int, batch: Batch, z: Tensor | None, grad: bool) -> tuple[Tensor, Context]:
        """n fakes and their context; without gradients through the plain module for D steps."""
        z = self.latent(n) if z is None else z
        if not grad:
            with torch.no_grad():
                return unwrap(self.nets["G"])(z), None
        return self.nets["G"](z), None

    def real_context(self, batch: Batch) -> Context:
        return None

    def discriminate(self, D: nn.Module, x: Tensor, ctx: Context,
                     with_aux: bool = True) -> tuple[Tensor, Tensor | None]:
        """D's logits (N,) and the auxiliary loss on these examples (None: no such loss)."""
        return D(x), None

    # ---------------------------------------------------------------- penalties
    def differentiated_twice(self) -> set[str]:
        return {"D"} if self.gp_weight or self.r1_gamma else set()

    def _critic(self, ctx: Context):
        """(critic, prepare): the function a penalty differentiates and the map from D's inputs to
        its arguments. With PacGAN packing the critic's input is a pack, so norms are per pack."""
        D = self.nets["D"]
        inner = unwrap(D)
        if isinstance(inner, WrappedDiscriminator) and inner.m > 1:
            return inner.score_packs, inner.pack
        return (lambda x: self.discriminate(D, x, take(ctx, len(x)), with_aux=False)[0]), (lambda x: x)

    def _gp(self, real_in: Tensor, fake_in: Tensor, ctx: Context, parts: dict) -> Tensor | None:
        if not self.gp_weight:
            return None
        critic, prepare = self._critic(ctx)
        parts["gp"] = gradient_penalty(critic, prepare(real_in), prepare(fake_in.detach()), self.gp_weight)
        return parts["gp"]

    def _r1(self, real_in: Tensor, ctx: Context, parts: dict) -> Tensor | None:
        k = lazy_scale(self.stab.d_updates, self.r1_every) if self.r1_gamma else 0
        if not k:
            return None
        critic, prepare = self._critic(ctx)
        parts["r1"] = k * r1_penalty(critic, prepare(real_in), self.r1_gamma)
        return parts["r1"]

    # ---------------------------------------------------------------- updates
    def manual_steps(self) -> MLPSteps | None:
        """Hand-written gradients for plain MLPs (gankit/algorithms/mlp_steps.py), where they apply:
        recipes that change what D sees or what G is given (conditioning, codes, heads) keep autograd."""
        if self._manual is False:
            plain = all(getattr(type(self), m) is getattr(GAN, m)
                        for m in ("generate", "real_context", "discriminate", "latent", "d_step", "g_step"))
            self._manual = MLPSteps.attach(self) if plain else None
        return self._manual

    def _update(self, name: str, loss: Tensor) -> None:
        opt = self.opt[name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if name == "D":
            self.stab.after_d_update()

    def _discriminate_both(self, D, real_in, fake_in, real_ctx, fake_ctx):
        if self.joint_forward:
            out_real, out_fake = D(torch.cat([real_in, fake_in])).split([len(real_in), len(fake_in)])
            return (out_real, None), (out_fake, None)
        return self.discriminate(D, real_in, real_ctx), self.discriminate(D, fake_in, fake_ctx)

    # ---------------------------------------------------------------- D step
    def d_step(self, batch: Batch) -> dict[str, Tensor]:
        if self.manual_steps() is not None:
            return self._manual.d_step(batch)
        D, real, t = self.nets["D"], batch["real"], self.cfg.train
        fake, fake_ctx = self.generate(t.fake_batch_size or len(real), batch, batch.get("z"), grad=False)
        real_ctx = self.real_context(batch)
        real_in, fake_in = self.stab.d_view(real), self.stab.d_view(fake)
        label, scale = self.cfg.loss.real_label, self.cfg.loss.d_scale
        parts: dict[str, Tensor] = {}
        if self.split:  # two updates: first on real only, then on fake only
            out_real, aux_real = self.discriminate(D, real_in, real_ctx)
            loss_real = self.loss.d_real(out_real, label)
            self._update("D", _sum(scale * loss_real, aux_real, self._r1(real_in, real_ctx, parts)))
            out_fake, aux_fake = self.discriminate(D, fake_in, fake_ctx)
            loss_fake = self.loss.d_fake(out_fake)
            self._update("D", _sum(scale * loss_fake, aux_fake, self._gp(real_in, fake_in, real_ctx, parts)))
        else:
            (out_real, aux_real), (out_fake, aux_fake) = self._discriminate_both(D, real_in, fake_in,
                                                                                 real_ctx, fake_ctx)
            loss_real, loss_fake = self.loss.d_real(out_real, label), self.loss.d_fake(out_fake)
            penalties = (self._r1(real_in, real_ctx, parts), self._gp(real_in, fake_in, real_ctx, parts))
            self._update("D", _sum(scale * (loss_real + loss_fake), aux_real, aux_fake, *penalties))
        self.stab.count_d_step()
        if not self.want_stats:  # the trainer reads stats on log steps only: no small ops in between
            return {}
        stats = d_output_stats(out_real, out_fake, self.loss.probabilistic)
        stats["d_loss"] = (scale * (loss_real + loss_fake)).detach()
        aux = _sum(aux_real, aux_fake)
        if aux is not None:
            stats[f"d_{self.aux_name}"] = aux.detach()
        stats.update({k: v.detach() for k, v in parts.items()})
        return stats

    # ---------------------------------------------------------------- G step
    def g_step(self, batch: Batch) -> dict[str, Tensor]:
        if self.manual_steps() is not None:
            return self._manual.g_step(batch)
        D = unwrap(self.nets["D"])  # D's gradients are not wanted here, nor their all-reduce
        n = self.cfg.train.g_batch_size or len(batch["real"])
        fake, ctx = self.generate(n, batch, batch.get("z"), grad=True)
        with frozen(D):
            out, aux = self.discriminate(D, self.stab.d_view(fake), ctx)
            loss = self.loss.g(out)
        self._update("G", _sum(loss, aux))
        self.stab.after_g_update()
        stats = {"g_loss": loss.detach()}
        if aux is not None:
            stats[f"g_{self.aux_name}"] = aux.detach()
        return stats


def _sum(*terms: Tensor | None) -> Tensor | None:
    """The sum of the terms that are present (a missing penalty or auxiliary loss is None)."""
    present = [t for t in terms if t is not None]
    return sum(present[1:], present[0]) if present else None

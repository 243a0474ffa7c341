"""The GAN recipe's D and G steps for plain MLPs, back-propagated by hand (models/mlp_backprop.py).

Same updates as `GAN.d_step` / `GAN.g_step`: the same random draws in the same order, the same
losses (their closed-form derivatives, losses.py), optimizers, lazy R1 and stabilisers. Only the
gradients are computed without autograd, which on the seeds' toy MLPs costs more than the maths
(benchmarks/RESULTS.md, "Speed"). tests/algorithms/test_mlp_steps.py trains both ways and compares.

It applies when every piece has a hand-written gradient: MLP G and D (BatchNorm allowed; no dropout,
spectral norm, PacGAN packing), no gradient penalty, no DiffAugment, fp32, networks not wrapped by
torch.compile or DDP, and R1 only with a piecewise-linear D without BatchNorm. Anything else keeps autograd;
`train.manual_backward: false` always does.
"""
from __future__ import annotations

import weakref

import torch
from torch import Tensor

from gankit.losses import d_output_stats
from gankit.models.mlp_backprop import MLPBackprop, Tape
from gankit.penalties import lazy_scale


class MLPSteps:
    def __init__(self, algo, g: MLPBackprop, d: MLPBackprop):
        # A weak reference: the recipe owns these steps, and a cycle would keep a finished run's
        # tensors alive until Python's cycle collector happens to run (sweeps in one process slow down).
        self.algo, self.g, self.d = weakref.proxy(algo), g, d

    @classmethod
    def attach(cls, algo) -> "MLPSteps | None":
        cfg = algo.cfg
        if not cfg.train.manual_backward or cfg.train.precision != "fp32" or algo.gp_weight or algo.stab.augment:
            return None
        g, d = MLPBackprop.of(algo.nets["G"]), MLPBackprop.of(algo.nets["D"])
        if g is None or d is None or (algo.r1_gamma and not d.piecewise_linear):
            return None
        return cls(algo, g, d)

    # ------------------------------------------------------------------ helpers
    def _update(self, name: str) -> None:
        """The gradients are in `.grad` already: step, then what follows every update of D."""
        self.algo.opt[name].step()
        if name == "D":
            self.algo.stab.after_d_update()

    def _d_backward(self, tape: Tape, grad_out: Tensor, real_rows: int, r1_weight: float) -> Tensor | None:
        """D's parameter gradients of the loss (∂loss/∂logits given) plus lazy R1 on the first
        `real_rows` samples; returns ∇ₓD on them when R1 ran (for its logged value)."""
        self.algo.opt["D"].zero_grad(set_to_none=True)
        self.d.backward(tape, grad_out)
        if r1_weight:
            return self.d.r1_backward(tape, real_rows, r1_weight)
        return None

    def _r1_weight(self, n_real: int) -> float:
        """R1 = k γ/2 · mean_i ‖∇ₓD(x_i)‖² = (k γ / (2N)) Σ_i ‖∇ₓD(x_i)‖², k the lazy factor (or 0)."""
        algo = self.algo
        k = lazy_scale(algo.stab.d_updates, algo.r1_every) if algo.r1_gamma else 0
        return k * algo.r1_gamma / (2.0 * n_real) if k else 0.0

    # ------------------------------------------------------------------ D step
    @torch.no_grad()
    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        algo, t, loss = self.algo, self.algo.cfg.train, self.algo.loss
        real = batch["real"]
        n_real, n_fake = len(real), t.fake_batch_size or len(real)
        z = batch.get("z")
        fake = self.g.forward(algo.latent(n_fake) if z is None else z)[0]
        real_in, fake_in = algo.stab.d_view(real), algo.stab.d_view(fake)
        label, scale = algo.cfg.loss.real_label, algo.cfg.loss.d_scale
        r1_weight = self._r1_weight(n_real)
        if algo.split:  # two updates: first on real (with R1), then on fake
            out_real, tape = self.d.forward(real_in)
            grad_x = self._d_backward(tape, loss.d_real_grad(out_real, label) * (scale / n_real), n_real, r1_weight)
            self._update("D")
            out_fake, tape = self.d.forward(fake_in)
            self._d_backward(tape, loss.d_fake_grad(out_fake) * (scale / n_fake), 0, 0.0)
            self._update("D")
        elif algo.joint_forward:  # one forward over [real; fake] (no BatchNorm in D to mix them), one update
            out, tape = self.d.forward(torch.cat([real_in, fake_in]))
            out_real, out_fake = out.split([n_real, n_fake])
            grad = torch.cat([loss.d_real_grad(out_real, label) * (scale / n_real),
                              loss.d_fake_grad(out_fake) * (scale / n_fake)])
            grad_x = self._d_backward(tape, grad, n_real, r1_weight)
            self._update("D")
        else:  # BatchNorm in D: real and fake batches are normalised apart, gradients summed, one update
            (out_real, tape_real), (out_fake, tape_fake) = self.d.forward(real_in), self.d.forward(fake_in)
            grad_x = self._d_backward(tape_real, loss.d_real_grad(out_real, label) * (scale / n_real), n_real, r1_weight)
            self.d.backward(tape_fake, loss.d_fake_grad(out_fake) * (scale / n_fake))
            self._update("D")
        algo.stab.count_d_step()
        if not algo.want_stats:
            return {}
        stats = d_output_stats(out_real, out_fake, loss.probabilistic)
        stats["d_loss"] = scale * (loss.d_real(out_real, label) + loss.d_fake(out_fake))
        if grad_x is not None:  # the penalty's value: k γ/2 · mean ‖∇ₓD‖²
            stats["r1"] = r1_weight * grad_x.pow(2).sum()
        return stats

    # ------------------------------------------------------------------ G step
    @torch.no_grad()
    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        algo = self.algo
        n = algo.cfg.train.g_batch_size or len(batch["real"])
        z = batch.get("z")
        fake, tape_g = self.g.forward(algo.latent(n) if z is None else z)
        out, tape_d = self.d.forward(algo.stab.d_view(fake))  # instance noise: x + σε, ∂x/∂fake = 1
        grad_fake = self.d.backward(tape_d, algo.loss.g_grad(out) * (1.0 / len(out)), params=False, inputs=True)
        algo.opt["G"].zero_grad(set_to_none=True)
        self.g.backward(tape_g, grad_fake)
        self._update("G")
        algo.stab.after_g_update()
        return {"g_loss": algo.loss.g(out)} if algo.want_stats else {}

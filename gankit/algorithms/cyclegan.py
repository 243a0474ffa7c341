"""CycleGAN (Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks").

Unpaired data: images A of one domain and B of another, no partners. Two generators, G: A -> B and
F: B -> A (ResNet generators, gankit/models/resnet_translator.py), and two PatchGAN discriminators,
D_B (net "D": judges B, the target domain) and D_A (net "D_A"). Full objective (eq. 3):
    L = L_GAN(G, D_B) + L_GAN(F, D_A) + λ L_cyc(G, F),   λ = 10 (loss.cycle_weight; sec. 4: λ = 10 in eq. 3)
    L_cyc = E_a |F(G(a)) - a|_1 + E_b |G(F(b)) - b|_1        (eq. 2; mean per pixel, normalised units)
Least-squares adversarial loss (sec. 4, "Training details", after Mao et al. 2017), mean over D's patches:
    D_B minimises ((D_B(b) - 1)^2 + D_B(G(a))^2) / 2      (halved: sec. 4, "we divide the objective by 2
    G   minimises (D_B(G(a)) - 1)^2                         while optimizing D")      (likewise F, D_A)
Identity loss (sec. 5.2, painting -> photo, after Taigman et al. 2017): generators leave images that
already belong to their output domain unchanged:
    L_idt = λ_idt λ (E_b |G(b) - b|_1 + E_a |F(a) - a|_1),  λ_idt = 0.5 (loss.identity_weight; appendix 7.1).
loss.identity_weight: 0 turns it off; it needs images of one channel count in both domains.
History of fakes (sec. 4, after Shrivastava et al. 2017): D sees a fake from a pool of the last 50
generated images half the time (ImagePool below), which damps oscillation. The pools are buffers of
the nets "pool_B" and "pool_A", saved in checkpoints; their random choices come from torch's global
generator, which the trainer checkpoints, so a resumed run equals an uninterrupted one.
Steps: the trainer runs d_step, then g_step. The D step translates its batch without gradients
(instance norm makes G's output per image independent of the batch), passes the fakes through the
pools and updates D_B and D_A; the G step updates G and F together on all the generator terms. (The
authors' code updates G first and reuses those fakes for D: the same objective, half a step apart.)
Optimiser (sec. 4): Adam lr 2e-4, β = (0.5, 0.999); constant for the first half, then linear decay to 0
(train.lr_decay: linear, lr_decay_start: 0.5 in the preset). F uses optim.g, D_A optim.d.
Logged: d_loss (D_B), d_a_loss, d_real / d_fake (D_B's mean output: 1 = real, 0 = fake under the
least-squares coding), g_loss and f_loss (adversarial terms alone), cycle and identity (before λ);
at evaluations the hooks' eval_acc_real / eval_acc_fake threshold D_B at 1/2 (d_logits), and
`cycle_scores()` gives cycle_l1 on held-out sources.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from gankit.algorithms.base import Algorithm, Batch, frozen, make_optimizer, unwrap
from gankit.algorithms.translation import Translator
from gankit.errors import GankitError
from gankit.models.resnet_translator import PatchDiscriminator, ResnetGenerator
from gankit.registry import ALGORITHMS

POOL_SIZE = 50  # fakes kept for D (Zhu et al. 2017, sec. 4: a buffer of the 50 previously generated images)


class ImagePool(nn.Module):
    """The last `size` generated images (Shrivastava et al. 2017, sec. 2.3), as buffers.

    query(fakes): while the pool is not full each fake is stored and returned as it is; once full,
    each fake is, with probability 1/2, swapped with a stored image chosen uniformly (the stored one is
    returned, the fake takes its place), else returned as it is. Always n uniform draws and n slot
    draws from torch's global CPU generator, whatever the pool holds, so the random streams advance
    alike on every device and the trainer's RNG checkpoint covers the choices."""

    def __init__(self, size: int, shape):
        super().__init__()
        self.register_buffer("images", torch.zeros(size, *shape))          # (size, C, H, W), normalised
        self.register_buffer("count", torch.zeros((), dtype=torch.long))   # images stored so far (<= size)

    def query(self, fakes: Tensor) -> Tensor:
        """(n, C, H, W) fakes -> (n, C, H, W) images for D: fakes or earlier fakes."""
        assert fakes.shape[1:] == self.images.shape[1:], (fakes.shape, self.images.shape)
        n, size = len(fakes), len(self.images)
        swap = (torch.rand(n) < 0.5).tolist()      # CPU draws: no device sync, the same on any device
        slots = torch.randint(max(size, 1), (n,)).tolist()
        if size == 0:
            return fakes
        out, count = fakes.detach().clone(), int(self.count)
        for i in range(n):  # in order: a slot chosen twice in one batch returns the fake stored first
            if count < size:
                self.images[count] = fakes[i].detach()
                count += 1
            elif swap[i]:
                j = slots[i]
                out[i] = self.images[j]
                self.images[j] = fakes[i].detach()
        self.count.fill_(count)
        return out

    def forward(self, *args):  # a container of buffers: never called
        raise RuntimeError("ImagePool holds buffers; use query()")


def least_squares_d(out_real: Tensor, out_fake: Tensor) -> Tensor:
    """((D(real) - 1)^2 + D(fake)^2) / 2, each term the mean over examples and patches."""
    return 0.5 * ((out_real - 1).pow(2).mean() + out_fake.pow(2).mean())


def least_squares_g(out_fake: Tensor) -> Tensor:
    """(D(G(a)) - 1)^2, the mean over examples and patches."""
    return (out_fake - 1).pow(2).mean()


def l1(x: Tensor, y: Tensor) -> Tensor:
    return (x - y).abs().mean()


@ALGORITHMS.register("cyclegan", "CycleGAN: unpaired translation, G: A->B and F: B->A with cycle consistency "
                                 "(Zhu et al. 2017)")
class CycleGAN(Translator, Algorithm):
    def __init__(self, cfg, info):
        self.cfg, self.info = cfg, info
        self.setup_translation(paired=False, arch="resnet-translator", arch_help="ResNet generators and PatchGAN "
                               "discriminators (options: g.options.width, blocks; d.options.width, d_layers)")
        loss = cfg.loss
        self.cycle_weight, self.identity_weight = loss.cycle_weight, loss.identity_weight * loss.cycle_weight
        c_a, c_b = self.source.shape[0], info.shape[0]
        if self.identity_weight and c_a != c_b:
            raise GankitError(f"config key 'loss.identity_weight' is {loss.identity_weight}: the identity loss "
                              f"compares G(b) with b, but domain A has {c_a} channel(s) and B {c_b}; set it to 0")
        super().__init__(cfg, info)

    def build_nets(self) -> dict[str, nn.Module]:
        model, c_a, c_b = self.cfg.model, self.source.shape[0], self.info.shape[0]
        return {"G": ResnetGenerator(c_a, c_b, model.g), "F": ResnetGenerator(c_b, c_a, model.g),
                "D": PatchDiscriminator(c_b, model.d), "D_A": PatchDiscriminator(c_a, model.d),
                "bank": self.make_bank(),
                "pool_B": ImagePool(POOL_SIZE, self.info.shape), "pool_A": ImagePool(POOL_SIZE, self.source.shape)}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        # One optimizer per net, so checkpoints and the trainer's lr decay find each by name. Adam's
        # update is per parameter, so separate G and F optimizers step exactly as the authors' joint one.
        optim = self.cfg.optim
        self.opt = {name: make_optimizer(self.nets[name].parameters(), cfg, key) for name, cfg, key in (
            ("G", optim.g, "optim.g"), ("F", optim.g, "optim.g"), ("D", optim.d, "optim.d"),
            ("D_A", optim.d, "optim.d"))}
        return self.opt

    @torch.no_grad()
    def d_logits(self, source: Tensor, image: Tensor) -> Tensor:
        """D_B(image) - 1/2 for the hooks' accuracy, which thresholds at 0: least squares codes fake 0 and
        real 1, so 1/2 is D's decision boundary (D judges the image alone: source is not used)."""
        return unwrap(self.nets["D"])(image) - 0.5

    @staticmethod
    def _domains(batch: Batch) -> tuple[Tensor, Tensor]:
        if "source" not in batch:
            raise GankitError("cyclegan: the batch has no 'source' images; expected translation data")
        return batch["source"], batch["real"]

    def _update(self, names: tuple[str, ...], loss: Tensor) -> None:
        for name in names:
            self.opt[name].zero_grad(set_to_none=True)
        loss.backward()
        for name in names:
            self.opt[name].step()

    # ---------------------------------------------------------------- D step
    def d_step(self, batch: Batch) -> dict[str, Tensor]:
        a, b = self._domains(batch)  # (N, C_A, H, W), (N, C_B, H, W), unpaired
        with torch.no_grad():  # D's updates only: no graph through the generators
            fake_b, fake_a = unwrap(self.nets["G"])(a), unwrap(self.nets["F"])(b)
        fake_b = unwrap(self.nets["pool_B"]).query(fake_b)
        fake_a = unwrap(self.nets["pool_A"]).query(fake_a)
        losses, outputs = {}, {}
        for name, real, fake in (("D", b, fake_b), ("D_A", a, fake_a)):
            # One forward over [real; fake]: instance norm keeps examples apart, so it is the same maths.
            out_real, out_fake = self.nets[name](torch.cat([real, fake])).split([len(real), len(fake)])
            losses[name] = least_squares_d(out_real, out_fake)
            outputs[name] = (out_real, out_fake)
            self._update((name,), losses[name])
        if not self.want_stats:
            return {}
        out_real, out_fake = outputs["D"]
        return {"d_loss": losses["D"].detach(), "d_a_loss": losses["D_A"].detach(),
                "d_real": out_real.detach().float().mean(), "d_fake": out_fake.detach().float().mean()}

    # ---------------------------------------------------------------- G step
    def g_step(self, batch: Batch) -> dict[str, Tensor]:
        a, b = self._domains(batch)
        G, F = self.nets["G"], self.nets["F"]
        n = len(a)
        fake_b, fake_a = G(a), F(b)
        # Second passes batched: G(F(b)) with the identity G(b), F(G(a)) with F(a) (per-image norm: same maths).
        with_identity = bool(self.identity_weight)
        if with_identity:
            rec_b, idt_b = G(torch.cat([fake_a, b])).split([n, n])
            rec_a, idt_a = F(torch.cat([fake_b, a])).split([n, n])
        else:
            rec_b, rec_a = G(fake_a), F(fake_b)
        D_B, D_A = unwrap(self.nets["D"]), unwrap(self.nets["D_A"])  # no D gradients here, nor their all-reduce
        with frozen(D_B), frozen(D_A):
            adv_g, adv_f = least_squares_g(D_B(fake_b)), least_squares_g(D_A(fake_a))
        cycle = l1(rec_a, a) + l1(rec_b, b)  # eq. 2
        total = adv_g + adv_f + self.cycle_weight * cycle
        stats = {"g_loss": adv_g.detach(), "f_loss": adv_f.detach(), "cycle": cycle.detach()}
        if with_identity:
            identity = l1(idt_b, b) + l1(idt_a, a)
            total = total + self.identity_weight * identity
            stats["identity"] = identity.detach()
        self._update(("G", "F"), total)
        return stats

    # ---------------------------------------------------------------- back to A, and what a user checks
    @torch.no_grad()
    def translate_back(self, images: Tensor) -> Tensor:
        """F(b): target-domain images (N, C_B, H, W) -> source domain, normalised; F in eval mode."""
        F = unwrap(self.nets["F"])
        was = F.training
        F.eval()
        try:
            return F(images.to(self.device)).float()
        finally:
            F.train(was)

    @torch.no_grad()
    def cycle_scores(self, chunk: int = 250) -> dict[str, float]:
        """cycle_l1: mean |F(G(a)) - a| / 255 over the bank's held-out sources, in pixels (0 = F undoes G
        exactly, 1 = inverted): whether the translation keeps what identifies its input (sec. 3.2)."""
        total, count, size = 0.0, 0, len(unwrap(self.nets["bank"]).source)
        for start in range(0, size, chunk):
            a = self.bank_sources(min(chunk, size - start), start)
            back = self.translate_back(self.sample(len(a), source=a))
            diff = self.source.denormalize(back).clamp(0, 255) - self.source.denormalize(a)  # data units 0..255
            total, count = total + float(diff.abs().sum()) / 255.0, count + diff.numel()
        return {"cycle_l1": total / max(count, 1)}

    def extra_figures(self, step: int, directory) -> None:
        """samples/cycle_<step>.png at each evaluation: rows of a | G(a) | F(G(a)) for the first
        eval.grid bank sources, 4 triples a row (the hooks' samples figure shows a | G(a))."""
        from gankit.viz.grid import save_image_grid

        n = min(self.cfg.eval.grid, len(unwrap(self.nets["bank"]).source))
        if n == 0:
            return
        a = self.bank_sources(n)
        fake = self.sample(n, source=a)
        columns = [self.source.denormalize(a), self.info.denormalize(fake),
                   self.source.denormalize(self.translate_back(fake))]
        shown = [(c / 255.0).clamp(0, 1).cpu() for c in columns]  # image data units are 0..255
        if len({c.shape[1] for c in shown}) > 1:  # greyscale next to colour: all as RGB
            shown = [c.expand(-1, 3, -1, -1) if c.shape[1] == 1 else c for c in shown]
        cells = torch.stack(shown, dim=1).flatten(0, 1)  # (3n, C, H, W): a, G(a), F(G(a)), ...
        save_image_grid(cells.numpy(), Path(directory) / "samples" / f"cycle_{step:06d}.png", nrow=12, scale=2)

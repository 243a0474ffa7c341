"""Conditional GAN (Mirza & Osindero 2014): G and D both see the class label.

G(z, y) makes an example of class y; D(x, y) judges whether x is a real example OF CLASS y, by
projection (Miyato & Koyama 2018, the default) or by concatenation (`model.cond.d_mode`); see
gankit/models/conditional.py. Any adversarial loss and any penalty of `gan` applies.
Fakes in a D step carry the labels of the real batch (same class mix on both sides, and the
gradient penalty interpolates between a real and a fake of the same class); in a G step the real
batch's labels again when the sizes match, else uniform random labels.
Sampling: `sample(n, label=k)` gives n examples of class k, `sample(n)` cycles through the classes.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gankit.algorithms.base import Batch, unwrap
from gankit.algorithms.gan import GAN, Context
from gankit.errors import GankitError
from gankit.models.conditional import build_conditional, cycling_labels
from gankit.registry import ALGORITHMS


def labels_for(label, n: int, num_classes: int, device: torch.device) -> Tensor:
    """`label` as (n,) class indices: an int (all the same), a sequence / tensor of n, or None (cycling)."""
    if label is None:
        return cycling_labels(n, num_classes, device)
    y = torch.as_tensor(label, device=device).long().reshape(-1)
    if y.numel() == 1:
        y = y.expand(n)
    if y.numel() != n:
        raise GankitError(f"label: expected one class or {n} of them, got {y.numel()}")
    if int(y.min()) < 0 or int(y.max()) >= num_classes:
        raise GankitError(f"label must be a class index in 0..{num_classes - 1}, got {y.unique().tolist()}")
    return y


class ConditionalMixin:
    """Labels in, labels out: shared by cgan and acgan."""
    num_classes: int

    def _require_labels(self, cfg, info) -> None:
        name = cfg.train.algorithm
        if not info.num_classes:
            raise GankitError(f"train.algorithm '{name}' needs labelled data (data '{info.name}' has no classes); "
                              "use an image dataset with labels, or an unconditional algorithm")
        if cfg.reg.pack > 1:
            raise GankitError(f"config key 'reg.pack': PacGAN packing does not combine with '{name}' "
                              "(a pack would mix classes); set reg.pack to 1")
        self.num_classes = info.num_classes

    def real_context(self, batch: Batch) -> Context:
        if "label" not in batch:
            raise GankitError(f"train.algorithm '{self.cfg.train.algorithm}': the data gave no labels")
        return batch["label"]

    def generate(self, n: int, batch: Batch, z: Tensor | None, grad: bool) -> tuple[Tensor, Context]:
        z = self.latent(n) if z is None else z
        y = batch.get("label")
        if y is None or len(y) != n:
            y = torch.randint(self.num_classes, (n,), device=z.device)
        if not grad:
            with torch.no_grad():
                return unwrap(self.nets["G"])(z, y), y
        return self.nets["G"](z, y), y

    @torch.no_grad()
    def sample(self, n: int, z: Tensor | None = None, label=None, **cond) -> Tensor:
        if any(v is not None for v in cond.values()):
            raise GankitError(f"'{self.cfg.train.algorithm}' samples by label only; got {', '.join(cond)}")
        z = self.latent(n) if z is None else z.to(self.device)
        return self.run_generator(z, labels_for(label, n, self.num_classes, self.device))

    @torch.no_grad()
    def sample_per_class(self, per_class: int, seed: int = 0) -> Tensor:
        """(K·per_class, *shape): row k holds class k; column j uses the same noise in every row."""
        z = self.latent_on_cpu(per_class, torch.Generator().manual_seed(seed)).to(self.device)
        z = z.repeat(self.num_classes, 1)  # (K·per_class, latent)
        y = torch.arange(self.num_classes, device=self.device).repeat_interleave(per_class)
        return self.sample(len(z), z=z, label=y)

    def extra_figures(self, step: int, directory) -> None:
        """Per-class samples at each evaluation (called by the training hooks)."""
        from gankit.viz.conditional import per_class_figure

        per_class_figure(self, step, directory)


@ALGORITHMS.register("cgan", "conditional GAN: class label to G and D (projection or concat)")
class CGAN(ConditionalMixin, GAN):
    plain_d = False

    def __init__(self, cfg, info):
        self._require_labels(cfg, info)
        super().__init__(cfg, info)

    def build_nets(self) -> dict[str, nn.Module]:
        cfg = self.cfg
        return build_conditional(self.model_config(), tuple(self.info.shape), self.num_classes,
                                 cfg.model.cond.d_mode, cfg.reg.minibatch_std)

    def discriminate(self, D: nn.Module, x: Tensor, ctx: Context, with_aux: bool = True):
        return D(x, ctx), None

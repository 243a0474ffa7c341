"""The stabilising switches every GAN recipe shares (config section `reg`, plus `train.augment`).

  DiffAugment        the same differentiable augmentation of every D input (gankit/augment.py)
  instance noise     N(0, σ_t² I) added to every D input, σ_t = σ₀ · max(0, 1 - t / T) over D updates t
                     (Sønderby et al. 2017; Arjovsky & Bottou 2017): the real and fake distributions
                     overlap, so D cannot separate them perfectly early on
  weight clipping    D's parameters into [-c, c] after each update (Arjovsky et al. 2017)
  EMA of G           a frozen copy "G_ema", θ_ema <- β θ_ema + (1 - β) θ after each G update,
                     buffers (BatchNorm statistics) copied; sampling uses it (Karras et al. 2018;
                     Yazıcı et al. 2019)
State that must survive a resume (the D-update count behind the noise schedule and lazy R1) is a
buffer of a tiny module in `nets` ("counters"), so checkpoints save it by name like any weight.
"""
from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from gankit.algorithms.base import unwrap
from gankit.augment import DiffAugment
from gankit.config import Config
from gankit.data.source import DataInfo
from gankit.errors import GankitError
from gankit.penalties import clip_weights_


class UpdateCounter(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("d_updates", torch.zeros((), dtype=torch.long))


def make_ema(G: nn.Module) -> nn.Module:
    """A frozen copy of G: never given to an optimizer, never wrapped for DDP."""
    ema = copy.deepcopy(G)
    for p in ema.parameters():
        p.requires_grad_(False)
    return ema


def ema_pairs(ema: nn.Module, net: nn.Module) -> tuple[list, list, list]:
    """(EMA parameters, G's parameters, buffer pairs): what an EMA update touches, listed once."""
    return list(ema.parameters()), list(net.parameters()), list(zip(ema.buffers(), net.buffers()))


@torch.no_grad()
def ema_update_(ema: nn.Module, net: nn.Module, beta: float, pairs: tuple | None = None) -> None:
    """θ_ema <- β θ_ema + (1 - β) θ for every parameter; buffers are copied as they are.
    `pairs` (from ema_pairs) saves walking both module trees on every update (~50 us on a toy MLP)."""
    ema_params, params, buffers = pairs or ema_pairs(ema, net)
    # lerp: a + w (b - a) = (1 - w) a + w b, w = 1 - β; one multi-tensor call instead of one per parameter
    torch._foreach_lerp_(ema_params, params, 1.0 - beta)
    for b_ema, b in buffers:
        b_ema.copy_(b)


def noise_sigma(sigma0: float, update: int, total: int) -> float:
    """Linear annealing σ₀ -> 0 over `total` D updates, then 0."""
    return sigma0 * max(0.0, 1.0 - update / total)


class Stabilisers:
    def __init__(self, cfg: Config, info: DataInfo, nets: dict[str, nn.Module], clip: float, count_updates: bool):
        reg = cfg.reg
        self.nets, self.clip, self.ema_beta = nets, clip, reg.ema_beta
        self.augment = DiffAugment(cfg.train.augment)
        if self.augment and info.kind != "image":
            raise GankitError(f"config key 'train.augment': DiffAugment works on images; this data is "
                              f"{info.kind} data of shape {info.shape} (set train.augment to \"\")")
        self.noise0 = reg.instance_noise
        self.noise_steps = reg.instance_noise_steps or cfg.train.steps * cfg.train.d_steps
        if self.ema_beta > 0:
            nets["G_ema"] = make_ema(nets["G"])
        if count_updates or self.noise0 > 0:
            nets["counters"] = UpdateCounter()
        self._count: int | None = None  # host copy of the counter, read once after a possible resume
        self._ema_pairs: tuple | None = None  # listed at the first update, after the trainer's wrapping

    @property
    def d_updates(self) -> int:
        """D updates made so far (0 without a counter)."""
        if "counters" not in self.nets:
            return 0
        if self._count is None:
            self._count = int(unwrap(self.nets["counters"]).d_updates)
        return self._count

    def d_view(self, x: Tensor) -> Tensor:
        """What D is shown of a batch (real or fake): augmented, then noised."""
        if self.augment:
            x = self.augment(x)
        if self.noise0 > 0:
            sigma = noise_sigma(self.noise0, self.d_updates, self.noise_steps)
            if sigma > 0:
                x = x + sigma * torch.randn_like(x)
        return x

    def after_d_update(self) -> None:
        """After every optimizer step of D (two per D step with train.d_update: split)."""
        if self.clip > 0:
            clip_weights_(unwrap(self.nets["D"]), self.clip)

    def count_d_step(self) -> None:
        if "counters" in self.nets:
            self._count = self.d_updates + 1
            unwrap(self.nets["counters"]).d_updates.add_(1)

    def after_g_update(self) -> None:
        if self.ema_beta > 0:
            ema, net = unwrap(self.nets["G_ema"]), unwrap(self.nets["G"])
            if self._ema_pairs is None:  # Parameter objects: Module.to() keeps them (it swaps their .data)
                self._ema_pairs = ema_pairs(ema, net)
            ema_update_(ema, net, self.ema_beta, self._ema_pairs)

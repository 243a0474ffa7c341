"""The algorithm interface: which networks, how they are optimised, what one D and one G step do.

The trainer only ever calls `optimizers()`, `d_step(batch)`, `g_step(batch)` and `sample(n)`, so a
new GAN recipe is one subclass in its own file plus one registry line. Steps perform their own
updates (zero_grad -> backward -> optimizer.step) because recipes differ in how many updates a step
makes (Keras-style split real/fake D updates, critic clipping, lazy penalties).
Steps return detached tensors for logging; they never call `.item()` (that would sync the device).
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch
from torch import Tensor, nn

from gankit.config import Config, OptimizerConfig
from gankit.data.source import DataInfo
from gankit.algorithms.lean_adam import LeanAdam
from gankit.errors import GankitError
from gankit.registry import ARCHITECTURES

Batch = dict[str, Tensor]  # "real" (N, *shape), optional "label" (N,), optional "z" (N, latent)


def unwrap(net: nn.Module) -> nn.Module:
    """The plain module under DistributedDataParallel / torch.compile wrappers."""
    while True:
        inner = getattr(net, "module", None) or getattr(net, "_orig_mod", None)
        if inner is None:
            return net
        net = inner


def make_optimizer(params, cfg: OptimizerConfig, key: str) -> torch.optim.Optimizer:
    """Same update rule as the textbook optimizer; the multi-tensor ("foreach") or single-kernel
    ("fused", stepped by LeanAdam) implementations only cut per-parameter Python and kernel-launch
    overhead, which dominates for small networks (benchmarks/RESULTS.md, "Speed")."""
    params = [p for p in params if p.requires_grad]
    if cfg.name == "adam" and _fused_ok(params):  # the fused kernel, without torch's per-step Python
        return LeanAdam(params, lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps, weight_decay=cfg.weight_decay)
    if cfg.name == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps, weight_decay=cfg.weight_decay,
                                foreach=True)
    if cfg.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, alpha=cfg.alpha, eps=cfg.eps, momentum=cfg.momentum,
                                   weight_decay=cfg.weight_decay, foreach=True)
    if cfg.name == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, foreach=True)
    raise GankitError(f"config key '{key}.name': unknown optimizer '{cfg.name}'; expected one of: adam, rmsprop, sgd")


def _fused_ok(params) -> bool:
    """Fused Adam exists for floating-point parameters on CPU and CUDA (not MPS)."""
    return bool(params) and all(p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in params)


@contextlib.contextmanager
def frozen(net: nn.Module) -> Iterator[None]:
    """No parameter gradients for `net` inside (G's update needs gradients through D, not of D)."""
    params = list(net.parameters())  # one walk of the module tree (it is most of this function's cost)
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


def has_batchnorm(net: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in net.modules())


class Algorithm:
    """Base recipe with a generator "G" and a discriminator "D"."""

    def __init__(self, cfg: Config, info: DataInfo):
        self.cfg, self.info = cfg, info
        self.nets: dict[str, nn.Module] = self.build_nets()
        self.opt: dict[str, torch.optim.Optimizer] = {}
        self.want_stats = True  # the trainer sets this False on steps it will not log (saves small ops)

    # -- set-up ---------------------------------------------------------------------------------
    def build_nets(self) -> dict[str, nn.Module]:
        """The networks of the configured architecture (recipes override to wrap or add nets)."""
        build = ARCHITECTURES.get(self.cfg.model.arch, "model.arch")
        return build(self.cfg.model, tuple(self.info.shape), self.info.num_classes)

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        self.opt = {
            "G": make_optimizer(self.nets["G"].parameters(), self.cfg.optim.g, "optim.g"),
            "D": make_optimizer(self.nets["D"].parameters(), self.cfg.optim.d, "optim.d"),
        }
        return self.opt

    def differentiated_twice(self) -> set[str]:
        """Networks whose gradients are themselves differentiated (gradient penalties: create_graph=True).
        torch.compile's backward graphs support no double backward, so the trainer leaves these eager."""
        return set()

    @property
    def device(self) -> torch.device:
        # One parameter, kept: Module.to() moves parameters in place (same objects), and walking the
        # module tree on every latent draw costs more than the draw on a toy MLP.
        first = getattr(self, "_first_param", None)
        if first is None:
            first = self._first_param = next(self.nets["G"].parameters())
        return first.device

    def latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """(n, latent_dim) noise: N(0, I) or U(-1, 1) (seed 004)."""
        shape, dev = (n, self.cfg.model.latent_dim), self.device
        if generator is not None and generator.device != dev:  # fixed noise is drawn on the CPU
            return self.latent_on_cpu(n, generator).to(dev)
        if self.cfg.model.latent == "uniform":
            return torch.rand(shape, device=dev, generator=generator) * 2 - 1
        return torch.randn(shape, device=dev, generator=generator)

    def latent_on_cpu(self, n: int, generator: torch.Generator) -> Tensor:
        shape = (n, self.cfg.model.latent_dim)
        if self.cfg.model.latent == "uniform":
            return torch.rand(shape, generator=generator) * 2 - 1
        return torch.randn(shape, generator=generator)

    # -- the two phases -------------------------------------------------------------------------
    def d_step(self, batch: Batch) -> dict[str, Tensor]:
        raise NotImplementedError

    def g_step(self, batch: Batch) -> dict[str, Tensor]:
        raise NotImplementedError

    # -- sampling -------------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, z: Tensor | None = None, **cond) -> Tensor:
        """n samples in normalised units; G in eval mode (BatchNorm uses its running statistics)."""
        given = sorted(k for k, v in cond.items() if v is not None)
        if given:
            raise GankitError(f"algorithm '{self.cfg.train.algorithm}' is unconditional: it cannot sample with "
                              f"{', '.join(given)} (conditional algorithms: cgan, acgan, infogan)")
        z = self.latent(n) if z is None else z.to(self.device)
        return self.run_generator(z)

    def run_generator(self, *inputs: Tensor) -> Tensor:
        """G's output in eval mode; the EMA copy "G_ema" when the run keeps one (reg.ema_beta)."""
        G = unwrap(self.nets.get("G_ema", self.nets["G"]))
        was_training = G.training
        G.eval()
        try:
            return G(*inputs).float()
        finally:
            G.train(was_training)

"""What every image-to-image recipe (pix2pix, cyclegan) shares: the translation data check, the bank of
held-out source images kept with the nets, `sample` as G(A), and D's accuracy on (source, image) pairs.

Contract (docs/design.md, "Image-to-image translation"): batches are {"real": B, "source": A};
`info.extra["source"]` = {"shape", "shift", "scale", "paired", "bank"} describes domain A; G maps A
(N, C_A, H, W) to B (N, C_B, H, W), both normalised. `sample(n, z=None, source=None)`: G(source), or
G of the first n images of the bank (cycling past its end); z is accepted and ignored, because a
translator's only noise is dropout, which is off when sampling (so `sample` is deterministic, as
hooks, `generate` and `evaluate` expect of a given z).
"""
from __future__ import annotations

import torch
from torch import Tensor

from gankit.algorithms.base import unwrap
from gankit.data.source import DataInfo
from gankit.errors import GankitError
from gankit.models.translation import SourceBank

TRANSLATION_DATA = ("fashion-edges2items (paired), fashion-unpaired (two classes), or data.path with "
                    "data.translation: paired (A|B side by side) / unpaired (trainA/, trainB/)")


def source_info(info: DataInfo, algorithm: str, paired: bool) -> DataInfo:
    """Domain A's DataInfo, from the target's `info.extra["source"]`; a one-line error for other data."""
    src = info.extra.get("source") if isinstance(info.extra, dict) else None
    if info.kind != "image" or not isinstance(src, dict) or "shape" not in src:
        raise GankitError(f"train.algorithm '{algorithm}' translates images A -> B and needs translation data; "
                          f"data '{info.name}' is not (expected {TRANSLATION_DATA})")
    if paired and not src.get("paired"):
        raise GankitError(f"train.algorithm '{algorithm}' needs paired data (row i of A is the partner of row i "
                          f"of B); data '{info.name}' is unpaired: use cyclegan, or paired data ({TRANSLATION_DATA})")
    if list(src["shape"][1:]) != list(info.shape[1:]):
        raise GankitError(f"data '{info.name}': source images are {src['shape']} and targets {info.shape}; "
                          "expected the same height and width")
    return DataInfo(name=f"{info.name} (source)", kind="image", shape=list(src["shape"]), shift=list(src["shift"]),
                    scale=list(src["scale"]), extra={"paired": bool(src.get("paired")), "bank": int(src.get("bank", 0))})


# Penalties and stabilisers of the other recipes that the translators do not implement: refused, not
# ignored. (Both steps use the batch's images: train.d_update, fake_batch_size and g_batch_size do not apply.)
UNSUPPORTED = {"reg.gp_weight": 0.0, "reg.r1_gamma": 0.0, "reg.clip": 0.0, "reg.instance_noise": 0.0,
               "reg.ema_beta": 0.0, "reg.pack": 1, "reg.minibatch_std": False, "train.augment": ""}


class Translator:
    """Mixin for image-to-image recipes; call `self.setup_translation(paired)` before building nets."""
    cfg: object
    info: DataInfo
    nets: dict

    def setup_translation(self, paired: bool, arch: str, arch_help: str) -> None:
        """Check the data and the config (a one-line error for each misfit), then describe domain A."""
        name = self.cfg.train.algorithm
        self.source = source_info(self.info, name, paired)
        self.paired = bool(self.source.extra["paired"])
        for key, default in UNSUPPORTED.items():
            section, field = key.split(".")
            value = getattr(getattr(self.cfg, section), field)
            if value != default:
                raise GankitError(f"config key '{key}' is {value!r}: {name} does not use it (expected {default!r})")
        if self.cfg.model.arch != arch:
            raise GankitError(f"config key 'model.arch' is '{self.cfg.model.arch}'; {name} builds its own "
                              f"{arch_help}: set model.arch: {arch}")

    def make_bank(self) -> SourceBank:
        return SourceBank(self.source.extra["bank"], self.source.shape, self.info.shape, self.paired)

    # ---------------------------------------------------------------- the bank
    def _bank_rows(self, n: int, start: int) -> Tensor:
        size = len(unwrap(self.nets["bank"]).source)
        if size == 0:
            raise GankitError(f"'{self.cfg.train.algorithm}': this run keeps no held-out source images "
                              "(data.bank is 0); pass source= images to sample")
        return (torch.arange(n) + start) % size  # the first n, cycling past the end

    def bank_sources(self, n: int, start: int = 0) -> Tensor:
        """(n, C_A, H, W) normalised source images: rows start, start + 1, ... of the bank (cycling)."""
        bank = unwrap(self.nets["bank"])
        return self.source.normalize(bank.source[self._bank_rows(n, start).to(bank.source.device)].float())

    def bank_targets(self, n: int, start: int = 0) -> Tensor | None:
        """(n, C_B, H, W) uint8 targets (data units) of bank_sources(n, start); None for unpaired data."""
        bank = unwrap(self.nets["bank"])
        if len(bank.target) == 0:
            return None
        return bank.target[self._bank_rows(n, start).to(bank.target.device)]

    # ---------------------------------------------------------------- sampling
    @torch.no_grad()
    def sample(self, n: int, z: Tensor | None = None, source: Tensor | None = None, **cond) -> Tensor:
        """G(A) in normalised target units, (n, *info.shape); z is ignored (module docstring)."""
        given = sorted(k for k, v in cond.items() if v is not None)
        if given:
            raise GankitError(f"'{self.cfg.train.algorithm}' translates source images; it cannot sample with "
                              f"{', '.join(given)}")
        if source is None:
            source = self.bank_sources(n)
        expected = tuple(self.source.shape)
        if not isinstance(source, Tensor) or source.dim() != 4 or tuple(source.shape[1:]) != expected:
            got = tuple(source.shape) if isinstance(source, Tensor) else type(source).__name__
            raise GankitError(f"sample: source must be (N, {', '.join(map(str, expected))}) normalised images, "
                              f"got {got}")
        return self.run_generator(source.to(self.device))

    @torch.no_grad()
    def d_logits(self, source: Tensor, image: Tensor) -> Tensor:
        """D's logits for (source, image) pairs; an unconditional D (cyclegan's) judges the image alone."""
        return unwrap(self.nets["D"])(image)

    @torch.no_grad()
    def d_accuracy(self, batch: dict[str, Tensor]) -> dict[str, float]:
        """D's accuracy (per patch for a PatchGAN) on a real batch and on G's translations of its
        sources, D in inference mode (the hooks' eval_acc_real / eval_acc_fake)."""
        D = unwrap(self.nets["D"])
        fake = self.sample(len(batch["source"]), source=batch["source"])
        was = D.training
        D.eval()
        try:
            out_real = self.d_logits(batch["source"], batch["real"]).float()
            out_fake = self.d_logits(batch["source"], fake).float()
        finally:
            D.train(was)
        return {"eval_acc_real": float((out_real > 0).float().mean()),
                "eval_acc_fake": float((out_fake < 0).float().mean())}

"""Every data source becomes a `DataSource`: batches of normalised tensors on the training device.

Two kinds: an endless sampler (toy distributions) and a finite in-memory tensor (tables, images).
Batches are random index draws (with replacement) made on the device from torch's global RNG:
no per-sample Python, no host->device copy per step, and a checkpoint of the RNG state makes
resumed runs exact. The normalisation applied is recorded (`info()`), so samples can be mapped
back to data units without the data (`denormalize`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor


@dataclass
class DataInfo:
    """What models, generation and plots need to know about the data, without the data."""
    name: str
    kind: str                       # "vector" | "image"
    shape: list[int]                # one example, e.g. [2] or [1, 28, 28]
    shift: list[float]              # data = normalised * scale + shift (per feature / per channel)
    scale: list[float]
    num_classes: int | None = None
    class_names: list[str] | None = None
    modes: list[list[float]] | None = None   # known mode centres in data units
    mode_std: float | None = None
    extra: dict = field(default_factory=dict)

    def origin(self) -> str:
        """Where the examples came from, for metric records: the loader's extra["source"] text, except for
        image-to-image data, whose extra["source"] describes domain A and extra["origin"] the files."""
        source = self.extra.get("source")
        return source if isinstance(source, str) else str(self.extra.get("origin", self.name))

    def _affine(self, x: Tensor) -> tuple[Tensor, Tensor]:
        shape = (1, -1) + (1,) * (x.dim() - 2)  # per feature (vectors) or per channel (images)
        shift = torch.tensor(self.shift, dtype=x.dtype, device=x.device).view(shape)
        scale = torch.tensor(self.scale, dtype=x.dtype, device=x.device).view(shape)
        return shift, scale

    def denormalize(self, x: Tensor) -> Tensor:
        shift, scale = self._affine(x)
        return x * scale + shift

    def normalize(self, x: Tensor) -> Tensor:
        shift, scale = self._affine(x)
        return (x - shift) / scale


class DataSource:
    info: DataInfo
    device: torch.device = torch.device("cpu")

    def batch(self, n: int) -> tuple[Tensor, Tensor | None]:
        """(x (n, *shape) normalised float32 on self.device, labels (n,) or None)."""
        raise NotImplementedError

    def to(self, device: torch.device) -> "DataSource":
        raise NotImplementedError

    def __len__(self) -> int:  # examples per epoch; samplers report a nominal size
        raise NotImplementedError


class SamplerSource(DataSource):
    """An endless toy distribution (gankit.data.toy), optionally normalised."""

    def __init__(self, sampler, info: DataInfo, epoch_size: int = 10_000):
        self.sampler, self.info, self.epoch_size = sampler, info, epoch_size
        self._shift = torch.tensor(info.shift)
        self._scale = torch.tensor(info.scale)
        # decided once, not per batch: raw data (the seeds' presets) skips the affine map entirely
        self._identity = all(v == 0.0 for v in info.shift) and all(v == 1.0 for v in info.scale)

    def to(self, device):
        self.device = torch.device(device)
        self._shift, self._scale = self._shift.to(device), self._scale.to(device)
        return self

    def batch(self, n):
        x = self.sampler.sample(n, device=self.device)
        if not self._identity:
            x = (x - self._shift) / self._scale
        return x, None

    def __len__(self):
        return self.epoch_size


class TensorSource(DataSource):
    """A finite dataset held in memory as one tensor (uint8 images or float vectors)."""

    def __init__(self, data: Tensor, labels: Tensor | None, info: DataInfo):
        self.data, self.labels, self.info = data, labels, info
        self._shift = torch.tensor(info.shift, dtype=torch.float32)
        self._scale = torch.tensor(info.scale, dtype=torch.float32)
        self._view = (1, -1) + (1,) * (data.dim() - 2)

    def to(self, device):
        self.device = torch.device(device)
        self.data = self.data.to(device)
        self.labels = self.labels.to(device) if self.labels is not None else None
        self._shift = self._shift.to(device).view(self._view)
        self._scale = self._scale.to(device).view(self._view)
        return self

    def batch(self, n):
        idx = torch.randint(len(self.data), (n,), device=self.device)
        x = (self.data[idx].float() - self._shift.view(self._view)) / self._scale.view(self._view)
        return x, (self.labels[idx] if self.labels is not None else None)

    def __len__(self):
        return len(self.data)

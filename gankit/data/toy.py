"""Toy distributions for GAN experiments, each knowing its modes when it has discrete ones.

Every draw comes from torch's GLOBAL RNG on the requested device (no numpy, no generator
argument), so a trainer that seeds and checkpoints torch's RNG state gets bit-identical,
resumable data. Each sampler draws its random tensors in a fixed order whatever its parameters.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, fields
from typing import Callable, ClassVar, TypeVar

import torch

from gankit.errors import GankitError

F32 = torch.float32


class ToySampler:
    """Base class: subclasses are dataclasses whose fields are the user-settable parameters."""

    name: ClassVar[str] = ""
    dim: int = 2  # width of one sample
    modes: torch.Tensor | None = None  # (K, dim) mode centres on CPU, or None if not discrete
    mode_std: float | None = None  # std of each mode ("high quality" = within 3 std of one)

    def sample(self, n: int, device: torch.device | str = "cpu") -> torch.Tensor:
        """Draw `n` samples, shape (n, dim), float32, on `device`."""
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise GankitError(f"{self.name}: sample count must be an integer >= 0, got {n!r}")
        out = self._draw(int(n), torch.device(device))
        assert out.shape == (n, self.dim) and out.dtype == F32, out.shape
        return out

    def _draw(self, n: int, device: torch.device) -> torch.Tensor:
        raise NotImplementedError

    def describe(self) -> dict:
        """JSON-serialisable name + parameters, for run configs."""
        return {"name": self.name, **{f.name: getattr(self, f.name) for f in fields(self)}}


SAMPLERS: dict[str, type[ToySampler]] = {}
S = TypeVar("S", bound=type[ToySampler])


def register(name: str) -> Callable[[S], S]:
    """Class decorator: file the sampler under `name` in SAMPLERS."""
    def add(cls: S) -> S:
        cls.name = name
        SAMPLERS[name] = cls
        return cls
    return add


def make_sampler(name: str, **params: object) -> ToySampler:
    """Build the sampler registered as `name`; parameters not given keep their defaults."""
    if not isinstance(name, str) or name not in SAMPLERS:
        raise GankitError(f"unknown toy distribution {name!r}; expected one of: {', '.join(SAMPLERS)}")
    cls = SAMPLERS[name]
    known = [f.name for f in fields(cls)]
    for key in params:
        if key not in known:
            raise GankitError(f"unknown parameter {key!r} for toy distribution {name!r}; "
                              f"expected one of: {', '.join(known)}")
    return cls(**params)


# --- parameter checks: one-line GankitError naming the sampler, the parameter and the rule ---

_RULES: dict[str, Callable[[float], bool]] = {"": lambda v: True, "> 0": lambda v: v > 0,
                                               ">= 0": lambda v: v >= 0}


def _real(owner: str, param: str, value: object, rule: str = "") -> float:
    """A finite real number obeying `rule` (one of _RULES)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not (ok and _RULES[rule](value)):
        raise GankitError(f"{owner}: {param} must be a finite number {rule}".rstrip() + f", got {value!r}")
    return float(value)


def _count(owner: str, param: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise GankitError(f"{owner}: {param} must be an integer >= 1, got {value!r}")
    return int(value)


def _reals(owner: str, param: str, values: object, rule: str = "") -> list[float]:
    if not isinstance(values, (list, tuple)) or not values:
        raise GankitError(f"{owner}: {param} must be a non-empty list of numbers, got {values!r}")
    return [_real(owner, f"{param}[{i}]", v, rule) for i, v in enumerate(values)]


def _gaussian_modes(modes: torch.Tensor, std: float, n: int, device: torch.device) -> torch.Tensor:
    """Equal-weight mixture: pick a centre uniformly, add N(0, std²) noise."""
    which = torch.randint(len(modes), (n,), device=device)
    return modes.to(device)[which] + std * torch.randn(n, modes.shape[1], device=device, dtype=F32)


# --- the samplers ---

@register("circle")
@dataclass
class Circle(ToySampler):
    """Seed system 000: `n_points` fixed points on a circle, drawn uniformly with replacement."""
    radius: float = 2.0
    n_points: int = 1001

    def __post_init__(self) -> None:
        self.radius = _real(self.name, "radius", self.radius, "> 0")
        self.n_points = _count(self.name, "n_points", self.n_points)
        # linspace includes both 0 and 2π (the same point twice), as the seed system did.
        angles = torch.linspace(0.0, 2 * math.pi, self.n_points, dtype=torch.float64)
        self._grid = (self.radius * torch.stack([angles.cos(), angles.sin()], 1)).to(F32)  # (P, 2)

    def _draw(self, n: int, device: torch.device) -> torch.Tensor:
        return self._grid.to(device)[torch.randint(self.n_points, (n,), device=device)]


@register("quadratic")
@dataclass
class Quadratic(ToySampler):
    """Seed system 004: x ~ U[-scale/2, scale/2), y = 10 + x²."""
    scale: float = 100.0

    def __post_init__(self) -> None:
        self.scale = _real(self.name, "scale", self.scale, "> 0")

    def _draw(self, n: int, device: torch.device) -> torch.Tensor:
        x = (torch.rand(n, device=device, dtype=F32) - 0.5) * self.scale
        return torch.stack([x, 10.0 + x * x], 1)


@register("ring8")
@dataclass
class Ring(ToySampler):
    """PacGAN 2D-ring (Lin et al. 2018): means (r cos 2πk/K, r sin 2πk/K), std 0.01."""
    n_modes: int = 8
    radius: float = 1.0
    std: float = 0.01

    def __post_init__(self) -> None:
        self.n_modes = _count(self.name, "n_modes", self.n_modes)
        self.radius = _real(self.name, "radius", self.radius, "> 0")
        self.mode_std = self.std = _real(self.name, "std", self.std, "> 0")
        angles = 2 * math.pi * torch.arange(self.n_modes, dtype=torch.float64) / self.n_modes
        self.modes = (self.radius * torch.stack([angles.cos(), angles.sin()], 1)).to(F32)  # (K, 2)

    def _draw(self, n: int, device: torch.device) -> torch.Tensor:
        return _gaussian_modes(self.modes, self.std, n, device)


@register("grid25")
@dataclass
class Grid(ToySampler):
    """PacGAN 2D-grid: means (-4 + 2i, -4 + 2j), i, j = 0..4, std 0.05; centred on the origin."""
    n_per_side: int = 5
    spacing: float = 2.0
    std: float = 0.05

    def __post_init__(self) -> None:
        self.n_per_side = _count(self.name, "n_per_side", self.n_per_side)
        self.spacing = _real(self.name, "spacing", self.spacing, "> 0")
        self.mode_std = self.std = _real(self.name, "std", self.std, "> 0")
        ticks = (torch.arange(self.n_per_side, dtype=F32) - (self.n_per_side - 1) / 2) * self.spacing
        self.modes = torch.cartesian_prod(ticks, ticks)  # (n_per_side², 2)

    def _draw(self, n: int, device: torch.device) -> torch.Tensor:
        return _gaussian_modes(self.modes, self.std, n, device)


@register("swissroll")
@dataclass
class SwissRoll(ToySampler):
    """2-D swiss roll: t ~ U[1.5π, 4.5π), point = t (cos t, sin t) / 5 + N(0, noise²).

    The /5 brings the roll into roughly [-3, 3]², the box the ring and grid live in."""
    noise: float = 0.05

    def __post_init__(self) -> None:
        self.noise = _real(self.name, "noise", self.noise, ">= 0")

    def _draw(self, n: int, device: torch.device) -> torch.Tensor:
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, device=device, dtype=F32))
        roll = torch.stack([t * t.cos(), t * t.sin()], 1) / 5
        return roll + self.noise * torch.randn(n, 2, device=device, dtype=F32)


@register("moons")
@dataclass
class Moons(ToySampler):
    """Two interleaved half-moons: (cos θ, sin θ) and (1 - cos θ, 1/2 - sin θ), θ ~ U[0, π).

    Shifted by -(1/2, 1/4) so the pair is centred on the origin."""
    noise: float = 0.05

    def __post_init__(self) -> None:
        self.noise = _real(self.name, "noise", self.noise, ">= 0")

    def _draw(self, n: int, device: torch.device) -> torch.Tensor:
        lower = torch.randint(2, (n, 1), device=device).bool()
        theta = math.pi * torch.rand(n, device=device, dtype=F32)
        upper_moon = torch.stack([theta.cos(), theta.sin()], 1)
        lower_moon = torch.stack([1 - theta.cos(), 0.5 - theta.sin()], 1)
        moons = torch.where(lower, lower_moon, upper_moon) - torch.tensor([0.5, 0.25], device=device)
        return moons + self.noise * torch.randn(n, 2, device=device, dtype=F32)


@register("spiral")
@dataclass
class Spiral(ToySampler):
    """Archimedean spiral r = radius·s, angle = 2π·turns·s, s = sqrt(u), u ~ U[0, 1).

    Arc length of r ∝ θ grows like θ², so s = sqrt(u) spreads points ~evenly along the arm."""
    noise: float = 0.05
    turns: float = 2.0
    radius: float = 2.0

    def __post_init__(self) -> None:
        self.noise = _real(self.name, "noise", self.noise, ">= 0")
        self.turns = _real(self.name, "turns", self.turns, "> 0")
        self.radius = _real(self.name, "radius", self.radius, "> 0")

    def _draw(self, n: int, device: torch.device) -> torch.Tensor:
        s = torch.rand(n, device=device, dtype=F32).sqrt()
        angle = 2 * math.pi * self.turns * s
        arm = self.radius * s[:, None] * torch.stack([angle.cos(), angle.sin()], 1)
        return arm + self.noise * torch.randn(n, 2, device=device, dtype=F32)


@register("gmm1d")
@dataclass
class GaussianMixture1d(ToySampler):
    """1-D mixture Σ_k w_k N(mean_k, std_k²); weights are normalised to sum to 1."""
    means: list[float] = field(default_factory=lambda: [-2.0, 2.0])
    stds: list[float] = field(default_factory=lambda: [0.3, 0.3])
    weights: list[float] = field(default_factory=lambda: [0.5, 0.5])
    dim: ClassVar[int] = 1

    def __post_init__(self) -> None:
        self.means = _reals(self.name, "means", self.means)
        self.stds = _reals(self.name, "stds", self.stds, "> 0")
        self.weights = _reals(self.name, "weights", self.weights, ">= 0")
        if not len(self.means) == len(self.stds) == len(self.weights):
            raise GankitError(f"{self.name}: means, stds and weights must have the same length, got "
                              f"{len(self.means)}, {len(self.stds)}, {len(self.weights)}")
        if sum(self.weights) <= 0:
            raise GankitError(f"{self.name}: weights must not all be 0, got {self.weights}")
        self.modes = torch.tensor(self.means, dtype=F32)[:, None]  # (K, 1)
        self.mode_std = max(self.stds)

    def _draw(self, n: int, device: torch.device) -> torch.Tensor:
        if n == 0:  # torch.multinomial refuses num_samples=0
            return torch.empty(0, 1, device=device, dtype=F32)
        weights = torch.tensor(self.weights, device=device, dtype=F32)
        which = torch.multinomial(weights, n, replacement=True)
        stds = torch.tensor(self.stds, device=device, dtype=F32)
        return self.modes.to(device)[which] + stds[which, None] * torch.randn(n, 1, device=device, dtype=F32)

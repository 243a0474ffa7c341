"""The run configuration: typed dataclasses, YAML presets, `--set a.b=c` overrides, validation.

A config is the whole recipe of a run. `load_config` reads a preset (a path or a built-in name),
`apply_overrides` edits it field by field, and `save_config` writes the fully resolved config into
the run directory, so that `gankit train runs/NAME/config.yaml` reproduces the run.
Every field is checked against its declared type; errors name the dotted key.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gankit.errors import GankitError
from gankit.utils.io import atomic_open

PRESET_DIR = Path(__file__).parent / "presets"  # `configs/` at the repo root links here


@dataclass
class DataConfig:
    name: str = "circle"            # toy sampler, image dataset name, or "table"/"images" for a path
    path: str | None = None         # CSV/NPY table, image folder, IDX dir, NPZ: overrides the name lookup
    params: dict = field(default_factory=dict)  # sampler parameters, e.g. {radius: 2.0}
    normalize: str = "none"         # vector data: none | standard | minmax (undone by `generate`)
    limit: int | None = None        # keep only the first N examples (seed 001's one-example experiment)
    image_size: int | None = None   # images: resize + centre-crop to this size
    channels: int | None = None     # images: convert to 1, 3 or 4 channels
    root: str | None = None         # where named datasets (mnist, fashion-mnist) are looked up first
    download: bool = False          # fetch a named dataset when it is not found locally


@dataclass
class NetConfig:
    hidden: list[int] = field(default_factory=lambda: [32, 16])  # MLP widths
    activation: str = "relu"        # relu | leaky_relu | tanh
    slope: float = 0.2              # leaky_relu negative slope
    init: str = "glorot"            # glorot (Keras default) | he_uniform | normal (N(0, 0.02)) | torch
    hidden_init: str | None = None  # init of the hidden layers when different from `init`
    batchnorm: bool = False
    bn_momentum: float = 0.1        # torch convention: Keras momentum 0.99 == torch 0.01
    bn_eps: float = 1e-5
    dropout: float = 0.0
    out_activation: str = "none"    # G only: none | sigmoid | tanh (D always outputs a logit)
    feature_dim: int | None = None  # D only: a linear feature layer of this width before the output
    spectral_norm: bool = False
    options: dict = field(default_factory=dict)  # architecture-specific knobs (dcgan widths, ...)


@dataclass
class CondConfig:
    """Class conditioning (cgan, acgan) and InfoGAN latent codes (docs/algorithms.md)."""
    embed_dim: int | None = None    # label embedding appended to z: null = one-hot (Mirza & Osindero 2014)
    d_mode: str = "projection"      # cgan D: projection (Miyato & Koyama 2018) | concat (label maps on the input)
    categorical: list[int] = field(default_factory=list)  # InfoGAN: categories of each code (Chen et al. 2016: [10])
    continuous: int = 0             # InfoGAN: number of continuous codes ~ U(-1, 1) (Chen et al. 2016: 2)


@dataclass
class ModelConfig:
    arch: str = "mlp"
    latent_dim: int = 3
    latent: str = "normal"          # normal | uniform (on [-1, 1])
    g: NetConfig = field(default_factory=NetConfig)
    d: NetConfig = field(default_factory=NetConfig)
    cond: CondConfig = field(default_factory=CondConfig)


@dataclass
class LossConfig:
    name: str = "nonsaturating"     # minimax | nonsaturating | (more in losses.LOSSES)
    real_label: float = 1.0         # < 1 is one-sided label smoothing (Salimans et al. 2016)
    d_scale: float = 1.0            # D loss = d_scale * (loss_real + loss_fake); seed 001 uses 0.5
    info_cat: float = 1.0           # InfoGAN λ of the categorical mutual-information term (Chen et al. 2016: 1)
    info_cont: float = 0.1          # InfoGAN λ of the continuous term (Chen et al.: smaller than the categorical)
    aux_weight: float = 1.0         # AC-GAN weight of the auxiliary classification loss (Odena et al. 2017: 1)


@dataclass
class OptimizerConfig:
    name: str = "adam"              # adam | rmsprop | sgd
    lr: float = 1e-3
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    eps: float = 1e-8
    alpha: float = 0.99             # rmsprop smoothing (TF1's `decay`)
    momentum: float = 0.0
    weight_decay: float = 0.0


@dataclass
class OptimConfig:
    g: OptimizerConfig = field(default_factory=OptimizerConfig)
    d: OptimizerConfig = field(default_factory=OptimizerConfig)


@dataclass
class RegConfig:
    """Penalties and stabilisers; all off by default (docs/algorithms.md explains each)."""
    gp_weight: float = 0.0          # λ of the WGAN-GP gradient penalty (Gulrajani et al. 2017: 10)
    r1_gamma: float = 0.0           # γ of the R1 penalty on real data (Mescheder et al. 2018)
    r1_every: int = 1               # lazy R1: apply every k D updates, scaled by k (Karras et al. 2020: 16)
    clip: float = 0.0               # clip D's weights to [-c, c] after each update (Arjovsky et al. 2017: 0.01)
    instance_noise: float = 0.0     # σ of Gaussian noise added to D's inputs, annealed linearly to 0
    instance_noise_steps: int | None = None  # D updates over which σ reaches 0 (default: the whole run)
    ema_beta: float = 0.0           # EMA of G's weights, θ_ema <- β θ_ema + (1 - β) θ (Karras et al. 2018: 0.999)
    pack: int = 1                   # PacGAN: D judges packs of m samples (Lin et al. 2018: m = 2..4)
    minibatch_std: bool = False     # append the minibatch standard deviation to D's input (Karras et al. 2018)


@dataclass
class TrainConfig:
    algorithm: str = "gan"
    steps: int = 10001              # iterations; one = d_steps D updates then g_steps G updates
    epochs: int | None = None       # when set: steps = epochs * (N // (batch_size * processes)), N = data size
    batch_size: int = 128           # real examples per D update (per process under DDP)
    fake_batch_size: int | None = None  # fakes per D update (default: batch_size)
    g_batch_size: int | None = None     # latents per G update (default: batch_size)
    d_steps: int = 1
    g_steps: int = 1
    d_update: str = "joint"         # joint: one D update on real+fake | split: Keras-style real then fake
    same_batch: bool = False        # seed 004: one real batch and one noise batch for a whole iteration
    augment: str = ""               # DiffAugment policy (Zhao et al. 2020): "" | "color,translation,cutout"
    seed: int = 0
    out_dir: str = "runs"
    name: str | None = None         # run directory name; default: the preset's name
    device: str = "auto"            # auto (cuda > mps > cpu) | cpu | cuda | cuda:N | mps
    precision: str = "fp32"         # fp32 | bf16 (autocast; fp32 master weights)
    compile: bool = False           # torch.compile the networks
    channels_last: bool = False     # images: NHWC memory layout for convolutions
    deterministic: bool = False     # CUDA: deterministic cuDNN kernels (exact resume on GPU; CPU always is)
    time_limit: float | None = None  # stop after this many seconds of training (benchmarks at equal budgets)
    threads: int | None = None      # CPU threads for torch (default: 1 for vector data, else torch's choice)
    lr_decay: str = "none"          # none | linear | cosine: learning rates decay to 0 by the last step
    lr_decay_start: float = 0.0     # fraction of training after which the decay begins
    log_every: int = 10
    checkpoint_every: int | None = None  # default: eval.every
    keep_last: int = 3              # checkpoints kept besides the newest
    tensorboard: bool = False
    progress: bool = True


@dataclass
class EvalConfig:
    every: int = 1000               # evaluation hooks (samples, plots, metrics) every N iterations
    n_samples: int = 1000           # fixed-noise samples drawn at each evaluation
    n_metric: int = 2500            # samples for metrics (PacGAN protocol: 2,500)
    n_accuracy: int = 100           # real and fake examples for D's accuracy (seeds 000 and 002)
    grid: int = 25                  # images: fakes shown in each sample grid (seed 002: 5x5)
    every_epochs: int | None = None  # when set: every = every_epochs epochs (see train.epochs), and the
                                     # end of epoch 1 is evaluated too (seed 003: epoch 1, then every 5)
    predict: int = 0                # images: at the end, this many fakes as predict/image_XX.png + summary.png
    plots: bool = True
    metrics: bool = True            # toy metrics (vectors) and image metrics (images) at each evaluation
    image_metrics: list[str] = field(default_factory=list)  # images: fid, kid, pr, dc, is at each eval (docs/metrics.md)
    features: str | None = None     # images: classifier:<data|path> | inception | pixels (null: shipped classifier)
    n_image_metric: int = 2000      # images: real and generated images scored at each evaluation
    reference_split: str = "train"  # images: real images to compare with: train (what G saw) | test
    best_metric: str | None = None  # fid | kid | precision | recall | coverage | is: keep checkpoints/best.json
    inception_weights: str | None = None  # FID Inception weights file (else $GANKIT_INCEPTION_WEIGHTS)


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    reg: RegConfig = field(default_factory=RegConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    preset: str | None = None       # name of the preset it came from (informational)


# ----------------------------------------------------------------------------------------------
# Building dataclasses from plain dicts, with type checks that name the dotted key.

def _check_value(value: Any, tp: Any, key: str) -> Any:
    """Return `value` converted to type `tp`, or raise GankitError naming `key`."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _check_value(value, inner[0], key)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise GankitError(f"config key '{key}' must be a mapping of fields, got {value!r}")
        return from_dict(tp, value, key)
    if origin is list:
        if not isinstance(value, (list, tuple)):
            raise GankitError(f"config key '{key}' must be a list, got {value!r}")
        (item_tp,) = typing.get_args(tp)
        return [_check_value(v, item_tp, f"{key}[{i}]") for i, v in enumerate(value)]
    if tp is dict or origin is dict:
        if not isinstance(value, dict):
            raise GankitError(f"config key '{key}' must be a mapping, got {value!r}")
        return dict(value)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise GankitError(f"config key '{key}' must be true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise GankitError(f"config key '{key}' must be an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads "1e-3" as a string; accept numeric text
            try:
                return float(value)
            except ValueError:
                pass
        raise GankitError(f"config key '{key}' must be a number, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise GankitError(f"config key '{key}' must be a string, got {value!r}")
    return value


def from_dict(cls, data: dict, prefix: str = ""):
    """Build dataclass `cls` from `data`; unknown keys and wrong types are GankitErrors."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for key in data:
        if key not in hints:
            where = f"{prefix}.{key}" if prefix else str(key)
            raise GankitError(f"unknown config key '{where}'; expected one of: {', '.join(names)}")
    kwargs = {k: _check_value(v, hints[k], f"{prefix}.{k}" if prefix else k) for k, v in data.items()}
    return cls(**kwargs)


def to_dict(cfg) -> dict:
    return dataclasses.asdict(cfg)


# ----------------------------------------------------------------------------------------------
# Presets, YAML and overrides.

def list_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def resolve_preset(spec: str | None) -> Path:
    """A path to a YAML file, or the name of a built-in preset (default: circle)."""
    spec = spec or "circle"
    path = Path(spec).expanduser()
    if path.is_dir() and (path / "config.yaml").is_file():  # a run directory
        return path / "config.yaml"
    if path.is_file():
        return path
    named = PRESET_DIR / f"{spec}.yaml"
    if "/" not in spec and named.is_file():
        return named
    raise GankitError(
        f"config '{spec}' not found; expected a YAML file, a run directory or a preset name "
        f"({', '.join(list_presets())})")


def load_config(spec: str | Path | None = None) -> Config:
    """Read a preset (path or built-in name) into a validated Config."""
    path = resolve_preset(str(spec) if spec is not None else None)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise GankitError(f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GankitError(f"cannot read config {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise GankitError(f"{path}: expected a mapping of sections (data, model, ...), got {type(raw).__name__}")
    cfg = from_dict(Config, raw)
    if cfg.preset is None:
        cfg.preset = path.stem if path.name != "config.yaml" else path.parent.name
    validate(cfg)
    return cfg


def apply_overrides(cfg: Config, overrides: list[str]) -> Config:
    """Apply `a.b.c=value` strings; the value is read as YAML (so 1e-3, [16, 16], true work)."""
    data = to_dict(cfg)
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise GankitError(f"override '{item}' must look like section.key=value")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            raise GankitError(f"override '{item}': value '{text}' is not valid YAML") from None
        node, parts = data, key.split(".")
        for i, part in enumerate(parts[:-1]):
            if not isinstance(node, dict) or part not in node or not isinstance(node[part], dict):
                raise GankitError(f"unknown config key '{'.'.join(parts[:i + 1])}' in override '{item}'")
            node = node[part]
        leaf = parts[-1]
        if leaf not in node and not _is_free_mapping(cfg, parts[:-1]):
            raise GankitError(f"unknown config key '{key}' in override '{item}'")
        node[leaf] = value
    new = from_dict(Config, data)
    validate(new)
    return new


def _is_free_mapping(cfg: Config, parts: list[str]) -> bool:
    """True when `parts` names a free-form dict field (data.params, model.g.options)."""
    obj: Any = cfg
    for part in parts:
        if dataclasses.is_dataclass(obj):
            obj = getattr(obj, part, None)
        elif isinstance(obj, dict):
            return True
        else:
            return False
    return isinstance(obj, dict)


CHOICES = {
    "data.normalize": ("none", "standard", "minmax"),
    "model.latent": ("normal", "uniform"),
    "train.d_update": ("joint", "split"),
    "train.precision": ("fp32", "bf16"),
    "train.lr_decay": ("none", "linear", "cosine"),
    "model.cond.d_mode": ("projection", "concat"),
    "eval.reference_split": ("train", "test"),
}
POSITIVE = ("train.steps", "train.batch_size", "train.d_steps", "train.g_steps", "train.log_every",
            "eval.every", "eval.n_samples", "model.latent_dim", "reg.r1_every", "reg.pack",
            "eval.n_image_metric")
NON_NEGATIVE = ("reg.gp_weight", "reg.r1_gamma", "reg.clip", "reg.instance_noise", "loss.info_cat",
                "loss.info_cont", "loss.aux_weight", "model.cond.continuous")


def _get(cfg: Config, dotted: str):
    obj: Any = cfg
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def validate(cfg: Config) -> None:
    """Value checks the type system cannot express. Names (arch, loss, algorithm) are checked
    where they are looked up, against the registries."""
    for key, choices in CHOICES.items():
        if _get(cfg, key) not in choices:
            raise GankitError(f"config key '{key}' is {_get(cfg, key)!r}; expected one of: {', '.join(choices)}")
    for key in POSITIVE:
        if _get(cfg, key) < 1:
            raise GankitError(f"config key '{key}' must be >= 1, got {_get(cfg, key)}")
    for key in ("train.fake_batch_size", "train.g_batch_size", "train.checkpoint_every", "data.limit",
                "model.cond.embed_dim", "reg.instance_noise_steps", "train.epochs", "eval.every_epochs"):
        value = _get(cfg, key)
        if value is not None and value < 1:
            raise GankitError(f"config key '{key}' must be >= 1 (or null), got {value}")
    for net in ("g", "d"):
        for key in ("lr", "eps"):
            if _get(cfg, f"optim.{net}.{key}") <= 0:
                raise GankitError(f"config key 'optim.{net}.{key}' must be > 0")
        if len(_get(cfg, f"optim.{net}.betas")) != 2:
            raise GankitError(f"config key 'optim.{net}.betas' must be a list of two numbers")
        widths = list(_get(cfg, f"model.{net}.hidden")) + [_get(cfg, f"model.{net}.feature_dim") or 1]
        if any(w < 1 for w in widths):
            raise GankitError(f"config key 'model.{net}.hidden' (and feature_dim) must hold widths >= 1, got {widths}")
        if not 0.0 <= _get(cfg, f"model.{net}.dropout") < 1.0:
            raise GankitError(f"config key 'model.{net}.dropout' must be in [0, 1)")
    for key in NON_NEGATIVE:
        if _get(cfg, key) < 0:
            raise GankitError(f"config key '{key}' must be >= 0, got {_get(cfg, key)}")
    if not 0.0 <= cfg.reg.ema_beta < 1.0:
        raise GankitError(f"config key 'reg.ema_beta' must be in [0, 1) (0 = no EMA), got {cfg.reg.ema_beta}")
    if any(k < 2 for k in cfg.model.cond.categorical):
        raise GankitError(f"config key 'model.cond.categorical' must list category counts >= 2, "
                          f"got {cfg.model.cond.categorical}")
    if cfg.train.keep_last < 0:
        raise GankitError("config key 'train.keep_last' must be >= 0")


def save_config(cfg: Config, path: str | Path) -> None:
    with atomic_open(path) as f:
        yaml.safe_dump(to_dict(cfg), f, sort_keys=False, default_flow_style=None)

"""The run configuration (schema in gankit/schema.py): YAML presets, `--set a.b=c` overrides, validation.

A config is the whole recipe of a run. `load_config` reads a preset (a path or a built-in name),
`apply_overrides` edits it field by field, and `save_config` writes the fully resolved config into
the run directory, so that `gankit train runs/NAME/config.yaml` reproduces the run.
Every field is checked against its declared type; errors name the dotted key.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from gankit.errors import GankitError
from gankit.schema import (ACTIVATIONS, BEST_METRICS, FEATURES, INITS, OUT_ACTIVATIONS, SEED_RANGE,  # noqa: F401
                           CondConfig, Config,
                           DataConfig, EvalConfig, LossConfig, ModelConfig, NetConfig,
                           OptimConfig, OptimizerConfig, RegConfig, TrainConfig)
from gankit.utils.io import atomic_open
from gankit.utils.yaml_unique import safe_load_unique

PRESET_DIR = Path(__file__).parent / "presets"  # `configs/` at the repo root links here


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
        number = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):  # YAML 1.1 reads "1e-3" as a string; accept numeric text
            try:
                number = float(value)
            except ValueError:
                pass
        # NaN passes every `x < 0`-style range check in validate() and only surfaces later as a torch traceback
        if number is None or math.isnan(number):
            raise GankitError(f"config key '{key}' must be a number, got {value!r}")
        return number
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
        raw = safe_load_unique(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise GankitError(f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GankitError(f"cannot read config {path}: {exc}") from None
    if raw is None:  # an empty file (or comments only): more likely a mistake than a wish for every default
        raise GankitError(f"{path}: holds no settings (empty, or comments only); expected a mapping of sections "
                          "(data, model, ...), or `{}` for every default")
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
            value = safe_load_unique(text) if text.strip() else None
        except yaml.YAMLError:
            raise GankitError(f"override '{item}': value '{text}' is not valid YAML") from None
        node, parts = data, key.split(".")
        for i, part in enumerate(parts[:-1]):
            if isinstance(node, dict) and part in node and not isinstance(node[part], dict):
                value_key = ".".join(parts[:i + 1])  # train.steps.x=3: the path runs on past a value
                raise GankitError(f"config key '{value_key}' is a value, not a section, in override '{item}'; "
                                  f"expected {value_key}=VALUE")
            if not isinstance(node, dict) or part not in node:
                raise GankitError(f"unknown config key '{'.'.join(parts[:i + 1])}' in override '{item}'"
                                  f"{_expected(node)}")
            node = node[part]
        leaf = parts[-1]
        if leaf not in node and not _is_free_mapping(cfg, parts[:-1]):
            raise GankitError(f"unknown config key '{key}' in override '{item}'{_expected(node)}")
        node[leaf] = value
    new = from_dict(Config, data)
    validate(new)
    return new


def _expected(node) -> str:
    """'; expected one of: a, b, c' for the keys of a config section (as a config file's error says)."""
    return f"; expected one of: {', '.join(node)}" if isinstance(node, dict) and node else ""


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
    "train.compile_mode": ("default", "reduce-overhead", "max-autotune"),
    "train.lr_decay": ("none", "linear", "cosine"),
    "model.cond.d_mode": ("projection", "concat"),
    "eval.reference_split": ("train", "test"),
    **{f"model.{net}.{key}": names for net in ("g", "d")
       for key, names in (("activation", ACTIVATIONS), ("init", INITS))},
    "model.g.out_activation": OUT_ACTIVATIONS,
}
OPTIONAL_CHOICES = {"eval.best_metric": BEST_METRICS,  # as CHOICES, or null
                    **{f"model.{net}.hidden_init": INITS for net in ("g", "d")}}
POSITIVE = ("train.steps", "train.batch_size", "train.d_steps", "train.g_steps", "train.log_every",
            "eval.every", "eval.n_samples", "model.latent_dim", "reg.r1_every", "reg.pack",
            "eval.n_image_metric", "eval.n_metric", "eval.n_accuracy", "eval.grid",
            "model.progressive.fade_steps", "model.progressive.stable_steps")
POSITIVE_OR_NULL = ("train.fake_batch_size", "train.g_batch_size", "train.checkpoint_every", "data.limit",
                    "model.cond.embed_dim", "reg.instance_noise_steps", "train.epochs", "eval.every_epochs",
                    "train.threads", "data.image_size")
# Numbers that must lie in an interval: key -> (interval, why). inf is never allowed (a plain `< 0`
# check let it through, and the losses became inf/NaN at the first step); NaN is refused on reading.
INTERVALS = {
    **{key: ("[0, inf)", "") for key in ("reg.gp_weight", "reg.r1_gamma", "reg.clip", "reg.instance_noise",
                                         "loss.info_cat", "loss.info_cont", "loss.aux_weight",
                                         "loss.cycle_weight", "loss.identity_weight",
                                         "model.cond.continuous", "eval.predict", "train.keep_last")},
    "loss.real_label": ("(0, 1]", " (the target of real examples; < 1 is one-sided label smoothing)"),
    "loss.d_scale": ("(0, inf)", ""),
    "reg.ema_beta": ("[0, 1)", " (0 = no EMA)"),
    "train.lr_decay_start": ("[0, 1)", " (the fraction of training before the decay begins)"),
    **{f"optim.{net}.{key}": (interval, why) for net in ("g", "d") for key, interval, why in (
        ("lr", "(0, inf)", ""), ("eps", "(0, inf)", ""),
        ("momentum", "[0, inf)", ""), ("weight_decay", "[0, inf)", ""),  # torch refuses negatives with a traceback
        ("alpha", "[0, 1)", " (RMSprop's smoothing)"))},
    **{f"model.{net}.{key}": (interval, why) for net in ("g", "d") for key, interval, why in (
        ("dropout", "[0, 1)", ""),
        ("bn_momentum", "[0, 1]", " (torch's convention: Keras' momentum 0.99 is 0.01)"),
        ("bn_eps", "(0, inf)", ""))},  # BatchNorm divides by sqrt(var + eps)
}


def _get(cfg: Config, dotted: str):
    obj: Any = cfg
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _check_interval(key: str, value: float, interval: str, why: str) -> None:
    """`interval` is written as in maths: "(0, 1]" excludes 0 and includes 1."""
    low, high = (float(end) for end in interval[1:-1].split(", "))
    above = low < value if interval[0] == "(" else low <= value
    below = value < high if interval[-1] == ")" else value <= high
    if not (above and below):
        number = "an integer" if isinstance(value, int) else "a finite number"
        expected = f"{number} {'>' if interval[0] == '(' else '>='} {low:g}" if high == math.inf else f"in {interval}"
        raise GankitError(f"config key '{key}' must be {expected}{why}, got {value}")


def validate(cfg: Config) -> None:
    """Value checks the type system cannot express. Names (arch, loss, algorithm) are checked
    where they are looked up, against the registries."""
    for key, choices in CHOICES.items():
        if _get(cfg, key) not in choices:
            raise GankitError(f"config key '{key}' is {_get(cfg, key)!r}; expected one of: {', '.join(choices)}")
    for key, choices in OPTIONAL_CHOICES.items():
        if _get(cfg, key) is not None and _get(cfg, key) not in choices:
            raise GankitError(f"config key '{key}' is {_get(cfg, key)!r}; expected one of: {', '.join(choices)} "
                              "(or null)")
    features = cfg.eval.features
    if features is not None and features not in FEATURES[1:] and not \
            (features.startswith("classifier:") and features != "classifier:"):
        raise GankitError(f"config key 'eval.features' is {features!r}; expected one of: {', '.join(FEATURES)} "
                          "(or null: the shipped classifier of the data)")
    if cfg.eval.image_metrics:  # the names `gankit evaluate --metrics` takes (was caught only at trainer set-up)
        from gankit.metrics.image import parse_metrics
        try:
            parse_metrics(cfg.eval.image_metrics)
        except GankitError as exc:
            raise GankitError(f"config key 'eval.image_metrics': {exc}") from None
    for key in POSITIVE:
        if _get(cfg, key) < 1:
            raise GankitError(f"config key '{key}' must be >= 1, got {_get(cfg, key)}")
    for key in POSITIVE_OR_NULL:
        if _get(cfg, key) is not None and _get(cfg, key) < 1:
            raise GankitError(f"config key '{key}' must be >= 1 (or null), got {_get(cfg, key)}")
    for key, (interval, why) in INTERVALS.items():
        _check_interval(key, _get(cfg, key), interval, why)
    for net in ("g", "d"):
        betas = _get(cfg, f"optim.{net}.betas")
        if len(betas) != 2:
            raise GankitError(f"config key 'optim.{net}.betas' must be a list of two numbers")
        if not all(0.0 <= b < 1.0 for b in betas):  # torch's Adam refuses others with a traceback
            raise GankitError(f"config key 'optim.{net}.betas' must hold two numbers in [0, 1), got {betas}")
        widths = list(_get(cfg, f"model.{net}.hidden")) + [_get(cfg, f"model.{net}.feature_dim") or 1]
        if any(w < 1 for w in widths):
            raise GankitError(f"config key 'model.{net}.hidden' (and feature_dim) must hold widths >= 1, got {widths}")
    if any(k < 2 for k in cfg.model.cond.categorical):
        raise GankitError(f"config key 'model.cond.categorical' must list category counts >= 2, "
                          f"got {cfg.model.cond.categorical}")
    if not SEED_RANGE[0] <= cfg.train.seed <= SEED_RANGE[1]:
        raise GankitError(f"config key 'train.seed' must be an integer in {SEED_RANGE[0]}..{SEED_RANGE[1]}, "
                          f"got {cfg.train.seed}")
    if cfg.train.time_limit is not None and cfg.train.time_limit <= 0:
        raise GankitError(f"config key 'train.time_limit' must be > 0 seconds (or null), got {cfg.train.time_limit}")


def save_config(cfg: Config, path: str | Path) -> None:
    with atomic_open(path) as f:
        yaml.safe_dump(to_dict(cfg), f, sort_keys=False, default_flow_style=None)

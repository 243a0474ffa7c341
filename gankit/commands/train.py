"""`gankit train`: a preset or YAML config, the shortcut flags and overrides, then the Trainer."""
from __future__ import annotations

from pathlib import Path

from gankit.config import apply_overrides, load_config
from gankit.errors import GankitError


def _shortcut_overrides(args) -> list[str]:
    import gankit.algorithms  # noqa: F401
    import gankit.models  # noqa: F401
    from gankit.registry import ALGORITHMS, ARCHITECTURES

    sets = []
    if args.model:
        if args.model in ALGORITHMS:
            sets.append(f"train.algorithm={args.model}")
        elif args.model in ARCHITECTURES:
            sets.append(f"model.arch={args.model}")
        else:
            raise GankitError(f"--model '{args.model}': expected an algorithm ({', '.join(ALGORITHMS.names())}) "
                              f"or an architecture ({', '.join(ARCHITECTURES.names())})")
    if args.data:
        looks_like_path = Path(args.data).expanduser().exists() or "/" in args.data or "." in args.data
        # a new dataset drops the preset's sampler parameters and path (circle's radius means nothing to grid25)
        sets += [f"data.path={args.data}"] if looks_like_path else [f"data.name={args.data}", "data.params={}",
                                                                     "data.path=null"]
    for flag, key in (("image_size", "data.image_size"), ("steps", "train.steps"), ("seed", "train.seed"),
                      ("out", "train.out_dir"), ("name", "train.name"), ("device", "train.device")):
        value = getattr(args, flag)
        if value is not None:
            sets.append(f"{key}={value}")
    if args.steps is not None:  # an explicit step count wins over a preset's epoch schedule (seed 003's 100 epochs)
        sets.append("train.epochs=null")
    if args.no_progress:
        sets.append("train.progress=false")
    return sets


def train(args) -> None:
    run = train_from_args(args)
    if run.is_main:
        print(f"run directory: {run.dir}")


def train_from_args(args):
    from gankit.train.trainer import Trainer

    spec = args.config
    if args.resume and spec is None:
        spec = args.resume  # a run directory holds its own config.yaml
    if args.resume and not (Path(args.resume) / "config.yaml").is_file():
        raise GankitError(f"--resume '{args.resume}' is not a run directory (no config.yaml in it)")
    cfg = load_config(spec)
    cfg = apply_overrides(cfg, _shortcut_overrides(args) + args.overrides)
    return Trainer(cfg, resume=args.resume).fit()

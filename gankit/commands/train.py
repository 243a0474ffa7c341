"""`gankit train`: a preset or YAML config, the shortcut flags and overrides, then the Trainer."""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from gankit.config import apply_overrides, load_config
from gankit.errors import GankitError, RankZeroError

# The config keys each shortcut flag sets: a --set of the same key as well is a conflict, not a silent win.
FLAG_KEYS = {"model": ("train.algorithm", "model.arch"), "data": ("data.name", "data.path"),
             "image_size": ("data.image_size",), "steps": ("train.steps", "train.epochs"),
             "seed": ("train.seed",), "out": ("train.out_dir",), "name": ("train.name",),
             "device": ("train.device",)}


def _flag(attr: str) -> str:
    return "--" + attr.replace("_", "-")


def _override_key(item: str) -> str:
    return item.partition("=")[0].strip()


def _refuse_conflicts(args) -> None:
    for item in args.overrides:
        key = _override_key(item)
        for attr, keys in FLAG_KEYS.items():
            if getattr(args, attr) is not None and key in keys:
                raise GankitError(f"{_flag(attr)} {getattr(args, attr)} and --set {item} both set {key}; "
                                  "expected one of the two")


def _shortcut_overrides(args) -> list[str]:
    import gankit.algorithms  # noqa: F401
    import gankit.models  # noqa: F401
    from gankit.data.build import looks_like_path
    from gankit.registry import ALGORITHMS, ARCHITECTURES

    _refuse_conflicts(args)
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
        # a new dataset drops the preset's sampler parameters and path (circle's radius means nothing to grid25)
        sets += [f"data.path={args.data}"] if looks_like_path(args.data) else [f"data.name={args.data}",
                                                                                "data.params={}", "data.path=null"]
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


def _data_run_name(data: str) -> str | None:
    """The run name `--data` gives when no preset was named: the file's stem or the folder's name,
    as the data's own name is made (data/build.py), or the dataset's name."""
    from gankit.data.build import looks_like_path

    if not looks_like_path(data):
        return data
    path = Path(os.path.abspath(Path(data).expanduser()))  # `.` or `dir/` name their folder
    return (path.stem if path.is_file() else path.name) or None


def train(args) -> None:
    run = train_from_args(args)
    if run.is_main:
        print(f"run directory: {run.dir}")
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:
        # A torchrun rank whose work is done and saved leaves at once: about 1 in 20 two-process CPU jobs
        # aborted *after* the last line of Python ("terminate called without an active exception", no
        # Python frame: a C++ thread of torch.distributed destroyed at interpreter shutdown), which made
        # torchrun report the whole finished job as failed.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def train_from_args(args):
    from gankit.train.trainer import Trainer

    with _printed_once_per_node():
        spec = args.config
        if args.resume and spec is None:
            spec = args.resume  # a run directory holds its own config.yaml
        if args.resume and not (Path(args.resume) / "config.yaml").is_file():
            raise GankitError(f"--resume '{args.resume}' is not a run directory (no config.yaml in it)")
        if args.resume:
            _refuse_a_move(args)  # before anything is read or written
        cfg = load_config(spec)
        apply_overrides(cfg, args.overrides)  # a malformed --set is named as such, before any conflict with a flag
        cfg = apply_overrides(cfg, _shortcut_overrides(args) + args.overrides)
    if not args.resume and args.config is None and args.data and cfg.train.name is None:
        cfg.train.name = _data_run_name(args.data)  # not 'circle', the default preset the data replaced
    try:
        return Trainer(cfg, resume=args.resume).fit()
    finally:
        _leave_process_group()


@contextlib.contextmanager
def _printed_once_per_node():
    """Under torchrun every rank reads the same arguments and files, so a config error is every rank's: on
    a node, local rank 0 prints it and the others stop with it silently (RankZeroError), instead of one
    identical line per process. Other nodes still print theirs (their files could differ)."""
    try:
        yield
    except GankitError as exc:
        if os.environ.get("LOCAL_RANK", "0") != "0" and not isinstance(exc, RankZeroError):
            raise RankZeroError(str(exc)) from None
        raise


def _leave_process_group() -> None:
    """Under torchrun, close the process group before the process exits (torch warns about a group left
    to the interpreter's shutdown). It did not stop the rare abort at shutdown on its own: see train()."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _refuse_a_move(args) -> None:
    """A resumed run stays in its folder: a new name or parent would be ignored, yet written into its config.yaml."""
    moves = [f"{_flag(attr)} {getattr(args, attr)}" for attr in ("name", "out") if getattr(args, attr) is not None]
    moves += [f"--set {item}" for item in args.overrides
              if _override_key(item) in ("train.name", "train.out_dir")]
    if moves:
        raise GankitError(f"{moves[0]} with --resume {args.resume}: a resumed run stays in its folder; expected "
                          "no --name, --out, train.name or train.out_dir (copy the run folder to resume it elsewhere)")

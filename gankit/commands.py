"""What each CLI command does, as plain functions of the parsed arguments (the CLI only dispatches)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from gankit.config import apply_overrides, list_presets, load_config
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


# ---------------------------------------------------------------------------------------- generate
def generate(args) -> None:
    from gankit.sampling import interpolation, latents
    from gankit.train.run import load_run

    n = args.n if args.n is not None else (math.prod(_grid_shape(args.grid)) if args.grid else 1000)
    if n < 1:
        raise GankitError(f"-n must be >= 1, got {n}")
    run = load_run(args.run, args.checkpoint)
    if args.grid and run.info.kind == "vector":
        raise GankitError("--grid lays out images; this run generates vectors (use -n for their number)")
    out = Path(args.output)
    fmt = args.format if args.format != "auto" else (out.suffix.lstrip(".").lower() or "png-dir")
    cond = {"label": args.label} if getattr(args, "label", None) is not None else {}  # cgan, acgan, infogan
    if args.interpolate is not None:  # not `if args.interpolate`: K = 0 must be refused, not mean "off"
        samples = interpolation(run, args.interpolate, args.seed, args.truncation, **cond)
    else:
        samples = run.generator.sample(n, z=latents(run, n, args.seed, args.truncation), progress=True, **cond)
    if run.info.kind == "vector":
        _write_vectors(samples.numpy(), out, fmt)
    else:
        _write_images(samples, out, fmt, args.grid, strip=args.interpolate is not None)
    print(f"wrote {len(samples)} samples to {out}")


def _write_vectors(x: np.ndarray, out: Path, fmt: str) -> None:
    from gankit.utils.io import atomic_open, atomic_path

    if fmt == "csv":
        header = ",".join(f"x{i}" for i in range(x.shape[1]))
        with atomic_open(out) as f:
            np.savetxt(f, x, delimiter=",", header=header, comments="", fmt="%.7g")
    elif fmt == "npy":
        with atomic_path(out) as tmp, open(tmp, "wb") as f:
            np.save(f, x)
    elif fmt == "png":
        if x.shape[1] > 2:
            raise GankitError(f"a .png scatter needs 1-D or 2-D data; this run's data has {x.shape[1]} columns")
        from gankit.viz.scatter import scatter_points

        scatter_points(x, out, title=f"{len(x)} generated samples")
    else:
        raise GankitError(f"output format '{fmt}' does not fit vector data; expected csv, npy or png")


def _grid_shape(grid: str) -> tuple[int, int]:
    """"2x5" -> (2, 5): rows and columns."""
    try:
        rows, cols = (int(v) for v in grid.lower().split("x"))
    except ValueError:
        raise GankitError(f"--grid '{grid}': expected ROWSxCOLS, e.g. 2x5") from None
    if rows < 1 or cols < 1:
        raise GankitError(f"--grid '{grid}': rows and columns must be >= 1")
    return rows, cols


def _write_images(images: torch.Tensor, out: Path, fmt: str, grid: str | None, strip: bool) -> None:
    """Images in data units (0..255, the data's channels) to a PNG grid, a folder of PNGs or an NPZ.

    The NPZ holds `images`, uint8 (N, C, H, W) with the data's channels, which `--data file.npz`
    reads back; PNGs show 1 or 3 channels (RGBA as colour over black)."""
    from gankit.train.hooks_image import grid_columns, to_display
    from gankit.viz.grid import save_image_grid, save_images

    if fmt in ("png", "grid"):
        cols = len(images) if strip else grid_columns(len(images))
        if grid:
            rows, cols = _grid_shape(grid)
            if rows * cols < len(images):
                raise GankitError(f"--grid {grid} holds {rows * cols} images, fewer than the {len(images)} asked for")
        save_image_grid(to_display(images), out, nrow=cols)
    elif fmt == "png-dir":
        save_images(to_display(images), out, prefix="sample_")
    elif fmt == "npz":
        from gankit.utils.io import atomic_path

        pixels = images.clamp(0, 255).round().to(torch.uint8).numpy()  # (N, C, H, W)
        with atomic_path(out) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, images=pixels)
    else:
        raise GankitError(f"output format '{fmt}' does not fit images; expected png, grid, png-dir or npz")


# ---------------------------------------------------------------------------------------- evaluate
def evaluate(args) -> None:
    from gankit.train.run import load_run
    from gankit.train.runtime import pick_device

    if args.n is not None and args.n < 1:
        raise GankitError(f"--n must be >= 1, got {args.n}")
    args.device = pick_device(args.device, what="--device")
    if args.json:  # before minutes of sampling and features, not after
        from gankit.utils.io import check_writable

        check_writable(args.json)
    if args.reference_only or args.run is None:
        return _evaluate_images(args, None)
    run = load_run(args.run, args.checkpoint, device=args.device)
    if run.info.kind != "vector":
        return _evaluate_images(args, run)
    if args.metrics or args.features or args.reference:
        raise GankitError("--metrics, --features and --reference apply to image runs; a vector run reports the "
                          "toy metrics")
    args.n = 2500 if args.n is None else args.n
    from gankit.data import build_data
    from gankit.metrics.toy import vector_metrics

    data = build_data(run.cfg.data, run.cfg.model.g.out_activation)
    torch.manual_seed(args.seed)
    real = run.info.denormalize(data.batch(args.n)[0])
    fake = run.generator.sample(args.n, seed=args.seed + 1)
    metrics = vector_metrics(real, fake, dataset=run.info.name, modes=run.info.modes, mode_std=run.info.mode_std)
    print(f"{run.dir} (step {run.step}, {args.n} real vs {args.n} generated)")
    for key, value in metrics.items():
        print(f"  {key:<22} {value:.6g}" if isinstance(value, float) else f"  {key:<22} {value}")
    if args.json:
        from gankit.utils.io import write_json

        write_json(args.json, {"run": str(run.dir), "step": run.step, "n": args.n, "seed": args.seed, "metrics": metrics})


def _evaluate_images(args, run) -> None:
    """FID & co. of a run's samples (run given) or of the train split against the test split (--reference-only)."""
    from gankit.metrics import image

    n = args.n  # None: the functions take 10 000 or all the real images there are
    if args.metrics is not None and not image.parse_metrics(args.metrics):  # [] means "off" only in a config
        raise GankitError(f"--metrics '{args.metrics}' names no metric; "
                          f"expected some of: {', '.join(image.METRICS)}")
    if args.reference_only:
        if run is not None or args.run:
            raise GankitError("--reference-only compares two real splits; give --data, not a run directory")
        if not args.data:
            raise GankitError("--reference-only needs --data (a dataset name or path)")
        result = image.evaluate_reference(_data_config(args.data), args.metrics, n, args.features, seed=args.seed,
                                          device=args.device, inception_weights=args.inception_weights)
    elif run is None:
        raise GankitError("evaluate needs a run directory (or --reference-only --data DATA)")
    else:
        result = image.evaluate_run(run, args.metrics, n, args.features, reference=args.reference, seed=args.seed,
                                    device=args.device, inception_weights=args.inception_weights)
    print(image.format_result(result))
    if args.json:
        from gankit.utils.io import write_json

        write_json(args.json, result)


def _data_config(spec: str):
    from gankit.config import DataConfig

    looks_like_path = Path(spec).expanduser().exists() or "/" in spec or "." in spec
    return DataConfig(path=spec) if looks_like_path else DataConfig(name=spec)


# ---------------------------------------------------------------------------------------- features
def features(args) -> None:
    from gankit.train.runtime import pick_device

    args.device = pick_device(args.device, what="--device")
    if args.action == "train":
        from gankit.features.classifier import train_classifier

        command = (f"gankit features train --data {args.data} -o {args.output} --epochs {args.epochs} "
                   f"--batch-size {args.batch_size} --lr {args.lr} --seed {args.seed}")
        record = train_classifier(args.data, args.output, epochs=args.epochs, batch_size=args.batch_size,
                                  lr=args.lr, seed=args.seed, device=args.device, command=command,
                                  progress=True)
        print(f"wrote {args.output} (test accuracy {record['test_accuracy']:.4f} on {record['n_test']} images, "
              f"sha256 {record['sha256']}) and {Path(args.output).with_suffix('.json')}")
    else:
        from gankit.metrics import image

        if args.n < 1:
            raise GankitError(f"-n must be >= 1, got {args.n}")
        feats = image.extract_features(args.features, n=args.n, data=args.data and _data_config(args.data),
                                       run_dir=args.run, split=args.split, checkpoint=args.checkpoint,
                                       seed=args.seed, device=args.device, inception_weights=args.inception_weights)
        from gankit.utils.io import atomic_path

        with atomic_path(args.output) as tmp, open(tmp, "wb") as f:
            np.save(f, feats)
        print(f"wrote {args.output}: features {feats.shape[0]} x {feats.shape[1]} ({args.features})")


# ---------------------------------------------------------------------------------------- plot, list
def plot(args) -> None:
    from gankit.train.run import load_run
    from gankit.utils.io import read_jsonl
    from gankit.viz.animation import make_gif
    from gankit.viz.curves import plot_losses

    run = load_run(args.run)
    log = run.dir / "metrics.jsonl"
    if not log.is_file():
        raise GankitError(f"{log} not found; expected the training log of the run (plot redraws from it)")
    rows = read_jsonl(log)
    plot_losses([r for r in rows if r.get("kind") != "eval"], run.dir / "plots" / "losses.png")
    frames = sorted((run.dir / "samples").glob("step_*.png"))
    if frames:
        make_gif(frames, run.dir / "plots" / "animation.gif", fps=2)
    print(f"plots written to {run.dir / 'plots'}")


def report(args) -> None:
    from gankit.viz.report import write_report

    print(f"report written to {write_report(args.run, args.output)}")


def _preset_summary(name: str) -> str:
    """The first comment line of a preset's YAML (each preset starts by saying what it is)."""
    from gankit.config import PRESET_DIR

    for line in (PRESET_DIR / f"{name}.yaml").read_text().splitlines():
        if line.startswith("#"):
            text = line.lstrip("# ").strip()
            return text if len(text) <= 90 else text[:87] + "..."
    return ""


def list_all(args) -> None:
    import gankit.algorithms  # noqa: F401
    import gankit.models  # noqa: F401
    from gankit.data.build import IMAGE_NAMES
    from gankit.data.toy import SAMPLERS
    from gankit.features import EXTRACTORS
    from gankit.metrics.image import METRIC_HELP
    from gankit.losses import LOSSES
    from gankit.registry import ALGORITHMS, ARCHITECTURES

    sections = {
        "algorithms": ALGORITHMS.describe(),
        "models": ARCHITECTURES.describe(),
        "losses": LOSSES.describe(),
        "datasets": {**{n: "toy sampler" for n in sorted(SAMPLERS)}, **{n: "images" for n in IMAGE_NAMES},
                     "<path>": "CSV/NPY table, image folder, IDX directory, NPZ"},
        "presets": {name: _preset_summary(name) for name in list_presets()},
        "image metrics": METRIC_HELP,
        "features": EXTRACTORS,
    }
    for title, items in sections.items():
        print(f"{title}:")
        for name, text in items.items():
            print(f"  {name:<16} {text}".rstrip())


COMMANDS = {"train": train, "generate": generate, "evaluate": evaluate, "features": features, "plot": plot,
            "report": report, "list": list_all}

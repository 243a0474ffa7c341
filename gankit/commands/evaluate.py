"""`gankit evaluate`: the toy metrics of a vector run, FID & co. of an image run, or a real-vs-real floor."""
from __future__ import annotations

from pathlib import Path

import torch

from gankit.errors import GankitError


def evaluate(args) -> None:
    from gankit.train.run import load_run
    from gankit.train.runtime import pick_device

    if args.n is not None and args.n < 1:
        raise GankitError(f"--n must be >= 1, got {args.n}")
    if not args.reference_only:  # a run is scored against the data in its own config: these would be ignored
        for flag, value in (("--data", args.data), ("--image-size", args.image_size)):
            if value is not None:
                raise GankitError(f"{flag} applies only with --reference-only; a run is scored against the data "
                                  "it trained on (its config.yaml data section)")
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
    from gankit.metrics.toy import MMD_MAX_POINTS, vector_metrics

    data = build_data(run.cfg.data, run.cfg.model.g.out_activation)
    torch.manual_seed(args.seed)
    real = run.info.denormalize(data.batch(args.n)[0])
    fake = run.generator.sample(args.n, seed=args.seed + 1)
    metrics = vector_metrics(real, fake, dataset=run.info.name, modes=run.info.modes, mode_std=run.info.mode_std)
    subset = f"; mmd on {MMD_MAX_POINTS} of each" if args.n > MMD_MAX_POINTS else ""
    print(f"{run.dir} (step {run.step}, {args.n} real vs {args.n} generated{subset})")
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
        # these choose a run's checkpoint and real split; the floor is always test vs train (were ignored)
        for flag, given in (("--reference", args.reference), ("--checkpoint", args.checkpoint != "latest")):
            if given:
                raise GankitError(f"{flag} applies to a run; --reference-only always scores the test split "
                                  "against the train split of --data")
        result = image.evaluate_reference(_data_config(args.data, args.image_size), args.metrics, n, args.features,
                                          seed=args.seed, device=args.device, inception_weights=args.inception_weights)
    elif run is None:
        raise GankitError("evaluate needs a run directory (or --reference-only --data DATA)")
    else:
        result = image.evaluate_run(run, args.metrics, n, args.features, reference=args.reference, seed=args.seed,
                                    device=args.device, inception_weights=args.inception_weights)
    print(image.format_result(result))
    if args.json:
        from gankit.utils.io import write_json

        write_json(args.json, result)


def _data_config(spec: str, image_size: int | None = None):
    """--data (and --image-size) of real images -> DataConfig. A name or path that cannot be images is
    refused here, before an extractor is chosen: its "no classifier ships for 'nosuch'" advice would
    send the user off to train a classifier on data that does not exist."""
    from gankit.config import DataConfig
    from gankit.data.build import IMAGE_NAMES, looks_like_path

    expected = (f"expected an image dataset name ({', '.join(IMAGE_NAMES)}) or the path of an image folder, "
                "IDX directory or .npz/.npy image file")
    is_path = looks_like_path(spec)
    if is_path and not Path(spec).expanduser().exists():
        raise GankitError(f"--data '{spec}' not found; {expected}")
    if not is_path and spec not in IMAGE_NAMES:
        from gankit.data.toy import SAMPLERS

        what = "a toy dataset of points, not images" if spec in SAMPLERS else "not a known dataset"
        raise GankitError(f"--data '{spec}' is {what}; {expected}")
    if is_path and image_size is None and _is_image_folder(Path(spec).expanduser()):
        raise GankitError(f"--data '{spec}' is a folder of image files; give --image-size N (they are resized "
                          "and centre-cropped to N x N)")
    return DataConfig(**{"path" if is_path else "name": spec}, image_size=image_size)


def _is_image_folder(path: Path) -> bool:
    """A directory that is not an IDX dataset (those hold their own size)."""
    from gankit.data import idx

    return path.is_dir() and idx.find_idx_file(path, idx.idx_file_names("train")[0]) is None

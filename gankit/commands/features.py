"""`gankit features`: train the small CNN behind classifier:<...>, or extract features to .npy."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gankit.commands.evaluate import _data_config
from gankit.errors import GankitError


def features(args) -> None:
    from gankit.train.runtime import pick_device

    args.device = pick_device(args.device, what="--device")
    if args.action == "train":
        from gankit.features.classifier import train_classifier

        _data_config(args.data, args.image_size)  # an unknown name or a folder without --image-size: say so now
        size = f" --image-size {args.image_size}" if args.image_size is not None else ""
        command = (f"gankit features train --data {args.data}{size} -o {args.output} --epochs {args.epochs} "
                   f"--batch-size {args.batch_size} --lr {args.lr} --seed {args.seed}")
        record = train_classifier(args.data, args.output, epochs=args.epochs, batch_size=args.batch_size,
                                  lr=args.lr, seed=args.seed, device=args.device, command=command,
                                  progress=True, image_size=args.image_size)
        print(f"wrote {args.output} (test accuracy {record['test_accuracy']:.4f} on {record['n_test']} images, "
              f"sha256 {record['sha256']}) and {Path(args.output).with_suffix('.json')}")
    else:
        extract(args)


def extract(args) -> None:
    from gankit.metrics import image
    from gankit.utils.io import atomic_path, check_writable

    if args.n is not None and args.n < 1:
        raise GankitError(f"-n must be >= 1, got {args.n}")
    if args.run is not None:  # generated images come at the run's own size, from no split
        for flag, value in (("--split", args.split), ("--image-size", args.image_size)):
            if value is not None:
                raise GankitError(f"{flag} applies to real images (--data), not to a run's samples (--run)")
    # np.save writes NPY whatever the name says: a .csv of NPY bytes would fool every reader of it
    if Path(args.output).suffix.lower() != ".npy":
        raise GankitError(f"-o {args.output}: features are written as a NumPy array; expected a .npy file name")
    check_writable(args.output)  # before minutes of sampling and extraction, not after
    data = args.data and _data_config(args.data, args.image_size)
    feats = image.extract_features(args.features, n=args.n, data=data, run_dir=args.run,
                                   split=args.split or "train", checkpoint=args.checkpoint, seed=args.seed,
                                   device=args.device, inception_weights=args.inception_weights)
    with atomic_path(args.output) as tmp, open(tmp, "wb") as f:
        np.save(f, feats)
    print(f"wrote {args.output}: features {feats.shape[0]} x {feats.shape[1]} ({args.features})")

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

"""Train and test splits of a labelled image dataset, for training a feature classifier and for
choosing the reference images of a metric.

mnist, fashion-mnist and IDX directories ship a test split (t10k-*). Other sources (scikit-learn's
digits, NPZ files, image folders) have none: there the last HOLDOUT_FRACTION of the examples, in file
order, is the test split and the rest the train split, so the two never overlap. In a folder with
class sub-folders, the last fraction of EACH class: its files are read sub-folder by sub-folder, so a
plain tail would be the last class alone, and a classifier tested on it (or a real-vs-real floor
measured against it) would mean nothing. Arrays keep the plain tail (documented accuracies of
classifiers trained on digits were measured on it).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from gankit.data.images import LoadedImages, load_images
from gankit.errors import GankitError

HOLDOUT_FRACTION = 0.2
SPLITS = ("train", "test")


def has_test_split(spec: str) -> bool:
    """True when `spec` (a dataset name or path) has its own test files."""
    from gankit.data import idx

    if spec in idx.NAMED_DATASETS:
        return True
    path = Path(spec).expanduser()
    return path.is_dir() and idx.find_idx_file(path, idx.idx_file_names("test")[0]) is not None


def load_split(spec: str, split: str, *, root: str | None = None, image_size: int | None = None,
               channels: int | None = None, holdout: bool = True) -> LoadedImages:
    """The `split` ("train" or "test") of `spec` as uint8 (N, C, H, W) images (+ labels when present).

    holdout=False: a source without test files is returned whole as its "train" split (what a GAN
    trained on it saw) and asking for its "test" split is an error."""
    if split not in SPLITS:
        raise GankitError(f"split must be train or test, got {split!r}")
    if has_test_split(spec):
        return load_images(spec, root=root, image_size=image_size, channels=channels, split=split)
    if not holdout and split == "test":
        raise GankitError(f"data '{spec}' has no test split (only IDX data such as mnist ships t10k-* files); "
                          "expected the train split as reference (--reference train, eval.reference_split=train)")
    loaded = load_images(spec, root=root, image_size=image_size, channels=channels)
    if not holdout:
        return loaded
    by_class = loaded.labels is not None and Path(spec).expanduser().is_dir()  # a folder of class sub-folders
    test = _holdout_mask(loaded.labels if by_class else None, len(loaded))
    part = torch.nonzero(~test if split == "train" else test).squeeze(1)  # indices, in file order
    labels = None if loaded.labels is None else loaded.labels[part]
    each = " of each class" if by_class else ""
    return replace(loaded, images=loaded.images[part].contiguous(), labels=labels,
                   source=f"{loaded.source} ({split}: {'all but the last' if split == 'train' else 'the last'} "
                          f"{HOLDOUT_FRACTION:.0%}{each}, {len(part)} of {len(loaded)})")


def _holdout_mask(labels: torch.Tensor | None, n: int) -> torch.Tensor:
    """True for the test examples: the last HOLDOUT_FRACTION (at least one) of the whole set, or with labels
    of each class (at least one of a class of two or more: a lone example stays in train)."""
    test = torch.zeros(n, dtype=torch.bool)
    if labels is None:
        test[n - max(1, int(n * HOLDOUT_FRACTION)):] = True
        return test
    for c in labels.unique():
        members = torch.nonzero(labels == c).squeeze(1)
        if len(members) > 1:  # round, not int: per-class floors would add up to well under the fraction
            test[members[len(members) - max(1, round(len(members) * HOLDOUT_FRACTION)):]] = True
    if not test.any():
        test[-1] = True
    return test

"""Train and test splits of a labelled image dataset, for training a feature classifier and for
choosing the reference images of a metric.

mnist, fashion-mnist and IDX directories ship a test split (t10k-*). Other sources (scikit-learn's
digits, NPZ files) have none: there the last HOLDOUT_FRACTION of the examples, in file order, is
the test split and the rest the train split, so the two never overlap.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

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
        raise GankitError(f"data '{spec}' has no test split (no t10k-* files); use the train split as reference")
    loaded = load_images(spec, root=root, image_size=image_size, channels=channels)
    if not holdout:
        return loaded
    cut = len(loaded) - max(1, int(len(loaded) * HOLDOUT_FRACTION))
    part = slice(0, cut) if split == "train" else slice(cut, None)
    labels = None if loaded.labels is None else loaded.labels[part]
    return replace(loaded, images=loaded.images[part].contiguous(), labels=labels,
                   source=f"{loaded.source} ({split}: {'first' if split == 'train' else 'last'} "
                          f"{len(loaded.images[part])} of {len(loaded)})")

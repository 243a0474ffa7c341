"""Train and test splits: the test files where a dataset has them, else a held-out tail that never overlaps."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gankit.errors import GankitError
from gankit.features.splits import has_test_split, load_split


def test_named_idx_datasets_have_a_test_split_and_arrays_do_not(tmp_path):
    path = tmp_path / "x.npz"
    np.savez(path, images=np.zeros((10, 4, 4), np.uint8))
    assert has_test_split("fashion-mnist") and has_test_split("mnist")
    assert not has_test_split(str(path)) and not has_test_split("digits")


def test_holdout_splits_partition_the_examples_in_order(tmp_path):
    path = tmp_path / "x.npz"
    images = np.arange(10, dtype=np.uint8)[:, None, None].repeat(4, 1).repeat(4, 2)  # image i is all i
    np.savez(path, images=images, labels=np.arange(10) % 2)
    train, test = load_split(str(path), "train"), load_split(str(path), "test")
    assert train.images[:, 0, 0, 0].tolist() == list(range(8)) and test.images[:, 0, 0, 0].tolist() == [8, 9]
    assert torch.equal(test.labels, torch.tensor([0, 1]))
    whole = load_split(str(path), "train", holdout=False)  # what a GAN trained on this file saw
    assert len(whole) == 10
    with pytest.raises(GankitError, match="no test split"):
        load_split(str(path), "test", holdout=False)
    with pytest.raises(GankitError, match="train or test"):
        load_split(str(path), "validation")

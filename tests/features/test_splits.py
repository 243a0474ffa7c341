"""Train and test splits: the test files where a dataset has them, else a held-out tail that never overlaps."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

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


def test_a_folder_of_class_sub_folders_holds_out_the_tail_of_each_class(tmp_path):
    # files are read sub-folder by sub-folder: a plain tail would be class 'b' alone
    for name, count in (("a", 10), ("b", 5), ("c", 1)):  # 'c' has one image: it stays in train
        (tmp_path / name).mkdir()
        for i in range(count):
            Image.new("L", (4, 4), 10 * i + {"a": 0, "b": 100, "c": 200}[name]).save(tmp_path / name / f"{i}.png")
    train, test = (load_split(str(tmp_path), split, image_size=4, channels=1) for split in ("train", "test"))
    assert test.images[:, 0, 0, 0].tolist() == [80, 90, 140] and test.labels.tolist() == [0, 0, 1]
    assert train.images[:, 0, 0, 0].tolist() == [0, 10, 20, 30, 40, 50, 60, 70, 100, 110, 120, 130, 200]
    assert "each class" in test.source and "3 of 16" in test.source

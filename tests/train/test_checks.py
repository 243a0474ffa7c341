"""Tests for gankit/train/checks.py: keys that only act on images are refused on vector data (they
were silently ignored), before the run's folder exists."""
from __future__ import annotations

import pytest

from gankit.config import apply_overrides, load_config
from gankit.errors import GankitError
from gankit.train.trainer import Trainer


@pytest.mark.parametrize("override, words", [
    ("data.image_size=32", "config key 'data.image_size' (32) resizes images (--image-size); this run's data are "
                           "vectors of shape (2,) (set it to null)"),
    ("data.channels=3", "config key 'data.channels' (3) converts images' channels"),
    ("eval.predict=4", "config key 'eval.predict' (4) saves final fakes as image files; this run's data are "
                       "vectors of shape (2,) (set it to 0)"),
    ("eval.image_metrics=[fid]", "config key 'eval.image_metrics' (['fid']) scores images"),
    ("eval.features=pixels", "config key 'eval.features' ('pixels') picks the feature extractor"),
    ("eval.best_metric=fid", "config key 'eval.best_metric' ('fid') picks the best checkpoint by an image metric"),
])
def test_image_only_keys_on_vector_data_are_refused_before_the_run_folder(tmp_path, override, words):
    cfg = apply_overrides(load_config("circle"), [f"train.out_dir={tmp_path / 'out'}", override])
    with pytest.raises(GankitError) as caught:
        Trainer(cfg)
    assert str(caught.value).startswith(words)
    assert not (tmp_path / "out").exists()

"""gankit's Python API (gankit/__init__.py): train from a Config, sample from the run it returns."""
from __future__ import annotations

import pytest
import torch

import gankit
from gankit.errors import GankitError
from gankit.train.checkpoint import latest_step


def _tiny_config(tmp_path):
    cfg = gankit.load_config("circle")
    cfg.train.out_dir = str(tmp_path)
    cfg.train.batch_size, cfg.train.progress = 32, False
    cfg.eval.every, cfg.eval.n_metric, cfg.eval.n_samples, cfg.eval.plots = 5, 200, 100, False
    return cfg


def test_python_api_trains_and_samples(tmp_path):
    run = gankit.train(_tiny_config(tmp_path), steps=5)
    samples = run.generator.sample(5)
    assert isinstance(samples, torch.Tensor) and samples.shape == (5, 2)
    assert torch.isfinite(samples).all()
    assert run.dir.parent == tmp_path and latest_step(run.dir / "checkpoints") == 5


def test_python_api_run_knows_its_step(tmp_path):
    run = gankit.train(_tiny_config(tmp_path), steps=5)
    assert run.step == 5  # load_run(run.dir).step is 5; the run fit() returns should agree


@pytest.mark.parametrize("steps", [0, -3])
def test_python_api_rejects_bad_steps_before_writing(tmp_path, steps):
    with pytest.raises(GankitError, match="train.steps"):
        gankit.train(_tiny_config(tmp_path), steps=steps)
    assert list(tmp_path.iterdir()) == []

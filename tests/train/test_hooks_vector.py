"""Tests for gankit/train/hooks_vector.py: which figures an evaluation of vector data writes (per step,
at the end only, or none beyond 2-D), that statistics are reported in data units with the same D
accuracy as the log, the toy metrics in the eval rows, and the 2-D projection of D's features."""
from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from gankit.config import apply_overrides, load_config
from gankit.train.hooks_vector import _project_2d
from gankit.train.trainer import Trainer

EVAL = ["train.steps=4", "eval.every=2", "eval.n_metric=200", "eval.n_samples=100", "eval.n_accuracy=50",
        "train.batch_size=32", "train.progress=false"]
FIGURES = [("gankit.viz.scatter", "scatter_real_fake"), ("gankit.viz.discriminator", "d_heatmap"),
           ("gankit.viz.discriminator", "gan_paper_1d"), ("gankit.viz.features", "d_features"),
           ("gankit.viz.features", "value_function"), ("gankit.viz.curves", "plot_losses"),
           ("gankit.viz.animation", "make_gif")]


@pytest.fixture
def figures(monkeypatch) -> dict:
    """Replace the figure writers (tested in tests/viz) by recorders: {file name: (writer, args)}.
    The hooks import them when they draw, so patching the modules reaches them; rendering costs ~0.5 s each."""
    drawn: dict = {}

    def recorder(name):
        def record(*args, **kwargs):
            path = next(a for a in [*args, *kwargs.values()] if isinstance(a, Path))
            drawn[path.name] = (name, args)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()  # the animation is made of the sample frames found on disk
        return record

    for module, name in FIGURES:
        monkeypatch.setattr(importlib.import_module(module), name, recorder(name))
    return drawn


def fit(tmp_path, *overrides: str):
    cfg = apply_overrides(load_config("circle"), EVAL + [f"train.out_dir={tmp_path}", *overrides])
    run = Trainer(cfg).fit()
    rows = [json.loads(line) for line in (run.dir / "metrics.jsonl").read_text().splitlines()]
    return run.dir, [r for r in rows if r.get("kind") == "eval"]


def test_a_2d_run_draws_scatter_and_heatmap_per_evaluation_and_the_feature_figures_at_the_end(tmp_path, figures):
    run, evals = fit(tmp_path, "data.normalize=standard")  # the circle of radius 2, trained normalised
    assert [r["step"] for r in evals] == [2, 4]
    assert sorted(figures) == ["animation.gif", "d_features_000004.png", "d_heatmap_000002.png",
                               "d_heatmap_000004.png", "losses.png", "step_000002.png", "step_000004.png",
                               "value_function.png"]
    assert figures["d_heatmap_000004.png"][0] == "d_heatmap"
    real, fake = figures["step_000004.png"][1][:2]
    assert real.shape == fake.shape == (100, 2)
    np.testing.assert_allclose(np.linalg.norm(real, axis=1), 2.0, rtol=1e-5)  # data units, not normalised ones
    assert {"mmd", "swd", "radius_mean", "eval_acc_real"} <= evals[0].keys() and {"mmd"} <= evals[1].keys()
    stats = (run / "plots" / "stats.md").read_text()
    assert (f"Step 4: D accuracy on 50 real = {evals[1]['eval_acc_real']:.2f}, "
            f"on 50 fake = {evals[1]['eval_acc_fake']:.2f}") in stats  # the log's numbers
    assert 1.8 < real_column(stats, "x0", "max") <= 2.0 + 1e-3  # statistics in data units too


def test_a_1d_run_with_a_d_feature_layer_draws_its_features_at_every_evaluation(tmp_path, figures):
    _, evals = fit(tmp_path, "data.name=gmm1d", "data.params={}", "model.d.feature_dim=2")
    assert {"d_features_000002.png", "d_features_000004.png", "value_function.png"} <= figures.keys()
    assert figures["d_heatmap_000002.png"][0] == "gan_paper_1d"
    assert {"mmd", "swd", "n_modes", "hq"} <= evals[-1].keys()  # gmm1d has known modes


def real_column(stats: str, column: str, statistic: str) -> float:
    table = stats.split(f"## {column}\n", 1)[1]
    return float(re.search(rf"^\| {re.escape(statistic)} \| ([^|]+) \|", table, re.M).group(1))


def test_more_than_two_dimensions_get_statistics_and_metrics_but_no_figures(tmp_path, figures):
    table = tmp_path / "points.csv"
    np.savetxt(table, np.random.default_rng(0).normal(size=(64, 3)), delimiter=",")
    run, evals = fit(tmp_path, f"data.path={table}", "eval.every=4")
    assert sorted(figures) == ["losses.png"]
    assert "## x2" in (run / "plots" / "stats.md").read_text()
    assert {"mmd", "swd"} <= evals[-1].keys()


def test_projection_keeps_two_columns_pads_one_and_finds_the_principal_plane():
    two = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert np.array_equal(_project_2d(two), two)
    assert np.array_equal(_project_2d(np.array([[1.0], [5.0]])), np.array([[1.0, 0.0], [5.0, 0.0]]))
    rng = np.random.default_rng(0)
    plane = rng.normal(size=(50, 2)) * [3.0, 1.0]  # most variance along the first axis
    basis = np.linalg.qr(rng.normal(size=(5, 2)))[0].T  # an orthonormal 2-D plane inside 5-D
    points = plane @ basis + 7.0
    projected = _project_2d(points)
    distances = lambda p: np.linalg.norm(p[:, None] - p[None], axis=-1)  # noqa: E731
    np.testing.assert_allclose(distances(projected), distances(points), atol=1e-9)  # a rigid map of the plane
    np.testing.assert_allclose(projected.mean(0), 0.0, atol=1e-9)
    assert projected[:, 0].var() > projected[:, 1].var()

"""Quality floor in CI: the shipped ring8 preset, cut to a few seconds of training, must already
find most of the ring. A broken loss, optimiser, penalty or sampler shows up here as a collapsed or
scattered G long before anyone reruns benchmarks/toy.py (the full-length numbers live in
benchmarks/RESULTS.md).

Measured at 600 steps (seeds 0-2): 8/8 modes and 32-57 % HQ, against 8/8 and ~95 % after the
preset's 3,000. The floor (6/8 modes, 20 % HQ) leaves room for other CPUs and torch versions; an
untrained G must fail it, so the floor cannot pass vacuously.
"""
from __future__ import annotations

import json

import gankit
from gankit.metrics.toy import mode_stats

STEPS = 600
N_EVAL = 2500  # the PacGAN protocol's sample count


def _ring8(tmp_path, steps: int):
    cfg = gankit.apply_overrides(gankit.load_config("ring8"), [
        f"train.steps={steps}", f"train.out_dir={tmp_path}", "train.seed=0", "train.progress=false",
        "train.device=cpu", f"eval.every={steps}", "eval.plots=false", "eval.metrics=false"])
    return gankit.train(cfg)


def _scores(run) -> dict:
    fake = run.generator.sample(N_EVAL, seed=1)  # (2500, 2) in data units
    return mode_stats(fake, run.info.modes, run.info.mode_std)


def test_ring8_preset_reaches_the_floor_in_a_few_seconds(tmp_path):
    scores = _scores(_ring8(tmp_path, STEPS))
    assert scores["n_modes"] == 8
    assert scores["modes"] >= 6, scores
    assert scores["hq"] >= 0.20, scores


def test_untrained_generator_fails_the_floor(tmp_path):
    scores = _scores(_ring8(tmp_path, 1))
    assert scores["modes"] < 6 or scores["hq"] < 0.20, scores


def test_benchmark_script_writes_the_table(tmp_path):
    """benchmarks/toy.py end to end on a 20-step run: one row per seed, a mean row, the header."""
    from benchmarks import toy

    out, rows = tmp_path / "toy.md", tmp_path / "toy.json"
    toy.main(["--seeds", "1", "--presets", "ring8", "--set", "train.steps=20", "--set", "eval.plots=false",
              "--out", str(out), "--json", str(rows)])
    text = out.read_text()
    assert "| ring8 | 0 | " in text and "| **ring8** | **mean** |" in text
    assert "torch" in text and "load average" in text
    (row,) = json.loads(rows.read_text())["rows"]
    assert row["steps"] == 20 and row["n_modes"] == 8 and 0.0 <= row["hq"] <= 1.0

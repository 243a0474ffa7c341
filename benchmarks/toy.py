"""Quality benchmark on the toy mixtures: modes captured and high-quality samples, per preset and seed.

    python -m benchmarks.toy [--seeds 5] [--presets grid25,ring8,grid25-vanilla] [--set train.steps=2000]

Protocol of VEEGAN (Srivastava et al. 2017, sec. 5.1) as reused by PacGAN (Lin et al. 2018, Table 1):
2,500 generated samples; a sample is high quality (HQ) if it lies within 3 std of its nearest mode;
a mode is captured if at least one HQ sample is nearest to it. Each run is trained with the preset
as it ships (only the seed, run name and output folder change), then scored exactly as
`gankit evaluate RUN --n 2500 --seed 0` scores it (the same function is called).
Published anchors (PacGAN Table 1, 2D-grid, ~400k steps): GAN 17.3/25 modes, 94.8 % HQ; PacGAN4
24.8/25, 93.6 %; VEEGAN 24.6/25, 40 %.

"train s" is the wall-clock time of `Trainer.fit()`: every step plus the preset's own evaluations
and checkpoints, as a user running `gankit train PRESET` waits for it. "CPU s" is the CPU time the
process used meanwhile (toy runs use one thread): close to what the run takes on an idle machine,
whereas wall time grows with whatever else runs. The header records the CPU, the core count and
the load average for that reason.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from gankit.cli import build_parser
from gankit.commands import evaluate
from gankit.config import apply_overrides, load_config
from gankit.train.trainer import Trainer
from gankit.utils.io import atomic_open, write_json

DEFAULT_PRESETS = "grid25,ring8,grid25-vanilla"
N_EVAL = 2500  # samples per side, the PacGAN / VEEGAN protocol


def train_and_score(preset: str, seed: int, overrides: list[str], runs_dir: Path) -> dict:
    """Train `preset` with `seed` (plus `overrides`) and score its last checkpoint on 2,500 samples."""
    name = f"{Path(preset).stem}-s{seed}"
    cfg = load_config(preset)
    cfg = apply_overrides(cfg, [*overrides, f"train.seed={seed}", f"train.name={name}",
                                f"train.out_dir={runs_dir}", "train.progress=false"])
    started, cpu_started = time.perf_counter(), time.process_time()
    run = Trainer(cfg).fit()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    scores_path = run.dir / "evaluate.json"
    # The CLI's own parser fills every option `gankit evaluate` has, so the scoring cannot drift from it.
    args = build_parser().parse_args(["evaluate", str(run.dir), "--n", str(N_EVAL), "--seed", "0",
                                      "--json", str(scores_path)])
    with contextlib.redirect_stdout(io.StringIO()):  # the table below says it all
        evaluate(args)
    # gankit writes a metric without a value as null (standard JSON); NaN keeps the means below honest
    metrics = {k: math.nan if v is None else v for k, v in json.loads(scores_path.read_text())["metrics"].items()}
    return {"preset": Path(preset).stem, "seed": seed, "modes": metrics["modes"], "n_modes": metrics["n_modes"],
            "hq": metrics["hq"], "reverse_kl": metrics["reverse_kl"], "mmd": metrics["mmd"],
            "train_s": seconds, "cpu_s": cpu_seconds, "steps": cfg.train.steps, "run": str(run.dir)}


def mean_row(rows: list[dict]) -> dict:
    """Means over seeds, plus how many seeds met the target (all modes, HQ >= 90 %)."""
    first = rows[0]
    hits = sum(r["modes"] == r["n_modes"] and r["hq"] >= 0.9 for r in rows)
    mean = lambda key: sum(r[key] for r in rows) / len(rows)  # noqa: E731
    return {"preset": first["preset"], "seed": "mean", "modes": mean("modes"), "n_modes": first["n_modes"],
            "hq": mean("hq"), "min_hq": min(r["hq"] for r in rows), "reverse_kl": mean("reverse_kl"),
            "train_s": mean("train_s"), "cpu_s": mean("cpu_s"), "steps": first["steps"],
            "target_met": f"{hits}/{len(rows)}"}


def _fmt_modes(row: dict) -> str:
    modes = row["modes"]
    text = f"{modes:.1f}" if isinstance(modes, float) else str(modes)
    return f"{text}/{row['n_modes']}"


def _fmt(value: float, digits: int) -> str:
    return "nan" if isinstance(value, float) and math.isnan(value) else f"{value:.{digits}f}"


def markdown_table(rows: list[dict], means: list[dict]) -> str:
    lines = ["| preset | seed | modes | HQ % | reverse KL | train s | CPU s | steps |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['preset']} | {row['seed']} | {_fmt_modes(row)} | {100 * row['hq']:.1f} | "
                     f"{_fmt(row['reverse_kl'], 4)} | {row['train_s']:.1f} | {row['cpu_s']:.1f} | "
                     f"{row['steps']} |")
    for row in means:
        lines.append(f"| **{row['preset']}** | **mean** | **{_fmt_modes(row)}** | **{100 * row['hq']:.1f}** "
                     f"(min {100 * row['min_hq']:.1f}) | {_fmt(row['reverse_kl'], 4)} | {row['train_s']:.1f} | "
                     f"{row['cpu_s']:.1f} | {row['steps']} |")
    lines.append("")
    lines.append("Seeds with every mode captured and HQ >= 90 %: " +
                 ", ".join(f"{m['preset']} {m['target_met']}" for m in means) + ".")
    return "\n".join(lines)


def load_average() -> str:
    """The 1, 5 and 15-minute load averages: how many runnable processes shared the cores."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def machine_header(argv: list[str], load_at_start: str) -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "\n".join([
        f"- command: `python -m benchmarks.toy {shlex.join(argv)}`",
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- CPU: {cpu}, {os.cpu_count()} cores; torch {torch.__version__}; python {platform.python_version()}",
        f"- load average (1 / 5 / 15 min): {load_at_start} at the start, {load_average()} at the end",
    ])


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.toy", description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 per preset (default 5)")
    p.add_argument("--presets", default=DEFAULT_PRESETS,
                   help=f"comma-separated preset names or YAML paths (default {DEFAULT_PRESETS})")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="config override applied to every run (for sweeps; the table then is not the preset's)")
    p.add_argument("--out", default="benchmarks/toy_results.md", help="markdown table written here")
    p.add_argument("--json", help="also write every row as JSON here")
    p.add_argument("--runs-dir", help="where the runs go (default: a temporary folder, deleted at the end)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    load_at_start = load_average()
    presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    with contextlib.ExitStack() as stack:
        runs_dir = Path(args.runs_dir) if args.runs_dir else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        rows, means = [], []
        for preset in presets:
            preset_rows = []
            for seed in range(args.seeds):
                row = train_and_score(preset, seed, args.overrides, runs_dir)
                print(f"{row['preset']} seed {seed}: {row['modes']}/{row['n_modes']} modes, "
                      f"HQ {100 * row['hq']:.1f} %, reverse KL {_fmt(row['reverse_kl'], 4)}, "
                      f"{row['train_s']:.1f} s", flush=True)
                preset_rows.append(row)
            rows += preset_rows
            means.append(mean_row(preset_rows))
    text = f"{machine_header(argv, load_at_start)}\n\n{markdown_table(rows, means)}\n"
    print("\n" + text)
    with atomic_open(args.out) as f:
        f.write(text)
    if args.json:
        write_json(args.json, {"rows": rows, "means": means, "overrides": args.overrides})


if __name__ == "__main__":
    main()

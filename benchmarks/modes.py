"""Does a speed mode keep training quality? One preset, two settings, same seed and steps.

    python -m benchmarks.modes mnist-dcgan --steps 200 --a "" --b "train.channels_last=false" \\
        --set data.name=fashion-mnist --out benchmarks/results/mnist-dcgan-layout

Writes <out>.png: D and G losses of both runs on one plot, and 8x8 grids of each final G from the same noise
side by side; prints seconds per step, and FID / KID (shipped classifier, `gankit evaluate`) of both.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from gankit.config import apply_overrides, load_config  # noqa: E402
from gankit.train.trainer import Trainer  # noqa: E402


def train(preset: str, overrides: list[str], name: str, steps: int, work: str) -> tuple[Path, float]:
    cfg = apply_overrides(load_config(preset), [*overrides, f"train.steps={steps}", f"train.name={name}",
                                                f"train.out_dir={work}", "train.progress=false",
                                                f"eval.every={steps}", "eval.plots=false", "eval.metrics=false",
                                                "train.log_every=5"])
    start = time.perf_counter()
    run = Trainer(cfg).fit()
    return run.dir, (time.perf_counter() - start) / steps


def rows(run_dir: Path) -> list[dict]:
    """The training log rows (evaluation rows carry no losses)."""
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [row for row in map(json.loads, filter(str.strip, lines)) if "d_loss" in row]


def scores(run_dir: Path, n: int) -> dict:
    out = run_dir / "eval.json"
    subprocess.run([sys.executable, "-m", "gankit", "evaluate", str(run_dir), "--metrics", "fid,kid", "--n", str(n),
                    "--json", str(out)], check=True, capture_output=True, text=True)
    result = json.loads(out.read_text())
    return result.get("metrics") or result.get("scores") or result


def last_grid(run_dir: Path) -> Image.Image:
    """64 samples of the final G from the same noise (seed 0) for both runs."""
    out = run_dir / "grid_seed0.png"
    subprocess.run([sys.executable, "-m", "gankit", "generate", str(run_dir), "--grid", "8x8", "--seed", "0",
                    "-o", str(out)], check=True, capture_output=True, text=True)
    return Image.open(out).convert("RGB")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("preset")
    parser.add_argument("--a", default="", help="comma-separated overrides of run A (the mode)")
    parser.add_argument("--b", default="", help="comma-separated overrides of run B (the reference)")
    parser.add_argument("--set", dest="common", action="append", default=[], help="override for both runs")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--n", type=int, default=2000, help="images per side for FID / KID")
    parser.add_argument("--out", required=True, help="output path without extension")
    parser.add_argument("--work", default="/tmp/gankit-modes")
    parser.add_argument("--reuse", action="store_true", help="plot runs already in --work instead of training")
    args = parser.parse_args(argv)
    runs = {}
    for label, extra in (("A", args.a), ("B", args.b)):
        overrides = args.common + [o for o in extra.split(",") if o]
        if args.reuse:
            run_dir = Path(args.work) / f"{args.preset}-{label}"
            last = rows(run_dir)[-1]
            per_step, result = last["time"] / last["step"], json.loads((run_dir / "eval.json").read_text())
            found = result.get("metrics") or result.get("scores") or result
        else:
            run_dir, per_step = train(args.preset, overrides, f"{args.preset}-{label}", args.steps, args.work)
            found = scores(run_dir, args.n)
        runs[label] = {"overrides": overrides, "dir": run_dir, "s_per_step": per_step, "scores": found}
        print(json.dumps({"run": label, "overrides": overrides, "s_per_step": round(per_step, 3),
                          **{k: runs[label]["scores"].get(k) for k in ("fid", "kid")}}), flush=True)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), dpi=80, gridspec_kw={"width_ratios": [1.4, 1, 1]})
    for label, style in (("A", "-"), ("B", "--")):
        data = rows(runs[label]["dir"])
        for key in ("d_loss", "g_loss"):
            axes[0].plot([r["step"] for r in data], [r[key] for r in data], style, label=f"{key} {label}")
    axes[0].set_xlabel("step")
    axes[0].legend()
    axes[0].set_title("losses: A solid, B dashed")
    for ax, label in zip(axes[1:], ("A", "B")):
        ax.imshow(last_grid(runs[label]["dir"]))
        s = runs[label]["scores"]
        ax.set_title(f"{label}: {','.join(runs[label]['overrides'][len(args.common):]) or 'preset'}\n"
                     f"FID {s.get('fid', float('nan')):.1f}, {runs[label]['s_per_step']:.2f} s/step", fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(f"{args.out}.png")
    print(f"wrote {args.out}.png")


if __name__ == "__main__":
    main()

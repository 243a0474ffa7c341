"""The GAN family side by side at an equal training-time budget.

    python -m benchmarks.family grid25  [--seconds 60] [--seeds 1]     # modes / HQ % / reverse KL on 2,500 samples
    python -m benchmarks.family fashion [--seconds 120] [--device cpu] [--n 5000]   # FID / KID (shipped classifier)

Each preset trains for the same wall-clock budget (`train.time_limit`), then is evaluated on the
protocol of its data. For conditional presets the shipped Fashion-MNIST classifier also checks
that an image asked for class k is classified as k.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch

from gankit.config import apply_overrides, load_config
from gankit.train.run import load_run
from gankit.train.trainer import Trainer

GRID25 = ["grid25", "grid25-vanilla", "grid25-wgan", "grid25-wgan-gp", "grid25-lsgan", "grid25-hinge",
          "grid25-pacgan", "grid25-infogan"]
FASHION = ["fashion-dcgan", "fashion-wgan-gp", "fashion-cgan", "fashion-infogan"]


def train_for(preset: str, seconds: float, seed: int, out: str, device: str, extra=()) -> tuple[Path, int, float]:
    cfg = apply_overrides(load_config(preset), [
        f"train.time_limit={seconds}", "train.steps=100000000", f"train.seed={seed}", f"train.out_dir={out}",
        f"train.name={preset}-s{seed}", "train.progress=false", "eval.every=100000000", "eval.plots=false",
        f"train.device={device}", *extra])
    start = time.perf_counter()
    run = Trainer(cfg).fit()
    return run.dir, run.step, time.perf_counter() - start


def class_accuracy(run_dir: Path, per_class: int = 500) -> float:
    """Asked for class k, does the shipped classifier say k? (mean over classes)"""
    from gankit.features.classifier import load_classifier, shipped_weights

    run = load_run(run_dir)
    model, _ = load_classifier(shipped_weights("fashion-mnist"))
    model.eval()
    hits = []
    for k in range(run.info.num_classes):
        images = run.generator.sample(per_class, seed=k, label=k) / 255.0  # (n, 1, 28, 28) in [0, 1]
        with torch.no_grad():
            predicted = model(images).argmax(1)
        hits.append((predicted == k).float().mean().item())
    return sum(hits) / len(hits)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=["grid25", "fashion"])
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n", type=int, default=5000, help="images per side for FID/KID")
    parser.add_argument("--presets", default=None)
    parser.add_argument("--out", default="/tmp/gankit-family")
    args = parser.parse_args(argv)
    presets = args.presets.split(",") if args.presets else (GRID25 if args.part == "grid25" else FASHION)
    seconds = args.seconds or (60 if args.part == "grid25" else 120)
    print(f"# {time.strftime('%Y-%m-%d')} | {args.part} | {seconds:.0f} s per run | device {args.device} | torch {torch.__version__}")
    for preset in presets:
        for seed in range(args.seeds):
            run_dir, steps, took = train_for(preset, seconds, seed, args.out, args.device)
            if args.part == "grid25":
                cmd = ["evaluate", str(run_dir), "--n", "2500", "--json", str(run_dir / "eval.json")]
            else:
                cmd = ["evaluate", str(run_dir), "--metrics", "fid,kid,pr,dc,is", "--n", str(args.n), "--json",
                       str(run_dir / "eval.json"), "--device", args.device]
            subprocess.run([sys.executable, "-m", "gankit", *cmd], check=True, capture_output=True, text=True)
            result = json.loads((run_dir / "eval.json").read_text())
            metrics = result.get("metrics") or result.get("scores") or {}
            row = {"preset": preset, "seed": seed, "steps": steps, "seconds": round(took, 1)}
            keys = (("modes", "hq", "reverse_kl") if args.part == "grid25" else
                    ("fid", "kid", "kid_std", "precision", "recall", "density", "coverage", "is"))
            row.update({k: round(metrics[k], 4) if isinstance(metrics.get(k), float) else metrics.get(k) for k in keys})
            if args.part == "fashion" and preset in ("fashion-cgan",):
                row["class_accuracy"] = round(class_accuracy(run_dir), 3)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()

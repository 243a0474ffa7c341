"""CUDA correctness on a GPU machine (run by hand; CI has no GPU):

    python -m benchmarks.cuda_check [--out DIR]

For several presets: a short run on the GPU in fp32, through autograd (MLP presets otherwise take
hand-written gradients), bf16 autocast, channels_last and torch.compile, checking that losses stay finite; and resume exactness on the GPU (40 steps
straight vs 20 + resume + 20), reporting the largest weight difference.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from gankit.config import apply_overrides, load_config
from gankit.train.run import load_run
from gankit.train.trainer import Trainer

PRESETS = ["circle", "grid25", "quadratic", "mnist-dcgan", "fashion-dcgan", "fashion-wgan-gp", "fashion-cgan",
           "fashion-infogan"]
# fp32 is the default: MLP presets take the hand-written backward (mlp_steps.py); "autograd" is the same
# run through autograd, so the two rows' losses should agree to float32 rounding.
MODES = {"fp32": [], "autograd": ["train.manual_backward=false"], "bf16": ["train.precision=bf16"],
         "channels_last": ["train.channels_last=true"], "compile": ["train.compile=true"]}
QUIET = ["train.progress=false", "eval.plots=false", "eval.metrics=false", "train.device=cuda"]


def config(preset: str, out: Path, extra: list[str]):
    over = QUIET + [f"train.out_dir={out}"] + extra
    if preset == "mnist-dcgan":
        over.append("data.name=fashion-mnist")
    return apply_overrides(load_config(preset), over)


def short_run(preset: str, mode: str, out: Path, steps: int = 50) -> dict:
    cfg = config(preset, out / mode, MODES[mode] + [f"train.steps={steps}", f"eval.every={steps}"])
    trainer = Trainer(cfg)
    start = time.perf_counter()
    run = trainer.fit()
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    rows = [json.loads(line) for line in (run.dir / "metrics.jsonl").read_text().splitlines()]
    last = [r for r in rows if r.get("kind") != "eval"][-1]
    finite = all(v == v and abs(v) != float("inf") for k, v in last.items() if isinstance(v, float))
    return {"preset": preset, "mode": mode, "it_per_s": round(steps / seconds, 1), "finite": finite,
            "d_loss": last.get("d_loss"), "g_loss": last.get("g_loss")}


def resume_check(preset: str, out: Path, extra: tuple[str, ...] = ()) -> dict:
    base = ["train.steps=40", "eval.every=20", "train.checkpoint_every=20", "train.seed=3", *extra]
    straight = Trainer(config(preset, out / "straight", base)).fit()
    half = Trainer(config(preset, out / "halves", base[1:] + ["train.steps=20"])).fit()
    resumed = Trainer(config(preset, out / "halves", base), resume=half.dir).fit()
    a, b = load_run(straight.dir, device="cuda"), load_run(resumed.dir, device="cuda")
    diff = max((pa - pb).abs().max().item() for name in a.algo.nets
               for pa, pb in zip(a.algo.nets[name].state_dict().values(), b.algo.nets[name].state_dict().values())
               if pa.is_floating_point())
    return {"preset": preset, "extra": list(extra), "resume_max_abs_diff": diff}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="/tmp/gankit-cuda")
    parser.add_argument("--presets", default=",".join(PRESETS))
    parser.add_argument("--modes", default=",".join(MODES), help="a comma list of: " + ", ".join(MODES))
    parser.add_argument("--no-resume", action="store_true", help="skip the resume checks")
    args = parser.parse_args(argv)
    out = Path(args.out)
    print(f"# {torch.cuda.get_device_name()} | torch {torch.__version__}")
    results = []
    for preset in args.presets.split(","):
        for mode in args.modes.split(","):
            try:
                results.append(short_run(preset, mode, out / preset))
            except Exception as exc:  # report and go on: this is a survey
                results.append({"preset": preset, "mode": mode, "error": f"{type(exc).__name__}: {exc}"[:300]})
            print(json.dumps(results[-1]), flush=True)
    # cuDNN picks non-deterministic kernels when train.deterministic is off: the last case shows the difference.
    checks = [("circle", ()), ("fashion-dcgan", ()), ("fashion-dcgan", ("train.deterministic=false",))]
    for preset, extra in [] if args.no_resume else checks:
        try:
            results.append(resume_check(preset, out / f"resume-{preset}-{len(extra)}", extra))
        except Exception as exc:
            results.append({"preset": preset, "resume_error": f"{type(exc).__name__}: {exc}"[:300]})
        print(json.dumps(results[-1]), flush=True)


if __name__ == "__main__":
    main()

"""Speed: gankit's trainer vs a plain PyTorch loop of the same networks, alternating in one process.

    python -m benchmarks.speed [--workloads circle,grid25,mnist-dcgan,fashion-dcgan] [--rounds 3] [--device cpu]
                               [--set train.compile=true --warmup 3] [--plain-keeps-memory]

For each workload and round: the plain loop for N steps, then gankit's Trainer for N steps (logging
at its defaults, evaluation hooks off). Reported: iterations/s (and real images/s), the ratio
gankit/plain (median over rounds), and achieved GFLOP/s against a measured fp32 matmul peak
(FLOPs counted once per iteration with torch.utils.flop_counter).
"""
from __future__ import annotations

import argparse
import copy
import platform
import statistics
import time

import torch

from benchmarks.plain import plain_loop
from gankit.config import apply_overrides, load_config
from gankit.train.host_memory import keep_freed_memory
from gankit.train.trainer import Trainer

# workload -> (preset, overrides, steps per timed round)
WORKLOADS = {
    "circle": ("circle", [], 1500),
    "grid25": ("grid25", [], 1500),
    "mnist-dcgan": ("mnist-dcgan", ["data.name=fashion-mnist"], 30),
    "fashion-dcgan": ("fashion-dcgan", [], 60),
    "mnist-mlp": ("mnist-mlp", ["data.name=fashion-mnist"], 1000),  # seed 001 (not in the default list)
}
DEFAULT = "circle,grid25,mnist-dcgan,fashion-dcgan"
QUIET = ["eval.every=100000000", "eval.plots=false", "eval.metrics=false", "train.progress=false",
         "train.checkpoint_every=100000000"]


def workload_config(name: str, extra: list[str], device: str, out: str):
    preset, overrides, steps = WORKLOADS[name]
    cfg = apply_overrides(load_config(preset), overrides + QUIET + [f"train.steps={steps}"] + extra +
                          [f"train.device={device}", f"train.out_dir={out}"])
    return cfg, steps


def gankit_seconds(cfg, warmup: int = 0) -> float:
    """Seconds for cfg.train.steps steps of gankit's Trainer, after `warmup` untimed steps of the same
    trainer (torch.compile compiles there; 0: the first steps' one-off costs are timed too)."""
    cfg = copy.deepcopy(cfg)  # the trainer changes its config (steps below, epochs): keep the caller's intact
    trainer = Trainer(cfg)
    # One host-memory scope over both fits, as over one long fit: the heap the warm-up grew is kept.
    with trainer.host_memory():
        if warmup:
            steps = cfg.train.steps
            trainer.cfg.train.steps = warmup
            trainer.fit()
            trainer.cfg.train.steps = warmup + steps
        start = time.perf_counter()
        trainer.fit()
        if cfg.train.device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - start


def matmul_peak_gflops(device: str, n: int = 2048, tries: int = 3) -> float:
    """The best of `tries` timings of a 2048² fp32 GEMM: a peak, so the fastest (this VM drifts ±10 %)."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    for _ in range(3):
        a @ b
    reps = 5 if device == "cpu" else 50
    best = 0.0
    for _ in range(tries):
        if device != "cpu":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(reps):
            a @ b
        if device != "cpu":
            torch.cuda.synchronize()
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - start) / 1e9)
    return best


def flops_per_iteration(cfg) -> float:
    """FLOPs of one plain iteration (forward + backward), counted by torch's FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode

    one = apply_overrides(cfg, ["train.steps=1"])
    with FlopCounterMode(display=False) as counter:
        plain_loop(one, 1, device=cfg.train.device)
    return float(counter.get_total_flops())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workloads", default=DEFAULT, help=f"any of: {', '.join(WORKLOADS)}")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--set", dest="extra", action="append", default=[], help="extra override for gankit's side")
    parser.add_argument("--out", default="/tmp/gankit-speed")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply each workload's steps (GPUs: 10)")
    parser.add_argument("--warmup", type=int, default=0, help="untimed steps before each timed run (torch.compile)")
    parser.add_argument("--plain-keeps-memory", action="store_true",
                        help="run the plain loop under gankit's host-memory setting too (train/host_memory.py): "
                             "what the rest of gankit gains")
    args = parser.parse_args(argv)
    peaks = [matmul_peak_gflops(args.device)]  # measured again each round: the VM's speed drifts
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    print(f"# {time.strftime('%Y-%m-%d')} | {cpu} | {torch.get_num_threads()} threads | torch {torch.__version__} "
          f"| device {args.device} | fp32 matmul peak at start {peaks[0]:.0f} GFLOP/s | extra: {args.extra or 'none'}"
          f"{' | plain loop keeps freed memory too' if args.plain_keeps_memory else ''}")
    print("| workload | plain it/s | gankit it/s | gankit/plain (median, range over rounds) | real img/s (gankit) "
          "| GFLOP/s plain | GFLOP/s gankit | of peak (plain, gankit) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.workloads.split(","):
        steps = int(WORKLOADS[name][2] * args.scale)
        cfg, _ = workload_config(name, [f"train.steps={steps}"], args.device, args.out)
        gcfg, _ = workload_config(name, args.extra + [f"train.steps={steps}"], args.device, args.out)
        plain, ours = [], []
        for _ in range(args.rounds):
            peaks.append(matmul_peak_gflops(args.device))
            threads = torch.get_num_threads()
            with keep_freed_memory(args.plain_keeps_memory):  # otherwise glibc's defaults, as a user's script has
                if args.warmup:
                    plain_loop(cfg, args.warmup, device=args.device)
                plain.append(steps / plain_loop(cfg, steps, device=args.device))
            torch.set_num_threads(threads)
            ours.append(steps / gankit_seconds(gcfg, args.warmup))
        ratios = [o / p for o, p in zip(ours, plain)]
        ratio = statistics.median(ratios)
        flops = flops_per_iteration(cfg)  # the same networks: gankit's extra work (penalties, EMA) not counted
        gflops_plain, gflops_ours = (flops * statistics.median(r) / 1e9 for r in (plain, ours))
        images = statistics.median(ours) * cfg.train.batch_size
        peak = max(peaks)
        print(f"| {name} | {_fmt(statistics.median(plain))} | {_fmt(statistics.median(ours))} | {ratio:.2f}x "
              f"({min(ratios):.2f}-{max(ratios):.2f}) | "
              f"{images:.0f} | {gflops_plain:.1f} | {gflops_ours:.1f} | {gflops_plain / peak:.2f}, "
              f"{gflops_ours / peak:.2f} |", flush=True)
    print(f"# of peak = against the best of {len(peaks)} matmul peak measurements, {max(peaks):.0f} GFLOP/s "
          f"(range {min(peaks):.0f}-{max(peaks):.0f})")


def _fmt(rate: float) -> str:
    """Three significant figures: 331, 11.4, 0.302."""
    return f"{rate:.3g}"


if __name__ == "__main__":
    main()

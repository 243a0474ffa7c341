"""Where a training step's time goes: the top operators of gankit's trainer on a workload.

    python -m benchmarks.profile circle [--steps 300] [--rows 15] [--set train.threads=2] [--wall] [--floor] [--device cuda]

Warm-up steps first, then `--steps` profiled iterations (evaluation hooks off, as in benchmarks.speed).
Default: torch.profiler's self CPU time per operator, grouped by input shape for image workloads
(which layer is slow). `--wall`: each operator timed with a clock around it instead (a dispatch
mode; ~10 us per op of its own) — on this VM torch.profiler inflated even 100 MiB elementwise ops
several-fold (leaky_relu 181 ms under it, ~10 ms without), so big-op workloads read better this way.
`--device cuda`: kernels' own GPU time per operator, and how much of the wall clock the GPU was busy.
`--floor`: a lower bound for the workload on this machine. The matrix products and convolutions of a few
iterations (every mm / addmm / convolution and its backward, with their operands) are recorded, then each
is timed alone with its operands warm, and their sum is set beside gankit's and the plain loop's own time
per iteration: what is left above it is everything else (elementwise ops, normalisation, the optimizer,
Python) that a faster loop could still cut.
"""
from __future__ import annotations

import argparse
import collections
import time

import torch
from torch.profiler import ProfilerActivity, profile
from torch.utils._python_dispatch import TorchDispatchMode

from benchmarks.plain import plain_loop
from benchmarks.speed import WORKLOADS, workload_config
from gankit.config import apply_overrides
from gankit.train.trainer import Trainer


class WallClock(TorchDispatchMode):
    """Seconds spent in each (operator, first input's shape), summed (CPU ops run synchronously)."""

    def __init__(self):
        super().__init__()
        self.seconds, self.calls = collections.Counter(), collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        start = time.perf_counter()
        out = func(*args, **(kwargs or {}))
        key = (func.__name__, next((tuple(a.shape) for a in args if isinstance(a, torch.Tensor)), ()))
        self.seconds[key] += time.perf_counter() - start
        self.calls[key] += 1
        return out

    def table(self, steps: int, wall: float, rows: int) -> str:
        lines = [f"wall {wall / steps * 1e3:.1f} ms/step, of which in operators {sum(self.seconds.values()) / steps * 1e3:.1f}",
                 "| ms/step | % of wall | calls/step | operator | first input's shape |", "|---|---|---|---|---|"]
        for (name, shape), s in self.seconds.most_common(rows):
            lines.append(f"| {s / steps * 1e3:.3f} | {100 * s / wall:.1f} | {self.calls[name, shape] / steps:g} "
                         f"| {name} | {shape} |")
        return "\n".join(lines)


class MatmulRecorder(TorchDispatchMode):
    """Keeps every matrix product and convolution run inside it, with copies of its operands, to time
    them again alone."""
    PRODUCTS = ("mm", "addmm", "bmm", "baddbmm", "convolution", "convolution_backward")

    def __init__(self):
        super().__init__()
        self.calls: list[tuple] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func.overloadpacket.__name__ in self.PRODUCTS and "out" not in kwargs:
            copied = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
            self.calls.append((func, copied, dict(kwargs)))
        return func(*args, **kwargs)

    def replay_seconds(self, repeats: int = 5) -> float:
        """Seconds for the recorded products, each timed on its own (best of `repeats` runs, its operands
        warm in cache as they are in training, where the previous op has just written them)."""
        total = 0.0
        for func, args, kwargs in self.calls:
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                func(*args, **kwargs)
                best = min(best, time.perf_counter() - start)
            total += best
        return total

    def flops(self) -> float:
        """FLOPs of one pass over the recorded calls (torch.utils.flop_counter's formulas)."""
        from torch.utils.flop_counter import FlopCounterMode

        with FlopCounterMode(display=False) as counter:
            for func, args, kwargs in self.calls:
                func(*args, **kwargs)
        return float(counter.get_total_flops())


def floor(trainer: Trainer, cfg, steps: int, device: str) -> str:
    """gankit's and the plain loop's ms per iteration beside gankit's own products and convolutions, timed alone."""
    if device != "cpu":
        raise SystemExit("--floor times CPU operators (on a GPU, use the default kernel table)")
    start = trainer.step
    trainer.cfg.train.steps = start + steps
    began = time.perf_counter()
    trainer.fit()
    ours = (time.perf_counter() - began) / steps
    plain = plain_loop(apply_overrides(cfg, [f"train.steps={steps}"]), steps, device=device) / steps
    recorder, recorded = MatmulRecorder(), min(steps, 8)  # a few iterations: R1 runs every 4th
    trainer.cfg.train.steps += recorded
    with recorder:
        trainer.fit()
    products = recorder.replay_seconds() / recorded
    flops = recorder.flops() / recorded
    return "\n".join([
        "| ms per iteration | |", "|---|---|",
        f"| plain loop | {plain * 1e3:.3f} |",
        f"| gankit | {ours * 1e3:.3f} ({plain / ours:.2f}x the plain loop) |",
        f"| gankit's matrix products and convolutions alone, each timed on its own | {products * 1e3:.3f} "
        f"({len(recorder.calls) / recorded:g} a step, {flops / products / 1e9:.0f} GFLOP/s; "
        f"{plain / products:.2f}x the plain loop) |",
        f"| gankit above them | {(ours - products) * 1e3:.3f} |",
        f"| time for 2x the plain loop | {plain / 2 * 1e3:.3f} |"])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--steps", type=int, default=None, help="profiled iterations (default: a tenth of speed's)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: a fifth of --steps)")
    parser.add_argument("--rows", type=int, default=15)
    parser.add_argument("--wall", action="store_true", help="time each operator with a clock, not torch.profiler")
    parser.add_argument("--floor", action="store_true", help="gankit and the plain loop beside a replay of the "
                        "matrix products alone (CPU)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--set", dest="extra", action="append", default=[])
    parser.add_argument("--out", default="/tmp/gankit-profile")
    args = parser.parse_args(argv)
    steps = args.steps or max(2, WORKLOADS[args.workload][2] // 10)
    warm = args.warmup or max(1, steps // 5)
    cfg, _ = workload_config(args.workload, args.extra + [f"train.steps={warm}"], args.device, args.out)
    trainer = Trainer(cfg)
    images = len(trainer.data.info.shape) == 3
    print(f"# {args.workload}: {steps} profiled iterations after {warm} warm-up, torch {torch.__version__}")
    # one host-memory scope over the warm-up and the profiled fit, as in one long fit (benchmarks.speed)
    with trainer.host_memory():
        trainer.fit()  # warm-up (and the thread choice fit() makes, restored after it)
        if args.floor:
            print(floor(trainer, cfg, steps, args.device))
            return
        trainer.cfg.train.steps = warm + steps
        if args.wall:
            start, clock = time.perf_counter(), WallClock()
            with clock:
                trainer.fit()
            print(clock.table(steps, time.perf_counter() - start, args.rows))
            return
        gpu = args.device.startswith("cuda")
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if gpu else [])
        start = time.perf_counter()
        with profile(activities=activities, record_shapes=images) as prof:
            trainer.fit()
            if gpu:
                torch.cuda.synchronize()
        wall = time.perf_counter() - start
    averages = prof.key_averages(group_by_input_shape=images)
    if gpu:  # kernels never overlap on one stream here, so their summed time is the GPU's busy time
        busy = sum(e.self_device_time_total for e in averages) / 1e6
        print(f"wall {wall / steps * 1e3:.2f} ms/step under the profiler; GPU busy {busy / steps * 1e3:.2f} "
              f"ms/step ({100 * busy / wall:.0f} %)")
    key = "self_device_time_total" if gpu else "self_cpu_time_total"
    print(averages.table(sort_by=key, row_limit=args.rows, max_name_column_width=36, max_shapes_column_width=60))


if __name__ == "__main__":
    main()

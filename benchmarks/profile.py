"""Where a training step's time goes: torch.profiler's top operators for gankit's trainer on a workload.

    python -m benchmarks.profile circle [--steps 300] [--rows 15] [--set train.threads=2]

Warm-up steps first, then `--steps` profiled iterations (evaluation hooks off, as in benchmarks.speed).
Self CPU time per operator, grouped by input shape for image workloads (which layer is slow).
"""
from __future__ import annotations

import argparse

import torch
from torch.profiler import ProfilerActivity, profile

from benchmarks.speed import WORKLOADS, workload_config
from gankit.train.host_memory import keep_freed_memory
from gankit.train.trainer import Trainer


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--steps", type=int, default=None, help="profiled iterations (default: a tenth of speed's)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: a fifth of --steps)")
    parser.add_argument("--rows", type=int, default=15)
    parser.add_argument("--set", dest="extra", action="append", default=[])
    parser.add_argument("--out", default="/tmp/gankit-profile")
    args = parser.parse_args(argv)
    steps = args.steps or max(2, WORKLOADS[args.workload][2] // 10)
    warm = args.warmup or max(1, steps // 5)
    cfg, _ = workload_config(args.workload, args.extra + [f"train.steps={warm}"], "cpu", args.out)
    trainer = Trainer(cfg)
    # one host-memory scope over the warm-up and the profiled fit, as in one long fit (benchmarks.speed)
    with keep_freed_memory(cfg.train.keep_freed_memory):
        trainer.fit()  # warm-up (and the thread choice fit() makes, restored after it)
        trainer.cfg.train.steps = warm + steps
        images = len(trainer.data.info.shape) == 3
        with profile(activities=[ProfilerActivity.CPU], record_shapes=images) as prof:
            trainer.fit()
    table = prof.key_averages(group_by_input_shape=images).table(
        sort_by="self_cpu_time_total", row_limit=args.rows, max_name_column_width=36, max_shapes_column_width=60)
    print(f"# {args.workload}: {steps} profiled iterations after {warm} warm-up, torch {torch.__version__}")
    print(table)


if __name__ == "__main__":
    main()

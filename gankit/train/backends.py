"""Backend switches the trainer owns: torch.compile of the networks, and process-wide settings
(cuDNN, inductor) that hold only while a trainer fits and are put back after it."""
from __future__ import annotations

import contextlib
import functools
import warnings
from pathlib import Path

import torch


def compile_networks(algo, mode: str, announce: bool) -> list[str]:
    """torch.compile every network the algorithm does not differentiate twice (aot_autograd has no
    double backward: a gradient-penalised D stays eager), in place in `algo.nets`; the names compiled."""
    eager = algo.differentiated_twice()
    compiled = [name for name in algo.nets if name not in eager]
    for name in compiled:
        algo.nets[name] = torch.compile(algo.nets[name], mode=mode)
    if eager and announce:
        print(f"train.compile: {', '.join(sorted(eager))} left uncompiled (its gradient is differentiated "
              "again by the gradient penalty, which compiled graphs do not support)")
    return compiled


def training_threads(t, device: torch.device, data_kind: str, nets: dict, limit: int = 2**20) -> int | None:
    """CPU threads for `fit` (None: torch's default). train.threads when set; else one thread for vector
    data whose Linear layers all multiply fewer than `limit` numbers per batch. Microsecond-sized matmuls
    (the seeds' 16-32 wide MLPs) cost more to hand to a second thread than they save; grid25's 128-wide
    layers at batch 256-512 are 1.2x faster on two (benchmarks/RESULTS.md, "Speed")."""
    if t.threads:
        return t.threads
    if device.type != "cpu" or data_kind != "vector":
        return None
    rows = 2 * max(t.batch_size, t.fake_batch_size or 0, t.g_batch_size or 0)  # D may see real + fake at once
    linears = [m for net in nets.values() for m in net.modules() if isinstance(m, torch.nn.Linear)]
    return 1 if all(rows * m.in_features * m.out_features < limit for m in linears) else None


@contextlib.contextmanager
def backend_settings(deterministic: bool, compiled: bool):
    """deterministic: cuDNN picks deterministic kernels, no autotuning (exact resume on a GPU).
    compiled: inductor may switch convolution graphs to channels_last on CUDA while its shape rule for
    convolution_backward still predicts NCHW gradients, and the compiled backward then fails a stride
    check (pytorch/pytorch#171622; fashion-dcgan/cgan/infogan on an H100): keep the layout the user
    chose (train.channels_last) instead."""
    cudnn = torch.backends.cudnn
    with contextlib.ExitStack() as stack:
        if deterministic:
            stack.callback(_restore_cudnn, cudnn.benchmark, cudnn.deterministic)
            cudnn.benchmark, cudnn.deterministic = False, True
        if compiled:
            import torch._inductor.config as inductor_config

            stack.enter_context(inductor_config.patch(layout_optimization=False))
        yield


def _restore_cudnn(benchmark: bool, deterministic: bool) -> None:
    torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = benchmark, deterministic


def warn_if_bf16_is_emulated(precision: str, device: torch.device) -> None:
    """bf16 autocast pays only where the hardware multiplies bf16: on a CPU without AVX-512 BF16 or
    AMX, oneDNN emulates it and a DCGAN step ran 8x slower than fp32 (benchmarks/RESULTS.md, "Speed")."""
    if precision == "bf16" and device.type == "cpu" and not cpu_has_native_bf16():
        warnings.warn("train.precision=bf16: this CPU has no native bf16 instructions (AVX-512 BF16 or AMX), "
                      "so autocast emulates them and runs several times slower than fp32")


@functools.cache
def cpu_has_native_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """True when the CPU flags (Linux /proc/cpuinfo) list avx512_bf16 or amx_bf16. torch has no public
    query for it: `torch.backends.cpu.get_cpu_capability()` says AVX512 for CPUs with and without it.
    Elsewhere (no /proc/cpuinfo) we cannot tell and say True, so that nothing is warned wrongly."""
    try:
        flags = Path(cpuinfo).read_text().split()
    except OSError:
        return True
    return "avx512_bf16" in flags or "amx_bf16" in flags

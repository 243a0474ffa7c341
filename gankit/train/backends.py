"""Backend switches the trainer owns: torch.compile of the networks, and process-wide settings
(cuDNN, inductor) that hold only while a trainer fits and are put back after it."""
from __future__ import annotations

import contextlib

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

"""Where and how a run executes: device choice, DistributedDataParallel set-up, seeding."""
from __future__ import annotations

import os
import random
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

from gankit.errors import GankitError, RankZeroError


@dataclass
class Runtime:
    device: torch.device
    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:  # only rank 0 writes files and prints
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(spec: str, what: str = "config key 'train.device'") -> torch.device:
    """'auto' = cuda > mps > cpu; anything else must be available. `what` names the setting in errors."""
    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(spec)
    except RuntimeError:
        device = None
    if device is None or device.type not in ("cpu", "cuda", "mps"):
        raise GankitError(f"{what}: '{spec}' is not a device; expected auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise GankitError(f"{what} asks for {spec} but no CUDA device is available")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise GankitError(f"{what} asks for mps but it is not available")
    return device


def setup_runtime(device_spec: str) -> Runtime:
    """Single process, or one rank of a torchrun job (RANK/WORLD_SIZE/LOCAL_RANK in the environment)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Runtime(pick_device(device_spec))
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(device_spec)
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Runtime(device, rank, world_size)


def seed_everything(seed: int, rank: int = 0) -> None:
    """Each rank draws its own stream, derived from (seed, rank); weights are synced by DDP."""
    s = seed + 1_000_003 * rank
    random.seed(s)
    np.random.seed(s % 2**32)
    torch.manual_seed(s)


def broadcast_weights(nets: dict[str, torch.nn.Module]) -> None:
    """Make every rank start from rank 0's initial weights (DDP also does this on wrap)."""
    for net in nets.values():
        for t in list(net.parameters()) + list(net.buffers()):
            dist.broadcast(t.data, src=0)


def on_main_rank(rt: Runtime, work, share: bool = False):
    """`work()` on rank 0 only, its failure made every rank's: under torchrun a rank left waiting for a
    rank 0 that failed (a bad --out, a missing package for a hook) died in a gloo traceback instead of
    giving gankit's one-line error. share: hand rank 0's result to every rank (it must pickle), else the
    other ranks get None."""
    result, error = None, None
    if rt.is_main:
        try:
            result = work()
        except BaseException as exc:  # noqa: B036 - re-raised below, after the other ranks are told
            error = exc
    if rt.distributed:
        said = [None if error is None else (str(error) or type(error).__name__), result if share else None]
        dist.broadcast_object_list(said, src=0)
        if error is None and said[0] is not None:
            raise RankZeroError(said[0])
        result = said[1] if share else result
    if error is not None:
        raise error
    return result

"""Checkpoints that load without unpickling and survive a kill at any instant.

A checkpoint at step S is two files plus a pointer:
  checkpoints/step_{S:06d}.safetensors  every tensor: network weights and buffers ("net/G/..."),
                                        optimizer moments ("opt/D/3/exp_avg"), torch RNG states ("rng/...")
  checkpoints/step_{S:06d}.json         everything else: step, optimizer hyper-parameters and scalar
                                        state, python/numpy RNG states, user state (best metric, ...)
  checkpoints/latest.json               {"step": S} — written last, so it only ever names a complete pair
Pruning keeps the newest keep_last + 1 checkpoints, the steps the caller protects, and the step best.json names.
Each file is written to a temporary name and renamed. Loading reads safetensors (a flat tensor
format with no code in it) and JSON: nothing is ever unpickled.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from torch import nn

from gankit.errors import GankitError
from gankit.utils.io import atomic_path, write_json
from gankit.utils.safetensors_bytes import write_safetensors

STEP_FILE = re.compile(r"^step_(\d+)\.json$")


def rng_state() -> tuple[dict[str, torch.Tensor], dict]:
    """Every global random stream training draws from: torch (CPU, and CUDA once started), Python, NumPy."""
    tensors = {"rng/torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{i}"] = state
    version, keys, gauss = random.getstate()
    name, np_keys, pos, has_gauss, cached = np.random.get_state()
    plain = {"python": [version, list(keys), gauss],
             "numpy": [name, np_keys.tolist(), int(pos), int(has_gauss), float(cached)]}
    return tensors, plain


def rank_rng_state(tensors: dict[str, torch.Tensor], plain: dict, rank: int, world_size: int) -> tuple | None:
    """Rank `rank`'s saved random streams as (tensors, plain) for set_rng_state, or None when the
    checkpoint holds none for it (saved before per-rank states, or by a job of another size)."""
    if rank == 0:
        return (tensors, plain["rng"]) if len(plain["rng"].get("ranks", {})) == world_size - 1 else None
    prefix = f"rng/rank{rank}/"
    mine = {f"rng/{key[len(prefix):]}": value for key, value in tensors.items() if key.startswith(prefix)}
    ranks = plain["rng"].get("ranks", {})
    if len(ranks) != world_size - 1 or str(rank) not in ranks or "rng/torch" not in mine:
        return None
    return mine, ranks[str(rank)]


def set_rng_state(tensors: dict[str, torch.Tensor], plain: dict) -> None:
    torch.set_rng_state(tensors["rng/torch"])
    cuda = sorted((k for k in tensors if k.startswith("rng/cuda/")), key=lambda k: int(k.rsplit("/", 1)[1]))
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([tensors[k] for k in cuda])
    version, keys, gauss = plain["python"]
    random.setstate((version, tuple(keys), gauss))
    name, keys, pos, has_gauss, cached = plain["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))


def _split_optimizer(name: str, opt: torch.optim.Optimizer) -> tuple[dict, dict]:
    """Optimizer state_dict -> (tensors, JSON-able rest)."""
    sd = opt.state_dict()
    tensors, scalars = {}, {}
    for idx, state in sd["state"].items():
        for key, value in state.items():
            if torch.is_tensor(value):
                tensors[f"opt/{name}/{idx}/{key}"] = value
            else:
                scalars[f"{idx}/{key}"] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _join_optimizer(name: str, tensors: dict, plain: dict) -> dict:
    state: dict[int, dict] = {}
    prefix = f"opt/{name}/"
    for key, value in tensors.items():
        if key.startswith(prefix):
            idx, field = key[len(prefix):].split("/", 1)
            state.setdefault(int(idx), {})[field] = value
    for key, value in plain["scalars"].items():
        idx, field = key.split("/", 1)
        state.setdefault(int(idx), {})[field] = value
    return {"state": state, "param_groups": plain["param_groups"]}


def save_checkpoint(directory: Path, step: int, nets: dict[str, nn.Module],
                    optimizers: dict[str, torch.optim.Optimizer], extra: dict, keep_last: int = 3,
                    other_ranks: list[tuple[dict, dict]] = ()) -> Path:
    """Write step_{step}.{safetensors,json}, then move the `latest` pointer, then prune old ones.
    other_ranks: the rng_state() of torchrun ranks 1, 2, ... (this process is rank 0), kept as
    "rng/rank{r}/..." tensors and rng["ranks"][r], so each rank resumes its own streams (rank_rng_state)."""
    directory.mkdir(parents=True, exist_ok=True)
    tensors, rng_plain = rng_state()
    if other_ranks:
        rng_plain["ranks"] = {}
        for rank, (rank_tensors, rank_plain) in enumerate(other_ranks, start=1):
            tensors.update({f"rng/rank{rank}/{key[len('rng/'):]}": value for key, value in rank_tensors.items()})
            rng_plain["ranks"][str(rank)] = rank_plain
    for name, net in nets.items():
        for key, value in net.state_dict().items():
            tensors[f"net/{name}/{key}"] = value
    opt_plain = {}
    for name, opt in optimizers.items():
        opt_tensors, opt_plain[name] = _split_optimizer(name, opt)
        tensors.update(opt_tensors)
    # safetensors refuses shared or non-contiguous storage: give each entry its own copy.
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
    stem = directory / f"step_{step:06d}"
    with atomic_path(stem.with_suffix(".safetensors")) as tmp:
        write_safetensors(tmp, tensors, {"format": "gankit-checkpoint-v1", "step": str(step)})
    write_json(stem.with_suffix(".json"), {"step": step, "rng": rng_plain, "optimizers": opt_plain, "extra": extra})
    write_json(directory / "latest.json", {"step": step})
    protect = {step, *extra.get("protect_steps", []), best_step(directory)}
    _prune(directory, keep_last, protect=protect)
    return stem


def best_step(directory: Path) -> int | None:
    """The step checkpoints/best.json names (train/hooks_metrics.py writes it), None if none is readable.
    The pruner keeps that step whatever the hooks hand it: a run resumed without eval.best_metric (or with
    another metric or setup) stops protecting the old best, and `--checkpoint best` then named a deleted file."""
    try:
        step = json.loads((directory / "best.json").read_text())["step"]
    except (OSError, ValueError, KeyError, TypeError):  # TypeError: a JSON list or number
        return None
    return step if isinstance(step, int) and not isinstance(step, bool) else None


def list_steps(directory: Path) -> list[int]:
    """Checkpoint steps present, in numeric order (never by directory listing order)."""
    steps = [int(m.group(1)) for p in directory.glob("step_*.json") if (m := STEP_FILE.match(p.name))]
    return sorted(s for s in steps if (directory / f"step_{s:06d}.safetensors").exists())


def _prune(directory: Path, keep_last: int, protect: set[int]) -> None:
    steps = list_steps(directory)
    for s in steps[: max(0, len(steps) - 1 - keep_last)]:
        if s not in protect:
            for suffix in (".safetensors", ".json"):
                (directory / f"step_{s:06d}{suffix}").unlink(missing_ok=True)


def latest_step(directory: Path) -> int | None:
    """The step `latest.json` names; if it is missing or unreadable, the newest complete pair."""
    try:
        step = int(json.loads((directory / "latest.json").read_text())["step"])
        if step in list_steps(directory):  # both files of the pair must be there
            return step
    except (OSError, ValueError, KeyError, TypeError):
        pass
    steps = list_steps(directory)
    return steps[-1] if steps else None


def read_checkpoint(directory: Path, step: int) -> tuple[dict[str, torch.Tensor], dict]:
    stem = directory / f"step_{step:06d}"
    try:
        tensors = load_file(str(stem.with_suffix(".safetensors")))
        plain = json.loads(stem.with_suffix(".json").read_text())
    except FileNotFoundError:
        raise GankitError(f"checkpoint {stem}.safetensors/.json not found") from None
    except Exception as exc:  # safetensors raises its own error types for foreign/corrupt files
        raise GankitError(f"checkpoint {stem} is not a valid gankit checkpoint ({type(exc).__name__}: {exc})") from None
    fields = {"step": int, "rng": dict, "optimizers": dict, "extra": dict}  # what save_checkpoint writes
    wrong = [k for k, kind in fields.items() if not isinstance(plain, dict) or not isinstance(plain.get(k), kind)
             or isinstance(plain.get(k), bool)]  # JSON true is a Python int
    if wrong:
        raise GankitError(f"checkpoint {stem}.json is not a valid gankit checkpoint (expected a JSON object with "
                          f"{', '.join(f'{k!r}: {kind.__name__}' for k, kind in fields.items())}; "
                          f"missing or wrong: {', '.join(wrong)})")
    return tensors, plain


def load_nets(tensors: dict[str, torch.Tensor], nets: dict[str, nn.Module]) -> None:
    for name, net in nets.items():
        prefix = f"net/{name}/"
        sd = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        try:
            net.load_state_dict(sd)
        except RuntimeError as exc:
            # torch's first line only says "Error(s) in loading state_dict for X:"; the next one names the tensor
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            detail = lines[1] if len(lines) > 1 else lines[0]
            raise GankitError(f"checkpoint weights for network '{name}' do not fit the configured model ({detail}); "
                              "expected the model settings the run was trained with") from None


def restore(tensors: dict, plain: dict, nets: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer]) -> int:
    """Load everything needed to continue exactly where the run stopped; returns the step."""
    load_nets(tensors, nets)
    try:
        for name, opt in optimizers.items():
            opt.load_state_dict(_join_optimizer(name, tensors, plain["optimizers"][name]))
            for group in opt.param_groups:  # torch takes any JSON value here and fails at the first step
                numbers = [group[k] for k in ("lr", "eps", "weight_decay", "momentum", "alpha") if k in group]
                numbers += list(group.get("betas", ()))
                if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in numbers):
                    raise TypeError(f"optimizer '{name}' has a non-numeric hyperparameter")
        set_rng_state(tensors, plain["rng"])
    except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:  # an edited or foreign .json
        raise GankitError(f"checkpoint at step {plain['step']} does not hold a usable optimizer/random state "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                          "expected the state of a run with these optimizers") from None
    return plain["step"]

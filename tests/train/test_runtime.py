"""Tests for gankit/train/runtime.py: seeding is reproducible and gives every rank its own streams in
torch, NumPy and Python; device strings are checked with one-line errors that name them; 'auto'
prefers cuda > mps > cpu; a plain process is rank 0 of 1."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from gankit.errors import GankitError
from gankit.train.runtime import Runtime, pick_device, seed_everything, setup_runtime


def draws(seed: int, rank: int) -> tuple:
    seed_everything(seed, rank)
    return tuple(torch.rand(4).tolist()), tuple(np.random.rand(4).tolist()), tuple(random.random() for _ in range(4))


@pytest.fixture(autouse=True)
def keep_global_streams():
    """These tests reseed the global generators: leave them as found for the tests that follow."""
    state = torch.get_rng_state(), np.random.get_state(), random.getstate()
    yield
    torch.set_rng_state(state[0]), np.random.set_state(state[1]), random.setstate(state[2])


def test_same_seed_and_rank_give_the_same_streams_in_all_three_generators():
    assert draws(7, 2) == draws(7, 2)


def test_every_rank_and_seed_has_its_own_stream_in_every_generator():
    streams = {(seed, rank): draws(seed, rank) for seed in (0, 1, 2) for rank in (0, 1, 2, 3)}
    for generator in range(3):  # torch, NumPy, Python: no two (seed, rank) pairs share a stream
        assert len({s[generator] for s in streams.values()}) == len(streams)


def test_rank_zero_is_plain_seeding_so_single_process_runs_match_torch_manual_seed():
    torch.manual_seed(5)
    expected = torch.rand(4).tolist()
    assert list(draws(5, 0)[0]) == expected


@pytest.mark.parametrize("seed", [2**32 + 3, 2**40, -1])
def test_seeds_outside_numpys_range_still_work_and_stay_distinct(seed):
    assert draws(seed, 0) == draws(seed, 0)
    assert draws(seed, 0)[1] != draws(seed, 1)[1]


@pytest.mark.parametrize("spec", ["gpu", "cuda:abc", "", "cuda:-1"])  # tpu, meta, xla: tests/test_cli.py
def test_a_bad_device_string_is_a_one_line_error_naming_it(spec):
    with pytest.raises(GankitError) as info:
        pick_device(spec)
    message = str(info.value)
    assert f"'{spec}' is not a device" in message and "train.device" in message and "\n" not in message
    assert "expected auto, cpu, cuda" in message


def test_errors_name_the_setting_they_came_from():
    """`gankit evaluate --device` and `features --device` are not train.device."""
    with pytest.raises(GankitError, match=r"^--device: 'nonsense' is not a device; expected auto"):
        pick_device("nonsense", what="--device")


def test_cuda_or_mps_when_absent_are_errors_naming_them(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(GankitError, match=r"asks for cuda:1 but no CUDA device is available"):
        pick_device("cuda:1")
    with pytest.raises(GankitError, match=r"asks for mps but it is not available"):
        pick_device("mps")


@pytest.mark.parametrize("cuda, mps, expected", [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")])
def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert pick_device("auto") == torch.device(expected)


def test_explicit_cpu_forms_are_accepted():
    assert pick_device("cpu") == torch.device("cpu") and pick_device("cpu:0").type == "cpu"


def test_without_torchrun_the_process_is_rank_zero_of_one(monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    rt = setup_runtime("cpu")
    assert (rt.device, rt.rank, rt.world_size, rt.is_main, rt.distributed) == (torch.device("cpu"), 0, 1, True, False)
    assert Runtime(torch.device("cpu"), rank=1, world_size=2).is_main is False
    assert Runtime(torch.device("cpu"), rank=0, world_size=2).distributed is True

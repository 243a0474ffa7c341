"""Per-rank random streams in a checkpoint (gankit/train/checkpoint.py: save_checkpoint's other_ranks,
rank_rng_state): each torchrun rank resumes its own streams; a checkpoint without them, or from a job of
another size, gives None (the trainer then reseeds every rank from seed + step, as before)."""
from __future__ import annotations

import torch
from torch import nn

from gankit.train.checkpoint import rank_rng_state, read_checkpoint, rng_state, save_checkpoint


def states_of_two_more_ranks() -> list[tuple[dict, dict]]:
    states = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        states.append(rng_state())
    return states


def test_each_rank_gets_back_its_own_streams(tmp_path):
    torch.manual_seed(0)
    mine = rng_state()[0]["rng/torch"]
    others, net = states_of_two_more_ranks(), nn.Linear(2, 2)  # (a new Linear draws its weights)
    torch.set_rng_state(mine)
    save_checkpoint(tmp_path, 5, {"G": net}, {}, {}, other_ranks=others)
    tensors, plain = read_checkpoint(tmp_path, 5)
    assert torch.equal(rank_rng_state(tensors, plain, 0, 3)[0]["rng/torch"], mine)
    for rank, (saved_tensors, saved_plain) in enumerate(others, start=1):
        got_tensors, got_plain = rank_rng_state(tensors, plain, rank, 3)
        assert torch.equal(got_tensors["rng/torch"], saved_tensors["rng/torch"]) and got_plain == saved_plain
    assert all(rank_rng_state(tensors, plain, rank, 2) is None for rank in range(2))  # another job size


def test_a_checkpoint_without_rank_states_gives_none_on_every_rank(tmp_path):
    save_checkpoint(tmp_path, 5, {"G": nn.Linear(2, 2)}, {}, {})
    tensors, plain = read_checkpoint(tmp_path, 5)
    assert [rank_rng_state(tensors, plain, rank, 2) for rank in range(2)] == [None, None]
    assert rank_rng_state(tensors, plain, 0, 1) is not None  # one process: its own state, as always

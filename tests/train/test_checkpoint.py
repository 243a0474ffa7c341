"""Checkpoints: exact resume, determinism, no unpickling, numeric pruning (SIGKILL: test_checkpoint_sigkill.py)."""
from __future__ import annotations

import contextlib
import io
import json
import pickle
import shutil
from pathlib import Path

import pytest
import torch
from torch import nn

from gankit.cli import main
from gankit.config import apply_overrides, load_config
from gankit.errors import GankitError
from gankit.train.checkpoint import latest_step, list_steps, read_checkpoint, restore, save_checkpoint
from gankit.train.run import load_run
from gankit.train.trainer import Trainer

# Hooks and checkpoints both fire every 10 steps, so a resume crosses every kind of periodic work.
TINY = ["train.batch_size=32", "eval.every=10", "train.checkpoint_every=10", "eval.n_metric=200",
        "eval.n_samples=100", "eval.plots=false", "train.progress=false"]
# Seed 004's recipe on the circle preset: one batch and noise for 3 D + 2 G updates, RMSprop (with momentum
# for D, so that its state has a momentum buffer too).
QUADRATIC = ["data.name=quadratic", "data.params={}", "data.normalize=standard", "train.same_batch=true",
             "train.d_steps=3", "train.g_steps=2", "optim.g.name=rmsprop", "optim.d.name=rmsprop",
             "optim.d.momentum=0.5"]


def tiny_config(out: Path, name: str, steps: int, *overrides: str):
    return apply_overrides(load_config("circle"), [f"train.out_dir={out}", f"train.name={name}",
                                                   f"train.steps={steps}", *TINY, *overrides])


def train(out: Path, name: str, steps: int, *overrides: str) -> Path:
    return Trainer(tiny_config(out, name, steps, *overrides)).fit().dir


def cli(*argv) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        main([str(a) for a in argv])


def final_tensors(run_dir: Path) -> dict[str, torch.Tensor]:
    directory = run_dir / "checkpoints"
    return read_checkpoint(directory, latest_step(directory))[0]


def assert_same_tensors(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert sorted(a) == sorted(b)
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert different == [], f"tensors differ: {different}"


def metric_rows(run_dir: Path) -> list[dict]:
    """metrics.jsonl without the wall-clock column (the only thing allowed to differ)."""
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [{k: v for k, v in row.items() if k != "time"} for row in rows]


# ---------------------------------------------------------------------------------------- exact resume
def test_resume_from_cli_is_bit_identical_circle(tmp_path):
    straight = train(tmp_path, "straight", 40)
    cli("train", "circle", "--steps", "20", "--out", tmp_path, "--name", "split", "--no-progress",
        *[arg for item in TINY for arg in ("--set", item)])
    split = tmp_path / "split"
    assert latest_step(split / "checkpoints") == 20
    cli("train", "--resume", split, "--steps", "40", "--no-progress")  # config comes from the run directory
    assert latest_step(split / "checkpoints") == 40
    straight_tensors, split_tensors = final_tensors(straight), final_tensors(split)
    assert {k.split("/")[1] for k in straight_tensors if k.startswith("net/")} == {"G", "D"}
    assert_same_tensors(straight_tensors, split_tensors)  # weights, optimizer moments and RNG state
    rows = metric_rows(straight)
    assert [r["step"] for r in rows if "g_loss" in r] == [10, 20, 30, 40]
    assert metric_rows(split) == rows


def test_resume_from_trainer_is_bit_identical_quadratic_rmsprop(tmp_path):
    straight = train(tmp_path, "straight", 40, *QUADRATIC)
    split = train(tmp_path, "split", 25, *QUADRATIC)
    # A crash after step 25 was logged but before its checkpoint landed: resume must go back to step 20
    # (the newest complete pair, as latest.json is gone) and drop the log rows of steps 21..25.
    for name in ("step_000025.safetensors", "step_000025.json", "latest.json"):
        (split / "checkpoints" / name).unlink()
    assert 25 in [row["step"] for row in metric_rows(split)]
    Trainer(tiny_config(tmp_path, "ignored", 40, *QUADRATIC), resume=split).fit()
    assert not (tmp_path / "ignored").exists()  # a resumed run writes into its own directory
    tensors = final_tensors(straight)
    assert any("/momentum_buffer" in k for k in tensors) and any("/square_avg" in k for k in tensors)
    assert_same_tensors(tensors, final_tensors(split))
    assert metric_rows(split) == metric_rows(straight)


def test_same_seed_same_weights_other_seed_other_weights(tmp_path):
    first, second = train(tmp_path, "a", 10), train(tmp_path, "b", 10)
    other = train(tmp_path, "c", 10, "train.seed=1")

    def nets(run: Path) -> dict[str, torch.Tensor]:
        return {k: v for k, v in final_tensors(run).items() if k.startswith("net/")}

    assert_same_tensors(nets(first), nets(second))
    assert all(not torch.equal(v, nets(other)[k]) for k, v in nets(first).items() if v.numel() > 1)


# ---------------------------------------------------------------------------------------- no unpickling
class PickleBomb:
    """Unpickling this opens (creates) `marker`: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickle_bomb_is_live(tmp_path):
    """The bomb used below really does run code when unpickled (else the next test proves nothing)."""
    marker = tmp_path / "exploded"
    pickle.loads(pickle.dumps(PickleBomb(marker))).close()
    assert marker.exists()


@pytest.fixture(scope="module")
def ten_step_run(tmp_path_factory) -> Path:
    return train(tmp_path_factory.mktemp("runs"), "ten", 10, "eval.metrics=false")


@pytest.mark.parametrize("bombed", [("safetensors", "json"), ("safetensors",), ("json",)])
def test_pickled_checkpoint_is_refused_without_running_it(tmp_path, ten_step_run, bombed):
    run_dir = tmp_path / "run"
    shutil.copytree(ten_step_run, run_dir)
    directory, marker = run_dir / "checkpoints", tmp_path / "exploded"
    assert latest_step(directory) == 10
    if "safetensors" in bombed:  # torch.save writes a zip with a pickle inside
        torch.save({"weight": PickleBomb(marker)}, directory / "step_000010.safetensors")
    if "json" in bombed:
        with open(directory / "step_000010.json", "wb") as f:
            pickle.dump({"step": PickleBomb(marker)}, f)
    for attempt in (lambda: load_run(run_dir),
                    lambda: Trainer(tiny_config(tmp_path, "x", 20), resume=run_dir)):
        with pytest.raises(GankitError) as caught:
            attempt()
        message = str(caught.value)
        assert "step_000010" in message and "\n" not in message
    assert not marker.exists()


def _drop(key):
    def edit(d):
        del d[key]
        return d
    return edit


def _set_lr_text(d):
    next(iter(d["optimizers"].values()))["param_groups"][0]["lr"] = "x"
    return d


# valid JSON with the wrong structure: KeyError / ValueError / TypeError tracebacks before
@pytest.mark.parametrize("edit", [_drop("optimizers"), _drop("rng"), lambda d: {**d, "step": "abc"}, lambda d: {**d, "step": True},
                                  lambda d: [1, 2], _set_lr_text],
                         ids=["no-optimizers", "no-rng", "step-text", "step-true", "a-list", "lr-text"])
def test_resume_from_an_edited_checkpoint_json_is_one_line(tmp_path, ten_step_run, edit):
    run_dir = tmp_path / "run"
    shutil.copytree(ten_step_run, run_dir)
    path = run_dir / "checkpoints" / "step_000010.json"
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    with pytest.raises(GankitError) as caught:
        Trainer(tiny_config(tmp_path, "x", 20), resume=run_dir).fit()
    message = str(caught.value)
    assert "checkpoint" in message and "expected" in message and "\n" not in message


# ---------------------------------------------------------------------------------------- pruning, latest
def save_tiny(directory: Path, step: int, keep_last: int = 100) -> None:
    torch.manual_seed(step)
    save_checkpoint(directory, step, {"G": nn.Linear(2, 2)}, {}, {}, keep_last=keep_last)


def test_pruning_keeps_newest_by_numeric_step(tmp_path):
    for step in (9, 10, 100, 1000):
        save_tiny(tmp_path, step, keep_last=1)
    assert list_steps(tmp_path) == [100, 1000]
    assert sorted(p.name for p in tmp_path.glob("step_*")) == [
        "step_000100.json", "step_000100.safetensors", "step_001000.json", "step_001000.safetensors"]


def test_pruning_is_not_fooled_by_name_order(tmp_path):
    """Past 999999 the names grow a digit: 'step_1000000' sorts before 'step_300000' as text."""
    for step in (9, 10, 100, 1000, 300_000, 1_000_000):
        save_tiny(tmp_path, step)
    save_tiny(tmp_path, 2_000_000, keep_last=1)
    assert list_steps(tmp_path) == [1_000_000, 2_000_000]


def test_latest_json_is_followed_when_valid(tmp_path):
    for step in (10, 20, 30):
        save_tiny(tmp_path, step)
    assert latest_step(tmp_path) == 30
    (tmp_path / "latest.json").write_text('{"step": 20}')
    assert latest_step(tmp_path) == 20


@pytest.mark.parametrize("content", [None, b"", b"{not json", b'{"step": "thirty"}', b'{"stp": 30}',
                                     b"[30]", b'{"step": 999}', b"\x80\x04\x95 pickle bytes", b"\xff\xfe"])
def test_latest_falls_back_to_newest_complete_pair(tmp_path, content):
    for step in (10, 20, 30):
        save_tiny(tmp_path, step)
    if content is None:
        (tmp_path / "latest.json").unlink()
    else:
        (tmp_path / "latest.json").write_bytes(content)
    assert latest_step(tmp_path) == 30
    tensors, plain = read_checkpoint(tmp_path, 30)
    assert plain["step"] == 30 and tensors["net/G/weight"].shape == (2, 2)


def test_safetensors_without_json_is_ignored(tmp_path):
    for step in (10, 20):
        save_tiny(tmp_path, step)
    shutil.copy(tmp_path / "step_000020.safetensors", tmp_path / "step_000050.safetensors")  # no .json
    (tmp_path / "latest.json").unlink()
    assert list_steps(tmp_path) == [10, 20]
    assert latest_step(tmp_path) == 20


def test_latest_json_naming_an_incomplete_pair_is_not_trusted(tmp_path):
    for step in (10, 20):
        save_tiny(tmp_path, step)
    shutil.copy(tmp_path / "step_000020.safetensors", tmp_path / "step_000050.safetensors")  # no .json
    (tmp_path / "latest.json").write_text('{"step": 50}')
    assert latest_step(tmp_path) == 20  # step 50 cannot be read back: read_checkpoint would fail


def test_no_checkpoint_at_all(tmp_path):
    assert latest_step(tmp_path) is None and list_steps(tmp_path) == []
    with pytest.raises(GankitError, match="not found"):
        read_checkpoint(tmp_path, 10)


# ---------------------------------------------------------------------------------------- optimizer state
def _nets_and_optimizers(seed: int):
    torch.manual_seed(seed)
    nets = {"G": nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)), "D": nn.Linear(2, 1)}
    optimizers = {"G": torch.optim.Adam(nets["G"].parameters(), lr=1e-3, betas=(0.5, 0.9), eps=1e-7),
                  "D": torch.optim.RMSprop(nets["D"].parameters(), lr=1e-2, alpha=0.9, momentum=0.5, centered=True)}
    return nets, optimizers


def _train_a_little(nets, optimizers, steps: int) -> None:
    for _ in range(steps):
        for name, net in nets.items():
            x = torch.randn(8, 3 if name == "G" else 2)
            optimizers[name].zero_grad()
            net(x).square().mean().backward()
            optimizers[name].step()


def _same(a, b) -> bool:
    """Equal values; tensors by torch.equal and dtype; a tuple equals the list JSON turns it into."""
    if torch.is_tensor(a) or torch.is_tensor(b):
        return torch.is_tensor(a) and torch.is_tensor(b) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def test_optimizer_state_round_trip(tmp_path):
    nets, optimizers = _nets_and_optimizers(seed=0)
    _train_a_little(nets, optimizers, steps=3)
    save_checkpoint(tmp_path, 3, nets, optimizers, {"best": 0.5})
    expected_next = torch.rand(5)  # what the RNG gives right after the save

    fresh_nets, fresh_optimizers = _nets_and_optimizers(seed=1)  # different weights, empty state
    tensors, plain = read_checkpoint(tmp_path, latest_step(tmp_path))
    assert restore(tensors, plain, fresh_nets, fresh_optimizers) == 3
    assert plain["extra"] == {"best": 0.5}
    assert torch.equal(torch.rand(5), expected_next)  # RNG restored to the moment of the save
    for name in nets:
        original, restored = optimizers[name].state_dict(), fresh_optimizers[name].state_dict()
        assert original["state"].keys() == restored["state"].keys() and len(original["state"]) > 0
        assert _same(original, restored), name
        assert _same(nets[name].state_dict(), fresh_nets[name].state_dict()), name  # BatchNorm buffers too
    # ... and the next update is the same update
    torch.manual_seed(7)
    _train_a_little(nets, optimizers, steps=2)
    torch.manual_seed(7)
    _train_a_little(fresh_nets, fresh_optimizers, steps=2)
    for name in nets:
        assert _same(nets[name].state_dict(), fresh_nets[name].state_dict()), name


def test_weights_that_do_not_fit_name_the_tensor_that_differs():
    from gankit.train.checkpoint import load_nets

    tensors = {f"net/G/{k}": v for k, v in nn.Linear(3, 4).state_dict().items()}
    with pytest.raises(GankitError) as info:
        load_nets(tensors, {"G": nn.Linear(3, 5)})
    message = str(info.value)
    assert "size mismatch for weight" in message and "expected the model settings" in message  # not just torch's
    assert "\n" not in message                                                   # "Error(s) in loading ...:"


def test_the_same_state_saved_twice_is_the_same_file(tmp_path):
    """Checkpoint bytes depend on the state only (safetensors wrote its metadata in a random order)."""
    net = nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters())
    files = set()
    for i in range(8):  # two metadata keys: the old code made all 8 alike once in 128 tries
        stem = save_checkpoint(tmp_path / str(i), 7, {"G": net}, {"G": opt}, extra={})
        files.add(stem.with_suffix(".safetensors").read_bytes())
    assert len(files) == 1

"""The same config under torchrun: two CPU processes (gloo) train one run; only rank 0 writes."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist


needs_distributed = pytest.mark.skipif(not dist.is_available(), reason="torch built without distributed support")


def torchrun(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "gankit", "train", *args, "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)


def why(result: subprocess.CompletedProcess) -> str:
    """What a failed job said: torchrun's report ends stderr, the ranks' own errors come before it."""
    keys = ("error", "Error", "terminate", "what()", "Traceback", "exitcode", "Signal")
    return "\n".join(line for line in result.stderr.splitlines() if any(k in line for k in keys))[-3000:]


@needs_distributed
def test_torchrun_two_processes(tmp_path):
    result = torchrun("circle", "--steps", "20", "--out", str(tmp_path), "--set", "eval.every=10",
                      "--set", "eval.n_metric=100", "--set", "eval.plots=false")
    assert result.returncode == 0, why(result)
    assert result.stdout.count("run directory:") == 1          # only rank 0 prints
    runs = [p for p in Path(tmp_path).iterdir() if p.is_dir()]
    assert [p.name for p in runs] == ["circle"]                  # both ranks used one directory
    rows = [json.loads(line) for line in (runs[0] / "metrics.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in rows if r.get("kind") != "eval"]
    assert steps == sorted(set(steps)) and steps[-1] == 20       # rank 0 alone wrote the log
    # the epoch counts examples seen by both processes: 20 steps x 128 x 2 ranks / 10,000
    assert rows[-2]["epoch"] == pytest.approx(20 * 128 * 2 / 10_000)
    assert (runs[0] / "checkpoints" / "step_000020.safetensors").exists()



@needs_distributed
def test_an_out_dir_that_cannot_be_made_is_a_one_line_error_on_every_rank(tmp_path):
    """Rank 0 refused the folder while rank 1 waited for its choice: rank 1 died in a gloo traceback."""
    (tmp_path / "file").write_text("x")
    result = torchrun("circle", "--steps", "20", "--out", str(tmp_path / "file" / "runs"))
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("gankit train: error:")]
    assert len(errors) == 1 and "cannot create run directory" in errors[0] and "is not a folder" in errors[0]  # once
    assert "[rank" not in result.stderr and "gloo" not in result.stderr  # no rank's traceback


def _tensorboard_missing() -> bool:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return True
    return False


@needs_distributed
@pytest.mark.skipif(not _tensorboard_missing(), reason="needs an environment without the tensorboard package")
def test_a_set_up_failure_on_rank_0_alone_is_every_ranks_one_line_error(tmp_path):
    """Hooks are set up on rank 0 only: when that failed (here: no tensorboard package), rank 1 had
    already gone on to train and died in a gloo traceback (runtime.py: on_main_rank)."""
    result = torchrun("circle", "--steps", "20", "--out", str(tmp_path), "--set", "train.tensorboard=true")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("gankit train: error:")]
    assert len(errors) == 1 and "needs the tensorboard package" in errors[0]  # once: rank 0 prints, rank 1 stops
    assert "[rank" not in result.stderr and "gloo" not in result.stderr
    assert not any(Path(tmp_path).iterdir())  # the claimed folder is given back


@needs_distributed
def test_a_resumed_torchrun_job_equals_an_uninterrupted_one(tmp_path):
    """Only rank 0's random streams were saved, and every rank was reseeded on resume: a resumed
    two-process job drew other noise and batches (57 of grid25's 74 tensors differed at the end)."""
    import shutil

    from safetensors.torch import load_file

    settings = ["--set", "eval.every=10", "--set", "eval.plots=false", "--set", "eval.n_metric=100",
                "--set", "train.keep_last=5"]
    whole = tmp_path / "whole"
    result = torchrun("grid25", "--steps", "20", "--out", str(whole), *settings)
    assert result.returncode == 0, why(result)
    straight, cut = whole / "grid25", tmp_path / "cut"
    shutil.copytree(straight, cut)  # the same job stopped after its step-10 checkpoint
    for stem in ("step_000020.safetensors", "step_000020.json"):
        (cut / "checkpoints" / stem).unlink()
    (cut / "checkpoints" / "latest.json").write_text('{"step": 10}')
    result = torchrun("--resume", str(cut), "--steps", "20")
    assert result.returncode == 0, why(result)
    a, b = (load_file(str(run / "checkpoints" / "step_000020.safetensors")) for run in (straight, cut))
    assert a.keys() == b.keys()
    differ = [key for key in a if not torch.equal(a[key], b[key])]
    assert not differ, f"{len(differ)} of {len(a)} tensors differ, e.g. {differ[:3]}"

"""A checkpoint writer killed with SIGKILL at random moments never leaves a half-written or lost checkpoint
(gankit/train/checkpoint.py writes a temporary file and renames it)."""
from __future__ import annotations

import contextlib
import json
import os
import random
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors.torch import load_file

from gankit.train.checkpoint import latest_step, list_steps, read_checkpoint


# A parent process imports torch once (seconds) and forks a writer per round (milliseconds). Each writer
# saves 4 MiB checkpoints in a loop, every weight equal to the step number, until it is killed.
WRITER = r"""
import os, sys
from pathlib import Path
import torch
torch.set_num_threads(1)  # no thread pool exists before fork()
from gankit.train.checkpoint import latest_step, save_checkpoint

def write_forever(directory):
    net = torch.nn.Linear(1024, 1024)  # (1024, 1024) float32 = 4 MiB
    step = (latest_step(directory) or 0) if directory.is_dir() else 0
    while True:
        step += 1
        with torch.no_grad():
            for p in net.parameters():
                p.fill_(float(step))
        save_checkpoint(directory, step, {"net": net}, {}, {"step_again": step}, keep_last=2)

print("ready", flush=True)
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            write_forever(Path(line.strip()))
        except BaseException:
            import traceback
            traceback.print_exc()
        finally:
            os._exit(3)  # a writer that stops by itself is a failure the test sees
    print(pid, flush=True)
    print(os.waitpid(pid, 0)[1], flush=True)
"""
FINAL_NAME = re.compile(r"^(step_\d+\.(safetensors|json)|latest\.json)$")


def _read_line(proc: subprocess.Popen, selector: selectors.BaseSelector, timeout: float = 120.0) -> str:
    if not selector.select(timeout):
        raise AssertionError(f"writer process silent for {timeout} s")
    line = proc.stdout.readline()
    assert line, f"writer process ended: {proc.stderr.read()}"
    return line.strip()


def _check_directory(directory: Path) -> int | None:
    """Every file under a final name is whole; the latest step loads and holds its own step number."""
    for path in directory.iterdir():
        if FINAL_NAME.match(path.name):
            if path.suffix == ".json":
                json.loads(path.read_text())
            else:
                assert load_file(str(path))["net/net/weight"].shape == (1024, 1024)
        else:  # stray temporary files are allowed, under names no reader takes for a checkpoint
            assert path.name.startswith(".") and ".tmp" in path.name, path.name
    step = latest_step(directory)
    assert (step is None) == (list_steps(directory) == [])
    if step is not None:
        tensors, plain = read_checkpoint(directory, step)
        assert plain["step"] == plain["extra"]["step_again"] == step
        weight, bias = tensors["net/net/weight"], tensors["net/net/bias"]
        assert weight.shape == (1024, 1024) and bias.shape == (1024,)
        assert bool((weight == step).all()) and bool((bias == step).all())
    return step


@pytest.fixture(scope="module", autouse=True)
def writer_parent():
    """The forking parent, started with this module's first test so that its torch import overlaps them."""
    with subprocess.Popen([sys.executable, "-c", WRITER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        try:
            yield proc
        finally:
            proc.stdin.close()  # ends its loop
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_sigkill_during_writes_leaves_loadable_checkpoints(tmp_path, writer_parent):
    proc, directory, rounds = writer_parent, tmp_path / "checkpoints", random.Random(0)
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    writer = None
    try:
        assert _read_line(proc, selector) == "ready"
        previous = 0
        for kill in range(10):
            proc.stdin.write(f"{directory}\n")
            proc.stdin.flush()
            writer = int(_read_line(proc, selector))
            deadline = time.monotonic() + 120
            while kill == 0 and latest_step(directory) is None:  # the first round kills after one save at least
                if time.monotonic() > deadline:  # a hang guard, not a speed check
                    pytest.fail("the writer saved nothing in 120 s")
                time.sleep(0.01)
            time.sleep(rounds.uniform(0.05, 0.5))
            os.kill(writer, signal.SIGKILL)
            status = int(_read_line(proc, selector))
            writer = None
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status
            step = _check_directory(directory)
            assert step is not None and step >= previous  # a kill never loses a published checkpoint
            previous = step
    finally:
        selector.close()
        if writer is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(writer, signal.SIGKILL)

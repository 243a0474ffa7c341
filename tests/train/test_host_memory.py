import json
import resource
import subprocess
import sys

import pytest
import torch

from gankit.config import apply_overrides, load_config
from gankit.train import host_memory
from gankit.train.trainer import Trainer

pytestmark = pytest.mark.skipif(not host_memory.available(), reason="glibc's mallopt is not available here")

BLOCK = 64 * 2**20  # above glibc's largest mmap threshold (32 MiB): mapped afresh by default

# Run in a fresh interpreter: what glibc does with a block depends on the heap's history (chunks
# earlier tests freed), and a new process has none.
SCRIPT = """
import json, resource, torch
from gankit.train.host_memory import keep_freed_memory
BLOCK = %d
def faults():  # minor page faults to allocate, write and free one BLOCK-sized tensor
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = torch.empty(BLOCK // 4)
    block.fill_(1.0)
    del block
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize()
outside = [faults() for _ in range(3)]
with keep_freed_memory():
    inside = [faults() for _ in range(24)]
    rss_inside = rss()
print(json.dumps({"outside": outside, "inside": inside, "given_back": rss_inside - rss()}))
""" % BLOCK


def _rss() -> int:
    return int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize()


def test_freed_blocks_are_reused_without_page_faults_inside_the_block_and_given_back_after():
    pages = BLOCK // resource.getpagesize()
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout.splitlines()[-1])
    # glibc's default: every cycle maps the block afresh and touches every page for the first time
    assert min(seen["outside"]) > pages // 2, seen
    # kept: the freed block is reused as it is, already mapped. The heap may grow a few times first: small
    # allocations made between cycles can be carved out of the freed block until the heap holds enough room
    # (how many times depends on the heap's layout, which even a docstring's length in an imported module
    # moves: the last faulting cycle was 1 to 4 in one session, 1 to 8 over 40 runs in the next), then no
    # cycle faults. 24 cycles, the last 8 checked: twice the margin of the worst seen.
    assert max(seen["inside"][-8:]) < pages // 20, seen
    assert seen["given_back"] > 0.9 * BLOCK, seen  # on the way out its pages go back to the system


def test_nested_blocks_give_memory_back_only_at_the_outermost_exit():
    with host_memory.keep_freed_memory():
        with host_memory.keep_freed_memory():
            block = torch.empty(BLOCK // 4)
            block.fill_(1.0)
            del block  # freed, kept mapped
            held = _rss()
        assert _rss() > held - 0.1 * BLOCK  # the inner exit kept it
    assert _rss() < held - 0.9 * BLOCK  # the outer exit gave it back


def test_trainer_keeps_freed_memory_on_the_cpu_unless_told_not_to(tmp_path, monkeypatch):
    from gankit.train import trainer as trainer_module  # (`import gankit.train.trainer` meets the function)

    seen = []
    real = host_memory.keep_freed_memory
    monkeypatch.setattr(trainer_module, "keep_freed_memory", lambda enabled: (seen.append(enabled), real(enabled))[1])
    quiet = ["eval.every=1000", "eval.plots=false", "eval.metrics=false", "train.progress=false", "train.steps=2",
             "train.device=cpu", f"train.out_dir={tmp_path}"]
    Trainer(apply_overrides(load_config("circle"), quiet)).fit()
    Trainer(apply_overrides(load_config("circle"), quiet + ["train.keep_freed_memory=false"])).fit()
    assert seen == [True, False]


def test_the_setting_changes_no_number(tmp_path):
    """Where tensors live is not what they hold: the same run with and without gives the same weights."""
    quiet = ["eval.every=1000", "eval.plots=false", "eval.metrics=false", "train.progress=false", "train.steps=8",
             "train.device=cpu", "train.batch_size=32", "train.fake_batch_size=32", "train.g_batch_size=32"]
    runs = []
    for keep in ("true", "false"):  # built and trained one after the other (each seeds torch when built)
        runs.append(Trainer(apply_overrides(load_config("mnist-dcgan"), quiet + [
            "data.name=digits", f"train.out_dir={tmp_path / keep}", f"train.keep_freed_memory={keep}"])))
        runs[-1].fit()
    kept, default = (run.algo.nets["G"].state_dict() for run in runs)
    assert all(torch.equal(kept[k], default[k]) for k in kept)

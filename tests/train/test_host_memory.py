import resource

import pytest
import torch

from gankit.config import apply_overrides, load_config
from gankit.train import host_memory
from gankit.train.trainer import Trainer

pytestmark = pytest.mark.skipif(not host_memory.available(), reason="glibc's mallopt is not available here")

BLOCK = 64 * 2**20  # above glibc's largest mmap threshold (32 MiB): mapped afresh by default


def _page_faults_for_a_block() -> int:
    """Minor page faults to allocate, write and free one BLOCK-sized tensor."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = torch.empty(BLOCK // 4)
    block.fill_(1.0)
    del block
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_freed_blocks_are_reused_without_page_faults_only_inside_the_block():
    pages = BLOCK // resource.getpagesize()
    outside = _page_faults_for_a_block()
    assert outside > pages // 2  # glibc's default: a fresh mapping, every page touched for the first time
    with host_memory.keep_freed_memory():
        _page_faults_for_a_block()  # the heap grows once
        inside = [_page_faults_for_a_block() for _ in range(3)]
    assert max(inside) < pages // 20, (inside, pages)
    assert _page_faults_for_a_block() > pages // 2  # put back: mapped afresh again


def test_nested_blocks_restore_only_at_the_outermost_exit():
    pages = BLOCK // resource.getpagesize()
    with host_memory.keep_freed_memory():
        with host_memory.keep_freed_memory():
            _page_faults_for_a_block()
        assert _page_faults_for_a_block() < pages // 20  # the outer block still holds
    with host_memory.keep_freed_memory(enabled=False):
        assert _page_faults_for_a_block() > pages // 2


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

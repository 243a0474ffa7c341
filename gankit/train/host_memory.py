"""Keep freed host memory in the process while training on the CPU (glibc's malloc).

Why: glibc serves every allocation above its mmap threshold (at most 32 MiB) with a fresh `mmap`
and gives it back with `munmap` when freed. A conv GAN's activations are that large (seed 002's G:
256 × 128 × 28 × 28 floats = 100 MiB), so every step maps new pages and touches each of them for the
first time: a page fault per 4 KiB. On a 2-core VM that is most of an elementwise op's time
(`x + y` on 100 MiB: 54 ms against 12 ms into reused memory); an mnist-dcgan step took ~200,000
page faults and ~2.0 s, against none and ~1.6 s with memory kept (benchmarks/RESULTS.md, "Speed"). PyTorch's CPU tuning guide swaps in jemalloc or tcmalloc for the
same reason; that needs `LD_PRELOAD` before Python starts, so gankit instead asks glibc itself
(`mallopt`, no library wraps it) to take large blocks from the heap and not return its top to the
system: freed activations are reused by the next step, already mapped.

Scoped: the settings hold during `Trainer.fit` and are put back after it (see `_restore`), so a
process that trains and then does something else keeps glibc's usual behaviour. Elsewhere than
glibc (macOS, musl) nothing happens. The maths is untouched: only where tensors live in memory.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import threading

# mallopt parameter numbers, from glibc's <malloc.h>
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX = -1, -3, -4
_KEEP = ((M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, 2**31 - 1))  # no mmap'd blocks; never trim the heap's top
# What glibc's own dynamic thresholds settle at in any process that has freed a >= 32 MiB block
# (mmap threshold raised to its 32 MiB ceiling, trim threshold twice that), with its default mmap count.
_RESTORE = ((M_MMAP_THRESHOLD, 32 * 2**20), (M_TRIM_THRESHOLD, 64 * 2**20), (M_MMAP_MAX, 65536))

_lock = threading.Lock()
_depth = 0  # nested fits (a hook training another model) restore once, at the outermost exit


def _glibc():
    """The C library if it is glibc (it has mallopt and malloc_trim), else None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _glibc()


def available() -> bool:
    return _LIBC is not None


@contextlib.contextmanager
def keep_freed_memory(enabled: bool = True):
    """Within the block, freed host memory stays mapped in the process for the next allocation."""
    global _depth
    if not enabled or _LIBC is None:
        yield
        return
    with _lock:
        if _depth == 0:
            for param, value in _KEEP:
                _LIBC.mallopt(param, value)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _restore()


def _restore() -> None:
    for param, value in _RESTORE:
        _LIBC.mallopt(param, value)
    _LIBC.malloc_trim(0)  # hand the heap's free top back now, as glibc would have done along the way

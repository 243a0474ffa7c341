"""safetensors files whose bytes depend on their contents only.

Why by hand: safetensors (Rust) writes the header's `__metadata__` from a HashMap, in another order at
each save, so the same tensors and metadata gave files with another SHA-256 every time. Hashes are what
tell two shipped classifiers apart (setup records, comparable()) and what a user checks to see that two
runs wrote the same checkpoint. No option of the library sorts them, so the header is rewritten here.
"""
from __future__ import annotations

import json

from safetensors.torch import save


def _sorted_header(blob: bytes) -> tuple[bytes, int]:
    """(length prefix + header with __metadata__ keys sorted, where the tensor data starts in blob)."""
    length = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + length])
    if "__metadata__" in header:
        header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)  # as safetensors pads it: the tensor data stays 8-byte aligned
    return len(text).to_bytes(8, "little") + text, 8 + length


def sorted_header(blob: bytes) -> bytes:
    """safetensors bytes with the header's __metadata__ keys sorted (tensor data untouched)."""
    head, data = _sorted_header(blob)
    return head + blob[data:]


def safetensors_bytes(tensors: dict, metadata: dict[str, str]) -> bytes:
    """The file safetensors would write for `tensors` and `metadata`, the same bytes at every call."""
    return sorted_header(save(tensors, metadata=metadata))


def write_safetensors(path, tensors: dict, metadata: dict[str, str]) -> None:
    """Write that file to `path` without a second in-memory copy of the tensor data (checkpoints can be large)."""
    blob = save(tensors, metadata=metadata)
    head, data = _sorted_header(blob)
    with open(path, "wb") as file:
        file.write(head)
        file.write(memoryview(blob)[data:])

"""safetensors files whose bytes depend on their contents only (gankit/utils/safetensors_bytes.py)."""
import hashlib

import torch
from safetensors.torch import load

from gankit.utils.safetensors_bytes import safetensors_bytes, sorted_header


def test_the_same_tensors_and_metadata_give_the_same_bytes_every_time():
    tensors = {"b": torch.arange(6.0).view(2, 3), "a": torch.ones(3, dtype=torch.int64)}
    metadata = {f"key{i}": str(i) for i in range(12)}  # enough keys for a hash map's order to show
    hashes = {hashlib.sha256(safetensors_bytes(tensors, metadata)).hexdigest() for _ in range(20)}
    assert len(hashes) == 1


def test_the_rewritten_file_loads_as_the_original():
    tensors = {"w": torch.randn(5, 7), "step": torch.tensor(3)}
    blob = safetensors_bytes(tensors, {"format": "x", "step": "3"})
    loaded = load(blob)
    assert loaded.keys() == tensors.keys() and all(torch.equal(loaded[k], tensors[k]) for k in tensors)
    header_length = int.from_bytes(blob[:8], "little")
    assert header_length % 8 == 0  # the tensor data stays 8-byte aligned
    assert sorted_header(blob) == blob  # already sorted: unchanged


def test_written_files_are_those_bytes(tmp_path):
    from gankit.utils.safetensors_bytes import write_safetensors

    tensors, metadata = {"w": torch.randn(4, 3)}, {"b": "2", "a": "1", "c": "3"}
    write_safetensors(tmp_path / "x.safetensors", tensors, metadata)
    assert (tmp_path / "x.safetensors").read_bytes() == safetensors_bytes(tensors, metadata)

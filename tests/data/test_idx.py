import gzip
import hashlib
import io
import struct
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch

from gankit.data import idx
from gankit.errors import GankitError

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding written independently of the reader: 00 00 08 ndim, >u4 dims, raw bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def make_split(directory: Path, prefix: str = "train", n: int = 6, gz: bool = True, seed: int = 0):
    """A tiny MNIST-like split (n, 5, 4) in `directory`; returns (images, labels)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 5, 4), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images, gz)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels, gz)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_round_trip_raw_and_gzipped(tmp_path, gz):
    images = np.random.default_rng(1).integers(0, 256, (7, 3, 5), dtype=np.uint8)
    labels = np.arange(7, dtype=np.uint8)
    got_images = idx.read_idx(write_idx(tmp_path / "images", images, gz))
    got_labels = idx.read_idx(write_idx(tmp_path / "labels", labels, gz))
    assert got_images.dtype == np.uint8 and np.array_equal(got_images, images)
    assert np.array_equal(got_labels, labels)
    got_images[0, 0, 0] ^= 1  # the caller owns a writable copy


def test_gzip_is_detected_by_magic_bytes_not_name(tmp_path):
    images = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    gz_without_suffix = tmp_path / "images-idx3-ubyte"
    gz_without_suffix.write_bytes(gzip.compress(idx_bytes(images)))
    raw_with_suffix = tmp_path / "raw.gz"
    raw_with_suffix.write_bytes(idx_bytes(images))
    assert np.array_equal(idx.read_idx(gz_without_suffix), images)
    assert np.array_equal(idx.read_idx(raw_with_suffix), images)


def test_wrong_magic_names_file_and_expectation(tmp_path):
    bad = tmp_path / "bad-images"
    bad.write_bytes(struct.pack(">BBBB", 0, 0, 0x0D, 3) + bytes(100))  # float32 type, not uint8
    with pytest.raises(GankitError, match=r"bad-images.*00 00 0d 03.*0x00000803"):
        idx.read_idx(bad)


@pytest.mark.parametrize("keep, message", [(17, "IDX data truncated"), (7, "truncated IDX header"),
                                           (2, "not a uint8 IDX file")])
def test_truncated_data_is_rejected(tmp_path, keep, message):
    data = idx_bytes(np.zeros((2, 3, 3), dtype=np.uint8))  # 16-byte header + 18 bytes
    path = tmp_path / "short"
    path.write_bytes(data[:16 + keep] if keep == 17 else data[:keep])
    with pytest.raises(GankitError, match=f"short.*{message}"):
        idx.read_idx(path)


def test_trailing_bytes_and_truncated_gzip_are_rejected(tmp_path):
    data = idx_bytes(np.zeros((2, 3, 3), dtype=np.uint8))
    long = tmp_path / "long"
    long.write_bytes(data + b"\0")
    with pytest.raises(GankitError, match=r"long.*need 18 bytes.*found 19"):
        idx.read_idx(long)
    cut_gz = tmp_path / "cut.gz"
    cut_gz.write_bytes(gzip.compress(data)[:-6])
    with pytest.raises(GankitError, match=r"cut\.gz.*gzip"):
        idx.read_idx(cut_gz)
    with pytest.raises(GankitError, match="missing"):
        idx.read_idx(tmp_path / "missing")


@pytest.mark.parametrize("split, prefix", [("train", "train"), ("test", "t10k")])
def test_load_idx_dataset_finds_standard_names(tmp_path, split, prefix):
    images, labels = make_split(tmp_path / "mnist", prefix, gz=split == "train")
    loaded = idx.load_idx_dataset(tmp_path / "mnist", split)
    assert loaded.images.shape == (6, 1, 5, 4) and loaded.images.dtype == torch.uint8
    assert torch.equal(loaded.images[:, 0], torch.from_numpy(images))
    assert loaded.labels.dtype == torch.int64 and loaded.labels.tolist() == labels.tolist()
    assert loaded.class_names == [str(d) for d in range(10)]
    with pytest.raises(GankitError, match="split must be one of"):
        idx.load_idx_dataset(tmp_path / "mnist", "validation")


def test_fashion_directory_gets_fashion_class_names_and_labels_are_optional(tmp_path):
    make_split(tmp_path / "fashion-mnist")
    assert idx.load_idx_dataset(tmp_path / "fashion-mnist").class_names[9] == "Ankle boot"
    (tmp_path / "fashion-mnist" / "train-labels-idx1-ubyte.gz").unlink()
    unlabelled = idx.load_idx_dataset(tmp_path / "fashion-mnist")
    assert unlabelled.labels is None and unlabelled.class_names is None


def test_missing_or_mismatched_files_are_errors(tmp_path):
    with pytest.raises(GankitError, match="t10k-images-idx3-ubyte"):
        idx.load_idx_dataset(tmp_path, "test")
    make_split(tmp_path, n=6)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(5, np.uint8), gz=True)
    with pytest.raises(GankitError, match=r"train-labels.*expected 6 labels"):
        idx.load_idx_dataset(tmp_path)


def test_single_idx_file_takes_labels_from_sibling(tmp_path):
    images, labels = make_split(tmp_path, gz=False)
    loaded = idx.load_idx_file(tmp_path / "train-images-idx3-ubyte")
    assert loaded.labels.tolist() == labels.tolist() and len(loaded) == len(images)
    with pytest.raises(GankitError, match=r"expected an IDX images file shaped \(N, H, W\)"):
        idx.load_idx_file(tmp_path / "train-labels-idx1-ubyte")


@pytest.fixture
def search_dirs(tmp_path, monkeypatch):
    """Fake home and system dataset dirs; returns the four candidates in search order."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(idx, "SYSTEM_DATASETS_DIR", tmp_path / "system")
    root = tmp_path / "root"
    return root, [root / "mnist", root, tmp_path / "home/.cache/gankit/mnist", tmp_path / "system/mnist"]


def test_named_dataset_lookup_order(search_dirs):
    root, candidates = search_dirs
    for directory in candidates:
        make_split(directory)
    for directory in candidates:
        assert idx.resolve_named_dataset("mnist", root) == directory
        for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
            (directory / name).unlink()
    with pytest.raises(GankitError) as error:
        idx.resolve_named_dataset("mnist", root)
    message = str(error.value)
    assert "\n" not in message and "--set data.download=true" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert all(str(directory) in message for directory in candidates)


def test_named_dataset_without_root_and_unknown_name(search_dirs):
    _, candidates = search_dirs
    make_split(candidates[3], "t10k")
    assert idx.resolve_named_dataset("mnist", None, "test") == candidates[3]
    with pytest.raises(GankitError, match="searched"):
        idx.resolve_named_dataset("mnist", None, "train")  # the system dir has no train files
    with pytest.raises(GankitError, match="unknown dataset 'cifar'.*mnist, fashion-mnist"):
        idx.resolve_named_dataset("cifar", None)


def test_download_failure_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError("Temporary failure in name resolution")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(GankitError) as error:
        idx.download_named_dataset("fashion-mnist", tmp_path / "fm")
    message = str(error.value)
    assert "\n" not in message and "name resolution" in message and str(tmp_path / "fm") in message
    assert not (tmp_path / "fm").exists() or not any((tmp_path / "fm").iterdir())


def serve(monkeypatch, payloads: dict[str, bytes]) -> list[str]:
    """Replace urlopen by a lookup in `payloads` (keyed by file name); returns the URLs asked for."""
    asked = []

    def fake_urlopen(url, timeout=None):
        asked.append(url)
        return io.BytesIO(payloads[url.rsplit("/", 1)[1]])
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    return asked


def test_download_verifies_writes_and_records_digests(tmp_path, monkeypatch):
    payloads = {}
    for prefix, n in (("train", 6), ("t10k", 4)):
        images, labels = make_split(tmp_path / "src", prefix, n=n)
        payloads[f"{prefix}-images-idx3-ubyte.gz"] = (tmp_path / f"src/{prefix}-images-idx3-ubyte.gz").read_bytes()
        payloads[f"{prefix}-labels-idx1-ubyte.gz"] = (tmp_path / f"src/{prefix}-labels-idx1-ubyte.gz").read_bytes()
    md5s = {name: hashlib.md5(data).hexdigest() for name, data in payloads.items()}
    monkeypatch.setitem(idx.NAMED_DATASETS, "mnist", ("http://mirror.invalid/mnist/", md5s))
    asked = serve(monkeypatch, payloads)

    dest = idx.download_named_dataset("mnist", tmp_path / "dest")
    assert len(asked) == 4 and idx.load_idx_dataset(dest, "test").images.shape == (4, 1, 5, 4)
    sums = (dest / "SHA256SUMS").read_text().splitlines()
    assert f"{hashlib.sha256(payloads['t10k-labels-idx1-ubyte.gz']).hexdigest()}  t10k-labels-idx1-ubyte.gz" in sums
    idx.download_named_dataset("mnist", dest)
    assert len(asked) == 4  # files already present with the right checksum are not fetched again


def test_download_with_wrong_checksum_leaves_no_file(tmp_path, monkeypatch):
    serve(monkeypatch, {"train-images-idx3-ubyte.gz": gzip.compress(b"not the real thing")})
    with pytest.raises(GankitError, match="wrong checksum"):
        idx.download_named_dataset("mnist", tmp_path / "dest")
    assert not (tmp_path / "dest").exists() or not any((tmp_path / "dest").iterdir())


@pytest.mark.skipif(not FASHION_DIR.exists(), reason="needs the Debian package: apt install dataset-fashion-mnist")
def test_real_fashion_mnist():
    train = idx.load_idx_dataset(FASHION_DIR, "train")
    test = idx.load_idx_dataset(FASHION_DIR, "test")
    assert train.images.shape == (60000, 1, 28, 28) and test.images.shape == (10000, 1, 28, 28)
    assert torch.bincount(train.labels).tolist() == [6000] * 10  # Xiao et al. 2017: balanced classes
    assert train.class_names[0] == "T-shirt/top" and int(train.images.max()) == 255

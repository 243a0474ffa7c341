"""IDX files (the MNIST format) and the two named IDX datasets, mnist and fashion-mnist.

IDX layout (LeCun et al., http://yann.lecun.com/exdb/mnist/), all big-endian:
  bytes 0-1 = 00 00, byte 2 = element type (08 = uint8), byte 3 = number of dims D,
  then D uint32 sizes, then prod(sizes) elements in C order.
So MNIST images start 00 00 08 03 (N, 28, 28) and labels 00 00 08 01 (N,). Files may be gzipped;
that is detected from the gzip magic bytes 1f 8b, not from the name (mirrors rename files).
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import os
import struct
import urllib.request
import zlib
from pathlib import Path

import numpy as np
import torch

from gankit.data.images import LoadedImages
from gankit.errors import GankitError
from gankit.utils.io import atomic_open, atomic_path

GZIP_MAGIC = b"\x1f\x8b"
IDX_UINT8 = 0x08
SPLIT_PREFIXES = {"train": "train", "test": "t10k"}
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
DIGIT_CLASSES = [str(d) for d in range(10)]
SYSTEM_DATASETS_DIR = Path("/usr/share/datasets")  # where Debian's dataset-fashion-mnist installs
# Mirrors and the published MD5s of the four .gz files (the checksums torchvision pins for the
# same mirrors). MD5 is used as an integrity check against a damaged or wrong download only.
NAMED_DATASETS: dict[str, tuple[str, dict[str, str]]] = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The uint8 array stored in an IDX file, gzipped or raw."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise GankitError(f"{path}: cannot read IDX file ({err.strerror or err})") from None
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise GankitError(f"{path}: damaged or truncated gzip data ({err}); "
                              "expected a complete (gzipped) IDX file") from None
    return parse_idx(data, str(path))


def parse_idx(data: bytes, name: str) -> np.ndarray:
    """Decode IDX bytes (already un-gzipped); `name` labels errors."""
    if len(data) < 4 or data[:3] != bytes([0, 0, IDX_UINT8]) or not 1 <= data[3] <= 4:
        found = data[:4].hex(" ") or "an empty file"
        raise GankitError(f"{name}: not a uint8 IDX file (starts {found}); expected magic 00 00 08 0D "
                          "with D dims, e.g. 0x00000803 for images, 0x00000801 for labels")
    ndim = data[3]
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise GankitError(f"{name}: truncated IDX header: expected {header_size} bytes, found {len(data)}")
    dims = struct.unpack(f">{ndim}I", data[4:header_size])
    expected = math.prod(dims)  # one byte per uint8 element
    found = len(data) - header_size
    if found != expected:
        problem = "truncated" if found < expected else "longer than its dims say"
        raise GankitError(f"{name}: IDX data {problem}: dims {dims} need {expected} bytes after the "
                          f"header, found {found}")
    # frombuffer is a read-only view of `data`; copy once so the caller owns a writable array
    return np.frombuffer(data, np.uint8, count=expected, offset=header_size).reshape(dims).copy()


def looks_like_idx(path: Path) -> bool:
    """True if the file starts like an IDX file or like gzip (checked properly when read)."""
    with open(path, "rb") as f:
        start = f.read(3)
    return start[:2] == GZIP_MAGIC or start == bytes([0, 0, IDX_UINT8])


def idx_file_names(split: str) -> tuple[str, str]:
    """Standard (images, labels) file names of a split, without .gz."""
    if split not in SPLIT_PREFIXES:
        raise GankitError(f"split must be one of {sorted(SPLIT_PREFIXES)}, got {split!r}")
    prefix = SPLIT_PREFIXES[split]
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def find_idx_file(directory: Path, stem: str) -> Path | None:
    """`stem` or `stem.gz` in `directory` (raw first: no decompression), or None."""
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def load_idx_dataset(directory: str | os.PathLike, split: str = "train",
                     class_names: list[str] | None = None) -> LoadedImages:
    """A split from a directory of standard-named IDX files; labels are optional."""
    directory = Path(directory).expanduser()
    image_stem, label_stem = idx_file_names(split)
    image_file = find_idx_file(directory, image_stem)
    if image_file is None:
        raise GankitError(f"{directory}: no {image_stem} or {image_stem}.gz for split {split!r} "
                          "(expected the standard MNIST file names)")
    if class_names is None and "fashion" in directory.name.lower():
        class_names = FASHION_MNIST_CLASSES
    label_file = find_idx_file(directory, label_stem)
    return _images_and_labels(image_file, label_file, class_names, f"{directory} ({split})")


def load_idx_file(path: str | os.PathLike) -> LoadedImages:
    """One IDX images file; labels come from the matching *-labels-idx1-* file beside it, if any."""
    path = Path(path).expanduser()
    label_file = path.with_name(path.name.replace("images-idx3", "labels-idx1"))
    has_labels = label_file != path and label_file.is_file()
    return _images_and_labels(path, label_file if has_labels else None, None, str(path))


def _images_and_labels(image_file: Path, label_file: Path | None,
                       class_names: list[str] | None, source: str) -> LoadedImages:
    images = read_idx(image_file)
    if images.ndim != 3:
        raise GankitError(f"{image_file}: expected an IDX images file shaped (N, H, W), got {images.shape}")
    labels = None
    if label_file is not None:
        labels = read_idx(label_file)
        if labels.shape != (len(images),):
            raise GankitError(f"{label_file}: expected {len(images)} labels shaped ({len(images)},) to "
                              f"match {image_file.name}, got {labels.shape}")
        top = int(labels.max(initial=0))
        if class_names is None:
            class_names = [str(k) for k in range(max(10, top + 1))]  # digits "0".."9"
        elif top >= len(class_names):
            raise GankitError(f"{label_file}: label {top} but only {len(class_names)} classes")
    return LoadedImages(images=torch.from_numpy(images[:, None]).contiguous(),  # (N, 1, H, W)
                        labels=None if labels is None else torch.from_numpy(labels.astype(np.int64)),
                        class_names=list(class_names) if labels is not None else None, source=source)


def named_class_names(name: str) -> list[str]:
    return FASHION_MNIST_CLASSES if name == "fashion-mnist" else DIGIT_CLASSES


def user_cache_dir() -> Path:
    return Path.home() / ".cache" / "gankit"


def resolve_named_dataset(name: str, root: str | os.PathLike | None = None, split: str = "train") -> Path:
    """The directory holding `name`'s IDX files for `split`: root/<name>, root, cache, system."""
    _check_named(name)
    image_stem, label_stem = idx_file_names(split)
    searched = [Path(root).expanduser() / name, Path(root).expanduser()] if root is not None else []
    searched += [user_cache_dir() / name, SYSTEM_DATASETS_DIR / name]
    for directory in searched:
        if find_idx_file(directory, image_stem) and find_idx_file(directory, label_stem):
            return directory
    files = ", ".join(NAMED_DATASETS[name][1])
    raise GankitError(f"dataset {name!r} not found; searched {', '.join(map(str, searched))}; put {files} "
                      f"(gzipped or not) into {searched[0]}, or train with --set data.download=true to fetch them")


def download_named_dataset(name: str, dest: str | os.PathLike | None = None) -> Path:
    """Fetch `name`'s four files into `dest` (default ~/.cache/gankit/<name>); returns `dest`.

    Files already present with the right checksum are kept. Each file is checked (MD5, then
    decoded as IDX) before being renamed into place; SHA-256 digests are recorded in SHA256SUMS."""
    _check_named(name)
    base_url, md5_by_file = NAMED_DATASETS[name]
    dest = Path(dest).expanduser() if dest is not None else user_cache_dir() / name
    sums = []
    for file_name, md5 in md5_by_file.items():
        target = dest / file_name
        payload = target.read_bytes() if target.is_file() else b""
        if hashlib.md5(payload, usedforsecurity=False).hexdigest() != md5:
            payload = _fetch(base_url + file_name, name, dest)
            if hashlib.md5(payload, usedforsecurity=False).hexdigest() != md5:
                raise GankitError(f"{base_url + file_name}: downloaded file has the wrong checksum (MD5 "
                                  f"{md5} expected); put the files into {dest} by hand")
            parse_idx(gzip.decompress(payload), base_url + file_name)
            with atomic_path(target) as tmp:
                tmp.write_bytes(payload)
        sums.append(f"{hashlib.sha256(payload).hexdigest()}  {file_name}\n")  # `sha256sum -c` format
    with atomic_open(dest / "SHA256SUMS") as f:
        f.writelines(sums)
    return dest


def _fetch(url: str, name: str, dest: Path) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read()
    except (OSError, http.client.HTTPException) as err:  # URLError, HTTPError, timeouts are OSErrors
        reason = getattr(err, "reason", None) or err
        files = ", ".join(NAMED_DATASETS[name][1])
        raise GankitError(f"could not download {url} ({reason}); put {files} into {dest} by hand") from None


def _check_named(name: str) -> None:
    if name not in NAMED_DATASETS:
        raise GankitError(f"unknown dataset {name!r}; named datasets are {', '.join(NAMED_DATASETS)}")

"""Image datasets from files: one entry point, `load_images`, and one result type, `LoadedImages`.

Sources: the named IDX datasets mnist / fashion-mnist (gankit.data.idx), scikit-learn's 8x8
digits, a directory of IDX files or one IDX file, .npz/.npy arrays, and folders of image files
(gankit.data.image_folder). Everything comes back as uint8 (N, C, H, W); the trainer converts
to float and to the generator's range.

Resizing (for every source, so a folder and a tensor are treated alike): scale the image so it
covers the target size keeping its aspect ratio (for a square target: shorter side = size),
then crop the centre. Bicubic with antialiasing in both Pillow and torch; see image_folder.py.
"""
from __future__ import annotations

import numbers
import os
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gankit.errors import GankitError

CHANNEL_COUNTS = (1, 3, 4)
ARRAY_SUFFIXES = (".npz", ".npy")
RANGE_TOLERANCE = 1e-3  # float32 images saved as x/255 or 2x/255-1 may overshoot 1.0 by rounding
RESIZE_CHUNK = 4096  # images per interpolate call: bounds the float32 working copy
LUMA = (0.299, 0.587, 0.114)  # ITU-R 601-2 luma, the weights Pillow's convert("L") uses


@dataclass
class LoadedImages:
    images: torch.Tensor  # (N, C, H, W) uint8, contiguous, CPU
    labels: torch.Tensor | None  # (N,) int64, or None
    class_names: list[str] | None
    source: str  # human-readable origin (path / dataset name)

    def __post_init__(self) -> None:
        assert self.images.ndim == 4 and self.images.dtype == torch.uint8, self.images.shape
        assert self.images.is_contiguous() and self.images.device.type == "cpu"
        assert self.labels is None or (self.labels.shape == self.images.shape[:1]
                                       and self.labels.dtype == torch.int64), self.labels

    def __len__(self) -> int:
        return self.images.shape[0]


def load_images(spec: str, *, root: str | os.PathLike | None = None,
                image_size: int | tuple[int, int] | None = None, channels: int | None = None,
                split: str = "train", limit: int | None = None, download: bool = False) -> LoadedImages:
    """Load `spec`, then keep the first `limit` images, convert channels and resize when asked.

    `download`: fetch a named dataset that is not found (into root/<name>, else the user cache)."""
    from gankit.data import idx  # imported here: idx imports LoadedImages from this module
    from gankit.data.image_folder import load_image_folder

    size = None if image_size is None else as_image_size(image_size)
    if channels is not None:
        check_channels(channels)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 1):
        raise GankitError(f"limit must be a positive integer, got {limit!r}")
    if spec in idx.NAMED_DATASETS:
        try:
            directory = idx.resolve_named_dataset(spec, root, split)
        except GankitError:
            if not download:
                raise
            directory = idx.download_named_dataset(spec, None if root is None else Path(root).expanduser() / spec)
        loaded = idx.load_idx_dataset(directory, split, class_names=idx.named_class_names(spec))
        loaded = replace(loaded, source=f"{spec} ({split}) from {directory}")
    elif spec == "digits":
        loaded = load_digits()
    else:
        path = Path(spec).expanduser()
        if path.is_dir() and idx.find_idx_file(path, idx.idx_file_names(split)[0]):
            loaded = idx.load_idx_dataset(path, split)
        elif path.is_dir():
            if size is None:
                raise GankitError(f"{path}: an image folder needs image_size (e.g. 64 or --image-size 64)")
            return load_image_folder(path, size, 3 if channels is None else channels, limit=limit)
        elif path.is_file() and path.suffix.lower() in ARRAY_SUFFIXES:
            loaded = load_array_images(path)
        elif path.is_file() and idx.looks_like_idx(path):
            loaded = idx.load_idx_file(path)
        else:
            why = "is not a file or directory" if not path.exists() else "is of no known kind"
            raise GankitError(f"data {spec!r} {why}; expected one of {', '.join(idx.NAMED_DATASETS)}, digits, "
                              "a directory of IDX files, an IDX file, a .npz/.npy file or a folder of images")
    if limit is not None and limit < len(loaded):
        labels = None if loaded.labels is None else loaded.labels[:limit]
        loaded = replace(loaded, images=loaded.images[:limit].contiguous(), labels=labels)
    return fit_images(loaded, size, channels)


def fit_images(loaded: LoadedImages, size: tuple[int, int] | None, channels: int | None) -> LoadedImages:
    """Convert channels and resize a loaded batch; whichever shrinks the data goes first."""
    images = loaded.images
    more_channels = channels is not None and channels > images.shape[1]
    if channels is not None and not more_channels:
        images = convert_channels(images, channels)
    if size is not None:
        images = resize_images(images, size)
    if more_channels:
        images = convert_channels(images, channels)
    return loaded if images is loaded.images else replace(loaded, images=images)


def cover_size(height: int, width: int, size: tuple[int, int]) -> tuple[int, int]:
    """(H', W') of the smallest aspect-preserving scaling of (height, width) that covers `size`."""
    scale = max(size[0] / height, size[1] / width)
    return max(size[0], round(height * scale)), max(size[1], round(width * scale))


def resize_images(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, C, H, W) uint8 -> (N, C, *size): bicubic antialiased cover-scale, then centre crop."""
    n, c, height, width = images.shape
    if (height, width) == size:
        return images
    new_h, new_w = cover_size(height, width, size)
    top, left = (new_h - size[0]) // 2, (new_w - size[1]) // 2
    out = torch.empty((n, c, *size), dtype=torch.uint8)
    for start in range(0, n, RESIZE_CHUNK):
        batch = images[start:start + RESIZE_CHUNK].float()
        scaled = F.interpolate(batch, size=(new_h, new_w), mode="bicubic", antialias=True, align_corners=False)
        crop = scaled[:, :, top:top + size[0], left:left + size[1]]
        out[start:start + RESIZE_CHUNK] = crop.round().clamp(0, 255).to(torch.uint8)  # bicubic overshoots
    return out


def convert_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """(N, C, H, W) uint8 with C in 1, 3, 4 -> `channels` channels, the way the folder loader does."""
    c = images.shape[1]
    if c == channels:
        return images
    opaque = torch.full_like(images[:, :1], 255)
    if c == 1:  # grey -> RGB repeats the plane; RGBA also gets an opaque alpha
        rgb = images.expand(-1, 3, -1, -1)
        return rgb.contiguous() if channels == 3 else torch.cat([rgb, opaque], dim=1)
    x = images.float()
    if c == 4:  # drop alpha by compositing over black: rgb * alpha (premultiplied colour)
        x = x[:, :3] * (x[:, 3:] / 255)
    if channels == 1:  # Y = 0.299 R + 0.587 G + 0.114 B
        x = (x * torch.tensor(LUMA).view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
    out = x.round().clamp(0, 255).to(torch.uint8)
    return torch.cat([out, opaque], dim=1) if channels == 4 else out.contiguous()


def load_array_images(path: str | os.PathLike) -> LoadedImages:
    """Images from .npy, or .npz (key images/x or its only array; labels from labels/y).

    Layout: (N, H, W) is greyscale; for 4-D arrays the channel axis is whichever of axis 1 / axis
    3 has size 1, 3 or 4; if both do, the smaller size is the channel count, and on a tie NHWC
    wins (the numpy / Pillow / TensorFlow convention). uint8 is kept; other integers must lie in
    0..255; floats in [0, 1] (tried first) map x -> 255 x, floats in [-1, 1] map x -> 127.5 (x + 1)."""
    path = Path(path).expanduser()
    images, labels = _read_arrays(path)
    if images.shape[0] == 0 or images.ndim not in (3, 4):
        raise GankitError(f"{path}: expected images shaped (N, H, W), (N, H, W, C) or (N, C, H, W), "
                          f"N > 0, got {images.shape}")
    nchw = images[:, None] if images.ndim == 3 else _channels_first(images, path)
    pixels = torch.from_numpy(np.ascontiguousarray(_to_uint8(nchw, path)))
    return LoadedImages(images=pixels, labels=_labels_tensor(labels, len(pixels), path),
                        class_names=None, source=str(path))


def _read_arrays(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    from gankit.data.numpy_files import check_numpy_file

    check_numpy_file(path, what="image file")  # random bytes would be reported as "pickled data" by np.load
    try:
        with open(path, "rb") as file:  # our own handle: np.load leaks its own on a damaged .npz
            loaded = np.load(file, allow_pickle=False)
            if isinstance(loaded, np.ndarray):
                return loaded, None
            keys = list(loaded.files)
            image_key = next((k for k in ("images", "x") if k in keys), keys[0] if len(keys) == 1 else None)
            if image_key is None:
                raise GankitError(f"{path}: no array named 'images' or 'x' (found {keys})")
            label_key = next((k for k in ("labels", "y") if k in keys), None)
            return loaded[image_key], (loaded[label_key] if label_key else None)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        if "pickle" in str(err):  # object arrays: numpy names the allow_pickle switch gankit never turns on
            raise GankitError(f"{path}: cannot read as .npy/.npz without pickle ({err})") from None
        raise GankitError(f"{path}: damaged .npy/.npz file ({err}); expected a complete file written by "
                          "numpy.save or numpy.savez") from None

def _channels_first(images: np.ndarray, path: Path) -> np.ndarray:
    """(N, ?, ?, ?) -> (N, C, H, W) view, by where the channel-sized axis is."""
    last, second = images.shape[3], images.shape[1]
    if last in CHANNEL_COUNTS and (second not in CHANNEL_COUNTS or last <= second):
        return images.transpose(0, 3, 1, 2)  # NHWC
    if second in CHANNEL_COUNTS:
        return images  # NCHW
    raise GankitError(f"{path}: no channel axis of size 1, 3 or 4 in images shaped {images.shape}; "
                      "expected (N, H, W, C) or (N, C, H, W)")


def _to_uint8(images: np.ndarray, path: Path) -> np.ndarray:
    if images.dtype == np.uint8:
        return images
    if images.dtype.kind in "iu":
        if images.min() < 0 or images.max() > 255:
            raise GankitError(f"{path}: integer images must lie in 0..255, found "
                              f"{images.min()}..{images.max()}")
        return images.astype(np.uint8)
    if images.dtype.kind != "f":
        raise GankitError(f"{path}: images must be uint8, integer or float, got {images.dtype}")
    if not np.isfinite(images).all():
        raise GankitError(f"{path}: float images contain NaN or infinity")
    low, high = float(images.min()), float(images.max())
    if low >= -RANGE_TOLERANCE and high <= 1 + RANGE_TOLERANCE:
        scaled = images * 255.0  # [0, 1] -> [0, 255]
    elif low >= -1 - RANGE_TOLERANCE and high <= 1 + RANGE_TOLERANCE:
        scaled = (images + 1.0) * 127.5  # [-1, 1] -> [0, 255]
    else:
        raise GankitError(f"{path}: float images must lie in [0, 1] or [-1, 1], found [{low:.4g}, {high:.4g}]")
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _labels_tensor(labels: np.ndarray | None, n: int, path: Path) -> torch.Tensor | None:
    if labels is None:
        return None
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]  # Keras-style (N, 1)
    if labels.shape != (n,) or labels.dtype.kind not in "iu" or labels.min(initial=0) < 0:
        raise GankitError(f"{path}: labels must be non-negative integers shaped ({n},), "
                          f"got {labels.dtype} {labels.shape}")
    return torch.from_numpy(labels.astype(np.int64))


def load_digits() -> LoadedImages:
    """scikit-learn's bundled 8x8 digits: (1797, 1, 8, 8), labels 0..9."""
    from sklearn.datasets import load_digits as sklearn_digits  # lazy: importing sklearn is slow

    bunch = sklearn_digits()
    pixels = np.rint(bunch.images * (255 / 16)).astype(np.uint8)  # values 0..16 -> 0..255
    return LoadedImages(images=torch.from_numpy(pixels[:, None]).contiguous(),
                        labels=torch.from_numpy(bunch.target.astype(np.int64)),
                        class_names=[str(d) for d in range(10)], source="scikit-learn digits")


def as_image_size(image_size: int | tuple[int, int]) -> tuple[int, int]:
    """An int or (H, W) -> (H, W), both positive."""
    pair = (image_size, image_size) if isinstance(image_size, numbers.Integral) else tuple(image_size)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in pair):
        raise GankitError(f"image_size must be a positive integer or (height, width), got {image_size!r}")
    return int(pair[0]), int(pair[1])


def check_channels(channels: int) -> None:
    if isinstance(channels, bool) or channels not in CHANNEL_COUNTS:
        raise GankitError(f"channels must be 1, 3 or 4, got {channels!r}")

"""Folders of image files (png, jpg, jpeg, bmp, webp; searched recursively) as one uint8 batch.

- Labels: when every image lies under an immediate sub-folder of the top folder, the sub-folder
  names (sorted) are the classes; a single loose image in the top folder means no labels.
- Order: files sorted by their path relative to the folder, so every run sees the same order.
- Modes: every Pillow mode goes to L / RGB / RGBA. Transparency is removed by compositing over
  black (colour * alpha, the premultiplied colour) rather than by dropping alpha, which would
  show whatever colour hides under transparent pixels. 16-bit greyscale is scaled (/257), not
  clipped at 255 as Pillow's convert("L") does.
- Resize: scale to cover the target size keeping the aspect ratio, centre-crop. BICUBIC, not
  LANCZOS: Pillow widens every filter's support when shrinking, so both antialias; bicubic rings
  less at hard edges (line art, digits) and torch's interpolate has bicubic+antialias too, so
  tensors resized in gankit.data.images match folder images.
- Bad files (not an image, truncated) are skipped; ONE `SkippedImagesWarning` at the end counts
  them and names the first 3. A warning, not a log record: it is shown without any logging
  set-up, once, and tests and callers can catch or filter it by category.
Decoding runs in a thread pool: Pillow releases the GIL while decoding and resampling.
"""
from __future__ import annotations

import os
import struct
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gankit.data.images import LoadedImages, as_image_size, check_channels, cover_size
from gankit.errors import GankitError

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp"})
RESAMPLE = Image.Resampling.BICUBIC
SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
MAX_DECODE_THREADS = 8
# What Pillow raises for files that are not (complete) images; anything else is a bug.
DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error, Image.DecompressionBombError)


class SkippedImagesWarning(UserWarning):
    """Some files in an image folder could not be read and were left out."""


def load_image_folder(path: str | os.PathLike, image_size: int | tuple[int, int], channels: int,
                      *, limit: int | None = None) -> LoadedImages:
    """All images under `path` as (N, channels, H, W) uint8; `limit` keeps the first files only."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise GankitError(f"{root}: image folder not found (not a directory)")
    size = as_image_size(image_size)
    check_channels(channels)
    files = sorted((p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()),
                   key=lambda p: p.relative_to(root).as_posix())
    if not files:
        raise GankitError(f"{root}: no image files found (expected {', '.join(sorted(IMAGE_EXTENSIONS))})")
    class_names, labels = _sub_folder_labels(root, files)
    files, labels = files[:limit], labels[:limit]

    workers = max(1, min(MAX_DECODE_THREADS, os.cpu_count() or 1, len(files)))
    with ThreadPoolExecutor(max_workers=workers) as pool:  # map keeps the file order
        decoded = list(pool.map(lambda file: _decode(file, size, channels), files))
    kept = [i for i, result in enumerate(decoded) if isinstance(result, np.ndarray)]
    failed = [(files[i], result) for i, result in enumerate(decoded) if isinstance(result, str)]
    if not kept:
        raise GankitError(f"{root}: none of the {len(files)} image files could be read "
                          f"(first: {failed[0][0].name}: {failed[0][1]})")
    if failed:
        names = ", ".join(file.relative_to(root).as_posix() for file, _ in failed[:3])
        more = ", ..." if len(failed) > 3 else ""
        warnings.warn(f"{root}: skipped {len(failed)} unreadable image file(s): {names}{more} "
                      f"({failed[0][1]})", SkippedImagesWarning, stacklevel=2)

    pixels = np.stack([decoded[i] for i in kept])  # (N, H, W, C)
    images = torch.from_numpy(pixels).permute(0, 3, 1, 2).contiguous()  # (N, C, H, W)
    label_tensor = None if class_names is None else torch.tensor([labels[i] for i in kept], dtype=torch.int64)
    return LoadedImages(images=images, labels=label_tensor, class_names=class_names, source=str(root))


def _sub_folder_labels(root: Path, files: list[Path]) -> tuple[list[str] | None, list[int]]:
    """(class names, label per file) from the first path component; (None, [-1...]) if unlabelled."""
    first_parts = [file.relative_to(root).parts[0] for file in files]
    if any(file.parent == root for file in files):
        return None, [-1] * len(files)
    class_names = sorted(set(first_parts))
    index = {name: k for k, name in enumerate(class_names)}
    return class_names, [index[part] for part in first_parts]


def _decode(file: Path, size: tuple[int, int], channels: int) -> np.ndarray | str:
    """(H, W, channels) uint8 for `file`, or the reason it could not be read."""
    try:
        with Image.open(file) as img:
            # JPEG only (no-op otherwise): decode at 1/2..1/8 scale, never below the target size
            img.draft(None, (size[1], size[0]))
            img.load()
            pixels = np.asarray(_crop_to(_to_channels(img, channels), size))
    except DECODE_ERRORS as err:
        return f"{type(err).__name__}: {err}"
    return pixels[:, :, None] if pixels.ndim == 2 else pixels


def _to_channels(img: Image.Image, channels: int) -> Image.Image:
    """Any Pillow mode -> "L" (1), "RGB" (3) or "RGBA" (4)."""
    if img.mode in SIXTEEN_BIT_MODES:  # 0..65535 -> 0..255: 65535 / 257 = 255
        img = Image.fromarray(np.clip(np.rint(np.asarray(img) / 257), 0, 255).astype(np.uint8))
    elif img.mode == "F":  # float greyscale: assume 0..255 like "L"
        img = Image.fromarray(np.clip(np.rint(np.asarray(img)), 0, 255).astype(np.uint8))
    if channels == 4:
        return img.convert("RGBA")
    if img.has_transparency_data:  # RGBA, LA, PA, or a palette / colour key marked transparent
        black = Image.new("RGBA", img.size, (0, 0, 0, 255))
        img = Image.alpha_composite(black, img.convert("RGBA"))
    return img.convert("L" if channels == 1 else "RGB")


def _crop_to(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Cover-scale then centre-crop to (H, W) = size."""
    new_h, new_w = cover_size(img.height, img.width, size)
    if (new_w, new_h) != img.size:
        img = img.resize((new_w, new_h), RESAMPLE)
    top, left = (new_h - size[0]) // 2, (new_w - size[1]) // 2
    return img.crop((left, top, left + size[1], top + size[0]))

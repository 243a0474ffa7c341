"""Image grids and image files from a batch of images (N, C, H, W), C = 1 (grey) or 3 (RGB)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from gankit.errors import GankitError
from gankit.utils.io import atomic_path
from gankit.viz._figure import PathLike

# Float images may overshoot [0, 1] by rounding (e.g. (tanh(x) + 1) / 2); anything further out
# is a caller bug (say, [-1, 1] images not mapped back), which clipping would silently hide.
FLOAT_TOLERANCE = 1e-3


def to_uint8_images(images) -> np.ndarray:
    """(N, C, H, W) float in [0, 1] or uint8 -> (N, H, W, C) uint8."""
    array = np.asarray(images)
    if array.ndim != 4 or array.shape[1] not in (1, 3) or 0 in array.shape:
        raise GankitError(f"images: expected a non-empty array of shape (N, C, H, W) with C = 1 or 3, "
                          f"got shape {array.shape}")
    if array.dtype == np.uint8:
        pixels = array
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise GankitError("images: contain NaN or infinite values; expected floats in [0, 1]")
        low, high = float(array.min()), float(array.max())
        if low < -FLOAT_TOLERANCE or high > 1 + FLOAT_TOLERANCE:
            raise GankitError(f"images: float values span [{low:.3g}, {high:.3g}]; expected [0, 1] "
                              "(map [-1, 1] images with (x + 1) / 2 first)")
        pixels = np.rint(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)
    else:
        raise GankitError(f"images: dtype {array.dtype} not supported; expected uint8 or float in [0, 1]")
    return np.ascontiguousarray(pixels.transpose(0, 2, 3, 1))


def image_grid(images, nrow: int, padding: int = 2, pad_value: int = 0) -> np.ndarray:
    """Tile images into one (H', W', C) uint8 array, `nrow` images per row (as torchvision's make_grid).

    Every cell is surrounded by `padding` pixels of `pad_value`, borders included; a short last
    row is filled with blank cells. H' = rows·(H + padding) + padding, W' = cols·(W + padding) + padding."""
    if isinstance(nrow, bool) or not isinstance(nrow, (int, np.integer)) or nrow < 1:
        raise GankitError(f"nrow: expected an integer >= 1, got {nrow!r}")
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise GankitError(f"padding: expected an integer >= 0, got {padding!r}")
    if not 0 <= pad_value <= 255:
        raise GankitError(f"pad_value: expected 0..255, got {pad_value!r}")
    pixels = to_uint8_images(images)  # (N, H, W, C)
    count, height, width, channels = pixels.shape
    columns = min(nrow, count)
    rows = -(-count // columns)  # ceil(count / columns)
    grid = np.full((rows * (height + padding) + padding, columns * (width + padding) + padding, channels),
                   pad_value, dtype=np.uint8)
    for index in range(count):
        row, column = divmod(index, columns)
        top = padding + row * (height + padding)
        left = padding + column * (width + padding)
        grid[top:top + height, left:left + width] = pixels[index]
    return grid


def upscale(pixels: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement of an (H, W, C) array: every pixel becomes a scale × scale block."""
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise GankitError(f"scale: expected an integer >= 1, got {scale!r}")
    return pixels.repeat(scale, axis=0).repeat(scale, axis=1)


def save_image_grid(images, path: PathLike, nrow: int, scale: int = 1, padding: int = 2,
                    pad_value: int = 0) -> Path:
    """Write `image_grid(images, nrow, padding)` as a PNG, enlarged `scale` times (nearest neighbour)."""
    grid = image_grid(images, nrow, padding, pad_value)
    return _write_png(upscale(grid, scale), path)


def save_images(images, directory: PathLike, prefix: str = "", scale: int = 1) -> list[Path]:
    """Write each image as `<directory>/<prefix><index>.png`; indices are zero-padded so names sort."""
    if os.sep in prefix or (os.altsep and os.altsep in prefix):
        raise GankitError(f"prefix: {prefix!r} contains a path separator; expected a plain file-name prefix")
    pixels = to_uint8_images(images)  # (N, H, W, C)
    digits = len(str(len(pixels) - 1))
    directory = Path(directory)
    return [_write_png(upscale(image, scale), directory / f"{prefix}{index:0{digits}d}.png")
            for index, image in enumerate(pixels)]


def _write_png(pixels: np.ndarray, path: PathLike) -> Path:
    """(H, W, 1) -> greyscale 'L' PNG, (H, W, 3) -> 'RGB' PNG, written atomically."""
    image = Image.fromarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels)  # uint8: 2-D -> L, 3-D -> RGB
    path = Path(path)
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")
    return path

"""Animated GIF of training progress from per-step PNG frames."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from gankit.errors import GankitError
from gankit.utils.io import atomic_path
from gankit.viz._figure import PathLike


def make_gif(frame_paths: Sequence[PathLike], path: PathLike, fps: float = 2) -> Path:
    """Write the frames, in order, as a GIF that loops forever at `fps` frames per second.

    Frames of another size are resized to the first frame's size. GIF stores delays in
    hundredths of a second, so 1000 / fps ms is rounded to 10 ms."""
    if not frame_paths:
        raise GankitError(f"{path}: no frames to animate; expected at least one image file")
    if not fps > 0:
        raise GankitError(f"fps: expected a number > 0, got {fps!r}")
    frames = [_load_rgb(frame_path) for frame_path in frame_paths]
    size = frames[0].size
    frames = [frame if frame.size == size else frame.resize(size, Image.Resampling.LANCZOS) for frame in frames]
    path = Path(path)
    with atomic_path(path) as tmp:
        # loop=0 means "repeat forever" in the GIF Netscape extension.
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                       duration=round(1000 / fps), loop=0)
    return path


def _load_rgb(frame_path: PathLike) -> Image.Image:
    """Read a frame fully into memory (so no file handle stays open) as RGB."""
    try:
        with Image.open(frame_path) as image:
            return image.convert("RGB")
    except FileNotFoundError:
        raise GankitError(f"{frame_path}: frame file not found") from None
    except (UnidentifiedImageError, OSError) as error:
        raise GankitError(f"{frame_path}: cannot read as an image ({error}); expected a PNG or similar") from None

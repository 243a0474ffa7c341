"""Animated GIF of training progress from per-step PNG frames."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
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
    first = _load_rgb(frame_paths[0])
    size = first.size

    def later_frames() -> Iterator[Image.Image]:
        # One RGB frame at a time: Pillow keeps each frame only as its 1-byte palette image until it
        # writes the file, so a list of RGB frames held beside that was 4 bytes a pixel instead of 1
        # (a 120-frame run of 800x800 grids: ~300 MB -> ~80 MB; at most three RGB frames are alive at once).
        for frame_path in frame_paths[1:]:
            frame = _load_rgb(frame_path)
            yield frame if frame.size == size else frame.resize(size, Image.Resampling.LANCZOS)

    path = Path(path)
    with atomic_path(path) as tmp:
        # loop=0 means "repeat forever" in the GIF Netscape extension.
        first.save(tmp, format="GIF", save_all=True, append_images=later_frames(),
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

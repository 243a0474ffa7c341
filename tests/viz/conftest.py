"""Shared fixtures for the plotting tests: image checks, call spies, and writers that fail half-way."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from matplotlib.figure import Figure
from PIL import Image

@pytest.fixture
def open_image():
    """Return a checker: opens `path` with Pillow, verifies it, returns (size, mode, format)."""
    def check(path: Path) -> tuple[tuple[int, int], str, str]:
        assert Path(path).stat().st_size > 0
        with Image.open(path) as image:
            image.verify()  # raises on a truncated or corrupt file
        with Image.open(path) as image:
            return image.size, image.mode, image.format
    return check


@pytest.fixture
def spy(monkeypatch):
    """spy(cls, "method") -> list of Call(obj, args, kwargs, result), one per call; the method still runs."""
    def install(cls, name: str) -> list:
        calls = []
        original = getattr(cls, name)

        def recording(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            calls.append(SimpleNamespace(obj=self, args=args, kwargs=kwargs, result=result))
            return result
        monkeypatch.setattr(cls, name, recording)
        return calls
    return install


def _write_half_then_fail(target) -> None:
    with open(target, "wb") as file:
        file.write(b"half a file")
    raise OSError("disk full (simulated)")


@pytest.fixture
def broken_savefig(monkeypatch):
    """Make every Figure.savefig write a few bytes to its target and then fail."""
    monkeypatch.setattr(Figure, "savefig", lambda self, target, *args, **kwargs: _write_half_then_fail(target))


@pytest.fixture
def break_pillow_save(monkeypatch):
    """Return arm(): from then on every PIL Image.save writes a few bytes to its target and fails.

    Armed on demand so that a test can first write its input images with the real save."""
    def arm() -> None:
        monkeypatch.setattr(Image.Image, "save", lambda self, target, *args, **kwargs: _write_half_then_fail(target))
    return arm


@pytest.fixture
def existing_file(tmp_path):
    """A file that a failed write must leave untouched; returns its path."""
    path = tmp_path / "out" / "existing.png"
    path.parent.mkdir()
    path.write_bytes(b"previous content")
    return path


@pytest.fixture
def assert_untouched():
    """Return a checker: the old file is intact and no temporary file was left next to it."""
    def check(existing: Path) -> None:
        assert existing.read_bytes() == b"previous content"
        assert sorted(p.name for p in existing.parent.iterdir()) == [existing.name]
    return check

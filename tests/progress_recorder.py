"""A stand-in for gankit's progress bar that draws nothing and records what it is told."""
from __future__ import annotations

import sys

from gankit.train.progress import Progress


def record_progress(monkeypatch) -> list:
    """Patch gankit.train.progress.Progress (looked up at each use); the returned list gets
    (total, enabled, label) per bar made and (step, sorted value names) per update.
    The module comes from sys.modules: the attribute path gankit.train is the train() function."""
    seen: list = []

    class Recorder(Progress):
        def __init__(self, total, start=0, enabled=True, label="train"):
            super().__init__(total, start, enabled=False)
            seen.append((total, enabled, label))

        def update(self, step, values):
            seen.append((step, sorted(values)))

    monkeypatch.setattr(sys.modules[Progress.__module__], "Progress", Recorder)
    return seen

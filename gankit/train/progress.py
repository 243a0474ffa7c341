"""A rich progress bar with live losses; silent when disabled or when output is not a terminal."""
from __future__ import annotations

import sys


class Progress:
    def __init__(self, total: int, start: int = 0, enabled: bool = True, label: str = "train"):
        self.total, self.start, self.label = total, start, label
        self.enabled = enabled
        self._bar = None

    def __enter__(self):
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn
            from rich.console import Console
            from rich.progress import TimeElapsedColumn, TimeRemainingColumn

            # On stderr, the stream whose terminal decides whether it is shown: stdout stays for results
            # (`gankit train > log.txt` gets no bar frames).
            self._bar = RichProgress(
                TextColumn(f"[bold]{self.label}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                TextColumn("{task.fields[losses]}"),
                console=Console(stderr=True), transient=not sys.stderr.isatty(), disable=not sys.stderr.isatty(),
                refresh_per_second=4)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=self.total, completed=self.start, losses="", rate="")
        return self

    def update(self, step: int, values: dict[str, float]) -> None:
        if self._bar is None:
            return
        shown = " ".join(f"{k}={values[k]:.3g}" for k in ("d_loss", "g_loss", "d_real", "d_fake", "loss") if k in values)
        task = self._bar.tasks[0]
        unit = "/s" if self.label in ("generate", "features") else "it/s"  # samples (images) a second, or steps
        rate = f"{task.speed:.0f} {unit}" if task.speed else ""
        self._bar.update(self._task, completed=step, losses=shown, rate=rate)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)

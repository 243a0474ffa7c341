"""`gankit plot`, `report` and `list`: redraw a run's figures, write its HTML page, list what exists."""
from __future__ import annotations

from gankit.config import list_presets
from gankit.errors import GankitError


def plot(args) -> None:
    """Redraw from the log and the sample grids alone: no weights are loaded, so a run stopped before its
    first checkpoint still gets its curves (as `report` does)."""
    from pathlib import Path

    from gankit.utils.io import read_jsonl
    from gankit.viz.animation import make_gif
    from gankit.viz.curves import plot_losses

    directory = Path(args.run).expanduser()
    if not (directory / "config.yaml").is_file():
        raise GankitError(f"'{args.run}' is not a gankit run directory (expected config.yaml in it)")
    log = directory / "metrics.jsonl"
    if not log.is_file():
        raise GankitError(f"{log} not found; expected the training log of the run (plot redraws from it)")
    rows = [r for r in read_jsonl(log) if r.get("kind") != "eval"]
    if not rows:
        raise GankitError(f"{log} holds no logged step yet; expected at least one (train.log_every steps)")
    plot_losses(rows, directory / "plots" / "losses.png")
    frames = sorted((directory / "samples").glob("step_*.png"))
    if frames:
        make_gif(frames, directory / "plots" / "animation.gif", fps=2)
    print(f"plots written to {directory / 'plots'}")


def report(args) -> None:
    from gankit.viz.report import write_report

    print(f"report written to {write_report(args.run, args.output)}")


def _preset_summary(name: str) -> str:
    """The first comment line of a preset's YAML (each preset starts by saying what it is)."""
    from gankit.config import PRESET_DIR

    for line in (PRESET_DIR / f"{name}.yaml").read_text().splitlines():
        if line.startswith("#"):
            text = line.lstrip("# ").strip()
            return text if len(text) <= 90 else text[:87] + "..."
    return ""


def list_all(args) -> None:
    import gankit.algorithms  # noqa: F401
    import gankit.models  # noqa: F401
    from gankit.data.build import IMAGE_NAMES
    from gankit.data.toy import SAMPLERS
    from gankit.features import EXTRACTORS
    from gankit.metrics.image import METRIC_HELP
    from gankit.losses import LOSSES
    from gankit.registry import ALGORITHMS, ARCHITECTURES

    sections = {
        "algorithms": ALGORITHMS.describe(),
        "models": ARCHITECTURES.describe(),
        "losses": LOSSES.describe(),
        "datasets": {**{n: "toy sampler" for n in sorted(SAMPLERS)}, **{n: "images" for n in IMAGE_NAMES},
                     "<path>": "CSV/NPY table, image folder, IDX directory, NPZ"},
        "presets": {name: _preset_summary(name) for name in list_presets()},
        "image metrics": METRIC_HELP,
        "features": EXTRACTORS,
    }
    for title, items in sections.items():
        print(f"{title}:")
        for name, text in items.items():
            print(f"  {name:<16} {text}".rstrip())

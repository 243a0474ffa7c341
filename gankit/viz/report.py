"""A run as one self-contained HTML page: `gankit report RUN` (docs/design.md, "What a user does").

Everything is inlined — pictures as base64 data URIs, text escaped, no scripts, no links to files —
so the page can be mailed or attached to an issue and still shows the whole run. It is built from
what the run directory already holds (config.yaml, metrics.jsonl, plots/, samples/, predict/,
checkpoints/best.json): no model is loaded and nothing is recomputed, so it takes well under a second.
"""
from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

import yaml

from gankit.errors import GankitError
from gankit.utils.io import atomic_open, read_jsonl, refuse_run_records

_MIME = {".png": "image/png", ".gif": "image/gif"}
_STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:0}.sub{color:#666;margin-top:.2em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f3f3f3}
figure{display:inline-block;margin:.5em;vertical-align:top}figcaption{color:#666;font-size:.85em}
img{max-width:100%}img.px{image-rendering:pixelated}pre{background:#f6f6f6;padding:.8em;overflow:auto}"""


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of the run in `run_dir` to `out` (default RUN/report.html); returns the path."""
    directory = Path(run_dir).expanduser()
    if not (directory / "config.yaml").is_file():
        raise GankitError(f"'{run_dir}' is not a gankit run directory (expected config.yaml in it)")
    try:
        cfg = yaml.safe_load(_read_text(directory / "config.yaml")) or {}
    except yaml.YAMLError:
        raise GankitError(f"{directory / 'config.yaml'} is not valid YAML") from None
    if not isinstance(cfg, dict):  # a hand-edited file: render() reads its sections with .get()
        raise GankitError(f"{directory / 'config.yaml'}: expected a mapping of sections (data, model, train, ...), "
                          f"got {type(cfg).__name__}")
    log = directory / "metrics.jsonl"
    rows = read_jsonl(log) if log.is_file() else []  # a run killed mid-append: its torn last line is dropped
    out = Path(out).expanduser() if out else directory / "report.html"
    refuse_run_records(out, directory, allow=("report.html",))
    with atomic_open(out) as f:
        f.write(render(directory, cfg, rows))
    return out


def render(directory: Path, cfg: dict, rows: list[dict]) -> str:
    train_rows = [r for r in rows if r.get("kind") != "eval"]
    eval_rows = [r for r in rows if r.get("kind") == "eval"]
    t, model, data = (_section(cfg, name, directory) for name in ("train", "model", "data"))
    last = train_rows[-1] if train_rows else {}
    seconds = last.get("time")  # a hand-edited log may hold anything there: only a number is shown
    subtitle = (f"{t.get('algorithm', '?')} · {model.get('arch', '?')} · data {data.get('path') or data.get('name')}"
                f" · step {last.get('step', 0)} of {t.get('steps', '?')}"
                + (f" · {seconds:.0f} s of training" if _is_number(seconds) else ""))
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(directory.name)} — gankit</title>"
             f"<style>{_STYLE}</style></head><body>",
             f"<h1>{_e(directory.name)}</h1><p class='sub'>{_e(subtitle)}</p>"]
    if last:
        parts += ["<h2>Last logged step</h2>", _table([last])]
    best = directory / "checkpoints" / "best.json"
    if best.is_file():
        parts += ["<h2>Best checkpoint</h2>", _table([_read_best(best)])]
    if eval_rows:
        parts += ["<h2>Evaluations</h2>", _table(eval_rows)]
    samples = _pictures(directory / "samples", "step_*.png")
    pictures = samples[-1:] + _pictures(directory / "plots", "*.gif")
    if pictures:
        parts += ["<h2>Samples</h2>", *(_figure(p, directory, pixelated=True) for p in pictures)]
    plots = _pictures(directory / "plots", "*.png") + _pictures(directory / "predict", "summary.png")
    if plots:
        parts += ["<h2>Plots</h2>", *(_figure(p, directory) for p in plots)]
    stats = directory / "plots" / "stats.md"
    if stats.is_file():
        parts += ["<h2>Statistics</h2>", f"<pre>{_e(_read_text(stats))}</pre>"]
    parts += ["<h2>Config</h2>", f"<pre>{_e(_read_text(directory / 'config.yaml'))}</pre>",
              f"<p class='sub'>Reproduce: <code>gankit train {_e(str(directory / 'config.yaml'))}</code></p>",
              "</body></html>\n"]
    return "\n".join(parts)


def _read_text(path: Path) -> str:
    """A text file of the run; a damaged one (not UTF-8, unreadable) is a one-line error naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise GankitError(f"{path} is unreadable ({why}); expected the text file training writes there") from None


def _section(cfg: dict, name: str, directory: Path) -> dict:
    """cfg[name] as a dict ({} when absent); a hand edit that made it a scalar or list is refused."""
    value = cfg.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise GankitError(f"{directory / 'config.yaml'}: config key '{name}' must be a mapping of fields, "
                          f"got {value!r}")
    return value


def _read_best(path: Path) -> dict:
    """checkpoints/best.json as a dict (one table row), or the same one-line error `--checkpoint best` gives."""
    try:
        best = json.loads(_read_text(path))
    except ValueError:
        best = None
    if not isinstance(best, dict):
        raise GankitError(f"{path} is unreadable; expected a JSON object {{\"step\": N, ...}} as training writes it")
    return best


def _pictures(folder: Path, pattern: str) -> list[Path]:
    """The pictures in `folder` matching `pattern`, sorted. pathlib's glob also matches hidden names, and
    atomic writes (utils/io.py) stage each file as `.NAME.XXXX.tmp.png` beside it: a half-written one of a
    run still training, or one left by a killed run, is not a plot."""
    return sorted(p for p in folder.glob(pattern) if not p.name.startswith(".") and p.is_file())


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _table(rows: list[dict]) -> str:
    """One column per key (in first-seen order), one row per dict; numbers to 4 significant figures."""
    keys = [k for k in dict.fromkeys(k for r in rows for k in r) if k != "kind"]
    head = "".join(f"<th>{_e(k)}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{_e(_fmt(r.get(k, '')))}</td>" for k in keys) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _figure(path: Path, directory: Path, pixelated: bool = False) -> str:
    """The picture inlined; samples keep hard pixel edges when the browser scales them."""
    try:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
    except OSError as exc:  # e.g. removed between the listing and now
        raise GankitError(f"cannot read {path} ({exc.strerror}); expected the picture training wrote") from None
    caption = path.relative_to(directory).as_posix()
    css = " class='px'" if pixelated else ""
    return (f"<figure><img{css} src='data:{_MIME[path.suffix]};base64,{data}' alt='{_e(caption)}'>"
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _fmt(value) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _e(text: str) -> str:
    return html.escape(text, quote=True)

"""gankit/viz/report.py: one self-contained HTML page per run — every plot inlined, the latest samples,
the evaluations, the config; text escaped; nothing referenced outside the file."""
from __future__ import annotations

import base64
import json
import re

import pytest
from PIL import Image

from gankit.config import load_config, save_config
from gankit.errors import GankitError
from gankit.viz.report import write_report


def picture(path, colour, fmt="PNG") -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (4, 3), colour).save(path, fmt)
    return path.read_bytes()


@pytest.fixture
def run_dir(tmp_path):
    """A finished run's directory, as the trainer leaves it (made by hand: no training needed)."""
    run = tmp_path / "g25"
    run.mkdir()
    save_config(load_config("grid25"), run / "config.yaml")
    rows = [{"step": 10, "epoch": 0.0, "time": 1.5, "d_loss": 1.3862, "g_loss": 0.6931},
            {"step": 10, "kind": "eval", "modes": 7, "hq": 0.25},
            {"step": 20, "epoch": 0.0, "time": 3.25, "d_loss": 1.2, "g_loss": 0.8123456},
            {"step": 20, "kind": "eval", "modes": 19, "hq": 0.61}]
    text = "".join(json.dumps(r) + "\n" for r in rows) + '{"step": 30, "d_lo'  # a line cut short by a crash
    (run / "metrics.jsonl").write_text(text)
    picture(run / "samples" / "step_000010.png", "red")
    picture(run / "samples" / "step_000020.png", "green")
    picture(run / "plots" / "losses.png", "blue")
    picture(run / "plots" / "animation.gif", "white", "GIF")
    (run / "plots" / "stats.md").write_text("| x | <script>alert(1)</script> |\n")
    (run / "checkpoints").mkdir()
    (run / "checkpoints" / "best.json").write_text(json.dumps({"step": 20, "metric": "fid", "value": 12.5}))
    return run


def inlined(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r"src='data:image/(?:png|gif);base64,([A-Za-z0-9+/=]+)'", page)]


def test_every_plot_and_the_latest_samples_are_inlined(run_dir):
    page = write_report(run_dir).read_text()
    files = {p.relative_to(run_dir).as_posix(): p.read_bytes() for p in run_dir.rglob("*.png")}
    files["plots/animation.gif"] = (run_dir / "plots" / "animation.gif").read_bytes()
    images = inlined(page)
    assert sorted(images) == sorted(files[k] for k in ("samples/step_000020.png", "plots/animation.gif",
                                                       "plots/losses.png"))  # not the older step_000010
    # self-contained: no src/href that is not a data URI
    assert not re.search(r"(src|href)=['\"](?!data:)", page)


def test_tables_hold_the_last_step_every_evaluation_and_the_best_checkpoint(run_dir):
    page = write_report(run_dir).read_text()
    assert "<td>0.8123</td>" in page  # the last logged step's g_loss to 4 significant figures
    assert "<td>1.386</td>" not in page  # an earlier step's loss is not the summary
    assert "<td>7</td>" in page and "<td>19</td>" in page and "<td>0.61</td>" in page  # both evaluations
    assert "<td>fid</td>" in page and "<td>12.5</td>" in page  # best.json
    assert "step 20 of 6000" in page and "grid25" in page


def test_text_from_the_run_is_escaped_and_the_config_shown(run_dir):
    page = write_report(run_dir).read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "r1_gamma: 0.1" in page and f"gankit train {run_dir / 'config.yaml'}" in page


def test_output_path_and_a_second_report_replaces_the_first(run_dir, tmp_path):
    assert write_report(run_dir) == run_dir / "report.html"
    out = write_report(run_dir, tmp_path / "elsewhere" / "r.html")
    assert out.read_text() == (run_dir / "report.html").read_text()
    (run_dir / "plots" / "losses.png").unlink()
    assert len(inlined(write_report(run_dir).read_text())) == 2
    assert not list(run_dir.glob(".report.html.*"))  # written through a temporary file, none left


def test_a_directory_that_is_not_a_run_is_a_one_line_error(tmp_path):
    with pytest.raises(GankitError, match=r"^'.*' is not a gankit run directory \(expected config.yaml in it\)$"):
        write_report(tmp_path)
    (tmp_path / "config.yaml").write_text("a: [1,\n")
    with pytest.raises(GankitError, match=r"config.yaml is not valid YAML$"):
        write_report(tmp_path)


def test_gankit_report_on_a_trained_run(tmp_path, capsys):
    """The command end to end: a short circle run, then `gankit report RUN` (exit 0, path printed)."""
    from gankit.cli import main

    main(["train", "circle", "--steps", "20", "--out", str(tmp_path), "--set", "eval.every=10",
          "--set", "train.progress=false"])
    run = tmp_path / "circle"
    main(["report", str(run)])
    assert capsys.readouterr().out.strip().endswith(f"report written to {run / 'report.html'}")
    page = (run / "report.html").read_text()
    plots = sorted((run / "plots").glob("*.png"))
    assert len(plots) >= 3 and len(inlined(page)) == len(plots) + 2  # + latest samples + animation.gif
    with pytest.raises(SystemExit) as info:
        main(["report", str(tmp_path / "nope")])
    assert info.value.code == 2 and "is not a gankit run directory" in capsys.readouterr().err


# A run damaged by a hand edit or a crash: each used to escape as a traceback (AttributeError, JSONDecodeError,
# UnicodeDecodeError, ValueError, TypeError); now a one-line error naming the file, or the page without the bad bit.
@pytest.mark.parametrize("name, content, words", [
    ("config.yaml", "- a\n- b\n", ["config.yaml", "mapping of sections", "list"]),
    ("config.yaml", "train: 5\n", ["config.yaml", "'train'", "mapping of fields"]),
    ("config.yaml", b"train: {steps: 3}\n\xff\xfe\n", ["config.yaml", "not UTF-8"]),
    ("checkpoints/best.json", '{"step": 20, "va', ["best.json", "JSON object"]),
    ("checkpoints/best.json", "[1, 2]\n", ["best.json", "JSON object"]),
    ("plots/stats.md", b"\xff\xfe\n", ["stats.md", "not UTF-8"]),
])
def test_a_damaged_run_file_is_a_one_line_error(run_dir, name, content, words):
    from tests.cli_helpers import assert_one_line_error, run_cli

    path = run_dir / name
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    assert_one_line_error(run_cli(["report", run_dir]), words)
    assert not (run_dir / "report.html").exists()


def test_a_non_number_time_in_the_log_is_not_shown(run_dir):
    (run_dir / "metrics.jsonl").write_text('{"step": 30, "time": "abc", "d_loss": 1.0}\n')
    page = write_report(run_dir).read_text()  # was: ValueError, unknown format code 'f' for a str
    assert "step 30 of" in page and "s of training" not in page


def test_hidden_temporary_files_and_folders_are_not_pictures(run_dir):
    """An atomic write stages `.NAME.XXXX.tmp.png` beside its target (half-written while a run trains, or
    left by a killed one); pathlib's glob matched it and the report showed it as a plot."""
    (run_dir / "plots" / ".losses.png.abc123.tmp.png").write_bytes(b"\x89PNG half")
    (run_dir / "samples" / "step_000099.png").mkdir()  # was: IsADirectoryError
    page = write_report(run_dir).read_text()
    assert "tmp.png" not in page and "step_000099" not in page
    assert "samples/step_000020.png" in page


def test_an_output_onto_the_runs_training_log_is_refused(run_dir):
    """`report -o RUN/metrics.jsonl` replaced the training log with HTML."""
    from gankit.viz.report import write_report

    log = run_dir / "metrics.jsonl"
    before = log.read_bytes()
    with pytest.raises(GankitError, match="run's own record"):
        write_report(run_dir, log)
    assert log.read_bytes() == before
    assert write_report(run_dir, run_dir / "report.html").is_file()  # the default output stays allowed

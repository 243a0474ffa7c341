"""`gankit evaluate` through the CLI: image folders (--reference-only --image-size, runs trained on one),
messages that say what is wrong and what is expected, options that used to be ignored, and gankit's own
warnings as one line on stderr."""
from __future__ import annotations

import json
import warnings

import pytest

from gankit.data.image_folder import SkippedImagesWarning, load_image_folder
from tests.cli_helpers import TINY, assert_one_line_error, run_cli
from tests.commands import test_features as shared
from tests.commands.test_features import make_image_folder, ok

folder, folder_run = shared.folder, shared.folder_run  # the fixtures: one picture folder and run per module


# ---------------------------------------------------------------------------------------- image folders
def test_reference_only_on_an_image_folder(folder, tmp_path):
    ok(["evaluate", "--reference-only", "--data", folder, "--image-size", "8", "--features", "pixels",
        "--metrics", "fid,kid,pr,dc", "--json", tmp_path / "floor.json"])
    record = json.loads((tmp_path / "floor.json").read_text())
    assert record["setup"]["image_shape"] == [3, 8, 8] and record["setup"]["n_real"] == 8
    assert "each class" in record["setup"]["fake_source"]  # both classes on both sides, not 'light' alone
    assert record["scores"]["coverage"] > 0


def test_reference_only_on_a_folder_without_image_size_names_the_flag(folder):
    result = run_cli(["evaluate", "--reference-only", "--data", folder])  # was: "train a classifier" advice
    assert_one_line_error(result, ["folder of image files", "--image-size N"])


def test_a_folder_run_without_an_extractor_gets_advice_that_works(folder_run, folder):
    result = run_cli(["evaluate", folder_run, "--n", "10"])
    # was: `gankit features train --data pictures` (the folder's stem, looked up as a dataset name, not found)
    assert_one_line_error(result, ["--features pixels", f"--data {folder} --image-size 8"])


def test_a_folder_run_against_a_test_split_says_there_is_none(folder_run):
    result = run_cli(["evaluate", folder_run, "--features", "pixels", "--reference", "test"])
    assert_one_line_error(result, ["no test split", "--reference train"])
    assert "(no t10k-* files)" not in result.err  # was: "(no t10k-* files)", which means nothing for a folder


# ---------------------------------------------------------------------------------------- messages
@pytest.mark.parametrize("data, words", [
    ("nosuch", ["'nosuch' is not a known dataset", "mnist", "image folder"]),
    ("circle", ["'circle' is a toy dataset of points, not images"]),
    ("missing/pictures", ["'missing/pictures' not found", "image folder"]),
])
def test_unknown_data_says_what_is_expected(data, words):
    result = run_cli(["evaluate", "--reference-only", "--data", data])
    assert_one_line_error(result, words)
    assert "features train" not in result.err  # was: advice to train a classifier on data that does not exist


@pytest.mark.parametrize("n, words", [("5", ["--n must be > k (=5)", "dc"]),
                                      ("3", ["--n must be > k (=3)", "pr"])])
def test_too_few_samples_for_the_nearest_neighbour_metrics(folder_run, n, words):
    result = run_cli(["evaluate", folder_run, "--features", "pixels", "--metrics", words[1], "--n", n])
    assert_one_line_error(result, words)  # was: "k must be an integer in [1, 4] for 5 real samples"


def test_inception_score_without_class_probabilities_fails_before_any_sampling(folder_run, folder, monkeypatch):
    import gankit.metrics.image as image

    def no_sampling(*args, **kwargs):
        raise AssertionError("images were generated before the metric was refused")

    monkeypatch.setattr(image, "sample_pixels", no_sampling)
    result = run_cli(["evaluate", folder_run, "--features", "pixels", "--metrics", "fid,is", "--n", "8"])
    assert_one_line_error(result, ["metric 'is'", "class probabilities", "pixels"])
    result = run_cli(["evaluate", "--reference-only", "--data", folder, "--image-size", "8", "--features", "pixels",
                      "--metrics", "is"])
    assert_one_line_error(result, ["metric 'is'", "pixels"])


def test_the_default_metrics_leave_out_is_for_an_extractor_without_classes(folder_run, tmp_path):
    """`--features pixels` with no --metrics used to fail on IS after all the work; now IS is left out."""
    ok(["evaluate", folder_run, "--features", "pixels", "--n", "8", "--json", tmp_path / "s.json"])
    scores = json.loads((tmp_path / "s.json").read_text())["scores"]
    assert "fid" in scores and "coverage" in scores and "is" not in scores


# ---------------------------------------------------------------------------------------- ignored options
@pytest.mark.parametrize("flag, value", [("--data", "fashion-mnist"), ("--image-size", "16")])
def test_data_options_with_a_run_are_refused(folder_run, flag, value):
    result = run_cli(["evaluate", folder_run, "--features", "pixels", flag, value])  # was: silently ignored
    assert_one_line_error(result, [flag, "--reference-only"])



@pytest.mark.parametrize("flag, value", [("--reference", "test"), ("--reference", "train"), ("--checkpoint", "best")])
def test_run_options_with_reference_only_are_refused(folder, flag, value):
    result = run_cli(["evaluate", "--reference-only", "--data", folder, "--image-size", "8", "--features", "pixels",
                      flag, value])  # was: silently ignored, the floor printed as if they had been applied
    assert_one_line_error(result, [flag, "applies to a run", "--reference-only"])


@pytest.mark.parametrize("metrics", ["nn", "fid,nn", "memorisation"])
def test_nn_with_reference_only_is_refused(folder, metrics):
    result = run_cli(["evaluate", "--reference-only", "--data", folder, "--image-size", "8", "--features", "pixels",
                      "--metrics", metrics])  # was: nn dropped; `--metrics nn` printed a table with no score, exit 0
    assert_one_line_error(result, ["'nn'", "--reference-only", "drop nn"])

# ---------------------------------------------------------------------------------------- warnings
def test_a_skipped_image_is_one_warning_line_and_stays_a_warning_for_python(tmp_path):
    broken = make_image_folder(tmp_path / "broken", per_class=6, bad=1)
    before = warnings.showwarning
    result = run_cli(["train", "circle", "--data", broken, "--image-size", "8", "--steps", "2", "--out",
                      tmp_path / "runs", *TINY])
    assert result.code == 0, result.err
    # was: "/…/gankit/data/images.py:82: SkippedImagesWarning: …" and the source line under it
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gankit train: warning: "), result.err
    assert "skipped 1 unreadable image file(s): dark/broken0.png" in lines[0]
    assert warnings.showwarning is before  # the hook is gone once the command is over
    with pytest.warns(SkippedImagesWarning, match="broken0.png"):  # and a Python caller still gets a warning
        load_image_folder(broken, 8, 3)


def test_other_libraries_warnings_keep_their_form(monkeypatch, tmp_path):
    import gankit.commands as commands

    def noisy(args):
        warnings.warn("from elsewhere", RuntimeWarning)

    monkeypatch.setitem(commands.COMMANDS, "list", noisy)
    result = run_cli(["list"])
    assert result.code == 0 and "RuntimeWarning: from elsewhere" in result.err
    assert "gankit list: warning" not in result.err

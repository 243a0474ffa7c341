"""The `gankit` command. It parses arguments, builds a Config and calls the library; no logic here.

Every user error (GankitError) is printed as one line and exits with status 2.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import warnings

from gankit.errors import GankitError, RankZeroError
from gankit.schema import SEED_RANGE


class _Parser(argparse.ArgumentParser):
    """argparse with the project's error contract: one line, `gankit CMD: error: ...`, status 2.
    argparse's own error() prints the whole usage block first; --help still shows it."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def seed(text: str) -> int:
    """--seed: an integer in SEED_RANGE (a larger one would escape as torch's overflow traceback)."""
    value = int(text)  # a ValueError becomes argparse's "invalid seed value: 'abc'"
    low, high = SEED_RANGE
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text} is out of range; expected an integer in {low}..{high}")
    return value


def positive(text: str) -> int:
    """--image-size: an integer >= 1 (0 or -8 would only fail deep inside the image loader)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: expected an integer >= 1")
    return value


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a GAN from a preset or YAML config (default: the circle preset)",
                       description="Train a GAN. CONFIG is a YAML file, a preset name (gankit list) or a run "
                                   "directory; every field can be overridden with --set section.key=value.")
    p.add_argument("config", nargs="?", help="YAML file, preset name or run directory (default: circle)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field, e.g. --set train.steps=2000 --set optim.g.lr=5e-4 (repeatable)")
    p.add_argument("--model", help="algorithm (gan, ...) or architecture (mlp, ...) to use")
    p.add_argument("--data", help="dataset name (circle, grid25, fashion-mnist, ...) or a path (CSV, NPY, folder)")
    p.add_argument("--image-size", type=int, help="images: resize and centre-crop to this size")
    p.add_argument("--steps", type=int, help="training iterations (train.steps)")
    p.add_argument("--seed", type=seed, help="random seed (train.seed)")
    p.add_argument("--out", help="parent directory of runs (train.out_dir, default runs)")
    p.add_argument("--name", help="run name (train.name; default: the preset's name)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (train.device)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its latest checkpoint")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _add_generate(sub) -> None:
    p = sub.add_parser("generate", help="sample from a trained run (points or images)")
    p.add_argument("run", help="run directory")
    p.add_argument("-n", type=int, help="number of samples (default 1000, or ROWS x COLS with --grid)")
    p.add_argument("-o", "--output", required=True,
                   help="output file: .csv/.npy (vectors, .png scatter for 2-D), .png grid/.npz (images), or a folder")
    p.add_argument("--format", choices=["auto", "csv", "npy", "npz", "png", "grid", "png-dir"], default="auto")
    p.add_argument("--checkpoint", default="latest", help="latest, best or a step number")
    p.add_argument("--seed", type=seed, default=0, help="noise seed (default 0)")
    p.add_argument("--grid", help="images: grid layout ROWSxCOLS, e.g. 2x5")
    p.add_argument("--interpolate", type=int, metavar="K", help="a strip of K samples between two latents")
    p.add_argument("--label", type=int, metavar="K",
                   help="conditional runs: samples of class K (cgan, acgan) or first categorical code K (infogan)")
    p.add_argument("--truncation", type=float, metavar="T",
                   help="Gaussian latents: redraw entries with |z| > T (fewer odd samples, less variety)")


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="compute metrics of a trained run (toy metrics, or FID/KID/... for images)",
                       description="Score a run against real data. Image runs: FID, KID, precision/recall (pr), "
                                   "density/coverage (dc), Inception Score (is), nearest neighbours (nn), in the "
                                   "feature space of --features; every score is printed with its setup.")
    p.add_argument("run", nargs="?", help="run directory (not with --reference-only)")
    p.add_argument("--n", type=int, help="samples per side (default: 2500 for vectors; for images 10000, or all "
                                         "the real images if fewer)")
    p.add_argument("--checkpoint", default="latest", help="latest, best or a step number")
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--json", metavar="FILE", help="also write the metrics (and their setup) as JSON")
    p.add_argument("--metrics", help="images: comma-separated fid,kid,pr,dc,is,nn (default fid,kid,pr,dc,is)")
    p.add_argument("--features", help="images: feature extractor, classifier:<dataset|path>, inception or pixels "
                                       "(default: the run's eval.features, else the shipped classifier of its data)")
    p.add_argument("--reference", choices=["train", "test"], help="images: real split to compare with "
                                                                  "(default: the run's eval.reference_split)")
    p.add_argument("--reference-only", action="store_true",
                   help="score the train split against the test split of --data: the floor a perfect G would reach")
    p.add_argument("--data", help="with --reference-only: dataset name or path")
    p.add_argument("--image-size", type=positive, metavar="N",
                   help="with --reference-only: resize and centre-crop to N x N (data.image_size; image folders)")
    p.add_argument("--inception-weights", metavar="FILE", help="FID Inception weights (pt_inception-2015-12-05)")
    p.add_argument("--device", default="cpu", help="where features are computed: cpu, cuda, ... (default cpu)")


def _add_features(sub) -> None:
    p = sub.add_parser("features", help="feature extractors of the image metrics: train a classifier, extract")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    t = actions.add_parser("train", help="train the small CNN of classifier:<...> on a labelled image dataset")
    t.add_argument("--data", required=True,
                   help="mnist, fashion-mnist, digits, a labelled IDX directory / NPZ, or an image folder with "
                        "one sub-folder per class (needs --image-size)")
    t.add_argument("--image-size", type=positive, metavar="N", help="resize and centre-crop to N x N (image folders)")
    t.add_argument("-o", "--output", required=True, help="weights file to write (.safetensors; a .json goes beside)")
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--seed", type=seed, default=0)
    t.add_argument("--device", default="cpu", help="cpu, cuda, ... (the shipped weights were trained on the CPU)")
    e = actions.add_parser("extract", help="features of real images (--data) or of a run's samples (--run) to .npy")
    e.add_argument("--features", required=True, help="classifier:<dataset|path>, inception or pixels")
    source = e.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="dataset name or path (real images)")
    source.add_argument("--run", help="run directory (generated images)")
    e.add_argument("-n", type=int, help="number of images (default 10000, or all the real images if fewer)")
    e.add_argument("-o", "--output", required=True, help=".npy file for the (N, D) float32 features")
    # default None, not "train": an explicit --split with --run (where it means nothing) must be detectable
    e.add_argument("--split", choices=["train", "test"], help="--data: which split (default train)")
    e.add_argument("--image-size", type=positive, metavar="N",
                   help="--data: resize and centre-crop to N x N (data.image_size; image folders)")
    e.add_argument("--checkpoint", default="latest", help="--run: latest, best or a step number")
    e.add_argument("--seed", type=seed, default=0, help="which images (--data) or which noise (--run)")
    e.add_argument("--inception-weights", metavar="FILE", help="FID Inception weights (pt_inception-2015-12-05)")
    e.add_argument("--device", default="cpu")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gankit", description="Train, evaluate and show GANs.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_train(sub)
    _add_generate(sub)
    _add_evaluate(sub)
    _add_features(sub)
    p = sub.add_parser("plot", help="redraw a run's losses.png and animation.gif from metrics.jsonl and samples/")
    p.add_argument("run", help="run directory")
    p = sub.add_parser("report", help="a run as one self-contained HTML page: losses, metrics, samples, plots, config")
    p.add_argument("run", help="run directory")
    p.add_argument("-o", "--output", help="HTML file to write (default RUN/report.html)")
    sub.add_parser("list", help="models, algorithms, losses, datasets and presets that exist")
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from gankit import __version__

        print(__version__)
        return
    if args.command is None:
        parser.print_help()
        return
    try:
        from gankit import commands

        with _one_line_warnings(f"gankit {args.command}"):
            commands.COMMANDS[args.command](args)
    except GankitError as exc:
        if not isinstance(exc, RankZeroError):  # another torchrun rank prints that line
            print(f"gankit {args.command}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(f"gankit {args.command}: interrupted", file=sys.stderr)
        sys.exit(130)


def _is_ours(category: type) -> bool:
    """gankit's own warning classes (SkippedImagesWarning, ...): told apart by their module, so that
    torch's or numpy's warnings keep Python's usual form, which is what their authors' advice refers to."""
    return category.__module__.split(".")[0] == "gankit"


@contextlib.contextmanager
def _one_line_warnings(prefix: str):
    """While a command runs, gankit's warnings print as `gankit CMD: warning: MESSAGE`, one line on stderr,
    instead of Python's `/path/file.py:123: SkippedImagesWarning: ...` plus a source line a user did not
    write. They stay real warnings (filters, -W error, pytest.warns all apply); the hook is put back
    afterwards, so Python API callers in the same process see the standard form."""
    previous = warnings.showwarning
    shown: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        if not _is_ours(category):
            return previous(message, category, filename, lineno, file, line)
        text = " ".join(str(message).split())  # a message with a newline in it would break the one line
        # Once per command: Python's own once-per-location memory is wiped whenever any library touches the
        # warning filters, and a folder read for both splits would repeat the same skipped files.
        if text not in shown:
            shown.add(text)
            print(f"{prefix}: warning: {text}", file=sys.stderr if file is None else file)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


if __name__ == "__main__":
    main()

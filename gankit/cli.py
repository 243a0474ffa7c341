"""The `gankit` command. It parses arguments, builds a Config and calls the library; no logic here.

Every user error (GankitError) is printed as one line and exits with status 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gankit.errors import GankitError


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
    p.add_argument("--seed", type=int, help="random seed (train.seed)")
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
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    p.add_argument("--grid", help="images: grid layout ROWSxCOLS, e.g. 2x5")
    p.add_argument("--interpolate", type=int, metavar="K", help="a strip of K samples between two latents")
    p.add_argument("--truncation", type=float, metavar="T",
                   help="Gaussian latents: redraw entries with |z| > T (fewer odd samples, less variety)")


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="compute metrics of a trained run")
    p.add_argument("run", help="run directory")
    p.add_argument("--n", type=int, default=2500, help="samples per side (default 2500, the PacGAN protocol)")
    p.add_argument("--checkpoint", default="latest", help="latest, best or a step number")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="FILE", help="also write the metrics as JSON")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gankit", description="Train, evaluate and show GANs.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_train(sub)
    _add_generate(sub)
    _add_evaluate(sub)
    p = sub.add_parser("plot", help="redraw a run's plots from its checkpoints and metrics.jsonl")
    p.add_argument("run", help="run directory")
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

        commands.COMMANDS[args.command](args)
    except GankitError as exc:
        print(f"gankit {args.command}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(f"gankit {args.command}: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()

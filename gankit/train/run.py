"""A run directory and what can be done with a finished run: load it back and sample from it."""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; runs go unlocked (RunLock)
    fcntl = None

import torch

from gankit.config import Config, load_config
from gankit.data.source import DataInfo
from gankit.errors import GankitError


class RunDirTaken(GankitError):
    """Another process claimed this run folder between our look at it and our claim."""


def new_run_dir(cfg: Config, create: bool = True) -> Path:
    """`<out_dir>/<name>`; if that already holds a run, `<name>-2`, `-3`, ...: never overwrite a run.
    With create, the folder is claimed atomically (make_run_dir): a name another process claims first
    is passed over, so two runs started at the same moment into one --out get two folders.
    Without create it only looks (the first free name; a train.out_dir that cannot hold folders is
    refused): the trainer creates, on rank 0, and hands the choice to the other ranks (runtime.on_main_rank)."""
    name = cfg.train.name or cfg.preset or "run"
    base = Path(cfg.train.out_dir).expanduser()
    k = 1
    while True:
        path = base / (name if k == 1 else f"{name}-{k}")
        if not _holds_a_run(path):
            if not create:
                _refuse_uncreatable(path)
                return path
            try:
                make_run_dir(path)
                return path
            except RunDirTaken:  # claimed by another run an instant before us: take the next name
                pass
        k += 1


def _holds_a_run(path: Path) -> bool:
    return (path / "config.yaml").exists() or (path / "checkpoints").exists()


def _refuse_uncreatable(path: Path) -> None:
    """The error make_run_dir would give, raised before trying: the nearest existing folder on the way
    to `path` must be a folder (not a file)."""
    existing = next(p for p in (path, *path.parents) if p.exists())  # "/" or "." at the latest
    if not existing.is_dir():
        raise GankitError(f"cannot create run directory {path} ({existing} is not a folder); "
                          "expected train.out_dir (--out) to be a writable folder")


def make_run_dir(path: Path) -> bool:
    """Make the folder (and its parents) and claim it for a new run; True once claimed (then a failed
    set-up calls discard_empty_run_dir). The claim is the atomic creation of its checkpoints/ folder,
    which marks a folder as a run's (new_run_dir passes such folders over): of two processes that chose
    the same free folder, one claims it and the other gets RunDirTaken; never do two share a folder."""
    existed = path.is_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
        (path / "checkpoints").mkdir()
    except FileExistsError:
        if not path.is_dir():  # a file at the run folder's own path
            _refuse_uncreatable(path)
        raise RunDirTaken(f"run directory {path} was claimed by another run started at the same moment; "
                          "expected a free folder: start again (the next free name is taken)") from None
    except OSError as exc:  # out_dir (or a parent) is a file, read-only, ...
        _refuse_uncreatable(path)  # names the file in the way, if that is it
        raise GankitError(f"cannot create run directory {path} ({exc.strerror}); "
                          "expected train.out_dir (--out) to be a writable folder") from None
    (_FOUND.add if existed else _FOUND.discard)(path.resolve())
    return True


_FOUND: set[Path] = set()  # claimed folders that existed before (a failed set-up leaves them in place)


class RunLock:
    """An exclusive lock on a run folder while a trainer uses it (flock on the folder itself, released
    by the OS if the process dies). A `--resume` of a run another process was training used to truncate
    its metrics.jsonl and interleave two trajectories' checkpoints, both exiting 0. Where the file
    system cannot lock (some NFS mounts) or there is no fcntl (Windows), runs go on unlocked."""

    def __init__(self, path: Path):
        self.fd: int | None = None
        if fcntl is None:
            return
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise GankitError(f"run directory {path} is in use by another gankit train; expected one process "
                              "per run folder (wait for it to finish, or train into another folder)") from None
        except OSError:
            os.close(fd)
            return
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    __del__ = release


def discard_empty_run_dir(path: Path) -> None:
    """Undo make_run_dir's claim when the run's set-up failed: remove its empty sub-folders, and the
    run folder itself if make_run_dir made it and it holds no file at all. Only folders are removed
    (rmdir refuses a non-empty one), so nothing written can be lost."""
    found = path.resolve() in _FOUND
    for sub in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True) + ([] if found else [path]):
        try:
            sub.rmdir()
        except OSError:  # a file, or a folder with a file in it: keep it
            pass


SAMPLE_BATCH = 500  # G runs on at most this many samples at once (see Generator.sample)


class Generator:
    """Samples in data units: the trainer's normalisation is undone."""

    def __init__(self, algo, info: DataInfo):
        self.algo, self.info = algo, info

    def sample(self, n: int, z: torch.Tensor | None = None, seed: int | None = None, progress: bool = False,
               **cond) -> torch.Tensor:
        """n samples (N, *shape) on the CPU. G runs on SAMPLE_BATCH of them at a time: its activations
        grow with the batch (seed 002's DCGAN held 4 GB for 3,000 images in one pass), the result only
        by the samples' own size. Per-sample conditions (a label tensor of length n) are split alike.
        progress: a bar on a terminal's stderr (`gankit generate`)."""
        from gankit.train.progress import Progress

        if z is None:  # n = 0, -1 or 2.5 ended in torch.cat's / randn's errors (the Python API has no argparse)
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise GankitError(f"sample: n must be an integer >= 1, got {n!r}")
            z = self.algo.latent_on_cpu(n, torch.Generator().manual_seed(seed)) if seed is not None \
                else self.algo.latent(n)
        # The width of the algorithm's own latents: InfoGAN's carry its codes after model.latent_dim
        # (checking model.latent_dim alone refused every infogan run's samples, generate and metrics alike).
        width = self.algo.latent_on_cpu(1, torch.Generator().manual_seed(0)).shape[1]
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != width or len(z) < 1:
            shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise GankitError(f"sample: z must be a (N, {width}) tensor of latent vectors with N >= 1, got {shape}")
        n = len(z)
        classes = getattr(self.algo, "num_classes", None)  # label-conditioned algorithms (cgan, acgan)
        if classes and cond.get("label") is None:
            # cycle through the classes over all n samples: each chunk below used to restart at class 0, so
            # with K classes not dividing SAMPLE_BATCH some classes got more samples than others
            cond["label"] = torch.arange(n) % classes
        bank = getattr(self.algo, "bank_sources", None)  # image-to-image: translate held-out sources
        if bank is not None and cond.get("source") is None:
            cond["source"] = bank(n)  # rows 0..n-1 of the bank, split into chunks below with z
        parts = []
        with Progress(n, enabled=progress and n > SAMPLE_BATCH, label="generate") as bar:
            for start in range(0, n, SAMPLE_BATCH):
                rows = slice(start, start + SAMPLE_BATCH)
                part = {k: v[rows] if isinstance(v, torch.Tensor) and v.dim() and len(v) == n else v
                        for k, v in cond.items()}
                x = self.algo.sample(len(z[rows]), z=z[rows], **part)
                parts.append(self.info.denormalize(x).cpu())
                bar.update(start + len(x), {})
        return torch.cat(parts)


class Run:
    def __init__(self, directory: Path, cfg: Config, info: DataInfo, algo, step: int | None = None):
        self.dir, self.cfg, self.info, self.algo, self.step = Path(directory), cfg, info, algo, step
        self.is_main = True  # False on the other ranks of a distributed run
        self.generator = Generator(algo, info)

    def __repr__(self) -> str:
        return f"Run({str(self.dir)!r}, step={self.step})"


def load_run(directory: str | Path, checkpoint: str | int = "latest", device: str = "cpu") -> Run:
    """Rebuild a trained run from its directory (config.yaml, data.json, checkpoints/) without its data."""
    import gankit.algorithms  # noqa: F401  (registers algorithms and architectures)
    import gankit.models  # noqa: F401
    from gankit.registry import ALGORITHMS
    from gankit.train import checkpoint as ckpt

    directory = Path(directory).expanduser()
    if not (directory / "config.yaml").is_file() or not (directory / "data.json").is_file():
        raise GankitError(f"'{directory}' is not a gankit run directory (expected config.yaml and data.json in it)")
    cfg = load_config(directory / "config.yaml")
    info = read_data_info(directory / "data.json")
    algo = ALGORITHMS.get(cfg.train.algorithm, "train.algorithm")(cfg, info)
    cdir = directory / "checkpoints"
    step = _checkpoint_step(cdir, checkpoint)
    tensors, _ = ckpt.read_checkpoint(cdir, step)
    ckpt.load_nets(tensors, algo.nets)
    for name, net in algo.nets.items():
        algo.nets[name] = net.to(device)
    return Run(directory, cfg, info, algo, step)


def read_data_info(path: Path) -> DataInfo:
    """data.json -> DataInfo; a hand-edited file, or one from another gankit version, is a one-line
    error naming the fields that are missing or unknown (DataInfo(**d) raised a TypeError about __init__)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise GankitError(f"{path} is unreadable ({exc})") from None
    fields = {f.name: f for f in dataclasses.fields(DataInfo)}
    required = [name for name, f in fields.items() if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    if not isinstance(data, dict):
        raise GankitError(f"{path}: expected a JSON object with fields {', '.join(required)}, "
                          f"got {type(data).__name__}")
    missing, unknown = [k for k in required if k not in data], [k for k in data if k not in fields]
    if missing or unknown:
        what = "; ".join(part for part in (missing and f"lacks fields {', '.join(missing)}",
                                           unknown and f"has unknown fields {', '.join(unknown)}") if part)
        raise GankitError(f"{path} {what} (expected the fields {', '.join(fields)}, as training writes them)")
    return DataInfo(**data)


def _checkpoint_step(cdir: Path, which: str) -> int:
    """--checkpoint latest | best | N -> a step that has a checkpoint, or a one-line error naming those that do."""
    import re

    from gankit.train import checkpoint as ckpt

    if isinstance(which, int) and not isinstance(which, bool):  # load_run(run, 500): a TypeError in re.fullmatch
        which = str(which)
    steps = ckpt.list_steps(cdir) if cdir.is_dir() else []
    available = ", ".join(map(str, steps)) or "none"
    if which == "latest":
        step = ckpt.latest_step(cdir) if cdir.is_dir() else None
    elif which == "best":
        best = cdir / "best.json"
        if not best.exists():
            raise GankitError(f"run has no 'best' checkpoint ({best} missing); "
                              "set eval.best_metric when training, or use --checkpoint latest")
        step = ckpt.best_step(cdir)
        if step is None:
            raise GankitError(f"{best} is unreadable; expected a JSON object {{\"step\": N, ...}} as training writes it")
        if step not in steps:
            raise GankitError(f"{best} names step {step}, which has no checkpoint in {cdir}; available: {available}")
    elif re.fullmatch(r"[0-9]+", which):  # not str.isdigit(): it takes '²', which int() refuses
        step = int(which)
        if step not in steps:
            raise GankitError(f"no checkpoint at step {step} in {cdir}; available: {available}")
    else:
        raise GankitError(f"--checkpoint '{which}': expected latest, best or a step number")
    if step is None:
        raise GankitError(f"no checkpoint in {cdir}")
    return step

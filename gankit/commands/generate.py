"""`gankit generate`: samples of a trained run as CSV/NPY/PNG scatter (vectors) or PNG grid/folder/NPZ (images)."""
from __future__ import annotations

import contextlib
import math
import signal
import threading
from pathlib import Path

import numpy as np
import torch

from gankit.errors import GankitError


def generate(args) -> None:
    from gankit.sampling import interpolation, latents
    from gankit.train.run import load_run
    from gankit.utils.io import refuse_run_records

    if args.n is not None and args.interpolate is not None:  # the strip's length is K: -n would be ignored
        raise GankitError(f"-n {args.n} and --interpolate {args.interpolate} do not combine: --interpolate K makes "
                          "K samples; give one or the other")
    n = args.n if args.n is not None else (math.prod(_grid_shape(args.grid)) if args.grid else 1000)
    if n < 1:
        raise GankitError(f"-n must be >= 1, got {n}")
    out = Path(args.output)
    fmt = args.format if args.format != "auto" else (out.suffix.lstrip(".").lower() or "png-dir")
    if args.grid and fmt in ("npz", "png-dir"):
        raise GankitError(f"--grid lays out one .png picture; it does not apply to --format {fmt} (-o {out}); "
                          "give -n for the number of images")
    refuse_run_records(out, args.run)  # -o RUN/samples/step_000500.png replaced a training sample
    run = load_run(args.run, args.checkpoint)
    if hasattr(run.algo, "bank_sources") and (args.interpolate is not None or args.truncation is not None):
        # image-to-image runs translate their bank of held-out sources; their latents are ignored
        flag = "--interpolate" if args.interpolate is not None else "--truncation"
        raise GankitError(f"{flag} moves latent noise; a {run.cfg.train.algorithm} run translates its held-out "
                          "source images and has none to move (use -n)")
    if args.grid and run.info.kind == "vector":
        raise GankitError("--grid lays out images; this run generates vectors (use -n for their number)")
    _check_output(out, fmt, run.info)  # before sampling, not after: it can take minutes
    _check_memory(run, args.interpolate if args.interpolate is not None else n)
    cond = {"label": args.label} if getattr(args, "label", None) is not None else {}  # cgan, acgan, infogan
    if args.interpolate is not None:  # not `if args.interpolate`: K = 0 must be refused, not mean "off"
        samples = interpolation(run, args.interpolate, args.seed, args.truncation, **cond)
    else:
        samples = run.generator.sample(n, z=latents(run, n, args.seed, args.truncation), progress=True, **cond)
    if run.info.kind == "vector":
        _write_vectors(samples.numpy(), out, fmt)
    else:
        _write_images(samples, out, fmt, args.grid, strip=args.interpolate is not None)
    print(f"wrote {len(samples)} samples to {out}")


def _check_output(out: Path, fmt: str, info) -> None:
    """Refuse a format that does not fit the run's data, or an output that cannot be written, before any
    sampling: these were found only at the write, after the whole -n was generated."""
    from gankit.utils.io import check_writable

    if info.kind == "vector":
        if fmt not in ("csv", "npy", "png"):
            raise GankitError(f"output format '{fmt}' does not fit vector data; expected csv, npy or png")
        if fmt == "png" and math.prod(info.shape) > 2:
            raise GankitError(f"a .png scatter needs 1-D or 2-D data; this run's data has {math.prod(info.shape)} "
                              "columns (use .csv or .npy)")
    elif fmt not in ("png", "grid", "png-dir", "npz"):
        raise GankitError(f"output format '{fmt}' does not fit images; expected png, grid, png-dir or npz")
    if fmt == "png-dir":
        _check_sample_folder(out)
    else:
        check_writable(out)  # a folder in the way, a parent that is a file, no permission


def _check_memory(run, count: int) -> None:
    """Refuse a count whose samples cannot fit in this machine's memory, in one line: the latents are drawn
    at once and the samples gathered into one tensor (Generator.sample), so an -n of 10^11 ended in
    torch's 'can't allocate memory' traceback. The estimate is a floor: float32 latents, plus the samples
    twice (the chunks and their concatenation)."""
    import os

    try:
        machine = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): let the allocator decide
        return
    latent = run.algo.latent_on_cpu(1, torch.Generator().manual_seed(0)).shape[1]
    need = count * (latent + 2 * math.prod(run.info.shape)) * 4
    if need > machine:
        raise GankitError(f"{count} samples need at least {need / 2**30:,.1f} GiB of memory, more than this "
                          f"machine's {machine / 2**30:,.1f} GiB; expected a smaller count (several commands "
                          "with different --seed values make more)")


def _write_vectors(x: np.ndarray, out: Path, fmt: str) -> None:
    from gankit.utils.io import atomic_open, atomic_path

    if fmt == "csv":
        header = ",".join(f"x{i}" for i in range(x.shape[1]))
        with atomic_open(out) as f:
            np.savetxt(f, x, delimiter=",", header=header, comments="", fmt="%.7g")
    elif fmt == "npy":
        with atomic_path(out) as tmp, open(tmp, "wb") as f:
            np.save(f, x)
    elif fmt == "png":  # 1-D or 2-D data: _check_output saw to it
        from gankit.viz.scatter import scatter_points

        scatter_points(x, out, title=f"{len(x)} generated samples")
    else:
        raise GankitError(f"output format '{fmt}' does not fit vector data; expected csv, npy or png")


def _check_sample_folder(out: Path) -> None:
    """Refuse a folder that already holds sample_*.png files: writing sample_000..sample_009 over a
    folder of sample_000..sample_099 would leave old and new images side by side under one numbering,
    and deleting the old ones could destroy a user's files. Other files in the folder are left alone.
    A file in the way (OUT itself or a parent) is refused here too, before the sampling, not after it."""
    blocker = next((p for p in (out, *out.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise GankitError(f"cannot write {out}: {blocker} is a file; expected a new or empty folder for "
                          "--format png-dir")
    old = sorted(out.glob("sample_*.png")) if out.is_dir() else []
    if old:
        raise GankitError(f"{out} already holds {len(old)} sample_*.png file(s) (e.g. {old[0].name}); expected a "
                          "new or empty folder for --format png-dir (choose another -o or move them away)")


def _write_png_dir(images: torch.Tensor, out: Path) -> None:
    """All the PNGs or none: they are written into a hidden folder inside OUT, then moved into OUT with
    Ctrl-C held back (a few renames); an interrupt or error before that removes the hidden folder, and OUT
    too if this made it. A half-written set would also make the same command refuse the folder next time."""
    import shutil
    import tempfile

    from gankit.viz.grid import save_images

    made, stage = not out.exists(), None
    try:
        try:
            out.mkdir(parents=True, exist_ok=True)
            stage = Path(tempfile.mkdtemp(dir=out, prefix=".sample_", suffix=".tmp"))
        except OSError as exc:
            raise GankitError(f"cannot write {out} ({exc.strerror}); expected a new or empty folder in a writable "
                              "place for --format png-dir") from None
        written = save_images(images, stage, prefix="sample_")
        with _interrupt_held():
            for path in written:
                path.replace(out / path.name)
            stage.rmdir()
    except BaseException:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        if made:
            with contextlib.suppress(OSError):
                out.rmdir()  # only if empty: nothing else can be in a folder made a moment ago, but be sure
        raise


@contextlib.contextmanager
def _interrupt_held():
    """Ctrl-C (SIGINT) waits until the block is done, then interrupts as usual. Main thread only (the
    only place Python delivers signals); elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *received: caught.append(received))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught and callable(previous):
        previous(*caught[0])  # Python's own handler raises KeyboardInterrupt
    elif caught and previous == signal.SIG_DFL:
        signal.raise_signal(signal.SIGINT)


def _grid_shape(grid: str) -> tuple[int, int]:
    """"2x5" -> (2, 5): rows and columns."""
    try:
        rows, cols = (int(v) for v in grid.lower().split("x"))
    except ValueError:
        raise GankitError(f"--grid '{grid}': expected ROWSxCOLS, e.g. 2x5") from None
    if rows < 1 or cols < 1:
        raise GankitError(f"--grid '{grid}': rows and columns must be >= 1")
    return rows, cols


def _write_images(images: torch.Tensor, out: Path, fmt: str, grid: str | None, strip: bool) -> None:
    """Images in data units (0..255, the data's channels) to a PNG grid, a folder of PNGs or an NPZ.

    The NPZ holds `images`, uint8 (N, C, H, W) with the data's channels, which `--data file.npz`
    reads back; PNGs show 1 or 3 channels (RGBA as colour over black)."""
    from gankit.train.hooks_image import grid_columns, to_display
    from gankit.viz.grid import save_image_grid

    if fmt in ("png", "grid"):
        cols = len(images) if strip else grid_columns(len(images))
        if grid:
            rows, cols = _grid_shape(grid)
            if rows * cols < len(images):
                raise GankitError(f"--grid {grid} holds {rows * cols} images, fewer than the {len(images)} asked for")
        save_image_grid(to_display(images), out, nrow=cols)
    elif fmt == "png-dir":
        _write_png_dir(to_display(images), out)
    elif fmt == "npz":
        from gankit.utils.io import atomic_path

        pixels = images.clamp(0, 255).round().to(torch.uint8).numpy()  # (N, C, H, W)
        with atomic_path(out) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, images=pixels)
    else:
        raise GankitError(f"output format '{fmt}' does not fit images; expected png, grid, png-dir or npz")

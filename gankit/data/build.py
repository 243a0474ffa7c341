"""Config -> DataSource: decide what `data.name` / `data.path` point at and load it."""
from __future__ import annotations

from pathlib import Path

import torch

from gankit.config import DataConfig
from gankit.data.numpy_files import check_numpy_file
from gankit.data.source import DataInfo, DataSource, SamplerSource, TensorSource
from gankit.errors import GankitError

IMAGE_NAMES = ("mnist", "fashion-mnist", "digits")
TABLE_SUFFIXES = (".csv", ".tsv", ".txt")


def _vector_normalisation(x: torch.Tensor, how: str) -> tuple[list[float], list[float]]:
    """(shift, scale) with normalised = (x - shift) / scale, per column."""
    if how == "none":
        return [0.0] * x.shape[1], [1.0] * x.shape[1]
    if how == "standard":
        shift, scale = x.mean(0), x.std(0)
    else:  # minmax -> [-1, 1]
        lo, hi = x.min(0).values, x.max(0).values
        shift, scale = (hi + lo) / 2, (hi - lo) / 2
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))  # constant columns stay as they are
    return shift.tolist(), scale.tolist()


def _sampler_source(cfg: DataConfig) -> DataSource:
    from gankit.data.toy import make_sampler

    sampler = make_sampler(cfg.name, **cfg.params)
    with torch.random.fork_rng(devices=[]):  # statistics from a fixed draw, training RNG untouched
        torch.manual_seed(0)
        probe = sampler.sample(10_000)
    shift, scale = _vector_normalisation(probe, cfg.normalize)
    modes = sampler.modes.tolist() if sampler.modes is not None else None
    info = DataInfo(name=cfg.name, kind="vector", shape=[sampler.dim], shift=shift, scale=scale,
                    modes=modes, mode_std=sampler.mode_std, extra={"sampler": sampler.describe()})
    return SamplerSource(sampler, info)


def _table_source(cfg: DataConfig, path: Path) -> DataSource:
    from gankit.data.tabular import load_table

    x = load_table(path)  # (N, D) float32
    if cfg.limit:
        x = x[: cfg.limit]
    shift, scale = _vector_normalisation(x, cfg.normalize)
    info = DataInfo(name=path.stem, kind="vector", shape=[x.shape[1]], shift=shift, scale=scale,
                    extra={"path": str(path), "n": len(x)})
    return TensorSource(x, None, info)


def _image_source(cfg: DataConfig, spec: str, pixel_range: str) -> DataSource:
    from gankit.data.images import load_images

    loaded = load_images(spec, root=cfg.root, image_size=cfg.image_size, channels=cfg.channels,
                         limit=cfg.limit, download=cfg.download)
    images = loaded.images  # (N, C, H, W) uint8
    channels = images.shape[1]
    # The generator's output activation fixes the pixel range: [-1, 1] for tanh, [0, 1] otherwise.
    shift, scale = (127.5, 127.5) if pixel_range == "tanh" else (0.0, 255.0)
    info = DataInfo(name=Path(spec).stem if cfg.path else spec, kind="image", shape=list(images.shape[1:]),
                    shift=[shift] * channels, scale=[scale] * channels,
                    num_classes=(int(loaded.labels.max()) + 1) if loaded.labels is not None else None,
                    class_names=loaded.class_names, extra={"source": loaded.source, "n": len(images)})
    return TensorSource(images, loaded.labels, info)


def looks_like_path(spec: str) -> bool:
    """A command line's --data: an existing file or folder, or text with a '/' or '.' in it (a path that
    may be missing, which is then reported as not found), is a path; anything else a dataset name."""
    return Path(spec).expanduser().exists() or "/" in spec or "." in spec


def build_data(cfg: DataConfig, g_out_activation: str = "none") -> DataSource:
    """Build the training data described by `cfg` (on the CPU; the trainer moves it)."""
    from gankit.data.translation import build_translation, is_translation

    if is_translation(cfg):  # image-to-image: {"real": B, "source": A} (gankit/data/translation.py)
        return build_translation(cfg, g_out_activation)
    if cfg.path:
        path = Path(cfg.path).expanduser()
        if not path.exists():
            raise GankitError(f"data.path '{cfg.path}' not found; expected a CSV/NPY table, an image folder, "
                              "an IDX directory or an NPZ/NPY image array")
        if path.suffix.lower() in TABLE_SUFFIXES:
            return _table_source(cfg, path)
        if path.suffix.lower() == ".npy" and check_numpy_file(path) == "npy":  # (an .npz inside: images)
            import numpy as np

            try:
                ndim = np.load(path, mmap_mode="r", allow_pickle=False).ndim
            except (ValueError, OSError, EOFError) as err:  # not a .npy, or one holding pickled objects
                raise GankitError(f"data file {path} is not a readable numeric .npy array ({err})") from None
            if ndim <= 2:
                return _table_source(cfg, path)
        return _image_source(cfg, str(path), g_out_activation)
    if cfg.name in IMAGE_NAMES:
        return _image_source(cfg, cfg.name, g_out_activation)
    from gankit.data.toy import SAMPLERS

    if cfg.name in SAMPLERS:
        return _sampler_source(cfg)
    from gankit.data.translation import TRANSLATION_NAMES

    known = sorted(SAMPLERS) + list(IMAGE_NAMES) + list(TRANSLATION_NAMES)
    raise GankitError(f"config key 'data.name': unknown dataset '{cfg.name}'; expected one of: "
                      f"{', '.join(known)} (or set data.path to a file or folder)")

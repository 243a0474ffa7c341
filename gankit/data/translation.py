"""Image-to-image data: a target domain B (the "real" images) and a source domain A, paired or not.

Contract (docs/design.md, "Image-to-image translation"): batches {"real": B, "source": A}, both
normalised as other gankit images; `info` describes B and `info.extra["source"]` = {"shape", "shift",
"scale", "paired", "bank"} describes A. Paired data: row i of A is the partner of row i of B (pix2pix);
unpaired: A and B are drawn independently (cyclegan). A bank of `data.bank` held-out source images
(their targets too when paired) goes to the recipe (`TranslationSource.bank`), which keeps it with
its weights so that sampling and evaluation need no data.

Sources, all offline:
- fashion-edges2items (paired): Fashion-MNIST items B and their edge maps A, the edges2shoes
  analogue of Isola et al. 2017 (sec. 4; they took HED edges, we a thresholded Sobel gradient, see
  `edge_maps`); bank: the test split.
- fashion-unpaired (unpaired): two Fashion-MNIST classes, data.params {a: 7, b: 9} = sneakers -> ankle
  boots by default (the "object transfiguration" setting of Zhu et al. 2017, sec. 5.2); bank: test split.
- data.path + data.translation: paired -> a folder of "A|B" images side by side (the pix2pix datasets'
  layout; train/ and val/ or test/ sub-folders when present); unpaired -> trainA/ and trainB/ (testA/,
  testB/ for the bank when present; the CycleGAN datasets' layout). data.direction BtoA swaps A and B.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gankit.config import DataConfig
from gankit.data.source import DataInfo, DataSource
from gankit.errors import GankitError

NAMED_PAIRING = {"fashion-edges2items": "paired", "fashion-unpaired": "unpaired"}
TRANSLATION_NAMES = tuple(NAMED_PAIRING)
KINDS = ("none", "paired", "unpaired")
EDGE_THRESHOLD = 1.0  # Sobel gradient magnitude (pixels in [0, 1]) above which a pixel is an edge; a 0 -> 1 step gives 4
FASHION_CLASSES = 10
EDGE_CHUNK = 8192  # images per edge-map pass


class TranslationSource(DataSource):
    """Target images B (`data`, what `batch` and the image metrics see) and source images A, uint8 in memory."""

    def __init__(self, target: torch.Tensor, source: torch.Tensor, info: DataInfo, paired: bool,
                 bank: tuple[torch.Tensor, torch.Tensor | None]):
        assert target.dtype == source.dtype == torch.uint8 and target.dim() == source.dim() == 4
        assert not paired or len(target) == len(source), (target.shape, source.shape)
        self.data, self.source, self.info, self.paired, self.bank = target, source, info, paired, bank
        src = info.extra["source"]
        self._b = (torch.tensor(info.shift).view(1, -1, 1, 1), torch.tensor(info.scale).view(1, -1, 1, 1))
        self._a = (torch.tensor(src["shift"]).view(1, -1, 1, 1), torch.tensor(src["scale"]).view(1, -1, 1, 1))

    def to(self, device):
        self.device = torch.device(device)
        self.data, self.source = self.data.to(device), self.source.to(device)
        self._b = tuple(t.to(device) for t in self._b)
        self._a = tuple(t.to(device) for t in self._a)
        return self

    def batch(self, n):
        """n target images (hooks and metrics compare these with G's output), no labels."""
        idx = torch.randint(len(self.data), (n,), device=self.device)
        return (self.data[idx].float() - self._b[0]) / self._b[1], None

    def pairs(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(A, B), each (n, C, H, W) normalised: the same rows when paired, independent draws when not."""
        idx_b = torch.randint(len(self.data), (n,), device=self.device)
        idx_a = idx_b if self.paired else torch.randint(len(self.source), (n,), device=self.device)
        a = (self.source[idx_a].float() - self._a[0]) / self._a[1]
        b = (self.data[idx_b].float() - self._b[0]) / self._b[1]
        return a, b

    def __len__(self):
        return len(self.data)


def is_translation(cfg: DataConfig) -> bool:
    if cfg.translation not in KINDS:
        raise GankitError(f"config key 'data.translation' is {cfg.translation!r}; expected one of: {', '.join(KINDS)}")
    return cfg.translation != "none" or (cfg.path is None and cfg.name in TRANSLATION_NAMES)


def build_translation(cfg: DataConfig, g_out_activation: str) -> TranslationSource:
    if cfg.direction not in ("AtoB", "BtoA"):
        raise GankitError(f"config key 'data.direction' is {cfg.direction!r}; expected AtoB or BtoA")
    if cfg.bank < 1:  # sampling, the hooks and evaluation translate the bank
        raise GankitError(f"config key 'data.bank' must be >= 1 (held-out source images kept with the run), "
                          f"got {cfg.bank}")
    if cfg.path is None and cfg.translation not in ("none", NAMED_PAIRING.get(cfg.name, cfg.translation)):
        raise GankitError(f"config key 'data.translation' is {cfg.translation!r}, but '{cfg.name}' is "
                          f"{NAMED_PAIRING[cfg.name]} data; leave it at none for a named dataset")
    if cfg.path is not None:
        root = Path(cfg.path).expanduser()
        if not root.is_dir():
            raise GankitError(f"data.path '{cfg.path}' is not a folder; expected a folder of A|B images "
                              "(data.translation: paired) or one with trainA/ and trainB/ (unpaired)")
        loader = _pair_folder if cfg.translation == "paired" else _unpaired_folders
        a, b, bank_a, bank_b, name = loader(cfg, root)
    elif cfg.name == "fashion-edges2items":
        a, b, bank_a, bank_b, name = _fashion_edges(cfg)
    elif cfg.name == "fashion-unpaired":
        a, b, bank_a, bank_b, name = _fashion_unpaired(cfg)
    else:
        raise GankitError(f"config key 'data.name': '{cfg.name}' is not translation data; expected one of: "
                          f"{', '.join(TRANSLATION_NAMES)} (or data.path with data.translation)")
    paired = cfg.translation == "paired" if cfg.path is not None else NAMED_PAIRING[cfg.name] == "paired"
    if cfg.direction == "BtoA":
        a, b, bank_a, bank_b = b, a, bank_b, bank_a
    if cfg.limit:  # the first N training examples of each domain (pairs stay pairs)
        a, b = a[: cfg.limit], b[: cfg.limit]
    if a.shape[2:] != b.shape[2:]:
        raise GankitError(f"data '{name}': source images A are {list(a.shape[1:])} and targets B "
                          f"{list(b.shape[1:])}; expected the same height and width (set data.image_size)")
    bank_a = bank_a[: cfg.bank].contiguous()
    bank_b = bank_b[: cfg.bank].contiguous() if paired else None
    shift, scale = (127.5, 127.5) if g_out_activation == "tanh" else (0.0, 255.0)  # as images.py's sources
    origin = f"{cfg.path or cfg.name} ({'paired' if paired else 'unpaired'} {cfg.direction}, targets B: {len(b)})"
    src = {"shape": list(a.shape[1:]), "shift": [shift] * a.shape[1], "scale": [scale] * a.shape[1],
           "paired": paired, "bank": len(bank_a)}
    info = DataInfo(name=name, kind="image", shape=list(b.shape[1:]), shift=[shift] * b.shape[1],
                    scale=[scale] * b.shape[1], extra={"source": src, "n": len(b), "n_source": len(a), "origin": origin})
    return TranslationSource(b.contiguous(), a.contiguous(), info, paired, (bank_a, bank_b))


# ---------------------------------------------------------------------------------------- Fashion-MNIST
def edge_maps(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 1, H, W) -> uint8 edge maps, black lines on white like edges2shoes (Isola et al. 2017):
    the Sobel gradient magnitude |∇x| of the image in [0, 1], an edge where |∇x| > EDGE_THRESHOLD
    (a hard 0 -> 1 step gives 4, so soft shading inside an item is no edge). Deterministic."""
    assert images.dim() == 4 and images.shape[1] == 1, images.shape
    # The 3x3 Sobel sums written as shifted slices: a 1 -> 2 channel conv2d over 60,000 images took
    # 5 s on 2 cores (oneDNN on few channels), these take 0.3 s. Chunks bound the float copies.
    parts = []
    for chunk in images.split(EDGE_CHUNK):
        p = F.pad(chunk.float() / 255.0, (1, 1, 1, 1), mode="replicate")  # (n, 1, H + 2, W + 2)
        rows = p[..., :-2, :] + 2 * p[..., 1:-1, :] + p[..., 2:, :]  # vertical smoothing (1, 2, 1)
        cols = p[..., :, :-2] + 2 * p[..., :, 1:-1] + p[..., :, 2:]  # horizontal smoothing
        gx = rows[..., 2:] - rows[..., :-2]  # d/dx: (1, 2, 1)^T (-1, 0, 1)
        gy = cols[..., 2:, :] - cols[..., :-2, :]  # d/dy
        edges = (gx * gx + gy * gy) > EDGE_THRESHOLD ** 2  # |grad| > threshold, without the square root
        parts.append(torch.where(edges, 0, 255).to(torch.uint8))
    return torch.cat(parts)


def _fashion(cfg: DataConfig, split: str, limit: int | None = None):
    from gankit.data.images import load_images

    if cfg.channels not in (None, 1):
        raise GankitError(f"config key 'data.channels': Fashion-MNIST translation data is greyscale; got {cfg.channels}")
    return load_images("fashion-mnist", root=cfg.root, image_size=cfg.image_size, split=split, limit=limit,
                       download=cfg.download)


def _fashion_edges(cfg: DataConfig):
    train, test = _fashion(cfg, "train", cfg.limit).images, _fashion(cfg, "test", max(1, cfg.bank)).images
    return edge_maps(train), train, edge_maps(test), test, "fashion-edges2items"


def _fashion_unpaired(cfg: DataConfig):
    unknown = sorted(set(cfg.params) - {"a", "b"})
    classes = {"a": 7, "b": 9, **cfg.params}  # 7 sneaker, 9 ankle boot
    for key in ("a", "b"):
        if unknown or isinstance(classes[key], bool) or classes[key] not in range(FASHION_CLASSES):
            raise GankitError(f"config key 'data.params' for fashion-unpaired: expected {{a: K, b: K}} with classes "
                              f"K in 0..9, got {dict(cfg.params)}")
    if classes["a"] == classes["b"]:
        raise GankitError(f"config key 'data.params': fashion-unpaired needs two different classes, got {classes}")
    train, test = _fashion(cfg, "train"), _fashion(cfg, "test")

    def of(loaded, k):
        return loaded.images[loaded.labels == k]

    a, b = classes["a"], classes["b"]
    return of(train, a), of(train, b), of(test, a), of(test, b), f"fashion-unpaired-{a}to{b}"


# ---------------------------------------------------------------------------------------- folders
def _image_files(folder: Path) -> list[Path]:
    from gankit.data.image_folder import IMAGE_EXTENSIONS

    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())


def _split_pair(file: Path, channels: int, size: int | None) -> tuple[np.ndarray, np.ndarray]:
    """One "A|B" image -> (A, B) uint8 (H, W, C), each half resized to size x size when size is set."""
    from PIL import Image

    from gankit.data.image_folder import DECODE_ERRORS, RESAMPLE, _to_channels

    try:
        with Image.open(file) as img:
            img = _to_channels(img, channels)
            if img.width % 2:
                raise GankitError(f"{file}: width {img.width} is odd; expected A|B pairs side by side "
                                  "(width = 2 x the width of one image)")
            half = img.width // 2
            parts = [img.crop((0, 0, half, img.height)), img.crop((half, 0, img.width, img.height))]
            if size is not None:
                parts = [p.resize((size, size), RESAMPLE) for p in parts]
            arrays = [np.asarray(p) for p in parts]
    except DECODE_ERRORS as err:
        raise GankitError(f"{file}: not a readable image ({type(err).__name__}: {err})") from None
    return tuple(x[:, :, None] if x.ndim == 2 else x for x in arrays)


def _pairs_in(folder: Path, cfg: DataConfig, leave_out: Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    files = [f for f in _image_files(folder) if leave_out is None or leave_out not in f.parents]
    if not files:
        raise GankitError(f"{folder}: no image files found; expected A|B images side by side")
    halves = [_split_pair(f, cfg.channels or 3, cfg.image_size) for f in files]
    shapes = {a.shape for a, _ in halves}
    if len(shapes) > 1:
        raise GankitError(f"{folder}: images of different sizes {sorted(shapes)[:3]}; expected one size "
                          "(or set data.image_size)")
    to = lambda xs: torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).contiguous()  # noqa: E731  (N, C, H, W)
    return to([a for a, _ in halves]), to([b for _, b in halves])


def _pair_folder(cfg: DataConfig, root: Path):
    train_dir = root / "train" if (root / "train").is_dir() else root
    held = next((root / s for s in ("val", "test") if (root / s).is_dir()), None)
    # Pairs directly in the root (no train/): the held-out folder inside it is not training data.
    a, b = _pairs_in(train_dir, cfg, leave_out=held if train_dir == root else None)
    bank_a, bank_b = _pairs_in(held, cfg) if held is not None else (a, b)  # no held-out folder: the first training pairs
    return a, b, bank_a, bank_b, root.name


def _unpaired_folders(cfg: DataConfig, root: Path):
    from gankit.data.images import load_images

    missing = [d for d in ("trainA", "trainB") if not (root / d).is_dir()]
    if missing:
        raise GankitError(f"{root}: no {' or '.join(missing)} folder; expected trainA/ and trainB/ "
                          "(the CycleGAN datasets' layout) for data.translation: unpaired")
    if cfg.image_size is None:
        raise GankitError(f"{root}: unpaired image folders need data.image_size (e.g. 32)")

    def load(sub: str) -> torch.Tensor:
        return load_images(str(root / sub), image_size=cfg.image_size, channels=cfg.channels or 3).images

    a, b = load("trainA"), load("trainB")
    bank_a = load("testA") if (root / "testA").is_dir() else a
    bank_b = load("testB") if (root / "testB").is_dir() else b
    return a, b, bank_a, bank_b, root.name

"""`classifier:<dataset>`: a small CNN that gankit trains on a labelled image dataset, used as the
feature network of FID / KID / precision-recall / density-coverage and, through its softmax, of the
Inception Score, for data the ImageNet Inception network was never meant for (28x28 greyscale).

Network (input: the training images' shape, pixels / 255 in [0, 1]):
    3 x [conv 3x3 (32, 64, 128 channels), BatchNorm, ReLU, max-pool 2]   # (N, 128, H/8, W/8)
    flatten, linear -> 128, ReLU                                         # (N, 128): the FEATURES
    dropout 0.3, linear -> K classes                                     # logits; softmax -> IS
~240k parameters (0.97 MB in float32) for 28x28 inputs. The features are the penultimate layer, as
FID uses Inception's last pooling layer (Heusel et al. 2017). Trained with Adam (lr 2e-3, cosine
decay to 0) and cross-entropy, 3 epochs: on Fashion-MNIST 0.919 test accuracy (two seeds, on a
GPU), ~40 s an epoch on 2 idle CPU cores. Half the widths (16, 32, 64) reach 0.911-0.914; 5 epochs
at lr 1e-3, 0.924: the recipe trades a point of accuracy for half the training time.

A weights file is self-describing: safetensors holding the state dict, with the input shape,
widths and class names in its metadata, so `classifier:<path>` loads any trained one. Beside it,
<name>.json records its SHA-256, test accuracy, the command that made it and the date.
"""
from __future__ import annotations

import json
import math
import time
from datetime import datetime, timezone
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn

from gankit.errors import GankitError
from gankit.features.base import FeatureExtractor, file_sha256
from gankit.utils.io import atomic_path, check_writable, write_json
from gankit.utils.safetensors_bytes import write_safetensors

FORMAT = "gankit-classifier-v1"
WIDTHS = (32, 64, 128)
FEATURE_DIM = 128
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "weights"  # gankit/weights/


class ImageClassifier(nn.Module):
    def __init__(self, input_shape: tuple[int, int, int], num_classes: int,
                 widths: tuple[int, ...] = WIDTHS, feature_dim: int = FEATURE_DIM):
        super().__init__()
        channels, height, width = input_shape
        if min(height, width) < 2 ** len(widths):
            raise GankitError(f"classifier: images of {height}x{width} are too small; need at least "
                              f"{2 ** len(widths)}x{2 ** len(widths)} for {len(widths)} pooling stages")
        layers: list[nn.Module] = []
        for out in widths:
            layers += [nn.Conv2d(channels, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(),
                       nn.MaxPool2d(2)]
            channels, height, width = out, height // 2, width // 2
        self.body = nn.Sequential(*layers)  # (N, widths[-1], H/8, W/8)
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(channels * height * width, feature_dim), nn.ReLU())
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(self.body(x))  # (N, feature_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features(x)))  # (N, K) logits


# ---------------------------------------------------------------------------------------- files
def save_classifier(model: ImageClassifier, path: str | Path, input_shape, class_names: list[str],
                    dataset: str) -> None:
    meta = {"format": FORMAT, "dataset": dataset, "input_shape": json.dumps(list(input_shape)),
            "widths": json.dumps([m.out_channels for m in model.body if isinstance(m, nn.Conv2d)]),
            "feature_dim": str(model.head.in_features), "class_names": json.dumps(class_names)}
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        write_safetensors(tmp, tensors, meta)


def load_classifier(path: str | Path) -> tuple[ImageClassifier, dict]:
    """(model in eval mode, metadata) from a file written by `save_classifier`; never unpickles."""
    path = Path(path).expanduser()
    try:
        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
        tensors = load_file(str(path))
    except FileNotFoundError:
        raise GankitError(f"classifier weights '{path}' not found") from None
    except Exception as exc:  # safetensors has its own error types for foreign files
        raise GankitError(f"'{path}' is not a safetensors file ({type(exc).__name__}: {exc})") from None
    if meta.get("format") != FORMAT:
        raise GankitError(f"'{path}' is not a gankit classifier (metadata format {meta.get('format')!r}, "
                          f"expected {FORMAT!r}); make one with `gankit features train`")
    # A damaged or hand-edited header, or tensors of another network, raised KeyError / JSONDecodeError /
    # load_state_dict's RuntimeError with a traceback: one line naming the file instead.
    try:
        meta = {**meta, "input_shape": tuple(json.loads(meta["input_shape"])),
                "widths": tuple(json.loads(meta["widths"])), "feature_dim": int(meta["feature_dim"]),
                "class_names": json.loads(meta["class_names"])}
        model = ImageClassifier(meta["input_shape"], len(meta["class_names"]), meta["widths"], meta["feature_dim"])
        model.load_state_dict(tensors)
    except GankitError:
        raise
    except Exception as exc:
        detail = str(exc).strip().splitlines()[-1].strip() if str(exc).strip() else repr(exc)
        raise GankitError(f"'{path}' is a damaged gankit classifier: its metadata and tensors do not describe "
                          f"one network ({type(exc).__name__}: {detail}); expected a file written by "
                          "`gankit features train`") from None
    return model.eval(), meta


def shipped_weights(dataset: str) -> Path:
    """gankit/weights/<dataset>-classifier.safetensors, checked against the SHA-256 in its .json."""
    path = SHIPPED_DIR / f"{dataset}-classifier.safetensors"
    if not path.is_file():
        suffix = "-classifier.safetensors"
        shipped = sorted(p.name.removesuffix(suffix) for p in SHIPPED_DIR.glob(f"*{suffix}"))
        raise GankitError(f"no classifier for '{dataset}' ships with gankit (shipped: {', '.join(shipped) or 'none'}); "
                          f"train one with `gankit features train --data {dataset} -o {dataset}{suffix}` "
                          f"and use --features classifier:{dataset}-classifier.safetensors")
    pinned = json.loads(path.with_suffix(".json").read_text())["sha256"]
    if file_sha256(path) != pinned:
        raise GankitError(f"{path} does not match its pinned SHA-256 {pinned} (damaged install); reinstall gankit")
    return path


class ClassifierFeatures(FeatureExtractor):
    def __init__(self, target: str, device: str | torch.device = "cpu"):
        looks_like_path = target.endswith(".safetensors") or "/" in target or Path(target).expanduser().is_file()
        path = Path(target).expanduser() if looks_like_path else shipped_weights(target)
        self.model, meta = load_classifier(path)
        self.device = torch.device(device)
        self.model.to(self.device)
        self.name = f"classifier:{target}"
        self.weights_sha256 = file_sha256(path)
        self.input_shape = meta["input_shape"]
        self.feature_dim = meta["feature_dim"]
        self.num_classes = len(meta["class_names"])

    def _forward(self, x):
        feats = self.model.features(x)  # (B, 128)
        return feats, self.model.head(feats)  # eval mode: dropout is the identity


# ---------------------------------------------------------------------------------------- training
@torch.no_grad()
def accuracy(model: ImageClassifier, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> float:
    """Top-1 accuracy of `model` (eval mode) on uint8 images (N, C, H, W)."""
    model.eval()
    device = next(model.parameters()).device
    hits = sum(int((model(images[i:i + batch_size].to(device).float() / 255).argmax(1).cpu()
                    == labels[i:i + batch_size]).sum()) for i in range(0, len(images), batch_size))
    return hits / len(images)


def train_classifier(spec: str, out: str | Path, *, epochs: int = 3, batch_size: int = 128, lr: float = 2e-3,
                     seed: int = 0, root: str | None = None, command: str = "", device: str = "cpu",
                     widths: tuple[int, ...] = WIDTHS, log=print, progress: bool = False,
                     image_size: int | None = None) -> dict:
    """Train on the train split of `spec`, measure test accuracy, write `out` and `out`.json; returns the record.
    progress: a bar on a terminal's stderr (`gankit features train`: ~40 s an epoch on 2 CPU cores).
    image_size: resize and centre-crop to this size (needed for a folder of image files)."""
    from gankit.features.splits import load_split
    from gankit.train.progress import Progress

    # The record goes to out.with_suffix(".json"): any other suffix could make it overwrite the weights (-o c.json)
    if Path(out).suffix != ".safetensors":
        raise GankitError(f"-o {out}: expected a .safetensors file (the record is written beside it as .json)")
    if epochs < 1 or batch_size < 1 or not lr > 0:
        raise GankitError(f"classifier training needs epochs >= 1, batch size >= 1 and lr > 0; got {epochs}, "
                          f"{batch_size}, {lr}")
    for path in (Path(out), Path(out).with_suffix(".json")):  # before minutes of training, not after
        check_writable(path)
    train, test = (load_split(spec, split, root=root, image_size=image_size) for split in ("train", "test"))
    if train.labels is None or test.labels is None:
        raise GankitError(f"data '{spec}' has no labels; a feature classifier needs labelled images")
    input_shape = tuple(train.images.shape[1:])  # (C, H, W)
    num_classes = int(max(train.labels.max(), test.labels.max())) + 1
    class_names = train.class_names or [str(k) for k in range(num_classes)]
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    model = ImageClassifier(input_shape, num_classes, widths).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    per_epoch = math.ceil(len(train.images) / batch_size)
    total, step, started = epochs * per_epoch, 0, time.perf_counter()
    with Progress(total, enabled=progress, label="classifier") as bar:
        for epoch in range(epochs):
            model.train()
            for idx in torch.randperm(len(train.images), generator=order).split(batch_size):
                for group in opt.param_groups:  # cosine decay to 0 at the last step (Loshchilov & Hutter 2017)
                    group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / total))
                x, y = train.images[idx].to(device).float() / 255, train.labels[idx].to(device)
                loss = nn.functional.cross_entropy(model(x), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                if progress and (step % 20 == 0 or step == total):  # .item() waits for the device: not every step
                    bar.update(step, {"loss": loss.item()})
            log(f"epoch {epoch + 1}/{epochs}: last batch loss {loss.item():.4f}, "
                f"test accuracy {accuracy(model, test.images, test.labels):.4f}")
    test_accuracy = accuracy(model, test.images, test.labels)
    save_classifier(model.cpu(), out, input_shape, class_names, dataset=spec)
    record = {"sha256": file_sha256(out), "test_accuracy": round(test_accuracy, 6), "n_test": len(test.images),
              "n_train": len(train.images), "dataset": spec, "test_split": test.source, "epochs": epochs,
              "batch_size": batch_size, "lr": lr, "seed": seed, "input_shape": list(input_shape),
              "widths": list(widths), "feature_dim": FEATURE_DIM, "pixel_range": "[0, 1] (pixels / 255)",
              "device": str(device), "threads": torch.get_num_threads(), "command": command,
              "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "torch": torch.__version__,
              "train_seconds": round(time.perf_counter() - started, 1)}
    write_json(Path(out).with_suffix(".json"), record)
    return record

"""`inception`: the Inception-v3 network of FID (Heusel et al. 2017), written out in plain torch.

FID as published uses TensorFlow's 2015-12-05 Inception-v3 graph (Szegedy et al. 2016). Its weights
are not shipped with gankit (95 MB, ImageNet licence); the usual PyTorch port is pytorch-fid's
`pt_inception-2015-12-05-6726825d.pth`. Put that file at DEFAULT_WEIGHTS, or point
`eval.inception_weights` / `--inception-weights` / GANKIT_INCEPTION_WEIGHTS at it (a .safetensors
file of the same state dict works too). The .pth is read with torch.load(weights_only=True), the
restricted unpickler that only rebuilds tensors: no code from the file runs.

The graph differs from torchvision's Inception-v3 in three places, all kept here: the average pools
inside blocks A, C and the first E block ignore padded zeros (count_include_pad=False), the second
E block pools with max instead of average, and the classifier has 1008 outputs. Features are the
2048-D global average pool ("pool_3"); the Inception Score uses the 1008-way softmax (as the
original IS code did). Preprocessing as pytorch-fid: grey -> RGB, bilinear resize to 299 x 299
(align_corners=False), pixels mapped to [-1, 1]. Tested here for its shapes and the weight-file
round trip only: the real weights cannot be fetched offline, so reference numbers are unchecked.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gankit.data.images import convert_channels
from gankit.errors import GankitError
from gankit.features.base import FeatureExtractor, file_sha256

WEIGHTS_NAME = "pt_inception-2015-12-05-6726825d.pth"
DEFAULT_WEIGHTS = Path.home() / ".cache" / "gankit" / WEIGHTS_NAME
INPUT_SIZE = 299
NUM_CLASSES = 1008  # ImageNet's 1000 + 8 unused outputs of the 2015 TF graph


class ConvBN(nn.Module):
    """conv (no bias) -> BatchNorm (eps 1e-3, TF's) -> ReLU. Keys `conv.*`, `bn.*` match the weights."""

    def __init__(self, cin: int, cout: int, kernel, stride: int = 1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def avg_pool_3x3(x):
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)  # TF "SAME" averaging


def row(cin, cout):  # 1 x 7 (or 1 x 3) conv keeping the size
    return ConvBN(cin, cout, (1, 7), padding=(0, 3))


def col(cin, cout):  # 7 x 1
    return ConvBN(cin, cout, (7, 1), padding=(3, 0))


class BlockA(nn.Module):  # 35 x 35: Mixed_5b/c/d -> 224 + pool_features channels
    def __init__(self, cin: int, pool_features: int):
        super().__init__()
        self.branch1x1 = ConvBN(cin, 64, 1)
        self.branch5x5_1, self.branch5x5_2 = ConvBN(cin, 48, 1), ConvBN(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = ConvBN(cin, 64, 1)
        self.branch3x3dbl_2, self.branch3x3dbl_3 = ConvBN(64, 96, 3, padding=1), ConvBN(96, 96, 3, padding=1)
        self.branch_pool = ConvBN(cin, pool_features, 1)

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
                          self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          self.branch_pool(avg_pool_3x3(x))], 1)


class BlockB(nn.Module):  # 35 -> 17: Mixed_6a, 288 -> 768 channels
    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3 = ConvBN(cin, 384, 3, stride=2)
        self.branch3x3dbl_1, self.branch3x3dbl_2 = ConvBN(cin, 64, 1), ConvBN(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBN(96, 96, 3, stride=2)

    def forward(self, x):
        return torch.cat([self.branch3x3(x), self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          F.max_pool2d(x, 3, stride=2)], 1)


class BlockC(nn.Module):  # 17 x 17, factorised 7 x 7: Mixed_6b..6e, 768 channels
    def __init__(self, cin: int, c7: int):
        super().__init__()
        self.branch1x1 = ConvBN(cin, 192, 1)
        self.branch7x7_1, self.branch7x7_2, self.branch7x7_3 = ConvBN(cin, c7, 1), row(c7, c7), col(c7, 192)
        self.branch7x7dbl_1, self.branch7x7dbl_2 = ConvBN(cin, c7, 1), col(c7, c7)
        self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5 = row(c7, c7), col(c7, c7), row(c7, 192)
        self.branch_pool = ConvBN(cin, 192, 1)

    def forward(self, x):
        double = x
        for k in range(1, 6):
            double = getattr(self, f"branch7x7dbl_{k}")(double)
        return torch.cat([self.branch1x1(x), self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x))), double,
                          self.branch_pool(avg_pool_3x3(x))], 1)


class BlockD(nn.Module):  # 17 -> 8: Mixed_7a, 768 -> 1280 channels
    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3_1, self.branch3x3_2 = ConvBN(cin, 192, 1), ConvBN(192, 320, 3, stride=2)
        self.branch7x7x3_1, self.branch7x7x3_2 = ConvBN(cin, 192, 1), row(192, 192)
        self.branch7x7x3_3, self.branch7x7x3_4 = col(192, 192), ConvBN(192, 192, 3, stride=2)

    def forward(self, x):
        seven = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), seven, F.max_pool2d(x, 3, stride=2)], 1)


class BlockE(nn.Module):  # 8 x 8, expanded 3 x 3: Mixed_7b (avg pool), Mixed_7c (max pool) -> 2048 channels
    def __init__(self, cin: int, pool: str):
        super().__init__()
        self.pool = pool
        self.branch1x1 = ConvBN(cin, 320, 1)
        self.branch3x3_1 = ConvBN(cin, 384, 1)
        self.branch3x3_2a = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1, self.branch3x3dbl_2 = ConvBN(cin, 448, 1), ConvBN(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = ConvBN(cin, 192, 1)

    def forward(self, x):
        a = self.branch3x3_1(x)
        b = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pooled = avg_pool_3x3(x) if self.pool == "avg" else F.max_pool2d(x, 3, stride=1, padding=1)
        return torch.cat([self.branch1x1(x), self.branch3x3_2a(a), self.branch3x3_2b(a),
                          self.branch3x3dbl_3a(b), self.branch3x3dbl_3b(b), self.branch_pool(pooled)], 1)


class FIDInceptionV3(nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = ConvBN(3, 32, 3, stride=2)      # (N, 32, 149, 149)
        self.Conv2d_2a_3x3 = ConvBN(32, 32, 3)               # (N, 32, 147, 147)
        self.Conv2d_2b_3x3 = ConvBN(32, 64, 3, padding=1)    # (N, 64, 147, 147) -> max pool (N, 64, 73, 73)
        self.Conv2d_3b_1x1 = ConvBN(64, 80, 1)               # (N, 80, 73, 73)
        self.Conv2d_4a_3x3 = ConvBN(80, 192, 3)              # (N, 192, 71, 71) -> max pool (N, 192, 35, 35)
        self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = BlockA(192, 32), BlockA(256, 64), BlockA(288, 64)  # 288 x 35 x 35
        self.Mixed_6a = BlockB(288)                          # (N, 768, 17, 17)
        self.Mixed_6b, self.Mixed_6c = BlockC(768, 128), BlockC(768, 160)
        self.Mixed_6d, self.Mixed_6e = BlockC(768, 160), BlockC(768, 192)
        self.Mixed_7a = BlockD(768)                          # (N, 1280, 8, 8)
        self.Mixed_7b, self.Mixed_7c = BlockE(1280, "avg"), BlockE(2048, "max")  # (N, 2048, 8, 8)
        self.fc = nn.Linear(2048, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (N, 3, 299, 299) in [-1, 1] -> pool_3 features (N, 2048), logits (N, 1008)."""
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(F.max_pool2d(x, 3, stride=2)))
        x = F.max_pool2d(x, 3, stride=2)
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, f"Mixed_{name}")(x)
        pool3 = x.mean(dim=(2, 3))  # (N, 2048)
        return pool3, self.fc(pool3)


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        return torch.load(path, map_location="cpu", weights_only=True)  # tensors only, never code
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise GankitError(f"cannot read Inception weights {path} ({type(exc).__name__}: {first_line})") from None


class InceptionFeatures(FeatureExtractor):
    input_shape = (3, INPUT_SIZE, INPUT_SIZE)
    feature_dim = 2048
    num_classes = NUM_CLASSES
    pixel_range = "[-1, 1] (2 * pixels / 255 - 1) after a bilinear resize to 299 x 299"

    def __init__(self, weights: str | None = None, device: str | torch.device = "cpu"):
        path = Path(weights).expanduser() if weights else DEFAULT_WEIGHTS
        if not path.is_file():
            raise GankitError(f"features 'inception' needs the FID Inception-v3 weights {WEIGHTS_NAME} (from "
                              f"github.com/mseitzer/pytorch-fid releases) at {path}; put the file there or set "
                              "eval.inception_weights / --inception-weights / GANKIT_INCEPTION_WEIGHTS to its path")
        state = {k: v for k, v in read_state_dict(path).items() if not k.startswith("AuxLogits.")}
        self.model = FIDInceptionV3()
        for key in self.model.state_dict():  # files saved before torch 0.4.1 lack this counter (unused in eval)
            if key.endswith("num_batches_tracked"):
                state.setdefault(key, torch.tensor(0))
        try:
            self.model.load_state_dict(state)
        except RuntimeError as exc:
            first_line = str(exc).strip().splitlines()[0]
            raise GankitError(f"{path} is not the FID Inception-v3 state dict ({first_line})") from None
        self.device = torch.device(device)
        self.model.eval().to(self.device)
        self.name, self.weights_sha256 = "inception", file_sha256(path)

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        x = convert_channels(images, 3).to(self.device, torch.float32) / 255.0  # (B, 3, H, W)
        return F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)

    def _forward(self, x):
        return self.model(2 * x - 1)

"""The convolutional networks of the Keras seed systems, layer for layer.

Seed 002 (kraken24/getting_started_with_gans, MNIST), model.arch `keras-dcgan-mnist`:
  G: z (N, 100) -> Dense 7*7*128, no bias (N, 6272) -> BN -> LeakyReLU(0.2) -> (N, 128, 7, 7)
     -> 2 x [ConvT 128, 4x4, s2, same, no bias -> BN -> LeakyReLU(0.2)] -> (N, 128, 28, 28)
     -> Conv 1, 7x7, same -> sigmoid -> (N, 1, 28, 28)      (output activation: model.g.out_activation)
Seed 003 ("How to generate anything", 100x100 RGB), model.arch `keras-dcgan-folder`:
  G: z (N, 100) -> Dense 13*13*40, N(0, 0.02) (N, 6760) -> BN -> LeakyReLU(0.3) -> (N, 40, 13, 13)
     -> ConvT 256 3x3 s1 (N, 256, 13, 13) -> ConvT 128 3x3 s2 (N, 128, 26, 26)
     -> ConvT 64 3x3 s2 (N, 64, 52, 52)   (each: same, -> BN -> LeakyReLU(0.3))
     -> ConvT channels 3x3 s2 -> tanh (N, 3, 104, 104) -> Cropping2D 2 -> (N, 3, 100, 100)
Both D: Conv 64 5x5 s2 same -> LeakyReLU -> Dropout -> Conv 128 5x5 s2 same -> LeakyReLU
  -> Dropout -> Flatten (the features) -> Dense 1 -> logit (N,)   (slope and dropout from model.d)

Keras details kept: glorot-uniform kernels and zero biases unless the seed says otherwise (init:
glorot), BatchNormalization momentum 0.99 / eps 1e-3 (torch momentum 0.01, set in the presets),
the Dense -> reshape order (Keras reshapes channels-last; the units are i.i.d. at init, so reshaping
channels-first is the same network up to a permutation of the Dense units).
"same" padding as TensorFlow computes it, which is NOT torch's symmetric padding when the total
padding is odd: for output o = ceil(i / s) the total is max((o - 1) s + k - i, 0), split
floor(total / 2) before and the rest after. A 5x5 stride-2 conv on 28 pixels pads 1 before and
2 after (torch's padding=2 would shift every window by one pixel); a 3x3 stride-2 ConvTranspose
keeps the first 2i of its (i - 1) 2 + 3 outputs (torch's padding=1, output_padding=1 keeps the last).
Output sizes follow the image: G starts at ceil(H / 4) (seed 002) or ceil(H / 8) (seed 003) pixels,
so the same networks also run on 8x8 digits in tests; channels come from the data.
"""
from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

from gankit.config import NetConfig
from gankit.models.dcgan import CentreCrop, image_shape
from gankit.models.fast_conv import conv2d_single_output, single_output_conv_applies
from gankit.models.layers import Dropout, activation, init_weights
from gankit.registry import ARCHITECTURES


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's "same" padding (before, after) of one side."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow "same" padding: output side = ceil(input side / stride).

    Symmetric padding goes to the convolution itself (no padded copy of the input, and no
    gradient of that copy to slice back); only an odd total pads explicitly. A single output
    channel at stride 1 (seed 002's last layer) runs as a GEMM + fold (gankit.models.fast_conv):
    oneDNN reaches ~7 GFLOP/s on that shape on a CPU, the GEMM ~10x more."""

    def forward(self, x: Tensor) -> Tensor:
        top, bottom = same_padding(x.shape[2], self.kernel_size[0], self.stride[0])
        left, right = same_padding(x.shape[3], self.kernel_size[1], self.stride[1])
        if (top, left) != (bottom, right):
            x, top, left = F.pad(x, (left, right, top, bottom)), 0, 0
        if single_output_conv_applies(self, x):
            return conv2d_single_output(x, self.weight, self.bias, (top, left))
        return F.conv2d(x, self.weight, self.bias, self.stride, (top, left), self.dilation, self.groups)


class SameConvTranspose2d(nn.ConvTranspose2d):
    """ConvTranspose2d with TensorFlow "same" padding: output side = input side * stride.

    The full transposed convolution has (i - 1) s + k outputs; TensorFlow keeps i s of them
    starting at floor((k - s) / 2), the "before" padding of the forward convolution it inverts.
    When k - s is even that crop is symmetric and is exactly torch's `padding=(k - s) / 2`
    (seed 002's 4x4 stride 2): the cropped rows are then never computed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # padding=0: the full output, cropped in forward
        assert all(k >= s for k, s in zip(self.kernel_size, self.stride)), "kernel smaller than stride"
        self.crop: tuple[int, int] | None = tuple((k - s) // 2 for k, s in zip(self.kernel_size, self.stride))
        if all((k - s) % 2 == 0 for k, s in zip(self.kernel_size, self.stride)):
            self.padding, self.crop = self.crop, None

    def forward(self, x: Tensor) -> Tensor:
        out = super().forward(x)  # (N, C, (h - 1) s + k - 2 p, ...)
        if self.crop is None:  # torch's padding already cropped it
            return out
        (h, w), (sh, sw), (top, left) = x.shape[2:], self.stride, self.crop
        return out[:, :, top:top + h * sh, left:left + w * sw]


def _keras(layer: nn.Module, init: str = "glorot") -> nn.Module:
    init_weights(layer, init)
    return layer


def _bn1d(n: int, cfg: NetConfig) -> nn.Module:
    return nn.BatchNorm1d(n, momentum=cfg.bn_momentum, eps=cfg.bn_eps)


def _bn2d(n: int, cfg: NetConfig) -> nn.Module:
    return nn.BatchNorm2d(n, momentum=cfg.bn_momentum, eps=cfg.bn_eps)


class KerasMnistGenerator(nn.Module):
    """Seed 002's generator."""

    def __init__(self, latent_dim: int, out_shape: tuple[int, int, int], cfg: NetConfig):
        super().__init__()
        channels, height, width = out_shape
        h0, w0 = math.ceil(height / 4), math.ceil(width / 4)  # 7 x 7 for 28 x 28
        act = lambda: nn.LeakyReLU(cfg.slope)  # noqa: E731
        self.net = nn.Sequential(
            _keras(nn.Linear(latent_dim, 128 * h0 * w0, bias=False), cfg.init),  # (N, 6272)
            _bn1d(128 * h0 * w0, cfg), act(),
            nn.Unflatten(1, (128, h0, w0)),                                     # (N, 128, 7, 7)
            _keras(SameConvTranspose2d(128, 128, 4, 2, bias=False), cfg.init),  # (N, 128, 14, 14)
            _bn2d(128, cfg), act(),
            _keras(SameConvTranspose2d(128, 128, 4, 2, bias=False), cfg.init),  # (N, 128, 28, 28)
            _bn2d(128, cfg), act(),
            _keras(SameConv2d(128, channels, 7), cfg.init),                     # (N, 1, 28, 28)
            activation(cfg.out_activation),                                     # sigmoid in the seed
        )
        if (h0 * 4, w0 * 4) != (height, width):
            self.net.append(CentreCrop(height, width))

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class KerasFolderGenerator(nn.Module):
    """Seed 003's generator (Keras LeakyReLU's default slope is 0.3)."""

    def __init__(self, latent_dim: int, out_shape: tuple[int, int, int], cfg: NetConfig):
        super().__init__()
        channels, height, width = out_shape
        h0, w0 = math.ceil(height / 8), math.ceil(width / 8)  # 13 x 13 for 100 x 100
        act = lambda: nn.LeakyReLU(cfg.slope)  # noqa: E731
        self.net = nn.Sequential(
            _keras(nn.Linear(latent_dim, 40 * h0 * w0), "normal"),  # RandomNormal(stddev=0.02), (N, 6760)
            _bn1d(40 * h0 * w0, cfg), act(),
            nn.Unflatten(1, (40, h0, w0)),                          # (N, 40, 13, 13)
            _keras(SameConvTranspose2d(40, 256, 3, 1), cfg.init),   # (N, 256, 13, 13)
            _bn2d(256, cfg), act(),
            _keras(SameConvTranspose2d(256, 128, 3, 2), cfg.init),  # (N, 128, 26, 26)
            _bn2d(128, cfg), act(),
            _keras(SameConvTranspose2d(128, 64, 3, 2), cfg.init),   # (N, 64, 52, 52)
            _bn2d(64, cfg), act(),
            _keras(SameConvTranspose2d(64, channels, 3, 2), cfg.init),  # (N, 3, 104, 104)
            activation(cfg.out_activation),                         # tanh in the seed
            CentreCrop(height, width),                              # Cropping2D(2): (N, 3, 100, 100)
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class KerasConvDiscriminator(nn.Module):
    """The two-convolution discriminator of seeds 002 and 003."""

    def __init__(self, in_shape: tuple[int, int, int], cfg: NetConfig):
        super().__init__()
        channels, height, width = in_shape
        layers: list[nn.Module] = []
        for c_in, c_out in ((channels, 64), (64, 128)):
            layers += [_keras(SameConv2d(c_in, c_out, 5, 2), cfg.init),  # side -> ceil(side / 2)
                       nn.LeakyReLU(cfg.slope), Dropout(cfg.dropout)]
            height, width = math.ceil(height / 2), math.ceil(width / 2)
        layers.append(nn.Flatten())  # (N, 128 * 7 * 7) for 28 x 28
        self.body = nn.Sequential(*layers)
        self.out = _keras(nn.Linear(128 * height * width, 1), cfg.init)

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.features(x)).squeeze(1)  # (N,) logits; Keras applies the sigmoid here


@ARCHITECTURES.register("keras-dcgan-mnist", "seed 002's Keras DCGAN for 28x28 images, layer for layer")
def build_keras_mnist(model_cfg, data_shape: tuple[int, ...], num_classes: int | None = None) -> dict:
    shape = image_shape(data_shape, "keras-dcgan-mnist")
    return {"G": KerasMnistGenerator(model_cfg.latent_dim, shape, model_cfg.g),
            "D": KerasConvDiscriminator(shape, model_cfg.d)}


@ARCHITECTURES.register("keras-dcgan-folder", "seed 003's Keras DCGAN for 100x100 images, layer for layer")
def build_keras_folder(model_cfg, data_shape: tuple[int, ...], num_classes: int | None = None) -> dict:
    shape = image_shape(data_shape, "keras-dcgan-folder")
    return {"G": KerasFolderGenerator(model_cfg.latent_dim, shape, model_cfg.g),
            "D": KerasConvDiscriminator(shape, model_cfg.d)}

"""Deep convolutional generator and discriminator (DCGAN, Radford et al. 2016), sized from the image.

G: z (N, latent) -> Linear -> (N, C0, h0, w0) -> [ConvT 4x4 s2 -> BN -> act] x (n - 1)
   -> ConvT 4x4 s2 -> out_act -> (N, channels, h0 * 2^n, w0 * 2^n) -> centre crop to (H, W)
D: x (N, channels, H, W) -> [Conv 4x4 s2 (-> BN, not on the first) -> act (-> dropout)] x n
   -> flatten (the features) -> Linear 1 -> logit (N,)

Sizes. A ConvTranspose2d(k=4, s=2, p=1) doubles a side: (s - 1) * 2 - 2 + 4 = 2 s; a
Conv2d(k=4, s=2, p=1) halves it, floor(s / 2). The number of doublings n is chosen so that G starts
at 4..8 pixels (Radford et al. start at 4x4) with as little cropping as possible: 28 -> 7x7 and
n = 2 (7 -> 14 -> 28), 32 -> 4, n = 3; 64 -> 4, n = 4; 100 -> 7, n = 4 (112, cropped to 100).
Widths. The highest-resolution hidden layer has `width` channels and every halving of the
resolution doubles them, capped at `max_width` (Radford et al.: 64 -> 128 -> 256 -> 512).
Knobs: `model.{g,d}.options` {width: 64, max_width: 8 * width}; NetConfig's batchnorm (G: BN on every
hidden layer; D: on all but the first, as in the paper), activation, slope, dropout (D),
spectral_norm, init (DCGAN: normal = N(0, 0.02)) and out_activation (G; tanh in the paper).
Channel counts always come from the data.
"""
from __future__ import annotations

import math

from torch import Tensor, nn

from gankit.config import NetConfig
from gankit.errors import GankitError
from gankit.models.layers import Dropout, activation, init_weights, maybe_spectral_norm
from gankit.registry import ARCHITECTURES

START_SIZES = range(4, 9)  # the smallest feature map G starts from (and D ends at), in pixels


def plan_upsampling(height: int, width: int) -> tuple[int, int, int]:
    """(h0, w0, n): G grows (h0, w0) by n doublings to at least (height, width).

    Among the n whose start ceil(side / 2^n) lies in 4..8, the one that crops least, then the
    largest n; images too small for any such n start at ceil(side / 2) with n = 1."""
    side = min(height, width)
    best = None
    for n in range(1, 12):
        start = math.ceil(side / 2 ** n)
        if start in START_SIZES:
            crop = start * 2 ** n - side
            if best is None or crop <= best[0]:
                best = (crop, n)
    n = best[1] if best else 1
    return math.ceil(height / 2 ** n), math.ceil(width / 2 ** n), n


def widths(cfg: NetConfig, levels: int) -> list[int]:
    """Channels from the highest resolution down: width, 2 width, 4 width, ... capped at max_width."""
    width = int(cfg.options.get("width", 64))
    cap = int(cfg.options.get("max_width", 8 * width))
    if width < 1 or cap < 1:
        raise GankitError(f"model options width and max_width must be >= 1, got {width} and {cap}")
    return [min(cap, width * 2 ** i) for i in range(levels)]


def _check_options(cfg: NetConfig, which: str) -> None:
    unknown = sorted(set(cfg.options) - {"width", "max_width"})
    if unknown:
        raise GankitError(f"config key 'model.{which}.options': unknown dcgan option(s) {', '.join(unknown)}; "
                          "expected width, max_width")


def _layer(layer: nn.Module, cfg: NetConfig) -> nn.Module:
    init_weights(layer, cfg.init)
    return maybe_spectral_norm(layer, cfg.spectral_norm)


class CentreCrop(nn.Module):
    """(N, C, h, w) -> (N, C, H, W), the centre; G makes a little more than asked for odd sizes."""

    def __init__(self, height: int, width: int):
        super().__init__()
        self.size = (height, width)

    def forward(self, x: Tensor) -> Tensor:
        top, left = (x.shape[2] - self.size[0]) // 2, (x.shape[3] - self.size[1]) // 2
        return x[:, :, top:top + self.size[0], left:left + self.size[1]]

    def extra_repr(self) -> str:
        return f"size={self.size}"


class DCGANGenerator(nn.Module):
    def __init__(self, latent_dim: int, out_shape: tuple[int, int, int], cfg: NetConfig):
        super().__init__()
        _check_options(cfg, "g")
        channels, height, width = out_shape
        h0, w0, n = plan_upsampling(height, width)
        hidden = widths(cfg, n)[::-1]  # lowest resolution first: e.g. [128, 64] for 28x28, width 64
        layers: list[nn.Module] = [
            _layer(nn.Linear(latent_dim, hidden[0] * h0 * w0), cfg),  # (N, C0 * h0 * w0)
            nn.Unflatten(1, (hidden[0], h0, w0)),                       # (N, C0, h0, w0)
        ]
        for i in range(n):
            if cfg.batchnorm:
                layers.append(nn.BatchNorm2d(hidden[i], momentum=cfg.bn_momentum, eps=cfg.bn_eps))
            layers.append(activation(cfg.activation, cfg.slope))
            out = hidden[i + 1] if i + 1 < n else channels
            layers.append(_layer(nn.ConvTranspose2d(hidden[i], out, 4, 2, 1), cfg))  # side x 2
        layers.append(activation(cfg.out_activation))
        if (h0 * 2 ** n, w0 * 2 ** n) != (height, width):
            layers.append(CentreCrop(height, width))
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class DCGANDiscriminator(nn.Module):
    def __init__(self, in_shape: tuple[int, int, int], cfg: NetConfig):
        super().__init__()
        _check_options(cfg, "d")
        channels, height, width = in_shape
        n = plan_upsampling(height, width)[2]  # as many halvings as G has doublings
        hidden = widths(cfg, n)
        layers: list[nn.Module] = []
        c_in = channels
        for i, c_out in enumerate(hidden):
            layers.append(_layer(nn.Conv2d(c_in, c_out, 4, 2, 1), cfg))  # side -> floor(side / 2)
            if cfg.batchnorm and i > 0:  # not on D's input layer (Radford et al. 2016, section 3)
                layers.append(nn.BatchNorm2d(c_out, momentum=cfg.bn_momentum, eps=cfg.bn_eps))
            layers.append(activation(cfg.activation, cfg.slope))
            if cfg.dropout > 0:
                layers.append(Dropout(cfg.dropout))
            c_in, height, width = c_out, height // 2, width // 2
        layers.append(nn.Flatten())  # (N, C * h * w)
        self.body = nn.Sequential(*layers)
        self.out = _layer(nn.Linear(c_in * height * width, 1), cfg)

    def features(self, x: Tensor) -> Tensor:
        """The flattened output of the last convolution block, (N, C * h * w)."""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.features(x)).squeeze(1)  # (N,) logits


def image_shape(data_shape: tuple[int, ...], arch: str) -> tuple[int, int, int]:
    if len(data_shape) != 3:
        raise GankitError(f"model.arch '{arch}' needs images shaped (channels, height, width), got data of "
                          f"shape {list(data_shape)}; use model.arch: mlp for vectors")
    return tuple(data_shape)  # type: ignore[return-value]


@ARCHITECTURES.register("dcgan", "DCGAN conv G and D sized from the image (Radford et al. 2016)")
def build_dcgan(model_cfg, data_shape: tuple[int, ...], num_classes: int | None = None) -> dict[str, nn.Module]:
    shape = image_shape(data_shape, "dcgan")
    return {
        "G": DCGANGenerator(model_cfg.latent_dim, shape, model_cfg.g),
        "D": DCGANDiscriminator(shape, model_cfg.d),
    }

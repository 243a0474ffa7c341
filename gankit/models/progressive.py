"""Progressive GAN networks (Karras et al. 2018, "Progressive Growing of GANs", ICLR): G and D that
grow from a small start resolution to the image size, one doubling per stage.

Stages. The image side is start·2^k; stage s works at start·2^s (32x32: 4 -> 8 -> 16 -> 32; 28x28:
7 -> 14 -> 28). The start is the smallest side >= 4 from which the image is reached by exact doublings.
Level. The networks run at a level (stage s, α ∈ [0, 1]) set by `set_level`; the default is the last
stage with α = 1 (a finished network). While a new block fades in (sec. 2, fig. 2):
    G(z) = (1 - α) · up(toRGB_{s-1}(h_{s-1})) + α · toRGB_s(block_s(h_{s-1}))      nearest-neighbour up ×2
    D(x) = rest( (1 - α) · fromRGB_{s-1}(avgpool(x)) + α · block_s(fromRGB_s(x)) )
and real images are shown to D the same way (`show_at_level`).
G: z -> pixel norm -> Linear -> (C, start, start) -> lrelu, PN -> conv3 -> lrelu, PN   (stage 0)
   then per stage: up ×2 -> [conv3 -> lrelu -> PN] ×2; toRGB = 1x1 conv per stage, linear (Table 2).
D: fromRGB (1x1 conv, lrelu) per stage; per stage: [conv3 -> lrelu] ×2 -> avgpool ×2; at the start
   resolution: minibatch stddev (+1 channel, sec. 3) -> conv3 -> lrelu -> Linear -> lrelu -> Linear 1.
Every layer is equalized (sec. 4.1): weights ~ N(0, 1) scaled at run time by He's constant √(2 / fan_in);
G normalises its features per pixel after each conv (sec. 4.2); no BatchNorm anywhere.
Widths: `model.{g,d}.options` {width, max_width} as dcgan: `width` channels at the image size, doubled
per halving, capped at `max_width` (the paper: 512 at 4..32 px, then halving; Table 2).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gankit.errors import GankitError
from gankit.models.dcgan import image_shape, widths
from gankit.models.layers import activation
from gankit.models.wrappers import minibatch_stddev
from gankit.registry import ARCHITECTURES

SLOPE = 0.2  # leaky ReLU slope everywhere (Karras et al. 2018, appendix A.1)


def plan_stages(height: int, width: int) -> tuple[int, int, int]:
    """(h0, w0, stages): the start size and the number of stages (resolutions), h0·2^(stages-1) = height.
    The most doublings that keep both start sides >= 4 and divide the image exactly."""
    doublings = 0
    while height % 2 ** (doublings + 1) == 0 and width % 2 ** (doublings + 1) == 0 \
            and min(height, width) // 2 ** (doublings + 1) >= 4:
        doublings += 1
    if doublings == 0:
        raise GankitError(f"model.arch 'progressive' grows the image by doublings from a start of >= 4 pixels; "
                          f"{height}x{width} is not start·2^k with k >= 1 (use e.g. data.image_size: 32)")
    return height // 2 ** doublings, width // 2 ** doublings, doublings + 1


def he_constant(fan_in: int, gain: float = math.sqrt(2)) -> float:
    """He et al. 2015: std = gain / √fan_in keeps activations' variance under (leaky) ReLUs."""
    return gain / math.sqrt(fan_in)


class EqualizedConv2d(nn.Module):
    """Conv with weights ~ N(0, 1) multiplied by He's constant at every call (sec. 4.1): Adam's update
    is scale-free, so every layer then learns at the same speed whatever its fan-in."""

    def __init__(self, c_in: int, c_out: int, kernel: int, gain: float = math.sqrt(2)):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.scale = he_constant(c_in * kernel * kernel, gain)
        self.padding = kernel // 2  # "same" for odd kernels

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


class EqualizedLinear(nn.Module):
    def __init__(self, f_in: int, f_out: int, gain: float = math.sqrt(2)):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(f_out, f_in))
        self.bias = nn.Parameter(torch.zeros(f_out))
        self.scale = he_constant(f_in, gain)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.scale, self.bias)


class PixelNorm(nn.Module):
    """b_xy = a_xy / √(mean_c a_xy² + ε), ε = 1e-8 (sec. 4.2): each pixel's feature vector to unit
    mean square, over the channel axis (dim 1; for (N, F) vectors the features)."""

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


def upsample(x: Tensor, factor: int = 2) -> Tensor:
    return x if factor == 1 else F.interpolate(x, scale_factor=factor, mode="nearest")


def downsample(x: Tensor, factor: int = 2) -> Tensor:
    return x if factor == 1 else F.avg_pool2d(x, factor)


def show_at_level(x: Tensor, stage: int, alpha: float, size: tuple[int, int]) -> Tensor:
    """Real images (N, C, H, W) as D sees them at (stage, α): average-pooled to `size`, and while a
    stage fades in blended with the previous resolution the way G's output is (sec. 2)."""
    x = downsample(x, x.shape[2] // size[0])
    if stage > 0 and alpha < 1:
        x = (1 - alpha) * upsample(downsample(x)) + alpha * x
    return x


class Growing(nn.Module):
    """What G and D share: the stage sizes and the current level."""

    def __init__(self, shape: tuple[int, int, int]):
        super().__init__()
        self.channels, self.height, self.width = shape
        self.h0, self.w0, self.stages = plan_stages(self.height, self.width)
        self.stage, self.alpha = self.stages - 1, 1.0  # a plain attribute: the recipe sets it every step

    def size(self, stage: int) -> tuple[int, int]:
        return self.h0 * 2 ** stage, self.w0 * 2 ** stage

    def set_level(self, stage: int, alpha: float) -> None:
        if not (0 <= stage < self.stages and 0.0 <= alpha <= 1.0):
            raise GankitError(f"progressive level: stage must be in 0..{self.stages - 1} and alpha in [0, 1], "
                              f"got stage {stage}, alpha {alpha}")
        self.stage, self.alpha = int(stage), float(alpha)

    def extra_repr(self) -> str:
        return f"stages={[self.size(s) for s in range(self.stages)]}, stage={self.stage}, alpha={self.alpha}"


def _conv_act(c_in: int, c_out: int, kernel: int, norm: bool) -> list[nn.Module]:
    return [EqualizedConv2d(c_in, c_out, kernel), nn.LeakyReLU(SLOPE)] + ([PixelNorm()] if norm else [])


class ProgressiveGenerator(Growing):
    def __init__(self, latent_dim: int, shape: tuple[int, int, int], chans: list[int], out_activation: str):
        super().__init__(shape)
        assert len(chans) == self.stages  # chans[s]: channels at stage s (lowest resolution first)
        self.start = nn.Sequential(
            PixelNorm(),                                                 # z onto the sphere of radius √d
            EqualizedLinear(latent_dim, chans[0] * self.h0 * self.w0),   # = a 4x4 conv on a 1x1 input
            nn.Unflatten(1, (chans[0], self.h0, self.w0)), nn.LeakyReLU(SLOPE), PixelNorm(),
            *_conv_act(chans[0], chans[0], 3, norm=True))                # (N, C0, h0, w0)
        self.blocks = nn.ModuleList([nn.Identity()] + [               # block s: (C_{s-1}, r) -> (C_s, 2r)
            nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                          *_conv_act(chans[s - 1], chans[s], 3, norm=True),
                          *_conv_act(chans[s], chans[s], 3, norm=True))
            for s in range(1, self.stages)])
        self.to_rgb = nn.ModuleList([EqualizedConv2d(c, self.channels, 1, gain=1.0) for c in chans])
        self.out = activation(out_activation)

    def forward(self, z: Tensor) -> Tensor:
        """(N, latent) -> (N, C, *size(stage)): the image at the CURRENT stage's resolution."""
        s, alpha = self.stage, self.alpha
        h = self.start(z)
        for block in self.blocks[1:s]:
            h = block(h)
        if s == 0:
            return self.out(self.to_rgb[0](h))
        new = self.to_rgb[s](self.blocks[s](h))
        if alpha < 1:  # fade-in (sec. 2): the old toRGB's image, upsampled, hands over linearly to the new
            new = (1 - alpha) * upsample(self.to_rgb[s - 1](h)) + alpha * new
        return self.out(new)  # elementwise, so out(up(y)) = up(out(y)): α = 0 is the old stage exactly


class ProgressiveDiscriminator(Growing):
    def __init__(self, shape: tuple[int, int, int], chans: list[int]):
        super().__init__(shape)
        self.from_rgb = nn.ModuleList([nn.Sequential(EqualizedConv2d(self.channels, c, 1), nn.LeakyReLU(SLOPE))
                                       for c in chans])
        self.blocks = nn.ModuleList([nn.Identity()] + [               # block s: (C_s, 2r) -> (C_{s-1}, r)
            nn.Sequential(*_conv_act(chans[s], chans[s], 3, norm=False),
                          *_conv_act(chans[s], chans[s - 1], 3, norm=False), nn.AvgPool2d(2))
            for s in range(1, self.stages)])
        self.final = nn.Sequential(                                    # (N, C0 + 1, h0, w0) -> (N, 1)
            *_conv_act(chans[0] + 1, chans[0], 3, norm=False), nn.Flatten(),
            EqualizedLinear(chans[0] * self.h0 * self.w0, chans[0]), nn.LeakyReLU(SLOPE),
            EqualizedLinear(chans[0], 1, gain=1.0))

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, H, W) at the current stage's size -> (N,) critic scores. Larger images (hooks that
        show D full-size reals or samples) are first shown at the current level, as in training."""
        s, alpha = self.stage, self.alpha
        if x.shape[2:] != self.size(s):
            x = show_at_level(x, s, alpha, self.size(s))
        h = self.blocks[s](self.from_rgb[s](x))
        if s > 0 and alpha < 1:  # fade-in, mirrored: the old fromRGB on the half-size input hands over
            h = (1 - alpha) * self.from_rgb[s - 1](downsample(x)) + alpha * h
        for stage in range(s - 1, 0, -1):
            h = self.blocks[stage](h)
        # sec. 3: one more channel, the std over the minibatch (groups of 4) averaged over features and pixels.
        # It mixes examples, so the gradient penalty's per-example norms see their group too, as in the paper.
        return self.final(minibatch_stddev(h, group=4)).squeeze(1)


def _options(cfg, which: str) -> None:
    if cfg.batchnorm:
        raise GankitError(f"config key 'model.{which}.batchnorm': progressive networks use no BatchNorm (pixel norm "
                          "in G and minibatch stddev in D instead; Karras et al. 2018, sec. 4.2); set it to false")
    unknown = sorted(set(cfg.options) - {"width", "max_width"})
    if unknown:
        raise GankitError(f"config key 'model.{which}.options': unknown progressive option(s) {', '.join(unknown)}; "
                          "expected width, max_width")


@ARCHITECTURES.register("progressive", "Progressive GAN G and D, equalized LR, pixel norm (Karras et al. 2018)")
def build_progressive(model_cfg, data_shape: tuple[int, ...], num_classes: int | None = None) -> dict[str, nn.Module]:
    shape = image_shape(data_shape, "progressive")
    stages = plan_stages(shape[1], shape[2])[2]
    _options(model_cfg.g, "g")
    _options(model_cfg.d, "d")
    return {
        "G": ProgressiveGenerator(model_cfg.latent_dim, shape, widths(model_cfg.g, stages)[::-1],
                                  model_cfg.g.out_activation),
        "D": ProgressiveDiscriminator(shape, widths(model_cfg.d, stages)[::-1]),
    }

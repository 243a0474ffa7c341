"""Image-to-image networks of pix2pix (Isola et al. 2017): a U-Net generator, a PatchGAN
discriminator conditioned on the source image, and the bank of held-out source images a
translation run keeps with its weights.

U-Net G (sec. 2.1, appendix 6.1.1): an encoder-decoder whose decoder layer i also sees encoder
layer n - i (skip connections by channel concatenation), so low-level structure (edges, outlines)
shared by input and output goes straight across instead of through the 1x1 bottleneck.
   encoder: Conv 4x4 s2 -> (BN, not on the first or the innermost layer) -> LeakyReLU 0.2, side / 2
            widths width, 2 width, 4 width, 8 width, 8 width, ... (capped at 8 width), down to 1x1
   decoder: ReLU -> ConvT 4x4 s2 -> BN -> dropout (the three innermost decoder layers) , side x 2
            input = [previous decoder output ; mirrored encoder output]
   out:     ConvT 4x4 s2 -> out_activation (tanh in the paper)
For 256x256 the paper has 8 levels (C64-C128-C256-C512-C512-C512-C512-C512); a 32x32 image has 5.
Noise is dropout (sec. 2.1: G "learned to simply ignore the noise" given as z, so they give it
as dropout; the three innermost decoder layers, at 2x2, 4x4 and 8x8 in both the paper's 256 net
and our 32 one).

PatchGAN D (sec. 2.2, 3.4): classifies each N x N patch as real or fake, D(A, B) on the channel
concatenation [A ; B] (a conditional GAN: D sees the source). Layers: Conv 4x4 s2 -> LeakyReLU, then
`d_layers - 1` more Conv 4x4 s2 -> BN -> LeakyReLU, one Conv 4x4 s1 -> BN -> LeakyReLU, and a
Conv 4x4 s1 to one logit per patch. Receptive field r of the output: r = 4 for the last conv,
r <- r + 3 for the stride-1 conv, r <- 2 r + 2 for each stride-2 conv: d_layers = 3 is the paper's
70x70 for 256x256 images; our default d_layers = 1 gives 16x16 patches on 32x32 images (half
the side; the paper's 70 is 27 % of 256, and its 16x16 on 256 tiled artefacts, Table 3).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from gankit.config import NetConfig
from gankit.errors import GankitError
from gankit.models.layers import Dropout, activation, init_convs, net_options, receptive_field
from gankit.registry import ARCHITECTURES

DROPOUT_LAYERS = 3  # innermost decoder layers with dropout (Isola et al. 2017, appendix 6.1.1: CD512 x 3)


def unet_depth(height: int, width: int) -> int:
    """Halvings from (height, width) down to a 1-pixel short side; both sides must halve exactly."""
    depth = int(math.log2(min(height, width))) if min(height, width) >= 2 else 0
    if depth < 2 or height % 2 ** depth or width % 2 ** depth:
        raise GankitError(f"a U-Net halves the image {depth} times: its sides must be multiples of 2^{depth} and "
                          f"at least 4, got {height}x{width}; set data.image_size to a power of two (e.g. 32)")
    return depth


class UNetGenerator(nn.Module):
    """G(A): source images (N, C_A, H, W) -> target images (N, C_B, H, W)."""

    def __init__(self, source_shape: tuple[int, int, int], target_channels: int, cfg: NetConfig):
        super().__init__()
        c_in, height, width = source_shape
        width0 = net_options(cfg, {"width": 64}, "g")["width"]
        depth = unet_depth(height, width)
        widths = [min(width0 * 2 ** i, width0 * 8) for i in range(depth)]  # encoder outputs, outermost first
        self.down = nn.ModuleList()
        for i, c_out in enumerate(widths):  # side -> side / 2
            layers = [] if i == 0 else [nn.LeakyReLU(0.2)]
            layers.append(nn.Conv2d(c_in if i == 0 else widths[i - 1], c_out, 4, 2, 1, bias=i in (0, depth - 1)))
            if 0 < i < depth - 1:  # no BN on the input layer nor on the 1x1 bottleneck (a BN over 1 pixel)
                layers.append(nn.BatchNorm2d(c_out))
            self.down.append(nn.Sequential(*layers))
        self.up = nn.ModuleList()
        for j in range(depth - 1):  # decoder layer j mirrors encoder layer depth - 2 - j
            c_prev = widths[-1] if j == 0 else 2 * widths[depth - 1 - j]  # [decoder ; skip]
            c_out = widths[depth - 2 - j]
            layers = [nn.ReLU(), nn.ConvTranspose2d(c_prev, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out)]
            if j < DROPOUT_LAYERS and cfg.dropout > 0:
                layers.append(Dropout(cfg.dropout))
            self.up.append(nn.Sequential(*layers))
        self.out = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(2 * widths[0], target_channels, 4, 2, 1),
                                 activation(cfg.out_activation))
        init_convs(self, cfg.init)

    def forward(self, source: Tensor) -> Tensor:
        skips = []
        x = source
        for layer in self.down:
            x = layer(x)
            skips.append(x)  # (N, width_i, H / 2^(i+1), W / 2^(i+1))
        skips.pop()  # the bottleneck feeds the decoder directly
        for layer in self.up:
            x = torch.cat([layer(x), skips.pop()], dim=1)  # U-Net skip: (N, 2 width_i, h, w)
        return self.out(x)  # (N, C_B, H, W)


class PatchDiscriminator(nn.Module):
    """D(A, B): one logit per overlapping patch, (N, h, w), of the pair [source ; image]."""

    def __init__(self, source_channels: int, target_channels: int, cfg: NetConfig):
        super().__init__()
        opts = net_options(cfg, {"width": 64, "d_layers": 1}, "d")
        w, n = opts["width"], opts["d_layers"]
        widths = [min(w * 2 ** i, w * 8) for i in range(n + 1)]
        layers: list[nn.Module] = [nn.Conv2d(source_channels + target_channels, widths[0], 4, 2, 1),
                                   nn.LeakyReLU(0.2)]
        for i in range(1, n + 1):  # the stride-2 layers after the first, then one stride-1 layer
            stride = 2 if i < n else 1
            layers += [nn.Conv2d(widths[i - 1], widths[i], 4, stride, 1, bias=False), nn.BatchNorm2d(widths[i]),
                       nn.LeakyReLU(0.2)]
        layers.append(nn.Conv2d(widths[-1], 1, 4, 1, 1))  # one logit per patch
        self.net = init_convs(nn.Sequential(*layers), cfg.init)
        self.source_channels = source_channels

    def receptive_field(self) -> int:
        """Side of the input patch one logit sees."""
        return receptive_field(self.net)

    def forward(self, source: Tensor, image: Tensor) -> Tensor:
        assert source.shape[0] == image.shape[0] and source.shape[2:] == image.shape[2:], (source.shape, image.shape)
        return self.net(torch.cat([source, image], dim=1)).squeeze(1)  # (N, h, w) logits


class SourceBank(nn.Module):
    """A fixed set of held-out source images (and, for paired data, their targets) as uint8 buffers in
    data units, saved with the nets: `sample(n)` of a translator, `gankit generate` and `evaluate`
    translate these without the data. The trainer fills it from the data (`fill`); a loaded run gets
    it back from the checkpoint. Empty target (0 rows) = unpaired data."""

    def __init__(self, size: int, source_shape, target_shape, paired: bool):
        super().__init__()
        self.register_buffer("source", torch.zeros(size, *source_shape, dtype=torch.uint8))
        self.register_buffer("target", torch.zeros(size if paired else 0, *target_shape, dtype=torch.uint8))

    def fill(self, source: Tensor, target: Tensor | None) -> None:
        assert source.shape == self.source.shape, (source.shape, self.source.shape)
        self.source.copy_(source)
        if len(self.target):
            assert target is not None and target.shape == self.target.shape, (None if target is None else target.shape)
            self.target.copy_(target)

    def forward(self, *args):  # a container of buffers: never called (torch.compile wraps it harmlessly)
        raise RuntimeError("SourceBank holds buffers; it is not called")


@ARCHITECTURES.register("unet", "pix2pix U-Net G and PatchGAN D (Isola et al. 2017); train.algorithm pix2pix")
def build_unet(model_cfg, data_shape, num_classes=None) -> dict[str, nn.Module]:
    raise GankitError("model.arch 'unet' is an image-to-image generator: it is built by train.algorithm pix2pix "
                      "on translation data (docs/algorithms.md, 'Pix2Pix')")

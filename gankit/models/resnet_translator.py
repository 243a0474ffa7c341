"""CycleGAN's networks (Zhu et al. 2017, appendix 7.2): a ResNet generator that maps an image of one
domain to the other, and an unconditional PatchGAN discriminator with instance normalisation.

ResNet G (after Johnson et al. 2016), written in the paper's notation:
   c7s1-k   ReflectionPad 3 -> Conv 7x7 stride 1, k filters -> InstanceNorm -> ReLU       side
   dk       Conv 3x3 stride 2, k filters -> InstanceNorm -> ReLU                          side / 2
   Rk       x + [ReflectionPad 1 -> Conv 3x3 -> IN -> ReLU -> ReflectionPad 1 -> Conv 3x3 -> IN](x)
   uk       ConvTranspose 3x3 stride 1/2, k filters -> InstanceNorm -> ReLU                side x 2
   c7s1-C   ReflectionPad 3 -> Conv 7x7 to the output channels -> out_activation (tanh; no norm or ReLU
            on this last layer, as in the authors' code)
The paper's 256x256 net is c7s1-64, d128, d256, R256 x 9, u128, u64, c7s1-3 (6 blocks for 128x128).
Here `model.g.options` {width: k, blocks: n} scale it down: c7s1-k, d2k, d4k, R4k x n, u2k, uk, c7s1-C;
the two stride-2 steps fix the image sides to multiples of 4. Reflection padding keeps the borders
free of the zero-padding artefacts the paper's appendix avoids; instance normalisation (Ulyanov et
al. 2016) normalises each image on its own, which the paper uses throughout (sec. 4, "Network
Architecture") and which keeps G's output independent of the rest of the batch.

PatchGAN D (sec. 4; Isola et al. 2017's 70x70 PatchGAN): C64-C128-C256-C512, where Ck is Conv 4x4 ->
InstanceNorm -> LeakyReLU 0.2, no norm on the first layer, then a Conv 4x4 to one logit per patch.
The appendix gives every Ck stride 2; the first three with stride 2 and C512 with stride 1, as in the
authors' code, is what gives the 70x70 field the paper names (receptive_field below). CycleGAN's D
judges an image alone (unconditional; pix2pix's D of gankit/models/translation.py sees the source
too, and uses BatchNorm). `model.d.options` {width, d_layers}: d_layers stride-2 convolutions (the paper: 3, a
70x70 field on 256x256 images); d_layers = 1 sees 16x16 patches of a 32x32 image.
Convolutions followed by InstanceNorm have no bias: IN subtracts each channel's mean, which removes
any per-channel constant, so such a bias would get no gradient and do nothing.
"""
from __future__ import annotations

from torch import Tensor, nn

from gankit.config import NetConfig
from gankit.errors import GankitError
from gankit.models.layers import activation, init_convs, net_options, receptive_field
from gankit.registry import ARCHITECTURES

G_OPTIONS = {"width": 64, "blocks": 9}      # the paper's 256x256 generator
D_OPTIONS = {"width": 64, "d_layers": 3}    # the paper's 70x70 PatchGAN


def _norm(channels: int) -> nn.Module:
    # affine=False and no running statistics: every image is normalised by its own statistics, in
    # training and in sampling alike (as in the authors' code).
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


class ResidualBlock(nn.Module):
    """Rk: x + two reflection-padded 3x3 convolutions (k channels in and out, same side)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=False), _norm(channels), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=False), _norm(channels))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """G(x): images (N, C_in, H, W) -> images (N, C_out, H, W); H and W multiples of 4."""

    def __init__(self, in_channels: int, out_channels: int, cfg: NetConfig):
        super().__init__()
        opts = net_options(cfg, G_OPTIONS, "g")
        k, blocks = opts["width"], opts["blocks"]
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, k, 7, bias=False), _norm(k),
                                   nn.ReLU()]                                                     # c7s1-k
        for c in (k, 2 * k):                                                                      # d2k, d4k
            layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1, bias=False), _norm(2 * c), nn.ReLU()]
        layers += [ResidualBlock(4 * k) for _ in range(blocks)]                                   # R4k x n
        for c in (4 * k, 2 * k):                                                                  # u2k, uk
            # k3, s2, p1, output_padding 1: side -> (side - 1) 2 - 2 + 3 + 1 = 2 side exactly
            layers += [nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1, bias=False),
                       _norm(c // 2), nn.ReLU()]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(k, out_channels, 7), activation(cfg.out_activation)]  # c7s1-C
        self.net = init_convs(nn.Sequential(*layers), cfg.init)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] % 4 or x.shape[-2] % 4:
            raise GankitError(f"the ResNet generator halves images twice: their sides must be multiples of 4, "
                              f"got {tuple(x.shape[-2:])}; set data.image_size (e.g. 32)")
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """D(x): images (N, C, H, W) -> one logit per overlapping patch, (N, h, w)."""

    def __init__(self, channels: int, cfg: NetConfig):
        super().__init__()
        opts = net_options(cfg, D_OPTIONS, "d")
        w, n = opts["width"], opts["d_layers"]
        widths = [min(w * 2 ** i, w * 8) for i in range(n + 1)]  # C64-C128-C256-C512 for n = 3
        layers: list[nn.Module] = [nn.Conv2d(channels, widths[0], 4, 2, 1), nn.LeakyReLU(0.2)]  # no norm first
        for i in range(1, n + 1):  # n - 1 more stride-2 layers, then one stride-1 layer
            stride = 2 if i < n else 1
            layers += [nn.Conv2d(widths[i - 1], widths[i], 4, stride, 1, bias=False), _norm(widths[i]),
                       nn.LeakyReLU(0.2)]
        layers.append(nn.Conv2d(widths[-1], 1, 4, 1, 1))  # one logit per patch
        self.net = init_convs(nn.Sequential(*layers), cfg.init)

    def receptive_field(self) -> int:
        """Side of the input patch one logit sees."""
        return receptive_field(self.net)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(1)  # (N, h, w) logits


@ARCHITECTURES.register("resnet-translator", "CycleGAN ResNet G and PatchGAN D (Zhu et al. 2017); "
                                             "train.algorithm cyclegan")
def build_resnet_translator(model_cfg, data_shape, num_classes=None) -> dict[str, nn.Module]:
    raise GankitError("model.arch 'resnet-translator' translates images between two domains: it is built by "
                      "train.algorithm cyclegan on unpaired translation data (docs/algorithms.md, 'CycleGAN')")

"""gankit/models/resnet_translator.py: CycleGAN's ResNet generator and instance-norm PatchGAN D."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from gankit.config import NetConfig
from gankit.errors import GankitError
from gankit.models.resnet_translator import PatchDiscriminator, ResidualBlock, ResnetGenerator
from gankit.registry import ARCHITECTURES


def net(**options) -> NetConfig:
    return NetConfig(options=options, init="normal", out_activation="tanh")


@pytest.mark.parametrize("side", [8, 28, 32])
def test_generator_keeps_the_side_and_maps_channels(side):
    G = ResnetGenerator(1, 3, net(width=4, blocks=2))
    y = G(torch.randn(2, 1, side, side))
    assert y.shape == (2, 3, side, side)
    assert y.abs().max() <= 1  # tanh output
    assert sum(isinstance(m, ResidualBlock) for m in G.modules()) == 2


def test_generator_layout_is_the_papers_scaled_by_width():
    """c7s1-k, d2k, d4k, R4k x n, u2k, uk, c7s1-C: the convolutions' (in, out) channels in order."""
    G = ResnetGenerator(3, 3, net(width=8, blocks=1))
    convs = [(m.in_channels, m.out_channels, m.kernel_size[0], m.stride[0]) for m in G.modules()
             if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert convs == [(3, 8, 7, 1), (8, 16, 3, 2), (16, 32, 3, 2), (32, 32, 3, 1), (32, 32, 3, 1),
                     (32, 16, 3, 2), (16, 8, 3, 2), (8, 3, 7, 1)]
    # Convolutions before an instance norm carry no bias (the norm removes it); the last one does.
    assert [m.bias is not None for m in G.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))] == \
        [False] * 7 + [True]
    assert sum(isinstance(m, nn.ReflectionPad2d) for m in G.modules()) == 4  # c7s1 twice, two per block


def test_each_image_is_translated_on_its_own():
    """Instance norm: an image's output does not depend on the rest of the batch (the recipe batches passes)."""
    torch.manual_seed(0)
    G, D = ResnetGenerator(1, 1, net(width=4, blocks=1)), PatchDiscriminator(1, net(width=4, d_layers=1))
    x = torch.randn(4, 1, 8, 8)
    torch.testing.assert_close(G(x)[:1], G(x[:1]))
    torch.testing.assert_close(D(x)[:1], D(x[:1]))


def test_generator_refuses_sides_that_do_not_halve_twice():
    with pytest.raises(GankitError, match="multiples of 4"):
        ResnetGenerator(1, 1, net(width=4, blocks=1))(torch.randn(1, 1, 30, 30))


@pytest.mark.parametrize("layers, field, out_side", [(1, 16, 14), (2, 34, 6), (3, 70, 2)])
def test_patch_discriminator_field_and_shape(layers, field, out_side):
    """d_layers = 3 is the paper's 70x70 PatchGAN; on 32x32 images one logit per patch."""
    D = PatchDiscriminator(3, net(width=4, d_layers=layers))
    assert D.receptive_field() == field
    assert D(torch.randn(2, 3, 32, 32)).shape == (2, out_side, out_side)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in D.modules())
    assert sum(isinstance(m, nn.InstanceNorm2d) for m in D.modules()) == layers  # none on the first layer


@pytest.mark.parametrize("options, message", [({"depth": 3}, "unknown option"), ({"width": 0}, "integer >= 1"),
                                              ({"blocks": 1.5}, "integer >= 1")])
def test_bad_options_are_one_line_errors(options, message):
    with pytest.raises(GankitError, match=message):
        ResnetGenerator(1, 1, net(**options))


def test_the_architecture_name_points_to_the_recipe():
    with pytest.raises(GankitError, match="train.algorithm cyclegan"):
        ARCHITECTURES.get("resnet-translator")(None, (1, 32, 32))

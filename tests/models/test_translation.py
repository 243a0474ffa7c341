"""pix2pix's networks (gankit/models/translation.py): U-Net shapes and skips, PatchGAN patches and
receptive field, the source bank, and the errors."""
from __future__ import annotations

import pytest
import torch

from gankit.config import NetConfig
from gankit.errors import GankitError
from gankit.models.translation import PatchDiscriminator, SourceBank, UNetGenerator, build_unet


def net(**options) -> NetConfig:
    return NetConfig(init="normal", out_activation="tanh", dropout=0.5, options=options)


@pytest.mark.parametrize("size, depth", [(32, 5), (16, 4), (8, 3)])
def test_unet_maps_source_channels_to_target_channels_at_the_same_size(size, depth):
    G = UNetGenerator((1, size, size), 3, net(width=4))
    assert len(G.down) == depth and len(G.up) == depth - 1  # halved down to 1x1
    out = G(torch.randn(2, 1, size, size))
    assert out.shape == (2, 3, size, size) and out.abs().max() <= 1  # tanh
    widths = [layer[-1].num_features if isinstance(layer[-1], torch.nn.BatchNorm2d) else None for layer in G.down]
    assert widths[0] is None and widths[-1] is None  # no BN on the input layer nor on the 1x1 bottleneck


def test_dropout_is_the_noise_in_training_and_off_in_eval():
    torch.manual_seed(0)
    G = UNetGenerator((1, 16, 16), 1, net(width=4))
    x = torch.randn(4, 1, 16, 16)
    assert sum(isinstance(m, torch.nn.Dropout) for m in G.modules()) == 3  # the three innermost decoder layers
    assert not torch.equal(G(x), G(x))  # training: two draws of the dropout masks differ
    G.eval()
    assert torch.equal(G(x), G(x))


def test_skip_connections_carry_the_input_layer_to_the_output():
    """The outermost skip: the output's last layer sees the first encoder layer's 8x8 map directly,
    so a pixel's gradient reaches the input there even when the bottleneck path is cut off."""
    torch.manual_seed(0)
    G = UNetGenerator((1, 16, 16), 1, net(width=4)).eval()
    with torch.no_grad():
        for layer in G.up:  # zero every decoder conv: only the skip of the first encoder layer remains
            layer[1].weight.zero_()
    x = torch.randn(1, 1, 16, 16, requires_grad=True)
    G(x)[0, 0, 5, 5].backward()
    assert x.grad.abs().sum() > 0 and x.grad[0, 0, 5, 5] != 0


def test_unet_refuses_sizes_that_do_not_halve_to_one_pixel():
    with pytest.raises(GankitError, match=r"multiples of 2\^4 .* got 28x28; set data.image_size"):
        UNetGenerator((1, 28, 28), 1, net())
    with pytest.raises(GankitError, match="unknown option"):
        UNetGenerator((1, 16, 16), 1, net(widht=4))


@pytest.mark.parametrize("d_layers, field, patches", [(1, 16, 14), (2, 34, 6), (3, 70, 2)])
def test_patchgan_receptive_field_and_patch_count(d_layers, field, patches):
    D = PatchDiscriminator(1, 3, net(width=4, d_layers=d_layers))
    assert D.receptive_field() == field  # d_layers 3 = the paper's 70x70 (Isola et al. 2017, sec. 3.4)
    out = D(torch.randn(2, 1, 32, 32), torch.randn(2, 3, 32, 32))
    assert out.shape == (2, patches, patches)


def test_a_patch_logit_sees_only_its_receptive_field_and_both_images():
    torch.manual_seed(0)
    D = PatchDiscriminator(1, 1, net(width=4, d_layers=1)).eval()  # 16x16 patches, output stride 2
    a, b = torch.randn(1, 1, 32, 32), torch.randn(1, 1, 32, 32)
    base = D(a, b)
    moved = b.clone()
    moved[0, 0, 31, 31] += 5.0  # the bottom-right pixel
    changed = (D(a, moved) - base).abs()[0] > 0
    assert changed[-1, -1] and not changed[0, 0]  # the far corner's patch does not see it
    assert not torch.equal(D(a + 1.0, b), base)  # conditioned on the source: A changes the verdict


def test_source_bank_is_uint8_buffers_saved_in_the_state_dict():
    bank = SourceBank(3, (1, 4, 4), (2, 4, 4), paired=True)
    a, b = torch.randint(0, 256, (3, 1, 4, 4), dtype=torch.uint8), torch.randint(0, 256, (3, 2, 4, 4), dtype=torch.uint8)
    bank.fill(a, b)
    state = bank.state_dict()
    assert set(state) == {"source", "target"} and torch.equal(state["source"], a) and torch.equal(state["target"], b)
    assert len(SourceBank(3, (1, 4, 4), (2, 4, 4), paired=False).target) == 0
    assert not list(bank.parameters())


def test_unet_as_a_plain_architecture_is_refused():
    with pytest.raises(GankitError, match="built by train.algorithm pix2pix"):
        build_unet(None, (1, 32, 32))

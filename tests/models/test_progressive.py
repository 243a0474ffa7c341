"""Progressive GAN networks (gankit/models/progressive.py): the fade-in is exact at α = 0 and α = 1 in G
and D, reals are shown pooled and blended, equalized learning rate scales by He's constant, pixel
norm gives unit mean square per pixel, the minibatch-stddev channel is the batch's average std, and
the stage plan divides the image size or is refused in one line."""
import math

import pytest
import torch
import torch.nn.functional as F

from gankit.config import apply_overrides, load_config
from gankit.errors import GankitError
from gankit.models.progressive import (EqualizedConv2d, EqualizedLinear, PixelNorm, ProgressiveDiscriminator,
                                       ProgressiveGenerator, plan_stages, show_at_level)
from gankit.models.wrappers import minibatch_stddev
from gankit.registry import ARCHITECTURES

SHAPE = (1, 16, 16)   # stages 4 -> 8 -> 16
CHANS = [8, 6, 4]     # lowest resolution first


def nets():
    torch.manual_seed(0)
    return ProgressiveGenerator(5, SHAPE, CHANS, "none"), ProgressiveDiscriminator(SHAPE, CHANS)


def at(net, stage, alpha, x):
    net.set_level(stage, alpha)
    with torch.no_grad():
        return net(x)


def test_stage_plans_divide_the_image_and_others_are_one_line_errors():
    assert plan_stages(32, 32) == (4, 4, 4)
    assert plan_stages(28, 28) == (7, 7, 3)   # Fashion-MNIST as it is: 7 -> 14 -> 28
    assert plan_stages(64, 32) == (8, 4, 4)
    assert plan_stages(8, 8) == (4, 4, 2)
    for side in (27, 6, 4):
        with pytest.raises(GankitError, match=r"start·2\^k") as info:
            plan_stages(side, side)
        assert "\n" not in str(info.value)


def test_generator_fade_in_is_the_old_stage_at_alpha_0_and_the_new_block_at_alpha_1():
    G, _ = nets()
    z = torch.randn(3, 5)
    for s in (1, 2):
        old = at(G, s - 1, 1.0, z)                                   # (3, 1, r/2, r/2)
        assert torch.equal(at(G, s, 0.0, z), F.interpolate(old, scale_factor=2, mode="nearest"))
        with torch.no_grad():
            h = G.start(z)
            for block in G.blocks[1:s + 1]:
                h = block(h)
            new = G.to_rgb[s](h)                                     # the new block alone
        assert torch.equal(at(G, s, 1.0, z), new)
        mid = at(G, s, 0.25, z)                                      # linear in between
        torch.testing.assert_close(mid, 0.75 * F.interpolate(old, scale_factor=2) + 0.25 * new)
    assert at(G, 0, 1.0, z).shape == (3, 1, 4, 4) and at(G, 2, 0.5, z).shape == (3, 1, 16, 16)


def test_discriminator_fade_in_mirrors_it_on_a_downsampled_input():
    _, D = nets()
    x = torch.randn(4, *SHAPE)
    for s in (1, 2):
        x_s = F.avg_pool2d(x, 2 ** (2 - s))                          # the input at stage s's size
        assert torch.equal(at(D, s, 0.0, x_s), at(D, s - 1, 1.0, F.avg_pool2d(x_s, 2)))
        with torch.no_grad():
            h = D.blocks[s](D.from_rgb[s](x_s))                      # the new block alone, then the rest
            for stage in range(s - 1, 0, -1):
                h = D.blocks[stage](h)
            new = D.final(minibatch_stddev(h)).squeeze(1)
        assert torch.equal(at(D, s, 1.0, x_s), new)


def test_reals_are_average_pooled_and_blended_like_the_generator():
    x = torch.randn(2, 1, 16, 16)
    pooled = F.avg_pool2d(x, 2)                                                      # 8x8
    assert torch.equal(show_at_level(x, 1, 1.0, (8, 8)), pooled)
    assert torch.equal(show_at_level(x, 1, 0.0, (8, 8)), F.interpolate(F.avg_pool2d(pooled, 2), scale_factor=2))
    half = show_at_level(x, 1, 0.5, (8, 8))
    torch.testing.assert_close(half, 0.5 * F.interpolate(F.avg_pool2d(pooled, 2), scale_factor=2) + 0.5 * pooled)
    _, D = nets()  # D shown a full-size image at a lower stage sees what training shows it
    assert torch.equal(at(D, 1, 0.5, x), at(D, 1, 0.5, half))


def test_equalized_learning_rate_scales_unit_weights_by_hes_constant():
    torch.manual_seed(0)
    conv, linear = EqualizedConv2d(64, 32, 3), EqualizedLinear(256, 128)
    for layer, fan_in in ((conv, 64 * 9), (linear, 256)):
        assert layer.scale == pytest.approx(math.sqrt(2 / fan_in))
        assert float(layer.weight.detach().std()) == pytest.approx(1.0, abs=0.03)  # stored N(0, 1)
        assert float((layer.weight.detach() * layer.scale).std()) == pytest.approx(math.sqrt(2 / fan_in), rel=0.03)
    x = torch.randn(2, 64, 5, 5)
    torch.testing.assert_close(conv(x), F.conv2d(x, conv.weight * conv.scale, conv.bias, padding=1))
    assert EqualizedConv2d(8, 1, 1, gain=1.0).scale == pytest.approx(1 / math.sqrt(8))


def test_pixel_norm_gives_each_pixel_unit_mean_square_over_channels():
    x = torch.randn(3, 16, 5, 7) * torch.rand(3, 1, 5, 7) * 100  # very different scales per pixel
    y = PixelNorm()(x)
    torch.testing.assert_close(y.pow(2).mean(dim=1), torch.ones(3, 5, 7))
    torch.testing.assert_close(y * x.pow(2).mean(1, keepdim=True).sqrt(), x, rtol=1e-5, atol=1e-5)  # direction kept


def test_minibatch_stddev_adds_one_channel_equal_to_the_batchs_average_std():
    _, D = nets()
    seen = []
    D.final.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    at(D, 2, 1.0, torch.randn(4, *SHAPE))
    x = seen[0]                                                      # (4, C0 + 1, 4, 4)
    assert x.shape == (4, CHANS[0] + 1, 4, 4)
    features = x[:, :CHANS[0]]
    expected = (features.var(dim=0, unbiased=False) + 1e-8).sqrt().mean()
    torch.testing.assert_close(x[:, CHANS[0]], expected.expand(4, 4, 4))


def test_built_from_the_config_without_batchnorm_and_with_dcgan_style_widths():
    cfg = apply_overrides(load_config("circle"), ["model.arch=progressive", "model.g.options={width: 4, max_width: 16}",
                                                  "model.d.options={width: 4, max_width: 16}"])
    built = ARCHITECTURES.get("progressive")(cfg.model, (3, 32, 32))
    G, D = built["G"], built["D"]
    assert [c.weight.shape[1] for c in G.to_rgb] == [16, 16, 8, 4]  # channels at 4, 8, 16, 32 px
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for net in built.values() for m in net.modules())
    assert G(torch.randn(2, cfg.model.latent_dim)).shape == (2, 3, 32, 32) and D(torch.randn(2, 3, 32, 32)).shape == (2,)
    with pytest.raises(GankitError, match=r"^config key 'model\.d\.batchnorm': progressive networks use no BatchNorm"):
        ARCHITECTURES.get("progressive")(apply_overrides(cfg, ["model.d.batchnorm=true"]).model, (3, 32, 32))
    with pytest.raises(GankitError, match="unknown progressive option"):
        ARCHITECTURES.get("progressive")(apply_overrides(cfg, ["model.g.options={depth: 3}"]).model, (3, 32, 32))
    with pytest.raises(GankitError, match="set_level|stage must be in 0..3"):
        G.set_level(4, 1.0)

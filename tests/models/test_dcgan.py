"""Conv networks: every layer's output shape for the seed presets (against the Keras summaries of
seeds 002 and 003), TensorFlow "same" padding, and the generic DCGAN at 28/32/64 and 1/3 channels."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gankit.models  # noqa: F401  (registers the architectures)
from gankit.config import apply_overrides, load_config
from gankit.errors import GankitError
from gankit.models.dcgan import DCGANDiscriminator, DCGANGenerator, plan_upsampling
from gankit.models.keras_dcgan import SameConv2d, SameConvTranspose2d, same_padding
from gankit.registry import ARCHITECTURES


def layer_shapes(net: nn.Module, x: torch.Tensor) -> list[tuple[str, tuple[int, ...]]]:
    """(layer type, output shape) of every leaf module, in the order they run (a Keras summary)."""
    seen = []
    hooks = [m.register_forward_hook(lambda m, i, o: seen.append((type(m).__name__, tuple(o.shape))))
             for m in net.modules() if not list(m.children())]
    net.eval()
    with torch.no_grad():
        net(x)
    for h in hooks:
        h.remove()
    return seen


def trainable(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def build(preset: str, shape: tuple[int, ...]):
    model = load_config(preset).model
    return ARCHITECTURES.get(model.arch)(model, shape)


def test_seed_002_layers_match_the_keras_summary():
    nets = build("mnist-dcgan", (1, 28, 28))
    N = 2
    assert layer_shapes(nets["G"], torch.randn(N, 100)) == [
        ("Linear", (N, 6272)), ("BatchNorm1d", (N, 6272)), ("LeakyReLU", (N, 6272)),
        ("Unflatten", (N, 128, 7, 7)),
        ("SameConvTranspose2d", (N, 128, 14, 14)), ("BatchNorm2d", (N, 128, 14, 14)), ("LeakyReLU", (N, 128, 14, 14)),
        ("SameConvTranspose2d", (N, 128, 28, 28)), ("BatchNorm2d", (N, 128, 28, 28)), ("LeakyReLU", (N, 128, 28, 28)),
        ("SameConv2d", (N, 1, 28, 28)), ("Sigmoid", (N, 1, 28, 28))]
    assert layer_shapes(nets["D"], torch.randn(N, 1, 28, 28)) == [
        ("SameConv2d", (N, 64, 14, 14)), ("LeakyReLU", (N, 64, 14, 14)), ("Dropout", (N, 64, 14, 14)),
        ("SameConv2d", (N, 128, 7, 7)), ("LeakyReLU", (N, 128, 7, 7)), ("Dropout", (N, 128, 7, 7)),
        ("Flatten", (N, 6272)), ("Linear", (N, 1))]
    # Keras trainable parameters: Dense 627,200 (no bias) + BN 2 x 6272 + 2 ConvT 262,144 (no bias)
    # + 2 BN 2 x 128 + Conv 7*7*128 + 1 = 1,170,817; D: 1,664 + 204,928 + 6,273 = 212,865.
    assert trainable(nets["G"]) == 1_170_817 and trainable(nets["D"]) == 212_865
    assert [m.momentum for m in nets["G"].modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)] == [0.01] * 3
    assert {m.p for m in nets["D"].modules() if isinstance(m, nn.Dropout)} == {0.3}


def test_seed_003_layers_match_the_keras_summary():
    nets = build("folder-dcgan-100", (3, 100, 100))
    N = 2
    shapes = layer_shapes(nets["G"], torch.randn(N, 100))
    assert [s for s in shapes if s[0] not in ("BatchNorm1d", "BatchNorm2d", "LeakyReLU")] == [
        ("Linear", (N, 6760)), ("Unflatten", (N, 40, 13, 13)),
        ("SameConvTranspose2d", (N, 256, 13, 13)), ("SameConvTranspose2d", (N, 128, 26, 26)),
        ("SameConvTranspose2d", (N, 64, 52, 52)), ("SameConvTranspose2d", (N, 3, 104, 104)),
        ("Tanh", (N, 3, 104, 104)), ("CentreCrop", (N, 3, 100, 100))]
    assert sum(s[0].startswith("BatchNorm") for s in shapes) == 4
    assert layer_shapes(nets["D"], torch.randn(N, 3, 100, 100))[-3:] == [
        ("Dropout", (N, 128, 25, 25)), ("Flatten", (N, 80000)), ("Linear", (N, 1))]
    assert trainable(nets["G"]) == 1_160_155 and trainable(nets["D"]) == 289_793
    assert {m.negative_slope for m in nets["G"].modules() if isinstance(m, nn.LeakyReLU)} == {0.3}
    dense = nets["G"].net[0]  # RandomNormal(stddev=0.02), not glorot
    assert 0.015 < dense.weight.std().item() < 0.025


def test_same_padding_is_tensorflows_not_torchs():
    assert same_padding(28, 5, 2) == (1, 2)  # torch's padding=2 would be (2, 2)
    assert same_padding(28, 7, 1) == (3, 3) and same_padding(13, 3, 1) == (1, 1)
    conv, x = SameConv2d(1, 1, 5, 2), torch.randn(1, 1, 28, 28)
    expected = F.conv2d(F.pad(x, (1, 2, 1, 2)), conv.weight, conv.bias, stride=2)
    assert torch.allclose(conv(x), expected)


@pytest.mark.parametrize("kernel, stride, size", [(3, 2, 13), (4, 2, 7), (3, 1, 13)])
def test_same_conv_transpose_is_the_adjoint_of_the_same_conv(kernel, stride, size):
    """TensorFlow defines conv2d_transpose as the gradient of a "same" conv2d w.r.t. its input."""
    torch.manual_seed(0)
    up = SameConvTranspose2d(2, 3, kernel, stride, bias=False)
    y = torch.randn(1, 2, size, size)
    x = torch.zeros(1, 3, size * stride, size * stride, requires_grad=True)
    top, bottom = same_padding(size * stride, kernel, stride)
    out = F.conv2d(F.pad(x, (top, bottom, top, bottom)), up.weight, stride=stride)
    (out * y).sum().backward()
    assert torch.allclose(up(y), x.grad, atol=1e-6)


@pytest.mark.parametrize("side, start, n", [(28, 7, 2), (32, 4, 3), (64, 4, 4), (128, 4, 5), (100, 7, 4), (8, 4, 1)])
def test_upsampling_plan(side, start, n):
    assert plan_upsampling(side, side) == (start, start, n)


def generic(**options):
    cfg = apply_overrides(load_config("circle"), ["model.arch=dcgan", "model.latent_dim=16", "model.g.batchnorm=true",
                                                 "model.g.out_activation=tanh", "model.d.activation=leaky_relu"])
    for key, value in options.items():
        cfg.model.g.options[key] = cfg.model.d.options[key] = value
    return cfg.model


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 28, 28), (1, 32, 32), (3, 32, 32), (1, 64, 64), (3, 64, 64),
                                   (4, 20, 20), (3, 24, 40)])
def test_generic_dcgan_fits_any_image_shape(shape):
    model = generic(width=8)
    nets = ARCHITECTURES.get("dcgan")(model, shape)
    fake = nets["G"](torch.randn(3, 16))
    assert fake.shape == (3, *shape) and fake.abs().max() <= 1
    assert nets["D"](fake).shape == (3,)
    first_conv = next(m for m in nets["D"].modules() if isinstance(m, nn.Conv2d))
    assert first_conv.in_channels == shape[0]  # channels from the data, never assumed RGB


def test_generic_dcgan_widths_and_features():
    model = generic(width=16, max_width=32)
    G, D = DCGANGenerator(16, (3, 64, 64), model.g), DCGANDiscriminator((3, 64, 64), model.d)
    assert [m.out_channels for m in G.modules() if isinstance(m, nn.ConvTranspose2d)] == [32, 32, 16, 3]
    assert [m.out_channels for m in D.modules() if isinstance(m, nn.Conv2d)] == [16, 32, 32, 32]
    x = torch.randn(2, 3, 64, 64)
    assert D.features(x).shape == (2, 32 * 4 * 4)
    assert torch.allclose(D(x), D.out(D.features(x)).squeeze(1))


def test_generic_dcgan_d_options_batchnorm_dropout_spectral_norm():
    model = generic(width=8)
    model.d.batchnorm, model.d.dropout, model.d.spectral_norm = True, 0.25, True
    D = DCGANDiscriminator((1, 32, 32), model.d)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in D.modules()) == 2  # 3 blocks, none on the input block
    assert sum(isinstance(m, nn.Dropout) for m in D.modules()) == 3
    convs = [m for m in D.modules() if isinstance(m, nn.Conv2d)]
    assert all(hasattr(m, "parametrizations") for m in convs)
    model.d.batchnorm, model.d.spectral_norm = False, False
    assert not any(isinstance(m, nn.BatchNorm2d) for m in DCGANDiscriminator((1, 32, 32), model.d).modules())


def test_unknown_option_and_vector_data_are_user_errors():
    model = generic(widht=8)
    with pytest.raises(GankitError, match="widht"):
        ARCHITECTURES.get("dcgan")(model, (1, 28, 28))
    with pytest.raises(GankitError, match="mlp"):
        ARCHITECTURES.get("dcgan")(generic(), (2,))

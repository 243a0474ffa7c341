"""MLP networks: exact layer shapes of the seed presets, inits, feature layer."""
import math

import torch
from torch import nn

from gankit.config import load_config
from gankit.models.mlp import MLPDiscriminator, MLPGenerator


def linear_shapes(net):
    return [tuple(m.weight.shape) for m in net.modules() if isinstance(m, nn.Linear)]


def test_circle_preset_shapes_match_seed_000():
    cfg = load_config("circle").model
    G, D = MLPGenerator(cfg.latent_dim, (2,), cfg.g), MLPDiscriminator((2,), cfg.d)
    assert linear_shapes(G) == [(32, 3), (16, 32), (2, 16)]
    assert linear_shapes(D) == [(32, 2), (16, 32), (1, 16)]
    assert G(torch.randn(5, 3)).shape == (5, 2) and D(torch.randn(5, 2)).shape == (5,)


def test_he_uniform_bounds_and_zero_bias():
    cfg = load_config("circle").model
    torch.manual_seed(0)
    G = MLPGenerator(3, (2,), cfg.g)
    first = [m for m in G.modules() if isinstance(m, nn.Linear)][0]
    bound = math.sqrt(6 / 3)  # he_uniform: U(±sqrt(6 / fan_in))
    assert first.weight.abs().max() <= bound and first.weight.abs().max() > 0.8 * bound
    assert torch.count_nonzero(first.bias) == 0


def test_feature_layer_and_image_shapes():
    cfg = load_config("circle").model
    cfg.d.feature_dim = 2
    D = MLPDiscriminator((1, 4, 4), cfg.d)
    x = torch.randn(3, 1, 4, 4)
    assert D.features(x).shape == (3, 2) and D(x).shape == (3,)
    G = MLPGenerator(3, (1, 4, 4), cfg.g)
    assert G(torch.randn(3, 3)).shape == (3, 1, 4, 4)

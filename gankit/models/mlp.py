"""Multi-layer perceptron generator and discriminator, for vectors and flattened images.

G: z (N, latent) -> [Linear -> act (-> BN) (-> dropout)] x len(hidden) -> Linear -> out_act -> (N, *shape)
D: x (N, *shape) -> flatten -> [Linear -> act (-> dropout)] x len(hidden) (-> Linear feature_dim)
   -> Linear 1 -> logit (N,)
"""
from __future__ import annotations

import math

from torch import Tensor, nn

from gankit.config import NetConfig
from gankit.models.layers import Dropout, activation, init_weights, maybe_spectral_norm
from gankit.registry import ARCHITECTURES


def _linear(n_in: int, n_out: int, init: str, sn: bool = False) -> nn.Module:
    layer = nn.Linear(n_in, n_out)
    init_weights(layer, init)
    return maybe_spectral_norm(layer, sn)


def _hidden_stack(n_in: int, cfg: NetConfig, batchnorm: bool) -> tuple[nn.Sequential, int]:
    """Hidden layers in the order the seeds' Keras code uses: Dense -> activation -> BatchNorm."""
    layers: list[nn.Module] = []
    for width in cfg.hidden:
        layers.append(_linear(n_in, width, cfg.hidden_init or cfg.init, cfg.spectral_norm))
        layers.append(activation(cfg.activation, cfg.slope))
        if batchnorm:
            layers.append(nn.BatchNorm1d(width, momentum=cfg.bn_momentum, eps=cfg.bn_eps))
        if cfg.dropout > 0:
            layers.append(Dropout(cfg.dropout))
        n_in = width
    return nn.Sequential(*layers), n_in


class MLPGenerator(nn.Module):
    def __init__(self, latent_dim: int, out_shape: tuple[int, ...], cfg: NetConfig):
        super().__init__()
        self.out_shape = tuple(out_shape)
        self.body, width = _hidden_stack(latent_dim, cfg, cfg.batchnorm)
        self.out = _linear(width, math.prod(out_shape), cfg.init, cfg.spectral_norm)
        self.out_act = activation(cfg.out_activation)

    def forward(self, z: Tensor) -> Tensor:
        x = self.out_act(self.out(self.body(z)))
        return x.view(z.shape[0], *self.out_shape)


class MLPDiscriminator(nn.Module):
    def __init__(self, in_shape: tuple[int, ...], cfg: NetConfig):
        super().__init__()
        self.body, width = _hidden_stack(math.prod(in_shape), cfg, cfg.batchnorm)
        # Seed 004 adds a linear 2-unit layer before the logit so D's feature space can be plotted.
        self.feature = _linear(width, cfg.feature_dim, cfg.init, cfg.spectral_norm) if cfg.feature_dim else nn.Identity()
        self.out = _linear(cfg.feature_dim or width, 1, cfg.init, cfg.spectral_norm)

    def features(self, x: Tensor) -> Tensor:
        """D's feature layer: the `feature_dim` layer when there is one, else the last hidden layer."""
        return self.feature(self.body(x.flatten(1)))

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.features(x)).squeeze(1)  # (N,) logits


@ARCHITECTURES.register("mlp", "multi-layer perceptron G and D (vectors or flattened images)")
def build_mlp(model_cfg, data_shape: tuple[int, ...], num_classes: int | None = None) -> dict[str, nn.Module]:
    return {
        "G": MLPGenerator(model_cfg.latent_dim, data_shape, model_cfg.g),
        "D": MLPDiscriminator(data_shape, model_cfg.d),
    }

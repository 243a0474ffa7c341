"""Small pieces every architecture shares: activations and weight initialisation by name."""
from __future__ import annotations

import math

import torch
from torch import nn

from gankit.errors import GankitError


def activation(name: str, slope: float = 0.2) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(slope)
    if name == "tanh":
        return nn.Tanh()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name in ("none", "linear"):
        return nn.Identity()
    raise GankitError(f"unknown activation '{name}'; expected one of: relu, leaky_relu, tanh, sigmoid, none")


INITS = ("glorot", "he_uniform", "normal", "torch")


@torch.no_grad()
def init_weights(layer: nn.Module, scheme: str) -> None:
    """Initialise a Linear/Conv layer in place; biases start at zero (Keras and DCGAN practice)
    except for scheme 'torch', which keeps PyTorch's own default."""
    if scheme == "torch":
        return
    weight = layer.weight
    if scheme == "glorot":      # Keras' default: U(±sqrt(6 / (fan_in + fan_out)))
        nn.init.xavier_uniform_(weight)
    elif scheme == "he_uniform":  # Keras he_uniform: U(±sqrt(6 / fan_in))
        fan_in = weight[0].numel()
        bound = math.sqrt(6.0 / fan_in)
        nn.init.uniform_(weight, -bound, bound)
    elif scheme == "normal":    # DCGAN (Radford et al. 2016): N(0, 0.02)
        nn.init.normal_(weight, 0.0, 0.02)
    else:
        raise GankitError(f"unknown init '{scheme}'; expected one of: {', '.join(INITS)}")
    if getattr(layer, "bias", None) is not None:
        nn.init.zeros_(layer.bias)


def maybe_spectral_norm(layer: nn.Module, enabled: bool) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018): W / sigma_max(W), sigma by power iteration."""
    return nn.utils.parametrizations.spectral_norm(layer) if enabled else layer

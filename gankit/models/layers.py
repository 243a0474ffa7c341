"""Small pieces every architecture shares: activations and weight initialisation by name."""
from __future__ import annotations

import math

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.schema import ACTIVATIONS, INITS


def activation(name: str, slope: float = 0.2) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(slope)
    if name == "tanh":
        return nn.Tanh()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "none":
        return nn.Identity()
    raise GankitError(f"unknown activation '{name}'; expected one of: {', '.join(ACTIVATIONS)}")


class Dropout(nn.Dropout):
    """nn.Dropout whose CPU masks come from `torch.rand` instead of `bernoulli_`.

    Why by hand: torch's CPU `bernoulli_(1 - p)` draws one number at a time: 42 ms for seed 002's
    (256, 64, 14, 14) mask on 2 cores, against 16 ms for `rand` (vectorised), and D draws four such
    masks per training step. The mask is the same Bernoulli(1 - p), P(U >= p) = 1 - p for U ~ U[0, 1),
    with kept values scaled by 1 / (1 - p); only the random numbers differ from nn.Dropout's.
    Other devices (fused kernels there), eval mode and p in {0, 1} keep nn.Dropout's own code."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or x.device.type != "cpu" or not 0.0 < self.p < 1.0 or self.inplace:
            return super().forward(x)
        keep = torch.rand_like(x, dtype=torch.float32) >= self.p  # fp32 draws also under bf16 autocast
        return _KeepAndScale.apply(x, keep, 1.0 / (1.0 - self.p))


class _KeepAndScale(torch.autograd.Function):
    """y = x * keep * scale, and the same for the gradient (saves the 1-byte mask, not a float one)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, keep: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.save_for_backward(keep)
        ctx.scale = scale
        return x.mul(keep).mul_(scale)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (keep,) = ctx.saved_tensors
        return grad.mul(keep).mul_(ctx.scale), None, None  # differentiable ops: double backward works (R1, GP)


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


def net_options(cfg, defaults: dict, net: str) -> dict:
    """`cfg.options` (a NetConfig's free-form options) over `defaults`: known keys only, each an integer
    >= 1; a one-line error naming `model.<net>.options...` otherwise. For nets sized by a few integers
    (the image-to-image nets: width, blocks, d_layers)."""
    unknown = sorted(set(cfg.options) - set(defaults))
    if unknown:
        raise GankitError(f"config key 'model.{net}.options': unknown option(s) {', '.join(unknown)}; "
                          f"expected: {', '.join(defaults)}")
    merged = {**defaults, **cfg.options}
    for key, value in merged.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise GankitError(f"config key 'model.{net}.options.{key}' must be an integer >= 1, got {value!r}")
    return merged


def init_convs(module: nn.Module, scheme: str) -> nn.Module:
    """init_weights on every (transposed) convolution inside `module`; returns it."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            init_weights(m, scheme)
    return module


def receptive_field(net: nn.Sequential) -> int:
    """Side of the input patch one output of a chain of convolutions sees (a PatchGAN's patch):
    r = 1, then r <- r s + (k - s) for each convolution from the output back."""
    r = 1
    for conv in reversed([m for m in net if isinstance(m, nn.Conv2d)]):
        r = r * conv.stride[0] + (conv.kernel_size[0] - conv.stride[0])
    return r

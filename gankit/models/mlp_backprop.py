"""Backpropagation through a plain MLP by hand: the same matmuls autograd runs, without autograd.

Why by hand: on the seeds' toy MLPs (2-32 units, batches of 128-256) every tensor operation takes a
few microseconds, and autograd's bookkeeping around them (graph nodes, saved tensors, the engine
started by each `.backward()`, ~100 us a call on this CPU) costs more than the arithmetic: a toy
GAN iteration is 3 backward passes over ~20 small ops each (benchmarks/RESULTS.md, "Speed").
torch.compile is slower still on the CPU for graphs this small. For a stack of Linear layers and
elementwise activations the backward pass is short enough to write down:

    forward   h_{k+1} = act_k(h_k W_kᵀ + b_k)          (N, out_k)
    backward  g_k  = act_k'(·) ⊙ ∂L/∂h_{k+1}            (the activation's own backward op)
              ∂L/∂W_k = g_kᵀ h_k                        (out_k, in_k): mm(g.t(), h)
              ∂L/∂b_k = Σ_rows g_k                      (out_k,)
              ∂L/∂h_k = g_k W_k                         (N, in_k):     mm(g, W)

These are the calls torch's AddmmBackward0 and the activations' backward kernels make, so the
gradients equal autograd's (tests/models/test_mlp_backprop.py: to 1e-12 in float64, through whole
training steps). `MLPBackprop.of(net)` returns None for anything else (BatchNorm, dropout, spectral
norm, wrappers): callers then use autograd.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gankit.models.mlp import MLPDiscriminator, MLPGenerator

# activation module -> (kind, slope); the backward of each is computed from the layer's output y
_ACTIVATIONS = {nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid",
                nn.Identity: "none"}


class MLPBackprop:
    """Forward with saved activations and backward by hand for an MLPGenerator / MLPDiscriminator.

    layers: [(weight, bias, kind, slope)] in order, the Linear layers' own Parameter objects (which
    Module.to() and load_state_dict keep, changing their data in place); the network's output is the
    last layer's output, reshaped to `out_shape` ((N,) logits for D, (N, *shape) samples for G)."""

    def __init__(self, layers: list[tuple[Tensor, Tensor | None, str, float]], out_shape: tuple[int, ...]):
        self.layers, self.out_shape = layers, out_shape

    @classmethod
    def of(cls, net: nn.Module) -> "MLPBackprop | None":
        if type(net) is MLPGenerator:
            modules, out_shape = [*net.body, net.out, net.out_act], tuple(net.out_shape)
        elif type(net) is MLPDiscriminator:
            modules, out_shape = [*net.body, net.feature, net.out], ()
        else:
            return None
        layers: list[tuple[Tensor, Tensor | None, str, float]] = []
        for m in modules:
            if type(m) is nn.Identity:  # G's linear output, D without a feature layer
                continue
            if type(m) is nn.Linear:
                layers.append((m.weight, m.bias, "none", 0.0))
            elif type(m) in _ACTIVATIONS and layers:
                weight, bias, kind, _ = layers[-1]
                if kind != "none":  # two activations in a row: not a plain Linear/activation stack
                    return None
                slope = m.negative_slope if type(m) is nn.LeakyReLU else 0.0
                if slope < 0:  # the backward below reads the sign of x from the output
                    return None
                layers[-1] = (weight, bias, _ACTIVATIONS[type(m)], slope)
            else:  # BatchNorm, Dropout, spectral norm (a parametrized Linear), anything unknown
                return None
        return cls(layers, out_shape)

    @property
    def piecewise_linear(self) -> bool:
        """relu / leaky relu / linear layers only: the input gradient is locally constant in x, so
        the R1 penalty's gradient has the closed form of `r1_backward`."""
        return all(kind in ("relu", "leaky_relu", "none") for _, _, kind, _ in self.layers)

    def forward(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """(output, saved): saved[k] is the input of layer k, saved[-1] the last layer's output."""
        h = x.flatten(1)
        saved = [h]
        for weight, bias, kind, slope in self.layers:
            h = torch.nn.functional.linear(h, weight, bias)
            if kind == "relu":  # in place: the pre-activation is not needed for the backward pass
                h = torch.relu_(h)
            elif kind == "leaky_relu":
                h = torch.nn.functional.leaky_relu_(h, slope)
            elif kind == "tanh":
                h = torch.tanh_(h)
            elif kind == "sigmoid":
                h = torch.sigmoid_(h)
            saved.append(h)
        n = x.shape[0]
        return h.view(n, *self.out_shape) if self.out_shape else h.view(n), saved

    def backward(self, saved: list[Tensor], grad_out: Tensor, params: bool = True, inputs: bool = False) -> Tensor | None:
        """Backpropagate ∂L/∂output. params: accumulate ∂L/∂W, ∂L/∂b into `.grad` (autograd's rule:
        set when None, else added). inputs: return ∂L/∂x (N, in) (G's update through D)."""
        g = grad_out.reshape(saved[-1].shape)
        for k in range(len(self.layers) - 1, -1, -1):
            weight, bias, kind, slope = self.layers[k]
            g = _activation_backward(g, saved[k + 1], kind, slope)
            if params:
                _accumulate(weight, _weight_grad(g, saved[k]))
                if bias is not None:
                    _accumulate(bias, g.sum(0))
            if k or inputs:
                # one output unit (D's logit): (N, 1) @ (1, in) is an outer product, a broadcast multiply
                g = g * weight if g.shape[1] == 1 else torch.mm(g, weight)
        return g if inputs else None

    def r1_backward(self, saved: list[Tensor], rows: int, scale: float) -> Tensor:
        """Add ∂/∂W of  scale · Σ_i ‖∇ₓ D(x_i)‖²  over the first `rows` samples of a forward pass
        (D's logit per sample, piecewise-linear layers) to the weights' `.grad`; returns ∇ₓ D (rows, in).

        The input gradient is itself a linear network run backwards: with m_k the activation's
        derivative at layer k (a 0/1 or slope mask, constant in the weights),
            u_L = 1,   a_k = m_k ⊙ u_{k+1},   u_k = a_k W_k,   ∇ₓ D = u_0.
        Back-propagating P = scale · Σ ‖u_0‖² through it (δu_0 = 2 · scale · u_0):
            ∂P/∂W_k = a_kᵀ δu_k,   δu_{k+1} = m_k ⊙ (δu_k W_kᵀ).
        Biases get no gradient (they move where the pieces are, not their slopes)."""
        assert self.piecewise_linear, "R1 by hand needs relu / leaky relu / linear layers"
        masks = [y[:rows] for y in saved[1:]]
        u = masks[-1].new_ones(rows, 1)  # ∂ logit / ∂ logit
        a: list[Tensor] = [u] * len(self.layers)
        for k in range(len(self.layers) - 1, -1, -1):
            weight, _, kind, slope = self.layers[k]
            a[k] = _activation_backward(u, masks[k], kind, slope)
            u = torch.mm(a[k], weight)
        grad_x = u  # (rows, in)
        delta = grad_x * (2.0 * scale)
        for k, (weight, _, kind, slope) in enumerate(self.layers):
            _accumulate(weight, torch.mm(a[k].t(), delta))
            if k + 1 < len(self.layers):
                delta = _activation_backward(torch.mm(delta, weight.t()), masks[k], kind, slope)
        return grad_x


def _activation_backward(g: Tensor, y: Tensor, kind: str, slope: float) -> Tensor:
    """∂L/∂(pre-activation) from ∂L/∂y and the activation's output y (autograd's own kernels)."""
    if kind == "relu":
        return torch.ops.aten.threshold_backward(g, y, 0)
    if kind == "leaky_relu":  # sign(y) = sign(x) for slope > 0
        return torch.ops.aten.leaky_relu_backward(g, y, slope, True)
    if kind == "tanh":
        return torch.ops.aten.tanh_backward(g, y)
    if kind == "sigmoid":
        return torch.ops.aten.sigmoid_backward(g, y)
    return g


def _weight_grad(g: Tensor, h: Tensor) -> Tensor:
    """gᵀh (out, in). MKL is ~2x faster on these shapes with the small side as the product's rows,
    so a layer with fewer inputs than outputs (2-D data, a 2-D latent) computes (hᵀg)ᵀ instead."""
    if h.shape[1] < g.shape[1]:
        return torch.mm(h.t(), g).t().contiguous()
    return torch.mm(g.t(), h)


def _accumulate(p: Tensor, grad: Tensor) -> None:
    if p.grad is None:
        p.grad = grad
    else:
        p.grad.add_(grad)

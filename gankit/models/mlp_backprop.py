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
training steps). A BatchNorm after the activation (seed 001's G) goes through torch's own
`native_batch_norm` and `native_batch_norm_backward` kernels, as autograd would call them.
`MLPBackprop.of(net)` returns None for anything else (dropout, spectral norm, wrappers): callers
then use autograd.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from gankit.models.mlp import MLPDiscriminator, MLPGenerator

# activation module -> (kind, slope); the backward of each is computed from the layer's output y
_ACTIVATIONS = {nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid",
                nn.Identity: "none"}


class Layer(NamedTuple):
    weight: Tensor               # the Linear's own Parameter objects: Module.to() and load_state_dict
    bias: Tensor | None          # keep them (they change the data in place)
    kind: str                    # activation: relu | leaky_relu | tanh | sigmoid | none
    slope: float                 # leaky relu's negative slope
    bn: nn.BatchNorm1d | None    # BatchNorm after the activation (Keras order: Dense -> act -> BN)


class Tape(NamedTuple):
    """What a forward pass keeps for its backward pass."""
    inputs: list[Tensor]         # each layer's input (N, in_k)
    acts: list[Tensor]           # each layer's activation output (N, out_k): its BatchNorm's input
    stats: list[tuple | None]    # each BatchNorm's (batch mean, 1/std) from the forward pass


class MLPBackprop:
    """Forward with a tape and backward by hand for an MLPGenerator / MLPDiscriminator. The
    network's output is the last layer's, reshaped to `out_shape` ((N,) logits for D, (N, *shape)
    samples for G)."""

    def __init__(self, layers: list[Layer], out_shape: tuple[int, ...]):
        self.layers, self.out_shape = layers, out_shape

    @classmethod
    def of(cls, net: nn.Module) -> "MLPBackprop | None":
        if type(net) is MLPGenerator:
            modules, out_shape = [*net.body, net.out, net.out_act], tuple(net.out_shape)
        elif type(net) is MLPDiscriminator:
            modules, out_shape = [*net.body, net.feature, net.out], ()
        else:
            return None
        layers: list[Layer] = []
        for m in modules:
            if type(m) is nn.Identity:  # G's linear output, D without a feature layer
                continue
            if type(m) is nn.Linear:
                layers.append(Layer(m.weight, m.bias, "none", 0.0, None))
            elif type(m) in _ACTIVATIONS and layers and layers[-1].kind == "none" and layers[-1].bn is None:
                slope = m.negative_slope if type(m) is nn.LeakyReLU else 0.0
                if slope < 0:  # the backward reads the sign of x from the output
                    return None
                layers[-1] = layers[-1]._replace(kind=_ACTIVATIONS[type(m)], slope=slope)
            elif type(m) is nn.BatchNorm1d and layers and layers[-1].bn is None:
                layers[-1] = layers[-1]._replace(bn=m)
            else:  # dropout, spectral norm (a parametrized Linear), two activations in a row, anything unknown
                return None
        return cls(layers, out_shape)

    @property
    def piecewise_linear(self) -> bool:
        """relu / leaky relu / linear layers without BatchNorm: the input gradient is locally constant
        in x and per sample, so the R1 penalty's gradient has the closed form of `r1_backward`."""
        return all(layer.kind in ("relu", "leaky_relu", "none") and layer.bn is None for layer in self.layers)

    def forward(self, x: Tensor) -> tuple[Tensor, Tape]:
        h = x.flatten(1)
        tape = Tape([], [], [])
        for weight, bias, kind, slope, bn in self.layers:
            tape.inputs.append(h)
            h = torch.nn.functional.linear(h, weight, bias)
            if kind == "relu":  # in place: the pre-activation is not needed for the backward pass
                h = torch.relu_(h)
            elif kind == "leaky_relu":
                h = torch.nn.functional.leaky_relu_(h, slope)
            elif kind == "tanh":
                h = torch.tanh_(h)
            elif kind == "sigmoid":
                h = torch.sigmoid_(h)
            tape.acts.append(h)
            stats = None
            if bn is not None:
                h, *stats = _batch_norm(bn, h)
            tape.stats.append(stats)
        n = x.shape[0]
        return (h.view(n, *self.out_shape) if self.out_shape else h.view(n)), tape

    def backward(self, tape: Tape, grad_out: Tensor, params: bool = True, inputs: bool = False) -> Tensor | None:
        """Backpropagate ∂L/∂output. params: accumulate ∂L/∂W, ∂L/∂b (and BatchNorm's γ, β) into
        `.grad` (autograd's rule: set when None, else added). inputs: return ∂L/∂x (N, in)."""
        g = grad_out.reshape(tape.acts[-1].shape)
        for k in range(len(self.layers) - 1, -1, -1):
            weight, bias, kind, slope, bn = self.layers[k]
            if bn is not None:
                g = _batch_norm_backward(bn, g, tape.acts[k], tape.stats[k], params)
            g = _activation_backward(g, tape.acts[k], kind, slope)
            if params:
                _accumulate(weight, _weight_grad(g, tape.inputs[k]))
                if bias is not None:
                    _accumulate(bias, g.sum(0))
            if k or inputs:
                # one output unit (D's logit): (N, 1) @ (1, in) is an outer product, a broadcast multiply
                g = g * weight if g.shape[1] == 1 else torch.mm(g, weight)
        return g if inputs else None

    def r1_backward(self, tape: Tape, rows: int, scale: float) -> Tensor:
        """Add ∂/∂W of  scale · Σ_i ‖∇ₓ D(x_i)‖²  over the first `rows` samples of a forward pass
        (D's logit per sample, piecewise-linear layers) to the weights' `.grad`; returns ∇ₓ D (rows, in).

        The input gradient is itself a linear network run backwards: with m_k the activation's
        derivative at layer k (a 0/1 or slope mask, constant in the weights),
            u_L = 1,   a_k = m_k ⊙ u_{k+1},   u_k = a_k W_k,   ∇ₓ D = u_0.
        Back-propagating P = scale · Σ ‖u_0‖² through it (δu_0 = 2 · scale · u_0):
            ∂P/∂W_k = a_kᵀ δu_k,   δu_{k+1} = m_k ⊙ (δu_k W_kᵀ).
        Biases get no gradient (they move where the pieces are, not their slopes)."""
        assert self.piecewise_linear, "R1 by hand needs relu / leaky relu / linear layers without BatchNorm"
        masks = [y[:rows] for y in tape.acts]
        u = masks[-1].new_ones(rows, 1)  # ∂ logit / ∂ logit
        a: list[Tensor] = [u] * len(self.layers)
        for k in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[k]
            a[k] = _activation_backward(u, masks[k], layer.kind, layer.slope)
            u = torch.mm(a[k], layer.weight)
        grad_x = u  # (rows, in)
        delta = grad_x * (2.0 * scale)
        for k, layer in enumerate(self.layers):
            _accumulate(layer.weight, torch.mm(a[k].t(), delta))
            if k + 1 < len(self.layers):
                delta = _activation_backward(torch.mm(delta, layer.weight.t()), masks[k], layer.kind, layer.slope)
        return grad_x


def _batch_norm(bn: nn.BatchNorm1d, h: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(output, batch mean, 1/std) as nn.BatchNorm1d.forward computes them, running statistics updated."""
    momentum = 0.0 if bn.momentum is None else bn.momentum
    if bn.training and bn.track_running_stats:
        bn.num_batches_tracked.add_(1)
        if bn.momentum is None:  # cumulative moving average
            momentum = 1.0 / float(bn.num_batches_tracked)
    batch_stats = bn.training or not bn.track_running_stats
    return torch.ops.aten.native_batch_norm(h, bn.weight, bn.bias, bn.running_mean, bn.running_var,
                                            batch_stats, momentum, bn.eps)


def _batch_norm_backward(bn: nn.BatchNorm1d, g: Tensor, h: Tensor, stats: list[Tensor], params: bool) -> Tensor:
    """∂L/∂(BatchNorm input) — through the batch statistics too — and γ, β's gradients."""
    mean, invstd = stats
    affine = params and bn.weight is not None
    batch_stats = bn.training or not bn.track_running_stats
    grad_in, grad_w, grad_b = torch.ops.aten.native_batch_norm_backward(
        g, h, bn.weight, bn.running_mean, bn.running_var, mean, invstd, batch_stats, bn.eps, [True, affine, affine])
    if affine:
        _accumulate(bn.weight, grad_w)
        _accumulate(bn.bias, grad_b)
    return grad_in


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

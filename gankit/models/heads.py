"""Heads that share D's body: the InfoGAN Q network and the AC-GAN classifier.

An architecture's D exposes `features(x)` (N, F) and its output layer `out`, with
D(x) = out(features(x)) (mlp and dcgan do). `HeadedDiscriminator` checks that promise once, on a
fixed probe input, and then gets D's logit, features and head outputs from ONE pass through the
body; for a D that does not keep it, it falls back to two passes (correct, just slower). The head
lives inside the D module, so D's optimizer trains it and `forward` is the only entry point
(DistributedDataParallel only synchronises gradients of what goes through forward).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gankit.errors import GankitError


def _probe(shape: tuple[int, ...]) -> Tensor:
    """Two deterministic inputs (no RNG draw, so building a model never shifts the training stream)."""
    count = 2 * int(torch.tensor(shape).prod())
    return torch.linspace(-1.0, 1.0, count).view(2, *shape)


@torch.no_grad()
def feature_width(D: nn.Module, shape: tuple[int, ...]) -> int:
    """F, the width of D.features(x).flatten(1)."""
    if not hasattr(D, "features"):
        raise GankitError(f"this algorithm needs a discriminator with a features(x) method; "
                          f"{type(D).__name__} has none")
    was = D.training
    D.eval()
    try:
        return D.features(_probe(shape)).flatten(1).shape[1]
    finally:
        D.train(was)


@torch.no_grad()
def splits_into_body_and_out(D: nn.Module, shape: tuple[int, ...]) -> bool:
    """True when D(x) == out(features(x)) (in eval mode, so dropout and BN are deterministic)."""
    if not (hasattr(D, "features") and isinstance(getattr(D, "out", None), nn.Module)):
        return False
    was = D.training
    D.eval()
    try:
        x = _probe(shape)
        return torch.allclose(D.out(D.features(x)).reshape(len(x)), D(x), atol=1e-6)
    except RuntimeError:  # `out` does not take the features as they come
        return False
    finally:
        D.train(was)


class AuxHead(nn.Module):
    """A small MLP on D's features: F -> hidden -> LeakyReLU(0.1) -> outputs.
    InfoGAN's Q is 'one final fully connected layer' on D's shared body (Chen et al. 2016, sec. 6);
    the hidden layer follows their MNIST network (FC 128, leaky ReLU 0.1), without BatchNorm so that
    it can sit on a gradient-penalised critic."""

    def __init__(self, in_features: int, outputs: int, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_features, hidden), nn.LeakyReLU(0.1), nn.Linear(hidden, outputs))

    def forward(self, features: Tensor) -> Tensor:
        return self.net(features)  # (N, outputs)


class HeadedDiscriminator(nn.Module):
    """D(x) -> logits (N,), as the wrapped D; D(x, with_aux=True) -> (logits (N,), head(features) (N, K))."""

    def __init__(self, inner: nn.Module, shape: tuple[int, ...], outputs: int):
        super().__init__()
        self.inner = inner
        self.head = AuxHead(feature_width(inner, shape), outputs)
        self.one_pass = splits_into_body_and_out(inner, shape)

    def features(self, x: Tensor) -> Tensor:
        return self.inner.features(x)

    def forward(self, x: Tensor, with_aux: bool = False):
        if not with_aux:
            return self.inner(x)
        if self.one_pass:
            f = self.inner.features(x)
            logits = self.inner.out(f).reshape(len(x))
        else:
            logits, f = self.inner(x), self.inner.features(x)
        return logits, self.head(f.flatten(1))

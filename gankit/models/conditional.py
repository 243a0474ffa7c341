"""Class-conditional G and D around any registered architecture (cgan, acgan).

G(z, y) = G_arch([z, e(y)]): the label's embedding (one-hot, or a learned vector) is appended to
the noise (Mirza & Osindero 2014), so G_arch is simply built for a wider latent.
D(x, y), two ways:
  concat      D_arch([x, onehot(y)]): K extra input features (vectors) or K constant channels
              (images), so D_arch is built for the wider input (Mirza & Osindero 2014).
  projection  D(x, y) = ψ(φ(x)) + <V e_y, φ(x)> (Miyato & Koyama 2018, eq. 3): the class enters as
              an inner product with D's features φ, a row V_y of a learned (K, F) table.
A missing y (None) means "no class": G cycles through the classes (0, 1, ..., K-1, 0, ...) so that
fixed-noise grids are comparable across evaluations, and D scores without the class term (concat:
all-zero label channels). Generic hooks that call G(z) or D(x) therefore keep working.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gankit.models.heads import feature_width, splits_into_body_and_out
from gankit.models.layers import maybe_spectral_norm
from gankit.models.wrappers import WrappedDiscriminator, packed_shape
from gankit.registry import ARCHITECTURES


def cycling_labels(n: int, num_classes: int, device: torch.device) -> Tensor:
    return torch.arange(n, device=device) % num_classes  # (N,)


class LabelEmbedding(nn.Module):
    """y (N,) -> (N, E): one-hot when `embed_dim` is None (E = K), else a learned table."""

    def __init__(self, num_classes: int, embed_dim: int | None):
        super().__init__()
        self.num_classes = num_classes
        self.dim = embed_dim or num_classes
        self.table = nn.Embedding(num_classes, embed_dim) if embed_dim else None

    def forward(self, y: Tensor) -> Tensor:
        if self.table is None:
            return F.one_hot(y.long(), self.num_classes).float()
        return self.table(y.long())


class ConditionalGenerator(nn.Module):
    def __init__(self, inner: nn.Module, num_classes: int, embed_dim: int | None):
        super().__init__()
        self.inner, self.num_classes = inner, num_classes
        self.embed = LabelEmbedding(num_classes, embed_dim)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        y = cycling_labels(len(z), self.num_classes, z.device) if y is None else y
        return self.inner(torch.cat([z, self.embed(y).to(z.dtype)], dim=1))  # (N, latent + E) -> (N, *shape)


def label_maps(y: Tensor | None, n: int, num_classes: int, like: Tensor) -> Tensor:
    """One-hot labels shaped like extra input features: (N, K) or (N, K, H, W); zeros when y is None."""
    if y is None:
        onehot = like.new_zeros(n, num_classes)
    else:
        onehot = F.one_hot(y.long(), num_classes).to(like.dtype)
    onehot = onehot.view(n, num_classes, *([1] * (like.dim() - 2)))
    return onehot.expand(n, num_classes, *like.shape[2:])


class ConcatDiscriminator(nn.Module):
    def __init__(self, inner: nn.Module, num_classes: int):
        super().__init__()
        self.inner, self.num_classes = inner, num_classes

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.inner(torch.cat([x, label_maps(y, len(x), self.num_classes, x)], dim=1))  # (N,)


class ProjectionDiscriminator(nn.Module):
    def __init__(self, inner: nn.Module, shape: tuple[int, ...], num_classes: int, spectral_norm: bool):
        super().__init__()
        self.inner = inner
        self.one_pass = splits_into_body_and_out(inner, shape)
        self.embed = nn.Embedding(num_classes, feature_width(inner, shape))  # V: (K, F)
        nn.init.xavier_uniform_(self.embed.weight)
        self.embed = maybe_spectral_norm(self.embed, spectral_norm)  # SNGAN normalises V as well

    def features(self, x: Tensor) -> Tensor:
        return self.inner.features(x)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        if self.one_pass:
            phi = self.inner.features(x)
            psi = self.inner.out(phi).reshape(len(x))
        else:
            psi, phi = self.inner(x), self.inner.features(x)
        if y is None:
            return psi
        return psi + (self.embed(y.long()) * phi.flatten(1)).sum(dim=1)  # ψ(φ) + <V_y, φ>, (N,)


def conditional_generator(model_cfg, data_shape: tuple[int, ...], num_classes: int) -> ConditionalGenerator:
    """G of the architecture named by `model_cfg.arch` (looked up by name at build time, so every
    registered architecture works unchanged), built for the latent widened by the label embedding."""
    build = ARCHITECTURES.get(model_cfg.arch, "model.arch")
    embed_dim = model_cfg.cond.embed_dim
    g_cfg = copy.deepcopy(model_cfg)
    g_cfg.latent_dim = model_cfg.latent_dim + (embed_dim or num_classes)
    return ConditionalGenerator(build(g_cfg, data_shape, num_classes)["G"], num_classes, embed_dim)


def plain_discriminator(model_cfg, shape: tuple[int, ...], num_classes: int | None,
                        minibatch_std: bool = False) -> nn.Module:
    """The architecture's D for inputs of `shape`, with the minibatch-stddev feature when asked."""
    build = ARCHITECTURES.get(model_cfg.arch, "model.arch")
    inner = build(model_cfg, packed_shape(shape, 1, minibatch_std), num_classes)["D"]
    return WrappedDiscriminator(inner, minibatch_std=True) if minibatch_std else inner


def build_conditional(model_cfg, data_shape: tuple[int, ...], num_classes: int, d_mode: str,
                      minibatch_std: bool = False) -> dict[str, nn.Module]:
    """Conditional G and D (d_mode: projection | concat)."""
    G = conditional_generator(model_cfg, data_shape, num_classes)
    if d_mode == "concat":
        shape = (data_shape[0] + num_classes,) + tuple(data_shape[1:])
        D = ConcatDiscriminator(plain_discriminator(model_cfg, shape, num_classes, minibatch_std), num_classes)
    else:
        inner = plain_discriminator(model_cfg, tuple(data_shape), num_classes, minibatch_std)
        D = ProjectionDiscriminator(inner, tuple(data_shape), num_classes, model_cfg.d.spectral_norm)
    return {"G": G, "D": D}

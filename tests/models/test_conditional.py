"""Conditional wrappers: embeddings, label maps, the projection formula of Miyato & Koyama."""
import torch
import torch.nn.functional as F

from gankit.config import ModelConfig
from gankit.models.conditional import (ConditionalGenerator, LabelEmbedding, ProjectionDiscriminator, build_conditional,
                                       label_maps)
from gankit.models.mlp import build_mlp


def test_one_hot_and_learned_embeddings():
    y = torch.tensor([2, 0])
    assert torch.equal(LabelEmbedding(3, None)(y), F.one_hot(y, 3).float())
    learned = LabelEmbedding(3, 5)
    assert learned(y).shape == (2, 5) and learned.dim == 5


def test_label_maps_for_vectors_and_images():
    y = torch.tensor([1, 0])
    assert torch.equal(label_maps(y, 2, 3, torch.zeros(2, 4)), F.one_hot(y, 3).float())
    maps = label_maps(y, 2, 3, torch.zeros(2, 1, 4, 4))
    assert maps.shape == (2, 3, 4, 4) and maps[0, 1].min() == 1 and maps[0, 0].max() == 0
    assert label_maps(None, 2, 3, torch.zeros(2, 4)).abs().sum() == 0


def test_projection_is_psi_plus_inner_product():
    inner = build_mlp(ModelConfig(), (2,))["D"]
    D = ProjectionDiscriminator(inner, (2,), num_classes=3, spectral_norm=False)
    x, y = torch.randn(5, 2), torch.tensor([0, 1, 2, 1, 0])
    phi = inner.features(x)
    want = inner(x) + (D.embed.weight[y] * phi).sum(1)  # ψ(φ(x)) + <V_y, φ(x)>
    assert torch.allclose(D(x, y), want, atol=1e-6)
    assert torch.allclose(D(x), inner(x)), "no label: no class term"


def test_generator_appends_the_embedding_and_cycles_without_labels():
    seen = []
    inner = build_mlp(ModelConfig(latent_dim=5), (2,))["G"]
    inner.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    G = ConditionalGenerator(inner, num_classes=2, embed_dim=None)
    G(torch.zeros(3, 3))
    assert torch.equal(seen[-1][:, 3:], torch.tensor([[1.0, 0], [0, 1], [1, 0]]))


def test_build_conditional_sizes():
    nets = build_conditional(ModelConfig(latent_dim=4), (2,), num_classes=3, d_mode="concat")
    assert nets["G"].inner.body[0].in_features == 4 + 3 and nets["D"].inner.body[0].in_features == 2 + 3
    nets = build_conditional(ModelConfig(latent_dim=4), (2,), num_classes=3, d_mode="projection", minibatch_std=True)
    assert nets["D"].inner.inner.body[0].in_features == 2 + 1  # the stddev feature
    assert nets["D"](torch.randn(4, 2), torch.zeros(4).long()).shape == (4,)

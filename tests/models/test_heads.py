"""Heads on D's body: the one-pass split is detected, and the fallback gives the same answer."""
import torch
from torch import nn

from gankit.config import ModelConfig
from gankit.models.heads import HeadedDiscriminator, feature_width, splits_into_body_and_out
from gankit.models.mlp import build_mlp


class OddD(nn.Module):
    """A D whose output is NOT out(features(x)): the head must fall back to two passes."""

    def __init__(self):
        super().__init__()
        self.body, self.out = nn.Linear(2, 4), nn.Linear(4, 1)

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.out(torch.relu(self.body(x))).squeeze(1) * 2


def test_mlp_splits_and_the_odd_d_does_not():
    D = build_mlp(ModelConfig(), (2,))["D"]
    assert splits_into_body_and_out(D, (2,)) and feature_width(D, (2,)) == 16
    assert not splits_into_body_and_out(OddD(), (2,))


def test_headed_d_matches_the_wrapped_d_either_way():
    for inner in (build_mlp(ModelConfig(), (2,))["D"], OddD()):
        D = HeadedDiscriminator(inner, (2,), outputs=5)
        x = torch.randn(6, 2)
        logits, aux = D(x, with_aux=True)
        assert torch.allclose(logits, inner(x), atol=1e-6) and aux.shape == (6, 5)
        assert torch.allclose(aux, D.head(inner.features(x)), atol=1e-6)

"""Image metrics of a run: metric names, pixel quantisation, scores from features, setup records."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from gankit.errors import GankitError
from gankit.features import Features, get_extractor
from gankit.metrics import fid, kid
from gankit.metrics.image import (DEFAULT_METRICS, DEFAULT_N, PARAMS, choose, comparable, parse_metrics,
                                  sample_pixels, sample_size, score_features, setup_record, to_pixels)
from tests.progress_recorder import record_progress


def test_metric_names_aliases_and_order():
    assert parse_metrics(None) == list(DEFAULT_METRICS)
    assert parse_metrics("is, fid,prdc") == ["fid", "pr", "dc", "is"]
    assert parse_metrics(["memorisation", "precision-recall"]) == ["pr", "nn"]
    assert parse_metrics([]) == []
    with pytest.raises(GankitError, match="unknown image metric 'lpips'"):
        parse_metrics("fid,lpips")


def test_to_pixels_rounds_and_clamps_like_a_png():
    x = torch.tensor([-3.0, 0.4, 0.5, 127.49, 254.6, 300.0]).view(1, 1, 1, 6)
    assert to_pixels(x).flatten().tolist() == [0, 0, 0, 127, 255, 255]
    assert to_pixels(x).dtype == torch.uint8


def test_choose_is_a_seeded_subset_without_repeats():
    images = torch.arange(50).view(50, 1, 1, 1)
    a, b, c = choose(images, 20, seed=1), choose(images, 20, seed=1), choose(images, 20, seed=2)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert len(set(a.flatten().tolist())) == 20
    assert len(choose(images, 80, seed=0)) == 50  # never more than there is


def _features(n: int, seed: int, shift: float = 0.0, classes: int = 4) -> Features:
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, classes)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return Features(rng.standard_normal((n, 6)).astype(np.float32) + shift, probs)


def test_scores_follow_the_metric_functions_and_paper_settings():
    real, fake = _features(300, 0), _features(300, 1, shift=0.5)
    scores = score_features(real, fake, ["fid", "kid", "pr", "dc", "is", "nn"], seed=3, train=real.features)
    assert scores["fid"] == pytest.approx(fid(real.features, fake.features))
    assert (scores["kid"], scores["kid_std"]) == pytest.approx(kid(real.features, fake.features, n_subsets=1, seed=3))
    assert set(scores) == {"fid", "kid", "kid_std", "precision", "recall", "density", "coverage", "is", "is_std",
                           "nn_min", "nn_median", "nn_mean"}
    assert 1.0 <= scores["is"] <= 4.0
    same = score_features(real, real, ["fid", "pr", "nn"], train=real.features)
    assert same["fid"] == pytest.approx(0.0, abs=1e-9) and same["precision"] == same["recall"] == 1.0
    assert same["nn_mean"] == pytest.approx(0.0, abs=1e-6)  # every fake is a training row


def test_kid_uses_many_subsets_only_when_the_sets_exceed_one_subset(monkeypatch):
    import gankit.metrics.image as image

    monkeypatch.setitem(image.PARAMS, "kid_subset_size", 40)  # the paper's 1000 would take seconds here
    real, fake = _features(60, 0), _features(60, 1)
    scores = score_features(real, fake, ["kid"], seed=0)
    assert scores["kid_std"] > 0  # 100 different subsets, a spread
    assert scores["kid"] == pytest.approx(kid(real.features, fake.features, n_subsets=100, subset_size=40)[0])
    assert score_features(_features(40, 0), _features(40, 1), ["kid"])["kid_std"] == 0.0  # one whole-set estimate


def test_inception_score_needs_class_probabilities():
    no_classes = Features(np.zeros((10, 3), np.float32), None)
    with pytest.raises(GankitError, match="needs an extractor with class probabilities"):
        score_features(no_classes, no_classes, ["is"])


def test_setups_that_differ_are_not_comparable():
    pixels = get_extractor("pixels")
    a = setup_record(pixels, data="fashion-mnist", reference="train", source="x", n_real=100, n_fake=100,
                     image_shape=(1, 28, 28), seed=0)
    assert comparable(a, dict(a)) == []
    assert comparable(a, {**a, "n_fake": 200}) == ["n_fake"]
    assert comparable(a, {**a, "reference": "test", "weights_sha256": "ab"}) == ["weights_sha256", "reference"]
    assert a["params"] == PARAMS and a["features"] == "pixels"


class _FakeGenerator:
    """Generator-shaped: latent from a torch.Generator, samples in data units (a float ramp of z)."""

    def __init__(self):
        self.algo = SimpleNamespace(latent_on_cpu=lambda n, g: torch.randn(n, 4, generator=g))
        self.calls = []

    def sample(self, n, z=None):
        self.calls.append(n)
        return (z.mean(1) * 60 + 128).view(n, 1, 1, 1).expand(n, 1, 3, 3)


def test_sample_pixels_is_reproducible_batched_and_uint8(monkeypatch):
    import gankit.metrics.image as image

    monkeypatch.setattr(image, "SAMPLE_BATCH", 4)
    gen = _FakeGenerator()
    a, b = sample_pixels(gen, 10, seed=5), sample_pixels(gen, 10, seed=5)
    assert a.dtype == torch.uint8 and a.shape == (10, 1, 3, 3) and torch.equal(a, b)
    assert gen.calls == [4, 4, 2, 4, 4, 2]
    assert not torch.equal(a, sample_pixels(gen, 10, seed=6))


def test_sample_pixels_reports_progress_when_asked(monkeypatch):
    import gankit.metrics.image as image

    seen = record_progress(monkeypatch)
    monkeypatch.setattr(image, "SAMPLE_BATCH", 4)
    sample_pixels(_FakeGenerator(), 10, seed=5, progress=True)
    assert seen == [(10, True, "generate"), (4, []), (8, []), (10, [])]


def test_sample_size_is_the_default_or_all_there_are_and_never_more_than_asked_can_be_met():
    assert sample_size(None, 10 * DEFAULT_N, "x") == DEFAULT_N
    assert sample_size(None, 60, "x") == 60  # a small folder: as many generated as real images
    assert sample_size(60, 60, "x") == 60
    with pytest.raises(GankitError, match=r"--n 61 is more than the 60 real images of the train split; expected"):
        sample_size(61, 60, "the train split")  # was: 60 real scored against 61 generated, silently

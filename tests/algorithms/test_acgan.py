"""AC-GAN: a class head on D's body, its cross-entropy in both steps."""
import pytest
import torch
import torch.nn.functional as F

from gankit.models.heads import HeadedDiscriminator
from tests.algorithms.helpers import IMAGE, LABELLED, batch_for, make


def test_d_has_a_class_head_and_scores_without_labels():
    algo = make("acgan", LABELLED)
    D = algo.nets["D"]
    assert isinstance(D, HeadedDiscriminator)
    logits, classes = D(torch.randn(5, 2), with_aux=True)
    assert logits.shape == (5,) and classes.shape == (5, 3)
    assert D(torch.randn(5, 2)).shape == (5,)  # hooks call D(x): the real/fake logit only


def test_class_loss_is_cross_entropy_on_real_and_fake():
    algo = make("acgan", LABELLED, "loss.aux_weight=2")
    batch = {**batch_for(LABELLED), "z": algo.latent(8)}
    with torch.no_grad():
        D = algo.nets["D"]
        fake = algo.nets["G"](batch["z"], batch["label"])  # fakes carry the real batch's labels
        want = 2 * (F.cross_entropy(D(batch["real"], with_aux=True)[1], batch["label"])
                    + F.cross_entropy(D(fake, with_aux=True)[1], batch["label"]))
    stats = algo.d_step(batch)
    assert stats["d_cls"].item() == pytest.approx(want.item(), rel=1e-5)
    assert "g_cls" in algo.g_step(batch)


def test_conditional_sampling_on_images():
    algo = make("acgan", IMAGE)
    assert algo.sample(3, label=1).shape == (3, 1, 8, 8)
    assert algo.sample_per_class(2).shape == (8, 1, 8, 8)

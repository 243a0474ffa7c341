"""Conditional GAN: the requested labels reach G, D is conditioned, per-class samples, errors."""
import pytest
import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from gankit.models.conditional import ConcatDiscriminator, ProjectionDiscriminator
from gankit.models.dcgan import DCGANGenerator
from tests.algorithms.helpers import IMAGE, LABELLED, VECTOR, batch_for, make

LATENT = 3  # the circle preset's latent_dim


def g_inputs(algo):
    """Record what the architecture's G (inside the conditional wrapper) receives."""
    seen = []
    inner = algo.nets["G"].inner
    inner.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    return seen


def test_sample_with_a_label_feeds_that_class_to_g():
    algo = make("cgan", LABELLED)
    seen = g_inputs(algo)
    x = algo.sample(6, label=2)
    assert x.shape == (6, 2)
    assert seen[-1].shape == (6, LATENT + 3)
    assert torch.equal(seen[-1][:, LATENT:], F.one_hot(torch.full((6,), 2), 3).float())
    algo.sample(3, label=torch.tensor([0, 2, 1]))
    assert seen[-1][:, LATENT:].argmax(1).tolist() == [0, 2, 1]
    algo.sample(4)  # no label: the classes in turn
    assert seen[-1][:, LATENT:].argmax(1).tolist() == [0, 1, 2, 0]


def test_the_label_changes_the_sample():
    algo = make("cgan", LABELLED)
    z = algo.latent(5)
    assert not torch.allclose(algo.sample(5, z=z, label=0), algo.sample(5, z=z, label=1))
    assert torch.equal(algo.sample(5, z=z, label=1), algo.sample(5, z=z, label=1))


def test_per_class_samples_share_noise_down_each_column():
    algo = make("cgan", LABELLED)
    seen = g_inputs(algo)
    x = algo.sample_per_class(4)
    assert x.shape == (12, 2)
    inputs = seen[-1]
    assert inputs[:, LATENT:].argmax(1).tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert torch.equal(inputs[:4, :LATENT], inputs[4:8, :LATENT])


def test_d_is_conditioned_and_fakes_carry_the_real_labels():
    algo = make("cgan", LABELLED)
    assert isinstance(algo.nets["D"], ProjectionDiscriminator)
    x = torch.randn(4, 2)
    assert not torch.allclose(algo.nets["D"](x, torch.zeros(4, dtype=torch.long)),
                              algo.nets["D"](x, torch.ones(4, dtype=torch.long)))
    batch = batch_for(LABELLED)
    _, labels = algo.generate(8, batch, None, grad=False)
    assert torch.equal(labels, batch["label"])
    _, labels = algo.generate(5, batch, None, grad=False)  # another size: fresh random labels
    assert labels.shape == (5,) and labels.max() < 3


def test_concat_mode_widens_d_input_by_the_classes():
    algo = make("cgan", LABELLED, "model.cond.d_mode=concat", "model.cond.embed_dim=5")
    D = algo.nets["D"]
    assert isinstance(D, ConcatDiscriminator) and D.inner.body[0].in_features == 2 + 3
    assert algo.nets["G"].inner.body[0].in_features == LATENT + 5  # a learned 5-wide embedding
    stats = {**algo.d_step(batch_for(LABELLED)), **algo.g_step(batch_for(LABELLED))}
    assert all(torch.isfinite(v) for v in stats.values())


def test_conditional_dcgan_wraps_the_registered_architecture():
    algo = make("cgan", IMAGE, "model.arch=dcgan", "model.g.options={width: 4}", "model.d.options={width: 4}")
    assert isinstance(algo.nets["G"].inner, DCGANGenerator)
    assert algo.nets["G"].inner.net[0].in_features == LATENT + 4
    assert algo.sample(2, label=3).shape == (2, 1, 8, 8)
    stats = {**algo.d_step(batch_for(IMAGE)), **algo.g_step(batch_for(IMAGE))}
    assert all(torch.isfinite(v) for v in stats.values())


def test_clear_errors():
    with pytest.raises(GankitError, match="labelled data"):
        make("cgan", VECTOR)
    with pytest.raises(GankitError, match="reg.pack"):
        make("cgan", LABELLED, "reg.pack=2")
    with pytest.raises(GankitError, match="0..2"):
        make("cgan", LABELLED).sample(2, label=3)


def test_extra_figures_write_a_per_class_picture(tmp_path):
    make("cgan", LABELLED).extra_figures(7, tmp_path)
    make("cgan", IMAGE).extra_figures(7, tmp_path / "img")
    assert (tmp_path / "samples" / "classes_000007.png").stat().st_size > 0
    assert (tmp_path / "img" / "samples" / "classes_000007.png").stat().st_size > 0

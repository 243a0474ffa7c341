"""EMA of G, instance noise, DiffAugment wiring and the update counter, through a real recipe."""
import copy

import pytest
import torch
from torch import nn

from gankit.algorithms.stabilisers import ema_update_, make_ema, noise_sigma
from gankit.errors import GankitError
from gankit.train import checkpoint as ckpt
from tests.algorithms.helpers import IMAGE, VECTOR, batch_for, make


def test_ema_update_formula_is_exact():
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    ema = make_ema(net)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
        net[1].running_mean.fill_(7.0)
    before = [p.clone() for p in ema.parameters()]
    ema_update_(ema, net, beta=0.75)
    for old, new, p in zip(before, ema.parameters(), net.parameters()):
        assert torch.allclose(new, 0.75 * old + 0.25 * p, atol=0, rtol=1e-6)  # β θ_ema + (1 - β) θ
        assert not new.requires_grad
    assert torch.equal(ema[1].running_mean, torch.full((3,), 7.0)), "buffers are copied, not averaged"


def test_ema_copy_follows_g_and_is_what_sample_uses(tmp_path):
    algo = make("gan", VECTOR, "reg.ema_beta=0.9")
    assert "G_ema" in algo.nets and not any(p.requires_grad for p in algo.nets["G_ema"].parameters())
    ema_before = copy.deepcopy(algo.nets["G_ema"].state_dict())
    algo.d_step(batch_for(VECTOR))
    algo.g_step(batch_for(VECTOR))
    G, G_ema = algo.nets["G"].state_dict(), algo.nets["G_ema"].state_dict()
    for key in G:
        assert torch.allclose(G_ema[key], 0.9 * ema_before[key] + 0.1 * G[key], atol=1e-7)
    z = algo.latent(5)
    with torch.no_grad():
        assert torch.equal(algo.sample(5, z=z), algo.nets["G_ema"](z))
        assert not torch.equal(algo.sample(5, z=z), algo.nets["G"](z))
    # G_ema is saved by name and restored
    ckpt.save_checkpoint(tmp_path, 1, algo.nets, algo.opt, {})
    other = make("gan", VECTOR, "reg.ema_beta=0.9", seed=5)
    ckpt.restore(*ckpt.read_checkpoint(tmp_path, 1), other.nets, other.opt)
    assert torch.equal(other.sample(5, z=z), algo.sample(5, z=z))


def test_noise_schedule_is_linear_to_zero():
    assert [noise_sigma(2.0, t, 4) for t in range(6)] == [2.0, 1.5, 1.0, 0.5, 0.0, 0.0]


def test_instance_noise_follows_the_counter_and_survives_a_checkpoint(tmp_path):
    algo = make("gan", VECTOR, "reg.instance_noise=1.0", "reg.instance_noise_steps=4")
    for _ in range(2):
        algo.d_step(batch_for(VECTOR))
    assert algo.stab.d_updates == 2
    torch.manual_seed(0)
    noised = algo.stab.d_view(torch.zeros(20000, 2))
    assert noised.std().item() == pytest.approx(0.5, rel=0.03)  # σ₀ (1 - 2/4)
    ckpt.save_checkpoint(tmp_path, 1, algo.nets, algo.opt, {})
    other = make("gan", VECTOR, "reg.instance_noise=1.0", "reg.instance_noise_steps=4")
    ckpt.restore(*ckpt.read_checkpoint(tmp_path, 1), other.nets, other.opt)
    assert other.stab.d_updates == 2


def test_diffaugment_sees_real_and_fake_in_d_steps_and_fake_in_g_steps():
    algo = make("gan", IMAGE, "train.augment=color,translation,cutout")
    calls = []
    original = algo.stab.augment

    def recording(x):
        calls.append(x)
        return original(x)

    algo.stab.augment = recording
    batch = batch_for(IMAGE)
    algo.d_step(batch)
    assert len(calls) == 2 and calls[0] is batch["real"], "D step: the real batch, then the fakes"
    assert not calls[1].requires_grad and calls[1].shape == batch["real"].shape
    algo.g_step(batch)
    assert len(calls) == 3 and calls[2].requires_grad, "G step: the fakes, with G's graph attached"


def test_diffaugment_gradient_reaches_g():
    algo = make("gan", IMAGE, "train.augment=color,translation,cutout")
    before = copy.deepcopy(algo.nets["G"].state_dict())
    algo.g_step(batch_for(IMAGE))
    assert any(not torch.equal(before[k], v) for k, v in algo.nets["G"].state_dict().items())


def test_diffaugment_refuses_vector_data():
    with pytest.raises(GankitError, match="train.augment"):
        make("gan", VECTOR, "train.augment=color")

"""Tests for gankit/algorithms/base.py: optimizers get the configured rule and hyperparameters and only
trainable parameters; `frozen` stops D's parameter gradients and restores every flag, even on error;
`unwrap` sees through nested wrappers; latent noise has the configured law; `sample` runs G in eval
mode (BatchNorm statistics, not the batch's) and leaves its mode as it was."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from gankit.algorithms.base import frozen, has_batchnorm, make_optimizer, unwrap
from gankit.algorithms.lean_adam import LeanAdam
from gankit.config import OptimizerConfig
from gankit.errors import GankitError
from tests.algorithms.helpers import VECTOR, make


def test_optimizers_follow_the_config_and_skip_frozen_parameters():
    net = nn.Linear(3, 2)
    net.bias.requires_grad_(False)
    adam = make_optimizer(net.parameters(), OptimizerConfig(lr=0.01, betas=[0.5, 0.9], eps=1e-7), "optim.g")
    assert isinstance(adam, LeanAdam)  # CPU float parameters: the fused kernel
    group = adam.param_groups[0]
    assert (group["lr"], group["betas"], group["eps"]) == (0.01, (0.5, 0.9), 1e-7)
    assert group["params"] == [net.weight]
    rms = make_optimizer(net.parameters(), OptimizerConfig(name="rmsprop", lr=5e-5, alpha=0.9, momentum=0.5), "k")
    assert isinstance(rms, torch.optim.RMSprop)
    assert (rms.defaults["lr"], rms.defaults["alpha"], rms.defaults["momentum"]) == (5e-5, 0.9, 0.5)
    sgd = make_optimizer(net.parameters(), OptimizerConfig(name="sgd", lr=0.1, weight_decay=0.01), "k")
    assert isinstance(sgd, torch.optim.SGD) and sgd.defaults["weight_decay"] == 0.01


def test_unknown_optimizer_lists_the_choices():
    with pytest.raises(GankitError, match=r"^config key 'optim\.d\.name': unknown optimizer 'adamw'; "
                                          r"expected one of: adam, rmsprop, sgd$"):
        make_optimizer(nn.Linear(1, 1).parameters(), OptimizerConfig(name="adamw"), "optim.d")


def test_frozen_gives_gradients_through_the_net_but_not_of_it_and_restores_flags():
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    net[1].bias.requires_grad_(False)  # a flag that was already off must stay off
    x = torch.ones(1, 2, requires_grad=True)
    with frozen(net):
        net(x).sum().backward()
    assert x.grad is not None and all(p.grad is None for p in net.parameters())
    assert [p.requires_grad for p in net.parameters()] == [True, True, True, False]


def test_frozen_restores_flags_when_the_body_fails():
    net = nn.Linear(2, 2)
    with pytest.raises(RuntimeError):
        with frozen(net):
            assert not any(p.requires_grad for p in net.parameters())
            raise RuntimeError("step failed")
    assert all(p.requires_grad for p in net.parameters())


def test_unwrap_sees_through_nested_wrappers():
    inner = nn.Linear(1, 1)
    compiled = nn.Module()
    compiled._orig_mod = inner  # torch.compile's wrapper attribute
    ddp = nn.Module()
    ddp.module = compiled  # DistributedDataParallel's
    assert unwrap(ddp) is inner and unwrap(inner) is inner


def test_has_batchnorm_finds_nested_layers():
    assert has_batchnorm(nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.BatchNorm1d(2))))
    assert not has_batchnorm(nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2)))


def test_latent_laws_and_fixed_generators():
    torch.manual_seed(0)
    normal = make("gan").latent(20000)
    assert normal.shape == (20000, 3)
    assert abs(normal.mean().item()) < 0.02 and normal.std().item() == pytest.approx(1.0, abs=0.02)
    uniform = make("gan", VECTOR, "model.latent=uniform").latent(20000)
    assert uniform.min() >= -1 and uniform.max() <= 1 and uniform.std().item() == pytest.approx(3 ** -0.5, abs=0.01)
    algo = make("gan")
    assert torch.equal(algo.latent(5, torch.Generator().manual_seed(4)),
                       algo.latent_on_cpu(5, torch.Generator().manual_seed(4)))


def test_sample_uses_running_statistics_and_restores_the_training_mode():
    algo = make("gan", VECTOR, "model.g.batchnorm=true")
    G = algo.nets["G"]
    assert has_batchnorm(G)
    torch.manual_seed(1)
    for _ in range(3):  # move the running statistics away from their initial values
        algo.g_step({"real": torch.randn(8, 2)})
    z = torch.randn(6, 3)
    alone = algo.sample(1, z=z[:1])
    in_a_batch = algo.sample(6, z=z)[:1]
    assert torch.allclose(alone, in_a_batch, atol=1e-6)  # eval mode: the other samples do not matter
    assert G.training
    G.eval()
    algo.sample(2)
    assert not G.training
    assert algo.sample(3, label=None).shape == (3, 2)  # an unset condition is no condition

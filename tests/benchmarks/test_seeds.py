"""benchmarks.seeds: K stacked seeds must be K independent GANs."""
import pytest
import torch

from benchmarks.seeds import StackedMLP, bce, build, train_stacked, update
from gankit.algorithms.lean_adam import LeanAdam
from gankit.config import apply_overrides, load_config
from gankit.errors import GankitError
from gankit.registry import ARCHITECTURES


def test_stacked_forward_is_each_seeds_forward():
    cfg = load_config("circle")
    nets = [ARCHITECTURES.get("mlp")(cfg.model, (2,), None)["D"] for _ in range(3)]
    x = torch.randn(3, 5, 2)
    out = StackedMLP(nets)(x)  # (3, 5, 1)
    for k, net in enumerate(nets):
        assert torch.allclose(out[k, :, 0], net(x[k]), atol=1e-6)


def test_a_stacked_update_is_each_seeds_own_update():
    cfg = load_config("circle")
    G, D = build(cfg, [0, 1], (2,))
    singles = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        singles.append(ARCHITECTURES.get("mlp")(cfg.model, (2,), None)["D"])
    x = torch.randn(2, 8, 2)
    opt = LeanAdam(D.parameters(), lr=1e-2)
    for _ in range(3):
        update(opt, bce(D(x), 1.0))
    for k, net in enumerate(singles):
        opt_k = LeanAdam(net.parameters(), lr=1e-2)
        for _ in range(3):
            update(opt_k, torch.nn.functional.softplus(-net(x[k])).mean())
        assert torch.allclose(D(x)[k, :, 0], net(x[k]), atol=1e-5)


def test_stacked_training_runs_and_refuses_what_it_cannot_stack():
    G, seconds, data = train_stacked(load_config("circle"), [0, 1], 5)
    assert seconds > 0 and G(torch.randn(2, 4, 3)).shape == (2, 4, 2)
    with pytest.raises(GankitError, match="penalties"):
        build(load_config("grid25"), [0, 1], (2,))
    with pytest.raises(GankitError, match="Dropout"):
        build(apply_overrides(load_config("circle"), ["model.d.dropout=0.3"]), [0], (2,))

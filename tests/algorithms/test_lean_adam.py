import copy

import pytest
import torch
from torch import nn

from gankit.algorithms.lean_adam import LeanAdam


def _mlp(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))


def _train(net: nn.Module, opt: torch.optim.Optimizer, steps: int, lr_schedule=None) -> None:
    g = torch.Generator().manual_seed(1)
    for i in range(steps):
        if lr_schedule:
            for group in opt.param_groups:
                group["lr"] = lr_schedule(i)
        opt.zero_grad(set_to_none=True)
        net(torch.randn(16, 3, generator=g)).pow(2).mean().backward()
        opt.step()


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_lean_adam_is_torchs_fused_adam_bit_for_bit(weight_decay):
    ours, ref = _mlp(0), _mlp(0)
    options = dict(lr=1e-2, betas=(0.5, 0.9), eps=1e-7, weight_decay=weight_decay)
    opt_ours, opt_ref = LeanAdam(ours.parameters(), **options), torch.optim.Adam(ref.parameters(), fused=True, **options)
    schedule = lambda i: 1e-2 * (1 - i / 10)  # noqa: E731  (the trainer's lr decay writes floats)
    _train(ours, opt_ours, 7, schedule)
    _train(ref, opt_ref, 7, schedule)
    for a, b in zip(ours.parameters(), ref.parameters()):
        assert torch.equal(a, b)
    for a, b in zip(opt_ours.state.values(), opt_ref.state.values()):
        assert all(torch.equal(a[k], b[k]) for k in ("exp_avg", "exp_avg_sq", "step"))
    assert float(next(iter(opt_ours.state.values()))["step"]) == 7


def test_lean_adam_resumes_from_its_state_dict():
    straight, resumed = _mlp(0), _mlp(0)
    opt = LeanAdam(straight.parameters(), lr=1e-2)
    _train(straight, opt, 3)
    resumed.load_state_dict(straight.state_dict())
    opt2 = LeanAdam(resumed.parameters(), lr=1e-2)
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))  # as from a file: no tensors shared
    _train(straight, opt, 2)
    _train(resumed, opt2, 2)
    assert all(torch.equal(a, b) for a, b in zip(straight.parameters(), resumed.parameters()))


def test_lean_adam_falls_back_to_torch_where_it_does_not_apply():
    ours, ref = _mlp(0), _mlp(0)
    opt_ours = LeanAdam(ours.parameters(), lr=1e-2, amsgrad=True)
    opt_ref = torch.optim.Adam(ref.parameters(), lr=1e-2, amsgrad=True, fused=True)
    _train(ours, opt_ours, 3)
    _train(ref, opt_ref, 3)
    assert all(torch.equal(a, b) for a, b in zip(ours.parameters(), ref.parameters()))
    frozen_last = _mlp(0)  # a parameter without a gradient: torch's path skips it, so must ours
    opt = LeanAdam(frozen_last.parameters(), lr=1e-2)
    frozen_last[2].bias.requires_grad_(False)
    before = frozen_last[2].bias.clone()
    _train(frozen_last, opt, 2)
    assert torch.equal(frozen_last[2].bias, before)
    opt.zero_grad()
    assert all(p.grad is None for p in frozen_last.parameters())

"""torch's fused Adam, stepped without the per-call Python around it.

Why by hand: on a toy MLP the update itself (one fused kernel over all parameters) takes ~20 us on
this CPU, but `torch.optim.Adam.step()` around it takes ~160 us more: profiler hooks, re-grouping
the tensors by device and dtype, and checks a training loop does not need on every call
(benchmarks/RESULTS.md, "Speed"). Toy GANs make three such updates per iteration. `LeanAdam` is
`torch.optim.Adam` (same state, same `state_dict`, same checkpoints) whose `step` calls the very same
kernel, `torch._fused_adam_`, directly when the case is the plain one: one device and dtype, every
parameter with a gradient, and no amsgrad, maximize, capturable, differentiable, AdamW-style decay or
tensor learning rate. Anything else, and the first step (which creates the state), goes through
torch's own code. tests/algorithms/test_lean_adam.py checks the two agree bit for bit.
"""
from __future__ import annotations

import torch

_KERNEL = getattr(torch, "_fused_adam_", None)  # absent: every step takes torch's path
_UNSUPPORTED = ("amsgrad", "maximize", "capturable", "differentiable", "decoupled_weight_decay")


class LeanAdam(torch.optim.Adam):
    def __init__(self, params, **kwargs):
        kwargs["fused"] = True  # also when rebuilt from another instance's `defaults` (which hold fused=True)
        super().__init__(params, **kwargs)
        self._plan: tuple | None = None  # (state dict it was built from, per-group tensor lists)

    def _patch_step_function(self) -> None:
        """torch wraps every optimizer's `step` in a profiler range and a hook dispatcher (~30 us per
        call here). LeanAdam's step is left unwrapped: step pre/post hooks are not supported."""
        self._zero_grad_profile_name = f"Optimizer.zero_grad#{type(self).__name__}.zero_grad"

    def _lean_plan(self) -> list | None:
        """Per group (params, exp_avgs, exp_avg_sqs, step counter buffer), or None where the fast path
        does not apply. Built once per state: torch's steps update the state tensors in place and
        load_state_dict replaces `self.state` itself, so `self.state is plan's state` tells it is current.
        On the CPU each group's step counters become 0-d views of one buffer, so counting a step is
        one add_ instead of a multi-tensor op over every parameter (27 us -> 6 us on a toy MLP)."""
        if self._plan is not None and self._plan[0] is self.state and len(self.state) == self._plan[1]:
            return self._plan[2]
        groups = []
        for group in self.param_groups:
            params = group["params"]
            if any(p not in self.state for p in params):
                return None  # the first step creates the state, through torch's code
            first = params[0]
            if any(p.device != first.device or p.dtype != first.dtype for p in params):
                return None
            states = [self.state[p] for p in params]
            counters = None  # CUDA: torch's own multi-tensor increment (one kernel launch there anyway)
            if first.device.type == "cpu":
                counters = torch.stack([s["step"].reshape(()) for s in states])  # (P,)
                for i, s in enumerate(states):
                    s["step"] = counters[i]
            groups.append((params, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                           [s["step"] for s in states], counters))
        self._plan = (self.state, len(self.state), groups)
        return groups

    @torch.no_grad()
    def step(self, closure=None):
        plan = self._lean_plan() if _KERNEL is not None and closure is None else None
        if plan is None or any(_unsupported(group) for group in self.param_groups):
            return super().step(closure)
        grads = [[p.grad for p in params] for params, *_ in plan]
        if any(g is None for group_grads in grads for g in group_grads):
            return super().step()  # a parameter without a gradient: torch's path skips it
        for group, (params, exp_avgs, exp_avg_sqs, steps, counters), group_grads in zip(self.param_groups, plan, grads):
            beta1, beta2 = group["betas"]
            if counters is not None:
                counters.add_(1)
            else:
                torch._foreach_add_(steps, 1)
            _KERNEL(params, group_grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=group["lr"],
                    beta1=float(beta1), beta2=float(beta2), weight_decay=group["weight_decay"], eps=group["eps"],
                    maximize=False, grad_scale=None, found_inf=None)
        return None

    def zero_grad(self, set_to_none: bool = True) -> None:
        if not set_to_none:
            return super().zero_grad(set_to_none=False)
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None


def _unsupported(group: dict) -> bool:
    return any(group.get(key) for key in _UNSUPPORTED) or not isinstance(group["lr"], float)

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
        super().__init__(params, fused=True, **kwargs)

    def _patch_step_function(self) -> None:
        """torch wraps every optimizer's `step` in a profiler range and a hook dispatcher (~30 us per
        call here). LeanAdam's step is left unwrapped: step pre/post hooks are not supported."""
        self._zero_grad_profile_name = f"Optimizer.zero_grad#{type(self).__name__}.zero_grad"

    def _lean_group(self, group: dict) -> tuple[list, ...] | None:
        """(params, grads, exp_avgs, exp_avg_sqs, steps) when the fast path applies, else None."""
        if _KERNEL is None or any(group.get(key) for key in _UNSUPPORTED) or not isinstance(group["lr"], float):
            return None
        params = group["params"]
        grads = [p.grad for p in params]
        if any(g is None for g in grads) or any(p not in self.state for p in params):
            return None
        first = params[0]
        if any(p.device != first.device or p.dtype != first.dtype for p in params):
            return None
        states = [self.state[p] for p in params]
        return (params, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                [s["step"] for s in states])

    @torch.no_grad()
    def step(self, closure=None):
        if closure is not None:
            return super().step(closure)
        lean = [self._lean_group(group) for group in self.param_groups]
        if any(parts is None for parts in lean):
            return super().step()
        for group, (params, grads, exp_avgs, exp_avg_sqs, steps) in zip(self.param_groups, lean):
            beta1, beta2 = group["betas"]
            torch._foreach_add_(steps, 1)
            _KERNEL(params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=group["lr"],
                    beta1=float(beta1), beta2=float(beta2), weight_decay=group["weight_decay"], eps=group["eps"],
                    maximize=False, grad_scale=None, found_inf=None)
        return None

    def zero_grad(self, set_to_none: bool = True) -> None:
        if not set_to_none:
            return super().zero_grad(set_to_none=False)
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

"""Adversarial losses, as pure functions of the discriminator's raw outputs (logits / critic scores).

Conventions: D outputs a logit x, D(x) = sigmoid(x). Every function returns a scalar (mean over
the batch). A loss is a pair: how D is trained on real and fake, and how G is trained on fake.
Identities used (numerically stable forms of the textbook expressions):
    -log(sigmoid(x))     = softplus(-x)
    -log(1 - sigmoid(x)) = softplus(x)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from gankit.registry import Registry


def bce_with_target(logits: Tensor, target: float) -> Tensor:
    """Binary cross-entropy against a constant target t in [0, 1]:
    t * -log D + (1 - t) * -log(1 - D) = t * softplus(-x) + (1 - t) * softplus(x)."""
    if target == 1.0:  # the common case without the zero-weighted term
        return F.softplus(-logits).mean()
    if target == 0.0:
        return F.softplus(logits).mean()
    return (target * F.softplus(-logits) + (1.0 - target) * F.softplus(logits)).mean()


def bce_with_target_grad(logits: Tensor, target: float) -> Tensor:
    """d/dx [t softplus(-x) + (1 - t) softplus(x)] = -t sigmoid(-x) + (1 - t) sigmoid(x) = sigmoid(x) - t."""
    return torch.sigmoid(logits) - target


@dataclass(frozen=True)
class AdversarialLoss:
    """D is trained by d_real(real_out) + d_fake(fake_out); G by g(fake_out).

    Each loss is the batch mean of a per-sample term ℓ(out_i); the `*_grad` functions give ℓ'(out_i)
    in closed form, so ∂loss/∂out_i = ℓ'(out_i) / N. Training steps that back-propagate by hand
    (gankit/algorithms/mlp_steps.py) start from them; tests/test_losses.py checks them against autograd."""
    d_real: Callable[[Tensor, float], Tensor]   # (outputs on real, real label) -> scalar
    d_fake: Callable[[Tensor], Tensor]
    g: Callable[[Tensor], Tensor]
    probabilistic: bool                          # outputs are logits of a probability (BCE family)
    d_real_grad: Callable[[Tensor, float], Tensor]  # (outputs, real label) -> ℓ' per sample (N,)
    d_fake_grad: Callable[[Tensor], Tensor]
    g_grad: Callable[[Tensor], Tensor]


LOSSES: Registry[AdversarialLoss] = Registry("loss")

# Goodfellow et al. 2014: min_G max_D E log D(x) + E log(1 - D(G(z))).
# G minimises log(1 - D(G(z))) = -softplus(x): saturates (vanishing gradient) when D wins.
LOSSES.register("minimax", "original saturating minimax value function (Goodfellow et al. 2014)")(
    AdversarialLoss(d_real=bce_with_target, d_fake=lambda f: bce_with_target(f, 0.0),
                    g=lambda f: -F.softplus(f).mean(), probabilistic=True,
                    d_real_grad=bce_with_target_grad, d_fake_grad=torch.sigmoid,
                    g_grad=lambda f: -torch.sigmoid(f)))  # d/dx -softplus(x) = -sigmoid(x)

# Same D; G maximises log D(G(z)) instead: -log D(G(z)) = softplus(-x) (the paper's practical variant).
LOSSES.register("nonsaturating", "BCE with the non-saturating G loss -log D(G(z)) (Goodfellow et al. 2014)")(
    AdversarialLoss(d_real=bce_with_target, d_fake=lambda f: bce_with_target(f, 0.0),
                    g=lambda f: F.softplus(-f).mean(), probabilistic=True,
                    d_real_grad=bce_with_target_grad, d_fake_grad=torch.sigmoid,
                    g_grad=lambda f: torch.sigmoid(f) - 1.0))  # d/dx softplus(-x) = -sigmoid(-x)

# Arjovsky et al. 2017: critic maximises E f(x) - E f(G(z)); G maximises E f(G(z)).
LOSSES.register("wasserstein", "Wasserstein critic loss (Arjovsky et al. 2017)")(
    AdversarialLoss(d_real=lambda r, label=1.0: -r.mean(), d_fake=lambda f: f.mean(),
                    g=lambda f: -f.mean(), probabilistic=False,
                    d_real_grad=lambda r, label=1.0: torch.full_like(r, -1.0), d_fake_grad=torch.ones_like,
                    g_grad=lambda f: torch.full_like(f, -1.0)))

# Lim & Ye 2017 / Miyato et al. 2018: D: E relu(1 - f(x)) + E relu(1 + f(G(z))); G: -E f(G(z)).
LOSSES.register("hinge", "hinge loss (Lim & Ye 2017; SNGAN)")(
    AdversarialLoss(d_real=lambda r, label=1.0: F.relu(1.0 - r).mean(), d_fake=lambda f: F.relu(1.0 + f).mean(),
                    g=lambda f: -f.mean(), probabilistic=False,
                    # relu'(u) = 1 where u > 0, else 0 (autograd's choice at u = 0 too)
                    d_real_grad=lambda r, label=1.0: -(r < 1.0).to(r.dtype), d_fake_grad=lambda f: (f > -1.0).to(f.dtype),
                    g_grad=lambda f: torch.full_like(f, -1.0)))

# Mao et al. 2017 (a=0, b=1, c=1): D: 1/2 E (D(x) - 1)^2 + 1/2 E D(G(z))^2; G: 1/2 E (D(G(z)) - 1)^2.
LOSSES.register("lsgan", "least-squares loss (Mao et al. 2017)")(
    AdversarialLoss(d_real=lambda r, label=1.0: 0.5 * (r - label).pow(2).mean(),
                    d_fake=lambda f: 0.5 * f.pow(2).mean(),
                    g=lambda f: 0.5 * (f - 1.0).pow(2).mean(), probabilistic=False,
                    d_real_grad=lambda r, label=1.0: r - label, d_fake_grad=lambda f: f.clone(),
                    g_grad=lambda f: f - 1.0))


def d_output_stats(real_out: Tensor, fake_out: Tensor, probabilistic: bool) -> dict[str, Tensor]:
    """What D thinks, for logs: mean D(real), D(fake) and accuracy at threshold 0.5 (logit 0).
    For critics (not probabilities) the raw mean scores are reported instead."""
    real_out, fake_out = real_out.detach().float(), fake_out.detach().float()
    to_p = torch.sigmoid if probabilistic else (lambda t: t)
    return {
        "d_real": to_p(real_out).mean(),
        "d_fake": to_p(fake_out).mean(),
        "acc_real": (real_out > 0).float().mean(),
        "acc_fake": (fake_out < 0).float().mean(),
    }


# ----------------------------------------------------------------------------------------------
# Auxiliary losses of heads that share D's body (AC-GAN's classifier, InfoGAN's Q).

def class_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """-E log q(y | x) with q = softmax(logits): logits (N, K), target class indices (N,) or one-hot (N, K).
    AC-GAN's L_C (Odena et al. 2017) and InfoGAN's categorical-code term (Chen et al. 2016)."""
    if target.dim() == 2:
        target = target.argmax(dim=1)
    return F.cross_entropy(logits.float(), target.long())


def gaussian_nll(mean: Tensor, log_var: Tensor, target: Tensor) -> Tensor:
    """-E log N(c; μ, σ²), summed over the code dimensions, mean over the batch; (N, d) each.
    -log N(c; μ, σ²) = ½ log 2π + ½ log σ² + (c - μ)² / (2 σ²). With σ fixed to 1 this is ½ MSE
    plus a constant; InfoGAN's continuous codes use a factored Gaussian Q (Chen et al. 2016, sec. 5)."""
    mean, log_var, target = mean.float(), log_var.float(), target.float()
    nll = 0.5 * (math.log(2 * math.pi) + log_var + (target - mean).pow(2) * torch.exp(-log_var))
    return nll.sum(dim=1).mean()

"""WGAN (Arjovsky, Chintala & Bottou 2017): a critic f estimates the Wasserstein-1 distance.

Critic: maximise E f(x) - E f(G(z)) (loss: wasserstein); G: maximise E f(G(z)).
f must be 1-Lipschitz; the paper enforces it crudely by clipping every critic weight to
[-c, c] after each update, c = 0.01 (Algorithm 1; `reg.clip` overrides). The paper's other
choices live in the preset (configs/grid25-wgan.yaml): RMSProp with lr 5e-5 (momentum-based
optimisers were unstable for them) and n_critic = 5 critic updates per G update (`train.d_steps`).
"""
from __future__ import annotations

from gankit.algorithms.gan import GAN
from gankit.registry import ALGORITHMS


@ALGORITHMS.register("wgan", "Wasserstein GAN with weight clipping (Arjovsky et al. 2017)")
class WGAN(GAN):
    loss_name = "wasserstein"
    default_clip = 0.01

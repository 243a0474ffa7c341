"""WGAN-GP (Gulrajani et al. 2017): the Wasserstein critic kept near 1-Lipschitz by a gradient
penalty instead of clipping.

Critic loss: E f(G(z)) - E f(x) + λ E_x̂ (‖∇f(x̂)‖₂ - 1)², x̂ = ε x + (1 - ε) G(z), ε ~ U(0, 1) per
sample (gankit/penalties.py), λ = 10 (`reg.gp_weight` overrides). The paper's optimiser, Adam
lr 1e-4, β = (0, 0.9) (or 0.5, 0.9), and n_critic = 5 live in the preset (configs/grid25-wgan-gp.yaml).
The penalty is per example, so the critic must not mix examples: no BatchNorm (the paper suggests
layer normalisation instead, sec. 4); a critic with BatchNorm is refused.
"""
from __future__ import annotations

from gankit.algorithms.base import has_batchnorm
from gankit.algorithms.gan import GAN
from gankit.errors import GankitError
from gankit.registry import ALGORITHMS


@ALGORITHMS.register("wgan-gp", "Wasserstein GAN with gradient penalty (Gulrajani et al. 2017)")
class WGANGP(GAN):
    loss_name = "wasserstein"
    default_gp = 10.0

    def __init__(self, cfg, info):
        super().__init__(cfg, info)
        if has_batchnorm(self.nets["D"]):
            raise GankitError("config key 'model.d.batchnorm': wgan-gp penalises the critic's gradient per "
                              "example, which BatchNorm breaks (Gulrajani et al. 2017, sec. 4); set it to false")

"""The SNGAN recipe (Miyato et al. 2018): hinge loss with a spectrally normalised D.

D: E relu(1 - D(x)) + E relu(1 + D(G(z))); G: -E D(G(z)) (Lim & Ye 2017; Miyato et al. 2018).
Every weight matrix of D is divided by its largest singular value, estimated by one power
iteration per forward pass, which bounds D's Lipschitz constant by the product of its layers'
(at most 1 for each linear map). Spectral norm is switched on for D whatever model.d says.
"""
from __future__ import annotations

from gankit.algorithms.gan import GAN
from gankit.registry import ALGORITHMS


@ALGORITHMS.register("hinge", "hinge loss + spectral norm on D: the SNGAN recipe (Miyato et al. 2018)")
class HingeGAN(GAN):
    loss_name = "hinge"
    d_spectral_norm = True

"""LSGAN (Mao et al. 2017): least-squares instead of cross-entropy.

D: ½ E (D(x) - b)² + ½ E (D(G(z)) - a)²; G: ½ E (D(G(z)) - c)², with a = 0, b = c = 1
(the 0-1 coding of the paper's eq. 9; `loss.real_label` sets b). The quadratic keeps
penalising fakes that D already calls real but that lie far from the data, so G's gradient
does not vanish as it does for a saturated sigmoid.
"""
from __future__ import annotations

from gankit.algorithms.gan import GAN
from gankit.registry import ALGORITHMS


@ALGORITHMS.register("lsgan", "least-squares GAN (Mao et al. 2017)")
class LSGAN(GAN):
    loss_name = "lsgan"

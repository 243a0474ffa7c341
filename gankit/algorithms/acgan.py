"""AC-GAN (Odena, Olah & Shlens 2017): a class-conditional G and a D that also classifies.

G(z, y) as in cgan; D sees x only and has two outputs on one shared body: the real/fake logit and
K class logits (an auxiliary classifier head, gankit/models/heads.py). With the class
log-likelihood L_C = E log P(C = c | x) on real and on fake examples:
  D maximises L_S + L_C   (its adversarial loss, minus w · L_C on real and fake)
  G maximises L_C - L_S   (its adversarial loss, plus w · cross-entropy of its fakes' labels)
w = `loss.aux_weight` (1 in the paper). Logged as d_cls and g_cls.
"""
from __future__ import annotations

from torch import Tensor, nn

from gankit.algorithms.cgan import ConditionalMixin
from gankit.algorithms.gan import GAN, Context
from gankit.losses import class_cross_entropy
from gankit.models.conditional import conditional_generator, plain_discriminator
from gankit.models.heads import HeadedDiscriminator
from gankit.registry import ALGORITHMS


@ALGORITHMS.register("acgan", "auxiliary-classifier GAN: conditional G, D with a class head (Odena et al. 2017)")
class ACGAN(ConditionalMixin, GAN):
    plain_d = False
    aux_name = "cls"

    def __init__(self, cfg, info):
        self._require_labels(cfg, info)
        super().__init__(cfg, info)

    def build_nets(self) -> dict[str, nn.Module]:
        model, shape, K = self.model_config(), tuple(self.info.shape), self.num_classes
        body = plain_discriminator(model, shape, K, self.cfg.reg.minibatch_std)
        return {"G": conditional_generator(model, shape, K), "D": HeadedDiscriminator(body, shape, K)}

    def discriminate(self, D: nn.Module, x: Tensor, ctx: Context, with_aux: bool = True):
        if not with_aux or ctx is None:
            return D(x), None
        logits, class_logits = D(x, with_aux=True)
        return logits, self.cfg.loss.aux_weight * class_cross_entropy(class_logits, ctx)

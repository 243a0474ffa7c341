"""Training recipes, one per file; importing this package registers them all."""
from gankit.algorithms import acgan, cgan, gan, hinge, infogan, lsgan, wgan, wgan_gp  # noqa: F401  (registers them)
from gankit.algorithms.base import Algorithm

__all__ = ["Algorithm"]

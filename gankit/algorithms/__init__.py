"""Training recipes, one per file; importing this package registers them all."""
from gankit.algorithms import acgan, cgan, gan, hinge, infogan, lsgan, wgan, wgan_gp  # noqa: F401  (registers them)
from gankit.algorithms import cyclegan  # noqa: F401  (registers "cyclegan")
from gankit.algorithms import pix2pix  # noqa: F401  (registers "pix2pix")
from gankit.algorithms import progan  # noqa: F401  (registers "progan")
from gankit.algorithms.base import Algorithm

__all__ = ["Algorithm"]

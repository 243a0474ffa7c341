"""Training recipes, one per file; importing this package registers them all."""
from gankit.algorithms import gan  # noqa: F401  (registers "gan")
from gankit.algorithms.base import Algorithm

__all__ = ["Algorithm"]

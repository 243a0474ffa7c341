"""Networks, one family per file; importing this package registers them all."""
from gankit.models import mlp  # noqa: F401  (registers "mlp")

"""Networks, one family per file; importing this package registers them all."""
from gankit.models import mlp  # noqa: F401  (registers "mlp")
from gankit.models import dcgan  # noqa: F401  (registers "dcgan")
from gankit.models import keras_dcgan  # noqa: F401  (registers "keras-dcgan-mnist", "keras-dcgan-folder")
from gankit.models import progressive  # noqa: F401  (registers "progressive")
from gankit.models import translation  # noqa: F401  (registers "unet")
from gankit.models import resnet_translator  # noqa: F401  (registers "resnet-translator")

"""gankit: train, evaluate and show Generative Adversarial Networks.

    import gankit
    run = gankit.train(gankit.load_config("configs/circle.yaml"), steps=3000)
    samples = run.generator.sample(1000)   # in data units
"""
from gankit.config import Config, apply_overrides, load_config
from gankit.errors import GankitError
from gankit.train.run import load_run
from gankit.train.trainer import train

__version__ = "0.1.0"
__all__ = ["Config", "GankitError", "apply_overrides", "load_config", "load_run", "train", "__version__"]

"""gankit: train, evaluate and show Generative Adversarial Networks.

    import gankit
    run = gankit.train(gankit.load_config("configs/circle.yaml"), steps=3000)
    samples = run.generator.sample(1000)   # in data units
"""
import sys
import types

from gankit.errors import GankitError

__version__ = "0.1.0"
__all__ = ["Config", "GankitError", "apply_overrides", "load_config", "load_run", "train", "__version__"]


class _Package(types.ModuleType):
    """`import gankit` does not import torch (~1.5 s): `gankit.train` and `gankit.load_run` load it on
    first use. So the CLI's `--help` and argument errors answer at once, and a Ctrl-C while torch loads
    reaches the CLI's handler (exit 130) instead of a traceback from an import at the top of the package.
    `gankit.train` stays the training function: importlib's binding of the subpackage of the same name
    here is ignored (import its modules as `from gankit.train import checkpoint`)."""

    @property
    def train(self):
        from gankit.train.trainer import train
        return train

    @train.setter
    def train(self, subpackage):
        pass

    @property
    def load_run(self):
        from gankit.train.run import load_run
        return load_run

    def __getattr__(self, name: str):
        """`import gankit` then `gankit.metrics.fid(a, b)` (as gankit/metrics' docstring shows it) was an
        AttributeError unless gankit.metrics had been imported: the public subpackages load on first use."""
        if name in _SUBPACKAGES:
            import importlib
            return importlib.import_module(f"{__name__}.{name}")
        if name in _FROM_CONFIG:  # YAML and the config tables (~55 ms): loaded on first use, like torch
            import gankit.config
            return getattr(gankit.config, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_SUBPACKAGES = ("features", "metrics")
_FROM_CONFIG = ("Config", "apply_overrides", "load_config")


sys.modules[__name__].__class__ = _Package

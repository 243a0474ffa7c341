"""Set-up checks that need the built data, made before a run's folder exists.

Config validation (gankit/config.py) sees values alone; whether a key means anything for this
run is known only once the data are loaded. A key that cannot act on this data kind is an
error, not silently ignored: the user asked for something the run would never do.
"""
from __future__ import annotations

import json

from gankit.config import Config
from gankit.errors import GankitError

# Keys that only mean something for images: what each does, and the value that turns it off.
IMAGE_ONLY = (("data.image_size", "resizes images (--image-size)", None),
              ("data.channels", "converts images' channels", None),
              ("eval.predict", "saves final fakes as image files", 0),
              ("eval.image_metrics", "scores images", []),
              ("eval.features", "picks the feature extractor of the image metrics", None),
              ("eval.best_metric", "picks the best checkpoint by an image metric", None))


def refuse_image_keys_on_vectors(cfg: Config, info) -> None:
    """GankitError for the first image-only key set on vector data (`info`: the data's DataInfo)."""
    if info.kind != "vector":
        return
    for key, what, off in IMAGE_ONLY:
        section, name = key.split(".")
        value = getattr(getattr(cfg, section), name)
        if value != off:
            raise GankitError(f"config key '{key}' ({value!r}) {what}; this run's data are vectors of shape "
                              f"{tuple(info.shape)} (set it to {json.dumps(off)})")

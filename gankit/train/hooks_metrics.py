"""Image metrics during training, and the `best` checkpoint pointer.

At every evaluation: eval.n_image_metric generated images (the same noise every time, so scores
move only because G does) are scored against as many real images (drawn once) in the feature
space of eval.features; the scores and their setup go into that metrics.jsonl row.

With eval.best_metric set, checkpoints/best.json = {"step", "metric", "value", "setup"} names the
checkpoint with the best score so far. It is only ever written once that checkpoint is complete on
disk (a crash can leave best.json behind, never pointing at nothing), and the step it names, plus
a better one still waiting for its checkpoint, is handed to the pruner as `protect_steps`. An
evaluation step that gets no checkpoint of its own cannot become `best`. A best.json from another
setup (say, a resumed run with a different n) is not compared with: the search starts again.
"""
from __future__ import annotations

import json

from gankit.errors import GankitError
from gankit.utils.io import write_json


class ImageMetricTracker:
    def __init__(self, hooks):
        from gankit.features import default_extractor, get_extractor
        from gankit.metrics.image import HIGHER_IS_BETTER, check_extractor, check_sample_count, parse_metrics

        self.t, self.info = hooks.t, hooks.info
        self.cfg = cfg = hooks.t.cfg.eval
        self.names = parse_metrics(cfg.image_metrics) if cfg.metrics else []
        self.best_path = hooks.dir / "checkpoints" / "best.json"
        self.metric = cfg.best_metric
        if self.metric is not None and self.metric not in HIGHER_IS_BETTER:
            raise GankitError(f"config key 'eval.best_metric' is {self.metric!r}; expected one of: "
                              f"{', '.join(HIGHER_IS_BETTER)} (or null)")
        spec = cfg.features or default_extractor(self.info.name)
        if self.names and spec is None:
            print(f"image metrics off: no feature extractor ships for data '{self.info.name}' (set eval.features)")
            self.names = []
        if "nn" in self.names:
            raise GankitError("config key 'eval.image_metrics': nn (memorisation) needs the whole training set; "
                              "run `gankit evaluate RUN --metrics nn` after training instead")
        if not self.names:  # metrics off (eval.metrics=false, or no extractor for this data): no best either
            self.metric = None
        if self.metric is not None and self.metric not in _produced(self.names):
            raise GankitError(f"config key 'eval.best_metric' is {self.metric!r}, but eval.image_metrics "
                              f"{self.names} (with eval.metrics={cfg.metrics}) does not compute it")
        self.extractor = get_extractor(spec, device=self.t.rt.device, inception_weights=cfg.inception_weights) \
            if self.names else None
        if self.extractor is not None:  # 'is' with pixels: refused at set-up, not at the first evaluation
            self.names = check_extractor(self.names, True, self.extractor)
        # n_image_metric=1 with fid failed at the first evaluation ("features: need at least 2 rows"), mid-run
        check_sample_count(self.names, cfg.n_image_metric, flag="eval.n_image_metric")
        self.higher = HIGHER_IS_BETTER.get(self.metric, False)
        self.real = self.setup = None  # reference features and the setup record, made at the first evaluation
        self.best = self._read_best()
        self.pending = getattr(self.t, "restored_extra", {}).get("best_candidate")  # better, not yet on disk

    # ------------------------------------------------------------------ called by the hooks
    def on_eval(self, step: int) -> dict:
        """Scores of this step (plus their setup) for the metrics.jsonl row; {} when image metrics are off."""
        if not self.names:
            return {}
        from gankit.metrics.image import sample_pixels, score_features
        from gankit.train.run import Generator

        if self.real is None:
            self._prepare_reference()
        fake = sample_pixels(Generator(self.t.algo, self.info), self.cfg.n_image_metric, self.t.cfg.train.seed)
        fake_f = self.extractor.extract(fake)
        scores = score_features(self.real, fake_f, self.names, seed=self.t.cfg.train.seed)
        self._settle(drop_missing=True)
        if self.metric is not None and self._better(scores[self.metric]):
            self.pending = {"step": step, "metric": self.metric, "value": scores[self.metric], "setup": self.setup}
        return {**scores, "metric_setup": self.setup}

    def checkpoint_extra(self) -> dict:
        """What the next checkpoint must keep: the best step and a better one about to be saved."""
        self._settle(drop_missing=False)
        steps = [r["step"] for r in (self.best, self.pending) if r is not None]
        return {"protect_steps": steps, "best_candidate": self.pending} if steps else {}

    def on_end(self, step: int) -> None:
        self._settle(drop_missing=True)

    # ------------------------------------------------------------------ internals
    def _prepare_reference(self) -> None:
        from gankit.metrics.image import choose, reference_images, setup_record

        seed, n = self.t.cfg.train.seed, self.cfg.n_image_metric
        if self.cfg.reference_split == "train":  # what G trains on, already in memory
            images, source = self.t.data.data.cpu(), self.info.origin()
        else:
            images, source = reference_images(self.t.cfg.data, self.cfg.reference_split)
        self.real = self.extractor.extract(choose(images, n, seed))
        self.setup = setup_record(self.extractor, data=self.info.name, reference=self.cfg.reference_split,
                                  source=source, n_real=len(self.real.features), n_fake=n,
                                  image_shape=self.info.shape, seed=seed)
        if self.best is not None and _differs(self.best.get("setup"), self.setup):
            print(f"{self.best_path}: recorded with another metric setup; the best checkpoint search starts again")
            self.best = None
        if self.pending is not None and _differs(self.pending.get("setup"), self.setup):
            self.pending = None

    def _better(self, value: float) -> bool:
        current = self.pending or self.best
        if current is None:
            return True
        return value > current["value"] if self.higher else value < current["value"]

    def _settle(self, drop_missing: bool) -> None:
        """Promote the pending best once its checkpoint exists; forget it if it never will.
        Nothing happens before the first evaluation has fixed this run's setup."""
        if self.pending is None or self.setup is None:
            return
        stem = self.best_path.parent / f"step_{self.pending['step']:06d}"
        if stem.with_suffix(".safetensors").exists() and stem.with_suffix(".json").exists():
            self.best, self.pending = self.pending, None
            write_json(self.best_path, self.best)
        elif drop_missing:
            self.pending = None

    def _read_best(self) -> dict | None:
        if self.metric is None or not self.best_path.exists():
            return None
        try:
            best = json.loads(self.best_path.read_text())
        except ValueError:
            return None
        stem = self.best_path.parent / f"step_{int(best.get('step', -1)):06d}"
        same_metric = best.get("metric") == self.metric
        return best if same_metric and stem.with_suffix(".safetensors").exists() else None


def _produced(names: list[str]) -> set[str]:
    """Score keys the metric names produce (pr -> precision, recall; ...)."""
    keys = {"fid": ["fid"], "kid": ["kid"], "pr": ["precision", "recall"], "dc": ["density", "coverage"],
            "is": ["is"]}
    return {k for name in names for k in keys[name]}


def _differs(a: dict | None, b: dict) -> bool:
    from gankit.metrics.image import comparable

    return a is None or bool(comparable(a, b))

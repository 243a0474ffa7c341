"""THE training loop: data -> algorithm steps -> logs, hooks and checkpoints. Nothing model-specific.

One iteration ("step") = `train.d_steps` discriminator updates, then `train.g_steps` generator
updates. Losses stay on the device between log steps (no `.item()` per step), non-finite values
are caught at each log step, and all periodic work (samples, plots, metrics) runs in hooks under
a forked RNG so that it never changes the training numbers: a run with or without evaluation, or
stopped and resumed, produces the same weights.
"""
from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path

import torch

import gankit.algorithms  # noqa: F401  (registers algorithms)
import gankit.models  # noqa: F401  (registers architectures)
from gankit.algorithms.base import Algorithm, unwrap
from gankit.config import Config, from_dict, load_config, save_config, to_dict, validate
from gankit.data import build_data
from gankit.errors import GankitError
from gankit.registry import ALGORITHMS
from gankit.train import checkpoint as ckpt
from gankit.train.backends import backend_settings, compile_networks, training_threads, warn_if_bf16_is_emulated
from gankit.train.checks import refuse_image_keys_on_vectors
from gankit.train.hooks import Hooks
from gankit.train.host_memory import keep_freed_memory
from gankit.train.progress import Progress
from gankit.train.run import Run, RunLock, discard_empty_run_dir, new_run_dir
from gankit.train.runtime import broadcast_weights, on_main_rank, seed_everything, setup_runtime
from gankit.utils.io import atomic_open, dumps_json, read_jsonl, write_json


class TrainingDiverged(GankitError):
    """A loss became NaN or infinite."""


class Trainer:
    def __init__(self, cfg: Config, resume: str | Path | None = None):
        self.cfg = cfg
        self.rt = setup_runtime(cfg.train.device)
        self._rng: tuple | None = None  # this trainer's random streams between calls (own_random_streams)
        with self.own_random_streams():
            self._build(cfg, resume)

    def _build(self, cfg: Config, resume: str | Path | None) -> None:
        seed_everything(cfg.train.seed, self.rt.rank)
        self.data = build_data(cfg.data, cfg.model.g.out_activation).to(self.rt.device)
        refuse_image_keys_on_vectors(cfg, self.data.info)  # before the run's folder exists
        # Epoch schedules (seed 003) become steps once the data size N is known: N // global batch.
        steps_per_epoch = max(1, len(self.data) // (cfg.train.batch_size * self.rt.world_size))
        if cfg.train.epochs:
            cfg.train.steps = cfg.train.epochs * steps_per_epoch
        if cfg.eval.every_epochs:
            cfg.eval.every = cfg.eval.every_epochs * steps_per_epoch
        self.first_eval = steps_per_epoch if cfg.eval.every_epochs else None  # an early look, as seed 003
        self.algo: Algorithm = ALGORITHMS.get(cfg.train.algorithm, "train.algorithm")(cfg, self.data.info)
        for name, net in self.algo.nets.items():
            self.algo.nets[name] = net.to(self.rt.device)
        # Translation data (gankit/data/translation.py): batches carry domain A as "source", and the
        # recipe keeps the data's held-out source images with its weights (models/translation.py: SourceBank).
        self._with_source = hasattr(self.data, "pairs")
        if self._with_source and "bank" in self.algo.nets:
            self.algo.nets["bank"].fill(*self.data.bank)
        self.optimizers = self.algo.optimizers()
        self.step = 0
        self._lock, self._locked = None, False  # the run folder's lock (run.py: RunLock), rank 0's
        if resume:
            self.run_dir = Path(resume)
            self._lock_run_dir()  # before _resume truncates the log of a run that may be training elsewhere
            self._resume()
        if self.rt.distributed:
            if cfg.train.time_limit:  # ranks would stop at different steps and wait on each other forever
                raise GankitError("train.time_limit is not supported under torchrun; set train.steps instead")
            self._wrap_ddp()
        warn_if_bf16_is_emulated(cfg.train.precision, self.rt.device)
        self.channels_last = cfg.train.channels_last and len(self.data.info.shape) == 3
        if self.channels_last:  # weights in NHWC too, so convolutions never convert layouts per call
            for net in self.algo.nets.values():
                net.to(memory_format=torch.channels_last)
        self.compiled = []  # the networks torch.compile wraps (train.compile; gankit/train/backends.py)
        if cfg.train.compile:
            self.compiled = compile_networks(self.algo, cfg.train.compile_mode, announce=self.rt.is_main)
        # Evaluation noise is fixed for the whole run (and across resumes): drawn from its own generator.
        self.fixed_z = self.algo.latent_on_cpu(cfg.eval.n_samples, torch.Generator().manual_seed(cfg.train.seed))
        # A new run's folder is made last, and removed again if the hooks' set-up fails: a folder left
        # behind would hold nothing, yet look like a run (and push the next run's name to NAME-2).
        created = not resume and self.rt.is_main
        if not resume:  # rank 0 claims a free folder (run.py: new_run_dir), the other ranks take its choice
            self.run_dir = on_main_rank(self.rt, lambda: new_run_dir(self.cfg), share=True)
        try:
            self._lock_run_dir()
            self.hooks = on_main_rank(self.rt, lambda: Hooks(self))
        except BaseException:
            self._unlock_run_dir()
            if created:
                discard_empty_run_dir(self.run_dir)
            raise

    # ------------------------------------------------------------------ set-up helpers
    def _lock_run_dir(self) -> None:
        """Hold the run folder's lock from set-up to the end of `fit` (every rank calls this; rank 0 locks)."""
        if not self._locked:
            self._lock, self._locked = on_main_rank(self.rt, lambda: RunLock(self.run_dir)), True

    def _unlock_run_dir(self) -> None:
        if self._lock is not None:
            self._lock.release()
        self._locked = False

    def _resume(self) -> None:
        directory = self.run_dir / "checkpoints"
        step = ckpt.latest_step(directory) if directory.is_dir() else None
        if step is None:
            raise GankitError(f"--resume {self.run_dir}: no checkpoint found (expected a run directory "
                              "with checkpoints/latest.json)")
        if self.cfg.train.steps <= step:  # the loop would not run, yet config.yaml would be rewritten
            raise GankitError(f"--resume {self.run_dir}: the run is at step {step}; train.steps (--steps) must "
                              f"be above {step} to train on, got {self.cfg.train.steps}")
        stored = self.run_dir / "config.yaml"
        if stored.is_file():  # the run stays in its folder: its config.yaml keeps the name it was trained as
            self.cfg.train.name, self.cfg.train.out_dir = load_config(stored).train.name, str(self.run_dir.parent)
        tensors, plain = ckpt.read_checkpoint(directory, step)
        self.step = ckpt.restore(tensors, plain, self.algo.nets, self.optimizers)
        self.restored_extra = plain.get("extra", {})
        if self.rt.distributed:  # each rank continues its own streams (or, saved without them, a fresh one)
            mine = ckpt.rank_rng_state(tensors, plain, self.rt.rank, self.rt.world_size)
            if mine is not None:
                ckpt.set_rng_state(*mine)
            else:
                seed_everything(self.cfg.train.seed + self.step, self.rt.rank)
        if self.rt.is_main:
            _truncate_metrics(self.run_dir / "metrics.jsonl", self.step)

    def _new_update(self) -> None:
        """Under compile_mode reduce-overhead, tell the CUDA-graph runner that an update begins: the
        last update's graph outputs are no longer needed (its backward ran), so replays may reuse them."""
        if self.compiled and self.cfg.train.compile_mode == "reduce-overhead":
            torch.compiler.cudagraph_mark_step_begin()

    def _wrap_ddp(self) -> None:
        from torch.nn.parallel import DistributedDataParallel as DDP

        broadcast_weights(self.algo.nets)
        ids = [self.rt.device.index] if self.rt.device.type == "cuda" else None
        for name, net in self.algo.nets.items():
            if any(p.requires_grad for p in net.parameters()):
                self.algo.nets[name] = DDP(net, device_ids=ids)

    def _autocast(self):
        if self.cfg.train.precision == "bf16":
            return torch.autocast(self.rt.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # ------------------------------------------------------------------ the loop
    def _batch(self, n: int) -> dict[str, torch.Tensor]:
        if self._with_source:
            return self._translation_batch(n)
        real, label = self.data.batch(n)
        if self.channels_last:
            real = real.contiguous(memory_format=torch.channels_last)
        batch = {"real": real}
        if label is not None:
            batch["label"] = label
        return batch

    def _translation_batch(self, n: int) -> dict[str, torch.Tensor]:
        """{"real": B, "source": A}: rows paired, or drawn independently for unpaired data."""
        source, real = self.data.pairs(n)
        if self.channels_last:
            source, real = (x.contiguous(memory_format=torch.channels_last) for x in (source, real))
        return {"real": real, "source": source}

    def fit(self) -> Run:
        threads_before = torch.get_num_threads()
        threads = training_threads(self.cfg.train, self.rt.device, self.data.info.kind, self.algo.nets)
        if threads:
            torch.set_num_threads(threads)
        try:
            self._lock_run_dir()  # again on a second fit: the first one's end let it go
            with self.own_random_streams(), self.host_memory(), \
                    backend_settings(self.cfg.train.deterministic, bool(self.compiled)):
                return self._fit()
        finally:
            self._unlock_run_dir()
            torch.set_num_threads(threads_before)  # leave the caller's process as we found it

    @contextlib.contextmanager
    def own_random_streams(self):
        """Draw from this trainer's own random streams, and leave the caller's as they were.
        Training draws from the global generators (torch, NumPy, Python: dropout, data batches, noise),
        so without this two trainers built before either is fitted would share one stream and the
        numbers of each would depend on the order they are fitted in, and a trainer would move the
        caller's stream. Its state is carried from construction (seed, resumed checkpoint) to each fit."""
        caller = ckpt.rng_state()
        if self._rng is not None:
            ckpt.set_rng_state(*self._rng)
        try:
            yield
        finally:
            self._rng = ckpt.rng_state()
            ckpt.set_rng_state(*caller)

    def host_memory(self):
        """The scope `fit` trains in: on the CPU, freed memory stays mapped for the next step (a conv
        GAN's 100 MiB activations are reused instead of mapped afresh). Benchmarks that call `fit`
        twice (warm-up, then timed) enter it around both, as one long fit would."""
        return keep_freed_memory(self.cfg.train.keep_freed_memory and self.rt.device.type == "cpu")

    def _fit(self) -> Run:
        t, total = self.cfg.train, self.cfg.train.steps
        self.total = total  # the last step; hooks read it (a time limit can bring it forward)
        if self.rt.is_main:
            save_config(self.cfg, self.run_dir / "config.yaml")
            write_json(self.run_dir / "data.json", self.data.info.__dict__)
        ckpt_every = t.checkpoint_every or self.cfg.eval.every
        stats: dict[str, torch.Tensor] = {}
        progress = Progress(total, self.step, enabled=t.progress and self.rt.is_main)
        started = time.perf_counter()
        with progress:
            while self.step < total:
                if t.lr_decay != "none":
                    self._set_lr(self.step)
                self.algo.want_stats = (self.step + 1) % t.log_every == 0 or self.step + 1 == total
                batch = self._batch(t.batch_size)
                if t.same_batch:  # seed 004: the same real batch and noise for every update of the iteration
                    batch["z"] = self.algo.latent(t.batch_size)
                with self._autocast():
                    for i in range(t.d_steps):
                        if i and not t.same_batch:
                            batch = self._batch(t.batch_size)
                        self._new_update()
                        stats.update(self.algo.d_step(batch))
                    for _ in range(t.g_steps):
                        self._new_update()
                        stats.update(self.algo.g_step(batch))
                self.step += 1
                if t.time_limit and self.step % t.log_every == 0 and time.perf_counter() - started > t.time_limit:
                    total = self.total = self.step  # out of time: this step is the last (logged, evaluated, saved)
                last = self.step == total
                if self.step % t.log_every == 0 or last:
                    self._log(stats, time.perf_counter() - started, progress)
                if self.hooks and (self.step % self.cfg.eval.every == 0 or last or self.step == self.first_eval):
                    with torch.random.fork_rng(devices=self._rng_devices()):
                        self.hooks.on_eval(self.step)
                if self.step % ckpt_every == 0 or last:
                    self.save()
        if self.hooks:
            self.hooks.on_end(self.step)
        run = Run(self.run_dir, self.cfg, self.data.info, self.algo, self.step)
        run.is_main = self.rt.is_main
        return run

    def _set_lr(self, step: int) -> None:
        """Decay every learning rate from its configured value to 0 at the last step (a pure function
        of the step, so resumed runs follow the same schedule)."""
        t = self.cfg.train
        start = t.lr_decay_start * t.steps
        progress = min(1.0, max(0.0, (step - start) / max(1.0, t.steps - start)))
        factor = 1.0 - progress if t.lr_decay == "linear" else 0.5 * (1.0 + math.cos(math.pi * progress))
        for name, opt in self.optimizers.items():
            base = getattr(self.cfg.optim, name.lower(), None)
            for group in opt.param_groups:
                group.setdefault("base_lr", base.lr if base is not None else group["lr"])
                group["lr"] = group["base_lr"] * factor

    def _rng_devices(self) -> list:
        return [self.rt.device] if self.rt.device.type == "cuda" else []

    def _log(self, stats: dict[str, torch.Tensor], elapsed: float, progress: Progress) -> None:
        values = {k: float(v) for k, v in stats.items()}  # the one host sync per log step
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad:
            where = ""
            if self.rt.is_main:
                directory = self.run_dir / "checkpoints"
                last = ckpt.latest_step(directory) if directory.is_dir() else None
                where = (f"; last checkpoint: step {last} in {directory}" if last is not None
                         else "; no checkpoint was saved before it")
            raise TrainingDiverged(f"training diverged at step {self.step}: {bad[0]}={values[bad[0]]}{where}")
        if not self.rt.is_main:
            return
        epoch = self.step * self.cfg.train.batch_size * self.rt.world_size / max(1, len(self.data))
        row = {"step": self.step, "epoch": round(epoch, 4), "time": round(elapsed, 3), **values}
        with open(self.run_dir / "metrics.jsonl", "a") as f:
            f.write(dumps_json(row) + "\n")
        progress.update(self.step, values)
        if self.hooks:
            self.hooks.on_log(row)

    def save(self) -> None:
        ranks = []  # under torchrun, every rank's random streams: a resumed job draws what this one would have
        if self.rt.distributed:
            import torch.distributed as dist

            ranks = [None] * self.rt.world_size
            dist.all_gather_object(ranks, ckpt.rng_state())
        if not self.rt.is_main:
            return
        nets = {k: unwrap(v) for k, v in self.algo.nets.items()}
        extra = self.hooks.checkpoint_extra() if self.hooks else {}
        ckpt.save_checkpoint(self.run_dir / "checkpoints", self.step, nets, self.optimizers, extra,
                             keep_last=self.cfg.train.keep_last, other_ranks=ranks[1:])


def _truncate_metrics(path: Path, step: int) -> None:
    """Drop log rows written after the checkpoint we resume from (they will be written again)."""
    if not path.exists():
        return
    keep = [row for row in read_jsonl(path) if row.get("step", 0) <= step]  # a torn last line goes too
    with atomic_open(path) as f:
        f.write("".join(dumps_json(row) + "\n" for row in keep))


def train(cfg: Config, steps: int | None = None, resume: str | Path | None = None, **train_overrides) -> Run:
    """Train a GAN from a Config (Python API). `steps` and keyword overrides set `cfg.train` fields."""
    if steps is not None:  # an explicit step count wins over a preset's epoch schedule
        train_overrides["steps"], train_overrides["epochs"] = steps, None
    for key, value in train_overrides.items():
        if not hasattr(cfg.train, key):
            raise GankitError(f"unknown train option '{key}'")
        setattr(cfg.train, key, value)
    cfg = from_dict(Config, to_dict(cfg))  # type-check every field as a YAML config would be
    validate(cfg)
    return Trainer(cfg, resume=resume).fit()

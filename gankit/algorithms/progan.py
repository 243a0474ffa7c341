"""Progressive GAN (Karras et al. 2018, "Progressive Growing of GANs", ICLR): G and D start at a few
pixels and grow a resolution block per stage (gankit/models/progressive.py), each new block fading in.

Schedule (sec. 2, fig. 2; appendix A.1: 800k images per phase): stage 0 trains `stable_steps` steps;
every later stage fades in over `fade_steps` steps (α = 0 -> 1 linearly), then trains `stable_steps`
at α = 1; the last stage goes on to the end of training. Keys: model.progressive.{fade_steps, stable_steps}.
(stage, α) is a pure function of the training step t = G updates // train.g_steps, and the update count
is a buffer of nets["progress"] saved like any weight, so a resumed run (and `gankit generate` on a
loaded run) is at the level the uninterrupted run was at, with no new checkpoint state.
Loss (appendix A.1): WGAN-GP, λ = 10 (`reg.gp_weight` overrides; gankit/losses.py's wasserstein and
gankit/penalties.py's gradient penalty), plus the drift term ε_drift E_x[D(x)²], ε_drift = 0.001, that
keeps the critic's scores near 0. n_critic = 1, Adam lr 0.001, β = (0, 0.99), ε = 1e-8 and the EMA
of G live in the preset (gankit/presets/fashion-progan.yaml: reg.ema_beta 0.995, not the paper's 0.999,
whose memory is longer than the preset's CPU-sized phases).
D sees reals average-pooled to the current resolution, blended across the fade as G's output is.
`sample(n)` always returns the full image size: the current stage's output, nearest-upsampled, so
hooks, metrics and `gankit generate` see one shape from step 0.
Refused: torch.compile (the networks change with the level every step: a recompile per α), torchrun
(blocks of other stages get no gradient, which DistributedDataParallel refuses), PacGAN packing.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from gankit.algorithms.base import Batch, frozen, unwrap
from gankit.algorithms.gan import GAN
from gankit.errors import GankitError
from gankit.models.progressive import Growing, show_at_level, upsample
from gankit.registry import ALGORITHMS, ARCHITECTURES

DRIFT = 1e-3  # ε_drift (Karras et al. 2018, appendix A.1)


def level_at(step: int, stages: int, fade_steps: int, stable_steps: int) -> tuple[int, float]:
    """(stage, α) at training step `step` (0-based): stage 0 for `stable_steps`, then per stage a fade
    (α = k / fade_steps at its k-th step, k = 0 .. fade_steps - 1) and a stable phase (α = 1)."""
    if step < stable_steps:
        return 0, 1.0
    period = fade_steps + stable_steps
    stage, within = 1 + (step - stable_steps) // period, (step - stable_steps) % period
    if stage >= stages:
        return stages - 1, 1.0
    return stage, min(1.0, within / fade_steps)


def drift_penalty(real_scores: Tensor, weight: float = DRIFT) -> Tensor:
    """ε_drift E_x[D(x)²] on the real scores (appendix A.1): the Wasserstein loss sees only the
    difference of scores, so without it their common offset may drift away."""
    return weight * real_scores.float().pow(2).mean()


class StepCounter(nn.Module):
    """G updates made so far, as a buffer: checkpoints save and restore it by name."""

    def __init__(self):
        super().__init__()
        self.register_buffer("g_updates", torch.zeros((), dtype=torch.long))


@ALGORITHMS.register("progan", "Progressive GAN: G and D grow to the image size, WGAN-GP + drift (Karras et al. 2018)")
class ProGAN(GAN):
    loss_name = "wasserstein"
    default_gp = 10.0    # λ (appendix A.1, from Gulrajani et al. 2017)
    plain_d = False      # real and fake in separate forwards: minibatch stddev must not mix them

    def __init__(self, cfg, info):
        _refuse_unsupported(cfg, info)
        super().__init__(cfg, info)
        p = cfg.model.progressive
        self.fade_steps, self.stable_steps = p.fade_steps, p.stable_steps
        self._g_updates: int | None = None  # host copy of the counter, read once after a possible resume

    def build_nets(self) -> dict[str, nn.Module]:
        nets = ARCHITECTURES.get("progressive")(self.cfg.model, tuple(self.info.shape), self.info.num_classes)
        nets["progress"] = StepCounter()
        return nets

    def differentiated_twice(self) -> set[str]:
        return {"D"}

    # ---------------------------------------------------------------- the level
    @property
    def g_updates(self) -> int:
        if self._g_updates is None:
            self._g_updates = int(unwrap(self.nets["progress"]).g_updates)
        return self._g_updates

    @property
    def step(self) -> int:
        """The training step the networks are at: completed iterations (G updates // train.g_steps)."""
        return self.g_updates // self.cfg.train.g_steps

    def level(self) -> tuple[int, float]:
        return level_at(self.step, unwrap(self.nets["G"]).stages, self.fade_steps, self.stable_steps)

    def _apply_level(self) -> tuple[int, float]:
        stage, alpha = self.level()
        for net in self.nets.values():
            net = unwrap(net)
            if isinstance(net, Growing):  # G, D and G_ema (a copy of G)
                net.set_level(stage, alpha)
        return stage, alpha

    def show_real(self, real: Tensor) -> Tensor:
        """Reals as D sees them at the current level: pooled to its resolution, blended during a fade."""
        D = unwrap(self.nets["D"])
        return show_at_level(real, D.stage, D.alpha, D.size(D.stage))

    # ---------------------------------------------------------------- D step
    def d_step(self, batch: Batch) -> dict[str, Tensor]:
        self._apply_level()
        D, real = self.nets["D"], batch["real"]
        fake, _ = self.generate(self.cfg.train.fake_batch_size or len(real), batch, batch.get("z"), grad=False)
        real_in, fake_in = self.stab.d_view(self.show_real(real)), self.stab.d_view(fake)  # (N, C, r, r) each
        out_real, out_fake = D(real_in), D(fake_in)  # (N,) each
        loss_real, loss_fake = self.loss.d_real(out_real, 1.0), self.loss.d_fake(out_fake)  # -E D(x), E D(G(z))
        parts = {"drift": drift_penalty(out_real)}
        gp = self._gp(real_in, fake_in, None, parts)  # λ E(‖∇D(x̂)‖₂ - 1)², fills parts["gp"]
        self._update("D", loss_real + loss_fake + gp + parts["drift"])
        self.stab.count_d_step()
        if not self.want_stats:
            return {}
        stats = {"d_loss": (loss_real + loss_fake).detach(), "d_real": out_real.detach().float().mean(),
                 "d_fake": out_fake.detach().float().mean()}
        stats.update({k: v.detach() for k, v in parts.items()})
        stage, alpha = self.level()
        stats["stage"], stats["alpha"] = torch.tensor(float(stage)), torch.tensor(alpha)
        return stats

    # ---------------------------------------------------------------- G step
    def g_step(self, batch: Batch) -> dict[str, Tensor]:
        self._apply_level()
        D = unwrap(self.nets["D"])
        fake, _ = self.generate(self.cfg.train.g_batch_size or len(batch["real"]), batch, batch.get("z"), grad=True)
        with frozen(D):
            loss = self.loss.g(D(self.stab.d_view(fake)))  # -E D(G(z))
        self._update("G", loss)
        self.stab.after_g_update()
        count = self.g_updates
        unwrap(self.nets["progress"]).g_updates.add_(1)
        self._g_updates = count + 1
        return {"g_loss": loss.detach()}

    # ---------------------------------------------------------------- sampling
    def run_generator(self, *inputs: Tensor) -> Tensor:
        """G (or G_ema) at the current level, nearest-upsampled to the full image size."""
        self._apply_level()
        images = super().run_generator(*inputs)  # (N, C, r, r)
        return upsample(images, self.info.shape[1] // images.shape[2])  # (N, C, H, W)


def _refuse_unsupported(cfg, info) -> None:
    if info.kind != "image" or len(info.shape) != 3:
        raise GankitError(f"train.algorithm 'progan' grows image networks; data '{info.name}' is {info.kind} "
                          f"data of shape {list(info.shape)} (use an image dataset)")
    if cfg.model.arch != "progressive":
        raise GankitError(f"config key 'model.arch': progan grows its own networks; set model.arch: progressive "
                          f"(got '{cfg.model.arch}')")
    if cfg.reg.pack > 1 or cfg.reg.minibatch_std:
        raise GankitError("config keys 'reg.pack' / 'reg.minibatch_std': progan's D has its own minibatch "
                          "stddev layer (Karras et al. 2018, sec. 3); set reg.pack: 1 and reg.minibatch_std: false")
    if cfg.train.compile:
        raise GankitError("config key 'train.compile': progan's networks change with the growing level at every "
                          "step, which torch.compile would recompile each time; set it to false")
    if torch.distributed.is_available() and torch.distributed.is_initialized() \
            and torch.distributed.get_world_size() > 1:
        raise GankitError("train.algorithm 'progan' does not run under torchrun: the blocks of the other stages "
                          "get no gradient, which DistributedDataParallel refuses; train on one process")

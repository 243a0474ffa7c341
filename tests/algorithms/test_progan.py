"""Progressive GAN (gankit/algorithms/progan.py): the schedule at its phase boundaries, D shown the
current resolution, the drift term's value, samples at the full size at every stage (through the EMA
copy), exact resume across a stage boundary, and one-line refusals."""
import json

import pytest
import torch
import torch.nn.functional as F

from gankit.algorithms.progan import DRIFT, ProGAN, drift_penalty, level_at
from gankit.config import apply_overrides, load_config
from gankit.data.source import DataInfo
from gankit.errors import GankitError
from gankit.train.checkpoint import latest_step, read_checkpoint
from gankit.train.trainer import Trainer

IMAGE = DataInfo(name="img", kind="image", shape=[1, 16, 16], shift=[127.5], scale=[127.5])  # 4 -> 8 -> 16
TINY = ["model.g.options={width: 4, max_width: 8}", "model.d.options={width: 4, max_width: 8}", "model.latent_dim=8",
        "train.batch_size=8", "model.progressive.stable_steps=1", "model.progressive.fade_steps=2"]


def make(*overrides: str, info: DataInfo = IMAGE) -> ProGAN:
    cfg = apply_overrides(load_config("fashion-progan"), [*TINY, *overrides])
    torch.manual_seed(0)
    algo = ProGAN(cfg, info)
    algo.optimizers()
    return algo


def batch(n: int = 8) -> dict:
    return {"real": torch.rand(n, *IMAGE.shape) * 2 - 1}


def test_stage_and_alpha_at_the_phase_boundaries():
    # stable 3, fade 4, 3 stages: stage 0 for steps 0-2, stage 1 fades over 3-6 and is stable 7-9, ...
    at = [level_at(step, 3, fade_steps=4, stable_steps=3) for step in range(20)]
    assert at[:3] == [(0, 1.0)] * 3
    assert at[3:7] == [(1, 0.0), (1, 0.25), (1, 0.5), (1, 0.75)]
    assert at[7:10] == [(1, 1.0)] * 3
    assert at[10:14] == [(2, 0.0), (2, 0.25), (2, 0.5), (2, 0.75)]
    assert at[14:] == [(2, 1.0)] * 6  # the last stage trains on to the end
    assert level_at(10**9, 3, 4, 3) == (2, 1.0)


def test_each_step_shows_d_the_current_resolution_and_logs_its_level():
    algo = make()
    sizes, levels = [], []
    algo.nets["D"].register_forward_pre_hook(lambda m, args: sizes.append(args[0].shape[-1]))
    for _ in range(7):
        del sizes[:]
        stats = algo.d_step(batch())
        levels.append((int(stats["stage"]), float(stats["alpha"]), set(sizes)))
        algo.g_step(batch())
    assert levels == [(0, 1.0, {4}), (1, 0.0, {8}), (1, 0.5, {8}), (1, 1.0, {8}),
                      (2, 0.0, {16}), (2, 0.5, {16}), (2, 1.0, {16})]


def test_the_drift_term_is_a_thousandth_of_the_mean_squared_real_score():
    assert float(drift_penalty(torch.tensor([1.0, -2.0, 3.0]))) == pytest.approx(DRIFT * 14 / 3)
    algo = make("reg.ema_beta=0")
    real = batch()["real"]
    D = algo.nets["D"]
    algo._apply_level()
    with torch.no_grad():  # D before its update, on the reals as it is shown them (4x4 at stage 0)
        expected = 1e-3 * D(F.avg_pool2d(real, 4)).pow(2).mean()
    stats = algo.d_step({"real": real})
    torch.testing.assert_close(stats["drift"], expected)
    assert float(stats["gp"]) > 0  # WGAN-GP's penalty is on too (λ = 10)


def test_samples_are_full_size_at_every_stage_and_come_from_the_ema_copy():
    algo = make("reg.ema_beta=0.9")
    z = algo.latent(3)
    for step in range(7):
        algo.d_step(batch())
        algo.g_step(batch())
        stage, alpha = algo.level()
        out = algo.sample(3, z=z)
        assert out.shape == (3, 1, 16, 16)
        G = algo.nets["G_ema"]
        assert (G.stage, G.alpha) == (stage, alpha)
        with torch.no_grad():
            small = G.eval()(z)
        assert torch.equal(out, F.interpolate(small, scale_factor=16 // small.shape[-1], mode="nearest"))
    assert algo.level() == (2, 1.0) and not torch.equal(algo.sample(3, z=z), algo.nets["G"](z))


@pytest.mark.parametrize("overrides, info, message", [
    ([], DataInfo(name="toy", kind="vector", shape=[2], shift=[0.0, 0.0], scale=[1.0, 1.0]),
     r"^train\.algorithm 'progan' grows image networks; data 'toy' is vector data of shape \[2\]"),
    (["model.arch=dcgan"], IMAGE, r"^config key 'model\.arch': progan grows its own networks"),
    (["train.compile=true"], IMAGE, r"^config key 'train\.compile': progan's networks change"),
    (["reg.pack=2"], IMAGE, r"^config keys 'reg\.pack' / 'reg\.minibatch_std'"),
    ([], DataInfo(name="odd", kind="image", shape=[1, 27, 27], shift=[127.5], scale=[127.5]),
     r"^model\.arch 'progressive' grows the image by doublings .* 27x27 is not start·2\^k"),
])
def test_what_progan_cannot_train_is_a_one_line_error(overrides, info, message):
    with pytest.raises(GankitError, match=message) as error:
        make(*overrides, info=info)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("key", ["fade_steps", "stable_steps"])
def test_schedule_keys_must_be_positive(key):
    with pytest.raises(GankitError, match=rf"^config key 'model\.progressive\.{key}' must be >= 1, got 0$"):
        apply_overrides(load_config("fashion-progan"), [f"model.progressive.{key}=0"])


# ------------------------------------------------------------------------------- exact resume
# scikit-learn's 8x8 digits: 4 -> 8 px. Stage 0 is steps 0-1, the fade steps 2-3, then stable.
RUN = ["data.name=digits", "data.image_size=null", "model.g.options={width: 4, max_width: 8}",
       "model.d.options={width: 4, max_width: 8}", "model.latent_dim=8", "train.batch_size=8",
       "model.progressive.stable_steps=2", "model.progressive.fade_steps=2", "train.log_every=1",
       "eval.every=2", "train.checkpoint_every=2", "eval.image_metrics=[]", "eval.best_metric=null",
       "eval.n_samples=4", "eval.grid=4", "eval.n_accuracy=4", "eval.plots=false", "train.progress=false",
       "train.threads=1"]


def train(out, name: str, steps: int, resume=None):
    cfg = apply_overrides(load_config("fashion-progan"), [*RUN, f"train.out_dir={out}", f"train.name={name}",
                                                          f"train.steps={steps}"])
    return Trainer(cfg, resume=resume).fit().dir


def test_resume_at_a_stage_boundary_equals_the_uninterrupted_run(tmp_path):
    straight = train(tmp_path, "straight", 6)
    split = train(tmp_path, "split", 2)           # stops where the 8x8 block is about to fade in
    train(tmp_path, "ignored", 6, resume=split)
    a, b = (read_checkpoint(d / "checkpoints", 6)[0] for d in (straight, split))
    assert latest_step(split / "checkpoints") == 6 and sorted(a) == sorted(b)
    assert [k for k in a if not torch.equal(a[k], b[k])] == []  # weights, EMA, Adam moments, counter, RNG
    assert int(a["net/progress/g_updates"]) == 6

    def rows(d):
        return [{k: v for k, v in json.loads(line).items() if k != "time"}
                for line in (d / "metrics.jsonl").read_text().splitlines()]
    assert rows(split) == rows(straight)
    assert [(r["stage"], r["alpha"]) for r in rows(straight) if "stage" in r] == \
        [(0, 1), (0, 1), (1, 0), (1, 0.5), (1, 1), (1, 1)]


def test_torchrun_is_refused_in_one_line(monkeypatch):
    # Under DDP the blocks of the other stages get no gradient, which DistributedDataParallel refuses.
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.distributed, "get_world_size", lambda *a, **k: 2)
    with pytest.raises(GankitError, match=r"^train\.algorithm 'progan' does not run under torchrun") as error:
        make()
    assert "\n" not in str(error.value)

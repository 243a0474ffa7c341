"""Hooks: optional TensorBoard mirror of metrics.jsonl."""
import pytest


def test_tensorboard_without_the_package_is_a_clear_error(tmp_path):
    import importlib.util

    from gankit.cli import main

    if importlib.util.find_spec("tensorboard") is not None:
        pytest.skip("tensorboard is installed here; the error path cannot be exercised")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "circle", "--steps", "2", "--out", str(tmp_path), "--no-progress",
              "--set", "train.tensorboard=true"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("preset", ["quadratic", "circle"])  # RMSprop and (Lean)Adam in the G-step copy
def test_evaluation_hooks_never_change_the_training(tmp_path, preset):
    """Hooks draw random numbers, copy G and even take a G step on the copy (seed 004's figure): the
    weights and optimizer moments must be bit-identical to a run without any evaluation."""
    import torch

    import gankit
    from gankit.config import apply_overrides

    def weights(evaluate: bool, name: str):
        cfg = apply_overrides(gankit.load_config(preset), [
            "train.steps=30", "train.d_steps=2", "train.g_steps=2", "train.progress=false",
            f"train.out_dir={tmp_path}", f"train.name={name}", "eval.n_metric=100", "eval.n_samples=64",
            f"eval.every={5 if evaluate else 1000}", f"eval.plots={str(evaluate).lower()}",
            f"eval.metrics={str(evaluate).lower()}"])
        run = gankit.train(cfg)
        state = {k: v.clone() for net in run.algo.nets.values() for k, v in net.state_dict().items()}
        for name, opt in run.algo.opt.items():
            for i, moments in opt.state_dict()["state"].items():
                state.update({f"opt/{name}/{i}/{k}": v.clone() for k, v in moments.items() if torch.is_tensor(v)})
        return state

    with_hooks, without = weights(True, "a"), weights(False, "b")
    assert with_hooks.keys() == without.keys()
    assert all(torch.equal(with_hooks[k], without[k]) for k in with_hooks)


def test_a_best_metric_on_vector_data_is_refused_not_ignored(tmp_path):
    """eval.best_metric picks checkpoints by an image metric: on a toy run it would never write best.json."""
    from gankit.config import apply_overrides, load_config
    from gankit.errors import GankitError
    from gankit.train.trainer import Trainer

    cfg = apply_overrides(load_config("grid25"), [f"train.out_dir={tmp_path}", "eval.best_metric=fid"])
    with pytest.raises(GankitError, match=r"^config key 'eval.best_metric' \('fid'\) picks .* vectors of shape "
                                          r"\(2,\) \(set it to null\)$"):
        Trainer(cfg)

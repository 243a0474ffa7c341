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

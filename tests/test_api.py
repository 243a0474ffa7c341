"""gankit's Python API (gankit/__init__.py): train from a Config, sample from the run it returns."""
from __future__ import annotations

import pytest
import torch

import gankit
from gankit.errors import GankitError
from gankit.train.checkpoint import latest_step


def _tiny_config(tmp_path):
    cfg = gankit.load_config("circle")
    cfg.train.out_dir = str(tmp_path)
    cfg.train.batch_size, cfg.train.progress = 32, False
    cfg.eval.every, cfg.eval.n_metric, cfg.eval.n_samples, cfg.eval.plots = 5, 200, 100, False
    return cfg


def test_python_api_trains_and_samples(tmp_path):
    run = gankit.train(_tiny_config(tmp_path), steps=5)
    samples = run.generator.sample(5)
    assert isinstance(samples, torch.Tensor) and samples.shape == (5, 2)
    assert torch.isfinite(samples).all()
    assert run.dir.parent == tmp_path and latest_step(run.dir / "checkpoints") == 5


def test_python_api_run_knows_its_step(tmp_path):
    run = gankit.train(_tiny_config(tmp_path), steps=5)
    assert run.step == 5  # load_run(run.dir).step is 5; the run fit() returns should agree


@pytest.mark.parametrize("steps", [0, -3])
def test_python_api_rejects_bad_steps_before_writing(tmp_path, steps):
    with pytest.raises(GankitError, match="train.steps"):
        gankit.train(_tiny_config(tmp_path), steps=steps)
    assert list(tmp_path.iterdir()) == []


def test_import_gankit_leaves_torch_to_first_use():
    """`import gankit` imported torch (~1.5 s): `gankit --help` took 2 s, and a Ctrl-C while torch loaded
    ended in a KeyboardInterrupt traceback, before the CLI's handler existed."""
    import subprocess
    import sys

    code = ("import sys, gankit, gankit.cli; assert 'torch' not in sys.modules, 'torch imported'; "
            "gankit.load_run; assert 'torch' in sys.modules; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr[-1000:]


def test_gankit_train_stays_the_function_once_its_subpackage_is_imported():
    import gankit.train.trainer  # binds the subpackage gankit.train on the package: ignored
    from gankit.train import checkpoint

    assert callable(gankit.train) and gankit.train is gankit.train.__globals__["train"]
    assert checkpoint.latest_step is latest_step and gankit.load_run.__module__ == "gankit.train.run"


def test_metrics_and_features_are_reachable_from_import_gankit():
    """`import gankit; gankit.metrics.fid(a, b)` (the form gankit/metrics' docstring shows) was an AttributeError."""
    import subprocess
    import sys

    code = ("import sys, gankit; assert 'torch' not in sys.modules; "
            "print(gankit.metrics.fid([[0.0, 1], [1, 0], [2, 2]], [[0.0, 1], [1, 0], [2, 2]]) < 1e-9, "
            "gankit.features.get_extractor('pixels').name, hasattr(gankit, 'nosuch'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["True", "pixels", "False"], result.stderr[-1000:]


def test_import_gankit_leaves_the_config_tables_to_first_use():
    """The config module (and YAML) loaded with the package: ~60 ms in which a Ctrl-C at `gankit ...`
    start-up was a traceback. `from gankit import load_config` still works."""
    import subprocess
    import sys

    code = ("import sys, gankit; print('yaml' in sys.modules, 'gankit.config' in sys.modules); "
            "from gankit import Config, apply_overrides, load_config; "
            "print(load_config('circle').train.steps > 0, isinstance(load_config('circle'), Config))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["False", "False", "True", "True"], result.stderr[-1000:]


def test_a_ctrl_c_while_the_cli_loads_is_one_line_and_status_130(monkeypatch, capsys):
    import builtins
    import sys

    from gankit.__main__ import run

    real_import = builtins.__import__

    def interrupted(name, *args, **kwargs):
        if name == "gankit.cli":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "gankit.cli", raising=False)
    monkeypatch.setattr(builtins, "__import__", interrupted)
    with pytest.raises(SystemExit) as exit_info:
        run()
    assert exit_info.value.code == 130 and capsys.readouterr().err == "gankit: interrupted\n"


def test_a_ctrl_c_while_the_arguments_are_parsed_is_one_line_and_status_130(monkeypatch, capsys):
    import argparse

    from gankit.__main__ import run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", interrupted)
    monkeypatch.setattr("sys.argv", ["gankit", "list"])
    with pytest.raises(SystemExit) as exit_info:
        run()
    assert exit_info.value.code == 130 and capsys.readouterr().err == "gankit: interrupted\n"

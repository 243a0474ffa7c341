"""Config: presets load, overrides are typed, errors name the dotted key, the YAML round-trips."""
import re

import pytest
import yaml

from gankit.config import Config, apply_overrides, list_presets, load_config, save_config, to_dict
from gankit.errors import GankitError


def test_every_preset_loads_and_round_trips(tmp_path):
    assert "circle" in list_presets()
    for name in list_presets():
        cfg = load_config(name)
        assert cfg.preset == name
        save_config(cfg, tmp_path / "c.yaml")
        again = load_config(tmp_path / "c.yaml")
        assert to_dict(again) | {"preset": None} == to_dict(cfg) | {"preset": None}


def test_default_is_circle():
    assert load_config(None).data.name == "circle"


def test_overrides_are_typed():
    cfg = apply_overrides(load_config("circle"), [
        "train.steps=2000", "optim.g.lr=5e-4", "model.g.hidden=[8, 8]", "train.name=x", "data.params.radius=3"])
    assert cfg.train.steps == 2000 and cfg.optim.g.lr == 5e-4
    assert cfg.model.g.hidden == [8, 8] and cfg.train.name == "x" and cfg.data.params["radius"] == 3


@pytest.mark.parametrize("override, words", [
    ("train.stepz=3", "train.stepz"),
    ("nosection.a=1", "nosection"),
    ("train.steps=abc", "train.steps"),
    ("train.steps=-5", "train.steps"),
    ("train.steps", "section.key=value"),
    ("optim.g.lr=0", "optim.g.lr"),
    ("train.precision=fp8", "train.precision"),
    ("model.g.hidden=5", "model.g.hidden"),
    ("train.progress=maybe", "train.progress"),
    # NaN slipped through every `< 0` check; torch then raised "Invalid learning rate: nan"
    ("optim.g.lr=nan", "optim.g.lr"),
    ("optim.g.eps=.nan", "optim.g.eps"),
    ("train.time_limit=nan", "train.time_limit"),
    ("optim.g.betas=[0.5, 1.5]", "optim.g.betas"),
    ("train.threads=-2", "train.threads"),
    ("train.seed=99999999999999999999", "train.seed"),
    ("data.image_size=0", "data.image_size"),
    # torch's optimizers refused these with a traceback; inf passed and diverged later
    ("optim.g.weight_decay=-1", "optim.g.weight_decay"),
    ("optim.d.momentum=-1", "optim.d.momentum"),
    ("optim.g.alpha=2", "optim.g.alpha"),
    ("optim.g.lr=inf", "optim.g.lr"),
    # passed validation and failed only at the first evaluation, or after the run folder was made
    ("eval.best_metric=foo", "eval.best_metric' is 'foo'; expected one of: fid, kid, precision"),
    ("eval.features=foo", "eval.features' is 'foo'; expected one of: classifier:<dataset"),
    ("eval.n_metric=0", "eval.n_metric' must be >= 1"),
    ("eval.grid=0", "eval.grid' must be >= 1"),
    ("eval.image_metrics=[fid, lpips]", "eval.image_metrics': unknown image metric 'lpips'; expected some of: fid"),
    ("eval.n_accuracy=0", "eval.n_accuracy' must be >= 1"),
    ("eval.predict=-1", "eval.predict' must be an integer >= 0"),
    # values the losses and networks used unchecked
    ("loss.real_label=0", "loss.real_label' must be in (0, 1]"),
    ("loss.real_label=1.1", "loss.real_label' must be in (0, 1]"),
    ("loss.d_scale=0", "loss.d_scale' must be a finite number > 0"),
    ("loss.d_scale=inf", "loss.d_scale' must be a finite number > 0"),
    ("model.g.bn_momentum=1.5", "model.g.bn_momentum' must be in [0, 1]"),
    ("model.d.bn_momentum=-0.1", "model.d.bn_momentum' must be in [0, 1]"),
    ("model.d.bn_eps=0", "model.d.bn_eps' must be a finite number > 0"),
    ("reg.gp_weight=inf", "reg.gp_weight' must be a finite number >= 0"),
    # a dotted path that runs on past a value was called an unknown key
    ("train.steps.x=3", "train.steps' is a value, not a section, in override 'train.steps.x=3'; "
                        "expected train.steps=VALUE"),
])
def test_bad_override_names_the_key(override, words):
    with pytest.raises(GankitError, match=re.escape(words)):
        apply_overrides(load_config("circle"), [override])


@pytest.mark.parametrize("override", ["eval.best_metric=coverage", "eval.features=classifier:mnist",
                                      "eval.features=classifier:weights/x.safetensors", "eval.features=pixels",
                                      "eval.features=inception", "loss.real_label=0.9", "loss.real_label=1",
                                      "model.g.bn_momentum=0", "model.d.bn_momentum=1", "eval.predict=0"])
def test_edge_values_that_work_are_accepted(override):
    apply_overrides(load_config("circle"), [override])


def test_best_metric_names_are_the_image_metrics_scores():
    """schema.BEST_METRICS copies metrics/image.py's names (the config cannot import torch): keep them equal."""
    from gankit.metrics.image import HIGHER_IS_BETTER
    from gankit.schema import BEST_METRICS

    assert set(BEST_METRICS) == set(HIGHER_IS_BETTER)


def test_bad_yaml_and_unknown_keys(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: {steps: [1, 2\n")
    with pytest.raises(GankitError, match="bad.yaml.*line"):
        load_config(bad)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(yaml.safe_dump({"train": {"stepz": 3}}))
    with pytest.raises(GankitError, match="train.stepz"):
        load_config(unknown)
    with pytest.raises(GankitError, match="not found"):
        load_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"], ids=["empty", "comment", "blank-lines"])
def test_a_config_file_without_settings_is_refused_and_braces_mean_defaults(tmp_path, text):
    empty = tmp_path / "empty.yaml"
    empty.write_text(text)
    with pytest.raises(GankitError, match=r"empty.yaml: holds no settings .*`\{\}` for every default"):
        load_config(empty)
    braces = tmp_path / "defaults.yaml"
    braces.write_text("{}\n")
    assert load_config(braces).train.steps == Config().train.steps


def test_defaults_are_a_valid_config():
    assert isinstance(Config().train.steps, int)

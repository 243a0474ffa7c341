"""Config: presets load, overrides are typed, errors name the dotted key, the YAML round-trips."""
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
])
def test_bad_override_names_the_key(override, words):
    with pytest.raises(GankitError, match=words.replace(".", r"\.")):
        apply_overrides(load_config("circle"), [override])


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

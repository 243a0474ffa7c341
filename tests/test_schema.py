"""Tests for gankit/schema.py: the defaults pass their own type checks unchanged, instances share no
mutable defaults, every section's unknown keys are one-line errors listing that section's fields,
and the choices the field comments document are the ones the code accepts."""
from __future__ import annotations

import dataclasses
import inspect
import re
import typing

import pytest
import yaml

import gankit.algorithms  # noqa: F401  (registers the recipes)
import gankit.models  # noqa: F401  (registers the architectures)
import gankit.schema as schema
from gankit.config import CHOICES, apply_overrides, from_dict, load_config, to_dict, validate
from gankit.data.source import DataInfo
from gankit.errors import GankitError
from gankit.registry import ALGORITHMS


def leaves(tree: dict, prefix: str = ""):
    for key, value in tree.items():
        if isinstance(value, dict) and key not in ("params", "options"):
            yield from leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def test_defaults_survive_yaml_and_the_type_checks_unchanged():
    defaults = to_dict(schema.Config())
    again = to_dict(from_dict(schema.Config, yaml.safe_load(yaml.safe_dump(defaults))))
    validate(schema.Config())
    assert again == defaults
    # and keep their types (a float field's default must not come back as an int, or the reverse)
    assert {k: type(v) for k, v in leaves(again)} == {k: type(v) for k, v in leaves(defaults)}


def test_instances_share_no_mutable_defaults():
    a, b = schema.Config(), schema.Config()
    a.model.g.hidden.append(99)
    a.optim.d.betas[0] = 0.5
    a.data.params["radius"] = 3.0
    a.model.cond.categorical.append(10)
    a.eval.image_metrics.append("fid")
    assert b.model.g.hidden == [32, 16] and b.optim.d.betas == [0.9, 0.999] and b.data.params == {}
    assert b.model.cond.categorical == [] and b.eval.image_metrics == []
    assert a.model.d.hidden == [32, 16]  # G's and D's NetConfig are separate objects too


SECTIONS = [("data", schema.DataConfig), ("model", schema.ModelConfig), ("model.g", schema.NetConfig),
            ("model.cond", schema.CondConfig), ("loss", schema.LossConfig), ("optim", schema.OptimConfig),
            ("optim.d", schema.OptimizerConfig), ("reg", schema.RegConfig), ("train", schema.TrainConfig),
            ("eval", schema.EvalConfig)]


def nested(dotted: str, value) -> dict:
    for part in reversed(dotted.split(".")):
        value = {part: value}
    return value


@pytest.mark.parametrize("section, cls", SECTIONS, ids=[s for s, _ in SECTIONS])
def test_an_unknown_key_in_a_config_file_names_it_and_lists_its_sections_fields(section, cls):
    with pytest.raises(GankitError) as info:
        from_dict(schema.Config, nested(f"{section}.typo_key", 1))
    fields = ", ".join(f.name for f in dataclasses.fields(cls))
    assert str(info.value) == f"unknown config key '{section}.typo_key'; expected one of: {fields}"


def test_an_unknown_key_in_an_override_lists_the_sections_fields_too():
    with pytest.raises(GankitError, match=r"train\.stepz.*expected one of: algorithm, steps, epochs"):
        apply_overrides(load_config("circle"), ["train.stepz=3"])


def comment(dotted: str) -> str:
    """The comment on the schema line of `dotted` (looked up in its own section's class)."""
    cls, *sections, field = [schema.Config, *dotted.split(".")]
    for part in sections:
        cls = typing.get_type_hints(cls)[part]
    return re.search(rf"^\s+{field}: [^=]+=[^#]+#\s*(.*)$", inspect.getsource(cls), re.M).group(1)


@pytest.mark.parametrize("key", sorted(CHOICES))
def test_comments_document_exactly_the_validated_choices(key):
    text = comment(key)
    assert all(re.search(rf"\b{choice}\b", text) for choice in CHOICES[key]), text
    assert len(text.split("|")) == len(CHOICES[key]), text


def documented_names(dotted: str) -> list[str]:
    """'a (note) | b | c | (more ...)' -> [a, b, c]."""
    words = [part.split()[0] for part in comment(dotted).split("|")]
    return [w for w in words if not w.startswith("(")]


INFO = DataInfo(name="toy", kind="vector", shape=[2], shift=[0.0, 0.0], scale=[1.0, 1.0])


def build(*overrides: str) -> None:
    algo = ALGORITHMS.get("gan")(apply_overrides(load_config("circle"), list(overrides)), INFO)
    algo.optimizers()


LOOKED_UP = ["model.g.activation", "model.d.init", "optim.d.name", "loss.name"]


@pytest.mark.parametrize("key", LOOKED_UP)
def test_every_documented_choice_of_a_looked_up_name_builds(key):
    choices = documented_names(key)
    assert len(choices) >= 2
    for choice in choices:
        build(f"{key}={choice}")


@pytest.mark.parametrize("key", ["model.g.activation", "model.d.init", "model.g.hidden_init", "model.g.out_activation", "optim.d.name", "loss.name"])
def test_an_undocumented_choice_is_a_one_line_error_naming_the_key(key):
    with pytest.raises(GankitError) as info:
        build(f"{key}=bogus")
    assert "\n" not in str(info.value) and "'bogus'" in str(info.value) and "expected one of" in str(info.value)
    assert key in str(info.value)

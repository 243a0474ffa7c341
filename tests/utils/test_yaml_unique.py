"""A key written twice in a YAML mapping is an error (gankit/utils/yaml_unique.py): PyYAML kept the last
one silently, so `steps: 10` then `steps: 20` in one section trained 20 steps without a word."""
from __future__ import annotations

import pytest
import yaml

from gankit.config import apply_overrides, load_config
from gankit.errors import GankitError
from gankit.utils.yaml_unique import safe_load_unique


def test_it_reads_what_safe_load_reads():
    text = "a: 1\nb: {c: [1, 2.5e-3, x], d: null}\ne: &anchor {f: 1}\ng: *anchor\n"
    assert safe_load_unique(text) == yaml.safe_load(text)


@pytest.mark.parametrize("text, key", [("a: 1\na: 2\n", "a"), ("t:\n  s: 1\n  u: 2\n  s: 3\n", "s"),
                                       ("{x: 1, x: 1}", "x"), ("1: a\n1: b\n", "1")])
def test_a_repeated_key_is_refused(text, key):
    with pytest.raises(yaml.YAMLError, match=f"the key '{key}' appears twice in one mapping"):
        safe_load_unique(text)


def test_equal_keys_in_different_mappings_are_fine():
    assert safe_load_unique("g: {lr: 1}\nd: {lr: 2}\n") == {"g": {"lr": 1}, "d": {"lr": 2}}


def test_unsafe_tags_and_unhashable_keys_stay_refused():
    with pytest.raises(yaml.YAMLError):
        safe_load_unique("a: !!python/object:os.system {}\n")
    with pytest.raises(yaml.YAMLError, match="unhashable"):
        safe_load_unique("? [1, 2]\n: x\n")


def test_a_config_file_with_a_repeated_key_names_file_line_and_key(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("train:\n  steps: 10\n  steps: 20\n")
    with pytest.raises(GankitError, match=r"dup.yaml: line 3 is not valid YAML \(the key 'steps' appears twice"):
        load_config(path)
    with pytest.raises(GankitError, match="is not valid YAML"):
        apply_overrides(load_config("circle"), ["model.g={hidden: [8], hidden: [4]}"])

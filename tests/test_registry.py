"""Tests for gankit/registry.py: lookups of unknown names are one-line errors naming the name, the
config key and every known entry; names register once; help text falls back to the docstring;
the built-in tables hold what docs/algorithms.md documents."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import gankit.algorithms  # noqa: F401  (registers the recipes)
import gankit.models  # noqa: F401  (registers the architectures)
from gankit.errors import GankitError
from gankit.registry import ALGORITHMS, ARCHITECTURES, Registry


@pytest.fixture
def widgets() -> Registry:
    reg: Registry = Registry("widget")

    @reg.register("zeta", help="the last one")
    class Zeta:
        pass

    @reg.register("alpha")
    def alpha():
        """Makes an alpha.

        More detail that must not reach the one-line help."""

    @reg.register("beta")
    class Beta:
        """
        Starts on the second line."""

    return reg


def test_unknown_name_is_one_line_naming_key_name_and_every_choice(widgets):
    with pytest.raises(GankitError) as info:
        widgets.get("gamma", "model.widget")
    message = str(info.value)
    assert "\n" not in message
    assert message == "config key 'model.widget': unknown widget 'gamma'; expected one of: alpha, beta, zeta"


def test_without_a_key_the_message_has_no_config_prefix(widgets):
    with pytest.raises(GankitError, match=r"^unknown widget 'Alpha'; expected one of: alpha, beta, zeta$"):
        widgets.get("Alpha")  # names are case-sensitive


def test_known_names_resolve_to_the_registered_object_and_are_listed_sorted(widgets):
    assert widgets.get("alpha").__name__ == "alpha"
    assert widgets.names() == ["alpha", "beta", "zeta"]
    assert "beta" in widgets and "gamma" not in widgets


def test_registering_a_name_twice_is_refused_and_keeps_the_first(widgets):
    first = widgets.get("zeta")
    with pytest.raises(ValueError, match="widget 'zeta' registered twice"):
        widgets.register("zeta")(int)
    assert widgets.get("zeta") is first


def test_describe_uses_the_help_else_the_first_docstring_line(widgets):
    described = widgets.describe()
    assert list(described) == ["alpha", "beta", "zeta"]
    assert described["zeta"] == "the last one"
    assert described["alpha"] == "Makes an alpha."
    assert described["beta"] == "Starts on the second line."  # a docstring's leading newline is skipped


def test_a_registered_object_without_a_docstring_has_empty_help():
    reg: Registry = Registry("thing")
    reg.register("bare")(lambda: None)
    assert reg.describe() == {"bare": ""}


def test_every_documented_algorithm_is_registered_and_described():
    table = (Path(__file__).parents[1] / "docs" / "algorithms.md").read_text()
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", table, flags=re.M))  # pix2pix has digits
    assert documented == set(ALGORITHMS.names())
    assert all(ALGORITHMS.describe().values())  # `gankit list` shows a line for each


def test_builtin_architectures_have_help_and_unknown_arch_lists_them():
    assert {"mlp", "dcgan"} <= set(ARCHITECTURES.names()) and all(ARCHITECTURES.describe().values())
    with pytest.raises(GankitError, match=r"'model\.arch': unknown architecture 'resnet'; expected one of: dcgan, "):
        ARCHITECTURES.get("resnet", "model.arch")

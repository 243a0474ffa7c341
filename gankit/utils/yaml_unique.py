"""YAML reading that refuses a key written twice in one mapping.

PyYAML's safe_load keeps the last of two equal keys without a word, so in a config like
`train: {steps: 10, ...}` with `steps: 20` further down one setting silently loses. YAML 1.2 says
mapping keys are unique; we hold configs to that. (PyYAML has no switch for it, hence this loader.)
"""
from __future__ import annotations

import yaml


class UniqueKeyLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool, type(None))):
                continue  # a list as a key: SafeLoader's own error ("found unhashable key") says it
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' appears twice in one mapping; expected each key once",
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def safe_load_unique(text: str):
    """yaml.safe_load, except that a repeated key is a yaml.YAMLError (ConstructorError)."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader subclass: no arbitrary objects

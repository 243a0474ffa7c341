"""Name -> implementation tables for everything a config can name.

A new model or algorithm registers itself with one decorator line; lookups of unknown names are
user errors that list what exists (`gankit list` prints the same tables).
"""
from __future__ import annotations

from typing import Callable, Generic, TypeVar

from gankit.errors import GankitError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind  # "algorithm", "architecture", ... (used in error messages)
        self._items: dict[str, T] = {}
        self._help: dict[str, str] = {}

    def register(self, name: str, help: str = "") -> Callable[[T], T]:
        def add(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} '{name}' registered twice")
            self._items[name] = obj
            self._help[name] = help or (getattr(obj, "__doc__", "") or "").strip().split("\n")[0]
            return obj
        return add

    def get(self, name: str, key: str = "") -> T:
        if name not in self._items:
            where = f"config key '{key}': " if key else ""
            raise GankitError(f"{where}unknown {self.kind} '{name}'; expected one of: {', '.join(self.names())}")
        return self._items[name]

    def names(self) -> list[str]:
        return sorted(self._items)

    def describe(self) -> dict[str, str]:
        return {name: self._help[name] for name in self.names()}

    def __contains__(self, name: str) -> bool:
        return name in self._items


ALGORITHMS: Registry = Registry("algorithm")
ARCHITECTURES: Registry = Registry("architecture")

"""Name -> implementation tables, resolved lazily.

Built-in entries are ``"module:attribute"`` strings, so looking up a name imports only the module that
implements it (the vertex backend never imports torch, ``--help`` imports neither). Plugins add
entries through ``importlib.metadata`` entry points in the group given to the registry.
"""

from __future__ import annotations

import importlib
from typing import Any, Generic, TypeVar

from codetune.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str, builtins: dict[str, str], entry_point_group: str) -> None:
        self.kind = kind
        self._targets = dict(builtins)
        self._group = entry_point_group
        self._plugins_loaded = False

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from importlib.metadata import entry_points

        for entry in entry_points(group=self._group):
            self._targets.setdefault(entry.name, entry.value)

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._targets)

    def register(self, name: str, target: str) -> None:
        self._targets[name] = target

    def get(self, name: str) -> Any:
        """The implementation registered under ``name`` (a class or factory)."""
        self._load_plugins()
        target = self._targets.get(name)
        if target is None:
            raise ConfigError(
                f"unknown {self.kind} '{name}'", hint=f"choose one of: {', '.join(self.names())}"
            )
        module_name, _, attribute = target.partition(":")
        return getattr(importlib.import_module(module_name), attribute)

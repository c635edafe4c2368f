"""Training backends: a registry of names, resolved lazily (importing this imports no SDK)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codetune.registry import Registry

if TYPE_CHECKING:
    from codetune.backends.base import Backend
    from codetune.config import Config

BACKENDS: Registry[type] = Registry(
    "backend",
    {
        "local": "codetune.backends.local.backend:LocalBackend",
        "vertex": "codetune.backends.vertex:VertexBackend",
    },
    entry_point_group="codetune.backends",
)


def get_backend(name: str, config: Config) -> Backend:
    """An instance of the backend registered as ``name``, configured from ``config``."""
    return BACKENDS.get(name)(config)

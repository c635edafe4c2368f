"""Output formats: each a pure conversion of one :class:`~codetune.records.Example` into one JSONL row.

A format is looked up by name in :data:`FORMATS` (plugins add entries under the ``codetune.formats``
entry-point group). Writing files is generic and lives in the pipeline; a format only converts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from codetune.registry import Registry

if TYPE_CHECKING:
    from codetune.records import Example


@runtime_checkable
class Format(Protocol):
    name: str
    # The validator target its rows are checked against (codetune.dataset.validate), e.g. "vertex".
    validation_target: str

    def to_row(self, example: Example) -> dict[str, Any]:
        """The JSON object written as one line for ``example``."""
        ...


FORMATS: Registry[Format] = Registry(
    "format",
    {
        "gemini": "codetune.formats.gemini:FORMAT",
        "openai": "codetune.formats.openai:FORMAT",
        "prompt_completion": "codetune.formats.prompt_completion:FORMAT",
    },
    entry_point_group="codetune.formats",
)


def get_format(name: str) -> Format:
    """The format registered as ``name``; unknown names raise a ConfigError listing the choices."""
    return FORMATS.get(name)

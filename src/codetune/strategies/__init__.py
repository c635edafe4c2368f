"""Strategies turn one extracted unit (a method, constructor or type) into a training conversation.

A strategy is anything with a ``name``, a ``build(unit)`` that returns an :class:`~codetune.records.Example`,
a :class:`Skip` (counted by reason) or ``None`` (the unit is not the kind it works on), and a ``finalize``
that sees all of its examples once (to balance them). Strategies are looked up by name in
:data:`STRATEGIES`; plugins add entries under the ``codetune.strategies`` entry-point group. Each one
validates its own options (``strategy.options.<name>`` in config) with a pydantic model that forbids
unknown keys.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from codetune.registry import Registry

if TYPE_CHECKING:
    from codetune.records import Example
    from codetune.strategies.common import Unit


# An example marked ``meta[PROVISIONAL] = True`` may well be dropped by its strategy's ``finalize`` (a clean
# review over the share): the pipeline scrubs and measures it only if it is kept, which saves most of the work.
PROVISIONAL = "provisional"


@dataclass(frozen=True)
class Skip:
    """Why a strategy made no example from a unit it would otherwise handle (counted in the report)."""

    reason: str


@runtime_checkable
class Strategy(Protocol):
    name: str

    def build(self, unit: Unit) -> Example | Skip | None:
        """One example from ``unit``; a :class:`Skip` with a reason; ``None`` when the unit is out of scope."""
        ...

    def finalize(self, examples: Sequence[Example]) -> tuple[list[Example], Counter[str]]:
        """All of this strategy's examples after dedup and scrubbing: those to keep, and drops by reason."""
        ...


STRATEGIES: Registry[Any] = Registry(
    "strategy",
    {
        "code_explanation": "codetune.strategies.explanation:ExplanationStrategy",
        "code_generation": "codetune.strategies.generation:GenerationStrategy",
        "code_review": "codetune.strategies.review:ReviewStrategy",
    },
    entry_point_group="codetune.strategies",
)


def get_strategy(
    name: str,
    options: dict[str, Any] | None = None,
    *,
    system: str | None = None,
    seed: int = 0,
) -> Strategy:
    """An instance of the strategy registered as ``name``; bad options raise a ConfigError."""
    factory = STRATEGIES.get(name)
    return factory(options or {}, system=system, seed=seed)


def keep_all(examples: Sequence[Example]) -> tuple[list[Example], Counter[str]]:
    """The ``finalize`` of strategies that need no balancing."""
    return list(examples), Counter()

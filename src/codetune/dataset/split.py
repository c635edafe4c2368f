"""Deterministic train/validation split by a hash of each example's group.

A group (top-level type, or file) lands wholly on one side: no class straddles the split, so validation
measures code the model has not seen. The side depends only on the seed and the group name, so adding
files never moves an existing group; only the cap on validation size may, and then only the groups
with the highest hash, which are the last to have been admitted.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codetune.records import Example


def group_score(group: str, seed: int) -> float:
    """A stable number in [0, 1) for ``group``; validation takes the groups below the fraction.

    >>> group_score("java.util.ArrayList", 42) == group_score("java.util.ArrayList", 42)
    True
    >>> 0 <= group_score("x", 1) < 1
    True
    """
    digest = hashlib.sha256(f"{seed}\x00{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def example_order(example_id: str, seed: int) -> str:
    """Sort key that shuffles examples deterministically (classes are not fed to training in a block)."""
    return hashlib.sha256(f"{seed}\x00{example_id}".encode()).hexdigest()


@dataclass
class Split:
    train: list[Example] = field(default_factory=list)
    validation: list[Example] = field(default_factory=list)
    train_groups: int = 0
    validation_groups: int = 0
    moved_to_train: int = 0  # groups moved out of validation by the size cap
    notes: list[str] = field(default_factory=list)


def split_examples(examples: Sequence[Example], *, fraction: float, seed: int, max_validation: int) -> Split:
    """Assign every example's group to train or validation and order each side deterministically.

    - a group is in validation when ``group_score(group, seed) < fraction``;
    - validation is capped at ``max_validation`` examples by moving its highest-scoring groups to train;
    - with at least two groups, neither side is left empty (the lowest- or highest-scoring group moves),
      so tiny projects still get a validation set; a single group always goes to train.
    """
    by_group: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_group[example.group].append(example)
    scored = sorted(by_group, key=lambda g: (group_score(g, seed), g))
    validation_groups = [g for g in scored if group_score(g, seed) < fraction]
    train_groups = [g for g in scored if group_score(g, seed) >= fraction]
    result = Split()

    size = sum(len(by_group[g]) for g in validation_groups)
    while validation_groups and size > max_validation:
        moved = validation_groups.pop()  # the highest score: the group admitted last
        size -= len(by_group[moved])
        train_groups.insert(0, moved)
        result.moved_to_train += 1
    if result.moved_to_train:
        result.notes.append(
            f"validation capped at {max_validation} examples: {result.moved_to_train} group(s) moved to train"
        )
    if len(scored) >= 2 and not validation_groups:
        # The smallest group of the lowest scores keeps the cap; a tiny project still gets a validation set.
        candidates = [g for g in train_groups if len(by_group[g]) <= max_validation]
        if candidates:
            chosen = candidates[0]
            train_groups.remove(chosen)
            validation_groups.append(chosen)
            result.notes.append(f"no group fell in validation by hash; moved '{chosen}' there")
    if validation_groups and not train_groups:  # training data comes first, even from a single group
        chosen = validation_groups.pop()
        train_groups.append(chosen)
        result.notes.append(f"every group fell in validation by hash; moved '{chosen}' to train")

    for groups, side in ((train_groups, result.train), (validation_groups, result.validation)):
        for group in groups:
            side.extend(by_group[group])
        side.sort(key=lambda e: example_order(e.id, seed))
    result.train_groups, result.validation_groups = len(train_groups), len(validation_groups)
    return result


def leaked_groups(split: Split) -> set[str]:
    """Groups present on both sides (always empty for :func:`split_examples`; used by tests and checks)."""
    return {e.group for e in split.train} & {e.group for e in split.validation}


def strategy_counts(examples: Sequence[Example]) -> dict[str, int]:
    """Examples per strategy, sorted by name.

    >>> from codetune.records import Example, Message
    >>> strategy_counts([Example("b", "u", "f", "g", ()), Example("a", "u", "f", "g", ())])
    {'a': 1, 'b': 1}
    """
    return dict(sorted(Counter(e.strategy for e in examples).items()))

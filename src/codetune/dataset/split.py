"""Deterministic train/validation split by group, sized to the asked fraction of examples.

A group (top-level type, or file) lands wholly on one side: no class straddles the split, so validation
measures code the model has not seen. Groups are taken into validation in the order of a hash of their
name and the seed until validation holds the asked share of the *examples*; a group that would overshoot
the target by more than it closes the gap is passed over (it stays in train) and smaller ones after it are
tried. So validation is within one group's size of the target however unevenly the groups are sized
(a pure per-group hash test puts validation wherever the few big groups happen to fall: 2% instead of 10%
on a project of 89 classes). The result depends only on the groups, their sizes and the seed; when the
codebase grows only groups near the boundary of the hash order can change sides.
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
    validation_group_names: list[str] = field(default_factory=list)  # in hash order: the report lists them
    target: int = 0  # validation examples asked for: fraction x examples, at most the cap
    notes: list[str] = field(default_factory=list)


def choose_validation(sizes: Sequence[int], target: int, cap: int) -> list[int]:
    """Indexes of the groups (given in hash order) that make up validation.

    Walk the groups in order; take one when it fits in what is left of the target, or when it overshoots
    by less than the gap it closes (so the result ends nearer the target than without it); never exceed
    ``cap``. Stop once the target is reached.

    >>> choose_validation([7, 1, 1, 1, 1, 1], target=3, cap=100)  # the big first group is passed over
    [1, 2, 3]
    >>> choose_validation([2, 2, 2], target=3, cap=100)  # 4 is as near as 2: the second is taken too
    [0, 1]
    >>> choose_validation([4], target=3, cap=3)
    []
    """
    chosen: list[int] = []
    size = 0
    for index, group_size in enumerate(sizes):
        gap = target - size
        if gap <= 0:
            break
        if size + group_size > cap:
            continue
        if group_size <= gap or group_size - gap <= gap:
            chosen.append(index)
            size += group_size
    return chosen


def split_examples(examples: Sequence[Example], *, fraction: float, seed: int, max_validation: int) -> Split:
    """Assign every example's group to train or validation and order each side deterministically.

    - validation takes groups in hash order (:func:`group_score`) until it holds ``fraction`` of the
      examples, at most ``max_validation`` (:func:`choose_validation`);
    - with at least two groups, neither side is left empty (the smallest group of the lowest hash moves),
      so tiny projects still get a validation set; a single group always goes to train.
    """
    by_group: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_group[example.group].append(example)
    scored = sorted(by_group, key=lambda g: (group_score(g, seed), g))
    result = Split(target=min(max_validation, round(fraction * len(examples))))
    picked = choose_validation([len(by_group[g]) for g in scored], result.target, max_validation)
    if fraction * len(examples) > max_validation:
        result.notes.append(f"validation capped at {max_validation} examples")
    validation_groups = [scored[i] for i in picked]
    taken = set(validation_groups)
    train_groups = [g for g in scored if g not in taken]

    if len(scored) >= 2 and not validation_groups and fraction > 0:
        # Every group is bigger than the target allows: a tiny project still gets a validation set.
        candidates = [g for g in train_groups if len(by_group[g]) <= max_validation]
        if candidates:
            chosen = min(candidates, key=lambda g: len(by_group[g]))
            train_groups.remove(chosen)
            validation_groups.append(chosen)
            result.notes.append(
                f"every group is larger than the validation target of {result.target} examples; "
                f"moved the smallest, '{chosen}' ({len(by_group[chosen])} examples), to validation"
            )
    if validation_groups and not train_groups:  # training data comes first, even from a single group
        chosen = validation_groups.pop()
        train_groups.append(chosen)
        result.notes.append(f"every group fell in validation; moved '{chosen}' to train")

    for groups, side in ((train_groups, result.train), (validation_groups, result.validation)):
        for group in groups:
            side.extend(by_group[group])
        side.sort(key=lambda e: example_order(e.id, seed))
    result.train_groups, result.validation_groups = len(train_groups), len(validation_groups)
    result.validation_group_names = list(validation_groups)
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

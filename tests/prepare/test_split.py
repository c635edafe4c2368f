"""The split: deterministic, no group on both sides, stable when the codebase grows, capped."""

from __future__ import annotations

import random

from codetune.dataset.split import group_score, leaked_groups, split_examples
from codetune.records import Example, Message


def examples_for(groups: dict[str, int]) -> list[Example]:
    return [
        Example(
            "code_explanation",
            f"{group}#m{i}()",
            f"{group}.java",
            group,
            (Message("user", f"q{i}"), Message("model", "a")),
        )
        for group, count in groups.items()
        for i in range(count)
    ]


def random_groups(rng: random.Random, count: int) -> dict[str, int]:
    return {f"com.acme.pkg{rng.randrange(50)}.Type{index}": rng.randint(1, 12) for index in range(count)}


def test_same_seed_same_split_and_no_group_straddles() -> None:
    rng = random.Random(3)
    for _ in range(20):
        data = examples_for(random_groups(rng, rng.randint(2, 200)))
        first = split_examples(data, fraction=0.1, seed=42, max_validation=5000)
        again = split_examples(list(reversed(data)), fraction=0.1, seed=42, max_validation=5000)
        assert [e.id for e in first.train] == [e.id for e in again.train]
        assert [e.id for e in first.validation] == [e.id for e in again.validation]
        assert leaked_groups(first) == set()
        assert len(first.train) + len(first.validation) == len(data)


def test_adding_groups_never_moves_existing_ones() -> None:
    rng = random.Random(5)
    base = random_groups(rng, 300)
    grown = {**base, **{f"org.new.Type{i}": rng.randint(1, 5) for i in range(300)}}
    before = split_examples(examples_for(base), fraction=0.1, seed=42, max_validation=5000)
    after = split_examples(examples_for(grown), fraction=0.1, seed=42, max_validation=5000)
    side_before = {e.group: "v" for e in before.validation} | {e.group: "t" for e in before.train}
    side_after = {e.group: "v" for e in after.validation} | {e.group: "t" for e in after.train}
    assert all(side_after[group] == side for group, side in side_before.items())


def test_fraction_is_about_right_on_many_groups() -> None:
    data = examples_for({f"g{i}": 1 for i in range(5000)})
    split = split_examples(data, fraction=0.1, seed=1, max_validation=5000)
    assert 400 < len(split.validation) < 600


def test_validation_is_capped_by_moving_the_last_admitted_groups() -> None:
    data = examples_for({f"g{i}": 10 for i in range(1000)})
    capped = split_examples(data, fraction=0.5, seed=9, max_validation=300)
    assert len(capped.validation) <= 300 and capped.moved_to_train > 0
    kept = {e.group for e in capped.validation}
    moved = {
        e.group for e in split_examples(data, fraction=0.5, seed=9, max_validation=10**6).validation
    } - kept
    # Every group kept in validation scores lower than every group moved out.
    assert max(group_score(g, 9) for g in kept) < min(group_score(g, 9) for g in moved)
    assert leaked_groups(capped) == set()
    assert any("capped" in note for note in capped.notes)


def test_tiny_projects_get_a_validation_group_and_a_single_group_trains() -> None:
    two = split_examples(examples_for({"a.A": 3, "b.B": 4}), fraction=0.1, seed=42, max_validation=5000)
    assert two.train and two.validation and leaked_groups(two) == set()
    one = split_examples(examples_for({"a.A": 3}), fraction=0.9, seed=42, max_validation=5000)
    assert len(one.train) == 3 and one.validation == []


def test_examples_are_shuffled_within_a_side_not_grouped_by_class() -> None:
    data = examples_for({f"g{i}": 5 for i in range(40)})
    split = split_examples(data, fraction=0.1, seed=42, max_validation=5000)
    first_groups = [e.group for e in split.train[:10]]
    assert len(set(first_groups)) > 3

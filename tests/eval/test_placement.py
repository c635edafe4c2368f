"""Finding the original member by its unit id, and reading what an answer declares (no javac needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codetune.eval.placement import find_slot, place
from codetune.extract import extract_source

from .conftest import FIXTURE_PROJECT, SHIPPED_SAMPLE

MONEY = SHIPPED_SAMPLE / "java/src/main/java/com/example/inventory/model/Money.java"
STATS = SHIPPED_SAMPLE / "java/src/main/java/com/example/inventory/util/Stats.java"


@pytest.mark.parametrize("root", [SHIPPED_SAMPLE, FIXTURE_PROJECT], ids=["shipped-sample", "fixture-project"])
def test_every_method_and_constructor_the_extractor_names_is_found(root: Path) -> None:
    """Across records, enums (and their constants' bodies), interfaces, nested, inner and local types."""
    found = 0
    for file in sorted(root.rglob("*.java")):
        text = file.read_text(encoding="utf-8")
        data = text.encode("utf-8")
        for unit in extract_source(text, file.name).types:
            for member in (*unit.methods, *unit.constructors):
                slot = find_slot(text, member.id)
                assert slot is not None, member.id
                assert data[slot.start : slot.end].decode("utf-8") == member.source, member.id
                found += 1
    assert found > (250 if root == SHIPPED_SAMPLE else 20)


def test_a_member_that_is_not_there_has_no_slot() -> None:
    text = MONEY.read_text()
    assert find_slot(text, "com.example.inventory.model.Money#times(int)") is None
    assert find_slot(text, "com.example.inventory.model.Other#times(long)") is None


def _place(file: Path, unit_id: str, answer: str):
    text = file.read_text()
    slot = find_slot(text, unit_id)
    assert slot is not None
    return place(text, slot, answer)


TIMES = "com.example.inventory.model.Money#times(long)"
GOOD_TIMES = "public Money times(long quantity) {\n    return new Money(Math.multiplyExact(cents, quantity), currency);\n}"


@pytest.mark.parametrize(
    ("answer", "status", "reason"),
    [
        ("// TODO implement", "no_code", "declares nothing"),
        ("/** Multiplies. */", "no_code", "declares nothing"),
        (
            GOOD_TIMES.replace("times(", "multiply("),
            "wrong_member",
            "declares no method times (it declares multiply)",
        ),
        (
            "public long times(long quantity) { return cents * quantity; }",
            "wrong_member",
            "returns long, not Money",
        ),
        (
            GOOD_TIMES.replace("long quantity", "int quantity"),
            "wrong_member",
            "Money times(int), not Money times(long)",
        ),
        (
            "public Money times(java.math.BigDecimal f) { return this; }",
            "wrong_member",
            "times(java.math.BigDecimal)",
        ),
        ("private int cents;", "wrong_member", "declares no method times"),
        ("public Money times(long quantity) {\n    return", "syntax_error", "line 2"),
    ],
)
def test_an_answer_must_declare_the_requested_member(answer: str, status: str, reason: str) -> None:
    placed = _place(MONEY, TIMES, answer)
    assert placed.status == status and reason in placed.reason


def test_the_same_member_may_be_written_differently() -> None:
    # Qualified names, another name for a generic method's type variable, annotations, final parameters.
    placed = _place(
        STATS,
        "com.example.inventory.util.Stats#max(Collection<? extends T>)",
        '@SuppressWarnings("unchecked")\npublic static <E extends Comparable<? super E>> E '
        "max(final java.util.Collection<? extends E> values) { return java.util.Collections.max(values); }",
    )
    assert placed.status == "ok", placed.reason
    # A record's compact constructor, written as the canonical constructor.
    placed = _place(
        MONEY,
        "com.example.inventory.model.Money#Money(long,String)",
        "public Money(long cents, String currency) {\n    this.cents = cents;\n    this.currency = currency;\n}",
    )
    assert placed.status == "ok", placed.reason
    assert "public Money {" not in placed.text and "this.currency = currency;" in placed.text


def test_the_answer_replaces_the_member_with_its_helpers_and_imports() -> None:
    answer = (
        "import java.util.function.LongUnaryOperator;\n\n"
        "private static final long LIMIT = Long.MAX_VALUE;\n"
        "private final String currency = null;\n"  # repeats a component: dropped
        f"{GOOD_TIMES}\n"
        "private static long scaled(long c, long q) { return c * q; }"
    )
    placed = _place(MONEY, TIMES, answer)
    assert placed.status == "ok"
    lines = placed.text.splitlines()
    assert "import java.util.function.LongUnaryOperator;" in lines
    assert placed.text.count("public Money times(long quantity)") == 1
    assert "LIMIT = Long.MAX_VALUE" in placed.text and "scaled(long c" in placed.text
    assert "private final String currency = null;" not in placed.text
    first, last = placed.lines
    assert lines[first - 1].strip() == "private static final long LIMIT = Long.MAX_VALUE;"
    assert lines[last - 1] == "private static long scaled(long c, long q) { return c * q; }"
    assert "public Money times(BigDecimal factor)" in placed.text  # the overload stays


def test_a_whole_class_answer_gives_its_member() -> None:
    answer = (
        "package com.example.inventory.model;\n\n"
        "public record Money(long cents, String currency) {\n"
        "    public Money plus(Money other) { return this; }\n"  # a sibling copied from the prompt: dropped
        f"    {GOOD_TIMES}\n"
        "    private static long helper() { return 1; }\n"
        "}\n"
    )
    placed = _place(MONEY, TIMES, answer)
    assert placed.status == "ok", placed.reason
    assert placed.text.count("public Money plus(Money other)") == 1 and "return this;" not in placed.text
    assert "private static long helper()" in placed.text
    assert placed.text.count("record Money(") == 1

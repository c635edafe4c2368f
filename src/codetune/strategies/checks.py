"""Static review checks on the syntax tree, for grounded ``code_review`` answers.

Each finding names a line of the code shown to the model and says why the pattern matters. The checks
walk the declaration's node in the file's syntax tree when the caller has it (prepare's workers keep the
extractor's tree), or parse the code with :mod:`codetune.extract.java` (the only module importing
tree-sitter); either way the same nodes, walked duck-typed: ``.type``, ``.children``,
``.named_children``, ``.child_by_field_name``, ``.text``, ``.start_point``. Lines count from the
declaration's first line, so the dedented code and the file give the same line numbers.

The checks are heuristics tuned to say little rather than too much: a review that invents problems
teaches the model to invent problems. Each check is capped per review (``max_per_check``).
"""

from __future__ import annotations

import re
from typing import Any

from codetune.records import Member, TypeUnit
from codetune.strategies.body_checks import CALLABLES, CallableChecks, simple_type, walk
from codetune.strategies.findings import CHECKS, CheckLimits, Finding

__all__ = ["CHECKS", "CheckLimits", "Finding", "review_member", "review_type"]


def _cap(findings: list[Finding], per_check: int) -> list[Finding]:
    counts: dict[str, int] = {}
    seen: set[tuple[int, str]] = set()
    kept = []
    for finding in sorted(findings, key=lambda f: (f.line, list(CHECKS).index(f.check))):
        if (finding.line, finding.check) in seen:
            continue  # one finding of a kind per line is enough
        seen.add((finding.line, finding.check))
        counts[finding.check] = counts.get(finding.check, 0) + 1
        if counts[finding.check] <= per_check or finding.check == "magic_number":
            kept.append(finding)
    return kept


def _string_fields(type_unit: TypeUnit) -> frozenset[str]:
    return frozenset(f.name for f in type_unit.fields if f.type and simple_type(f.type) == "String")


def _is_public_api(member: Member | None, type_unit: TypeUnit) -> bool:
    if type_unit.is_local or (type_unit.kind != "interface" and "public" not in type_unit.modifiers):
        return False
    if member is None:
        return True
    if any(a.startswith("@Override") for a in member.annotations):
        return False
    if type_unit.kind in ("interface", "annotation"):
        return "private" not in member.modifiers
    return "public" in member.modifiers


def review_member(
    code: str,
    member: Member,
    type_unit: TypeUnit,
    *,
    line_offset: int = 0,
    limits: CheckLimits | None = None,
    node: Any = None,
) -> list[Finding]:
    """Findings for one method or constructor; ``code`` is its dedented source (Javadoc not included),
    ``line_offset`` the number of lines shown above it (its Javadoc), and ``node`` its declaration in the
    file's tree if the caller has it (else ``code`` is parsed)."""
    limits = limits or CheckLimits()
    if node is None:
        from codetune.extract.java import parse_member

        node = parse_member(code)
        if node is None:
            return []
    base = node.start_point[0]

    def line_of(n: Any) -> int:
        return n.start_point[0] - base + 1 + line_offset

    findings = CallableChecks(node, line_of, _string_fields(type_unit), limits).run()
    if member.javadoc is None and _is_public_api(member, type_unit):
        findings.append(
            Finding(line_of(node.child_by_field_name("name") or node), "missing_javadoc", member.kind)
        )
    return _cap(findings, limits.max_per_check)


def review_type(
    code: str,
    type_unit: TypeUnit,
    *,
    line_offset: int = 0,
    limits: CheckLimits | None = None,
    node: Any = None,
) -> list[Finding]:
    """Findings for a whole (small) type: every callable's checks plus the type-level ones. ``node`` is
    its declaration in the file's tree if the caller has it (else ``code`` is parsed)."""
    limits = limits or CheckLimits()
    if node is None:
        from codetune.extract.java import parse_tree

        root, base = parse_tree(code).root_node, 0  # the program: its rows are the code's lines
    else:
        root, base = node, node.start_point[0]
    if root.has_error:
        return []

    def line_of(n: Any) -> int:
        return n.start_point[0] - base + 1 + line_offset

    def member_line(member: Member) -> int:
        # The line that names the member, not an annotation line above it.
        skip = next(
            (
                i
                for i, text in enumerate(member.source.split("\n"))
                if re.search(rf"\b{re.escape(member.name)}\b", text)
            ),
            0,
        )
        return member.start_line - type_unit.start_line + 1 + skip + line_offset

    findings: list[Finding] = []
    strings = _string_fields(type_unit)
    for node in walk(root):
        if node.type in CALLABLES:
            findings += CallableChecks(node, line_of, strings, limits, reviewed=root).run()
    members = (*type_unit.constructors, *type_unit.methods)
    if type_unit.javadoc is None and _is_public_api(None, type_unit):
        findings.append(Finding(1 + line_offset, "missing_javadoc", type_unit.kind))
    for member in members:
        if member.javadoc is None and _is_public_api(member, type_unit):
            findings.append(Finding(member_line(member), "missing_javadoc", member.kind))
    signatures = {m.id.split("#", 1)[-1] for m in type_unit.methods}
    equals = next(
        (
            m
            for m in type_unit.methods
            if m.id.split("#", 1)[-1] in ("equals(Object)", "equals(java.lang.Object)")
        ),
        None,
    )
    if equals is not None and "hashCode()" not in signatures:
        findings.append(Finding(member_line(equals), "equals_without_hashcode"))
    if type_unit.kind != "interface":
        for field in type_unit.fields:
            if (
                field.kind == "field"
                and {"public", "static"} <= set(field.modifiers)
                and "final" not in field.modifiers
            ):
                findings.append(Finding(member_line(field), "mutable_public_static", field.name))
    return _cap(findings, limits.max_per_check)

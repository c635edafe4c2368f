"""``units.jsonl`` and its report: one JSON object per type, in file order, plus what happened.

``type_line`` is the one conversion from record to JSON: the same data as
``codetune.records.to_jsonable``, written by orjson straight from the record (at a million members,
speed matters). ``type_from_json`` reads a line back into a :class:`TypeUnit`. Every type object has
at least the keys ``file, name, qualified_name, kind, javadoc, methods, constructors, fields``; every
member at least ``name, signature, start_line, end_line, javadoc, source``; every ``javadoc`` is null
or an object with at least ``raw, summary, params, returns, throws``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from codetune.records import FileIssue, FileResult, Javadoc, Member, Parameter, TypeUnit

REPORT_SUFFIX = ".report.json"
# The report lists every file with an issue; beyond this many the rest are only counted.
MAX_LISTED_ISSUES = 10_000


def type_line(unit: TypeUnit) -> bytes:
    """One line of ``units.jsonl``: the type's fields in declaration order, as ``to_jsonable`` gives them.

    orjson writes the record itself, nested records, tuples and dicts included, without building
    a dict per record first: for java.base's 152 MB of JSON, 0.25 s instead of 1.2-1.5 s for
    dicts plus ``json.dumps``, which was most of what ``codetune extract`` spent beyond extracting.
    """
    return orjson.dumps(unit, option=orjson.OPT_APPEND_NEWLINE)


def type_to_json(unit: TypeUnit) -> dict[str, Any]:
    """A :class:`TypeUnit` as the JSON object ``units.jsonl`` holds for it."""
    data: dict[str, Any] = orjson.loads(type_line(unit))
    return data


def _javadoc_from_json(data: dict[str, Any] | None) -> Javadoc | None:
    if data is None:
        return None
    return Javadoc(
        raw=data["raw"],
        summary=data["summary"],
        description=data.get("description", ""),
        params=dict(data.get("params") or {}),
        returns=data.get("returns"),
        throws=dict(data.get("throws") or {}),
        tags=[(tag[0], tag[1]) for tag in data.get("tags") or []],
        inherit_doc=bool(data.get("inherit_doc", False)),
    )


def _member_from_json(data: dict[str, Any]) -> Member:
    return Member(
        kind=data["kind"],
        name=data["name"],
        id=data["id"],
        signature=data["signature"],
        start_line=data["start_line"],
        end_line=data["end_line"],
        source=data["source"],
        javadoc=_javadoc_from_json(data.get("javadoc")),
        modifiers=tuple(data.get("modifiers") or ()),
        annotations=tuple(data.get("annotations") or ()),
        type_parameters=data.get("type_parameters"),
        type=data.get("type"),
        parameters=tuple(Parameter(p["name"], p["type"]) for p in data.get("parameters") or ()),
        throws=tuple(data.get("throws") or ()),
        body_start_line=data.get("body_start_line"),
        is_compact_constructor=bool(data.get("is_compact_constructor", False)),
        indent=data.get("indent", ""),
    )


def type_from_json(data: dict[str, Any]) -> TypeUnit:
    """Read one line of ``units.jsonl`` back into a :class:`TypeUnit`."""
    return TypeUnit(
        file=data["file"],
        package=data.get("package", ""),
        imports=tuple(data.get("imports") or ()),
        name=data["name"],
        qualified_name=data["qualified_name"],
        kind=data["kind"],
        signature=data.get("signature", ""),
        start_line=data["start_line"],
        end_line=data["end_line"],
        source=data["source"],
        javadoc=_javadoc_from_json(data.get("javadoc")),
        modifiers=tuple(data.get("modifiers") or ()),
        annotations=tuple(data.get("annotations") or ()),
        type_parameters=data.get("type_parameters"),
        superclass=data.get("superclass"),
        interfaces=tuple(data.get("interfaces") or ()),
        permits=tuple(data.get("permits") or ()),
        enclosing=tuple(data.get("enclosing") or ()),
        enclosing_member=data.get("enclosing_member"),
        is_local=bool(data.get("is_local", False)),
        methods=tuple(_member_from_json(m) for m in data.get("methods") or ()),
        constructors=tuple(_member_from_json(m) for m in data.get("constructors") or ()),
        fields=tuple(_member_from_json(m) for m in data.get("fields") or ()),
        indent=data.get("indent", ""),
    )


def read_units(path: str | Path) -> Iterator[TypeUnit]:
    """Stream the types of a ``units.jsonl`` written by ``codetune extract``."""
    with open(path, "rb") as handle:
        for line in handle:
            if line.strip():
                yield type_from_json(orjson.loads(line))


def jsonl_lines(result: FileResult) -> bytes:
    """The lines ``units.jsonl`` holds for one file (one per type, each ending in a newline)."""
    return b"".join(map(type_line, result.types))


@dataclass
class ExtractReport:
    """Counts of a run, and every file with something to say. ``to_json`` is the report file."""

    source: str
    output: str = ""
    files: Counter[str] = field(default_factory=Counter)  # scanned, ok, partial, skipped
    reasons: Counter[str] = field(default_factory=Counter)  # issue reason -> files
    encodings: Counter[str] = field(default_factory=Counter)
    line_endings: Counter[str] = field(default_factory=Counter)
    totals: Counter[str] = field(default_factory=Counter)  # types, methods, constructors, fields
    issues: list[dict[str, Any]] = field(default_factory=list)
    unlisted_issues: int = 0
    bytes: int = 0

    def add(self, result: FileResult, counts: dict[str, int] | None = None) -> None:
        """Count one file. ``counts`` stands in for ``result.types`` when the types were shipped as JSON."""
        self.files["scanned"] += 1
        self.files[result.status] += 1
        self.bytes += result.bytes
        if result.encoding:
            self.encodings[result.encoding] += 1
        if result.status != "skipped":
            self.line_endings[result.line_endings] += 1
        for reason in {issue.reason for issue in result.issues}:
            self.reasons[reason] += 1
        for issue in result.issues:
            if len(self.issues) < MAX_LISTED_ISSUES:
                self.issues.append(_issue_row(result, issue))
            else:
                self.unlisted_issues += 1
        if counts is None:
            counts = file_counts(result)
        self.totals.update(counts)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "output": self.output,
            "files": {key: self.files[key] for key in ("scanned", "ok", "partial", "skipped")},
            "types": {key: self.totals[key] for key in ("types", "methods", "constructors", "fields")},
            "kinds": {
                key[5:]: value for key, value in sorted(self.totals.items()) if key.startswith("kind:")
            },
            "reasons": dict(sorted(self.reasons.items())),
            "encodings": dict(sorted(self.encodings.items())),
            "line_endings": dict(sorted(self.line_endings.items())),
            "bytes": self.bytes,
            "issues": self.issues,
            "unlisted_issues": self.unlisted_issues,
        }


def file_counts(result: FileResult) -> dict[str, int]:
    """What one file contributes to the totals: types, members by kind, types by kind."""
    counts: Counter[str] = Counter()
    for unit in result.types:
        counts["types"] += 1
        counts[f"kind:{unit.kind}"] += 1
        counts["methods"] += len(unit.methods)
        counts["constructors"] += len(unit.constructors)
        counts["fields"] += len(unit.fields)
    return dict(counts)


def _issue_row(result: FileResult, issue: FileIssue) -> dict[str, Any]:
    return {
        "file": issue.file or result.file,
        "status": result.status,
        "reason": issue.reason,
        "detail": issue.detail,
        "line": issue.line,
    }


def report_path(output: str | Path) -> Path:
    """``units.jsonl`` -> ``units.report.json`` (next to it)."""
    output = Path(output)
    return output.with_name(output.stem + REPORT_SUFFIX)

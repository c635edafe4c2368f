"""``units.jsonl`` and its report: one JSON object per type, in file order, plus what happened.

``type_to_json`` is the one conversion from record to JSON (it equals
``codetune.records.to_jsonable`` but is several times faster, which matters at a million members);
``type_from_json`` reads a line back into a :class:`TypeUnit`. Every type object has at least the
keys ``file, name, qualified_name, kind, javadoc, methods, constructors, fields``; every member at
least ``name, signature, start_line, end_line, javadoc, source``; every ``javadoc`` is null or an
object with at least ``raw, summary, params, returns, throws``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codetune.io import dumps
from codetune.records import FileIssue, FileResult, Javadoc, Member, Parameter, TypeUnit

REPORT_SUFFIX = ".report.json"
# The report lists every file with an issue; beyond this many the rest are only counted.
MAX_LISTED_ISSUES = 10_000


def javadoc_to_json(doc: Javadoc | None) -> dict[str, Any] | None:
    if doc is None:
        return None
    return {
        "raw": doc.raw,
        "summary": doc.summary,
        "description": doc.description,
        "params": dict(doc.params),
        "returns": doc.returns,
        "throws": dict(doc.throws),
        "tags": [list(tag) for tag in doc.tags],
        "inherit_doc": doc.inherit_doc,
    }


def member_to_json(member: Member) -> dict[str, Any]:
    return {
        "kind": member.kind,
        "name": member.name,
        "id": member.id,
        "signature": member.signature,
        "start_line": member.start_line,
        "end_line": member.end_line,
        "source": member.source,
        "javadoc": javadoc_to_json(member.javadoc),
        "modifiers": list(member.modifiers),
        "annotations": list(member.annotations),
        "type_parameters": member.type_parameters,
        "type": member.type,
        "parameters": [{"name": p.name, "type": p.type} for p in member.parameters],
        "throws": list(member.throws),
        "body_start_line": member.body_start_line,
        "is_compact_constructor": member.is_compact_constructor,
        "indent": member.indent,
    }


def type_to_json(unit: TypeUnit) -> dict[str, Any]:
    """A :class:`TypeUnit` as a JSON object (the same data as ``records.to_jsonable``)."""
    return {
        "file": unit.file,
        "package": unit.package,
        "imports": list(unit.imports),
        "name": unit.name,
        "qualified_name": unit.qualified_name,
        "kind": unit.kind,
        "signature": unit.signature,
        "start_line": unit.start_line,
        "end_line": unit.end_line,
        "source": unit.source,
        "javadoc": javadoc_to_json(unit.javadoc),
        "modifiers": list(unit.modifiers),
        "annotations": list(unit.annotations),
        "type_parameters": unit.type_parameters,
        "superclass": unit.superclass,
        "interfaces": list(unit.interfaces),
        "permits": list(unit.permits),
        "enclosing": list(unit.enclosing),
        "enclosing_member": unit.enclosing_member,
        "is_local": unit.is_local,
        "methods": [member_to_json(m) for m in unit.methods],
        "constructors": [member_to_json(m) for m in unit.constructors],
        "fields": [member_to_json(m) for m in unit.fields],
        "indent": unit.indent,
    }


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
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield type_from_json(json.loads(line))


def jsonl_lines(result: FileResult) -> str:
    """The lines ``units.jsonl`` holds for one file (one per type, each ending in a newline)."""
    return "".join(dumps(type_to_json(unit)) + "\n" for unit in result.types)


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

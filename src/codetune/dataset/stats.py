"""Counting what prepare did, and the report: JSON data, a Markdown file and rows for a terminal table.

Every drop has a reason and every reason a count, so the report answers "where did my units go?".
The report may carry the run time; the manifest (which is hashed and compared) never does.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from codetune.tokens import percentiles

MAX_FILE_NOTES = 20  # "path:line reason" of the first file issues (skipped or partly read), for the report


def _sorted(counter: Counter[str]) -> dict[str, int]:
    return {k: v for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])) if v}


def token_summary(values: list[int]) -> dict[str, int]:
    """min / p50 / p95 / max / total of estimated tokens.

    >>> token_summary([10, 20, 30])
    {'examples': 3, 'min': 10, 'p50': 20, 'p95': 30, 'max': 30, 'total': 60}
    """
    p50, p95 = percentiles(values)
    return {
        "examples": len(values),
        "min": min(values, default=0),
        "p50": p50,
        "p95": p95,
        "max": max(values, default=0),
        "total": sum(values),
    }


@dataclass
class PrepareStats:
    files: Counter[str] = field(default_factory=Counter)  # scanned, ok, partial, skipped, used
    file_drops: Counter[str] = field(default_factory=Counter)  # generated, test_source, extractor reasons
    file_notes: list[str] = field(default_factory=list)
    units: Counter[str] = field(default_factory=Counter)  # seen, kept
    unit_drops: Counter[str] = field(default_factory=Counter)
    built: Counter[str] = field(default_factory=Counter)  # strategy -> examples built
    skipped: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    dropped: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    secrets: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)  # strategy -> examples written
    warnings: list[str] = field(default_factory=list)

    def note_file(self, note: str) -> None:
        if len(self.file_notes) < MAX_FILE_NOTES:
            self.file_notes.append(note)

    def counts(self) -> dict[str, Any]:
        """The deterministic part of the report (also written to the manifest)."""
        return {
            "files": dict(sorted(self.files.items())),
            "files_dropped": _sorted(self.file_drops),
            "units": dict(sorted(self.units.items())),
            "units_dropped": _sorted(self.unit_drops),
            "duplicates_removed": {
                "exact": self.unit_drops.get("exact_duplicate", 0),
                "near": self.unit_drops.get("near_duplicate", 0),
            },
            "strategies": {
                name: {
                    "built": self.built.get(name, 0),
                    "skipped": _sorted(self.skipped.get(name, Counter())),
                    "dropped": _sorted(self.dropped.get(name, Counter())),
                    "examples": self.kept.get(name, 0),
                }
                for name in sorted(set(self.built) | set(self.skipped) | set(self.kept))
            },
            "secrets_scrubbed": {"total": sum(self.secrets.values()), **_sorted(self.secrets)},
        }


def build_report(
    stats: PrepareStats,
    *,
    split: dict[str, Any],
    tokens: dict[str, dict[str, int]],
    outputs: dict[str, Any],
    seconds: float | None = None,
) -> dict[str, Any]:
    report = {**stats.counts(), "split": split, "tokens": tokens, "outputs": outputs}
    report["file_issues"] = list(stats.file_notes)
    report["warnings"] = list(stats.warnings)
    if seconds is not None:
        report["seconds"] = round(seconds, 2)
    return report


def _reasons(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counter.items()) or "-"


def table_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows for the terminal summary, in reading order."""
    files, units = report["files"], report["units"]
    rows = [
        ("files", f"{files.get('scanned', 0)} scanned, {files.get('used', 0)} used"),
        ("files dropped", _reasons(report["files_dropped"])),
        ("units", f"{units.get('seen', 0)} seen, {units.get('kept', 0)} kept"),
        ("units dropped", _reasons(report["units_dropped"])),
        (
            "duplicates removed",
            f"{report['duplicates_removed']['exact']} exact, {report['duplicates_removed']['near']} near",
        ),
    ]
    for name, info in report["strategies"].items():
        detail = {**info["skipped"], **{k: v for k, v in info["dropped"].items()}}
        rows.append(
            (
                name,
                f"{info['examples']} examples (built {info['built']}; skipped/dropped: {_reasons(detail)})",
            )
        )
    secrets = dict(report["secrets_scrubbed"])
    total = secrets.pop("total", 0)
    rows.append(("secrets scrubbed", f"{total}" + (f" ({_reasons(secrets)})" if secrets else "")))
    split = report["split"]
    rows.append(
        (
            "split",
            f"train {split['train']} ({split['train_groups']} groups), "
            f"validation {split['validation']} ({split['validation_groups']} groups)",
        )
    )
    for name, summary in report["tokens"].items():
        rows.append(
            (
                f"tokens {name}",
                f"min {summary['min']} / p50 {summary['p50']} / p95 {summary['p95']} / max {summary['max']} (estimated)",
            )
        )
    teacher = report.get("teacher")
    if teacher:
        examples = _reasons(teacher["examples"])
        failed = {**teacher["failed"], **teacher["unusable_answers"]}
        rows.append(
            (
                "teacher",
                f"{teacher['model']}: {sum(teacher['examples'].values())} examples ({examples}) for "
                f"{teacher['units_chosen']} undocumented units; asked now {teacher['asked_now']}, "
                f"cached {teacher['from_cache']}; failed or unusable: {_reasons(failed)}; "
                f"secrets scrubbed from prompts: {_reasons(teacher['secrets_scrubbed_from_prompts'])}",
            )
        )
    if "seconds" in report:
        rows.append(("time", f"{report['seconds']:.1f} s"))
    return rows


def render_markdown(report: dict[str, Any]) -> str:
    """A readable ``report.md``: the summary table, then every reason in full."""
    lines = ["# codetune prepare report", "", "| | |", "|---|---|"]
    lines += [f"| {label} | {value.replace('|', '/')} |" for label, value in table_rows(report)]
    lines += [
        "",
        "## Examples per strategy",
        "",
        "| strategy | built | skipped | dropped | written |",
        "|---|---|---|---|---|",
    ]
    for name, info in report["strategies"].items():
        lines.append(
            f"| {name} | {info['built']} | {_reasons(info['skipped'])} | {_reasons(info['dropped'])} | {info['examples']} |"
        )
    split = report["split"]
    if split.get("validation_group_names") is not None:
        lines += [
            "",
            "## Split",
            "",
            f"Validation holds {split['validation']} of {split['train'] + split['validation']} examples "
            f"(asked: {split.get('validation_target', '-')}), from {split['validation_groups']} "
            f"{split.get('group_by', 'type')} groups; every other group ({split['train_groups']}) is in train. "
            "No group is on both sides.",
            "",
        ]
        lines += [f"- `{name}`" for name in split["validation_group_names"]]
    lines += ["", "## Outputs", ""]
    for name, info in report["outputs"].items():
        if isinstance(info, dict):
            lines.append(
                f"- `{info.get('file', name)}`: {info.get('examples', '-')} examples, sha256 `{info.get('sha256', '-')}`"
            )
    if report.get("file_issues"):
        lines += ["", "## Files skipped (first ones)", ""] + [f"- {note}" for note in report["file_issues"]]
    if report.get("warnings"):
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in report["warnings"]]
    lines.append("")
    lines.append("Token counts are estimates (about four characters per token), not tokenizer counts.")
    return "\n".join(lines) + "\n"

"""`codetune extract`: the JSONL contract, the report, the summary, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from codetune.cli.app import main
from codetune.extract import read_units, type_from_json, type_to_json
from codetune.records import TypeUnit

TYPE_KEYS = {"file", "name", "qualified_name", "kind", "javadoc", "methods", "constructors", "fields"}
MEMBER_KEYS = {"name", "signature", "start_line", "end_line", "javadoc", "source"}
JAVADOC_KEYS = {"raw", "summary", "params", "returns", "throws"}


def run_cli(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


@pytest.fixture(scope="module")
def extracted(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "out" / "units.jsonl"
    assert run_cli(["extract", str(fixture_root), "-o", str(out), "--workers", "1"]) == 0
    return out


def test_units_jsonl_has_the_promised_keys(extracted: Path) -> None:
    rows = [json.loads(line) for line in extracted.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 23
    javadocs = []
    for row in rows:
        assert set(row) >= TYPE_KEYS
        assert row["kind"] in ("class", "interface", "enum", "record", "annotation")
        javadocs.append(row["javadoc"])
        for member in row["methods"] + row["constructors"] + row["fields"]:
            assert set(member) >= MEMBER_KEYS
            assert isinstance(member["start_line"], int) and member["end_line"] >= member["start_line"]
            javadocs.append(member["javadoc"])
    assert any(doc is None for doc in javadocs) and any(doc is not None for doc in javadocs)
    for doc in javadocs:
        assert doc is None or set(doc) >= JAVADOC_KEYS
    # In file order: sorted paths, types of a file in source order.
    assert [row["file"] for row in rows] == sorted(row["file"] for row in rows)
    box = [row["qualified_name"] for row in rows if row["file"] == "com/acme/collections/Box.java"]
    assert box == [
        "com.acme.collections.Box",
        "com.acme.collections.Box.Entry",
        "com.acme.collections.Box.Stats",
        "com.acme.collections.Box.Stats.Visitor",
        "com.acme.collections.Box.Counter",
    ]
    greeter = next(row for row in rows if row["name"] == "Greeter")
    assert greeter["methods"][1]["name"] == "日本語"  # written as UTF-8, not \\u escapes
    assert "日本語" in extracted.read_text(encoding="utf-8")


def test_the_report_next_to_the_output(extracted: Path) -> None:
    report = json.loads((extracted.parent / "units.report.json").read_text(encoding="utf-8"))
    assert report["files"] == {"scanned": 15, "ok": 12, "partial": 1, "skipped": 2}
    assert report["types"] == {"types": 23, "methods": 46, "constructors": 7, "fields": 21}
    assert report["kinds"] == {"annotation": 1, "class": 14, "enum": 2, "interface": 3, "record": 3}
    assert report["reasons"] == {"binary": 1, "empty": 1, "line_endings": 1, "not_utf8": 1, "syntax_error": 1}
    assert report["encodings"] == {"cp1252": 1, "utf-8": 11, "utf-8-sig": 1}
    rows = {(row["file"], row["reason"]) for row in report["issues"]}
    assert ("com/acme/legacy/Binary.java", "binary") in rows
    assert ("com/acme/broken/Broken.java", "syntax_error") in rows
    broken = [row for row in report["issues"] if row["reason"] == "syntax_error"]
    assert [row["line"] for row in broken] == [10, 11] and broken[0]["status"] == "partial"


def test_the_terminal_summary(fixture_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["extract", str(fixture_root), "-o", str(tmp_path / "u.jsonl"), "-w", "1"]) == 0
    out = capsys.readouterr().out
    assert "15 scanned: 12 ok, 1 partial, 2 skipped" in out
    assert "46 methods, 7 constructors, 21 fields" in out
    assert "com/acme/broken/Broken.java:10" in out and "syntax_error" in out
    assert f"wrote {tmp_path / 'u.jsonl'} and {tmp_path / 'u.report.json'}" in out.replace("\n", "")


def test_json_conversion_matches_the_records_and_round_trips(
    extracted: Path, fixture_types: dict[str, TypeUnit]
) -> None:
    for unit in fixture_types.values():
        assert json.loads(json.dumps(type_to_json(unit))) == json.loads(json.dumps(asdict(unit)))
        assert type_from_json(json.loads(json.dumps(type_to_json(unit)))) == unit
    assert {unit.qualified_name: unit for unit in read_units(extracted)} == fixture_types


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/definitely/not/here"], "error: source directory not found: /definitely/not/here"),
        (["{empty}"], "error: no .java files under {empty}"),
        (["{fixture}", "--max-file-bytes", "0"], "Invalid value for '--max-file-bytes'"),
        (["{fixture}", "-o", "/proc/forbidden/units.jsonl"], "error: cannot write"),
    ],
)
def test_errors_are_one_line_with_a_non_zero_exit(
    args: list[str], message: str, fixture_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    argv = ["extract", *(a.format(empty=tmp_path / "empty", fixture=fixture_root) for a in args)]
    if "-o" not in argv:
        argv += ["-o", str(tmp_path / "units.jsonl")]
    code = run_cli(argv)
    err = capsys.readouterr().err
    assert code != 0
    assert message.format(empty=tmp_path / "empty") in err
    assert "Traceback" not in err
    if message.startswith("error:"):
        assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1


def test_the_console_script_end_to_end_and_help_stays_light(fixture_root: Path, tmp_path: Path) -> None:
    missing = subprocess.run(
        [sys.executable, "-m", "codetune", "extract", str(tmp_path / "none")], capture_output=True, text=True
    )
    assert missing.returncode == 2 and missing.stderr.startswith("error: source directory not found")
    assert "Traceback" not in missing.stderr
    probe = (
        "import sys, codetune.cli.app; print(sorted(m for m in sys.modules if m.startswith('tree_sitter')))"
    )
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "[]"
    )


def test_ctrl_c_is_one_line_exit_130_and_no_output(
    fixture_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import codetune.extract.pipeline as pipeline

    def interrupted(*args: object, **kwargs: object) -> list[object]:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_extract_chunk_json", interrupted)  # Ctrl-C in the middle of the work
    out = tmp_path / "units.jsonl"
    assert run_cli(["extract", str(fixture_root), "-o", str(out), "--workers", "1"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted"  # typer alone would exit 130 in silence
    assert not out.exists() and list(tmp_path.iterdir()) == []  # nothing half-written

"""`codetune eval --answers`: answers from anywhere, scored like a model's; the references at the ceiling."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from codetune.cli.app import main
from codetune.eval.samples import load_samples

from .conftest import FIXTURE_PROJECT, SHIPPED_SAMPLE

SCORE_KEYS = {
    "code_generation": {"compiles", "compile"},
    "code_explanation": {"text_score"},
    "code_review": {"findings_recall", "findings_precision"},
}


def _config(tmp_path: Path, validation: Path, source: Path) -> Path:
    data = {
        "training": {"validation_file": str(validation)},
        "data": {"source": str(source)},
        "paths": {"reports_dir": str(tmp_path / "reports"), "runs_dir": str(tmp_path / "runs")},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _write(path: Path, lines: list[object]) -> Path:
    path.write_text(
        "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8"
    )
    return path


def _results(directory: Path) -> list[dict]:
    return [json.loads(line) for line in (directory / "results.jsonl").read_text().splitlines()]


def test_answers_are_scored_and_bad_lines_reported_by_number(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_sources = tmp_path / "no-sources"
    no_sources.mkdir()
    config = _config(tmp_path, dataset, no_sources)
    answers = _write(
        tmp_path / "mine.jsonl",
        [
            {"line": 1, "text": "Returns the number of items in the cart."},
            "not json",
            {"line": 2, "text": "```java\npublic int size() { return items.size(); }\n```"},
            {"line": 99, "text": "no such line"},
            {"line": "3", "text": "a string line number"},
            {"line": 3, "text": "Line 1: empty catch block - swallowed"},
            {"line": 1, "text": "answered twice"},
            {"line": 4},
        ],
    )
    out = tmp_path / "report"
    main(["eval", "--answers", str(answers), "-o", str(out), "--config", str(config)])
    printed = " ".join(capsys.readouterr().out.split())
    assert "5 line(s) of the answers file skipped" in printed and "mine.jsonl:2: not JSON" in printed
    report = json.loads((out / "report.json").read_text())
    problems = report["answers_file"]["problems"]
    assert [p.split(": ", 1)[0].rsplit(":", 1)[1] for p in problems] == ["2", "4", "5", "7", "8"]
    assert "validation.jsonl has no example on line 99" in problems[1]
    assert "answered twice (first on line 1)" in problems[3]
    assert report["sides"] == ["answers"] and report["data"]["evaluated"] == 3
    rows = {(row["strategy"], row["metric"]): row for row in report["table"]}
    assert rows[("code_explanation", "text_score")]["answers"] == 100.0
    assert rows[("code_review", "findings_recall")]["answers"] == 50.0
    assert all(row["diff"] is None and row["verdict"] is None for row in report["table"])
    assert ("code_generation", "compile_rate") not in rows  # the sources are not there: nothing checkable
    assert report["compile"]["not_checkable"] == 1 and report["compile"]["reasons"] == {
        "source file not found": 1
    }
    assert "1 of 1 generation samples are not checkable" in printed
    assert ("all", "truncated") not in rows  # a file's answers do not say where they stopped
    results = _results(out)
    assert [(r["line"], r["side"], r["strategy"]) for r in results] == [
        (1, "answers", "code_explanation"),
        (2, "answers", "code_generation"),
        (3, "answers", "code_review"),
    ]
    for row in results:
        assert SCORE_KEYS[row["strategy"]] <= set(row["scores"])
    assert results[1]["scores"]["compiles"] is None and results[1]["scores"]["compile"] == "not_checkable"

    # --limit caps the answers scored, in file order.
    main(["eval", "--answers", str(answers), "--limit", "1", "-o", str(out), "--config", str(config)])
    assert [r["line"] for r in _results(out)] == [1]


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_a_file_without_a_usable_answer_is_one_clear_error(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(_config(tmp_path, dataset, tmp_path))
    bad = _write(tmp_path / "bad.jsonl", ["{", {"line": 0, "text": "x"}])
    err = _fails(capsys, ["eval", "--answers", str(bad), "--config", config])
    assert "no usable answer in" in err and "bad.jsonl:1: not JSON" in err and "bad.jsonl:2:" in err
    assert '{"line": N, "text": "..."}' in err
    err = _fails(capsys, ["eval", "--answers", str(tmp_path / "missing.jsonl"), "--config", config])
    assert "answers file not found" in err
    err = _fails(capsys, ["eval", "--answers", str(bad), "--model", "job-1", "--config", config])
    assert "--model and --judge do not apply" in err


def _references(validation: Path, path: Path) -> Path:
    return _write(path, [{"line": s.line, "text": s.reference} for s in load_samples(validation)])


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("javac") is None, reason="javac not installed (apt: openjdk-17-jdk-headless)"
)
@pytest.mark.parametrize(
    ("prepared", "source"),
    [("shipped_sample", SHIPPED_SAMPLE), ("fixture_project_data", FIXTURE_PROJECT)],
    ids=["shipped-sample", "fixture-project"],
)
def test_the_references_score_at_the_ceiling(
    prepared: str, source: Path, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Scored as answers, the references themselves reach every metric's top: the metrics measure
    what they say, and nothing caps them below 100%."""
    validation: Path = request.getfixturevalue(prepared)
    config = _config(tmp_path, validation, source)
    out = tmp_path / "ceiling"
    main(
        [
            "eval",
            "--answers",
            str(_references(validation, tmp_path / "refs.jsonl")),
            "-o",
            str(out),
            "--config",
            str(config),
        ]
    )
    report = json.loads((out / "report.json").read_text())
    rows = {(row["strategy"], row["metric"]): row for row in report["table"]}
    samples = load_samples(validation)
    generation = sum(1 for s in samples if s.strategy == "code_generation")
    assert report["compile"] == {"checked": generation, "not_checkable": 0, "unavailable": 0}
    expected = {
        ("code_generation", "compile_rate"): 100.0,
        ("code_generation", "parse_rate"): 100.0,
        ("code_generation", "similarity"): 100.0,
        ("code_explanation", "text_score"): 100.0,
        ("code_explanation", "bleu"): 100.0,
        ("code_review", "findings_recall"): 100.0,
        ("code_review", "findings_precision"): 100.0,
    }
    for key, value in expected.items():
        assert rows[key]["answers"] == value, (key, rows[key])
    assert rows[("code_generation", "compile_rate")]["n"] == generation
    if ("code_review", "clean_correct") in rows:
        assert rows[("code_review", "clean_correct")]["answers"] == 100.0
    assert all(
        row["answers"] == 100.0 for row in report["findings_by_kind"] if row["metric"] == "findings_recall"
    )
    assert report["warnings"] == [
        w for w in report["warnings"] if "fewer than 20" in w
    ]  # nothing else to warn about: every sample was checkable
    assert all(r["scores"]["compiles"] is True for r in _results(out) if r["strategy"] == "code_generation")

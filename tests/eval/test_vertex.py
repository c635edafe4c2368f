"""`codetune test` and `codetune eval` with the real google-genai SDK against the loopback Vertex stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from codetune.cli.app import main
from codetune.jobs import JobRecord, JobStore
from support.vertex_standin import ApiError, proto_field

ENDPOINT = "projects/test-project/locations/us-central1/endpoints/4242"


@pytest.fixture
def project(tmp_path: Path, vertex_standin, dataset: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory whose config points at the stand-in, with one succeeded vertex job."""
    vertex_standin.endpoints[ENDPOINT] = "gemini-2.5-flash"
    config = {
        "gcp": {"project_id": "test-project", "location": "us-central1", "api_endpoint": vertex_standin.url},
        "training": {"backend": "vertex"},
        "paths": {"runs_dir": str(tmp_path / "runs"), "reports_dir": str(tmp_path / "reports")},
        "data": {"source": str(tmp_path / "no-sources")},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    record = JobRecord(
        id="vertex-20250101-000000-abcd",
        backend="vertex",
        fingerprint="f",
        display_name="t",
        state="SUCCEEDED",
        remote_name="projects/test-project/locations/us-central1/tuningJobs/1",
        tuned_model="projects/test-project/locations/us-central1/models/9@1",
        endpoint=ENDPOINT,
        system_instruction="Answer as a terse Java expert.",
        data={"validation_file": str(dataset)},
        config={"training": {"base_model": "gemini-2.5-flash"}},
    )
    JobStore(tmp_path / "runs").save(record)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _field(body: dict, *path: str):
    """A nested field of a request body, under camelCase or snake_case names."""
    for name in path:
        body = proto_field(body, name) if isinstance(body, dict) else None
    return body


def _system(request) -> str:
    return _field(request.body, "systemInstruction")["parts"][0]["text"]


def _roles(request) -> list[str]:
    return [content["role"] for content in request.body["contents"]]


def test_interactive_compare_through_the_seed_script(project: Path, vertex_standin, repo_root: Path) -> None:
    vertex_standin.replies[ENDPOINT] = lambda model, body: f"tuned answer {len(body['contents'])}"
    vertex_standin.replies["gemini-2.5-pro"] = lambda model, body: f"pro answer {len(body['contents'])}"
    done = subprocess.run(
        [
            sys.executable,
            str(repo_root / "scripts" / "test_model.py"),
            "-m",
            ENDPOINT,
            "-i",
            "--compare",
            "--config",
            str(project / "config.yaml"),
            "--temperature",
            "0.3",
            "--max-tokens",
            "77",
        ],
        input="What does size() do?\nAnd add()?\n/history\n/reset\nThird?\n/quit\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=project,
        env={**os.environ, "COLUMNS": "160"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    tuned = vertex_standin.calls("POST", r"/endpoints/4242:generateContent$")
    base = vertex_standin.calls("POST", r"/publishers/google/models/gemini-2.5-pro:generateContent$")
    assert len(tuned) == 3 and len(base) == 3
    # History goes out as multi-turn contents, each model with its own earlier answer; /reset starts over.
    assert [_roles(r) for r in tuned] == [["user"], ["user", "model", "user"], ["user"]]
    assert tuned[1].body["contents"][1]["parts"][0]["text"] == "tuned answer 1"
    assert base[1].body["contents"][1]["parts"][0]["text"] == "pro answer 1"
    assert tuned[1].body["contents"][2]["parts"][0]["text"] == "And add()?"
    assert _field(tuned[0].body, "generationConfig", "temperature") == 0.3
    assert _field(tuned[0].body, "generationConfig", "maxOutputTokens") == 77
    assert (
        _field(base[0].body, "generationConfig", "thinkingConfig", "thinkingBudget") >= 128
    )  # Pro cannot think 0
    # No record for this endpoint's job... there is one here: its system instruction is used.
    assert _system(tuned[0]) == "Answer as a terse Java expert."
    out = done.stdout
    assert "tuned answer 3" in out and "pro answer 3" in out  # both panels, side by side
    assert out.count("in / ") >= 6  # token counts under each answer
    assert "you (2):" in out and "conversation reset" in out


def test_prompt_uses_the_job_and_its_system_instruction(project: Path, vertex_standin, capsys) -> None:
    vertex_standin.replies[ENDPOINT] = "It returns the size."
    main(["test", "-m", "vertex-2025", "-p", "What does size() do?", "--config", "config.yaml"])
    captured = capsys.readouterr()
    assert captured.out.strip() == "It returns the size."  # the answer alone on stdout, stats on stderr
    assert "in / " in captured.err
    (request,) = vertex_standin.calls("POST", r":generateContent$")
    assert _system(request) == "Answer as a terse Java expert."
    assert (
        _field(request.body, "generationConfig", "thinkingConfig", "thinkingBudget") == 0
    )  # Flash: thinking off


def test_unknown_model_is_one_line_with_a_hint(project: Path, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["test", "-m", "nope", "-p", "hi", "--config", "config.yaml"])
    assert info.value.code != 0
    err = capsys.readouterr().err
    assert "no job 'nope'" in err and "projects/P/locations/L/endpoints/E" in err and "Traceback" not in err


def _last_user(body) -> str:
    return [c for c in body["contents"] if c["role"] == "user"][-1]["parts"][0]["text"]


def test_eval_with_judge_writes_the_reports(project: Path, vertex_standin, dataset: Path, capsys) -> None:
    references = {}
    for line in dataset.read_text().splitlines():
        row = json.loads(line)
        references[row["contents"][0]["parts"][0]["text"]] = row["contents"][1]["parts"][0]["text"]

    def pro(model, body):  # the compare model, and the judge: prefers the answer equal to the reference
        text = _last_user(body)
        if "## Answer A" not in text:
            return "Generic words about Java."
        reference = text.split("## Reference answer\n", 1)[1].split("\n\n## Answer A", 1)[0]
        first = text.split("## Answer A\n", 1)[1].split("\n\n## Answer B", 1)[0]
        return "Verdict: A" if first == reference else "Verdict: B"

    vertex_standin.replies[ENDPOINT] = lambda model, body: references[_last_user(body)]
    vertex_standin.replies["gemini-2.5-pro"] = pro
    main(["eval", "-m", ENDPOINT, "--judge", "gemini-2.5-pro", "-o", "out", "--config", "config.yaml", "-y"])
    out = capsys.readouterr().out
    assert "tuned wins 4" in out and "report:" in out
    report = json.loads((project / "out" / "report.json").read_text())
    assert report["job"] == "vertex-20250101-000000-abcd"  # the endpoint's record was found
    assert report["models"] == {"tuned": ENDPOINT, "base": "gemini-2.5-pro"}
    assert report["judge"]["tally"] == {"win": 4, "tie": 0, "loss": 0}
    rows = {(r["strategy"], r["metric"]): r for r in report["table"]}
    assert rows[("code_review", "findings_recall")]["tuned"] == 100.0
    assert rows[("code_explanation", "bleu")]["diff"] > 0
    assert (project / "out" / "report.html").is_file()
    # Every eval request carries the training system instruction of its row.
    tuned = vertex_standin.calls("POST", r"/endpoints/4242:generateContent$")
    assert len(tuned) == 4
    assert all(_system(r) == "You are an expert Java developer." for r in tuned)
    # A rerun finds every answer saved and asks nothing again.
    before = len(vertex_standin.requests)
    main(["eval", "-m", ENDPOINT, "--judge", "gemini-2.5-pro", "-o", "out", "--config", "config.yaml", "-y"])
    assert len(vertex_standin.requests) == before
    assert "12 saved results reused" in capsys.readouterr().out


def test_prompt_from_standard_input(project: Path, vertex_standin, monkeypatch, capsys) -> None:
    import io

    vertex_standin.replies[ENDPOINT] = lambda model, body: "piped: " + _last_user(body)
    monkeypatch.setattr("sys.stdin", io.StringIO("Explain Cart.add\n"))
    main(["test", "-m", ENDPOINT, "--config", "config.yaml"])
    assert capsys.readouterr().out.strip() == "piped: Explain Cart.add"


def test_eval_asks_concurrently_and_a_429_is_retried(project: Path, vertex_standin, capsys) -> None:
    config = yaml.safe_load((project / "config.yaml").read_text())
    config["testing"] = {"eval_concurrency": 3}
    config["training"]["retry"] = {"initial_delay_seconds": 0.05, "max_delay_seconds": 0.1}
    (project / "config.yaml").write_text(yaml.safe_dump(config))
    vertex_standin.generate_seconds = 0.3
    vertex_standin.inject(r"/endpoints/4242:generateContent$", 429, times=1)

    main(["eval", "-m", ENDPOINT, "--output", "out", "--config", "config.yaml", "-y"])

    assert vertex_standin.max_in_flight == 3  # bounded by testing.eval_concurrency, and reached
    tuned = vertex_standin.calls("POST", r"/endpoints/4242:generateContent$")
    assert len(tuned) == 4 + 1  # one request answered 429 first, then retried with backoff
    report = json.loads((project / "out" / "report.json").read_text())
    rows = [json.loads(line) for line in (project / "out" / "results.jsonl").read_text().splitlines()]
    assert sorted((row["side"], row["line"]) for row in rows) == [
        (side, line) for side in ("base", "tuned") for line in (1, 2, 3, 4)
    ]
    # Gemini cannot score a given text: the report says so instead of showing a held-out loss.
    assert report["heldout"]["available"] is False
    assert "cannot score a given text" in report["heldout"]["reason"]
    assert "report:" in capsys.readouterr().out


def test_a_request_that_keeps_failing_stops_the_eval_and_keeps_what_came_back(
    project: Path, vertex_standin, capsys
) -> None:
    config = yaml.safe_load((project / "config.yaml").read_text())
    config["testing"] = {"eval_concurrency": 2}
    config["training"]["retry"] = {"attempts": 2, "initial_delay_seconds": 0.01, "max_delay_seconds": 0.01}
    (project / "config.yaml").write_text(yaml.safe_dump(config))

    def quota_for_one(model, body):  # the stand-in answers an ApiError raised by a reply as the service would
        if "add(String" in _last_user(body):
            raise ApiError(429, "Quota exceeded for aiplatform.googleapis.com/generate_content_requests")
        return "ok"

    vertex_standin.replies[ENDPOINT] = quota_for_one
    with pytest.raises(SystemExit) as info:
        main(["eval", "-m", ENDPOINT, "--output", "out", "--config", "config.yaml", "-y"])
    assert info.value.code != 0
    err = capsys.readouterr().err
    assert "tuned model, validation line 4" in err and "429" in err and "rerun to continue" in err
    rows = [json.loads(line) for line in (project / "out" / "results.jsonl").read_text().splitlines()]
    assert sorted(row["line"] for row in rows) == [1, 2, 3]  # the other three tuned answers were kept
    assert len(vertex_standin.calls("POST", r"/endpoints/4242:generateContent$")) == 3 + 2  # 2 attempts

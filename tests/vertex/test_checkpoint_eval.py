"""`codetune eval --checkpoints`: every checkpoint of a Vertex job evaluated against the base model through the
real SDK and the stand-in, the best one recorded and used by `codetune test`; paid evaluations ask first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codetune.jobs import JobRecord, JobStore
from support.cli import run_main, run_without_terminal
from support.vertex_workspace import Workspace, write_data

REPO = Path(__file__).resolve().parents[2]


def _rows(count: int) -> list[dict]:
    """Explanation examples whose references are distinct sentences (validation: the first ``count // 2``)."""
    return [
        {
            "systemInstruction": {"role": "system", "parts": [{"text": "You are an expert Java developer."}]},
            "contents": [
                {
                    "role": "user",
                    "parts": [{"text": f"Explain this Java method:\nint count{i}() {{ return c{i}; }}"}],
                },
                {
                    "role": "model",
                    "parts": [
                        {"text": f"count{i} returns how many widgets of batch {i} were shipped to customers."}
                    ],
                },
            ],
        }
        for i in range(count)
    ]


def _last_user(body: dict) -> str:
    return [c for c in body["contents"] if c["role"] == "user"][-1]["parts"][0]["text"]


@pytest.fixture
def job(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> JobRecord:
    """A finished Vertex job with three checkpoints, trained on data with 8 validation examples."""
    write_data(workspace.train_file.parent, _rows(16), validation=8)
    workspace.write_config(training={"epochs": 3}, testing={"eval_limit": 8, "eval_concurrency": 3})
    code, _, err = run_main(capsys, "train", "--config", str(workspace.config_path), "--yes")
    assert code == 0, err
    (record,) = JobStore(workspace.runs).all()
    assert len(record.checkpoints) == 3
    references = {}
    for line in workspace.train_file.with_name("validation.jsonl").read_text().splitlines():
        row = json.loads(line)
        references[row["contents"][0]["parts"][0]["text"]] = row["contents"][1]["parts"][0]["text"]
    first, second, third = (p["endpoint"] for p in record.checkpoints)
    # checkpoint 1 underfits, 2 answers as the codebase documents, 3 overfits into one stock phrase
    workspace.vertex.replies[first] = lambda model, body: "It is a method."
    workspace.vertex.replies[second] = lambda model, body: references[_last_user(body)]
    workspace.vertex.replies[third] = lambda model, body: "Returns widgets shipped to customers in a batch."
    workspace.vertex.replies["gemini-2.5-pro"] = lambda model, body: judge_or_base(body, references)
    return record


def judge_or_base(body: dict, references: dict[str, str]) -> str:
    """The compare model answers vaguely; as a judge it prefers the answer equal to the reference."""
    text = _last_user(body)
    if "## Answer A" not in text:
        return "This Java method returns a value."
    reference = text.split("## Reference answer\n", 1)[1].split("\n\n## Answer A", 1)[0]
    first = text.split("## Answer A\n", 1)[1].split("\n\n## Answer B", 1)[0]
    second = text.split("## Answer B\n", 1)[1].split("\n\nCompare A and B", 1)[0]
    if first == reference != second:
        return "A matches the reference.\nVerdict: A"
    if second == reference != first:
        return "B matches the reference.\nVerdict: B"
    return "Verdict: tie"


def test_every_checkpoint_is_evaluated_and_the_best_is_recorded_and_used(
    workspace: Workspace, job: JobRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(workspace.config_path)
    workspace.vertex.generate_seconds = 0.05  # long enough to see requests overlap
    workspace.vertex.inject(r"/endpoints/\d+:generateContent$", 429, times=1)  # one quota error, retried
    code, out, err = run_main(capsys, "eval", "-m", job.id, "--checkpoints", "--yes", "--config", config)
    assert code == 0, err
    endpoints = [p["endpoint"] for p in job.checkpoints]
    for endpoint in endpoints:  # each checkpoint answered the same 8 validation prompts
        asked = workspace.vertex.calls("POST", f"{endpoint}:generateContent$")
        assert len({_last_user(r.body) for r in asked}) == 8
    assert 1 < workspace.vertex.max_in_flight <= 3  # concurrent, within testing.eval_concurrency
    record = JobStore(workspace.runs).load(job.id)
    best = record.best_checkpoint
    assert best is not None and best["checkpoint_id"] == "2" and best["endpoint"] == endpoints[1]
    assert best["metric"] == "text_score" and best["n"] == 8  # no judge, no generation: the text score
    assert best["served_by_default"] == "3" and best["indistinguishable_from"] == []
    assert "best: checkpoint 2 (epoch 2" in out and "text score" in out
    assert "the service serves checkpoint 3 (epoch 3" in out
    report = json.loads((workspace.root / "reports" / job.id / "checkpoints" / "report.json").read_text())
    text_row = next(r for r in report["checkpoint_table"] if r["metric"] == "text_score")
    assert text_row["checkpoints"]["checkpoint 2"]["value"] == 100.0  # the references score at the ceiling
    assert text_row["checkpoints"]["checkpoint 2"]["verdict"] == "better"  # vs base, with its interval
    assert text_row["checkpoints"]["checkpoint 1"]["ci95"] is not None

    workspace.vertex.generate_seconds = 0.0
    code, answer, err = run_main(capsys, "test", "-m", job.id, "-p", _prompt(workspace), "--config", config)
    assert code == 0 and "checkpoint 2 (epoch 2" in err
    assert workspace.vertex.calls("POST", f"{endpoints[1]}:generateContent$")[-1].body["contents"][0][
        "parts"
    ][0]["text"] == _prompt(workspace)
    code, answer, err = run_main(
        capsys, "test", "-m", job.id, "--checkpoint", "1", "-p", _prompt(workspace), "--config", config
    )
    assert code == 0 and answer.strip() == "It is a method."

    # A rerun finds every answer saved and sends nothing.
    before = len(workspace.vertex.requests)
    code, out, _ = run_main(capsys, "eval", "-m", job.id, "--checkpoints", "--yes", "--config", config)
    assert code == 0 and len(workspace.vertex.requests) == before


def _prompt(workspace: Workspace) -> str:
    row = json.loads(workspace.train_file.with_name("validation.jsonl").read_text().splitlines()[0])
    return row["contents"][0]["parts"][0]["text"]


def test_with_a_judge_the_win_rate_decides_and_ties_are_said(
    workspace: Workspace, job: JobRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    third = job.checkpoints[2]["endpoint"]
    references = {}
    for line in workspace.train_file.with_name("validation.jsonl").read_text().splitlines():
        row = json.loads(line)
        references[row["contents"][0]["parts"][0]["text"]] = row["contents"][1]["parts"][0]["text"]
    workspace.vertex.replies[third] = lambda model, body: references[
        _last_user(body)
    ]  # as good as checkpoint 2
    code, out, err = run_main(
        capsys,
        "eval",
        "-m",
        job.id,
        "--checkpoints",
        "--judge",
        "gemini-2.5-pro",
        "--yes",
        "--config",
        str(workspace.config_path),
    )
    assert code == 0, err
    best = JobStore(workspace.runs).load(job.id).best_checkpoint
    assert best is not None and best["metric"] == "judge_win_rate" and best["value"] == 100.0
    assert best["checkpoint_id"] == "2"  # a tie goes to the earlier checkpoint
    assert best["indistinguishable_from"] == ["3"]
    assert "cannot be told apart from checkpoint 3" in out
    judge_calls = [
        r
        for r in workspace.vertex.calls("POST", "gemini-2.5-pro:generateContent$")
        if "## Answer A" in _last_user(r.body)
    ]
    assert len(judge_calls) == 3 * 8 * 2  # each checkpoint's answer against the base's, in both orders


def test_a_paid_evaluation_asks_first_and_spends_nothing_without_a_terminal(
    workspace: Workspace, job: JobRecord
) -> None:
    env = {"STORAGE_EMULATOR_HOST": workspace.gcs.url, "CLOUDSDK_CONFIG": str(workspace.root / "gcloud")}
    before = len(workspace.vertex.calls("POST", ":generateContent$"))
    for extra in (["--checkpoints"], []):
        done = run_without_terminal(
            ["-m", "codetune", "eval", "-m", job.id, *extra, "--config", str(workspace.config_path)],
            cwd=workspace.root,
            env_extra=env,
        )
        assert done.returncode == 3, done.stderr
        assert (
            "without confirmation" in done.stderr
            and "--yes" in done.stderr
            and "Traceback" not in done.stderr
        )
        assert "requests to gemini-2.5-flash" in done.stdout and "cost (at most, estimate)" in done.stdout
    assert len(workspace.vertex.calls("POST", ":generateContent$")) == before  # nothing was asked


def test_a_job_without_checkpoints_is_one_line(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace.write_config(training={"export_last_checkpoint_only": True})
    assert run_main(capsys, "train", "--config", str(workspace.config_path), "--yes")[0] == 0
    (record,) = JobStore(workspace.runs).all()
    record.checkpoints = []
    JobStore(workspace.runs).save(record)
    code, _, err = run_main(
        capsys, "eval", "-m", record.id, "--checkpoints", "--yes", "--config", str(workspace.config_path)
    )
    assert code == 2 and "has no intermediate checkpoints" in err and "Traceback" not in err


def test_the_metric_can_be_chosen_and_a_misspelt_one_is_one_line(
    workspace: Workspace, job: JobRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(workspace.config_path)
    workspace.write_config(testing={"eval_limit": 8, "checkpoint_metric": "answer_words"})
    code, _, err = run_main(capsys, "eval", "-m", job.id, "--checkpoints", "--yes", "--config", config)
    assert code == 2 and "testing.checkpoint_metric 'answer_words'" in err and "judge_win_rate" in err
    assert workspace.vertex.calls("POST", ":generateContent$") == []  # refused before anything was sent

    workspace.write_config(testing={"eval_limit": 8, "checkpoint_metric": "truncated"})
    code, out, err = run_main(capsys, "eval", "-m", job.id, "--checkpoints", "--yes", "--config", config)
    assert code == 0, err
    best = JobStore(workspace.runs).load(job.id).best_checkpoint
    # No answer is cut anywhere: all three tie at 0%, lower is better, the earliest wins and says so.
    assert best is not None and best["metric"] == "truncated" and best["checkpoint_id"] == "1"
    assert best["rule"].startswith("lowest answers cut at max tokens") and best["indistinguishable_from"] == [
        "2",
        "3",
    ]

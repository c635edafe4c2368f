"""The seed's script and `codetune upload | train | monitor | cancel | jobs` with a vertex config.

The seed script and `monitor` run as real subprocesses (a fresh shell, exactly the two switches a user has:
``gcp.api_endpoint`` in the config file and ``STORAGE_EMULATOR_HOST``); the other commands run in-process
through ``cli.app.main`` to keep the suite fast.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codetune.jobs import JobStore
from support.cli import run_main
from support.vertex_workspace import Workspace

REPO = Path(__file__).resolve().parents[2]


def _env(workspace: Workspace, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODETUNE_")}
    env.update(
        STORAGE_EMULATOR_HOST=workspace.gcs.url,
        CLOUDSDK_CONFIG=str(workspace.root / "gcloud"),
        NO_GCE_CHECK="true",
        COLUMNS="200",
        **extra,
    )
    return env


def _run(workspace: Workspace, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=workspace.root,
        env=_env(workspace),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,  # no terminal
        timeout=120,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )


def test_seed_script_runs_the_whole_step_and_a_retry_starts_nothing_new(workspace: Workspace) -> None:
    script = str(REPO / "scripts" / "run_training.py")
    done = _run(workspace, script, "--config", str(workspace.config_path), "--yes")
    assert done.returncode == 0, done.stderr
    (record,) = JobStore(workspace.runs).all()
    assert record.state == "SUCCEEDED" and record.endpoint
    assert f"tuned model endpoint: {record.endpoint}" in done.stdout
    assert "cost (estimate)" in done.stdout and "tokens per epoch (estimate)" in done.stdout
    assert "PROCESSING_DATASET" in done.stdout and "billable tokens/epoch" in done.stdout
    assert set(workspace.gcs.objects(workspace.bucket)) == {
        "training/train.jsonl",
        "training/validation.jsonl",
    }

    again = _run(workspace, script, "--config", str(workspace.config_path), "--yes")
    assert again.returncode == 0, again.stderr
    assert "already exists for this data and config" in again.stdout and record.endpoint in again.stdout
    assert len(workspace.vertex.calls("POST", r"/tuningJobs$")) == 1
    assert len(JobStore(workspace.runs).all()) == 1


def test_without_a_terminal_nothing_is_spent_unless_yes_is_given(workspace: Workspace) -> None:
    refused = _run(
        workspace, str(REPO / "scripts" / "run_training.py"), "--config", str(workspace.config_path)
    )
    assert refused.returncode == 3
    assert "without confirmation" in refused.stderr and "--yes" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert "cost (estimate)" in refused.stdout  # the estimate is still shown
    assert workspace.gcs.objects(workspace.bucket) == {}
    assert workspace.vertex.calls("POST", r"/tuningJobs$") == []


def test_monitor_resumes_in_a_fresh_process(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "train", "--config", str(workspace.config_path), "--yes", "--no-monitor")
    assert code == 0 and "follow it with: codetune monitor" in out
    (record,) = JobStore(workspace.runs).all()
    assert record.state == "PENDING"

    resumed = _run(
        workspace, "-m", "codetune", "monitor", record.id[:12], "--config", str(workspace.config_path)
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"job {record.id} succeeded" in resumed.stdout
    assert JobStore(workspace.runs).load(record.id).state == "SUCCEEDED"


def test_ctrl_c_while_monitoring_leaves_the_job_running(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace.vertex.progression *= 10_000  # runs until cancelled
    workspace.write_config(training={"poll_interval_seconds": 0.2})
    assert run_main(capsys, "train", "--config", str(workspace.config_path), "--yes", "--no-monitor")[0] == 0
    (record,) = JobStore(workspace.runs).all()

    monitor = subprocess.Popen(
        [sys.executable, "-m", "codetune", "monitor", "--config", str(workspace.config_path)],
        cwd=workspace.root,
        env=_env(workspace),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(workspace.vertex.calls("GET", r"/tuningJobs/\d+$")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # wait until it is really polling
    monitor.send_signal(signal.SIGINT)
    out, err = monitor.communicate(timeout=30)
    assert monitor.returncode == 130, err
    assert f"the job keeps running. Resume with: codetune monitor {record.id}" in err
    assert workspace.vertex.calls("POST", ":cancel$") == []
    assert workspace.vertex.jobs[record.remote_name or ""].resource["state"] == "JOB_STATE_RUNNING"

    code, out, _ = run_main(capsys, "cancel", record.id, "--config", str(workspace.config_path))
    assert code == 0 and "cancel requested" in out
    code, out, _ = run_main(capsys, "monitor", "--config", str(workspace.config_path), "--interval", "0.01")
    assert code == 1 and "was cancelled" in out


def test_failed_job_prints_the_service_message_and_the_row_source(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace.vertex.fail_with("Invalid dataset. Row: 2, Error: Each part must have exactly one text field.")
    code, out, err = run_main(capsys, "train", "--config", str(workspace.config_path), "--yes")
    assert code == 1
    assert "Row: 2, Error: Each part must have exactly one text field." in err
    assert "src/main/java/com/acme/Bag2.java" in err and "line 3 of" in err
    assert "Traceback" not in err


def test_upload_command_is_idempotent(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "upload", "--config", str(workspace.config_path), "--yes")
    assert code == 0
    assert f"train: gs://{workspace.bucket}/training/train.jsonl" in out
    first = workspace.gcs.objects(workspace.bucket)["training/train.jsonl"]["generation"]
    assert run_main(capsys, "upload", "--config", str(workspace.config_path), "--yes")[0] == 0
    assert workspace.gcs.objects(workspace.bucket)["training/train.jsonl"]["generation"] == first
    assert workspace.vertex.requests == []  # uploading starts nothing


def test_preflight_problems_are_one_line_and_nothing_is_sent(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace.write_config(training={"adapter_size": 32}, gcp={"location": "global"})
    code, _, err = run_main(capsys, "train", "--config", str(workspace.config_path), "--yes")
    assert code == 2
    assert "not starting: 2 problem(s)" in err and "adapter_size 32" in err and "'global'" in err
    assert "Traceback" not in err
    assert workspace.gcs.objects(workspace.bucket) == {} and workspace.vertex.requests == []


def test_api_key_only_setup_is_refused_with_the_fix(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "not-a-real-key")
    workspace.write_config(gcp={"api_endpoint": None})  # real Google, and no Google credentials here
    code, _, err = run_main(capsys, "train", "--config", str(workspace.config_path), "--yes")
    assert code == 2
    assert "GEMINI_API_KEY is set" in err and "gcloud auth application-default login" in err
    assert "not-a-real-key" not in err


def test_jobs_lists_and_shows_records(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "jobs", "--config", str(workspace.config_path))
    assert code == 0 and "no jobs" in out
    assert run_main(capsys, "train", "--config", str(workspace.config_path), "--yes")[0] == 0
    (record,) = JobStore(workspace.runs).all()
    code, out, _ = run_main(capsys, "jobs", "--config", str(workspace.config_path))
    assert code == 0 and record.id in out and "SUCCEEDED" in out
    code, out, _ = run_main(capsys, "jobs", "--config", str(workspace.config_path), "--show", record.id)
    shown = json.loads(out)
    assert shown["remote_name"] == record.remote_name and shown["stats"]["totalBillableTokenCount"] > 0
    assert shown["data"]["objects"]["train"]["uri"].startswith(f"gs://{workspace.bucket}/")

"""Bad input and hard endings: each a clear error in the job status and on the terminal, no traceback."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from codetune.backends.local.rundir import RunDir
from codetune.cli.app import main

from .test_backend import start, wait_until


def run_cli(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_a_model_path_that_does_not_exist_is_refused_before_anything_starts(project, capsys) -> None:
    config = project(base_model="/nonexistent/model")

    code = run_cli("train", "-c", str(config), "--yes")

    err = capsys.readouterr().err
    assert code != 0
    assert "local.base_model /nonexistent/model: no such model directory or file" in err
    assert "Traceback" not in err and not list(Path("runs").glob("*/job.json"))  # no job was started


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda: Path("data/processed/train.jsonl").unlink(), "training file not found"),
        (lambda: Path("data/processed/train.jsonl").write_text(""), "has no examples"),
    ],
    ids=["missing", "empty"],
)
def test_missing_or_empty_training_data_is_a_clear_error(project, capsys, prepare, message) -> None:
    config = project()
    prepare()

    code = run_cli("train", "-c", str(config), "--yes")

    err = capsys.readouterr().err
    assert code != 0 and message in err and "hint:" in err and "Traceback" not in err


def test_data_gone_when_the_worker_starts_fails_the_job_clearly(project, capsys) -> None:
    config = project()
    backend, record, store = start(config)
    Path("data/processed/train.jsonl").unlink()  # the worker is still importing torch

    status = wait_until(backend, record, lambda s: s.ended)

    assert status.state == "FAILED"
    assert status.error == f"data file not found: {Path('data/processed/train.jsonl').resolve()}"
    assert "prepare the data first" in status.extra["failure_hint"]
    code = run_cli("monitor", record.id, "-c", str(config))
    err = capsys.readouterr().err
    assert code != 0 and "data file not found" in err and "Traceback" not in err


def test_a_trainer_killed_by_the_out_of_memory_killer_is_reported(project) -> None:
    backend, record, store = start(project(max_steps=500, eval_steps=500, save_steps=500))
    run_dir = RunDir(Path(record.extra["run_dir"]))
    wait_until(backend, record, lambda s: (s.step or 0) >= 1)

    os.kill(int(run_dir.read_status()["pid"]), signal.SIGKILL)  # what the kernel's OOM killer does
    status = wait_until(backend, record, lambda s: s.ended)

    assert status.state == "FAILED"
    assert "killed (SIGKILL), most often by the out-of-memory killer" in status.error
    assert "lower local.batch_size or local.max_length" in status.extra["failure_hint"]
    assert json.loads(run_dir.status.read_text())["state"] == "FAILED"  # written by the supervisor

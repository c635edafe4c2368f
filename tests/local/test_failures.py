"""Bad input and hard endings: each a clear error in the job status and on the terminal, no traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from codetune.backends.local.backend import LocalBackend
from codetune.backends.local.rundir import RunDir
from codetune.cli.app import main
from codetune.config import Config
from codetune.jobs import JobRecord

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


@pytest.mark.slow
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


@pytest.mark.slow
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


def _record(run_dir: RunDir, pid: int) -> JobRecord:
    extra = {"run_dir": str(run_dir.path), "pid": pid, "started": time.time()}
    return JobRecord(id=run_dir.path.name, backend="local", fingerprint="fp", display_name="d", extra=extra)


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="tells zombies apart through /proc (Linux)")
def test_a_dead_worker_is_seen_at_once_not_after_the_startup_grace(tmp_path: Path) -> None:
    backend = LocalBackend(Config.model_validate({"paths": {"runs_dir": str(tmp_path / "runs")}}))
    sleeper = subprocess.Popen(["sleep", "60"])  # holds a pid, as a reused one would
    ended = subprocess.Popen(["true"])  # ends and stays a zombie: nobody reaps it yet
    try:
        while Path(f"/proc/{ended.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
            time.sleep(0.01)
        runs = {name: RunDir(tmp_path / "runs" / f"local-{name}") for name in ("gone", "zombie", "starting")}
        for name, run_dir in runs.items():
            run_dir.path.mkdir(parents=True)
            run_dir.write_status({"state": "RUNNING" if name == "gone" else "PENDING"})

        # Its supervisor took the lock (and wrote RUNNING) and let it go: ended, whatever holds its pid now.
        assert backend.status(_record(runs["gone"], sleeper.pid)).state == "FAILED"
        # Not started yet: a process that has exited is not a worker still starting.
        assert backend.status(_record(runs["zombie"], ended.pid)).state == "FAILED"
        assert backend.status(_record(runs["starting"], sleeper.pid)).state == "PENDING"
    finally:
        sleeper.kill()
        sleeper.wait()
        ended.wait()

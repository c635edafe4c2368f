"""The rules of codetune.orchestration (one job per data and config, resume, cancel, polling) with the real
vertex backend against the loopback stand-ins, and the capabilities every backend declares."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from codetune import orchestration, training
from codetune.backends import BACKENDS, get_backend
from codetune.backends.base import Backend, ChatModel, TuningRequest
from codetune.config import Config
from codetune.errors import BackendError, ConfigError, ConfirmationRequired, JobError
from codetune.job_state import JobStatus
from codetune.jobs import JobRecord, JobStore
from support.cli import run_main
from support.vertex_workspace import Workspace


def _refuse() -> None:
    raise AssertionError("confirmation asked where none was due")


def _setup(workspace: Workspace) -> tuple[Config, Backend, JobStore, TuningRequest]:
    config = workspace.config()
    return (
        config,
        get_backend("vertex", config),
        JobStore(config.paths.runs_dir),
        training.build_request(config),
    )


def test_one_job_per_data_and_config_reused_followed_or_replaced_when_cancelled(workspace: Workspace) -> None:
    config, backend, store, request = _setup(workspace)
    asked: list[str] = []
    estimates: list[dict[str, Any]] = []

    first = orchestration.start_or_reuse(
        backend, request, config, store, show_estimate=estimates.append, confirm=lambda: asked.append("start")
    )
    assert first.action == "started" and asked == ["start"]  # paid: shown and confirmed before it starts
    assert "cost (estimate)" in estimates[0]

    running = orchestration.start_or_reuse(backend, request, config, store, confirm=_refuse)
    assert (running.action, running.record.id) == ("followed", first.record.id)
    assert orchestration.follow(backend, running.record, store, config).state == "SUCCEEDED"
    reused = orchestration.start_or_reuse(backend, request, config, store, confirm=_refuse)
    assert (reused.action, reused.record.id, reused.record.state) == ("reused", first.record.id, "SUCCEEDED")

    workspace.vertex.progression *= 100  # the next job runs until cancelled
    forced = orchestration.start_or_reuse(backend, request, config, store, force=True, confirm=lambda: None)
    assert forced.action == "started" and forced.record.id != first.record.id
    assert orchestration.cancel(backend, forced.record, store)
    assert orchestration.follow(backend, forced.record, store, config).state == "CANCELLED"
    assert not orchestration.cancel(backend, forced.record, store)  # it has ended: nothing is sent
    assert len(workspace.vertex.calls("POST", ":cancel$")) == 1

    # The cancelled job is never continued; the older job that succeeded still serves this data and config.
    again = orchestration.start_or_reuse(backend, request, config, store, confirm=_refuse)
    assert (again.action, again.record.id) == ("reused", first.record.id)
    assert len(workspace.vertex.calls("POST", r"/tuningJobs$")) == 2


def test_a_failed_job_is_replaced_where_the_backend_cannot_resume(workspace: Workspace) -> None:
    config, backend, store, request = _setup(workspace)
    workspace.vertex.fail_with("Invalid dataset. Row: 1, Error: Missing required `contents` field")
    failed = orchestration.start_or_reuse(backend, request, config, store, confirm=lambda: None)
    final = orchestration.follow(backend, failed.record, store, config)

    error = orchestration.outcome_error(failed.record, final)
    assert isinstance(error, BackendError) and "Row: 1" in error.message
    assert error.hint and "line 2 of" in error.hint  # traced to its source through the manifest
    with pytest.raises(JobError, match="the vertex backend cannot resume a job") as refused:
        orchestration.resume(backend, failed.record, store)
    assert refused.value.hint == "start a new job with: codetune train"

    retried = orchestration.start_or_reuse(backend, request, config, store, confirm=lambda: None)
    assert retried.action == "started" and retried.record.id != failed.record.id


def test_a_record_that_looks_live_is_read_again_before_deciding(workspace: Workspace) -> None:
    config, backend, store, request = _setup(workspace)
    started = orchestration.start_or_reuse(backend, request, config, store, confirm=lambda: None)
    orchestration.follow(backend, started.record, store, config)
    stale = store.load(started.record.id)
    stale.state = "RUNNING"  # as a record saved before the job ended and never read again says
    store.save(stale)

    decision = orchestration.start_or_reuse(backend, request, config, store, confirm=_refuse)

    assert decision.action == "reused" and store.load(stale.id).state == "SUCCEEDED"


def test_poll_interval_is_the_configured_one_capped_by_the_backend_unless_given() -> None:
    config = Config.model_validate({"training": {"poll_interval_seconds": 30}})
    local, vertex = get_backend("local", config), get_backend("vertex", config)

    assert orchestration.poll_interval(vertex, config) == 30
    assert orchestration.poll_interval(local, config) == local.max_poll_interval_seconds == 1.0
    assert orchestration.poll_interval(local, config, explicit=5) == 5  # --interval as given


def test_every_backend_declares_its_capabilities(tmp_path: Path) -> None:
    config = Config()
    backends = {name: get_backend(name, config) for name in BACKENDS.names()}
    assert all(isinstance(backend, Backend) for backend in backends.values())
    declared = {name: (b.paid, b.uploads, b.can_resume) for name, b in backends.items()}
    assert declared == {"local": (False, False, True), "vertex": (True, True, False)}

    request = TuningRequest(tmp_path / "train.jsonl", None, "d", None, "fp")
    with pytest.raises(ConfigError, match="the local backend reads .* in place"):
        get_backend("local", config).upload(request)
    record = JobRecord(id="vertex-1", backend="vertex", fingerprint="fp", display_name="d")
    with pytest.raises(JobError, match="the vertex backend cannot resume a job"):
        get_backend("vertex", config).resume(record)


class _Minimal(Backend):
    """A backend (say, a plugin's) that declares nothing beyond what is required."""

    name = "minimal"

    def check(self, request: TuningRequest) -> list[str]:
        return []

    def estimate(self, request: TuningRequest) -> dict[str, Any]:
        return {}

    def submit(self, request: TuningRequest, record: JobRecord) -> None:
        return None

    def status(self, record: JobRecord) -> JobStatus:
        return JobStatus("RUNNING")

    def cancel(self, record: JobRecord) -> None:
        return None

    def chat_model(
        self, model: str | None, *, record: JobRecord | None = None, base: bool = False
    ) -> ChatModel:
        raise JobError("no models")


def test_what_a_backend_does_not_declare_takes_the_safe_default() -> None:
    backend = _Minimal()
    # asked before starting, never resumed, nothing uploaded, polled as configured
    assert (backend.paid, backend.can_resume, backend.uploads) == (True, False, False)
    assert backend.max_poll_interval_seconds == math.inf
    record = JobRecord(id="minimal-1", backend="minimal", fingerprint="fp", display_name="d")
    with pytest.raises(JobError, match="cannot resume"):
        backend.resume(record)


class _PaidAndResumable(_Minimal):
    """A backend that bills its jobs and can continue them (none built in is both)."""

    name = "paid-resumable"
    can_resume = True

    def status(self, record: JobRecord) -> JobStatus:
        return JobStatus("FAILED" if record.state == "FAILED" else "RUNNING")

    def resume(self, record: JobRecord) -> None:
        record.state = "PENDING"


def test_a_paid_backend_asks_before_resuming_too(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "runs")
    store.job_dir("paid-1").mkdir(parents=True)
    store.save(
        JobRecord(id="paid-1", backend="paid-resumable", fingerprint="fp", display_name="d", state="FAILED")
    )
    request = TuningRequest(tmp_path / "train.jsonl", None, "d", None, "fp")

    def refuse() -> None:
        raise ConfirmationRequired("not confirmed")

    with pytest.raises(ConfirmationRequired):
        orchestration.start_or_reuse(_PaidAndResumable(), request, Config(), store, confirm=refuse)
    assert store.load("paid-1").state == "FAILED"  # nothing was resumed

    asked: list[str] = []
    decision = orchestration.start_or_reuse(
        _PaidAndResumable(), request, Config(), store, confirm=lambda: asked.append("resume")
    )
    assert (decision.action, asked, store.load("paid-1").state) == ("resumed", ["resume"], "PENDING")


def test_commands_follow_the_declared_capabilities(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(workspace.config_path)
    code, out, _ = run_main(capsys, "upload", "--config", config, "--backend", "local")
    assert code == 0 and "the local backend reads" in out and "nothing to upload" in out

    assert run_main(capsys, "train", "--config", config, "--yes", "--no-monitor")[0] == 0
    (record,) = JobStore(workspace.runs).all()
    code, _, err = run_main(capsys, "resume", record.id, "--config", config)
    assert code == 1 and "the vertex backend cannot resume a job" in err
    assert f"codetune monitor {record.id}" in err  # still running: follow it instead
    assert "Traceback" not in err

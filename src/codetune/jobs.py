"""Job records on disk, and the one polling loop.

A job record (``runs/<id>/job.json``) is written when a job is submitted and updated whenever its
state changes, so ``codetune monitor`` resumes from a fresh shell and a retried ``train`` finds the
job it already started for the same data and config (the *fingerprint*) instead of starting another.
What to do with such a job (reuse, follow, resume, start afresh) is decided in :mod:`codetune.orchestration`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from codetune.errors import BackendError, JobError
from codetune.io import read_json, write_json
from codetune.job_state import Checkpoint, JobStatus, is_terminal

RECORD_NAME = "job.json"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class JobRecord:
    id: str
    backend: str
    fingerprint: str
    display_name: str
    created_at: str = field(default_factory=utc_now)
    remote_name: str | None = None  # provider's name, e.g. projects/P/locations/L/tuningJobs/123
    data: dict[str, Any] = field(default_factory=dict)  # files, URIs, sha256s
    system_instruction: str | None = None
    config: dict[str, Any] = field(default_factory=dict)  # snapshot at submit time
    state: str = "PENDING"
    raw_state: str = ""
    detail: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    tuned_model: str | None = None
    endpoint: str | None = None  # serves the provider's default checkpoint
    # Intermediate checkpoints, each on its own endpoint, in training order: {checkpoint_id, epoch, step,
    # endpoint}; and the one `codetune eval --checkpoints` found best (`codetune test` then uses it).
    checkpoints: list[Checkpoint] = field(default_factory=list)
    best_checkpoint: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # backend-specific (pid, run_dir, ...)

    @property
    def ended(self) -> bool:
        return is_terminal(self.state)

    def apply(self, status: JobStatus) -> bool:
        """Fold a status into the record; True when something worth saving changed."""
        changed = (status.state, status.raw_state, status.detail) != (self.state, self.raw_state, self.detail)
        if changed:
            self.history.append(
                {
                    "time": utc_now(),
                    "state": status.state,
                    "raw_state": status.raw_state,
                    "detail": status.detail,
                }
            )
        updates = {
            "state": status.state,
            "raw_state": status.raw_state,
            "detail": status.detail,
            "error": status.error or self.error,
            "tuned_model": status.tuned_model or self.tuned_model,
            "endpoint": status.endpoint or self.endpoint,
        }
        for key, value in updates.items():
            if getattr(self, key) != value:
                setattr(self, key, value)
                changed = True
        if status.checkpoints and status.checkpoints != self.checkpoints:
            self.checkpoints = list(status.checkpoints)
            changed = True
        if status.stats and status.stats != self.stats:
            self.stats = {**self.stats, **status.stats}
            changed = True
        if status.metrics and status.metrics != self.metrics:
            self.metrics = dict(status.metrics)
            changed = True
        if any(self.extra.get(key) != value for key, value in status.extra.items()):
            self.extra = {**self.extra, **status.extra}
            changed = True
        return changed


class JobStore:
    """The ``runs/`` directory: one folder per job, each with its ``job.json``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def new_id(self, backend: str) -> str:
        import secrets

        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return f"{backend}-{stamp}-{secrets.token_hex(2)}"

    def job_dir(self, job_id: str) -> Path:
        return self.root / job_id

    def save(self, record: JobRecord) -> Path:
        path = self.job_dir(record.id) / RECORD_NAME
        write_json(path, asdict(record))
        return path

    def load(self, job_id: str) -> JobRecord:
        path = self.job_dir(job_id) / RECORD_NAME
        if not path.is_file():
            raise JobError(f"no job record {path}", hint="list jobs with `codetune jobs`")
        data = read_json(path)
        known = {name for name in JobRecord.__dataclass_fields__}
        return JobRecord(**{k: v for k, v in data.items() if k in known})

    def all(self) -> list[JobRecord]:
        """Every readable job record, newest first (unreadable folders are ignored)."""
        if not self.root.is_dir():
            return []
        records = []
        for path in self.root.glob(f"*/{RECORD_NAME}"):
            try:
                records.append(self.load(path.parent.name))
            except Exception:  # noqa: BLE001 - a broken folder must not hide the other jobs
                continue
        return sorted(records, key=lambda r: (r.created_at, r.id), reverse=True)

    def latest(self) -> JobRecord:
        records = self.all()
        if not records:
            raise JobError(
                f"no jobs in {self.root}", hint="start one with `codetune train` (or scripts/run_training.py)"
            )
        return records[0]

    def find(self, ref: str | None) -> JobRecord:
        """A job by id, unique id prefix, run directory, or provider name; the latest when ``ref`` is None."""
        if not ref:
            return self.latest()
        as_path = Path(ref)
        if (as_path / RECORD_NAME).is_file():
            return JobStore(as_path.parent).load(as_path.name)
        if self.job_dir(ref).joinpath(RECORD_NAME).is_file():
            return self.load(ref)
        records = self.all()
        matches = [r for r in records if r.remote_name == ref or r.tuned_model == ref or r.endpoint == ref]
        matches = matches or [r for r in records if r.id.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise JobError(f"'{ref}' matches {len(matches)} jobs", hint="give more of the job id")
        raise JobError(f"no job '{ref}' in {self.root}", hint="list jobs with `codetune jobs`")

    def for_fingerprint(self, backend: str, fingerprint: str) -> list[JobRecord]:
        """Every job of ``backend`` for the same data and config, newest first."""
        return [r for r in self.all() if r.backend == backend and r.fingerprint == fingerprint]


class StatusSource(Protocol):
    """What :func:`wait` needs of a backend (every :class:`codetune.backends.base.Backend` is one)."""

    def status(self, record: JobRecord) -> JobStatus: ...


def wait(
    backend: StatusSource,
    record: JobRecord,
    store: JobStore,
    *,
    poll_interval: float,
    on_status: Callable[[JobStatus], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_transient_failures: int = 10,
) -> JobStatus:
    """Poll until the job ends, saving the record on every change; returns the final status.

    A transient failure (``BackendError`` with ``transient=True``) is retried with backoff; any other
    error propagates. KeyboardInterrupt propagates too: the caller says how to resume.
    """
    failures = 0
    while True:
        remote_name = record.remote_name
        try:
            status = backend.status(record)
            failures = 0
        except BackendError as exc:
            if not exc.transient or failures >= max_transient_failures:
                raise
            failures += 1
            sleep(min(poll_interval, 2.0**failures))
            continue
        # status() may have found the provider's name of a job whose submit died before saving it
        if record.apply(status) or record.remote_name != remote_name:
            store.save(record)
        if on_status is not None:
            on_status(status)
        if status.ended:
            return status
        sleep(poll_interval)

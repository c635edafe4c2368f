"""Training jobs, decided in one place: start or reuse, follow, resume, cancel (and whether to upload).

``codetune train``, ``monitor``, ``resume``, ``cancel``, ``upload`` and the train stage of ``codetune run``
(:mod:`codetune.pipeline`) all call these functions, so they follow the same rules; they only render
what comes back (return values and callbacks: nothing here prints).

The rules:

- **One job per data and config** (the request's fingerprint, :mod:`codetune.training`). Among the jobs
  recorded for it, the newest that succeeded or is still live is reused (followed to its end). Otherwise
  the newest job decides: a failed one is resumed from its last checkpoint where the backend can resume and
  a checkpoint exists; a cancelled one was stopped on purpose and is never continued. Anything else starts
  a new job. ``force`` always starts a new one.
- **Records are refreshed before deciding**: a job whose worker was killed after its record was last
  written is seen as failed (and resumed), not followed as if it were running.
- **Deciding and starting hold the runs/ directory's lock**, so two commands racing in two shells start
  one job between them.
- **A new job starts only after the backend's checks pass** (all problems in one error) and, on a
  ``paid`` backend, after the caller's confirmation (asked before resuming one too).
- **Poll interval**: an explicit ``--interval`` as given; otherwise ``training.poll_interval_seconds``
  capped by the backend's ``max_poll_interval_seconds``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from codetune.display import fmt_money, fmt_seconds
from codetune.errors import BackendError, CodetuneError, ConfigError, JobError
from codetune.io import directory_lock
from codetune.jobs import JobRecord, JobStore, wait

if TYPE_CHECKING:
    from codetune.backends.base import Backend, TuningRequest
    from codetune.config import Config
    from codetune.job_state import JobStatus

Action = Literal["reused", "followed", "resumed", "started"]
_STOPPED = ("FAILED", "CANCELLING", "CANCELLED")  # not live: never followed as the job to reuse


@dataclass(frozen=True)
class Decision:
    """What :func:`start_or_reuse` did: ``reused`` a succeeded job, ``followed`` a live one, ``resumed`` a
    killed one from its checkpoint, or ``started`` a new one."""

    action: Action
    record: JobRecord


# -- finding jobs ----------------------------------------------------------------------------------------


def open_job(config: Config, ref: str | None) -> tuple[JobStore, JobRecord, Backend]:
    """The job store, the job ``ref`` names (id, id prefix, run directory or provider name; the latest when
    empty) and the backend that runs it."""
    from codetune.backends import get_backend

    store = JobStore(config.paths.runs_dir)
    record = store.find(ref)
    return store, record, get_backend(record.backend, config)


def _refresh(backend: Backend, record: JobRecord, store: JobStore) -> None:
    """Read a live-looking job's state from its backend and save it; a transient failure keeps the record."""
    if record.ended:
        return
    try:
        status = backend.status(record)
    except BackendError as exc:
        if exc.transient:
            return  # followed as recorded: the polling loop retries transient failures
        raise
    if record.apply(status):
        store.save(record)


# -- starting --------------------------------------------------------------------------------------------


def require_no_problems(backend: Backend, request: TuningRequest) -> None:
    """All of the backend's pre-flight problems at once, before anything is uploaded or started."""
    problems = backend.check(request)
    if problems:
        raise ConfigError(
            f"not starting: {len(problems)} problem(s): " + "; ".join(problems),
            hint="fix config/config.yaml (or the CODETUNE_* environment variables) and rerun",
        )


def start_or_reuse(
    backend: Backend,
    request: TuningRequest,
    config: Config,
    store: JobStore,
    *,
    force: bool = False,
    show_estimate: Callable[[dict[str, Any]], None] | None = None,
    confirm: Callable[[], None] | None = None,
) -> Decision:
    """The job for this request: an existing one (see the module's rules) or, failing that, a new one.

    ``show_estimate`` sees the backend's estimate before a new job starts; ``confirm`` is asked before a
    paid backend starts or resumes one and raises to refuse (``None``: the caller has asked already).
    """
    from codetune import training

    with directory_lock(store.root, "codetune train"):
        if not force:
            existing = _existing_job(backend, store, request.fingerprint, confirm)
            if existing is not None:
                return existing
        require_no_problems(backend, request)
        if show_estimate is not None:
            show_estimate(backend.estimate(request))
        if backend.paid and confirm is not None:
            confirm()
        return Decision("started", training.submit(backend, request, config, store))


def _existing_job(
    backend: Backend, store: JobStore, fingerprint: str, confirm: Callable[[], None] | None
) -> Decision | None:
    records = store.for_fingerprint(backend.name, fingerprint)
    for record in records:
        _refresh(backend, record, store)
    for record in records:
        if record.state not in _STOPPED:
            return Decision("reused" if record.state == "SUCCEEDED" else "followed", record)
    if records and records[0].state == "FAILED" and backend.can_resume:
        if backend.paid and confirm is not None:
            confirm()  # training on spends as much as starting does
        try:
            resume(backend, records[0], store)
        except JobError:
            return None  # no checkpoint to continue from: a new job
        return Decision("resumed", records[0])
    return None


def resume(backend: Backend, record: JobRecord, store: JobStore) -> None:
    """Restart a killed job from its last checkpoint (step, learning-rate schedule, data position)."""
    if not backend.can_resume:
        raise JobError(
            f"the {backend.name} backend cannot resume a job",
            hint=f"follow it with: codetune monitor {record.id}"
            if not record.ended
            else "start a new job with: codetune train",
        )
    backend.resume(record)
    store.save(record)


def ready_to_upload(backend: Backend, request: TuningRequest) -> bool:
    """True when the backend copies the data somewhere before a job reads it and its checks pass (all
    problems in one error); False when it reads the data in place. The caller confirms, then uploads:
    data leaves the machine, so an upload is always confirmed, paid backend or not."""
    if not backend.uploads:
        return False
    require_no_problems(backend, request)
    return True


# -- following and stopping ------------------------------------------------------------------------------


def poll_interval(backend: Backend, config: Config, explicit: float | None = None) -> float:
    """Seconds between status reads: ``explicit`` (``--interval``) as given, else the configured interval
    capped by the backend's bound (a local job's status is a file read; a remote API is polled sparingly)."""
    if explicit:
        return explicit
    return min(config.training.poll_interval_seconds, backend.max_poll_interval_seconds)


def follow(
    backend: Backend,
    record: JobRecord,
    store: JobStore,
    config: Config,
    *,
    interval: float | None = None,
    on_status: Callable[[JobStatus], None] | None = None,
) -> JobStatus:
    """Poll the job until it ends, saving its record on every change; returns the final status."""
    every = poll_interval(backend, config, interval)
    return wait(backend, record, store, poll_interval=every, on_status=on_status)


def cancel(backend: Backend, record: JobRecord, store: JobStore) -> bool:
    """Ask the backend to stop the job and record what it says; False when the job had already ended."""
    _refresh(backend, record, store)
    if record.ended:
        return False
    backend.cancel(record)
    record.apply(backend.status(record))
    store.save(record)
    return True


def outcome_error(record: JobRecord, status: JobStatus) -> CodetuneError | None:
    """None for a job that succeeded; otherwise the error that says how it ended and what to do next."""
    from codetune.training import explain_failure

    if status.state == "SUCCEEDED":
        return None
    if status.state == "CANCELLED":
        return JobError(f"job {record.id} was cancelled", hint="start a new one with: codetune train")
    return BackendError(
        f"job {record.id} failed: {status.error or record.error or 'no error message'}",
        hint=explain_failure(record)  # a provider's `Row: N`, traced to its source file
        or record.extra.get("failure_hint")
        or f"details in {record.id}'s record: codetune jobs --show {record.id}",
    )


# -- the status line -------------------------------------------------------------------------------------

# Provider data stats worth a place on the status line, with short labels (the record keeps them all).
_SHOWN_STATS = {
    "tuningDatasetExampleCount": "examples",
    "totalBillableTokenCount": "billable tokens/epoch",
    "tuningStepCount": "steps",
    "totalTruncatedExampleCount": "truncated",
}


def _stat_words(stats: dict[str, object]) -> list[str]:
    """The status line's words for a status's data stats.

    >>> _stat_words({"tuningStepCount": 30, "totalTruncatedExampleCount": 0, "cost_estimate_usd": 1.5})
    ['steps 30', 'cost ~$1.50']
    >>> _stat_words({"samples": 7, "histogram": [1, 2]})
    ['samples 7']
    """
    known = [key for key in _SHOWN_STATS if key in stats]
    words = [f"{_SHOWN_STATS[key]} {stats[key]}" for key in known if stats[key] not in (0, "0")]
    if "cost_estimate_usd" in stats and isinstance(stats["cost_estimate_usd"], int | float):
        words.append(f"cost ~{fmt_money(float(stats['cost_estimate_usd']))}")
    if not known:  # another backend's stats: every scalar (lists and distributions stay in the record)
        words += [
            f"{k} {v}"
            for k, v in stats.items()
            if k != "cost_estimate_usd" and isinstance(v, str | int | float)
        ]
    return words


def _bar(done: int, total: int, width: int = 20) -> str:
    """A text progress bar.

    >>> _bar(5, 20, width=8)
    '##......'
    """
    filled = round(width * min(max(done, 0), total) / total) if total else 0
    return "#" * filled + "." * (width - filled)  # no brackets: rich would read "[#...]" as markup


def elapsed_since(created_at: str) -> float | None:
    """Seconds since a record's ``created_at`` (UTC, ``%Y-%m-%dT%H:%M:%SZ``); None when unreadable.

    >>> elapsed_since("not a time") is None
    True
    """
    try:
        created = datetime.strptime(created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return max(0.0, (datetime.now(UTC) - created).total_seconds())


def status_line(status: JobStatus, *, since: str | None = None, text_bar: bool = True) -> str:
    """One line about a job, words two spaces apart, the state first. ``since``: the record's
    ``created_at``, for the elapsed time; ``text_bar=False`` where a graphical bar shows the steps.

    >>> from codetune.job_state import JobStatus
    >>> status_line(JobStatus("RUNNING", step=5, total_steps=20, metrics={"loss": 1.23456}, eta_seconds=75))
    'RUNNING  #####...............  step 5/20  loss 1.235  ETA 1m15s'
    >>> status_line(JobStatus("RUNNING", "JOB_STATE_RUNNING", "TUNING"), text_bar=False)
    'RUNNING  (JOB_STATE_RUNNING)  TUNING'
    """
    words: list[str] = [status.state]
    if status.raw_state and status.raw_state != status.state:
        words.append(f"({status.raw_state})")
    if status.detail:
        words.append(status.detail)
    if status.step is not None and status.total_steps:
        steps = f"step {status.step}/{status.total_steps}"
        words.append(f"{_bar(status.step, status.total_steps)}  {steps}" if text_bar else steps)
    for key in ("loss", "eval_loss", "tokens_per_second"):
        value = status.metrics.get(key)
        if value is not None:
            words.append(f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}")
    if status.eta_seconds is not None:
        words.append(f"ETA {fmt_seconds(status.eta_seconds)}")
    words.extend(_stat_words(status.stats))
    elapsed = elapsed_since(since) if since else None
    if elapsed is not None:
        words.append(f"elapsed {fmt_seconds(elapsed)}")
    return "  ".join(words)

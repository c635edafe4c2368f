"""`codetune upload | train | monitor | cancel | jobs`: one flow for every backend."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from codetune.cli.options import BackendOption, ConfigOption, YesOption, load

if TYPE_CHECKING:
    from codetune.backends.base import Backend, JobStatus, TuningRequest
    from codetune.config import Config
    from codetune.jobs import JobRecord, JobStore

JobArgument = typer.Argument(None, help="Job id, prefix, run directory or provider name (default: latest).")
TrainFileOption = typer.Option(None, "--train-file", help="Default: training.train_file.")
ValidationFileOption = typer.Option(None, "--validation-file", help="Default: training.validation_file.")
MonitorOption = typer.Option(True, "--monitor/--no-monitor", help="Follow the job until it ends.")
ForceOption = typer.Option(
    False, "--force", help="Start a new job even if one exists for this data and config."
)
CancelOption = typer.Option(False, "--cancel", help="Cancel the job, then follow it to its end.")
IntervalOption = typer.Option(
    None, "--interval", help="Seconds between polls (default: training.poll_interval_seconds)."
)
ShowOption = typer.Option(None, "--show", help="Print one job's full record as JSON.")


def _setup(config_path: Path | None, backend_name: str | None) -> tuple[Config, Backend, JobStore]:
    from codetune.backends import get_backend
    from codetune.jobs import JobStore

    config = load(config_path, training={"backend": backend_name})
    return config, get_backend(config.training.backend, config), JobStore(config.paths.runs_dir)


def _open_job(config_path: Path | None, job: str) -> tuple[Config, JobStore, JobRecord, Backend]:
    """The config, the job store, the record ``job`` names (latest when empty) and its backend."""
    from codetune.backends import get_backend
    from codetune.jobs import JobStore

    config = load(config_path)
    store = JobStore(config.paths.runs_dir)
    record = store.find(job)
    return config, store, record, get_backend(record.backend, config)


def _show_estimate(backend: Backend, request: TuningRequest) -> None:
    from rich.table import Table

    from codetune.cli.ui import console

    estimate = backend.estimate(request)
    table = Table(title=f"{backend.name} tuning job", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in estimate.items():
        table.add_row(key, str(value))
    console.print(table)


def _elapsed_since(created_at: str) -> float | None:
    """Seconds since a record's ``created_at`` (UTC, ``%Y-%m-%dT%H:%M:%SZ``); None when unreadable."""
    from datetime import UTC, datetime

    try:
        created = datetime.strptime(created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return max(0.0, (datetime.now(UTC) - created).total_seconds())


def _require_no_problems(backend: Backend, request: TuningRequest) -> None:
    """All of the backend's pre-flight problems at once, before anything is uploaded or started."""
    from codetune.errors import ConfigError

    problems = backend.check(request)
    if problems:
        raise ConfigError(
            f"not starting: {len(problems)} problem(s): " + "; ".join(problems),
            hint="fix config/config.yaml (or the CODETUNE_* environment variables) and rerun",
        )


# Provider data stats worth a place on the monitor line, with short labels (the record keeps them all).
_SHOWN_STATS = {
    "tuningDatasetExampleCount": "examples",
    "totalBillableTokenCount": "billable tokens/epoch",
    "tuningStepCount": "steps",
    "totalTruncatedExampleCount": "truncated",
}


def _stat_words(stats: dict[str, object]) -> list[str]:
    """The monitor line's words for a status's data stats.

    >>> _stat_words({"tuningStepCount": 30, "totalTruncatedExampleCount": 0, "cost_estimate_usd": 1.5})
    ['steps 30', 'cost ~$1.50']
    >>> _stat_words({"samples": 7, "histogram": [1, 2]})
    ['samples 7']
    """
    from codetune.cli.ui import fmt_money

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
    """A text progress bar for the monitor line.

    >>> _bar(5, 20, width=8)
    '##......'
    """
    filled = round(width * min(max(done, 0), total) / total) if total else 0
    return "#" * filled + "." * (width - filled)  # no brackets: rich would read "[#...]" as a colour


def _describe(status: JobStatus, started: float, created_at: str | None = None) -> str:
    from codetune.cli.ui import fmt_seconds

    parts = [f"[bold]{status.state}[/]"]
    if status.raw_state and status.raw_state != status.state:
        parts.append(f"({status.raw_state})")
    if status.detail:
        parts.append(status.detail)
    if status.step is not None and status.total_steps:
        parts.append(f"{_bar(status.step, status.total_steps)} step {status.step}/{status.total_steps}")
    for key in ("loss", "eval_loss", "tokens_per_second"):
        if key in status.metrics and status.metrics[key] is not None:
            value = status.metrics[key]
            parts.append(f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}")
    if status.eta_seconds is not None:
        parts.append(f"ETA {fmt_seconds(status.eta_seconds)}")
    parts.extend(_stat_words(status.stats))
    since_created = _elapsed_since(created_at) if created_at else None
    elapsed = since_created if since_created is not None else time.monotonic() - started
    parts.append(f"elapsed {fmt_seconds(elapsed)}")
    return "  ".join(parts)


def follow(backend: Backend, record: JobRecord, store: JobStore, poll_interval: float) -> JobStatus:
    """Monitor until the job ends, with a live line (or bar when steps are known)."""
    from rich.live import Live
    from rich.markup import escape

    from codetune.cli.ui import console, explain_interruption, is_interactive
    from codetune.jobs import wait

    started = time.monotonic()
    # a backend whose status is a local file read (local) polls more often than a remote API allows
    poll_interval = min(poll_interval, getattr(backend, "max_poll_interval_seconds", poll_interval))
    remote = (
        f", {escape(record.remote_name)}" if record.remote_name and record.remote_name != record.id else ""
    )
    console.print(f"monitoring [bold]{record.id}[/] ({record.backend}{remote})", soft_wrap=True)
    if record.extra.get("console_url"):
        console.print(f"console: {escape(record.extra['console_url'])}", soft_wrap=True, highlight=False)
    last_line = [""]
    try:
        if is_interactive():
            with Live(console=console, refresh_per_second=4, transient=False) as live:

                def show(status: JobStatus) -> None:
                    live.update(_describe(status, started, record.created_at))

                final = wait(backend, record, store, poll_interval=poll_interval, on_status=show)
        else:

            def log(status: JobStatus) -> None:
                line = _describe(status, started, record.created_at)
                key = line.rsplit("elapsed", 1)[0]
                if key != last_line[0]:  # plain logs: one line per change, not per poll
                    console.print(line, highlight=False, soft_wrap=True)
                    last_line[0] = key

            final = wait(backend, record, store, poll_interval=poll_interval, on_status=log)
    except KeyboardInterrupt:
        explain_interruption(
            f"stopped monitoring; the job keeps running. Resume with: codetune monitor {record.id}"
            f"   (cancel it with: codetune cancel {record.id})"
        )
        raise typer.Exit(130) from None
    return final


def report_final(record: JobRecord, status: JobStatus) -> None:
    from rich.markup import escape

    from codetune.cli.ui import console
    from codetune.errors import BackendError
    from codetune.training import explain_failure

    if status.state == "SUCCEEDED":
        console.print(f"[green]job {record.id} succeeded[/]")
        if record.endpoint:
            console.print(f"tuned model endpoint: [bold]{escape(record.endpoint)}[/]", soft_wrap=True)
        if record.tuned_model and record.tuned_model != record.endpoint:
            console.print(f"tuned model: [bold]{escape(record.tuned_model)}[/]", soft_wrap=True)
        if record.extra.get("model_resource"):
            console.print(f"model resource: {escape(record.extra['model_resource'])}", soft_wrap=True)
        console.print(
            f"try it: codetune test -m {escape(record.tuned_model or record.id)} -i --compare",
            soft_wrap=True,
        )
        return
    if status.state == "CANCELLED":
        console.print(f"[yellow]job {record.id} was cancelled[/]")
        raise typer.Exit(1)
    row_source = explain_failure(record)
    raise BackendError(
        f"job {record.id} failed: {status.error or record.error or 'no error message'}",
        hint=row_source
        or record.extra.get("failure_hint")
        or f"details in {record.id}'s record: codetune jobs --show {record.id}",
    )


def register(app: typer.Typer) -> None:
    @app.command()
    def upload(
        config_path: Path = ConfigOption,
        yes: bool = YesOption,
        backend_name: str = BackendOption,
    ) -> None:
        """Validate the prepared data and upload it where the backend reads it (GCS for vertex)."""
        from codetune.cli.ui import confirm, console, is_interactive, progress_bar
        from codetune.training import build_request

        config, backend, _ = _setup(config_path, backend_name)
        request = build_request(config)
        uploader = getattr(backend, "upload", None)
        if uploader is None:
            console.print(
                f"the {backend.name} backend reads {request.train_file} in place: nothing to upload"
            )
            return
        _require_no_problems(backend, request)
        confirm(f"upload {request.train_examples} examples to {backend.name}?", yes=yes, what="the upload")
        with progress_bar(transient=True, enabled=is_interactive()) as progress:
            uris = uploader(request, progress=progress)
        for split, uri in uris.items():
            console.print(f"{split}: {uri}", soft_wrap=True)

    @app.command()
    def train(
        config_path: Path = ConfigOption,
        yes: bool = YesOption,
        backend_name: str = BackendOption,
        train_file: Path = TrainFileOption,
        validation_file: Path = ValidationFileOption,
        monitor: bool = MonitorOption,
        force: bool = ForceOption,
    ) -> None:
        """Validate, estimate, confirm, start a tuning job and (by default) monitor it to the end."""
        from codetune import training
        from codetune.cli.ui import confirm, console
        from codetune.io import directory_lock

        config, backend, store = _setup(config_path, backend_name)
        request = training.build_request(config, train_file=train_file, validation_file=validation_file)
        # One `train` at a time per runs/ directory decides whether to start a job: two retries racing in
        # two shells must not both start one. (Monitoring happens after the lock is released.)
        with directory_lock(store.root, "codetune train"):
            existing = None if force else store.find_by_fingerprint(backend.name, request.fingerprint)
            if existing is not None:
                console.print(
                    f"a {existing.state.lower()} job already exists for this data and config: "
                    f"[bold]{existing.id}[/] (use --force to start another)"
                )
                record = existing
            else:
                _require_no_problems(backend, request)
                _show_estimate(backend, request)
                # Free, local work needs no confirmation; anything that spends money or uploads data does.
                if getattr(backend, "paid", True):
                    confirm("start this tuning job?", yes=yes, what="the tuning job")
                record = training.submit(backend, request, config, store)
                console.print(f"started job [bold]{record.id}[/]")
        if not monitor:
            console.print(f"follow it with: codetune monitor {record.id}")
            return
        status = follow(backend, record, store, config.training.poll_interval_seconds)
        report_final(record, status)

    @app.command()
    def monitor(
        job: str = JobArgument,
        config_path: Path = ConfigOption,
        yes: bool = YesOption,
        cancel: bool = CancelOption,
        interval: float = IntervalOption,
    ) -> None:
        """Follow a job until it ends (resumes from the job record in a fresh shell)."""
        config, store, record, backend = _open_job(config_path, job)
        if cancel:
            backend.cancel(record)
        status = follow(backend, record, store, interval or config.training.poll_interval_seconds)
        report_final(record, status)

    @app.command()
    def resume(
        job: str = JobArgument,
        config_path: Path = ConfigOption,
        monitor: bool = MonitorOption,
    ) -> None:
        """Restart a killed job from its last checkpoint (local backend: step, LR schedule, data position)."""
        from codetune.cli.ui import console
        from codetune.errors import JobError

        config, store, record, backend = _open_job(config_path, job)
        restart = getattr(backend, "resume", None)
        if restart is None:
            raise JobError(
                f"the {record.backend} backend cannot resume a job",
                hint=f"follow it with: codetune monitor {record.id}",
            )
        restart(record)
        store.save(record)
        console.print(f"resumed job [bold]{record.id}[/]")
        if not monitor:
            console.print(f"follow it with: codetune monitor {record.id}")
            return
        status = follow(backend, record, store, config.training.poll_interval_seconds)
        report_final(record, status)

    @app.command()
    def cancel(
        job: str = JobArgument,
        config_path: Path = ConfigOption,
        yes: bool = YesOption,
    ) -> None:
        """Cancel a running job (it stops being billed; a cancelled job cannot be resumed)."""
        from codetune.cli.ui import console

        _, store, record, backend = _open_job(config_path, job)
        if record.ended:
            console.print(f"job {record.id} already ended: {record.state}")
            return
        backend.cancel(record)
        record.apply(backend.status(record))
        store.save(record)
        console.print(f"cancel requested for {record.id}: now {record.state}")
        if not record.ended:
            console.print(f"see it end with: codetune monitor {record.id}")

    @app.command()
    def jobs(
        config_path: Path = ConfigOption,
        yes: bool = YesOption,
        show: str = ShowOption,
    ) -> None:
        """List tuning jobs recorded under runs/."""
        from rich.markup import escape

        from codetune.cli.ui import console
        from codetune.jobs import JobStore

        config = load(config_path)
        store = JobStore(config.paths.runs_dir)
        if show:
            import dataclasses
            import json

            console.print_json(json.dumps(dataclasses.asdict(store.find(show))))
            return
        records = store.all()
        if not records:
            console.print(f"no jobs in {store.root}; start one with: codetune train")
            return
        # One line per job (ids and model names are long: a table would cut or fold them).
        for record in records:
            detail = f" ({record.detail})" if record.detail and not record.ended else ""
            console.print(
                f"[bold]{record.id}[/]  {record.backend}  {record.state}{detail}  {record.created_at}",
                soft_wrap=True,
                highlight=False,
            )
            if record.tuned_model:
                console.print(
                    f"    tuned model: {escape(record.tuned_model)}", soft_wrap=True, highlight=False
                )
            elif record.error:
                console.print(f"    error: {escape(record.error)}", soft_wrap=True, highlight=False)

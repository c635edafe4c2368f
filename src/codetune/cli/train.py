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


def _setup(config_path: Path | None, backend_name: str | None) -> tuple[Config, Backend, JobStore]:
    from codetune.backends import get_backend
    from codetune.jobs import JobStore

    config = load(config_path, training={"backend": backend_name})
    return config, get_backend(config.training.backend, config), JobStore(config.paths.runs_dir)


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


def _describe(status: JobStatus, started: float) -> str:
    from codetune.cli.ui import fmt_seconds

    parts = [f"[bold]{status.state}[/]"]
    if status.raw_state and status.raw_state != status.state:
        parts.append(f"({status.raw_state})")
    if status.detail:
        parts.append(status.detail)
    if status.step is not None and status.total_steps:
        parts.append(f"step {status.step}/{status.total_steps}")
    for key in ("loss", "eval_loss", "tokens_per_second"):
        if key in status.metrics and status.metrics[key] is not None:
            value = status.metrics[key]
            parts.append(f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}")
    if status.eta_seconds is not None:
        parts.append(f"ETA {fmt_seconds(status.eta_seconds)}")
    for key, value in status.stats.items():
        parts.append(f"{key} {value}")
    parts.append(f"elapsed {fmt_seconds(time.monotonic() - started)}")
    return "  ".join(parts)


def follow(backend: Backend, record: JobRecord, store: JobStore, poll_interval: float) -> JobStatus:
    """Monitor until the job ends, with a live line (or bar when steps are known)."""
    from rich.live import Live
    from rich.markup import escape

    from codetune.cli.ui import console, err_console, is_interactive
    from codetune.jobs import wait

    started = time.monotonic()
    console.print(f"monitoring [bold]{record.id}[/] ({record.backend}{', ' + escape(record.remote_name) if record.remote_name and record.remote_name != record.id else ''})")
    last_line = [""]
    try:
        if is_interactive():
            with Live(console=console, refresh_per_second=4, transient=False) as live:

                def show(status: JobStatus) -> None:
                    live.update(_describe(status, started))

                final = wait(backend, record, store, poll_interval=poll_interval, on_status=show)
        else:

            def log(status: JobStatus) -> None:
                line = _describe(status, started)
                key = line.rsplit("elapsed", 1)[0]
                if key != last_line[0]:  # plain logs: one line per change, not per poll
                    console.print(line, highlight=False)
                    last_line[0] = key

            final = wait(backend, record, store, poll_interval=poll_interval, on_status=log)
    except KeyboardInterrupt:
        err_console.print(
            f"\nstopped monitoring; the job keeps running. Resume with: codetune monitor {record.id}"
            f"   (cancel it with: codetune cancel {record.id})"
        )
        raise typer.Exit(130) from None
    return final


def report_final(record: JobRecord, status: JobStatus) -> None:
    from rich.markup import escape

    from codetune.cli.ui import console
    from codetune.errors import BackendError

    if status.state == "SUCCEEDED":
        console.print(f"[green]job {record.id} succeeded[/]")
        if record.tuned_model:
            console.print(f"tuned model: [bold]{escape(record.tuned_model)}[/]")
        if record.endpoint and record.endpoint != record.tuned_model:
            console.print(f"endpoint:    [bold]{escape(record.endpoint)}[/]")
        console.print(f"try it:      codetune test -m {escape(record.tuned_model or record.id)} -i --compare")
        return
    if status.state == "CANCELLED":
        console.print(f"[yellow]job {record.id} was cancelled[/]")
        raise typer.Exit(1)
    raise BackendError(
        f"job {record.id} failed: {status.error or 'no error message'}",
        hint=record.extra.get("failure_hint") or f"details in {record.id}'s record: codetune jobs --show {record.id}",
    )


def register(app: typer.Typer) -> None:
    @app.command()
    def upload(
        config_path: Path = ConfigOption,
        yes: bool = YesOption,
        backend_name: str = BackendOption,
    ) -> None:
        """Validate the prepared data and upload it where the backend reads it (GCS for vertex)."""
        from codetune.cli.ui import confirm, console
        from codetune.training import build_request

        config, backend, _ = _setup(config_path, backend_name)
        request = build_request(config)
        uploader = getattr(backend, "upload", None)
        if uploader is None:
            console.print(f"the {backend.name} backend reads {request.train_file} in place: nothing to upload")
            return
        confirm(f"upload {request.train_examples} examples to {backend.name}?", yes=yes, what="the upload")
        for split, uri in uploader(request).items():
            console.print(f"{split}: {uri}")

    @app.command()
    def train(
        config_path: Path = ConfigOption,
        yes: bool = YesOption,
        backend_name: str = BackendOption,
        train_file: Path = typer.Option(None, "--train-file", help="Default: training.train_file."),
        validation_file: Path = typer.Option(None, "--validation-file", help="Default: training.validation_file."),
        monitor: bool = typer.Option(True, "--monitor/--no-monitor", help="Follow the job until it ends."),
        force: bool = typer.Option(False, "--force", help="Start a new job even if one exists for this data and config."),
    ) -> None:
        """Validate, estimate, confirm, start a tuning job and (by default) monitor it to the end."""
        from codetune import training
        from codetune.cli.ui import confirm, console

        config, backend, store = _setup(config_path, backend_name)
        request = training.build_request(config, train_file=train_file, validation_file=validation_file)
        existing = None if force else store.find_by_fingerprint(backend.name, request.fingerprint)
        if existing is not None:
            console.print(
                f"a {existing.state.lower()} job already exists for this data and config: [bold]{existing.id}[/]"
                " (use --force to start another)"
            )
            record = existing
        else:
            problems = backend.check(request)
            if problems:
                from codetune.errors import ConfigError

                raise ConfigError("; ".join(problems), hint="fix config/config.yaml and rerun")
            _show_estimate(backend, request)
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
        job: str = typer.Argument(None, help="Job id, prefix, run directory or provider name (default: latest)."),
        config_path: Path = ConfigOption,
        cancel: bool = typer.Option(False, "--cancel", help="Cancel the job, then show its final state."),
        interval: float = typer.Option(None, "--interval", help="Seconds between polls (default: training.poll_interval_seconds)."),
    ) -> None:
        """Follow a job until it ends (resumes from the job record in a fresh shell)."""
        from codetune.backends import get_backend
        from codetune.jobs import JobStore

        config = load(config_path)
        store = JobStore(config.paths.runs_dir)
        record = store.find(job)
        backend = get_backend(record.backend, config)
        if cancel:
            backend.cancel(record)
        status = follow(backend, record, store, interval or config.training.poll_interval_seconds)
        report_final(record, status)

    @app.command()
    def cancel(
        job: str = typer.Argument(None, help="Job id (default: latest)."),
        config_path: Path = ConfigOption,
    ) -> None:
        """Cancel a running job."""
        from codetune.backends import get_backend
        from codetune.cli.ui import console
        from codetune.jobs import JobStore

        config = load(config_path)
        store = JobStore(config.paths.runs_dir)
        record = store.find(job)
        if record.ended:
            console.print(f"job {record.id} already ended: {record.state}")
            return
        get_backend(record.backend, config).cancel(record)
        record.apply(get_backend(record.backend, config).status(record))
        store.save(record)
        console.print(f"cancel requested for {record.id}: now {record.state}")

    @app.command()
    def jobs(
        config_path: Path = ConfigOption,
        show: str = typer.Option(None, "--show", help="Print one job's full record as JSON."),
    ) -> None:
        """List tuning jobs recorded under runs/."""
        from rich.table import Table

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
        table = Table("job", "backend", "state", "created", "tuned model")
        for record in records:
            table.add_row(record.id, record.backend, record.state, record.created_at, record.tuned_model or "")
        console.print(table)

"""`codetune upload | train | monitor | resume | cancel | jobs`: parse, call :mod:`codetune.orchestration`, render."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from codetune.cli.options import (
    BackendOption,
    ConfigOption,
    EndpointOption,
    NodeRankOption,
    NodesOption,
    ProcessesOption,
    YesOption,
    launch_settings,
    load,
)

if TYPE_CHECKING:
    from codetune.backends.base import Backend
    from codetune.config import Config
    from codetune.job_state import JobStatus
    from codetune.jobs import JobRecord, JobStore
    from codetune.orchestration import Decision

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
JsonOption = typer.Option(False, "--json", help="Print every job record as JSON (a list, newest first).")
# The job's own layout is what `resume` launches again (its record's config), unless options change it.
LAUNCH_KEYS = ("processes", "nodes", "node_rank", "rdzv_endpoint")


def _setup(
    config_path: Path | None, backend_name: str | None, local: dict[str, object] | None = None
) -> tuple[Config, Backend, JobStore]:
    from codetune.backends import get_backend
    from codetune.jobs import JobStore

    config = load(config_path, training={"backend": backend_name}, local=local or {})
    return config, get_backend(config.training.backend, config), JobStore(config.paths.runs_dir)


def _show_estimate(backend_name: str, estimate: dict[str, Any]) -> None:
    from rich.table import Table

    from codetune.cli.ui import console

    table = Table(title=f"{backend_name} tuning job", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in estimate.items():
        table.add_row(key, str(value))
    console.print(table)


def _say_decision(decision: Decision) -> None:
    from codetune.cli.ui import console

    record = decision.record
    if decision.action == "started":
        console.print(f"started job [bold]{record.id}[/]")
    elif decision.action == "resumed":
        console.print(
            f"resuming job [bold]{record.id}[/] from its last checkpoint (use --force to start a new one)"
        )
    else:
        console.print(
            f"a {record.state.lower()} job already exists for this data and config: "
            f"[bold]{record.id}[/] (use --force to start another)"
        )


def follow(
    config: Config, backend: Backend, record: JobRecord, store: JobStore, interval: float | None = None
) -> JobStatus:
    """Monitor until the job ends, with a live line (one line per change without a terminal)."""
    from rich.live import Live
    from rich.markup import escape

    from codetune import orchestration
    from codetune.cli.ui import console, explain_interruption, is_interactive, render_status

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
                    live.update(render_status(orchestration.status_line(status, since=record.created_at)))

                return orchestration.follow(backend, record, store, config, interval=interval, on_status=show)

        def log(status: JobStatus) -> None:
            line = orchestration.status_line(status)
            if line != last_line[0]:  # plain logs: one line per change, not per poll
                elapsed = orchestration.status_line(status, since=record.created_at)
                console.print(render_status(elapsed), highlight=False, soft_wrap=True)
                last_line[0] = line

        return orchestration.follow(backend, record, store, config, interval=interval, on_status=log)
    except KeyboardInterrupt:
        explain_interruption(
            f"stopped monitoring; the job keeps running. Resume with: codetune monitor {record.id}"
            f"   (cancel it with: codetune cancel {record.id})"
        )
        raise typer.Exit(130) from None


def checkpoint_lines(record: JobRecord) -> list[str]:
    """A job's checkpoints, one line each, marking the one the service serves and the recorded best."""
    from rich.markup import escape

    from codetune.checkpoints import best_checkpoint, default_checkpoint

    if not record.checkpoints:
        return []
    served, best = default_checkpoint(record), best_checkpoint(record)
    lines = [f"checkpoints ({len(record.checkpoints)}):"]
    for point in record.checkpoints:
        marks = []
        if served is not None and point["checkpoint_id"] == served["checkpoint_id"]:
            marks.append("served by default")
        if best is not None and point["checkpoint_id"] == best["checkpoint_id"]:
            chosen = record.best_checkpoint or {}
            marks.append(
                f"[green]best by {escape(str(chosen.get('metric_label') or chosen.get('metric')))}[/]"
            )
        epoch = "?" if point["epoch"] is None else point["epoch"]
        step = "?" if point["step"] is None else point["step"]
        lines.append(
            f"  {escape(point['checkpoint_id'])}  epoch {epoch}  step {step}  {escape(point['endpoint'])}"
            + (f"  ({', '.join(marks)})" if marks else "")
        )
    return lines


def report_final(record: JobRecord, status: JobStatus) -> None:
    from rich.markup import escape

    from codetune.cli.ui import console
    from codetune.orchestration import outcome_error

    error = outcome_error(record, status)
    if error is None and record.extra.get("role") == "follower":
        launch = record.extra.get("launch") or {}
        console.print(
            f"[green]job {record.id} succeeded[/]: machine {launch.get('node_rank', '?')} trained with machine 0, "
            "which holds the tuned model (try it there with `codetune test`)",
            soft_wrap=True,
        )
        return
    if error is None:
        console.print(f"[green]job {record.id} succeeded[/]")
        if record.endpoint:
            console.print(f"tuned model endpoint: [bold]{escape(record.endpoint)}[/]", soft_wrap=True)
        if record.tuned_model and record.tuned_model != record.endpoint:
            console.print(f"tuned model: [bold]{escape(record.tuned_model)}[/]", soft_wrap=True)
        if record.extra.get("model_resource"):
            console.print(f"model resource: {escape(record.extra['model_resource'])}", soft_wrap=True)
        for line in checkpoint_lines(record):
            console.print(line, soft_wrap=True, highlight=False)
        if len(record.checkpoints) > 1:
            console.print(
                f"find the best checkpoint: codetune eval -m {record.id} --checkpoints", soft_wrap=True
            )
        console.print(
            f"try it: codetune test -m {escape(record.tuned_model or record.id)} -i --compare",
            soft_wrap=True,
        )
        return
    if status.state == "CANCELLED":  # what the user asked for: said plainly, not as an error
        console.print(f"[yellow]{escape(error.message)}[/]")
        raise typer.Exit(1)
    raise error


def register(app: typer.Typer) -> None:
    @app.command()
    def upload(
        config_path: Path = ConfigOption,
        yes: bool = YesOption,
        backend_name: str = BackendOption,
    ) -> None:
        """Validate the prepared data and upload it where the backend reads it (GCS for vertex)."""
        from codetune import orchestration
        from codetune.cli.ui import confirm, console, is_interactive, progress_bar
        from codetune.training import build_request

        config, backend, _ = _setup(config_path, backend_name)
        request = build_request(config)
        if not orchestration.ready_to_upload(backend, request):
            console.print(
                f"the {backend.name} backend reads {request.train_file} in place: nothing to upload"
            )
            return
        confirm(f"upload {request.train_examples} examples to {backend.name}?", yes=yes, what="the upload")
        with progress_bar(transient=True, enabled=is_interactive()) as progress:
            uris = backend.upload(request, progress=progress)
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
        processes: str = ProcessesOption,
        nodes: int = NodesOption,
        node_rank: int = NodeRankOption,
        rdzv_endpoint: str = EndpointOption,
    ) -> None:
        """Validate, estimate, confirm, start a tuning job and (by default) monitor it to the end."""
        from codetune import orchestration, training
        from codetune.cli.ui import confirm, console

        launch = launch_settings(processes, nodes, node_rank, rdzv_endpoint)
        config, backend, store = _setup(config_path, backend_name, launch)
        request = training.build_request(config, train_file=train_file, validation_file=validation_file)
        decision = orchestration.start_or_reuse(
            backend,
            request,
            config,
            store,
            force=force,
            show_estimate=lambda estimate: _show_estimate(backend.name, estimate),
            confirm=lambda: confirm("start this tuning job?", yes=yes, what="the tuning job"),
        )
        _say_decision(decision)
        record = decision.record
        if not monitor:
            console.print(f"follow it with: codetune monitor {record.id}")
            return
        report_final(record, follow(config, backend, record, store))

    @app.command()
    def monitor(
        job: str = JobArgument,
        config_path: Path = ConfigOption,
        yes: bool = YesOption,
        cancel: bool = CancelOption,
        interval: float = IntervalOption,
    ) -> None:
        """Follow a job until it ends (resumes from the job record in a fresh shell)."""
        from codetune import orchestration

        config = load(config_path)
        store, record, backend = orchestration.open_job(config, job)
        if cancel:
            orchestration.cancel(backend, record, store)
        report_final(record, follow(config, backend, record, store, interval))

    @app.command()
    def resume(
        job: str = JobArgument,
        config_path: Path = ConfigOption,
        monitor: bool = MonitorOption,
        processes: str = ProcessesOption,
        nodes: int = NodesOption,
        node_rank: int = NodeRankOption,
        rdzv_endpoint: str = EndpointOption,
    ) -> None:
        """Restart a killed job from its last checkpoint (local backend: step, LR schedule, data position),
        in the processes and machines it ran on unless the options say otherwise."""
        from codetune import orchestration
        from codetune.backends import get_backend
        from codetune.cli.ui import console

        store, record, _ = orchestration.open_job(load(config_path), job)
        recorded = {
            key: value for key, value in (record.config.get("local") or {}).items() if key in LAUNCH_KEYS
        }
        explicit = launch_settings(processes, nodes, node_rank, rdzv_endpoint)
        config = load(config_path, local={**recorded, **explicit})
        backend = get_backend(record.backend, config)
        orchestration.resume(backend, record, store)
        console.print(f"resumed job [bold]{record.id}[/]")
        if not monitor:
            console.print(f"follow it with: codetune monitor {record.id}")
            return
        report_final(record, follow(config, backend, record, store))

    @app.command()
    def cancel(
        job: str = JobArgument,
        config_path: Path = ConfigOption,
        yes: bool = YesOption,
    ) -> None:
        """Cancel a running job (it stops being billed; a cancelled job cannot be resumed)."""
        from codetune import orchestration
        from codetune.cli.ui import console

        store, record, backend = orchestration.open_job(load(config_path), job)
        if not orchestration.cancel(backend, record, store):
            console.print(f"job {record.id} already ended: {record.state}")
            return
        console.print(f"cancel requested for {record.id}: now {record.state}")
        if not record.ended:
            console.print(f"see it end with: codetune monitor {record.id}")

    @app.command()
    def jobs(
        config_path: Path = ConfigOption,
        yes: bool = YesOption,
        show: str = ShowOption,
        as_json: bool = JsonOption,
    ) -> None:
        """List tuning jobs recorded under runs/ (with their checkpoints)."""
        import dataclasses
        import json

        from rich.markup import escape

        from codetune.cli.ui import console
        from codetune.jobs import JobStore

        config = load(config_path)
        store = JobStore(config.paths.runs_dir)
        if show:
            console.print_json(json.dumps(dataclasses.asdict(store.find(show))))
            return
        records = store.all()
        if as_json:  # plain JSON on stdout, for scripts
            typer.echo(json.dumps([dataclasses.asdict(record) for record in records], indent=2))
            return
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
            for line in checkpoint_lines(record):
                console.print(f"    {line}", soft_wrap=True, highlight=False)

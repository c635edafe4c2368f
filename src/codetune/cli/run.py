"""`codetune run`: the main job end to end (prepare -> train -> evaluate) with a summary at the end."""

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
    SourceOption,
    YesOption,
    launch_settings,
    load,
)

if TYPE_CHECKING:
    from codetune.dataset.teaching import TeachingPlan
    from codetune.job_state import JobStatus
    from codetune.pipeline import RunSummary

OutputOption = typer.Option(None, "--output", "-o", help="Prepared data directory (default: data.output).")
NoEvalOption = typer.Option(False, "--no-eval", help="Stop after training.")
LimitOption = typer.Option(
    None, "--eval-limit", min=1, help="Validation examples to evaluate (default: testing.eval_limit)."
)
StepsOption = typer.Option(
    None, "--max-steps", min=1, help="Local training steps (default: local.max_steps)."
)


def _prepare_line(split: dict[str, Any]) -> str:
    """``{"train": 395, "validation": 36, "per_strategy": {...}}`` -> one readable line.

    >>> _prepare_line({"train": 9, "validation": 1, "per_strategy": {"train": {"code_review": 9}}})
    'train 9, validation 1 (review 9)'
    """
    if not split:
        return ""
    per = (split.get("per_strategy") or {}).get("train") or {}
    kinds = ", ".join(f"{name.removeprefix('code_')} {count}" for name, count in per.items())
    line = f"train {split.get('train', 0)}, validation {split.get('validation', 0)}"
    return f"{line} ({kinds})" if kinds else line


def _render_summary(summary: RunSummary) -> None:
    from rich.markup import escape
    from rich.table import Table

    from codetune.cli.eval import render_table
    from codetune.cli.ui import console, fmt_seconds

    table = Table("stage", "status", "time", "what", title="codetune run", title_justify="left")
    for stage in summary.stages:
        what = ""
        if stage.name == "prepare":
            what = _prepare_line(stage.detail.get("split") or {})
        elif stage.name == "train":
            metrics = stage.detail.get("metrics") or {}
            what = f"job {stage.detail.get('job')}"
            if isinstance(metrics.get("tokens_per_second"), int | float):
                what += f", {metrics['tokens_per_second']:.0f} tokens/s"
        elif stage.name == "evaluate" and stage.detail.get("reason"):
            what = str(stage.detail["reason"])
        elif stage.name == "evaluate":
            what = f"{stage.detail.get('samples', '?')} validation examples, tuned vs base"
        table.add_row(stage.name, stage.status, fmt_seconds(stage.seconds), escape(what))
    table.add_row("[bold]total[/]", "", fmt_seconds(summary.seconds), "")
    console.print(table)

    if summary.evaluation is not None:
        report = summary.evaluation.report
        console.print(render_table(report))
        drop = (report.get("training") or {}).get("validation_loss")
        if drop:
            console.print(
                f"validation loss {drop['first']:.3f} (step {drop['first_step']}) -> "
                f"{drop['last']:.3f} (step {drop['last_step']})"
            )
    job = summary.job
    lines = [f"data:   {summary.data_dir}/ (train.jsonl, validation.jsonl, manifest.json, report.md)"]
    if job is not None:
        lines.append(f"model:  {job.tuned_model or job.id}  (run directory {job.extra.get('run_dir', '?')})")
    if summary.evaluation is not None:
        lines.append(f"report: {summary.evaluation.html}")
    model = (job.tuned_model or job.id) if job is not None else "MODEL"
    lines += [
        "",
        "next:",
        f"  chat, side by side with the base model:  codetune test -m {model} -i --compare",
        f"  a larger evaluation:                     codetune eval -m {model} --limit 50",
        "  train longer (a GPU is used if found):   codetune run --max-steps 300",
        "  Gemini on Vertex AI:                     see the README, 'Training on Vertex AI'",
    ]
    console.print()
    for line in lines:
        console.print(escape(line), soft_wrap=True, highlight=False)


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        source: str = SourceOption,
        output: Path = OutputOption,
        config_path: Path = ConfigOption,
        backend_name: str = BackendOption,
        yes: bool = YesOption,
        max_steps: int = StepsOption,
        eval_limit: int = LimitOption,
        no_eval: bool = NoEvalOption,
        processes: str = ProcessesOption,
        nodes: int = NodesOption,
        node_rank: int = NodeRankOption,
        rdzv_endpoint: str = EndpointOption,
    ) -> None:
        """Prepare the data, train, and evaluate: the main job in one command.

        Each stage reuses its previous output when its inputs have not changed, so a rerun after an
        interruption continues where it stopped.
        """
        from rich.markup import escape

        from codetune.backends import get_backend
        from codetune.cli.ui import (
            confirm,
            console,
            explain_interruption,
            is_interactive,
            progress_bar,
            render_status,
            show_rows,
        )
        from codetune.orchestration import status_line
        from codetune.pipeline import RunHooks, run_all

        config = load(
            config_path,
            training={"backend": backend_name},
            data={"output": str(output) if output else None},
            local={"max_steps": max_steps, **launch_settings(processes, nodes, node_rank, rdzv_endpoint)},
        )
        if get_backend(config.training.backend, config).paid:
            confirm(
                f"run the whole job on {config.training.backend} (uploads data, starts a paid tuning job)?",
                yes=yes,
                what="the paid tuning job",
            )
        interactive = is_interactive()
        bar: list[Any] = []  # the progress callback, once the bar exists

        def stage_started(stage: str, what: str) -> None:
            console.print(f"[bold cyan]{stage}[/] {escape(what)}")

        last_line = [""]

        def job_status(status: JobStatus) -> None:
            if interactive and bar and status.total_steps:  # the bar itself shows the steps
                line = escape(status_line(status, text_bar=False))
                bar[0](f"train ({line})", status.step or 0, status.total_steps)
            elif not interactive and (line := status_line(status)) != last_line[0]:
                console.print(f"  {render_status(line)}", highlight=False, soft_wrap=True)
                last_line[0] = line

        try:
            with progress_bar(transient=True, enabled=interactive) as progress:
                bar.append(progress)

                def confirm_teacher(plan: TeachingPlan) -> None:
                    with progress.paused():
                        show_rows(
                            f"teacher: {config.strategy.teacher.model} writes missing Javadoc", plan.rows()
                        )
                        confirm(
                            "send these questions to the teacher?", yes=yes, what="the teacher's requests"
                        )

                hooks = RunHooks(
                    progress=progress,
                    stage_started=stage_started,
                    job_status=job_status,
                    confirm_teacher=confirm_teacher,
                )
                summary = run_all(
                    config, source=source, evaluate=not no_eval, eval_limit=eval_limit, hooks=hooks
                )
        except KeyboardInterrupt:
            explain_interruption(
                "interrupted: finished stages are kept and a training job keeps its checkpoints; "
                "rerun `codetune run` to continue"
            )
            raise typer.Exit(130) from None
        _render_summary(summary)

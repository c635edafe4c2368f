"""`codetune eval`: the tuned model vs its base on the validation set, with an HTML + JSON report;
or, with ``--answers``, any answers scored the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from codetune.cli.options import ConfigOption, load

ModelOption = typer.Option(
    None, "--model", "-m", help="Job id, run directory or Vertex endpoint (default: the latest job)."
)
LimitOption = typer.Option(
    None,
    "--limit",
    "-n",
    min=1,
    help="Validation examples to run (default: testing.eval_limit); with --answers, answers to score.",
)
JudgeOption = typer.Option(
    None, "--judge", help="Pairwise judge: base | gemini-2.5-pro | a job id (default: testing.judge_model)."
)
OutputOption = typer.Option(None, "--output", "-o", help="Report directory (default: reports/<job>).")
AnswersOption = typer.Option(
    None,
    "--answers",
    help='Score these answers instead of a model\'s: JSONL, {"line": N, "text": "..."} per line, N the '
    "1-based line in training.validation_file. No model is loaded.",
)
_VERDICT_STYLES = {"better": "green", "worse": "red"}


def render_table(report: dict[str, Any]) -> Any:
    """The metric table as a rich Table (each side, the difference with its 95% interval, the verdict
    coloured, n), with the headline (verdicts counted) and the report's warnings under it."""
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table

    from codetune.eval.report import (
        digits_of,
        fmt_diff,
        fmt_value,
        headline,
        row_label,
        strategy_name,
        verdict_text,
    )

    sides = report["sides"]
    table = Table(title=report["title"], title_justify="left")
    table.add_column("strategy")
    table.add_column("metric")
    for side in sides:
        table.add_column(side, justify="right")
    if len(sides) == 2:
        table.add_column("difference [95% CI]", justify="right")
        table.add_column("verdict")
    table.add_column("n", justify="right")
    for row in report["table"]:
        cells = [fmt_value(row.get(side), row["unit"], digits_of(row)) for side in sides]
        if len(sides) == 2:
            text, css = fmt_diff(row)
            style = _VERDICT_STYLES.get(css, "dim")
            cells += [f"[{style}]{escape(text)}[/]", f"[{style}]{escape(verdict_text(row))}[/]"]
        table.add_row(strategy_name(row["strategy"]), escape(row_label(row)), *cells, str(row["n"]))
    line = headline(report)
    notes = [escape(line)] if line else []
    notes += [f"[yellow]warning:[/] {escape(text)}" for text in report.get("warnings") or []]
    return Group(table, *notes) if notes else table


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_command(
        model: str = ModelOption,
        limit: int = LimitOption,
        judge: str = JudgeOption,
        output: Path = OutputOption,
        answers: Path = AnswersOption,
        config_path: Path = ConfigOption,
    ) -> None:
        """Score the tuned model and its base on the validation set; write report.html and report.json.

        Answers are saved as they come: rerun the same command to continue an interrupted eval. With
        --answers, score answers from a file (another model, a tool, a person) the same way instead.
        """
        from rich.markup import escape

        from codetune.cli.ui import console, explain_interruption, progress_bar
        from codetune.errors import ConfigError
        from codetune.eval.runner import run_eval

        config = load(config_path)
        if answers is not None and (model or judge):
            raise ConfigError(
                "--answers scores the answers in a file: --model and --judge do not apply",
                hint="drop --model/--judge, or drop --answers to evaluate a model",
            )
        try:
            with progress_bar(transient=True) as progress:
                if answers is not None:
                    from codetune.eval.answers import run_answers

                    outcome = run_answers(config, answers, limit=limit, output=output, progress=progress)
                else:
                    outcome = run_eval(
                        config, model=model, limit=limit, judge=judge, output=output, progress=progress
                    )
        except KeyboardInterrupt:
            explain_interruption(
                "interrupted: the answers so far are saved; rerun the same command to continue"
            )
            raise typer.Exit(130) from None
        report = outcome.report
        if outcome.resumed:
            console.print(f"[dim]continued an interrupted eval: {outcome.resumed} saved results reused[/]")
        console.print(render_table(report))
        if report.get("judge"):
            counts = report["judge"]["tally"]
            console.print(
                f"judge {escape(report['judge']['model'])} (both orders): tuned wins [green]{counts['win']}[/], "
                f"ties {counts['tie']}, loses [red]{counts['loss']}[/]"
            )
        drop = (report.get("training") or {}).get("validation_loss")
        if drop:
            console.print(
                f"validation loss {drop['first']:.3f} (step {drop['first_step']}) -> "
                f"{drop['last']:.3f} (step {drop['last_step']})"
            )
        console.print(f"report: [bold]{escape(str(outcome.html))}[/]  (data: {escape(str(outcome.json))})")

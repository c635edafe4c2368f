"""`codetune eval`: the tuned model vs its base on the validation set, with an HTML + JSON report;
or, with ``--answers``, any answers scored the same way."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from codetune.cli.options import ConfigOption, YesOption, load

if TYPE_CHECKING:
    from codetune.eval.checkpoints import CheckpointEval
    from codetune.spend import SpendEstimate

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
CheckpointsOption = typer.Option(
    False,
    "--checkpoints",
    help="Evaluate every intermediate checkpoint of the job against the base model, name the best one "
    "(testing.checkpoint_metric) and record it: codetune test then talks to it.",
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


def render_checkpoints(found: CheckpointEval) -> Any:
    """Metric by checkpoint: the base model's value, and each checkpoint's value with its difference from
    the base model and the 95% interval (coloured by the verdict); n; the best checkpoint's column marked."""
    from rich.markup import escape
    from rich.table import Table

    from codetune.eval.checkpoints import side_name
    from codetune.eval.report import digits_of, fmt_diff, fmt_value, row_label, strategy_name

    best_id = (found.best or {}).get("checkpoint_id")
    table = Table(
        title=f"checkpoints of {found.record.id} vs base: value, difference [95% CI]", title_justify="left"
    )
    table.add_column("strategy")
    table.add_column("metric")
    table.add_column("base", justify="right")
    sides = []
    for point in found.checkpoints:
        sides.append(side_name(point))
        header = escape(f"{point['checkpoint_id']} (epoch {point['epoch']})")
        table.add_column(
            f"[green]{header} best[/]" if point["checkpoint_id"] == best_id else header, justify="right"
        )
    table.add_column("n", justify="right")
    for row in found.rows:
        digits = digits_of(row)
        cells = [fmt_value(row.get("base"), row["unit"], digits)]
        for side in sides:
            cell = row["checkpoints"].get(side)
            if cell is None:
                cells.append("-")
                continue
            text, css = fmt_diff({**cell, "unit": row["unit"], "metric": row["metric"]})
            style = _VERDICT_STYLES.get(css, "dim")
            cells.append(f"{fmt_value(cell['value'], row['unit'], digits)} [{style}]{escape(text)}[/]")
        table.add_row(strategy_name(row["strategy"]), escape(row_label(row)), *cells, str(row["n"]))
    return table


def checkpoint_lines(found: CheckpointEval) -> list[str]:
    """Which checkpoint is best and by what rule, whether it stands out, which one the service serves,
    and what `codetune test` now uses (rich markup)."""
    from rich.markup import escape

    from codetune.checkpoints import describe
    from codetune.eval.report import digits_of, fmt_value

    by_id = {point["checkpoint_id"]: point for point in found.checkpoints}
    served = by_id.get(found.served_by_default or "")
    lines = []
    best = found.best
    if best is None:
        lines.append(f"[yellow]no best checkpoint named:[/] {escape(found.why_no_best or '')}")
    else:
        point = by_id[best["checkpoint_id"]]
        value = fmt_value(best["value"], best["unit"], digits_of(best))
        lines.append(
            f"[green]best: {escape(describe(point))}[/], {escape(best['metric_label'])} {value} "
            f"(n {best['n']}); rule: {escape(best['rule'])}"
        )
        close = best["indistinguishable_from"]
        if close:
            others = ", ".join(describe(by_id[c]) for c in close)
            lines.append(
                f"[yellow]it cannot be told apart from {escape(others)} on this sample[/] (the 95% interval "
                "of the difference includes 0): evaluate more examples (--limit) before relying on the choice"
            )
    if served is not None:
        lines.append(
            f"the service serves {escape(describe(served))} by default (the job's endpoint, "
            f"{escape(served['endpoint'])})"
        )
    if best is not None:
        lines.append(
            f"codetune test -m {escape(found.record.id)} now talks to checkpoint {escape(best['checkpoint_id'])} "
            "(--checkpoint ID for another)"
        )
    return lines


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_command(
        model: str = ModelOption,
        limit: int = LimitOption,
        judge: str = JudgeOption,
        output: Path = OutputOption,
        answers: Path = AnswersOption,
        checkpoints: bool = CheckpointsOption,
        config_path: Path = ConfigOption,
        yes: bool = YesOption,
    ) -> None:
        """Score the tuned model and its base on the validation set; write report.html and report.json.

        Answers are saved as they come: rerun the same command to continue an interrupted eval. With
        --answers, score answers from a file (another model, a tool, a person) the same way instead. On
        paid models (Vertex AI, a Gemini judge) the requests, tokens and cost are shown and confirmed first.
        """
        from rich.markup import escape

        from codetune.cli.ui import confirm, console, explain_interruption, progress_bar, show_rows
        from codetune.errors import ConfigError
        from codetune.eval.runner import run_eval

        config = load(config_path)
        if answers is not None and (model or judge or checkpoints):
            raise ConfigError(
                "--answers scores the answers in a file: --model and --judge do not apply, nor --checkpoints",
                hint="drop them, or drop --answers to evaluate a model",
            )
        try:
            with progress_bar(transient=True) as progress:

                def confirm_spend(estimate: SpendEstimate) -> None:
                    with progress.paused():
                        show_rows("evaluation on paid models", estimate.rows())
                        confirm("spend this on the evaluation?", yes=yes, what="the evaluation")

                if checkpoints:
                    from codetune.eval.checkpoints import run_checkpoint_eval

                    found = run_checkpoint_eval(
                        config,
                        model=model,
                        limit=limit,
                        judge=judge,
                        output=output,
                        confirm=confirm_spend,
                        progress=progress,
                    )
                elif answers is not None:
                    from codetune.eval.answers import run_answers

                    outcome = run_answers(config, answers, limit=limit, output=output, progress=progress)
                else:
                    outcome = run_eval(
                        config,
                        model=model,
                        limit=limit,
                        judge=judge,
                        output=output,
                        confirm=confirm_spend,
                        progress=progress,
                    )
        except KeyboardInterrupt:
            explain_interruption(
                "interrupted: the answers so far are saved; rerun the same command to continue"
            )
            raise typer.Exit(130) from None
        if checkpoints:
            if found.resumed:
                console.print(f"[dim]continued an interrupted eval: {found.resumed} saved results reused[/]")
            console.print(render_checkpoints(found))
            for line in checkpoint_lines(found):
                console.print(line, soft_wrap=True, highlight=False)
            console.print(f"report: [bold]{escape(str(found.html))}[/]  (data: {escape(str(found.json))})")
            return
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

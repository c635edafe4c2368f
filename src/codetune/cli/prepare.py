"""`codetune prepare` (Java sources -> train/validation JSONL) and `codetune validate FILE`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from codetune.cli.options import ConfigOption, SourceOption, YesOption, load

if TYPE_CHECKING:
    from codetune.dataset.teaching import TeachingPlan

OutputOption = typer.Option(None, "--output", "-o", help="Output directory (default: data.output).")
StrategyOption = typer.Option(
    None,
    "--strategy",
    help="code_explanation, code_generation, code_review; repeat or comma-separate (default: strategy.name).",
)
FormatOption = typer.Option(
    None, "--format", "-f", help="gemini | openai | prompt_completion (default: data.format)."
)
SeedOption = typer.Option(None, "--seed", help="Split and template seed (default: data.seed).")
GroupByOption = typer.Option(None, "--group-by", help="Split groups: type | file (default: data.group_by).")
IncludeTestsOption = typer.Option(
    None, "--include-tests/--exclude-tests", help="Use test sources too (default: data.include_tests)."
)
FractionOption = typer.Option(
    None,
    "--validation-fraction",
    help="Share of examples held out for validation, whole groups at a time (default: data.validation_fraction).",
)
WorkersOption = typer.Option(
    None, "--workers", "-j", help="Worker processes; 0 = one per core (default: data.workers)."
)
NoProgressOption = typer.Option(False, "--no-progress", help="No progress bar.")

TargetOption = typer.Option("vertex", "--target", "-t", help="vertex | openai")
SplitOption = typer.Option(None, "--split", help="train | validation (default: guessed from the file name).")
ErrorsOption = typer.Option(20, "--show", help="How many invalid rows to list.")


def _strategies(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def register(app: typer.Typer) -> None:
    @app.command("prepare")
    def prepare_command(
        source: str = SourceOption,
        output: Path = OutputOption,
        strategy: list[str] = StrategyOption,
        format: str = FormatOption,  # noqa: A002 - the option's name
        seed: int = SeedOption,
        group_by: str = GroupByOption,
        include_tests: bool = IncludeTestsOption,
        validation_fraction: float = FractionOption,
        workers: int = WorkersOption,
        no_progress: bool = NoProgressOption,
        config_path: Path = ConfigOption,
        yes: bool = YesOption,
    ) -> None:
        """Turn Java sources into train.jsonl / validation.jsonl (Gemini format by default), a manifest and a report.

        With strategy.teacher enabled, a stronger model writes the Javadoc of undocumented units: the cost is
        shown and confirmed first (--yes to skip the question; without a terminal nothing is sent without it).
        """
        from codetune.cli.ui import confirm, console, progress_bar, show_rows
        from codetune.dataset.pipeline import prepare
        from codetune.sources import resolve_source
        from codetune.strategies.teacher import make_teacher

        config = load(
            config_path,
            data={
                "source": source,
                "output": str(output) if output is not None else None,
                "format": format,
                "seed": seed,
                "group_by": group_by,
                "include_tests": include_tests,
                "validation_fraction": validation_fraction,
                "workers": workers,
            },
            strategy={"name": _strategies(strategy)},
        )
        teacher = make_teacher(config)
        with progress_bar(transient=True, enabled=not no_progress) as progress:

            def confirm_teacher(plan: TeachingPlan) -> None:
                with progress.paused():
                    show_rows(f"teacher: {config.strategy.teacher.model} writes missing Javadoc", plan.rows())
                    confirm("send these questions to the teacher?", yes=yes, what="the teacher's requests")

            root = resolve_source(config.data.source, progress=progress)
            result = prepare(
                config,
                root,
                config.data.output,
                progress=progress,
                source_label=config.data.source,
                teacher=teacher,
                confirm_teacher=confirm_teacher,
            )
        show_rows(f"prepared {config.data.source} -> {config.data.output}", result.table_rows())
        for warning in result.report.get("warnings", []):
            console.print(f"[yellow]warning:[/] {warning}", highlight=False)
        console.print(
            f"wrote {result.files['train']}, {result.files['validation']}, {result.files['manifest'].name}, "
            f"{result.files['report_markdown'].name}",
            highlight=False,
        )

    @app.command("validate")
    def validate_command(
        file: Path = typer.Argument(..., help="A JSONL tuning file."),  # noqa: B008
        target: str = TargetOption,
        split: str = SplitOption,
        show: int = ErrorsOption,
        config_path: Path = ConfigOption,
    ) -> None:
        """Check a JSONL file against Vertex AI (or OpenAI) rules, with row numbers, tokens and a cost estimate."""
        from codetune.cli.ui import console, fmt_money, show_rows
        from codetune.dataset.validate import estimate_cost, validate_file
        from codetune.errors import DataError

        config = load(config_path)
        split_name = split or ("validation" if "valid" in file.name.lower() else "train")
        result = validate_file(file, target, split=split_name)
        stats = result.token_stats()
        epochs = config.training.epochs
        price = config.training.prices_per_million_tokens.get(config.training.base_model)
        cost = estimate_cost(stats["total"], epochs, price)
        rows: list[tuple[str, Any]] = [
            ("file", f"{file} ({result.bytes:,} bytes, {split_name})"),
            ("target", result.target),
            ("rows", f"{result.rows} ({result.valid_rows} valid, {result.error_count} invalid)"),
            (
                "tokens per example",
                f"min {stats['min']} / p50 {stats['p50']} / p95 {stats['p95']} / max {stats['max']} (estimated)",
            ),
            (
                "tokens total",
                f"{stats['total']:,} x {epochs} epochs = {stats['total'] * epochs:,} (estimated)",
            ),
        ]
        if result.target == "vertex":
            rows.append((f"cost ({config.training.base_model})", f"{fmt_money(cost)} (estimated)"))
        show_rows("validate", [(label, str(value)) for label, value in rows])
        for warning in result.warnings:
            console.print(f"[yellow]warning:[/] {warning}", highlight=False)
        for error in result.errors[:show]:
            console.print(f"[red]{error}[/]", highlight=False, soft_wrap=True)
        if result.error_count:
            raise DataError(
                f"{file}: {result.error_count} problem(s) (first: {result.errors[0]})",
                hint="fix the rows listed above (row = Vertex's 0-based 'Row: N'), or rerun prepare",
            )
        console.print(f"[green]ok:[/] {result.rows} valid rows for {result.target}", highlight=False)

"""`codetune export`: a local job's tuned model as a merged Hugging Face directory, a GGUF file or an Ollama
model, each loaded back and checked against the model codetune evaluated."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from codetune.cli.options import ConfigOption, load

if TYPE_CHECKING:
    from codetune.backends.local.export import ExportResult

JobArgument = typer.Argument(None, help="Job id, unique prefix or run directory (default: the latest job).")
FormatOption = typer.Option("merged", "--format", "-f", help="merged | gguf | ollama.")
OutputOption = typer.Option(None, "--output", "-o", help="Output directory (default: exports/JOB/FORMAT).")
DtypeOption = typer.Option(
    None, "--dtype", help="merged: float32 | bfloat16 | float16 (default: the base model's precision)."
)
QuantOption = typer.Option("q8_0", "--quant", help="gguf and ollama: q8_0 | f16.")
ForceOption = typer.Option(False, "--force", help="Replace an existing output directory.")
CheckOption = typer.Option(
    5, "--check", help="Validation prompts to compare the export with the evaluated model on (0: skip)."
)


def _human(size: int) -> str:
    """``1536`` -> ``1.5 KB``.

    >>> _human(538_090_408), _human(2_400)
    ('513.2 MB', '2.3 KB')
    """
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{size} B"
        value /= 1024
    return f"{value:.1f} GB"


def render(result: ExportResult) -> None:
    from rich.markup import escape
    from rich.table import Table

    from codetune.cli.ui import console, fmt_seconds

    console.print(
        f"[bold]{result.format}[/] export of {result.job} ({result.precision}) in {escape(str(result.directory))}"
        f"  [dim]written in {fmt_seconds(result.write_seconds)}, checked in {fmt_seconds(result.check_seconds)}[/]"
    )
    for name, size in result.files.items():
        console.print(f"  {escape(name)}  [dim]{_human(size)}[/]")
    if result.checks:
        source = f" from {escape(result.prompts_from)}" if result.prompts_from else ""
        table = Table(
            title=f"answers compared with the evaluated adapter model (greedy{source})", title_justify="left"
        )
        for column in ("loaded by", "result", "required", "verdict"):
            table.add_column(column)
        for check in result.checks:
            required = "identical answers" if check.exact else "95% of tokens agree"
            verdict = "-" if check.skipped else ("[green]ok[/]" if check.passed else "[red]differs[/]")
            summary = check.summary() + (f" ({check.note})" if check.note else "")
            table.add_row(escape(check.loader), escape(summary), required, verdict)
        console.print(table)
    if result.run_command:
        console.print(f"\nrun it in Ollama:\n  {escape(result.run_command)}")


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_command(
        job: str = JobArgument,
        format: str = FormatOption,
        output: Path = OutputOption,
        dtype: str = DtypeOption,
        quant: str = QuantOption,
        force: bool = ForceOption,
        check: int = CheckOption,
        config_path: Path = ConfigOption,
    ) -> None:
        """Take the tuned model home: merged weights (vLLM, transformers), GGUF (llama.cpp) or Ollama.

        The export is then loaded back and answers validation prompts next to the evaluated model.
        """
        from codetune.backends.local.export import export_job
        from codetune.cli.ui import progress_bar
        from codetune.errors import CodetuneError

        # the loaders' own progress bars (tqdm reads this when it is imported): ours are shown instead
        os.environ.setdefault("TQDM_DISABLE", "1")
        config = load(config_path)
        with progress_bar(transient=True) as progress:
            result = export_job(
                config,
                job,
                format=format,
                output=output,
                dtype=dtype,
                quant=quant,
                force=force,
                check=check,
                on_progress=progress,
            )
        render(result)
        if not result.passed:
            failed = "; ".join(f"{c.loader}: {c.summary()}" for c in result.checks if not c.passed)
            raise CodetuneError(
                f"the export does not answer like the evaluated model ({failed}); it is kept in {result.directory}",
                hint="try --quant f16 or --format merged, and report it if those differ too",
            )

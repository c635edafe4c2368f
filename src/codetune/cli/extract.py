"""`codetune extract SRC -o units.jsonl`: every type of a Java source tree, one JSON object per line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from codetune.cli.options import ConfigOption, load

if TYPE_CHECKING:
    from codetune.extract import ExtractReport

# How many files with issues the terminal summary names; the report file lists them all.
SHOWN_ISSUES = 10


SourceArgument = typer.Argument(..., help="Root of the Java sources (e.g. src/main/java), or one .java file.")
OutputOption = typer.Option(
    Path("units.jsonl"), "--output", "-o", help="Where to write the units (JSON Lines)."
)
WorkersOption = typer.Option(
    None, "--workers", "-w", min=0, help="Worker processes; 0 = one per CPU core (default: data.workers)."
)
MaxFileBytesOption = typer.Option(
    None,
    "--max-file-bytes",
    min=1,
    help="Skip larger files, e.g. generated code (default: data.max_file_bytes).",
)


def register(app: typer.Typer) -> None:
    app.command(name="extract")(extract)


def extract(
    src: Path = SourceArgument,
    output: Path = OutputOption,
    workers: int | None = WorkersOption,
    max_file_bytes: int | None = MaxFileBytesOption,
    config_path: Path | None = ConfigOption,
) -> None:
    """Extract every type, method, constructor and field (with Javadoc) from Java sources."""
    import time

    from codetune.cli.ui import err_console, progress_bar
    from codetune.extract import ExtractOptions, extract_to_jsonl

    config = load(config_path)
    options = ExtractOptions(
        max_file_bytes=max_file_bytes if max_file_bytes is not None else config.data.max_file_bytes,
        workers=workers if workers is not None else config.data.workers,
    )
    started = time.monotonic()
    with progress_bar(transient=True, enabled=err_console.is_terminal) as progress:
        report = extract_to_jsonl(src, output, options, progress=progress)
    _summary(report, output, time.monotonic() - started)


def _summary(report: ExtractReport, output: Path, seconds: float) -> None:
    from rich.markup import escape
    from rich.table import Table

    from codetune.cli.ui import console, fmt_seconds
    from codetune.extract import report_path

    data = report.to_json()
    files, types = data["files"], data["types"]
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row(
        "files",
        f"{files['scanned']} scanned: {files['ok']} ok, {files['partial']} partial, {files['skipped']} skipped",
    )
    kinds = ", ".join(f"{count} {kind}" for kind, count in data["kinds"].items())
    table.add_row("types", f"{types['types']}" + (f" ({kinds})" if kinds else ""))
    table.add_row(
        "members",
        f"{types['methods']} methods, {types['constructors']} constructors, {types['fields']} fields",
    )
    if data["reasons"]:
        table.add_row("issues", ", ".join(f"{reason}: {count}" for reason, count in data["reasons"].items()))
    table.add_row("time", fmt_seconds(seconds))
    console.print(table)
    for row in data["issues"][:SHOWN_ISSUES]:
        where = row["file"] + (f":{row['line']}" if row["line"] else "")
        console.print(
            f"  [yellow]{row['status']}[/] {escape(where)}  {row['reason']}  {escape(row['detail'])}",
            highlight=False,
        )
    hidden = len(data["issues"]) - SHOWN_ISSUES + data["unlisted_issues"]
    if hidden > 0:
        console.print(f"  ... and {hidden} more", highlight=False)
    console.print(f"wrote {escape(str(output))} and {escape(str(report_path(output)))}", highlight=False)

"""Console helpers shared by the commands: consoles, confirmation, progress bars."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from codetune.display import fmt_money as fmt_money  # the commands' formatters, defined with the library's
from codetune.display import fmt_seconds as fmt_seconds
from codetune.errors import ConfirmationRequired

console = Console()
err_console = Console(stderr=True)

# (stage description, completed, total or None) -> None; library functions accept one of these.
ProgressCallback = Callable[[str, int, int | None], None]


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


_interruption_explained = False


def explain_interruption(message: str) -> None:
    """Say what Ctrl-C left behind and how to continue; the error boundary then adds nothing."""
    global _interruption_explained
    _interruption_explained = True
    err_console.print(f"\n{message}", highlight=False, soft_wrap=True)


def interruption_explained() -> bool:
    return _interruption_explained


def confirm(question: str, *, yes: bool, what: str = "this") -> None:
    """Ask on a terminal; without one, refuse unless ``--yes`` was given (nothing is spent by accident)."""
    if yes:
        return
    if not is_interactive():
        raise ConfirmationRequired(
            f"not starting {what} without confirmation (no terminal to ask on)",
            hint="rerun with --yes to confirm",
        )
    from rich.prompt import Confirm

    if not Confirm.ask(question, console=console, default=False):
        raise ConfirmationRequired(
            f"{what} cancelled; nothing was started", hint="rerun and answer y, or pass --yes"
        )


@contextlib.contextmanager
def progress_bar(*, transient: bool = False, enabled: bool = True) -> Iterator[ProgressCallback]:
    """A rich progress display driven by a :data:`ProgressCallback`; one bar per stage description."""
    if not enabled:
        yield lambda stage, done, total: None
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=transient,
    )
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int | None) -> None:
        # "train (loss 1.2)": the text before " (" names the bar, the rest is live detail on it.
        key = stage.split(" (", 1)[0]
        if key not in tasks:
            tasks[key] = progress.add_task(stage, total=total)
        progress.update(tasks[key], completed=done, total=total, description=stage)

    with progress:
        yield update


def render_status(line: str) -> str:
    r"""A job's status line (:func:`codetune.orchestration.status_line`) as rich markup, its state in bold.

    >>> print(render_status("RUNNING  step 1/2  [x]"))
    [bold]RUNNING[/]  step 1/2  \[x]
    """
    from rich.markup import escape

    state, gap, rest = line.partition("  ")
    return f"[bold]{escape(state)}[/]{gap}{escape(rest)}"

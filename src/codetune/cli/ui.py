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


class ProgressBars:
    """A :data:`ProgressCallback` drawing one rich bar per stage description, which can step aside while the
    user is asked something (:meth:`paused`)."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if self._progress is None:
            return
        # "train (loss 1.2)": the text before " (" names the bar, the rest is live detail on it.
        key = stage.split(" (", 1)[0]
        if key not in self._tasks:
            self._tasks[key] = self._progress.add_task(stage, total=total)
        self._progress.update(self._tasks[key], completed=done, total=total, description=stage)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The bars hidden while the block runs (a question, a table), drawn again after it."""
        if self._progress is None:
            yield
            return
        self._progress.stop()
        try:
            yield
        finally:
            self._progress.start()


@contextlib.contextmanager
def progress_bar(*, transient: bool = False, enabled: bool = True) -> Iterator[ProgressBars]:
    """Rich progress bars driven by a :data:`ProgressCallback`; one bar per stage description."""
    if not enabled:
        yield ProgressBars(None)
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
    with progress:
        yield ProgressBars(progress)


def show_rows(title: str, rows: list[tuple[str, str]]) -> None:
    """A two-column table (label, value) under a title: an estimate, a summary."""
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for label, value in rows:
        table.add_row(label, value)
    console.print(table)


def render_status(line: str) -> str:
    r"""A job's status line (:func:`codetune.orchestration.status_line`) as rich markup, its state in bold.

    >>> print(render_status("RUNNING  step 1/2  [x]"))
    [bold]RUNNING[/]  step 1/2  \[x]
    """
    from rich.markup import escape

    state, gap, rest = line.partition("  ")
    return f"[bold]{escape(state)}[/]{gap}{escape(rest)}"

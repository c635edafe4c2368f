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


def fmt_seconds(seconds: float | None) -> str:
    """``75.2`` -> ``1m15s``.

    >>> fmt_seconds(75.2), fmt_seconds(3725), fmt_seconds(None)
    ('1m15s', '1h02m', '-')
    """
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def fmt_money(amount: float | None) -> str:
    return "-" if amount is None else f"${amount:,.2f}"

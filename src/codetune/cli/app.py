"""The typer application and the one error boundary.

Each command group lives in its own module with a ``register(app)`` function; modules import the
library lazily inside their commands so ``codetune --help`` never imports torch or an SDK.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TextIO

import typer

from codetune import __version__

COMMAND_MODULES = (
    "codetune.cli.extract",
    "codetune.cli.prepare",
    "codetune.cli.train",
    "codetune.cli.test",
    "codetune.cli.eval",
    "codetune.cli.run",
    "codetune.cli.export",
)

app = typer.Typer(
    name="codetune",
    help="Turn a Java codebase into a fine-tuned code LLM, and show what the tuning bought.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"codetune {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks (also CODETUNE_DEBUG=1)."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    if debug:
        os.environ["CODETUNE_DEBUG"] = "1"


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def _show_our_warnings_as_one_line() -> None:
    """A ``CodetuneWarning`` prints as ``warning: ...``, without Python's file, line and source."""
    import warnings

    from codetune.errors import CodetuneWarning

    default = warnings.showwarning
    if getattr(default, "codetune", False):
        return  # already ours (main called again in one process)

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if _debug() or not issubclass(category, CodetuneWarning):
            default(message, category, filename, lineno, file, line)
        else:
            print(f"warning: {message}", file=sys.stderr)

    show.codetune = True  # type: ignore[attr-defined]
    warnings.showwarning = show


def _debug() -> bool:
    return os.environ.get("CODETUNE_DEBUG", "") not in ("", "0", "false") or "--debug" in sys.argv


def main(argv: list[str] | None = None, *, prog_name: str = "codetune") -> None:
    """Run the CLI. Every ``CodetuneError`` becomes one line plus its hint and a non-zero exit."""
    from codetune.errors import CodetuneError

    _show_our_warnings_as_one_line()
    try:
        result = app(args=argv, prog_name=prog_name, standalone_mode=False)
        if isinstance(result, int) and result:  # outside standalone mode, typer.Exit(n) comes back as n
            from codetune.cli.ui import interruption_explained

            if result == 130 and not interruption_explained():  # typer turns Ctrl-C into a silent 130
                print("interrupted", file=sys.stderr)
            sys.exit(result)
    except CodetuneError as exc:
        if _debug():
            raise
        from rich.markup import escape

        from codetune.cli.ui import err_console

        err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
        if exc.hint:
            err_console.print(f"[dim]hint:[/] {escape(exc.hint)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        if _debug():
            raise
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # click's usage errors arrive here in non-standalone mode
        # typer >= 0.24 raises its vendored copy (typer._click), not click.ClickException: match the shape.
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise

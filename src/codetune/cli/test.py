"""`codetune test` (and scripts/test_model.py): one prompt, or a conversation, with the tuned model;
``--compare`` puts the base model's answer beside it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from codetune.cli.options import ConfigOption, load

if TYPE_CHECKING:
    from codetune.backends.base import Reply
    from codetune.chat import ChatSession

HELP = """commands:
  /reset              start a new conversation (history cleared)
  /history            show the conversation so far
  /set KEY VALUE      change temperature, max_tokens or thinking_budget
  /help               this list
  /quit               leave (also /exit, Ctrl-D)
  \"\"\"                start and end a multi-line message"""
ModelOption = typer.Option(
    None, "--model", "-m", help="Job id, run directory or Vertex endpoint (default: the latest job)."
)
PromptOption = typer.Option(None, "--prompt", "-p", help="Ask one question and print the answer.")
InteractiveOption = typer.Option(False, "--interactive", "-i", help="A conversation, with history.")
CompareOption = typer.Option(
    False, "--compare", help="Also ask the base model (testing.compare_model on Vertex; locally, no adapter)."
)
TemperatureOption = typer.Option(None, "--temperature", "-t", help="Default: testing.temperature.")
MaxTokensOption = typer.Option(None, "--max-tokens", help="Default: testing.max_output_tokens.")
ThinkingOption = typer.Option(
    None, "--thinking-budget", help="Gemini 2.5 thinking tokens (0: off; Pro's minimum is 128)."
)
CheckpointOption = typer.Option(
    None,
    "--checkpoint",
    help="A checkpoint id of the job (codetune jobs lists them; default: the best one codetune eval "
    "--checkpoints found, else the one the service serves).",
)
_SETTABLE = {"temperature": float, "max_tokens": int, "thinking_budget": int}


def reply_stats(reply: Reply) -> str:
    """``1.24s · 38 in / 120 out tokens`` (token counts when the model reports them).

    >>> from codetune.backends.base import Reply
    >>> reply_stats(Reply("x", 1.237, prompt_tokens=38, output_tokens=120, finish_reason="MAX_TOKENS"))
    '1.24s · 38 in / 120 out tokens · cut at max tokens'
    """
    parts = [f"{reply.latency_seconds:.2f}s"]
    if reply.prompt_tokens is not None or reply.output_tokens is not None:
        parts.append(
            f"{reply.prompt_tokens if reply.prompt_tokens is not None else '?'} in / "
            f"{reply.output_tokens if reply.output_tokens is not None else '?'} out tokens"
        )
    if reply.finish_reason in ("MAX_TOKENS", "length"):
        parts.append("cut at max tokens")
    return " · ".join(parts)


def render_replies(session: ChatSession, replies: dict[str, Reply]) -> Any:
    """One panel per model, side by side, titled with the model and its latency and token counts."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(expand=True, padding=(0, 1))
    for _ in replies:
        grid.add_column(ratio=1)
    panels = []
    for label, reply in replies.items():
        name = session.models[label].name
        panels.append(
            Panel(
                Text(reply.text or "(empty answer)"),
                title=f"[bold]{label}[/] [dim]{Text(name).markup}[/]",
                subtitle=f"[dim]{reply_stats(reply)}[/]",
                border_style="green" if label == "tuned" else "blue",
            )
        )
    grid.add_row(*panels)
    return grid


def _show(session: ChatSession, replies: dict[str, Reply], *, plain: bool) -> None:
    from rich.text import Text

    from codetune.cli.ui import console, err_console

    if plain:  # one model, one prompt: the answer alone on stdout, so it can be piped
        (reply,) = replies.values()
        console.print(Text(reply.text), soft_wrap=True)
        err_console.print(f"[dim]{reply_stats(reply)}[/]")
    else:
        console.print(render_replies(session, replies))


def _read_message(prompt: str) -> str | None:
    """One message from the user (None at end of input); triple quotes enclose several lines."""
    from codetune.cli.ui import console

    try:
        line = console.input(prompt)
    except EOFError:
        return None
    if line.strip() != '"""':
        return line
    lines = []
    while True:
        try:
            more = console.input("")
        except EOFError:
            break
        if more.strip() == '"""':
            break
        lines.append(more)
    return "\n".join(lines)


def _command(session: ChatSession, line: str) -> bool:
    """Run a /command; False to leave."""
    from rich.markup import escape
    from rich.text import Text

    from codetune.cli.ui import console

    name, _, rest = line[1:].partition(" ")
    if name in ("quit", "exit", "q"):
        return False
    if name == "reset":
        session.reset()
        console.print("[dim]conversation reset[/]")
    elif name == "history":
        if not session.turns:
            console.print("[dim]no turns yet[/]")
        for number, turn in enumerate(session.turns, start=1):
            console.print(f"[bold]you ({number}):[/]", Text(turn.prompt))
            for label, reply in turn.replies.items():
                console.print(f"[bold]{label}:[/]", Text(reply.text))
    elif name == "set":
        key, _, value = rest.strip().partition(" ")
        if key not in _SETTABLE or not value.strip():
            console.print(f"[red]usage:[/] /set {{{'|'.join(_SETTABLE)}}} VALUE")
            return True
        try:
            parsed = _SETTABLE[key](value.strip())
        except ValueError:
            console.print(f"[red]not a number:[/] {escape(value)}")
            return True
        session.with_options(**{"max_output_tokens" if key == "max_tokens" else key: parsed})
        console.print(f"[dim]{key} = {parsed}[/]")
    elif name == "help":
        console.print(HELP, markup=False, highlight=False)
    else:
        console.print(f"[red]unknown command /{escape(name)}[/]; /help lists them")
    return True


def _interactive(session: ChatSession, *, label: str) -> None:
    from rich.markup import escape

    from codetune.cli.ui import console, err_console, is_interactive
    from codetune.errors import CodetuneError

    sides = " vs ".join(f"[bold]{side}[/] {escape(model.name)}" for side, model in session.models.items())
    job = f" (job {escape(label)})" if label not in (m.name for m in session.models.values()) else ""
    console.print(f"{sides}{job}. /help for commands, /quit to leave.")
    while True:
        try:
            line = _read_message("[bold cyan]you>[/] ")
        except KeyboardInterrupt:
            console.print()
            return
        if line is None:
            return
        if not line.strip():
            continue
        if line.startswith("/") and not _command(session, line.strip()):
            return
        if line.startswith("/"):
            continue
        try:
            if is_interactive():
                with console.status("[dim]thinking...[/]"):
                    replies = session.ask(line)
            else:
                replies = session.ask(line)
        except KeyboardInterrupt:
            console.print("[dim](answer interrupted; this turn is not kept)[/]")
            continue
        except CodetuneError as exc:  # one bad turn does not end the conversation
            err_console.print(f"[bold red]error:[/] {escape(exc.message)}")
            if exc.hint:
                err_console.print(f"[dim]hint:[/] {escape(exc.hint)}")
            continue
        _show(session, replies, plain=False)


def register(app: typer.Typer) -> None:
    @app.command("test")
    def test_command(
        model: str = ModelOption,
        prompt: str = PromptOption,
        interactive: bool = InteractiveOption,
        compare: bool = CompareOption,
        temperature: float = TemperatureOption,
        max_tokens: int = MaxTokensOption,
        thinking_budget: int = ThinkingOption,
        checkpoint: str = CheckpointOption,
        config_path: Path = ConfigOption,
    ) -> None:
        """Talk to the tuned model: -p for one answer, -i for a conversation, --compare for tuned vs base.

        Without -p or -i, the prompt is read from standard input when it is not a terminal.
        """
        from rich.markup import escape

        from codetune.chat import ChatSession, generation_options, open_models, resolve_target
        from codetune.checkpoints import checkpoint_target
        from codetune.cli.ui import console, err_console
        from codetune.errors import InputError

        config = load(config_path)
        options = generation_options(
            config, temperature=temperature, max_output_tokens=max_tokens, thinking_budget=thinking_budget
        )
        if prompt is None and not interactive:
            if sys.stdin.isatty():
                interactive = True
            else:
                prompt = sys.stdin.read().strip()
                if not prompt.strip():
                    raise InputError("no prompt", hint='pass -p "your question", or -i for a conversation')
        target, which = checkpoint_target(resolve_target(config, model), checkpoint)
        if which is not None:
            err_console.print(f"[dim]{escape(which)}[/]", soft_wrap=True)
        with err_console.status(f"[dim]loading {escape(target.label)}...[/]"):
            models = open_models(config, target, compare=compare)
        session = ChatSession(models, target.system, options)
        if prompt is not None:
            _show(session, session.ask(prompt), plain=not compare)
        if interactive:
            if prompt is not None:
                console.print("[dim]continuing the conversation[/]")
            _interactive(session, label=target.label)

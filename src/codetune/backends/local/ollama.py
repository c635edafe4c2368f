"""The Ollama side of an export: the training chat template as an Ollama ``TEMPLATE``, and the Modelfile.

A Hugging Face chat template is Jinja; Ollama's is a Go template. Rather than translate Jinja, the
template's *output* is read: probe conversations with marker contents are rendered by the tokenizer, and
the text around each marker gives what the template writes before and after a system, user and assistant
message, the generation prompt, and what it writes when there is no system message (SmolLM2 adds a
default one). That :class:`TurnFormat` becomes a Go template of ``range .Messages``; it is accepted only
when the Go template, rendered by :func:`render_go_template`, gives exactly the tokenizer's text on a set
of real conversations (one, two and three turns, with and without a system message). A template whose
output depends on more than the role (tools, turn numbers, stripped content) is refused, not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from codetune.errors import InputError

Render = Callable[[list[dict[str, str]], bool], str]  # (messages, add_generation_prompt) -> text
ROLES = ("system", "user", "assistant")
_MARKERS = {
    "system": "\u27e6SYSTEM\u27e7",
    "user": "\u27e6USER-{n}\u27e7",
    "assistant": "\u27e6ASSISTANT-{n}\u27e7",
}
HINT = "use --format gguf (the chat template is in the GGUF's metadata, which llama.cpp applies) or merged"


def _error(reason: str) -> InputError:
    return InputError(f"cannot write an Ollama TEMPLATE for this model: {reason}", hint=HINT)


@dataclass(frozen=True)
class TurnFormat:
    """What a chat template writes around each message, by role."""

    prefixes: dict[str, str]
    suffixes: dict[str, str]
    generation_prompt: str
    default_system: str  # written first when the conversation has no system message (may be "")

    def render(self, messages: Sequence[dict[str, str]], generation_prompt: bool) -> str:
        """The conversation as the template writes it.

        >>> chatml = TurnFormat({r: f"<s>{r}\\n" for r in ROLES}, {r: "</s>\\n" for r in ROLES}, "<s>assistant\\n", "")
        >>> chatml.render([{"role": "user", "content": "Hi"}], True)
        '<s>user\\nHi</s>\\n<s>assistant\\n'
        """
        parts = [] if messages and messages[0]["role"] == "system" else [self.default_system]
        for message in messages:
            role = message["role"]
            parts += [self.prefixes[role], message["content"], self.suffixes[role]]
        if generation_prompt:
            parts.append(self.generation_prompt)
        return "".join(parts)


def _marker(role: str, n: int = 1) -> dict[str, str]:
    return {"role": role, "content": _MARKERS[role].format(n=n)}


def _after(text: str, head: str, what: str) -> str:
    if not text.startswith(head):
        raise _error(f"{what} changes what comes before it")
    return text[len(head) :]


def turn_format(render: Render) -> TurnFormat:
    """Recover a template's :class:`TurnFormat` from its output on marker conversations."""
    system, user1, answer, user2 = (
        _marker("system"),
        _marker("user"),
        _marker("assistant"),
        _marker("user", 2),
    )
    full = render([system, user1, answer, user2], True)
    pieces: list[str] = []
    rest = full
    for message in (system, user1, answer, user2):
        before, found, rest = rest.partition(message["content"])
        if not found:
            raise _error(f"it does not write a {message['role']} message's content as it is")
        pieces.append(before)
    start, between_system_user, between_user_answer, between_answer_user = pieces
    head = start + system["content"] + between_system_user + user1["content"]
    user_suffix = _after(render([system, user1], False), head, "ending after a user message")
    head += between_user_answer + answer["content"]
    answer_suffix = _after(render([system, user1, answer], False), head, "ending after an answer")
    generation_prompt = _after(rest, user_suffix, "the generation prompt")
    user_prefix = _after(between_answer_user, answer_suffix, "a second user message")
    answer_prefix = _after(between_user_answer, user_suffix, "an answer")
    if not between_system_user.endswith(user_prefix):
        raise _error("the first user message is written differently from later ones")
    system_suffix = between_system_user[: len(between_system_user) - len(user_prefix)]
    alone = render([user1], False)
    without_system = alone[: len(alone) - len(user1["content"] + user_suffix)]
    if not alone.endswith(user1["content"] + user_suffix) or not without_system.endswith(user_prefix):
        raise _error("a conversation without a system message is written differently")
    return TurnFormat(
        prefixes={"system": start, "user": user_prefix, "assistant": answer_prefix},
        suffixes={"system": system_suffix, "user": user_suffix, "assistant": answer_suffix},
        generation_prompt=generation_prompt,
        default_system=without_system[: len(without_system) - len(user_prefix)],
    )


def go_template(turns: TurnFormat) -> str:
    """The Ollama TEMPLATE that writes what ``turns`` writes (Ollama puts the SYSTEM in ``.Messages``).

    >>> chatml = TurnFormat({r: f"<s>{r}\\n" for r in ROLES}, {r: "</s>\\n" for r in ROLES}, "<s>assistant\\n", "")
    >>> go_template(chatml).startswith('{{ range .Messages }}{{ if eq .Role "system" }}<s>system\\n{{ .Content }}')
    True
    """
    literals = [
        *turns.prefixes.values(),
        *turns.suffixes.values(),
        turns.generation_prompt,
        turns.default_system,
    ]
    if any("{{" in text or '"""' in text for text in literals):
        raise _error('its text contains "{{" or """, which a Modelfile TEMPLATE cannot hold verbatim')
    parts = [f"{{{{ if not .System }}}}{turns.default_system}{{{{ end }}}}"] if turns.default_system else []
    parts.append("{{ range .Messages }}")
    for index, role in enumerate(ROLES):
        keyword = "if" if index == 0 else "else if"
        parts.append(
            f'{{{{ {keyword} eq .Role "{role}" }}}}{turns.prefixes[role]}{{{{ .Content }}}}{turns.suffixes[role]}'
        )
    parts.append("{{ end }}{{ end }}")
    parts.append(turns.generation_prompt)
    return "".join(parts)


# -- a renderer for the Go template subset go_template() writes, to check it ------------------------------

_ACTION = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.DOTALL)


def render_go_template(template: str, system: str, messages: Sequence[dict[str, str]]) -> str:
    """Render the subset of Go's text/template that :func:`go_template` emits, as Ollama would.

    Supports ``range .Messages``, ``if``/``else if``/``else``/``end`` on ``not .System`` and
    ``eq .Role "name"``, and ``.Content``, ``.Role``, ``.System``. Anything else is an error.

    >>> render_go_template('{{ if not .System }}none{{ end }}{{ range .Messages }}[{{ .Role }}]{{ end }}', "",
    ...                    [{"role": "user", "content": "x"}])
    'none[user]'
    """
    tokens: list[tuple[str, str]] = []
    position = 0
    for match in _ACTION.finditer(template):
        tokens.append(("text", template[position : match.start()]))
        tokens.append(("action", match.group(1)))
        position = match.end()
    tokens.append(("text", template[position:]))
    output: list[str] = []
    end = _run(tokens, 0, {"System": system, "Messages": list(messages)}, None, output, stop=())
    if end != len(tokens):
        raise ValueError(f"unexpected {{{{ {tokens[end][1]} }}}}")
    return "".join(output)


def _test(condition: str, root: dict[str, object], item: dict[str, str] | None) -> bool:
    if condition == "not .System":
        return not root["System"]
    match = re.fullmatch(r'eq \.Role "(\w+)"', condition)
    if match and item is not None:
        return item["role"] == match.group(1)
    raise ValueError(f"unsupported condition: {condition}")


def _value(name: str, root: dict[str, object], item: dict[str, str] | None) -> str:
    if name == ".System":
        return str(root["System"])
    if item is not None and name in (".Content", ".Role"):
        return item[name[1:].lower()]
    raise ValueError(f"unsupported action: {name}")


def _run(
    tokens: list[tuple[str, str]],
    index: int,
    root: dict[str, object],
    item: dict[str, str] | None,
    output: list[str] | None,
    stop: tuple[str, ...],
) -> int:
    """Execute tokens from ``index`` (writing to ``output``; None: skip) until an action in ``stop``."""
    while index < len(tokens):
        kind, body = tokens[index]
        if kind == "text":
            if output is not None:
                output.append(body)
            index += 1
        elif body.split(" ", 1)[0] in stop:
            return index
        elif body.startswith("if "):
            index = _run_if(tokens, index, body[3:], root, item, output)
        elif body == "range .Messages":
            start = index + 1
            messages = root["Messages"] if output is not None else []
            index = _run(tokens, start, root, None, None, stop=("end",))  # find the matching end
            for message in messages:  # type: ignore[attr-defined]
                _run(tokens, start, root, message, output, stop=("end",))
            index += 1
        else:
            if output is not None:
                output.append(_value(body, root, item))
            index += 1
    return index


def _run_if(
    tokens: list[tuple[str, str]],
    index: int,
    condition: str,
    root: dict[str, object],
    item: dict[str, str] | None,
    output: list[str] | None,
) -> int:
    taken = False
    while True:
        chosen = output is not None and not taken and (condition == "" or _test(condition, root, item))
        taken = taken or chosen
        index = _run(tokens, index + 1, root, item, output if chosen else None, stop=("else", "end"))
        body = tokens[index][1]
        if body == "end":
            return index + 1
        condition = body[len("else if ") :] if body.startswith("else if ") else ""


def checked_template(render: Render, samples: Sequence[Sequence[dict[str, str]]]) -> tuple[TurnFormat, str]:
    """The Go TEMPLATE for the chat template ``render``, checked against it on ``samples``."""
    turns = turn_format(render)
    template = go_template(turns)
    for messages in samples:
        expected = render(list(messages), True)
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        if (
            turns.render(messages, True) != expected
            or render_go_template(template, system, messages) != expected
        ):
            raise _error("its output depends on more than each message's role and content")
    return turns, template


def sample_conversations(system: str | None) -> list[list[dict[str, str]]]:
    """Conversations to check a TEMPLATE on: one to three turns, with and without a system message."""
    turns = [
        ("Explain this method:\npublic int size() { return n; }", "Returns the number of elements."),
        ("And `isEmpty()`?", "It tells whether there are none:\n```java\nreturn n == 0;\n```"),
        ("Thanks. {{ braces }}, <tags> and a last newline stay as they are.\n", "Yes."),
    ]
    conversations = []
    for system_message in ([system] if system else []) + [None]:
        for count in (1, 2, 3):
            messages = [{"role": "system", "content": system_message}] if system_message else []
            for index, (question, answer) in enumerate(turns[:count]):
                messages.append({"role": "user", "content": question})
                if index < count - 1:
                    messages.append({"role": "assistant", "content": answer})
            conversations.append(messages)
    return conversations


def _quoted(text: str, what: str) -> str:
    if '"""' in text:
        raise InputError(f'the {what} contains """, which a Modelfile cannot quote', hint=HINT)
    return f'"""{text}"""'


def modelfile(
    *, gguf_name: str, template: str, system: str | None, stop: str, temperature: float, job: str
) -> str:
    """The Modelfile text (``ollama create NAME -f Modelfile`` in its directory).

    >>> print(modelfile(gguf_name="m.gguf", template="T", system="S", stop="<|im_end|>", temperature=0.2, job="j"))
    # codetune export of job j: ollama create NAME -f Modelfile
    FROM ./m.gguf
    TEMPLATE \"\"\"T\"\"\"
    SYSTEM \"\"\"S\"\"\"
    PARAMETER stop "<|im_end|>"
    PARAMETER temperature 0.2
    <BLANKLINE>
    """
    lines = [
        f"# codetune export of job {job}: ollama create NAME -f Modelfile",
        f"FROM ./{gguf_name}",
        f"TEMPLATE {_quoted(template, 'chat template')}",
    ]
    if system:
        lines.append(f"SYSTEM {_quoted(system, 'system instruction')}")
    lines += [f'PARAMETER stop "{stop}"', f"PARAMETER temperature {temperature:g}"]
    return "\n".join(lines) + "\n"

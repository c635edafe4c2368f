"""OpenAI chat fine-tuning rows (``messages`` with system/user/assistant), also what TRL's SFT reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codetune.records import Example

_ROLES = {"user": "user", "model": "assistant"}


def messages_of(example: Example) -> list[dict[str, str]]:
    """The example as chat messages, the system instruction first when there is one.

    >>> from codetune.records import Message
    >>> ex = Example("s", "u", "f", "g", (Message("user", "Q"), Message("model", "A")), system="S")
    >>> [m["role"] for m in messages_of(ex)]
    ['system', 'user', 'assistant']
    """
    messages = [{"role": "system", "content": example.system}] if example.system else []
    messages += [{"role": _ROLES[m.role], "content": m.text} for m in example.messages]
    return messages


def to_row(example: Example) -> dict[str, Any]:
    """``{"messages": [...]}`` for ``example``.

    >>> from codetune.records import Message
    >>> ex = Example("s", "u", "f", "g", (Message("user", "Q"), Message("model", "A")))
    >>> to_row(ex)
    {'messages': [{'role': 'user', 'content': 'Q'}, {'role': 'assistant', 'content': 'A'}]}
    """
    return {"messages": messages_of(example)}


@dataclass(frozen=True)
class OpenAIFormat:
    name: str = "openai"
    validation_target: str = "openai"

    def to_row(self, example: Example) -> dict[str, Any]:
        return to_row(example)


FORMAT = OpenAIFormat()

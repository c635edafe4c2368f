"""Vertex AI Gemini tuning rows: exactly ``systemInstruction`` (when there is one) and ``contents``.

The shape and its rules are in docs/vertex.md (The data Vertex AI accepts). :func:`read_row` turns a row
back into messages for the local backend, which applies its own model's chat template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codetune.errors import DataError
from codetune.records import Example, Message


def to_row(example: Example) -> dict[str, Any]:
    """One Gemini row for ``example``; nothing but ``systemInstruction`` and ``contents`` on the line.

    >>> ex = Example("code_explanation", "p.A#f()", "p/A.java", "p.A",
    ...              (Message("user", "Explain f"), Message("model", "It returns 1.")), system="Be brief.")
    >>> to_row(ex)["contents"][1]
    {'role': 'model', 'parts': [{'text': 'It returns 1.'}]}
    >>> list(to_row(ex))
    ['systemInstruction', 'contents']
    """
    row: dict[str, Any] = {}
    if example.system:
        row["systemInstruction"] = {"role": "system", "parts": [{"text": example.system}]}
    row["contents"] = [{"role": m.role, "parts": [{"text": m.text}]} for m in example.messages]
    return row


def read_row(row: dict[str, Any]) -> tuple[str | None, list[Message]]:
    """The system instruction and messages of a Gemini row (text parts joined).

    >>> read_row({"systemInstruction": {"parts": [{"text": "S"}]},
    ...           "contents": [{"role": "user", "parts": [{"text": "Q"}]},
    ...                        {"role": "model", "parts": [{"text": "A"}]}]})
    ('S', [Message(role='user', text='Q'), Message(role='model', text='A')])
    """
    try:
        system_parts = (row.get("systemInstruction") or {}).get("parts") or []
        system = "".join(part["text"] for part in system_parts) or None
        messages = []
        for turn in row["contents"]:
            role = turn["role"]
            if role not in ("user", "model"):
                raise DataError(f"unexpected role {role!r} in a Gemini row (expected user or model)")
            messages.append(Message(role=role, text="".join(part["text"] for part in turn["parts"])))
    except (KeyError, TypeError, AttributeError) as exc:
        raise DataError(
            f"not a Gemini tuning row ({type(exc).__name__}: {exc})",
            hint="check the file with: codetune validate FILE --target vertex",
        ) from exc
    return system, messages


@dataclass(frozen=True)
class GeminiFormat:
    name: str = "gemini"
    validation_target: str = "vertex"

    def to_row(self, example: Example) -> dict[str, Any]:
        return to_row(example)


FORMAT = GeminiFormat()

"""The row schemas of the tuning formats, as pure checks: one JSON row in, its problems and texts out.

- Vertex AI Gemini (its documented tuning format): ``{"systemInstruction"?, "contents", "tools"?}``, roles
  ``user``/``model``, first turn user, alternating, last turn model, each part exactly one non-empty ``text``.
- OpenAI chat: ``{"messages": [...]}``, an optional leading ``system`` message, then ``user``/``assistant``
  alternating and ending with ``assistant``; every ``content`` a non-empty string.
- TRL prompt/completion: ``{"prompt": [...], "completion": [one assistant message]}``.

:mod:`codetune.dataset.validate` applies them to files, with row numbers and limits.
"""

from __future__ import annotations

import json
from typing import Any

VERTEX_TOP_LEVEL_KEYS = frozenset({"systemInstruction", "contents", "tools"})
OPENAI_TOP_LEVEL_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
OPENAI_MESSAGE_KEYS = frozenset({"role", "content", "name", "weight"})


def _texts_of_parts(parts: Any, where: str, problems: list[str]) -> list[str]:
    if not isinstance(parts, list) or not parts:
        problems.append(f"{where}.parts must be a non-empty list")
        return []
    texts = []
    for index, part in enumerate(parts):
        here = f"{where}.parts[{index}]"
        if not isinstance(part, dict):
            problems.append(f"{here} must be an object with one 'text'")
            continue
        if set(part) != {"text"}:
            extra = sorted(set(part) - {"text"})
            problems.append(
                f"{here} must hold exactly one 'text'" + (f" (found {', '.join(extra)})" if extra else "")
            )
            continue
        text = part["text"]
        if not isinstance(text, str):
            problems.append(f"{here}.text must be a string")
        elif not text.strip():
            problems.append(f"{here}.text is empty")
        else:
            texts.append(text)
    return texts


def check_vertex_row(row: Any) -> tuple[list[str], list[str]]:
    """Problems with one Gemini-format row, and its texts (for the token estimate).

    >>> check_vertex_row({"contents": [{"role": "user", "parts": [{"text": "Hi"}]},
    ...                                {"role": "model", "parts": [{"text": "Hello"}]}]})
    ([], ['Hi', 'Hello'])
    >>> check_vertex_row({"input_text": "a", "output_text": "b"})[0]
    ['Missing required `contents` field (legacy input_text/output_text rows are not accepted)']
    """
    if not isinstance(row, dict):
        return [f"row must be a JSON object, not {type(row).__name__}"], []
    problems: list[str] = []
    texts: list[str] = []
    unknown = sorted(set(row) - VERTEX_TOP_LEVEL_KEYS)
    if "contents" not in row:
        legacy = {"input_text", "output_text"} & set(row)
        note = " (legacy input_text/output_text rows are not accepted)" if legacy else ""
        problems.append(f"Missing required `contents` field{note}")
        unknown = [key for key in unknown if key not in legacy]
    if unknown:
        problems.append(
            f"unknown top-level key(s): {', '.join(unknown)} (allowed: systemInstruction, contents, tools)"
        )
    if "systemInstruction" in row:
        system = row["systemInstruction"]
        if not isinstance(system, dict):
            problems.append("systemInstruction must be an object with 'parts'")
        else:
            extra = sorted(set(system) - {"role", "parts"})
            if extra:
                problems.append(f"systemInstruction has unknown key(s): {', '.join(extra)}")
            texts += _texts_of_parts(system.get("parts"), "systemInstruction", problems)
    if "tools" in row and not isinstance(row["tools"], list):
        problems.append("tools must be a list")
    if "contents" in row:
        contents = row["contents"]
        if not isinstance(contents, list) or not contents:
            problems.append("contents must be a non-empty list of turns")
            return problems, texts
        previous: str | None = None
        for index, turn in enumerate(contents):
            where = f"contents[{index}]"
            if not isinstance(turn, dict):
                problems.append(f"{where} must be an object with 'role' and 'parts'")
                previous = None
                continue
            extra = sorted(set(turn) - {"role", "parts"})
            if extra:
                problems.append(f"{where} has unknown key(s): {', '.join(extra)}")
            role = turn.get("role")
            if role not in ("user", "model"):
                problems.append(f'{where}.role is {json.dumps(role)}; expected "user" or "model"')
            elif index == 0 and role != "user":
                problems.append('the first turn must have role "user"')
            elif role == previous:
                problems.append(f'{where}: two "{role}" turns in a row (turns must alternate user/model)')
            previous = role if role in ("user", "model") else None
            texts += _texts_of_parts(turn.get("parts"), where, problems)
        last = contents[-1]
        if isinstance(last, dict) and last.get("role") == "user":
            problems.append('the last turn must have role "model" (the answer to learn)')
    return problems, texts


def check_openai_row(row: Any) -> tuple[list[str], list[str]]:
    """Problems with one OpenAI chat-format row, and its texts.

    >>> check_openai_row({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]})
    ([], ['Hi', 'Yo'])
    >>> check_openai_row({"messages": [{"role": "model", "content": "Yo"}]})[0]
    ['messages[0].role is "model"; expected "system", "user" or "assistant"', 'the last message must have role "assistant"']
    """
    if not isinstance(row, dict):
        return [f"row must be a JSON object, not {type(row).__name__}"], []
    problems: list[str] = []
    texts: list[str] = []
    unknown = sorted(set(row) - OPENAI_TOP_LEVEL_KEYS)
    if unknown:
        problems.append(f"unknown top-level key(s): {', '.join(unknown)} (expected messages)")
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        problems.append("messages must be a non-empty list")
        return problems, texts
    previous: str | None = None
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            problems.append(f"{where} must be an object with 'role' and 'content'")
            continue
        extra = sorted(set(message) - OPENAI_MESSAGE_KEYS)
        if extra:
            problems.append(f"{where} has unknown key(s): {', '.join(extra)}")
        role = message.get("role")
        if role not in ("system", "user", "assistant"):
            problems.append(f'{where}.role is {json.dumps(role)}; expected "system", "user" or "assistant"')
            role = None
        elif role == "system" and index != 0:
            problems.append(f'{where}: a "system" message may only come first')
        elif role != "system" and previous is None and role != "user":
            problems.append('the first non-system message must have role "user"')
        elif role != "system" and role == previous:
            problems.append(f'{where}: two "{role}" messages in a row (turns must alternate user/assistant)')
        if role in ("user", "assistant"):
            previous = role
        content = message.get("content")
        if not isinstance(content, str):
            problems.append(f"{where}.content must be a string")
        elif not content.strip():
            problems.append(f"{where}.content is empty")
        else:
            texts.append(content)
    last = messages[-1]
    if not (isinstance(last, dict) and last.get("role") == "assistant"):
        problems.append('the last message must have role "assistant"')
    return problems, texts


def check_prompt_completion_row(row: Any) -> tuple[list[str], list[str]]:
    """Problems with one TRL prompt/completion row (``prompt`` and ``completion`` message lists).

    >>> check_prompt_completion_row({"prompt": [{"role": "user", "content": "Hi"}],
    ...                              "completion": [{"role": "assistant", "content": "Yo"}]})
    ([], ['Hi', 'Yo'])
    """
    if not isinstance(row, dict):
        return [f"row must be a JSON object, not {type(row).__name__}"], []
    problems: list[str] = []
    unknown = sorted(set(row) - {"prompt", "completion"})
    if unknown:
        problems.append(f"unknown top-level key(s): {', '.join(unknown)} (expected prompt, completion)")
    prompt, completion = row.get("prompt"), row.get("completion")
    if not isinstance(prompt, list) or not prompt:
        problems.append("prompt must be a non-empty list of messages")
        prompt = []
    if not isinstance(completion, list) or len(completion) != 1:
        problems.append("completion must be a list of exactly one assistant message")
        completion = []
    found, texts = (
        check_openai_row({"messages": [*prompt, *completion]}) if prompt and completion else ([], [])
    )
    return problems + found, texts

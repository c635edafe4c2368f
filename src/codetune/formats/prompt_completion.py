"""TRL's conversational prompt/completion rows: the loss falls only on the completion by default.

Useful for local training with TRL directly (``SFTTrainer`` reads ``prompt`` + ``completion`` and masks the
prompt), without a response-template search that can silently fail (docs/training.md, "What the recipe
guards against").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codetune.formats.openai import messages_of
from codetune.records import Example


def to_row(example: Example) -> dict[str, Any]:
    """``{"prompt": [...all but the last message], "completion": [the last, assistant, message]}``.

    >>> from codetune.records import Message
    >>> ex = Example("s", "u", "f", "g", (Message("user", "Q"), Message("model", "A")))
    >>> to_row(ex)
    {'prompt': [{'role': 'user', 'content': 'Q'}], 'completion': [{'role': 'assistant', 'content': 'A'}]}
    """
    messages = messages_of(example)
    return {"prompt": messages[:-1], "completion": messages[-1:]}


@dataclass(frozen=True)
class PromptCompletionFormat:
    name: str = "prompt_completion"
    validation_target: str = "prompt_completion"

    def to_row(self, example: Example) -> dict[str, Any]:
        return to_row(example)


FORMAT = PromptCompletionFormat()

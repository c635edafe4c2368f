"""The extension point for a teacher model: any chat model of a backend writes answers a strategy cannot
ground in the code itself (explanations of units without Javadoc). Off by default (``strategy.teacher``).

Answers are cached on disk keyed by model, system text and prompt, so a rerun is deterministic and costs
nothing; at most ``max_units`` new questions are asked per run. A failed call skips the unit (counted as
``teacher_failed``); it never stops the run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from codetune.errors import CodetuneError
from codetune.io import fingerprint, write_json
from codetune.records import Message

if TYPE_CHECKING:
    from codetune.backends.base import ChatModel
    from codetune.config import Config

TEACHER_SYSTEM = (
    "You write reference answers for a training set. Answer the user's request about the Java code precisely "
    "and concisely, in plain prose: what it does, what its parameters mean, what it returns and which "
    "exceptions it throws. Do not repeat the code."
)


@runtime_checkable
class Teacher(Protocol):
    def answer(self, prompt: str, *, system: str | None, unit_id: str) -> str | None:
        """An answer to ``prompt``, or ``None`` (budget spent, or the model failed)."""
        ...


class ChatTeacher:
    """A :class:`Teacher` backed by a :class:`~codetune.backends.base.ChatModel`, with an answer cache."""

    def __init__(
        self,
        model: ChatModel,
        *,
        max_units: int,
        cache_path: Path | None = None,
        max_output_tokens: int = 512,
        instruction: str = TEACHER_SYSTEM,
    ) -> None:
        self.model = model
        self.max_units = max_units
        self.cache_path = cache_path
        self.max_output_tokens = max_output_tokens
        self.instruction = instruction
        self.asked = 0
        self.failed = 0
        self.cached = 0
        self._cache: dict[str, str] = {}
        if cache_path is not None and cache_path.is_file():
            try:
                self._cache = dict(json.loads(cache_path.read_text(encoding="utf-8")))
            except (ValueError, TypeError):
                self._cache = {}  # a damaged cache is only a lost saving

    def _key(self, prompt: str) -> str:
        return fingerprint([self.model.name, self.instruction, prompt])

    def answer(self, prompt: str, *, system: str | None, unit_id: str) -> str | None:
        from codetune.backends.base import GenerationOptions

        key = self._key(prompt)
        if key in self._cache:
            self.cached += 1
            return self._cache[key]
        if self.asked >= self.max_units:
            return None
        self.asked += 1
        try:
            reply = self.model.generate(
                [Message("user", prompt)],
                system=self.instruction,
                options=GenerationOptions(temperature=0.0, max_output_tokens=self.max_output_tokens),
            )
        except CodetuneError:
            self.failed += 1
            return None
        text = reply.text.strip()
        if not text:
            self.failed += 1
            return None
        self._cache[key] = text
        return text

    def save(self) -> None:
        if self.cache_path is not None and self._cache:
            write_json(self.cache_path, dict(sorted(self._cache.items())))

    def stats(self) -> dict[str, int | str]:
        return {"model": self.model.name, "asked": self.asked, "cached": self.cached, "failed": self.failed}


def make_teacher(config: Config, cache_path: Path | None) -> ChatTeacher | None:
    """The configured teacher, or ``None`` when ``strategy.teacher.enabled`` is false."""
    settings = config.strategy.teacher
    if not settings.enabled:
        return None
    from codetune.backends import get_backend

    backend = get_backend(settings.backend, config)
    model = backend.chat_model(settings.model, base=True)
    return ChatTeacher(model, max_units=settings.max_units, cache_path=cache_path)

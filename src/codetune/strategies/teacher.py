"""A teacher model writes the Javadoc a codebase lacks, so undocumented code becomes training data too.

``code_explanation`` and ``code_generation`` answer from a unit's Javadoc and skip units without one
(``no_javadoc``). With ``strategy.teacher.enabled``, a stronger model (``strategy.teacher.model``, by default
gemini-2.5-pro on Vertex AI) is asked to write the missing Javadoc comment of each such unit; those
strategies then build their examples from it exactly as from the codebase's own documentation (the
explanation from its description and tags, the generation task from its summary), and mark them
``meta["source"] = "teacher"`` with the model.

- **Nothing secret leaves the machine**: the prompt (the unit's code) goes through the same
  :class:`~codetune.dataset.secrets.SecretScrubber` as the data before it is sent; each
  :class:`Question` counts what was replaced.
- **Cached**: answers are kept on disk (``strategy.teacher.cache_dir``, default
  ``~/.cache/codetune/teacher``), one JSON file per sha256 of (model, system text, prompt), so a rerun asks
  nothing already answered and gives the same data. An answer that cannot be used (no comment, a summary
  too short) is kept too: asking again would cost the same and say the same.
- **Asked concurrently** (``concurrency`` requests in flight; the client retries 429 and 5xx with backoff);
  a unit whose request fails for good is skipped with a counted reason, never the run.

What is asked, and when (cost first, then the requests), is decided by the prepare pipeline
(:mod:`codetune.dataset.teaching`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.errors import CodetuneError
from codetune.io import fingerprint, write_json
from codetune.records import Message

if TYPE_CHECKING:
    from codetune.backends.base import ChatModel
    from codetune.config import Config
    from codetune.dataset.secrets import SecretScrubber
    from codetune.records import Javadoc
    from codetune.strategies.common import Unit

Progress = Callable[[str, int, int | None], None]
TEACHER = "teacher"
# The skip reasons a teacher's Javadoc can remove: only a missing comment, not a poor one.
TEACHABLE = frozenset({"no_javadoc"})
TEACHER_SYSTEM = (
    "You are a senior Java engineer documenting a codebase. You write accurate, concise Javadoc comments "
    "that describe behaviour a caller can rely on, as read from the code itself; you never invent behaviour."
)
_PROMPT = (
    "Write the Javadoc comment for this Java {kind}, `{display}`.\n\n"
    "Reply with the comment only, from /** to */. Start with one sentence that says what it does, beginning "
    "with a verb in the third person (for example 'Returns ...' or 'Creates ...'); then, if a caller needs "
    "them, a few sentences on its behaviour; then {tags}.\n\n```java\n{code}\n```"
)
_MEMBER_TAGS = "an @param for each parameter, @return unless it returns nothing, and an @throws for each exception it throws"
_TYPE_TAGS = "an @param for each type parameter, if any"
_COMMENT = re.compile(r"/\*\*.*?\*/", re.DOTALL)


def teacher_prompt(unit: Unit) -> str:
    """What the teacher is asked about ``unit`` (before scrubbing): its code, or a type's outline."""
    from codetune.strategies.common import outline

    code = outline(unit.type) if unit.is_type else unit.code()
    return _PROMPT.format(
        kind=unit.kind_word,
        display=unit.display,
        tags=_TYPE_TAGS if unit.is_type else _MEMBER_TAGS,
        code=code,
    )


def javadoc_from_answer(text: str) -> tuple[Javadoc | None, str | None]:
    """The Javadoc in a teacher's answer, or None and why it cannot be used.

    >>> doc, problem = javadoc_from_answer("```java\\n/**\\n * Returns the number of open jobs.\\n * @return the count\\n */\\n```")
    >>> doc.summary, doc.returns, problem
    ('Returns the number of open jobs.', 'the count', None)
    >>> javadoc_from_answer("It counts jobs.")
    (None, 'no_comment')
    >>> javadoc_from_answer("/** Counts. */")[1]
    'javadoc_too_short'
    """
    from codetune.dataset.filters import javadoc_problem
    from codetune.extract.javadoc import parse_javadoc

    found = _COMMENT.search(text)
    if found is None:
        return None, "no_comment"
    doc = parse_javadoc(found.group(0))
    problem = javadoc_problem(doc)
    return (doc, None) if problem is None else (None, problem)


def taught_unit(unit: Unit, doc: Javadoc) -> Unit:
    """``unit`` documented by ``doc`` (the teacher's Javadoc in place of the missing one)."""
    if unit.member is not None:
        return replace(unit, member=replace(unit.member, javadoc=doc))
    return replace(unit, type=replace(unit.type, javadoc=doc))


@dataclass(frozen=True)
class Question:
    """One unit to ask the teacher about: its scrubbed prompt, the cache key, and what was scrubbed."""

    unit_id: str
    group: str
    prompt: str
    key: str
    scrubbed: dict[str, int] = field(default_factory=dict)


class AnswerCache:
    """Answers on disk, one JSON file per key (``<dir>/<key[:2]>/<key>.json``): safe for concurrent writers,
    readable from worker processes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        path = self.path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing, or damaged: a lost saving, asked again
        answer = entry.get("answer") if isinstance(entry, dict) else None
        return answer if isinstance(answer, str) else None

    def put(self, key: str, model: str, answer: str) -> None:
        write_json(self.path(key), {"model": model, "answer": answer})


@dataclass(frozen=True)
class TeacherLookup:
    """What prepare's workers need of the teacher: how to phrase a unit's question and read its cached
    answer. Holds no client, so it travels to worker processes."""

    model: str
    cache_dir: Path

    def question(self, unit: Unit, scrubber: SecretScrubber) -> Question:
        prompt, found = scrubber.scrub(teacher_prompt(unit))
        key = fingerprint([self.model, TEACHER_SYSTEM, prompt])
        return Question(unit.id, unit.group, prompt, key, dict(sorted(found.items())))

    def javadoc(self, question: Question) -> tuple[Javadoc | None, str | None]:
        """The cached answer's Javadoc; ``(None, None)`` when not asked yet, ``(None, why)`` when unusable."""
        answer = AnswerCache(self.cache_dir).get(question.key)
        if answer is None:
            return None, None
        return javadoc_from_answer(answer)


@dataclass
class TeacherRun:
    """What one round of questions did: answers received, failures by reason, secrets scrubbed from the
    prompts that were sent."""

    sent: int = 0
    answered: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    scrubbed: Counter[str] = field(default_factory=Counter)


def failure_reason(exc: CodetuneError) -> str:
    """A short, countable reason for a failed request: the HTTP status where the service gave one.

    >>> class APIError(Exception):
    ...     code = 500
    >>> error = CodetuneError("Vertex AI did not answer")
    >>> error.__cause__ = APIError()
    >>> failure_reason(error), failure_reason(CodetuneError("x"))
    ('http_500', 'error')
    """
    code = getattr(exc.__cause__, "code", None)
    return f"http_{code}" if isinstance(code, int) else "error"


def ask(
    model: ChatModel,
    questions: Sequence[Question],
    cache: AnswerCache,
    *,
    concurrency: int,
    max_output_tokens: int,
    progress: Progress | None = None,
) -> TeacherRun:
    """Send every question (``concurrency`` at a time), caching each answer as it arrives; a request that
    fails for good (after the client's retries) is counted by reason and its unit skipped."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from codetune.backends.base import GenerationOptions

    run = TeacherRun()
    options = GenerationOptions(temperature=0.0, max_output_tokens=max_output_tokens)

    def one(question: Question) -> str:
        reply = model.generate([Message("user", question.prompt)], system=TEACHER_SYSTEM, options=options)
        return reply.text

    if progress is not None:
        progress("teacher", 0, len(questions))
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="teacher") as pool:
        futures = {pool.submit(one, question): question for question in questions}
        for done, future in enumerate(as_completed(futures), 1):
            question = futures[future]
            run.sent += 1
            run.scrubbed.update(question.scrubbed)
            try:
                text = future.result().strip()
            except CodetuneError as exc:
                run.failed[failure_reason(exc)] += 1
            else:
                if text:
                    cache.put(question.key, model.name, text)
                    run.answered += 1
                else:
                    run.failed["empty_answer"] += 1
            if progress is not None:
                progress("teacher", done, len(questions))
    return run


@dataclass(frozen=True)
class Teacher:
    """The configured teacher: the lookup for the workers, and the model to ask (opened only when asked)."""

    config: Config
    lookup: TeacherLookup

    @property
    def settings(self) -> Any:
        return self.config.strategy.teacher

    @property
    def paid(self) -> bool:
        from codetune.backends import get_backend

        return bool(get_backend(self.settings.backend, self.config).paid)

    def chat_model(self) -> ChatModel:
        from codetune.backends import get_backend

        return get_backend(self.settings.backend, self.config).chat_model(self.settings.model, base=True)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/codetune/teacher``, or ``~/.cache/codetune/teacher``."""
    from codetune.sources.cache import default_cache_dir as sources_cache

    return sources_cache().parent / TEACHER


def make_teacher(config: Config) -> Teacher | None:
    """The configured teacher, or ``None`` when ``strategy.teacher.enabled`` is false."""
    settings = config.strategy.teacher
    if not settings.enabled:
        return None
    cache_dir = Path(settings.cache_dir).expanduser() if settings.cache_dir else default_cache_dir()
    return Teacher(config, TeacherLookup(settings.model, cache_dir))

"""Per-file work of prepare: extract one file, filter its units, build examples, scrub secrets.

Runs in worker processes (one file at a time, results in file order), so it holds no global state but
the :class:`FileWorker` built once per process. With a teacher, a unit that a strategy skips for want of a
Javadoc gets a question (:class:`~codetune.strategies.teacher.Question`); when the teacher's answer is
cached, the strategy builds from the Javadoc the teacher wrote, and the example is marked
(``meta["source"] = "teacher"`` and ``meta["teacher_model"]``). Everything here is deterministic; dedup, balancing and
the split need all files and happen afterwards in :mod:`codetune.dataset.pipeline`.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.dataset.filters import (
    generated_header,
    is_test_code,
    member_drop_reason,
    too_short_reason,
    type_drop_reason,
)
from codetune.records import Example, Javadoc, Message
from codetune.strategies import PROVISIONAL, Skip
from codetune.strategies.common import Unit, outline
from codetune.strategies.teacher import TEACHABLE, TEACHER, taught_unit
from codetune.tokens import estimate_tokens

if TYPE_CHECKING:
    from codetune.config import Config
    from codetune.dataset.secrets import SecretScrubber
    from codetune.extract import ParsedFile
    from codetune.strategies import Strategy
    from codetune.strategies.teacher import Question, TeacherLookup


@dataclass
class Candidate:
    """A unit that passed the filters, with the examples built from it (dropped together if a duplicate)."""

    unit_id: str
    bucket: str  # "type" or "callable": dedup compares like with like
    code: str
    examples: list[Example]
    skipped: list[tuple[str, str]]  # (strategy, reason)
    dropped: list[tuple[str, str]]
    question: Question | None = None  # for the teacher: the unit lacks the Javadoc a strategy needs


@dataclass
class FileOutcome:
    file: str
    status: str
    sha256: str | None
    issues: list[tuple[str, str, int | None]] = field(default_factory=list)  # (reason, detail, line)
    dropped: str | None = None  # why the whole file was left out
    unit_drops: Counter[str] = field(default_factory=Counter)
    units_seen: int = 0
    candidates: list[Candidate] = field(default_factory=list)


def units_of(parsed: ParsedFile, group_by: str) -> Iterator[Unit]:
    """Every type (first) and each of its methods and constructors, in source order, with its node."""
    result = parsed.result
    for type_unit in result.types:
        group = result.file if group_by == "file" else type_unit.top_level
        yield Unit(type_unit, None, group, parsed.node_of(type_unit))
        members = sorted((*type_unit.constructors, *type_unit.methods), key=lambda m: (m.start_line, m.id))
        for member in members:
            yield Unit(type_unit, member, group, parsed.node_of(member))


def dedup_text(unit: Unit) -> str:
    """What identifies a unit's content: a callable's code, a type's outline (fields and signatures).

    A type's full source would repeat its methods, which are compared on their own; the outline is what
    its explanation shows, and is much cheaper to hash than a whole class.
    """
    return outline(unit.type) if unit.is_type else unit.code()


def example_tokens(example: Example) -> int:
    return sum(estimate_tokens(m.text) for m in example.messages) + _system_tokens(example.system or "")


# Every example of a run carries the same system instruction: counted once.
_system_tokens = functools.lru_cache(maxsize=16)(estimate_tokens)


class FileWorker:
    """Everything one process needs to turn a source file into candidates (built once per process)."""

    def __init__(
        self,
        config: Config,
        strategies: list[Strategy],
        scrubber: SecretScrubber,
        teacher: TeacherLookup | None = None,
    ) -> None:
        self.config = config
        self.strategies = strategies
        self.scrubber = scrubber
        self.teacher = teacher

    def finish(self, example: Example) -> Example | None:
        """Scrub secrets from the example and measure it; ``None`` when it is over the token limit."""
        return finish_example(example, self.scrubber, self.config.data.max_tokens)

    def unit_drop(self, unit: Unit) -> str | None:
        type_reason = type_drop_reason(unit.type)
        if type_reason is not None:
            return type_reason
        if unit.member is not None and self.config.data.drop_boilerplate:
            reason = member_drop_reason(unit.member)
            if reason is not None:
                return reason
        return too_short_reason(dedup_text(unit), self.config.data.min_tokens)

    def process(self, parsed: ParsedFile, path: str | Path) -> FileOutcome:
        """Filter, build and scrub one extracted file (``path`` is read again for its hash and header)."""
        data = self.config.data
        result = parsed.result
        try:
            raw = Path(path).read_bytes()
            sha = hashlib.sha256(raw).hexdigest()
        except OSError:
            raw, sha = b"", None
        outcome = FileOutcome(file=result.file, status=result.status, sha256=sha)
        outcome.issues = [(i.reason, i.detail, i.line) for i in result.issues]
        if result.status == "skipped":
            return outcome
        head = raw[:4096].decode("utf-8", "replace")
        imports = result.types[0].imports if result.types else ()
        if generated_header(head):
            outcome.dropped = "generated"
            return outcome
        if not data.include_tests and is_test_code(result.file, imports):
            outcome.dropped = "test_source"
            return outcome
        for unit in units_of(parsed, data.group_by):
            outcome.units_seen += 1
            reason = self.unit_drop(unit)
            if reason is not None:
                outcome.unit_drops[reason] += 1
                continue
            outcome.candidates.append(self.candidate(unit))
        return outcome

    def candidate(self, unit: Unit) -> Candidate:
        examples: list[Example] = []
        skipped: list[tuple[str, str]] = []
        dropped: list[tuple[str, str]] = []
        question: Question | None = None  # asked once the unit turns out to need the teacher
        doc: Javadoc | None = None  # the teacher's Javadoc, when its answer is cached and usable
        for strategy in self.strategies:
            built = strategy.build(unit)
            if built is None:
                continue
            if isinstance(built, Skip) and self.teacher is not None and built.reason in TEACHABLE:
                if question is None:
                    question = self.teacher.question(unit, self.scrubber)
                    doc = self.teacher.javadoc(question)[0]
                if doc is not None:
                    built = self._taught(strategy, unit, doc) or built
            if isinstance(built, Skip):
                skipped.append((strategy.name, built.reason))
                continue
            if built.meta.get(PROVISIONAL):
                examples.append(built)  # most are dropped by finalize; finished only if kept
                continue
            finished = self.finish(built)
            if finished is None:
                dropped.append((strategy.name, "too_long"))
            else:
                examples.append(finished)
        return Candidate(
            unit.id,
            "type" if unit.is_type else "callable",
            dedup_text(unit),
            examples,
            skipped,
            dropped,
            question,
        )

    def _taught(self, strategy: Strategy, unit: Unit, doc: Javadoc) -> Example | None:
        """The strategy's example for ``unit`` documented by the teacher's Javadoc, marked as the teacher's."""
        assert self.teacher is not None
        built = strategy.build(taught_unit(unit, doc))
        if not isinstance(built, Example):
            return None
        return replace(built, meta={**built.meta, "source": TEACHER, "teacher_model": self.teacher.model})


def scrub_example(example: Example, scrubber: SecretScrubber) -> Example:
    """The example with secrets replaced in its prompts and answers; ``meta["secrets"]`` counts them."""
    messages = []
    secrets: Counter[str] = Counter()
    for message in example.messages:
        text, found = scrubber.scrub(message.text)
        secrets.update(found)
        messages.append(Message(message.role, text))
    if not secrets:
        return example
    return replace(
        example, messages=tuple(messages), meta={**example.meta, "secrets": dict(sorted(secrets.items()))}
    )


def finish_example(example: Example, scrubber: SecretScrubber, max_tokens: int) -> Example | None:
    """Scrubbed, measured (``meta["tokens"]``) and no longer provisional; ``None`` when too long."""
    example = scrub_example(example, scrubber)
    tokens = example_tokens(example)
    if tokens > max_tokens:
        return None
    meta = {k: v for k, v in example.meta.items() if k != PROVISIONAL}
    return replace(example, meta={**meta, "tokens": tokens})


# --- worker processes ------------------------------------------------------------------------------------

_WORKER: FileWorker | None = None


def init_worker(factory: Any) -> None:
    """Pool initializer: build this process's :class:`FileWorker` once."""
    global _WORKER
    _WORKER = factory()


def work(entry: Any) -> FileOutcome:
    """Extract one discovered file and process it (runs in a worker, or in-process)."""
    from codetune.extract import ExtractOptions, parse_entry

    assert _WORKER is not None, "init_worker was not called"
    options = ExtractOptions(max_file_bytes=_WORKER.config.data.max_file_bytes, workers=1)
    return _WORKER.process(parse_entry(entry, options), entry.path)

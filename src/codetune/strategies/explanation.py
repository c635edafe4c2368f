"""``code_explanation``: the user shows a method, constructor or type and asks what it does; the answer is
written from its Javadoc (summary and description, each parameter, the result, each exception) in prose.

Units without a usable Javadoc are skipped with the reason :func:`codetune.dataset.filters.javadoc_problem`
gives (with ``strategy.teacher``, prepare asks a teacher model to write the missing Javadoc of
undocumented units: :mod:`codetune.strategies.teacher`).
Types are shown as an outline (fields and member signatures, no bodies) so the prompt stays short.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

from pydantic import Field

from codetune.dataset.filters import javadoc_problem
from codetune.records import Example, Javadoc
from codetune.strategies import Skip, keep_all
from codetune.strategies.common import (
    StrategyOptions,
    Unit,
    choose,
    clause,
    fence,
    make_example,
    outline,
    sentence,
)
from codetune.strategies.templates import EXPLANATION

NAME = "code_explanation"


class ExplanationOptions(StrategyOptions):
    include_types: bool = True  # explain classes/interfaces/enums/records from an outline, not only callables
    min_summary_words: int = Field(3, ge=1)
    max_description_chars: int = Field(900, ge=80)  # longer descriptions are cut at a paragraph or sentence
    max_outline_members: int = Field(30, ge=1)


_DETERMINERS = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "its",
        "their",
        "any",
        "each",
        "every",
        "one",
        "some",
        "all",
        "true",
        "false",
        "null",
        "whether",
        "how",
        "what",
        "which",
        "number",
    ]
)
_CONDITIONS = re.compile(
    r"^(?:if|when|unless|in case|on|for|because|should|after|before|while|during)\b", re.I
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def trim_description(text: str, max_chars: int) -> str:
    """Whole paragraphs while they fit in ``max_chars``; the first one cut at a sentence if it is too long.

    >>> trim_description("First. Second.\\n\\nThird paragraph.", 20)
    'First. Second.'
    >>> trim_description("One. Two. Three.", 10)
    'One. Two.'
    """
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    kept: list[str] = []
    size = 0
    for paragraph in paragraphs:
        if size + len(paragraph) <= max_chars:
            kept.append(paragraph)
            size += len(paragraph) + 2
            continue
        if not kept and not paragraph.startswith("```"):
            sentences = _SENTENCE_END.split(paragraph)
            taken = ""
            for piece in sentences:
                if taken and len(taken) + 1 + len(piece) > max_chars:
                    break
                taken = f"{taken} {piece}".strip()
            kept.append(taken)
        break
    return "\n\n".join(kept)


def _parameter_sentence(name: str, text: str) -> str:
    words = clause(text)
    if name.startswith("<") and name.endswith(">"):
        return f"The type parameter `{name[1:-1]}` is {words}."
    first = words.split(" ", 1)[0].lower() if words else ""
    if first in _DETERMINERS:
        return f"The parameter `{name}` is {words}."
    return f"The parameter `{name}`: {words}."


def _returns_sentence(text: str) -> str:
    words = re.sub(r"^returns?\s+", "", clause(text), flags=re.I)
    return f"It returns {words}."


def _throws_sentence(name: str, text: str) -> str:
    words = clause(text)
    if not words:
        return f"It can throw `{name}`."
    if _CONDITIONS.match(words):
        return f"It throws `{name}` {words}."
    return f"It throws `{name}` ({words})."


def explanation_from_javadoc(doc: Javadoc, *, max_description_chars: int = 900) -> str:
    """Prose answer from a Javadoc: description, then parameters, result, exceptions, deprecation.

    >>> from codetune.records import Javadoc
    >>> doc = Javadoc("/** ... */", "Reads the next record.", "Reads the next record.",
    ...               params={"limit": "the most fields to read"}, returns="the fields, or null at the end",
    ...               throws={"IOException": "if reading fails"})
    >>> print(explanation_from_javadoc(doc))
    Reads the next record.
    <BLANKLINE>
    The parameter `limit` is the most fields to read. It returns the fields, or null at the end. It throws `IOException` if reading fails.
    """
    description = trim_description(doc.description, max_description_chars) or sentence(doc.summary)
    details = [_parameter_sentence(name, text) for name, text in doc.params.items() if text.strip()]
    if doc.returns and doc.returns.strip():
        details.append(_returns_sentence(doc.returns))
    details += [_throws_sentence(name, text) for name, text in doc.throws.items()]
    for tag, text in doc.tags:
        if tag == "deprecated":
            details.append(f"It is deprecated: {clause(text)}." if text.strip() else "It is deprecated.")
    return description + ("\n\n" + " ".join(details) if details else "")


class ExplanationStrategy:
    name = NAME

    def __init__(self, options: dict[str, Any], *, system: str | None, seed: int = 0) -> None:
        from codetune.strategies.common import parse_options

        self.options = parse_options(ExplanationOptions, NAME, options)
        self.system = system
        self.seed = seed

    def prompt(self, unit: Unit) -> tuple[str, int]:
        """The user's request for ``unit`` and the template index used."""
        code = (
            outline(unit.type, max_members=self.options.max_outline_members) if unit.is_type else unit.code()
        )
        index = choose(EXPLANATION, NAME, unit.id, self.seed)
        text = EXPLANATION[index].format(
            kind=unit.kind_word,
            type=unit.type.name,
            file=PurePosixPath(unit.type.file).name,
            name=unit.name,
            display=unit.display,
            code=fence(code),
        )
        return text, index

    def build(self, unit: Unit) -> Example | Skip | None:
        if unit.is_type and not self.options.include_types:
            return None
        if unit.kind not in ("method", "constructor") and not unit.is_type:
            return None
        problem = javadoc_problem(unit.javadoc, min_summary_words=self.options.min_summary_words)
        prompt, index = self.prompt(unit)
        if problem is None:
            assert unit.javadoc is not None
            answer = explanation_from_javadoc(
                unit.javadoc, max_description_chars=self.options.max_description_chars
            )
            return make_example(NAME, unit, prompt, answer, system=self.system, template=f"{NAME}/{index}")
        return Skip(problem)

    def finalize(self, examples: Sequence[Example]) -> tuple[list[Example], Counter[str]]:
        return keep_all(examples)

"""``code_generation``: the user asks for a method or constructor described by its Javadoc, with the
signature and enough context to answer (the enclosing type, fields and sibling methods the body uses,
the imports it needs); the answer is the code, in one fenced block.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from codetune.dataset.filters import javadoc_problem
from codetune.records import Example, Javadoc, Member
from codetune.strategies import Skip, keep_all
from codetune.strategies.common import (
    StrategyOptions,
    Unit,
    choose,
    clause,
    fence,
    make_example,
    sentence,
    short_field,
)
from codetune.strategies.explanation import trim_description
from codetune.strategies.templates import GENERATION, GENERATION_PLAIN

NAME = "code_generation"

_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_CALL = re.compile(r"\b([A-Za-z_$][\w$]*)\s*\(")
# Summaries that start with a verb in the third person make a natural "a method that <verb>s ..." task.
_NOT_VERBS = frozenset(
    [
        "this",
        "is",
        "its",
        "has",
        "was",
        "does",
        "as",
        "us",
        "thus",
        "plus",
        "bus",
        "class",
        "status",
        "series",
        "alias",
        "news",
    ]
)


class GenerationOptions(StrategyOptions):
    include_constructors: bool = True
    min_summary_words: int = Field(3, ge=1)
    max_context_fields: int = Field(8, ge=0)
    max_context_methods: int = Field(6, ge=0)
    max_context_imports: int = Field(12, ge=0)
    max_details_chars: int = Field(400, ge=0)  # description beyond the summary, as extra requirements


def task_phrase(summary: str) -> str | None:
    """``"returns the size of the list"`` from ``"Returns the size of the list."``; ``None`` when the
    summary does not start with a verb.

    >>> task_phrase("Returns the number of elements."), task_phrase("The number of elements.")
    ('returns the number of elements', None)
    """
    words = summary.split()
    if not words:
        return None
    first = words[0]
    lower = first.lower()
    if not first[:1].isupper() or not lower.isalpha() or not lower.endswith("s") or lower in _NOT_VERBS:
        return None
    if lower.endswith("ss") or len(lower) < 4:
        return None
    return clause(summary)


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text))


def _spec_lines(doc: Javadoc, summary: str, max_details_chars: int) -> list[str]:
    lines: list[str] = []
    rest = doc.description[len(summary) :].strip() if doc.description.startswith(summary) else ""
    if rest and max_details_chars:
        trimmed = trim_description(rest, max_details_chars)
        if trimmed:
            lines.append(f"Details: {trimmed}")
    for name, text in doc.params.items():
        if not name.startswith("<"):
            lines.append(f"- `{name}`: {clause(text)}")
    if doc.returns:
        lines.append(f"- returns: {clause(doc.returns)}")
    for name, text in doc.throws.items():
        lines.append(f"- throws `{name}`: {clause(text)}" if text.strip() else f"- throws `{name}`")
    return lines


class GenerationStrategy:
    name = NAME

    def __init__(self, options: dict[str, Any], *, system: str | None, seed: int = 0) -> None:
        from codetune.strategies.common import parse_options

        self.options = parse_options(GenerationOptions, NAME, options)
        self.system = system
        self.seed = seed

    def context(self, unit: Unit, member: Member) -> str:
        """Enclosing type, the fields and sibling methods the body mentions, the imports it needs, the signature."""
        t = unit.type
        code = unit.code()
        used = _words(code)
        package = f" in package `{t.package}`" if t.package else ""
        lines = [f"It belongs to `{' '.join(t.signature.split())}`{package}."]
        fields = [f for f in t.fields if f.kind == "field" and f.name in used][
            : self.options.max_context_fields
        ]
        if fields:
            lines.append("Fields it can use:")
            lines += [f"    {short_field(f.source)}" for f in fields]
        called = set(_CALL.findall(code))
        siblings = [
            m for m in (*t.constructors, *t.methods)
            if m.id != member.id and (m.name in called or (m.kind == "constructor" and t.name.split(".")[-1] in called))
        ][: self.options.max_context_methods]  # fmt: skip
        if siblings:
            lines.append("Other members of the type it can call:")
            lines += [f"    {' '.join(m.signature.split())};" for m in siblings]
        imports = [
            i for i in t.imports if not i.endswith(".*") and i.rsplit(".", 1)[-1] in used
        ][: self.options.max_context_imports]  # fmt: skip
        if imports:
            lines.append("Imports available: " + ", ".join(f"`{i}`" for i in imports) + ".")
        lines.append("Use this signature:")
        lines.append(fence(" ".join(member.signature.split())))
        return "\n".join(lines)

    def build(self, unit: Unit) -> Example | Skip | None:
        member = unit.member
        if member is None or member.kind not in ("method", "constructor"):
            return None
        if member.kind == "constructor" and not self.options.include_constructors:
            return None
        if member.body_start_line is None:
            return Skip("no_body")
        doc = unit.javadoc
        problem = javadoc_problem(doc, min_summary_words=self.options.min_summary_words)
        if problem is not None or doc is None:
            return Skip(problem or "no_javadoc")
        summary = " ".join(doc.summary.split())
        spec = _spec_lines(doc, summary, self.options.max_details_chars)
        context = self.context(unit, member)
        if spec:
            context = "Requirements:\n" + "\n".join(spec) + "\n\n" + context
        task = task_phrase(summary)
        fields = {"kind": unit.kind_word, "name": unit.name, "context": context}
        if task is not None:
            index = choose(GENERATION, NAME, unit.id, self.seed)
            prompt = GENERATION[index].format(task=task, **fields)
            template = f"{NAME}/{index}"
        else:
            index = choose(GENERATION_PLAIN, NAME, unit.id, self.seed)
            prompt = GENERATION_PLAIN[index].format(summary=sentence(summary), **fields)
            template = f"{NAME}/plain{index}"
        return make_example(NAME, unit, prompt, fence(unit.code()), system=self.system, template=template)

    def finalize(self, examples: Sequence[Example]) -> tuple[list[Example], Counter[str]]:
        return keep_all(examples)

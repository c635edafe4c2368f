"""``code_review``: the user asks for a review of a method, constructor or small type; the answer lists
what the static checks (:mod:`codetune.strategies.checks`) found, one finding per line::

    Found 2 issues:
    Line 4: empty catch block - the exception is silently ignored, ...
    Line 9: string compared with == - == compares object identity, ...

The code is shown with its Javadoc (so "missing Javadoc" is visible) and lines count from 1 at the first
line shown. Clean code gets a short "looks good" answer, but only in a bounded share of the review
examples (``clean_share``), so the model learns neither to invent problems nor to wave everything through.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from codetune.records import Example
from codetune.strategies import PROVISIONAL, Skip
from codetune.strategies.checks import CheckLimits, Finding, review_member, review_type
from codetune.strategies.common import StrategyOptions, Unit, choose, fence, make_example
from codetune.strategies.templates import REVIEW

NAME = "code_review"
CLEAN_ANSWER = "Looks good: no issues found."


class ReviewOptions(StrategyOptions):
    clean_share: float = Field(0.2, ge=0, le=1)  # at most this share of review examples are "looks good"
    include_types: bool = True  # review small types whole (equals/hashCode, public static fields)
    max_type_lines: int = Field(80, ge=5)
    max_findings: int = Field(8, ge=1)
    long_method_lines: int = Field(60, ge=5)
    max_nesting: int = Field(4, ge=1)
    max_magic_numbers: int = Field(2, ge=0)
    max_per_check: int = Field(2, ge=1)
    show_javadoc: bool = True


def render_review(findings: Sequence[Finding]) -> str:
    """The answer: a count line, then one ``Line N: title - why.`` per finding; or the clean answer.

    >>> print(render_review([Finding(3, "empty_catch")]))
    Found 1 issue:
    Line 3: empty catch block - the exception is silently ignored, so failures go unnoticed; handle it, log it, or explain in a comment why it is safe to ignore.
    >>> render_review([])
    'Looks good: no issues found.'
    """
    if not findings:
        return CLEAN_ANSWER
    count = f"Found {len(findings)} issue{'s' if len(findings) != 1 else ''}:"
    return "\n".join([count, *(f.render() for f in findings)])


class ReviewStrategy:
    name = NAME

    def __init__(self, options: dict[str, Any], *, system: str | None, seed: int = 0) -> None:
        from codetune.strategies.common import parse_options

        self.options = parse_options(ReviewOptions, NAME, options)
        self.limits = CheckLimits(
            long_method_lines=self.options.long_method_lines,
            max_nesting=self.options.max_nesting,
            max_magic_numbers=self.options.max_magic_numbers,
            max_per_check=self.options.max_per_check,
        )
        self.system = system
        self.seed = seed

    def snippet(self, unit: Unit) -> tuple[str, int]:
        """The code shown (Javadoc first when configured) and how many lines precede the declaration."""
        code = unit.code()
        doc = unit.javadoc_code() if self.options.show_javadoc else None
        if not doc:
            return code, 0
        return f"{doc}\n{code}", doc.count("\n") + 1

    def build(self, unit: Unit) -> Example | Skip | None:
        if unit.is_type:
            if not self.options.include_types or unit.type.is_local:
                return None
            if unit.type.end_line - unit.type.start_line + 1 > self.options.max_type_lines:
                return None
        elif unit.member is None or unit.member.kind not in ("method", "constructor"):
            return None
        elif unit.member.body_start_line is None:
            return None  # nothing to review in an abstract method
        snippet, offset = self.snippet(unit)
        code = unit.code()
        if unit.is_type:
            findings = review_type(code, unit.type, line_offset=offset, limits=self.limits, node=unit.node)
        else:
            assert unit.member is not None
            findings = review_member(
                code, unit.member, unit.type, line_offset=offset, limits=self.limits, node=unit.node
            )
        findings = findings[: self.options.max_findings]
        index = choose(REVIEW, NAME, unit.id, self.seed)
        prompt = REVIEW[index].format(kind=unit.kind_word, display=unit.display, code=fence(snippet))
        meta: dict[str, Any] = {
            "findings": [{"line": f.line, "check": f.check, "title": f.title} for f in findings]
        }
        if not findings and self.options.clean_share < 1:
            meta[PROVISIONAL] = True  # most clean reviews are dropped by finalize
        return make_example(
            NAME,
            unit,
            prompt,
            render_review(findings),
            system=self.system,
            template=f"{NAME}/{index}",
            **meta,
        )

    def finalize(self, examples: Sequence[Example]) -> tuple[list[Example], Counter[str]]:
        """Keep every review with findings and at most ``clean_share`` of the total as clean reviews.

        Which clean reviews stay is decided by a hash of the example id, so it is stable across runs.
        """
        with_findings = [e for e in examples if e.meta.get("findings")]
        clean = [e for e in examples if not e.meta.get("findings")]
        share = self.options.clean_share
        allowed = len(clean) if share >= 1 else int(share * len(with_findings) / (1 - share))
        ranked = sorted(clean, key=lambda e: hashlib.sha256(f"{self.seed}:{e.id}".encode()).hexdigest())
        keep = {id(e) for e in ranked[:allowed]}
        dropped = Counter({"review_clean_over_share": len(clean) - min(allowed, len(clean))})
        return [e for e in examples if e.meta.get("findings") or id(e) in keep], +dropped

"""Scoring a code review against its reference. Pure functions.

The reference lists one finding per line (``Line 12: empty catch block - why``, see
:mod:`codetune.strategies.review`). Recall is the share of those findings the answer names (most of the
finding's words on one line that does not point at a clearly different line); precision is the share
of the answer's own ``Line N:`` findings that match a reference finding. Both are also counted per
finding kind: a reference finding's kind is the review check whose title it carries; an answer
finding takes the kind of the reference finding it matches, else the check whose title words it
carries, else ``other``.

A clean reference (no findings) is answered correctly only by a review that says the code has no
issues and names none: a "no issues" statement, no findings, no list of points, no code, and no
"but", "however", "should" or "consider" that would bring a problem in through the back door. An
answer that is code, or prose listing problems without line numbers, is not "left clean".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

from codetune.strategies.findings import CHECKS

OTHER = "other"
_FINDING = re.compile(
    r"^\s*(?:[-*\u2022]\s*|\d+[.)]\s*)?\**line\s+(\d+)\**\s*[:.)\-\u2013\u2014]\s*(.+?)\s*$", re.I
)
_KIND_END = re.compile(r"\s+[-\u2013\u2014]\s+|:\s|\.\s|\s\(")
_STOPWORDS = frozenset(
    ["a", "an", "the", "of", "in", "on", "at", "to", "is", "are", "be", "it", "this", "that", "for"]
    + ["with", "and", "or", "not", "no"]
)
_NO_ISSUES = re.compile(
    r"\b(?:no|0|zero)\s+(?:\w+\s+){0,2}(?:issues?|problems?|bugs?|defects?|concerns?|findings?|smells?)\b"
    r"|\b(?:code|method|class|it)\s+(?:is|looks)\s+(?:clean|fine|good|correct)\b"
    r"|\blooks?\s+(?:good|fine|correct|clean)\b|\blgtm\b"
    r"|\bnothing\s+(?:to\s+(?:fix|change|improve|report|flag)|wrong)\b"
    r"|\b(?:did\s*n[o']t|do\s+not|don't|could\s*n[o']t|cannot|can't)\s+(?:find|see|spot)\s+any\s+"
    r"(?:issues?|problems?|bugs?|defects?)\b",
    re.I,
)
_HEDGE = re.compile(
    r"\b(?:but|however|although|though|except|should|could|consider|might|recommend|suggest|"
    r"improve|missing|instead|unless|issue\s+with|problem\s+with)\b",
    re.I,
)
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+\S", re.M)
_CODE_LINE = re.compile(r"```|[;{}]\s*$", re.M)


@dataclass(frozen=True)
class Finding:
    line: int | None
    kind: str  # "empty catch block": what the finding is, without its explanation
    text: str  # the whole line as written


def parse_findings(text: str) -> list[Finding]:
    """The "Line N: kind - why" lines of a review, in order.

    >>> parse_findings("Line 12: empty catch block - the exception is lost\\nLooks fine otherwise.")
    [Finding(line=12, kind='empty catch block', text='Line 12: empty catch block - the exception is lost')]
    """
    findings = []
    for raw in text.splitlines():
        match = _FINDING.match(raw)
        if match:
            rest = match.group(2)
            kind = _KIND_END.split(rest, maxsplit=1)[0].strip(" .*`")
            findings.append(Finding(int(match.group(1)), kind, raw.strip()))
    return findings


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS}


def _same_word(a: str, b: str) -> bool:
    """Equal, or one extends the other (plural, past tense): a stemmer would be overkill here.

    >>> _same_word("string", "strings"), _same_word("compare", "compared"), _same_word("null", "nullable")
    (True, True, True)
    >>> _same_word("in", "int")
    False
    """
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and long.startswith(short)


def _carries(wanted: set[str], line: str) -> bool:
    """Whether ``line`` carries most (two thirds) of the ``wanted`` words."""
    if not wanted:
        return False
    have = _words(line)
    needed = max(1, math.ceil(0.67 * len(wanted)))
    return sum(1 for word in wanted if any(_same_word(word, other) for other in have)) >= needed


def _named(finding: Finding, answer_lines: list[str]) -> bool:
    """A reference finding is named by an answer line that carries most of its kind's words and does
    not point at a clearly different line (a line number more than 2 away)."""
    wanted = _words(finding.kind)
    for line in answer_lines:
        if not _carries(wanted, line):
            continue
        cited = [int(n) for n in re.findall(r"\bline\s+(\d+)", line, re.I)]
        if finding.line is not None and cited and all(abs(n - finding.line) > 2 for n in cited):
            continue
        return True
    return False


@cache
def _check_titles() -> tuple[tuple[str, re.Pattern[str], frozenset[str]], ...]:
    """(check id, the title as a pattern, the title's fixed words) for every review check."""
    found = []
    for check, (title, _) in CHECKS.items():
        fixed = [re.escape(part) for part in title.split("{what}")]
        pattern = re.compile(r"\s*" + r"\S.*?".join(fixed) + r"\s*$", re.I)
        found.append((check, pattern, frozenset(_words(title.replace("{what}", " ")))))
    return tuple(found)


def finding_kind(finding: Finding) -> str:
    """The review check a finding reports: by its title, else by the title's words, else ``other``.

    >>> finding_kind(parse_findings("Line 3: catching Exception - too broad")[0])
    'broad_catch'
    >>> finding_kind(parse_findings("Line 3: the catch block is empty")[0])
    'empty_catch'
    >>> finding_kind(parse_findings("Line 3: variable names are unclear")[0])
    'other'
    """
    for check, pattern, _ in _check_titles():
        if pattern.match(finding.kind):
            return check
    for check, _, fixed in _check_titles():
        if _carries(set(fixed), finding.text):
            return check
    return OTHER


def says_clean(answer: str) -> bool:
    """Whether a review says the code has no issues and names none (module docstring).

    >>> says_clean("Looks good: no issues found."), says_clean("I found no problems with this method.")
    (True, True)
    >>> says_clean("1. The code is not well-documented"), says_clean("Looks good, but the catch is empty.")
    (False, False)
    >>> says_clean("public int size() { return n; }"), says_clean("The method returns the size.")
    (False, False)
    """
    if not _NO_ISSUES.search(answer) or parse_findings(answer):
        return False
    return not (_LIST_ITEM.search(answer) or _CODE_LINE.search(answer) or _HEDGE.search(answer))


def review_scores(answer: str, reference: str) -> dict[str, object]:
    """Findings recall and precision of a review answer (None where there is nothing to divide by),
    the counts behind them, overall and per finding kind (``[expected, named, answered, matched]``),
    and for a clean reference whether the answer left the code clean.

    >>> ref = "Line 3: empty catch block - swallowed\\nLine 9: magic number 7 - use a constant"
    >>> scores = review_scores("Line 3: the catch block is empty.", ref)
    >>> scores["findings_recall"], scores["findings_precision"], scores["by_kind"]
    (0.5, 1.0, {'empty_catch': [1, 1, 1, 1], 'magic_number': [1, 0, 0, 0]})
    """
    expected = parse_findings(reference)
    found = parse_findings(answer)
    lines = [line for line in answer.splitlines() if line.strip()]
    by_kind: dict[str, list[int]] = {}
    named = 0
    for finding in expected:
        counts = by_kind.setdefault(finding_kind(finding), [0, 0, 0, 0])
        counts[0] += 1
        if _named(finding, lines):
            counts[1] += 1
            named += 1
    matched = 0
    for finding in found:
        match = next((e for e in expected if _named(e, [finding.text])), None)
        counts = by_kind.setdefault(finding_kind(match or finding), [0, 0, 0, 0])
        counts[2] += 1
        if match is not None:
            counts[3] += 1
            matched += 1
    return {
        "findings_recall": round(named / len(expected), 4) if expected else None,
        "findings_precision": round(matched / len(found), 4) if found else None,
        "clean_correct": says_clean(answer) if not expected else None,
        "findings": len(expected),
        "named": named,
        "answer_findings": len(found),
        "matched": matched,
        "by_kind": dict(sorted(by_kind.items())),
    }

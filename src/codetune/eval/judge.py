"""Pairwise judging by a third model, FastChat style.

The judge sees the question, the reference answer and two answers labelled A and B, and ends with
``Verdict: A``, ``Verdict: B`` or ``Verdict: tie``. Each pair is judged twice with the order swapped, so a
judge that prefers whatever comes first cannot decide the outcome: the tuned answer wins only when it
wins in both orders, loses only when it loses in both, and everything else (a disagreement, a tie, an
unreadable verdict) is a tie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from codetune.records import Message

if TYPE_CHECKING:
    from codetune.backends.base import ChatModel, GenerationOptions
    from codetune.eval.samples import EvalSample

Verdict = Literal["A", "B", "tie", "unreadable"]
Outcome = Literal["win", "tie", "loss"]

JUDGE_SYSTEM = (
    "You are an impartial senior Java engineer judging two answers to the same request about a Java "
    "codebase. Prefer the answer that is correct, complete and concise; use the reference answer as a "
    "guide to what is correct, not as the only acceptable wording. Ignore the order of the answers and "
    "their length as such."
)
_VERDICT = re.compile(r"verdict\s*[:\-]?\s*[*`\"']*\s*(A|B|tie)\b", re.I)


def judge_prompt(sample: EvalSample, first: str, second: str) -> str:
    """The judge's user message for one ordering of the two answers."""
    question = (
        "\n\n".join(f"[{m.role}]\n{m.text}" for m in sample.prompt)
        if len(sample.prompt) > 1
        else sample.prompt[-1].text
    )
    return (
        f"## Request\n{question}\n\n## Reference answer\n{sample.reference}\n\n"
        f"## Answer A\n{first}\n\n## Answer B\n{second}\n\n"
        "Compare A and B in at most three sentences, then end with exactly one line: "
        "`Verdict: A`, `Verdict: B` or `Verdict: tie`."
    )


def parse_verdict(text: str) -> Verdict:
    """The last verdict line of a judge's reply.

    >>> parse_verdict("A is wrong about nulls.\\nVerdict: B"), parse_verdict("**Verdict:** tie"), parse_verdict("B")
    ('B', 'tie', 'B')
    >>> parse_verdict("Both are fine.")
    'unreadable'
    """
    found = _VERDICT.findall(text)
    word = found[-1].upper() if found else text.strip().strip("*`.\"' ").upper()
    if word == "A":
        return "A"
    if word == "B":
        return "B"
    return "tie" if word == "TIE" else "unreadable"


def combine(tuned_first: Verdict, base_first: Verdict) -> Outcome:
    """The outcome for the tuned answer from the two orderings (tuned is A in the first, B in the second).

    >>> combine("A", "B"), combine("B", "A"), combine("A", "A"), combine("tie", "B"), combine("A", "unreadable")
    ('win', 'loss', 'tie', 'tie', 'tie')
    """
    if tuned_first == "A" and base_first == "B":
        return "win"
    if tuned_first == "B" and base_first == "A":
        return "loss"
    return "tie"


@dataclass(frozen=True)
class Judgement:
    outcome: Outcome
    verdicts: tuple[Verdict, Verdict]  # (tuned shown first, base shown first)
    replies: tuple[str, str]


def judge_pair(
    judge: ChatModel, sample: EvalSample, tuned: str, base: str, options: GenerationOptions
) -> Judgement:
    """Judge one pair twice, swapping the order."""
    settings = replace(options, temperature=0.0)  # a judge should not be creative
    replies = []
    for first, second in ((tuned, base), (base, tuned)):
        message = Message("user", judge_prompt(sample, first, second))
        replies.append(judge.generate([message], system=JUDGE_SYSTEM, options=settings).text)
    verdicts = (parse_verdict(replies[0]), parse_verdict(replies[1]))
    return Judgement(combine(*verdicts), verdicts, (replies[0], replies[1]))


def tally(outcomes: list[str]) -> dict[str, int]:
    """Win/tie/loss counts.

    >>> tally(["win", "tie", "win"])
    {'win': 2, 'tie': 1, 'loss': 0}
    """
    return {key: outcomes.count(key) for key in ("win", "tie", "loss")}

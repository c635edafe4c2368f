"""The teacher in ``prepare``: which undocumented units it is asked about, what that costs, and where the
examples it made up go.

The rules (the teacher itself is :mod:`codetune.strategies.teacher`):

- **Which units**: every kept unit (after dedup) that a strategy skipped as ``no_javadoc`` has a question;
  the first ``strategy.teacher.max_units`` of them in file order are taught. With
  ``strategy.teacher.in_validation: false`` (the default) units whose group is in validation are left out,
  so validation keeps measuring against the codebase's own documentation; the split is then made from
  the codebase's own examples alone, so it is the same with or without the teacher.
- **Cost first**: the units not answered yet (the cache has the rest) are counted, their tokens estimated
  and priced, and the caller's ``confirm`` sees that estimate before a request is sent (a paid teacher
  only); it raises to refuse.
- **Deterministic**: the examples depend only on the cache and the config: the same cache gives the same
  files, and a rerun with every answer cached sends nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codetune.dataset.split import Split
    from codetune.records import Example
    from codetune.spend import SpendEstimate
    from codetune.strategies.teacher import Question, Teacher, TeacherRun

Progress = Callable[[str, int, int | None], None]
Confirm = Callable[["TeachingPlan"], None]  # sees the plan before anything is sent; raises to refuse


def is_taught(example: Example) -> bool:
    return example.meta.get("source") == "teacher"


@dataclass
class TeachingPlan:
    """The units chosen for the teacher, those not answered yet, and what asking them costs."""

    chosen: list[Question]
    pending: list[Question]
    left_out: Counter[str]  # units not taught, by reason (validation_group, over_max_units)
    estimate: SpendEstimate | None = None

    def rows(self) -> list[tuple[str, str]]:
        """What the user confirms: the units, and the requests, tokens and cost of the pending ones."""
        rows = [
            (
                "undocumented units to teach",
                f"{len(self.chosen):,} ({len(self.chosen) - len(self.pending):,} cached)",
            ),
            (
                "left out",
                ", ".join(f"{reason} {count:,}" for reason, count in sorted(self.left_out.items())) or "none",
            ),
        ]
        scrubbed = Counter[str]()
        for question in self.pending:
            scrubbed.update(question.scrubbed)
        rows.append(
            (
                "secrets scrubbed from the prompts",
                ", ".join(f"{kind} {count}" for kind, count in sorted(scrubbed.items())) or "none found",
            )
        )
        if self.estimate is not None:
            rows += self.estimate.rows()
        return rows


def choose(
    questions: Iterable[Question], *, max_units: int, validation_groups: set[str] | None
) -> tuple[list[Question], Counter[str]]:
    """The questions to teach, in the given (file) order: one per unit, none from ``validation_groups``
    (None: every group may be taught), at most ``max_units``; and the others counted by reason.

    >>> from codetune.strategies.teacher import Question
    >>> asked = [Question(f"u{i}", "V" if i == 0 else "T", "p", f"k{i}") for i in range(4)]
    >>> chosen, left_out = choose(asked, max_units=2, validation_groups={"V"})
    >>> [q.unit_id for q in chosen], dict(left_out)
    (['u1', 'u2'], {'validation_group': 1, 'over_max_units': 1})
    """
    chosen: list[Question] = []
    left_out: Counter[str] = Counter()
    seen: set[str] = set()
    for question in questions:
        if question.unit_id in seen:
            continue
        seen.add(question.unit_id)
        if validation_groups is not None and question.group in validation_groups:
            left_out["validation_group"] += 1
        elif len(chosen) >= max_units:
            left_out["over_max_units"] += 1
        else:
            chosen.append(question)
    return chosen, left_out


def plan(
    teacher: Teacher, questions: Iterable[Question], *, validation_groups: set[str] | None
) -> TeachingPlan:
    """Choose the units (see :func:`choose`), find those not answered yet, and price asking them."""
    from codetune.backends.vertex_models import thinking_budget_for
    from codetune.spend import PlannedRequests, estimate_spend
    from codetune.strategies.teacher import TEACHER_SYSTEM, AnswerCache
    from codetune.tokens import estimate_tokens

    settings = teacher.settings
    chosen, left_out = choose(questions, max_units=settings.max_units, validation_groups=validation_groups)
    cache = AnswerCache(teacher.lookup.cache_dir)
    pending = [question for question in chosen if cache.get(question.key) is None]
    result = TeachingPlan(chosen, pending, left_out)
    if pending:
        system_tokens = estimate_tokens(TEACHER_SYSTEM)
        thinking = thinking_budget_for(settings.model, 0) or 0  # what a model that cannot stop thinking adds
        planned = PlannedRequests(
            f"teacher ({settings.backend})",
            settings.model,
            len(pending),
            sum(system_tokens + estimate_tokens(q.prompt) for q in pending),
            len(pending) * max(settings.max_output_tokens, thinking),
        )
        result.estimate = estimate_spend(teacher.config, [planned])
    return result


@dataclass
class TeachingOutcome:
    """What the teacher did in one prepare, for the report."""

    model: str
    plan: TeachingPlan
    run: TeacherRun | None = None
    unusable: Counter[str] = field(default_factory=Counter)  # answers that gave no usable Javadoc
    examples: Counter[str] = field(default_factory=Counter)  # teacher-written examples kept, by strategy
    left_out_of_validation: int = 0  # taught examples whose group is in validation (answers cached earlier)

    def report(self) -> dict[str, Any]:
        run = self.run
        return {
            "model": self.model,
            "units_chosen": len(self.plan.chosen),
            "asked_now": run.sent if run else 0,
            "answered_now": run.answered if run else 0,
            "from_cache": len(self.plan.chosen) - len(self.plan.pending),
            "failed": dict(sorted(run.failed.items())) if run else {},
            "unusable_answers": dict(sorted(self.unusable.items())),
            "left_out": dict(sorted(self.plan.left_out.items())),
            "examples": dict(sorted(self.examples.items())),
            "left_out_of_validation": self.left_out_of_validation,
            "secrets_scrubbed_from_prompts": dict(sorted(run.scrubbed.items())) if run else {},
        }


def teach(
    teacher: Teacher, plan: TeachingPlan, *, confirm: Confirm | None, progress: Progress | None
) -> TeacherRun:
    """Ask the pending questions after the caller confirmed the plan (a paid teacher); cache the answers."""
    from codetune.strategies.teacher import AnswerCache, ask

    if teacher.paid and confirm is not None:
        confirm(plan)
    settings = teacher.settings
    return ask(
        teacher.chat_model(),
        plan.pending,
        AnswerCache(teacher.lookup.cache_dir),
        concurrency=settings.concurrency,
        max_output_tokens=settings.max_output_tokens,
        progress=progress,
    )


def place(split: Split, taught: Sequence[Example], *, seed: int) -> list[Example]:
    """Put the teacher's examples into a split made from the codebase's own examples: into train, unless
    their group is in validation (answers cached by an earlier run with other settings). Returns those left
    out. Train stays in its shuffled order."""
    from codetune.dataset.split import example_order

    validation_groups = set(split.validation_group_names)
    left_out = [example for example in taught if example.group in validation_groups]
    split.train.extend(example for example in taught if example.group not in validation_groups)
    split.train.sort(key=lambda e: example_order(e.id, seed))
    split.train_groups = len({e.group for e in split.train})  # groups only the teacher documented
    return left_out

"""The metric table: one row per (strategy, metric), each a comparison of paired per-sample values.

Each metric takes one value per sample and side, as a (numerator, denominator) pair (see
:mod:`codetune.eval.stats`): the score of a mean metric, the counts of a micro-averaged one. A sample
counts in a row when every side has a value for it (a compile check the reference failed has none),
so ``n`` is the number of paired samples behind the row, and tuned and base are always measured on
the same prompts. Held-out loss comes from outside the answers: the mean NLL of each validation
reference under each side's model, over the whole validation set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from codetune.eval import stats
from codetune.eval.metrics import words
from codetune.eval.samples import EvalSample

EXPLANATION, GENERATION, REVIEW = "code_explanation", "code_generation", "code_review"
ALL = "all"
HELDOUT_LOSS = "heldout_loss"
TRUNCATED_REASONS = frozenset({"MAX_TOKENS", "length", "max_tokens"})

Row = dict[str, Any]  # a saved answer: text, latency_seconds, output_tokens, finish_reason, scores
Losses = Mapping[tuple[str, str], Mapping[str, float]]  # (sample id, side) -> {"loss", "tokens"}


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    higher_is_better: bool | None  # None: no good direction, no verdict
    unit: str
    strategies: frozenset[str]  # where the metric is reported; ALL: over every answer
    value: Callable[[Row], stats.Pair | None] | None = None  # from a saved answer (None: from elsewhere)


def _score(key: str, scale: float = 1.0) -> Callable[[Row], stats.Pair | None]:
    def value(row: Row) -> stats.Pair | None:
        found = row.get("scores", {}).get(key)
        return None if found is None else (scale * float(found), 1.0)

    return value


def _counts(numerator: str, denominator: str) -> Callable[[Row], stats.Pair | None]:
    """A micro-averaged percentage: the sample's counts, pooled over samples."""

    def value(row: Row) -> stats.Pair | None:
        scores = row.get("scores", {})
        if scores.get(numerator) is None or scores.get(denominator) is None:
            return None
        return 100.0 * float(scores[numerator]), float(scores[denominator])

    return value


def _recall(row: Row) -> stats.Pair | None:
    pair = _counts("named", "findings")(row)
    return pair if pair is not None and pair[1] > 0 else None  # only references with findings count


def _answer_words(row: Row) -> stats.Pair:
    return float(len(words(row.get("text") or ""))), 1.0


def _latency(row: Row) -> stats.Pair | None:
    seconds = row.get("latency_seconds")
    return None if seconds is None else (float(seconds), 1.0)


def _output_tokens(row: Row) -> stats.Pair | None:
    tokens = row.get("output_tokens")
    return None if tokens is None else (float(tokens), 1.0)


def _truncated(row: Row) -> stats.Pair | None:
    if "finish_reason" not in row:  # answers from a file: how they ended is not known
        return None
    return (100.0 if row["finish_reason"] in TRUNCATED_REASONS else 0.0), 1.0


_EVERY = frozenset({EXPLANATION, GENERATION, REVIEW, "unknown"})
METRICS: tuple[Metric, ...] = (
    Metric(
        "text_score",
        "text score (ROUGE-L F1)",
        True,
        "",
        frozenset({EXPLANATION, "unknown"}),
        _score("text_score"),
    ),
    Metric(
        "bleu", "BLEU-4 (smoothed, per sample)", True, "", frozenset({EXPLANATION, "unknown"}), _score("bleu")
    ),
    Metric("parse_rate", "parses (tree-sitter)", True, "%", frozenset({GENERATION}), _score("parses", 100.0)),
    Metric(
        "compile_rate",
        "compiles in place (javac)",
        True,
        "%",
        frozenset({GENERATION}),
        _score("compiles", 100.0),
    ),
    Metric(
        "similarity",
        "similarity to reference",
        True,
        "%",
        frozenset({GENERATION}),
        _score("similarity", 100.0),
    ),
    Metric("findings_recall", "findings recall", True, "%", frozenset({REVIEW}), _recall),
    Metric(
        "findings_precision",
        "findings precision",
        True,
        "%",
        frozenset({REVIEW}),
        _counts("matched", "answer_findings"),
    ),
    Metric(
        "clean_correct",
        "clean code left clean",
        True,
        "%",
        frozenset({REVIEW}),
        _score("clean_correct", 100.0),
    ),
    Metric("answer_words", "answer length (words)", None, "", _EVERY, _answer_words),
    Metric("latency", "latency per answer", None, "s", frozenset({ALL}), _latency),
    Metric("output_tokens", "output tokens per answer", None, "", frozenset({ALL}), _output_tokens),
    Metric("truncated", "answers cut at max tokens", False, "%", frozenset({ALL}), _truncated),
)
HELDOUT = Metric(HELDOUT_LOSS, "held-out loss (NLL per reference token)", False, "", _EVERY | {ALL})


def _paired(
    chosen: Sequence[EvalSample], sides: Sequence[str], value: Callable[[EvalSample, str], stats.Pair | None]
) -> tuple[list[EvalSample], list[list[stats.Pair]]]:
    """The samples where every side has a value, and each side's values for them."""
    kept: list[EvalSample] = []
    per_side: list[list[stats.Pair]] = [[] for _ in sides]
    for sample in chosen:
        values = [value(sample, side) for side in sides]
        if any(v is None for v in values):
            continue
        kept.append(sample)
        for column, found in zip(per_side, values, strict=True):
            column.append(found)  # type: ignore[arg-type]  # None filtered above
    return kept, per_side


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def comparison_row(
    strategy: str, metric: Metric, sides: Sequence[str], per_side: list[list[stats.Pair]], seed: int
) -> Row:
    """A table row: each side's value, and with two sides the difference, its interval and verdict."""
    row: Row = {
        "strategy": strategy,
        "metric": metric.name,
        "label": metric.label,
        "higher_is_better": metric.higher_is_better,
        "unit": metric.unit,
        "n": len(per_side[0]),
    }
    if len(sides) == 2:
        result = stats.compare(per_side[0], per_side[1], metric.higher_is_better, seed=seed)
        row[sides[0]], row[sides[1]] = _round(result.first), _round(result.second)
        row["diff"] = _round(result.diff)
        row["ci95"] = [_round(x) for x in result.ci95] if result.ci95 is not None else None
        row["verdict"] = result.verdict
    else:
        for side, values in zip(sides, per_side, strict=True):
            row[side] = _round(stats.ratio(values))
        row.update(diff=None, ci95=None, verdict=None)
    return row


def metric_table(
    samples: Sequence[EvalSample],
    results: Mapping[tuple[str, str], Row],
    sides: Sequence[str],
    *,
    heldout: Losses | None = None,
    validation: Sequence[EvalSample] | None = None,
    seed: int = stats.SEED,
) -> list[Row]:
    """Rows ``{strategy, metric, label, higher_is_better, unit, n, <side>: value, diff, ci95, verdict}``
    (``diff`` is the first side minus the second: tuned - base), per strategy and then over all
    answers. ``heldout`` adds ``heldout_loss`` rows from per-sample losses of ``validation`` (default:
    ``samples``) keyed by (sample id, side)."""
    population = list(validation if validation is not None else samples)
    strategies = sorted(
        {s.strategy for s in samples} | ({s.strategy for s in population} if heldout else set())
    )
    rows: list[Row] = []

    def answer_value(metric: Metric) -> Callable[[EvalSample, str], stats.Pair | None]:
        def value(sample: EvalSample, side: str) -> stats.Pair | None:
            row = results.get((sample.id, side))
            return metric.value(row) if row is not None and metric.value is not None else None

        return value

    def loss_value(sample: EvalSample, side: str) -> stats.Pair | None:
        found = heldout.get((sample.id, side)) if heldout is not None else None
        if not found or not found.get("tokens"):
            return None
        return float(found["loss"]) * float(found["tokens"]), float(found["tokens"])

    for strategy in [*strategies, ALL]:
        chosen = [s for s in samples if strategy in (ALL, s.strategy)]
        if heldout is not None:
            everyone = [s for s in population if strategy in (ALL, s.strategy)]
            kept, per_side = _paired(everyone, sides, loss_value)
            if kept:
                rows.append(comparison_row(strategy, HELDOUT, sides, per_side, seed))
        for metric in METRICS:
            if strategy not in metric.strategies:
                continue
            kept, per_side = _paired(chosen, sides, answer_value(metric))
            if not kept:
                continue
            row = comparison_row(strategy, metric, sides, per_side, seed)
            if metric.name == "answer_words":
                row["reference"] = _round(sum(len(words(s.reference)) for s in kept) / len(kept))
            if metric.name == "compile_rate":
                row["not_checkable"] = compile_counts(chosen, results, sides)["not_checkable"]
            rows.append(row)
    return rows


def compile_counts(
    samples: Sequence[EvalSample], results: Mapping[tuple[str, str], Row], sides: Sequence[str]
) -> dict[str, Any]:
    """How many generation samples javac checked, how many were not checkable (the reference does not
    compile in place, or its source file is missing) with the reasons, and how many it could not check
    at all (no javac)."""
    counts: dict[str, Any] = {"checked": 0, "not_checkable": 0, "unavailable": 0}
    reasons: dict[str, int] = {}
    for sample in samples:
        if sample.strategy != GENERATION:
            continue
        scored = [results[(sample.id, side)]["scores"] for side in sides if (sample.id, side) in results]
        statuses = {scores.get("compile") for scores in scored}
        if "not_checkable" in statuses:
            counts["not_checkable"] += 1
            why = next(
                s.get("compile_errors") or ["?"] for s in scored if s.get("compile") == "not_checkable"
            )
            reason = str(why[0]).split(":", 1)[0]  # "source file not found", "the reference does not ..."
            reasons[reason] = reasons.get(reason, 0) + 1
        elif "unavailable" in statuses:
            counts["unavailable"] += 1
        elif statuses and None not in statuses and "skipped" not in statuses:
            counts["checked"] += 1
    if reasons:
        counts["reasons"] = dict(sorted(reasons.items(), key=lambda item: -item[1]))
    return counts


def findings_by_kind(
    samples: Sequence[EvalSample],
    results: Mapping[tuple[str, str], Row],
    sides: Sequence[str],
    *,
    seed: int = stats.SEED,
) -> list[Row]:
    """Findings recall and precision per finding kind (a review check, or ``other``), rows like the
    table's plus ``kind``."""
    reviews = [s for s in samples if s.strategy == REVIEW]
    kinds = sorted(
        {
            kind
            for sample in reviews
            for side in sides
            for kind in (results.get((sample.id, side)) or {}).get("scores", {}).get("by_kind", {})
        }
    )
    rows: list[Row] = []
    for kind in kinds:
        for name, label, numerator, denominator in (
            ("findings_recall", "recall", 1, 0),
            ("findings_precision", "precision", 3, 2),
        ):
            kept, per_side = _paired(reviews, sides, _kind_counts(results, kind, numerator, denominator))
            # Only samples where the kind occurs (in the reference for recall, in an answer for precision).
            keep = [i for i in range(len(kept)) if any(column[i][1] > 0 for column in per_side)]
            if not keep:
                continue
            metric = Metric(name, f"{kind}: {label}", True, "%", frozenset({REVIEW}))
            chosen = [[column[i] for i in keep] for column in per_side]
            rows.append({**comparison_row(REVIEW, metric, sides, chosen, seed), "kind": kind})
    return rows


def _kind_counts(
    results: Mapping[tuple[str, str], Row], kind: str, numerator: int, denominator: int
) -> Callable[[EvalSample, str], stats.Pair | None]:
    """A sample's counts for one finding kind (``by_kind`` holds [expected, named, answered, matched])."""

    def value(sample: EvalSample, side: str) -> stats.Pair | None:
        row = results.get((sample.id, side))
        if row is None or "by_kind" not in row.get("scores", {}):
            return None
        counts = row["scores"]["by_kind"].get(kind, [0, 0, 0, 0])
        return 100.0 * counts[numerator], float(counts[denominator])

    return value


def small_strategies(samples: Sequence[EvalSample], minimum: int = stats.SMALL_SAMPLE) -> dict[str, int]:
    """Strategies with fewer than ``minimum`` evaluated samples: strategy -> count."""
    counts: dict[str, int] = {}
    for sample in samples:
        counts[sample.strategy] = counts.get(sample.strategy, 0) + 1
    return {strategy: count for strategy, count in sorted(counts.items()) if count < minimum}

"""Which checkpoint is best: the metric-by-checkpoint table and the rule that names the best one.

**The rule** (``testing.checkpoint_metric``): one metric of the evaluation table, or ``judge_win_rate`` (the
pairwise judge against the base model: wins plus half the ties). ``auto`` takes the judge's win rate when a
judge is set, else the generation compile rate, else the explanation text score, the first of them that
was measured. The checkpoint with the highest value is best (the lowest, for a metric where lower is
better); a tie goes to the earlier checkpoint. When the paired bootstrap interval of best minus another
checkpoint includes 0, the two cannot be told apart on this sample, and the result says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codetune.errors import ConfigError

if TYPE_CHECKING:
    from codetune.config import Config
    from codetune.eval.samples import EvalSample
    from codetune.job_state import Checkpoint

BASE = "base"
JUDGE_WIN_RATE = "judge_win_rate"
AUTO_ORDER = (JUDGE_WIN_RATE, "compile_rate", "text_score")
OUTCOME_VALUE = {"win": 100.0, "tie": 50.0, "loss": 0.0}  # a judged sample's share of a win, in %


def side_name(point: Checkpoint) -> str:
    """
    >>> side_name({"checkpoint_id": "2", "epoch": 2, "step": 40, "endpoint": "e"})
    'checkpoint 2'
    """
    return f"checkpoint {point['checkpoint_id']}"


@dataclass(frozen=True)
class Criterion:
    """The metric that names the best checkpoint, and the table row it is read from."""

    metric: str
    label: str
    strategy: str
    higher_is_better: bool
    unit: str


def criteria() -> dict[str, Criterion]:
    """Every metric the best checkpoint can be chosen by: those of the table with a good direction, and the
    judge's win rate."""
    from codetune.eval.samples import UNKNOWN_STRATEGY
    from codetune.eval.table import ALL, METRICS

    found = {JUDGE_WIN_RATE: Criterion(JUDGE_WIN_RATE, "judge win rate vs base", ALL, True, "%")}
    for metric in METRICS:
        if metric.higher_is_better is None or metric.value is None:
            continue
        strategies = sorted(metric.strategies - {UNKNOWN_STRATEGY})
        strategy = strategies[0] if len(strategies) == 1 else ALL
        found[metric.name] = Criterion(
            metric.name, metric.label, strategy, metric.higher_is_better, metric.unit
        )
    return found


def criteria_for(config: Config) -> tuple[list[Criterion], bool]:
    """The criteria to try in order, and whether the choice is ``auto``."""
    known = criteria()
    wanted = config.testing.checkpoint_metric
    if wanted == "auto":
        return [known[name] for name in AUTO_ORDER], True
    if wanted not in known:
        raise ConfigError(
            f"testing.checkpoint_metric '{wanted}' is not a metric the best checkpoint can be chosen by",
            hint=f"use auto or one of: {', '.join(sorted(known))}",
        )
    return [known[wanted]], False


def checkpoint_rows(
    samples: list[EvalSample],
    results: dict[tuple[str, str], dict[str, Any]],
    sides: list[str],
    judged: dict[str, dict[str, str]],
) -> list[dict[str, Any]]:
    """One row per (strategy, metric): the base model's value and, per checkpoint side, its value, the
    difference from the base model with its 95% interval and the verdict; ``n`` paired samples. With
    judgements (side -> sample id -> outcome), a ``judge_win_rate`` row (difference from 50%)."""
    from codetune.eval import stats
    from codetune.eval.table import ALL, metric_table

    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for side in sides:
        for row in metric_table(samples, results, (side, BASE)):
            entry = rows.setdefault(
                (row["strategy"], row["metric"]),
                {key: row[key] for key in ("strategy", "metric", "label", "higher_is_better", "unit")}
                | {"n": row["n"], BASE: row[BASE], "checkpoints": {}},
            )
            entry["n"] = min(entry["n"], row["n"])
            entry["checkpoints"][side] = {k: row[k] for k in (side, "diff", "ci95", "verdict")} | {
                "n": row["n"]
            }
            entry["checkpoints"][side]["value"] = entry["checkpoints"][side].pop(side)
    ordered = list(rows.values())
    if judged:
        entry = {
            "strategy": ALL,
            "metric": JUDGE_WIN_RATE,
            "label": "judge win rate vs base (wins + half the ties)",
            "higher_is_better": True,
            "unit": "%",
            BASE: None,
            "checkpoints": {},
        }
        counts = []
        for side in sides:
            values = [(OUTCOME_VALUE[outcome], 1.0) for outcome in judged.get(side, {}).values()]
            if not values:
                continue
            result = stats.compare(values, [(50.0, 1.0)] * len(values), True)
            entry["checkpoints"][side] = {
                "value": _round(result.first),
                "diff": _round(result.diff),
                "ci95": [_round(x) for x in result.ci95] if result.ci95 else None,
                "verdict": result.verdict,
                "n": len(values),
            }
            counts.append(len(values))
        entry["n"] = min(counts) if counts else 0
        ordered.insert(0, entry)
    return ordered


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def choose_best(
    rows: list[dict[str, Any]],
    order: list[Criterion],
    sides: list[str],
    *,
    distinguishable: Callable[[Criterion, str, str], bool],
) -> tuple[Criterion, str, list[str]] | None:
    """The first criterion with values, the best side by it (ties: the earlier side), and the sides it
    cannot be told apart from; None when no criterion was measured.

    >>> rows = [{"strategy": "code_generation", "metric": "compile_rate",
    ...          "checkpoints": {"checkpoint 1": {"value": 50.0}, "checkpoint 2": {"value": 75.0},
    ...                          "checkpoint 3": {"value": 75.0}}}]
    >>> rule = [Criterion("judge_win_rate", "w", "all", True, "%"),
    ...         Criterion("compile_rate", "c", "code_generation", True, "%")]
    >>> chosen, best, close = choose_best(rows, rule, ["checkpoint 1", "checkpoint 2", "checkpoint 3"],
    ...                                   distinguishable=lambda c, a, b: b == "checkpoint 1")
    >>> chosen.metric, best, close
    ('compile_rate', 'checkpoint 2', ['checkpoint 3'])
    """
    for criterion in order:
        row = next(
            (r for r in rows if (r["strategy"], r["metric"]) == (criterion.strategy, criterion.metric)), None
        )
        if row is None:
            continue
        values = {s: row["checkpoints"].get(s, {}).get("value") for s in sides}
        measured = [s for s in sides if values[s] is not None]
        if not measured:
            continue
        sign = 1.0 if criterion.higher_is_better else -1.0
        best = max(measured, key=lambda s: (sign * values[s], -sides.index(s)))
        close = [s for s in measured if s != best and not distinguishable(criterion, best, s)]
        return criterion, best, close
    return None


def rule_text(criterion: Criterion, auto: bool) -> str:
    """The rule in words, for the record and the report.

    >>> rule_text(Criterion("compile_rate", "compiles in place (javac)", "code_generation", True, "%"), True)
    'highest compiles in place (javac) (code_generation) of the checkpoints; ties go to the earlier one (testing.checkpoint_metric auto: judge win rate, else compile rate, else text score)'
    """
    word = "highest" if criterion.higher_is_better else "lowest"
    text = f"{word} {criterion.label} ({criterion.strategy}) of the checkpoints; ties go to the earlier one"
    if auto:
        text += " (testing.checkpoint_metric auto: judge win rate, else compile rate, else text score)"
    return text


def distinguishable(
    criterion: Criterion,
    best: str,
    other: str,
    samples: list[EvalSample],
    results: dict[tuple[str, str], dict[str, Any]],
    judged: dict[str, dict[str, str]],
) -> bool:
    """True when the paired bootstrap interval of best minus other excludes 0 on the criterion's metric."""
    from codetune.eval import stats
    from codetune.eval.table import metric_table

    if criterion.metric == JUDGE_WIN_RATE:
        shared = [s.id for s in samples if s.id in judged.get(best, {}) and s.id in judged.get(other, {})]
        first = [(OUTCOME_VALUE[judged[best][i]], 1.0) for i in shared]
        second = [(OUTCOME_VALUE[judged[other][i]], 1.0) for i in shared]
        return stats.compare(first, second, True).verdict in (stats.BETTER, stats.WORSE)
    rows = metric_table(samples, results, (best, other))
    row = next(
        (r for r in rows if (r["strategy"], r["metric"]) == (criterion.strategy, criterion.metric)), None
    )
    return row is not None and row["verdict"] in (stats.BETTER, stats.WORSE)

"""`codetune eval --checkpoints`: every intermediate checkpoint of a tuning job against the base model, on the
same validation sample and with the same metrics as the tuned-vs-base evaluation; the best one named by a
stated rule and recorded in the job record, where ``codetune test`` finds it.

Steps: the checkpoints (each deployed to its own endpoint) and the base model answer the sampled prompts
(:func:`codetune.eval.evaluate.evaluate`: each model's requests concurrent, 429s retried with backoff,
answers saved as they come so an interrupted run continues); with a judge, each checkpoint's answer is
judged against the base model's in both orders; each checkpoint is compared with the base model by the
metric table (:mod:`codetune.eval.table`: paired bootstrap intervals and verdicts).

**The rule** (``testing.checkpoint_metric``): one metric of the table, or ``judge_win_rate`` (wins plus
half the ties, against the base model). ``auto`` takes the judge's win rate when a judge is set, else the
generation compile rate, else the explanation text score, the first of them that was measured. The
checkpoint with the highest value is best (lowest, for a metric where lower is better); a tie goes to the
earlier checkpoint. When the paired bootstrap interval of best-minus-other includes 0 for another
checkpoint, the two cannot be told apart on this sample, and the result says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.errors import ConfigError, InputError

if TYPE_CHECKING:
    from codetune.backends.base import ChatModel, GenerationOptions
    from codetune.chat import Target
    from codetune.config import Config
    from codetune.eval.samples import EvalSample
    from codetune.job_state import Checkpoint
    from codetune.jobs import JobRecord
    from codetune.spend import SpendEstimate

Progress = Callable[[str, int, int | None], None]
Confirm = Callable[["SpendEstimate"], None]  # sees the estimate before anything is sent; raises to refuse
BASE = "base"
JUDGE_WIN_RATE = "judge_win_rate"
JUDGEMENTS_NAME = "judgements.jsonl"
AUTO_ORDER = (JUDGE_WIN_RATE, "compile_rate", "text_score")
_OUTCOME_VALUE = {"win": 100.0, "tie": 50.0, "loss": 0.0}


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


def _criterion(config: Config) -> tuple[list[Criterion], bool]:
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


def _checkpoints(target: Target) -> tuple[JobRecord, list[Checkpoint]]:
    record = target.record
    if record is None:
        raise InputError(
            f"{target.label} has no job record here, so its checkpoints are not known",
            hint="pass -m with the job id (codetune jobs lists jobs and their checkpoints)",
        )
    if not record.checkpoints:
        raise InputError(
            f"job {record.id} has no intermediate checkpoints to evaluate",
            hint="Vertex AI jobs export them unless training.export_last_checkpoint_only is true; "
            "evaluate the tuned model with: codetune eval -m " + record.id,
        )
    return record, list(record.checkpoints)


@dataclass
class CheckpointEval:
    """What `codetune eval --checkpoints` found (the CLI renders it)."""

    record: JobRecord
    checkpoints: list[Checkpoint]
    rows: list[dict[str, Any]]  # metric by checkpoint: see :func:`checkpoint_rows`
    best: dict[str, Any] | None  # as recorded in the job record (None: no metric to decide by)
    why_no_best: str | None
    served_by_default: str | None  # the checkpoint id the service serves (the job's endpoint)
    samples: int
    html: Path
    json: Path
    resumed: int
    seconds: float


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
            values = [(_OUTCOME_VALUE[outcome], 1.0) for outcome in judged.get(side, {}).values()]
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


def _judge_all(
    judge: ChatModel,
    samples: list[EvalSample],
    results: dict[tuple[str, str], dict[str, Any]],
    sides: list[str],
    *,
    options: GenerationOptions,
    out_dir: Path,
    key: str,
    concurrency: int,
    progress: Progress | None,
) -> tuple[dict[str, dict[str, str]], int]:
    """Each checkpoint's answer against the base model's, judged in both orders, ``concurrency`` pairs at a
    time; saved as they come (``judgements.jsonl``) so a rerun judges only what is missing. Returns
    side -> sample id -> outcome, and how many were reused."""
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    from codetune.errors import CodetuneError
    from codetune.eval.evaluate import ResultLog
    from codetune.eval.judge import judge_pair
    from codetune.io import fingerprint

    log = ResultLog(out_dir / JUDGEMENTS_NAME, fingerprint([key, judge.name]))
    judged: dict[str, dict[str, str]] = {side: {} for side in sides}
    for row in log.load():
        judged.setdefault(row["side"], {})[row["sample"]] = row["outcome"]
    reused = sum(len(found) for found in judged.values())
    todo = [(side, s) for side in sides for s in samples if s.id not in judged[side]]
    total, done = len(sides) * len(samples), reused
    failure: CodetuneError | None = None
    waiting = iter(todo)
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="judge") as pool:
        running: dict[Future[Any], tuple[str, EvalSample]] = {}

        def start_next() -> None:
            item = next(waiting, None)
            if item is not None:
                side, sample = item
                answers = (results[(sample.id, side)]["text"], results[(sample.id, BASE)]["text"])
                running[pool.submit(judge_pair, judge, sample, *answers, options)] = item

        for _ in range(max(1, concurrency)):
            start_next()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                side, sample = running.pop(future)
                try:
                    verdict = future.result()
                except CodetuneError as exc:  # no new pairs; those in flight finish and are kept
                    failure = failure or exc
                    continue
                log.append(
                    {
                        "sample": sample.id,
                        "side": side,
                        "judge": judge.name,
                        "outcome": verdict.outcome,
                        "verdicts": list(verdict.verdicts),
                        "replies": list(verdict.replies),
                    }
                )
                judged[side][sample.id] = verdict.outcome
                done += 1
                if progress is not None:
                    progress("judging", done, total)
                if failure is None:
                    start_next()
    if failure is not None:
        raise type(failure)(
            f"judge: {failure.message}",
            hint=(failure.hint + "; " if failure.hint else "")
            + f"verdicts so far are kept in {log.path}: rerun to continue",
        ) from failure
    return judged, reused


def run_checkpoint_eval(
    config: Config,
    *,
    model: str | None = None,
    limit: int | None = None,
    judge: str | None = None,
    output: str | Path | None = None,
    confirm: Confirm | None = None,
    progress: Progress | None = None,
) -> CheckpointEval:
    """Evaluate every checkpoint of the job ``model`` names against the base model, name the best one and
    record it in the job record (see the module docstring)."""
    from codetune.backends import get_backend
    from codetune.chat import generation_options, open_judge, resolve_target
    from codetune.eval import runner
    from codetune.eval.cost import plan_eval
    from codetune.eval.evaluate import evaluate, settings_key
    from codetune.eval.report import write_report
    from codetune.eval.samples import load_samples, select
    from codetune.io import directory_lock, sha256_file
    from codetune.jobs import JobStore, utc_now

    started = time.monotonic()
    testing = config.testing
    target = resolve_target(config, model)
    record, checkpoints = _checkpoints(target)
    order, auto = _criterion(config)
    data_file = runner.validation_file(config, target)
    every = load_samples(data_file)
    chosen = select(every, limit if limit is not None else testing.eval_limit, seed=config.data.seed)
    options = generation_options(
        config, temperature=testing.eval_temperature, max_output_tokens=testing.eval_max_output_tokens
    )
    judge_options = replace(options, temperature=0.0, max_output_tokens=runner.JUDGE_MAX_TOKENS)
    judge_spec = judge or testing.judge_model
    if confirm is not None:
        estimate = plan_eval(
            config,
            target,
            chosen,
            judge=judge_spec,
            options=options,
            judge_options=judge_options,
            checkpoints=len(checkpoints),
        )
        if estimate is not None:
            confirm(estimate)
    if progress is not None:
        progress("loading models", 0, None)
    backend = get_backend(record.backend, config)
    sides = [side_name(point) for point in checkpoints]
    models: dict[str, ChatModel] = {
        side: backend.chat_model(point["endpoint"], record=record)
        for side, point in zip(sides, checkpoints, strict=True)
    }
    models[BASE] = backend.chat_model(None, record=record, base=True)
    judge_model = open_judge(config, judge_spec, target) if judge_spec else None
    out_dir = Path(output) if output else runner.output_dir(config, target) / "checkpoints"
    data_hash = sha256_file(data_file)
    with directory_lock(out_dir, "codetune eval --checkpoints"):
        evaluation = evaluate(
            chosen,
            models,
            options=options,
            out_dir=out_dir,
            context=runner.score_context(config, data_file),
            data_hash=data_hash,
            default_system=target.system,
            progress=progress,
        )
        judged: dict[str, dict[str, str]] = {}
        reused = 0
        if judge_model is not None:
            judged, reused = _judge_all(
                judge_model,
                chosen,
                evaluation.results,
                sides,
                options=judge_options,
                out_dir=out_dir,
                key=settings_key(models, chosen, options, data_hash),
                concurrency=testing.eval_concurrency,
                progress=progress,
            )
    rows = checkpoint_rows(chosen, evaluation.results, sides, judged)

    def distinguishable(criterion: Criterion, best: str, other: str) -> bool:
        return _distinguishable(criterion, best, other, chosen, evaluation.results, judged)

    picked = choose_best(
        rows,
        order if judged else [c for c in order if c.metric != JUDGE_WIN_RATE],
        sides,
        distinguishable=distinguishable,
    )
    served = next((p["checkpoint_id"] for p in checkpoints if p["endpoint"] == record.endpoint), None)
    report = runner.report_body(
        chosen,
        evaluation.results,
        title=f"codetune eval --checkpoints: {record.id}",
        models={side: m.name for side, m in models.items()},
        data_file=data_file,
        total_examples=len(every),
        settings={
            "temperature": options.temperature,
            "max_output_tokens": options.max_output_tokens,
            "thinking_budget": options.thinking_budget,
            "limit": len(chosen),
            "seed": config.data.seed,
        },
    )
    html, json_path = out_dir / "report.html", out_dir / "report.json"
    best, why_no_best = None, None
    if picked is None:
        why_no_best = "none of " + ", ".join(c.metric for c in order) + " was measured on this sample"
    else:
        criterion, side, close = picked
        point = checkpoints[sides.index(side)]
        row = next(r for r in rows if (r["strategy"], r["metric"]) == (criterion.strategy, criterion.metric))
        best = {
            "checkpoint_id": point["checkpoint_id"],
            "endpoint": point["endpoint"],
            "epoch": point["epoch"],
            "step": point["step"],
            "metric": criterion.metric,
            "metric_label": criterion.label,
            "strategy": criterion.strategy,
            "value": row["checkpoints"][side]["value"],
            "unit": criterion.unit,
            "n": row["checkpoints"][side]["n"],
            "rule": rule_text(criterion, auto),
            "indistinguishable_from": [checkpoints[sides.index(s)]["checkpoint_id"] for s in close],
            "served_by_default": served,
            "judge": judge_model.name if judge_model is not None else None,
            "report": str(json_path),
            "evaluated_at": utc_now(),
        }
    report.update(
        job=record.id,
        backend=record.backend,
        checkpoints=[dict(p) for p in checkpoints],
        checkpoint_table=rows,
        best_checkpoint=best,
        why_no_best=why_no_best,
        served_by_default=served,
        judge=None,
    )
    write_report(report, out_dir)
    store = JobStore(config.paths.runs_dir)
    record.best_checkpoint = best
    store.save(record)
    return CheckpointEval(
        record,
        checkpoints,
        rows,
        best,
        why_no_best,
        served,
        len(chosen),
        html,
        json_path,
        evaluation.resumed + reused,
        time.monotonic() - started,
    )


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


def _distinguishable(
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
        first = [(_OUTCOME_VALUE[judged[best][i]], 1.0) for i in shared]
        second = [(_OUTCOME_VALUE[judged[other][i]], 1.0) for i in shared]
        return stats.compare(first, second, True).verdict in (stats.BETTER, stats.WORSE)
    rows = metric_table(samples, results, (best, other))
    row = next(
        (r for r in rows if (r["strategy"], r["metric"]) == (criterion.strategy, criterion.metric)), None
    )
    return row is not None and row["verdict"] in (stats.BETTER, stats.WORSE)

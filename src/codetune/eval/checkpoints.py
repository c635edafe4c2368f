"""`codetune eval --checkpoints`: every intermediate checkpoint of a tuning job against the base model, on the
same validation sample and with the same metrics as the tuned-vs-base evaluation; the best one named by a
stated rule and recorded in the job record, where ``codetune test`` finds it.

Steps: the checkpoints (each deployed to its own endpoint) and the base model answer the sampled prompts
(:func:`codetune.eval.evaluate.evaluate`: each model's requests concurrent, 429s retried with backoff,
answers saved as they come so an interrupted run continues); with a judge, each checkpoint's answer is
judged against the base model's in both orders; each checkpoint is compared with the base model by the
metric table (:mod:`codetune.eval.table`: paired bootstrap intervals and verdicts).

The rule that names the best checkpoint, and the table, are in :mod:`codetune.eval.best`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.errors import InputError
from codetune.eval.best import (
    BASE,
    JUDGE_WIN_RATE,
    Criterion,
    checkpoint_rows,
    choose_best,
    criteria_for,
    distinguishable,
    rule_text,
    side_name,
)

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
    from codetune.eval.evaluate import JUDGEMENTS_NAME, ResultLog, with_resume_hint
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
        raise with_resume_hint(failure, "judge", log.path, "verdicts") from failure
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
    order, auto = criteria_for(config)
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

    def apart(criterion: Criterion, best: str, other: str) -> bool:
        return distinguishable(criterion, best, other, chosen, evaluation.results, judged)

    picked = choose_best(
        rows,
        order if judged else [c for c in order if c.metric != JUDGE_WIN_RATE],
        sides,
        distinguishable=apart,
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

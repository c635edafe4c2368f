"""`codetune eval` as one library call: resolve the model, sample the validation set, evaluate, report.

``codetune run`` calls :func:`run_eval` after training; the CLI only renders what it returns.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.errors import InputError

if TYPE_CHECKING:
    from codetune.chat import Target
    from codetune.config import Config
    from codetune.eval.evaluate import Evaluation
    from codetune.eval.samples import EvalSample
    from codetune.eval.scoring import ScoreContext
    from codetune.eval.table import Losses
    from codetune.spend import SpendEstimate

Progress = Callable[[str, int, int | None], None]
JUDGE_MAX_TOKENS = 384  # room for a short reasoning and the verdict line (and Gemini Pro's minimum thinking)


@dataclass
class EvalOutcome:
    html: Path
    json: Path
    report: dict[str, Any]
    resumed: int  # answers reused from an interrupted run
    seconds: float


def validation_file(config: Config, target: Target) -> Path:
    """The job's own validation data when it is still there, else ``training.validation_file``."""
    recorded = (target.record.data.get("validation_file") if target.record else None) or None
    for candidate in (recorded, config.training.validation_file):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise InputError(
        f"no validation file: {recorded or config.training.validation_file} not found",
        hint="prepare the data first (codetune prepare); eval scores the validation split",
    )


def _source_root(config: Config, data_file: Path) -> Path | None:
    """Where the Java sources of the data are (answers are compiled in place in them): the source the
    manifest names (a directory, or an archive or clone in the source cache), else ``data.source``."""
    from codetune.errors import CodetuneError
    from codetune.sources import resolve_source

    candidates: list[str] = []
    manifest = data_file.parent / "manifest.json"
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except ValueError:
            data = {}
        for key in ("source_root", "source"):
            if isinstance(data.get(key), str):
                candidates.append(data[key])
        snapshot = (data.get("config") or {}).get("data") or {}
        if isinstance(snapshot.get("source"), str):
            candidates.append(snapshot["source"])
    candidates.append(config.data.source)
    for candidate in dict.fromkeys(candidates):
        if Path(candidate).is_dir():
            return Path(candidate)
        try:  # an archive (unpacked once into the cache) or a clone the cache still holds
            return resolve_source(candidate)
        except CodetuneError:
            continue
    return None


def score_context(config: Config, data_file: Path) -> ScoreContext:
    """How answers to ``data_file``'s examples are scored: where their sources are, javac's settings."""
    from codetune.eval.scoring import ScoreContext

    testing = config.testing
    return ScoreContext(
        _source_root(config, data_file), testing.compile_timeout_seconds, classpath=tuple(testing.classpath)
    )


def _safe_name(label: str) -> str:
    """
    >>> _safe_name("projects/p/locations/us-central1/endpoints/123")
    'endpoints-123'
    """
    tail = "-".join(label.rstrip("/").split("/")[-2:]) if "/" in label else label
    return re.sub(r"[^\w.-]+", "-", tail).strip("-") or "model"


def output_dir(config: Config, target: Target, output: str | Path | None = None) -> Path:
    """Where the eval of ``target`` writes: ``output``, else ``<reports_dir>/<job id or endpoint>``."""
    return Path(output) if output else Path(config.paths.reports_dir) / _safe_name(target.label)


def _run_dir(config: Config, target: Target) -> Path | None:
    if target.record is None:
        return None
    from codetune.jobs import JobStore

    recorded = target.record.extra.get("run_dir")
    return Path(recorded) if recorded else JobStore(config.paths.runs_dir).job_dir(target.record.id)


def validation_loss(metrics_file: Path) -> dict[str, Any] | None:
    """First and last validation loss of a local job's ``metrics.jsonl`` (rows ``{"kind": "eval", ...}``)."""
    if not metrics_file.is_file():
        return None
    points = []
    for text in metrics_file.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(text)
        except ValueError:
            continue
        if isinstance(row, dict) and row.get("kind") == "eval" and row.get("eval_loss") is not None:
            points.append((int(row.get("step") or 0), float(row["eval_loss"])))
    if not points:
        return None
    points.sort()
    return {
        "first_step": points[0][0],
        "first": points[0][1],
        "last_step": points[-1][0],
        "last": points[-1][1],
    }


def _warnings(samples: list[EvalSample], compile_counts: dict[str, Any], more: str) -> list[str]:
    """What a reader must know before trusting the table: small strategies, unchecked compiles.
    ``more``: how to get more samples."""
    from codetune.eval.stats import MIN_VERDICT_SAMPLES, SMALL_SAMPLE
    from codetune.eval.table import small_strategies

    found = [
        f"{strategy}: only {count} sample{'s' if count != 1 else ''}, fewer than {SMALL_SAMPLE}: the intervals "
        f"are wide (and there is no verdict below {MIN_VERDICT_SAMPLES}); {more}"
        for strategy, count in small_strategies(samples).items()
    ]
    checked, skipped = compile_counts["checked"], compile_counts["not_checkable"]
    if skipped:
        why = "; ".join(f"{reason} ({count})" for reason, count in compile_counts.get("reasons", {}).items())
        found.append(
            f"{skipped} of {checked + skipped} generation samples are not checkable and are left out of the "
            f"compile rate: {why}"
        )
    if compile_counts["unavailable"]:
        found.append("javac not found: the compile rate is not measured (install a JDK 17)")
    return found


def report_body(
    samples: list[EvalSample],
    results: dict[tuple[str, str], dict[str, Any]],
    *,
    title: str,
    models: dict[str, str],
    data_file: Path,
    total_examples: int,
    settings: dict[str, Any],
    heldout: Losses | None = None,
    validation: list[EvalSample] | None = None,
    more: str = "evaluate more with --limit",
) -> dict[str, Any]:
    """The parts of a report every eval has: the table with intervals and verdicts, findings by kind,
    warnings, and every sample with its answers."""
    from codetune.eval.table import compile_counts, findings_by_kind, metric_table

    sides = tuple(models)
    counts = compile_counts(samples, results, sides)
    return {
        "title": title,
        "models": models,
        "sides": list(sides),
        "settings": settings,
        "data": {"file": str(data_file), "validation_examples": total_examples, "evaluated": len(samples)},
        "table": metric_table(samples, results, sides, heldout=heldout, validation=validation),
        "findings_by_kind": findings_by_kind(samples, results, sides),
        "compile": counts,
        "warnings": _warnings(samples, counts, more),
        "judge": None,
        "samples": [
            {
                "id": sample.id,
                "line": sample.line,
                "strategy": sample.strategy,
                "unit_id": sample.unit_id,
                "source_file": sample.source_file,
                "prompt": [{"role": m.role, "text": m.text} for m in sample.prompt],
                "reference": sample.reference,
                "answers": {side: results.get((sample.id, side)) for side in sides},
            }
            for sample in samples
        ],
    }


def build_report(
    evaluation: Evaluation,
    *,
    target: Target,
    models: dict[str, str],
    data_file: Path,
    total_examples: int,
    settings: dict[str, Any],
    judge: str | None,
    heldout: Losses | None = None,
    validation: list[EvalSample] | None = None,
) -> dict[str, Any]:
    """Everything the JSON and HTML reports show. ``heldout``: per-sample held-out losses of the
    ``validation`` samples, ``(sample id, side) -> {"loss": mean NLL per answer token, "tokens": n}``."""
    from codetune.eval.judge import tally

    report = report_body(
        evaluation.samples,
        evaluation.results,
        title=f"codetune eval: {target.label}",
        models=models,
        data_file=data_file,
        total_examples=total_examples,
        settings=settings,
        heldout=heldout,
        validation=validation,
    )
    report["job"] = target.record.id if target.record else None
    report["backend"] = target.backend
    for entry in report["samples"]:
        judged = evaluation.judgements.get(entry["id"])
        if judged is not None:
            entry["judge"] = {"outcome": judged["outcome"], "verdicts": judged["verdicts"]}
    if judge is not None and evaluation.judgements:
        outcomes = [row["outcome"] for row in evaluation.judgements.values()]
        by_strategy: dict[str, list[str]] = {}
        for sample in evaluation.samples:
            if sample.id in evaluation.judgements:
                by_strategy.setdefault(sample.strategy, []).append(
                    evaluation.judgements[sample.id]["outcome"]
                )
        report["judge"] = {
            "model": judge,
            "tally": tally(outcomes),
            "by_strategy": {strategy: tally(values) for strategy, values in sorted(by_strategy.items())},
        }
    return report


def run_eval(
    config: Config,
    *,
    model: str | None = None,
    limit: int | None = None,
    judge: str | None = None,
    output: str | Path | None = None,
    compare: bool = True,
    confirm: Callable[[SpendEstimate], None] | None = None,
    progress: Progress | None = None,
) -> EvalOutcome:
    """Evaluate the tuned model ``model`` (default: the latest job) against its base; write the reports.

    ``confirm`` sees the requests, tokens and cost first when a model of the evaluation is paid (Vertex AI,
    a Gemini judge), and raises to refuse."""
    from codetune.chat import generation_options, open_judge, open_models, resolve_target
    from codetune.eval.evaluate import evaluate
    from codetune.eval.heldout import heldout_losses
    from codetune.eval.report import write_report
    from codetune.eval.samples import load_samples, select
    from codetune.io import directory_lock, sha256_file

    started = time.monotonic()
    testing = config.testing
    target = resolve_target(config, model)
    data_file = validation_file(config, target)
    every = load_samples(data_file)
    chosen = select(every, limit if limit is not None else testing.eval_limit, seed=config.data.seed)
    options = generation_options(
        config, temperature=testing.eval_temperature, max_output_tokens=testing.eval_max_output_tokens
    )
    judge_spec = judge or testing.judge_model
    judge_options = replace(options, temperature=0.0, max_output_tokens=JUDGE_MAX_TOKENS)
    if confirm is not None:
        from codetune.eval.cost import plan_eval

        estimate = plan_eval(
            config,
            target,
            chosen,
            judge=judge_spec if compare else None,
            options=options,
            judge_options=judge_options,
            compare=compare,
        )
        if estimate is not None:
            confirm(estimate)
    if progress is not None:
        progress("loading models", 0, None)
    models = open_models(config, target, compare=compare)
    judge_model = open_judge(config, judge_spec, target) if judge_spec and compare else None
    out_dir = output_dir(config, target, output)
    with directory_lock(out_dir, "codetune eval"):  # two evals appending to one log would interleave
        heldout = heldout_losses(
            select(every, testing.heldout_max_examples, seed=config.data.seed),
            models,
            out_dir=out_dir,
            data_hash=sha256_file(data_file),
            progress=progress,
        )
        evaluation = evaluate(
            chosen,
            models,
            options=options,
            out_dir=out_dir,
            context=score_context(config, data_file),
            data_hash=sha256_file(data_file),
            default_system=target.system,
            judge=judge_model,
            judge_options=judge_options,
            progress=progress,
        )
        evaluation.heldout = heldout
    settings = {
        "temperature": options.temperature,
        "max_output_tokens": options.max_output_tokens,
        "thinking_budget": options.thinking_budget,
        "limit": len(chosen),
        "seed": config.data.seed,
    }
    report = build_report(
        evaluation,
        target=target,
        models={side: chat.name for side, chat in models.items()},
        data_file=data_file,
        total_examples=len(every),
        settings=settings,
        judge=judge_model.name if judge_model is not None else None,
        heldout=heldout.losses if heldout.available else None,
        validation=heldout.samples if heldout.available else None,
    )
    report["heldout"] = heldout.summary(
        job_page=target.record.extra.get("console_url") if target.record else None
    )
    run_dir = _run_dir(config, target)
    loss_png = None
    if run_dir is not None:
        report["training"] = {"validation_loss": validation_loss(run_dir / "metrics.jsonl")}
        loss_png = run_dir / "loss.png" if (run_dir / "loss.png").is_file() else None
    html, json_path = write_report(report, out_dir, loss_png)
    return EvalOutcome(html, json_path, report, evaluation.resumed, time.monotonic() - started)

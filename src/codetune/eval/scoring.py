"""The scores of one answer, by its sample's strategy (the table that compares them is ``table.py``).

Each answer is scored once and the scores are saved with it (a resumed eval does not rerun javac).
In ``scores``: explanations have ``text_score`` and ``bleu``; generated code has ``parses``,
``similarity``, ``compile`` (the status word, see :mod:`codetune.eval.javac`), ``compiles`` (true,
false, or null when the sample is not checkable) and ``compile_errors``; reviews have
``findings_recall``, ``findings_precision``, ``clean_correct`` and the counts behind them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codetune.eval import metrics
from codetune.eval.samples import EvalSample
from codetune.eval.table import GENERATION, REVIEW, metric_table

__all__ = ["ScoreContext", "metric_table", "score_answer", "score_answers"]

# The compile statuses that say nothing about the answer: no verdict either way.
UNCOUNTED = frozenset({"not_checkable", "unavailable", "skipped"})


@dataclass(frozen=True)
class ScoreContext:
    source_root: Path | None = None  # where the original Java files are (compiled in place)
    compile_timeout: float = 30.0
    compile: bool = True
    classpath: tuple[str, ...] = ()  # jars and directories the project needs (testing.classpath)


def score_answer(sample: EvalSample, answer: str, context: ScoreContext) -> dict[str, Any]:
    """The scores of one answer, by its sample's strategy."""
    if sample.strategy == REVIEW:
        from codetune.eval.reviews import review_scores

        return review_scores(answer, sample.reference)
    if sample.strategy == GENERATION:
        return _code_scores(sample, answer, context)
    return metrics.text_scores(answer, sample.reference)


def _code_scores(sample: EvalSample, answer: str, context: ScoreContext) -> dict[str, Any]:
    from codetune.eval.javac import check_in_place

    code = metrics.extract_code(answer)
    reference = metrics.extract_code(sample.reference)
    scores: dict[str, Any] = {
        "parses": metrics.java_parses(code),
        "similarity": round(metrics.code_similarity(code, reference), 4),
    }
    if not context.compile:
        return {**scores, "compile": "skipped", "compiles": None, "compile_errors": []}
    result = check_in_place(
        code,
        source_root=context.source_root,
        source_file=sample.source_file,
        unit_id=sample.unit_id,
        reference=reference,
        classpath=context.classpath,
        timeout=context.compile_timeout,
    )
    compiles = None if result.status in UNCOUNTED else result.status == "ok"
    return {**scores, "compile": result.status, "compiles": compiles, "compile_errors": list(result.errors)}


def score_answers(
    pairs: Sequence[tuple[EvalSample, str]],
    context: ScoreContext,
    *,
    workers: int | None = None,
    done: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Scores of many answers, in order; javac runs in ``workers`` threads (default: one per core, at
    most 4; javac is a subprocess, and each reference is compiled once however many answers share it).
    ``done(i)`` after each answer."""
    threads = workers if workers is not None else min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        futures = [pool.submit(score_answer, sample, answer, context) for sample, answer in pairs]
        scores = []
        for index, future in enumerate(futures):
            scores.append(future.result())
            if done is not None:
                done(index)
    return scores

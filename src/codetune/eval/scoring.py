"""Per-answer scores by strategy, and the tuned-vs-base metric table built from them.

Each answer is scored once, right after it is generated, and the scores are saved with it (so a resumed
eval does not rerun javac). The table aggregates the saved scores: corpus BLEU/chrF for explanations,
parse/compile rates and mean similarity for generated code, micro-averaged findings recall/precision for
reviews, and latency, length and truncation for every answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codetune.eval import metrics
from codetune.eval.samples import EvalSample

EXPLANATION, GENERATION, REVIEW = "code_explanation", "code_generation", "code_review"
TRUNCATED_REASONS = frozenset({"MAX_TOKENS", "length", "max_tokens"})


@dataclass(frozen=True)
class ScoreContext:
    source_root: Path | None = None  # where the original Java files are (for the compile stub)
    compile_timeout: float = 30.0
    compile: bool = True


def score_answer(sample: EvalSample, answer: str, context: ScoreContext) -> dict[str, Any]:
    """The scores of one answer, by its sample's strategy."""
    if sample.strategy == REVIEW:
        return metrics.review_scores(answer, sample.reference)
    if sample.strategy == GENERATION:
        return _code_scores(sample, answer, context)
    return metrics.text_scores(answer, sample.reference)


def _code_scores(sample: EvalSample, answer: str, context: ScoreContext) -> dict[str, Any]:
    from codetune.eval import javac

    code = metrics.extract_code(answer)
    reference = metrics.extract_code(sample.reference)
    scores: dict[str, Any] = {"similarity": round(metrics.code_similarity(code, reference), 4)}
    if not code:
        return {**scores, "parses": False, "compile": "no_code"}
    scores["parses"] = metrics.java_parses(code)
    if not scores["parses"]:
        return {**scores, "compile": "syntax_error"}
    if not context.compile or not sample.unit_id:
        return {**scores, "compile": "skipped"}
    original, source_path = None, None
    if context.source_root is not None and sample.source_file:
        path = context.source_root / sample.source_file
        if path.is_file():
            original = path.read_text(encoding="utf-8", errors="replace")
    stub = javac.build_stub(code, sample.unit_id, original)
    if original is not None:
        source_path = javac.source_root_of(context.source_root, sample.source_file, stub.package)
    result = javac.compile_stub(stub, source_path=source_path, timeout=context.compile_timeout)
    scores.update(compile=result.status, compile_errors=result.errors[:5], stub=stub.context)
    return scores


def _rate(values: list[bool]) -> float | None:
    return round(100.0 * sum(values) / len(values), 1) if values else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _side_metrics(strategy: str, pairs: list[tuple[EvalSample, dict[str, Any]]]) -> dict[str, float | None]:
    """Aggregates of one side's results for one strategy: metric name -> value."""
    scores = [row["scores"] for _, row in pairs]
    out: dict[str, float | None] = {}
    if strategy == GENERATION:
        out["parse_rate"] = _rate([bool(s.get("parses")) for s in scores])
        # Answers that do not parse count as not compiling; skipped ones (no javac, no unit id) do not count.
        statuses = [s.get("compile") for s in scores]
        counted = [status for status in statuses if status not in (None, "skipped", "unavailable")]
        out["compile_rate"] = (
            None if "unavailable" in statuses else _rate([status == "ok" for status in counted])
        )
        out["similarity"] = _mean([100.0 * float(s.get("similarity", 0.0)) for s in scores])
    elif strategy == REVIEW:
        findings = sum(int(s.get("findings") or 0) for s in scores)
        named = sum(int(s.get("named") or 0) for s in scores)
        answered = sum(int(s.get("answer_findings") or 0) for s in scores)
        matched = sum(int(s.get("matched") or 0) for s in scores)
        out["findings_recall"] = round(100.0 * named / findings, 1) if findings else None
        out["findings_precision"] = round(100.0 * matched / answered, 1) if answered else None
        clean = [bool(s["clean_correct"]) for s in scores if s.get("clean_correct") is not None]
        out["clean_correct"] = _rate(clean)
        # These two count different samples: those whose reference names findings, and the clean ones.
        out["n:findings_recall"] = float(sum(1 for s in scores if s.get("findings")))
        out["n:clean_correct"] = float(len(clean))
    else:
        corpus = metrics.corpus_scores(
            [row["text"] for _, row in pairs], [sample.reference for sample, _ in pairs]
        )
        out["bleu"], out["chrf"] = corpus.get("bleu"), corpus.get("chrf")
    return out


# metric -> (label, higher is better, unit)
METRICS: dict[str, tuple[str, bool | None, str]] = {
    "bleu": ("BLEU", True, ""),
    "chrf": ("chrF", True, ""),
    "parse_rate": ("parses (tree-sitter)", True, "%"),
    "compile_rate": ("compiles (javac)", True, "%"),
    "similarity": ("similarity to reference", True, "%"),
    "findings_recall": ("findings recall", True, "%"),
    "findings_precision": ("findings precision", True, "%"),
    "clean_correct": ("clean code left clean", True, "%"),
    "latency": ("latency per answer", False, "s"),
    "output_tokens": ("output tokens per answer", None, ""),
    "truncated": ("answers cut at max tokens", False, "%"),
}


def metric_table(
    samples: list[EvalSample], results: dict[tuple[str, str], dict[str, Any]], sides: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Rows ``{strategy, metric, label, higher_is_better, unit, n, <side>: value, diff}``; ``diff`` is the
    first side minus the second (tuned - base) when both have a value."""
    strategies = sorted({s.strategy for s in samples})
    rows: list[dict[str, Any]] = []
    for strategy in [*strategies, "all"]:
        chosen = [s for s in samples if strategy in ("all", s.strategy)]
        per_side: dict[str, dict[str, float | None]] = {}
        count = 0
        for side in sides:
            pairs = [(s, results[(s.id, side)]) for s in chosen if (s.id, side) in results]
            count = max(count, len(pairs))
            if strategy == "all":
                per_side[side] = {
                    "latency": _mean([float(row.get("latency_seconds") or 0.0) for _, row in pairs]),
                    "output_tokens": _mean(
                        [
                            float(row["output_tokens"])
                            for _, row in pairs
                            if row.get("output_tokens") is not None
                        ]
                    ),
                    "truncated": _rate([row.get("finish_reason") in TRUNCATED_REASONS for _, row in pairs]),
                }
            else:
                per_side[side] = _side_metrics(strategy, pairs) if pairs else {}
        names = [name for name in METRICS if any(name in values for values in per_side.values())]
        for name in names:
            label, higher, unit = METRICS[name]
            row: dict[str, Any] = {
                "strategy": strategy,
                "metric": name,
                "label": label,
                "higher_is_better": higher,
                "unit": unit,
                "n": count,
            }
            counts = [per_side[side].get(f"n:{name}") for side in sides]
            if any(n is not None for n in counts):
                row["n"] = int(max(n or 0 for n in counts))
            values = [per_side[side].get(name) for side in sides]
            if all(value is None for value in values):
                continue
            row.update({side: value for side, value in zip(sides, values, strict=True)})
            if len(sides) == 2 and values[0] is not None and values[1] is not None:
                row["diff"] = round(values[0] - values[1], 3)
            rows.append(row)
    return rows

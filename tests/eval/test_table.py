from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from codetune.eval.report import headline, render_html, write_report
from codetune.eval.runner import report_body
from codetune.eval.samples import EvalSample
from codetune.eval.table import findings_by_kind, metric_table
from codetune.records import Message

VERDICTS = {"better", "worse", "no detectable difference"}
ROW_KEYS = {"strategy", "metric", "n", "tuned", "base", "diff", "ci95", "verdict"}


def _sample(
    number: int, strategy: str, reference: str = "Returns the number of items in the cart."
) -> EvalSample:
    return EvalSample(f"s{number}", number, strategy, "", "", None, (Message("user", "q"),), reference)


def _answer(sample: EvalSample, side: str, scores: dict, text: str = "an answer") -> dict:
    return {
        "sample": sample.id,
        "line": sample.line,
        "strategy": sample.strategy,
        "side": side,
        "text": text,
        "latency_seconds": 1.0,
        "output_tokens": 10,
        "finish_reason": "STOP",
        "scores": scores,
    }


def _by_key(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(row["strategy"], row["metric"]): row for row in rows}


@pytest.fixture
def explained() -> tuple[list[EvalSample], dict]:
    """30 explanations: tuned scores about 20 points higher than base, with noise."""
    rng = random.Random(5)
    samples = [_sample(i, "code_explanation") for i in range(1, 31)]
    results = {}
    for sample in samples:
        base = rng.uniform(10, 50)
        results[(sample.id, "tuned")] = _answer(
            sample, "tuned", {"text_score": base + 20 + rng.gauss(0, 4), "bleu": 5.0}, "short answer"
        )
        results[(sample.id, "base")] = _answer(
            sample, "base", {"text_score": base, "bleu": 5.0}, "a much longer answer " * 8
        )
    return samples, results


def test_rows_carry_the_interface_keys_intervals_and_verdicts(explained) -> None:
    samples, results = explained
    rows = _by_key(metric_table(samples, results, ("tuned", "base")))
    text = rows[("code_explanation", "text_score")]
    assert set(text) >= ROW_KEYS and text["n"] == 30
    assert text["verdict"] == "better" and text["ci95"][0] > 10 and text["diff"] == pytest.approx(20, abs=3)
    assert text["ci95"][0] <= text["diff"] <= text["ci95"][1]
    assert rows[("code_explanation", "bleu")]["verdict"] == "no detectable difference"
    assert rows[("code_explanation", "bleu")]["ci95"] == [0.0, 0.0]
    length = rows[("code_explanation", "answer_words")]
    assert length["tuned"] == 2 and length["base"] == 32 and length["reference"] == 8
    assert length["verdict"] is None and length["ci95"] == [-30.0, -30.0]  # no good direction: no verdict
    assert rows[("all", "latency")]["verdict"] is None and rows[("all", "output_tokens")]["verdict"] is None
    assert all(row["verdict"] in VERDICTS for row in rows.values() if row["higher_is_better"] is not None)
    json.dumps(list(rows.values()))  # report.json holds them as they are


def test_heldout_loss_rows_per_strategy_and_overall(explained) -> None:
    samples, results = explained
    validation = [*samples, *(_sample(100 + i, "code_review") for i in range(12))]
    rng = random.Random(9)
    losses = {}
    for sample in validation:
        base = rng.uniform(1.5, 3.0)
        tokens = rng.randint(5, 60)
        losses[(sample.id, "base")] = {"loss": base, "tokens": tokens}
        losses[(sample.id, "tuned")] = {"loss": base - 0.4 + rng.gauss(0, 0.05), "tokens": tokens}
    rows = metric_table(samples, results, ("tuned", "base"), heldout=losses, validation=validation)
    loss = {row["strategy"]: row for row in rows if row["metric"] == "heldout_loss"}
    assert set(loss) == {"code_explanation", "code_review", "all"}
    assert loss["code_review"]["n"] == 12 and loss["all"]["n"] == 42  # the whole validation set
    assert loss["all"]["higher_is_better"] is False
    assert all(row["verdict"] == "better" and row["diff"] < 0 and row["ci95"][1] < 0 for row in loss.values())
    # Token-weighted: the mean NLL per reference token, not the mean of per-sample means.
    weighted = sum(v["loss"] * v["tokens"] for (_, side), v in losses.items() if side == "tuned") / sum(
        v["tokens"] for (_, side), v in losses.items() if side == "tuned"
    )
    assert loss["all"]["tuned"] == pytest.approx(weighted, abs=1e-3)
    # A sample with a loss on one side only is not paired: it does not count.
    del losses[(validation[-1].id, "tuned")]
    rows = metric_table(samples, results, ("tuned", "base"), heldout=losses, validation=validation)
    assert _by_key(rows)[("code_review", "heldout_loss")]["n"] == 11


def test_compile_rate_counts_only_checkable_samples() -> None:
    samples = [_sample(i, "code_generation", "```java\nint f() { return 1; }\n```") for i in range(1, 9)]
    results = {}
    for number, sample in enumerate(samples):
        checkable = number < 6
        for side, ok in (("tuned", number % 2 == 0), ("base", False)):
            status = ("ok" if ok else "compile_error") if checkable else "not_checkable"
            scores = {
                "parses": True,
                "similarity": 0.5,
                "compile": status,
                "compiles": (status == "ok") if checkable else None,
            }
            results[(sample.id, side)] = _answer(sample, side, scores)
    rows = _by_key(metric_table(samples, results, ("tuned", "base")))
    compile_rate = rows[("code_generation", "compile_rate")]
    assert compile_rate["n"] == 6 and compile_rate["not_checkable"] == 2
    assert compile_rate["tuned"] == 50.0 and compile_rate["base"] == 0.0
    assert rows[("code_generation", "parse_rate")]["n"] == 8


def test_one_side_of_answers_has_values_and_no_comparison(explained) -> None:
    samples, results = explained
    answers = {(sid, "answers"): row for (sid, side), row in results.items() if side == "tuned"}
    rows = metric_table(samples, answers, ("answers",))
    text = _by_key(rows)[("code_explanation", "text_score")]
    assert text["answers"] > 20 and text["diff"] is None and text["ci95"] is None and text["verdict"] is None
    assert "tuned" not in text


def test_findings_by_kind_pools_counts_per_kind() -> None:
    samples = [_sample(i, "code_review", "Line 1: empty catch block - x") for i in range(1, 9)]
    results = {}
    for sample in samples:
        results[(sample.id, "tuned")] = _answer(
            sample, "tuned", {"by_kind": {"empty_catch": [1, 1, 1, 1], "magic_number": [0, 0, 1, 0]}}
        )
        results[(sample.id, "base")] = _answer(sample, "base", {"by_kind": {"empty_catch": [1, 0, 0, 0]}})
    rows = {
        (row["kind"], row["metric"]): row for row in findings_by_kind(samples, results, ("tuned", "base"))
    }
    assert rows[("empty_catch", "findings_recall")]["tuned"] == 100.0
    assert rows[("empty_catch", "findings_recall")]["base"] == 0.0
    assert rows[("empty_catch", "findings_recall")]["verdict"] == "better"
    assert rows[("magic_number", "findings_precision")]["tuned"] == 0.0  # invented a magic number each time
    assert rows[("magic_number", "findings_precision")]["base"] is None
    # base named no magic number, so its precision is undefined: no difference, none detected
    assert rows[("magic_number", "findings_precision")]["diff"] is None
    assert rows[("magic_number", "findings_precision")]["verdict"] == "no detectable difference"
    assert ("magic_number", "findings_recall") not in rows  # no reference has one


def test_report_counts_verdicts_and_warns_about_small_strategies(explained, tmp_path: Path) -> None:
    samples, results = explained
    reviews = [_sample(200 + i, "code_review", "Looks good: no issues found.") for i in range(3)]
    for sample in reviews:
        for side in ("tuned", "base"):
            results[(sample.id, side)] = _answer(sample, side, {"clean_correct": True, "by_kind": {}})
    report = report_body(
        [*samples, *reviews],
        results,
        title="t",
        models={"tuned": "t", "base": "b"},
        data_file=tmp_path / "validation.jsonl",
        total_examples=33,
        settings={},
    )
    assert headline(report) == (
        "tuned vs base (95% paired bootstrap): better on 1 of 3 quality metrics, worse on 0, "
        "no detectable difference on 2"
    )
    assert report["warnings"] == [
        "code_review: only 3 samples, fewer than 20: the intervals are wide (and there is no verdict below 6); "
        "evaluate more with --limit"
    ]
    page = render_html(report)
    assert '<td class="better">+' in page and ">better</td>" in page and 'class="warning"' in page
    html, data = write_report(report, tmp_path)
    table = json.loads(data.read_text())["table"]
    assert all(set(row) >= ROW_KEYS for row in table)

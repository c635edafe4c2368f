from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from codetune.backends.base import GenerationOptions
from codetune.errors import BackendError
from codetune.eval.evaluate import RESULTS_NAME, evaluate
from codetune.eval.samples import load_samples, select
from codetune.eval.scoring import ScoreContext, metric_table

OPTIONS = GenerationOptions(temperature=0.0, max_output_tokens=64)


def _table(evaluation) -> dict[tuple[str, str], dict]:
    rows = metric_table(evaluation.samples, evaluation.results, ("tuned", "base"))
    return {(row["strategy"], row["metric"]): row for row in rows}


def test_samples_follow_the_manifest_and_without_it_are_unknown(dataset: Path, tmp_path: Path) -> None:
    samples = load_samples(dataset)
    assert [s.strategy for s in samples] == [
        "code_explanation",
        "code_generation",
        "code_review",
        "code_explanation",
    ]
    assert samples[1].id == "ex01" and samples[1].unit_id == "com.acme.Cart#size()"
    assert samples[0].system == "You are an expert Java developer."
    assert samples[0].prompt[-1].role == "user" and samples[0].reference.startswith("Returns")
    chosen = select(samples, 3)
    assert sorted(s.strategy for s in chosen) == ["code_explanation", "code_generation", "code_review"]
    assert select(samples, 3) == chosen  # stable

    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(dataset, bare / "validation.jsonl")
    assert {s.strategy for s in load_samples(bare / "validation.jsonl")} == {"unknown"}


def test_tuned_that_knows_the_answers_beats_a_base_that_does_not(
    dataset: Path, source_root: Path, tmp_path: Path, fake_model, perfect
) -> None:
    tuned = fake_model("tuned-model", perfect)
    base = fake_model("base-model", lambda messages: "Sure! Here is some text about Java.")
    samples = load_samples(dataset)
    evaluation = evaluate(
        samples,
        {"tuned": tuned, "base": base},
        options=OPTIONS,
        out_dir=tmp_path / "out",
        context=ScoreContext(source_root),
    )
    table = _table(evaluation)
    assert table[("code_explanation", "bleu")]["tuned"] == 100.0
    assert table[("code_explanation", "bleu")]["diff"] > 50
    assert table[("code_generation", "parse_rate")]["tuned"] == 100.0
    assert table[("code_generation", "parse_rate")]["base"] == 0.0
    assert table[("code_review", "findings_recall")]["tuned"] == 100.0
    assert table[("code_review", "findings_recall")]["base"] == 0.0
    assert table[("code_review", "findings_recall")]["n"] == 1
    assert ("code_review", "clean_correct") not in table  # no clean reference in this set
    assert table[("all", "latency")]["n"] == 4
    if shutil.which("javac"):
        assert table[("code_generation", "compile_rate")]["tuned"] == 100.0
        assert evaluation.results[("ex01", "tuned")]["scores"]["compile"] == "ok"
    # The system instruction of each row is sent, and the prompt ends with the user's turn.
    messages, system, options = tuned.calls[0]
    assert system == "You are an expert Java developer." and messages[-1].role == "user"
    assert options == OPTIONS


def test_an_interrupted_eval_resumes_without_asking_again(
    dataset: Path, tmp_path: Path, fake_model, perfect
) -> None:
    samples = load_samples(dataset)
    out = tmp_path / "out"
    calls = {"n": 0}

    def flaky(messages):
        calls["n"] += 1
        if calls["n"] == 2:
            raise BackendError("quota exhausted", hint="wait a minute")
        return perfect(messages)

    first = {"tuned": fake_model("t", flaky), "base": fake_model("b", perfect)}
    with pytest.raises(BackendError) as info:
        evaluate(samples, first, options=OPTIONS, out_dir=out, context=ScoreContext(compile=False))
    assert "rerun to continue" in (info.value.hint or "") and "validation line 2" in info.value.message

    # A kill while a line was being written leaves a torn tail: it is dropped and redone.
    with open(out / RESULTS_NAME, "a", encoding="utf-8") as handle:
        handle.write('{"sample": "ex02", "side": "tu')
    second = {"tuned": fake_model("t", perfect), "base": fake_model("b", perfect)}
    evaluation = evaluate(samples, second, options=OPTIONS, out_dir=out, context=ScoreContext(compile=False))
    assert evaluation.resumed == 1  # the tuned answer of line 1 was saved (each side answers in turn)
    assert len(second["tuned"].calls) == 3 and len(second["base"].calls) == 4
    assert len(evaluation.results) == 8
    lines = (out / RESULTS_NAME).read_text().splitlines()
    assert len(lines) == 8 and all(json.loads(line)["side"] in ("tuned", "base") for line in lines)

    # Other settings: the saved answers do not apply, everything is asked again.
    third = {"tuned": fake_model("t", perfect), "base": fake_model("b", perfect)}
    hotter = GenerationOptions(temperature=0.9, max_output_tokens=64)
    again = evaluate(samples, third, options=hotter, out_dir=out, context=ScoreContext(compile=False))
    assert again.resumed == 0 and len(third["tuned"].calls) == 4


def test_judge_sees_both_orders_and_disagreement_is_a_tie(
    dataset: Path, tmp_path: Path, fake_model, perfect
) -> None:
    samples = select(load_samples(dataset), 2)
    models = {"tuned": fake_model("t", perfect), "base": fake_model("b", lambda m: "no idea")}

    def fair(messages):  # prefers whichever answer equals the reference
        text = messages[-1].text
        reference = text.split("## Reference answer\n", 1)[1].split("\n\n## Answer A", 1)[0]
        first = text.split("## Answer A\n", 1)[1].split("\n\n## Answer B", 1)[0]
        return "A is right.\nVerdict: A" if first == reference else "B is right.\nVerdict: B"

    fair_judge = fake_model("fair", fair)
    evaluation = evaluate(
        samples,
        models,
        options=OPTIONS,
        out_dir=tmp_path / "a",
        context=ScoreContext(compile=False),
        judge=fair_judge,
    )
    assert {row["outcome"] for row in evaluation.judgements.values()} == {"win"}
    assert len(fair_judge.calls) == 2 * len(samples)
    assert all(options.temperature == 0.0 for _, _, options in fair_judge.calls)

    biased = fake_model("biased", lambda m: "Verdict: A")  # always prefers the first answer
    evaluation = evaluate(
        samples,
        models,
        options=OPTIONS,
        out_dir=tmp_path / "b",
        context=ScoreContext(compile=False),
        judge=biased,
    )
    assert [row["outcome"] for row in evaluation.judgements.values()] == ["tie", "tie"]
    assert all(row["verdicts"] == ["A", "A"] for row in evaluation.judgements.values())


def test_selection_covers_reviews_with_and_without_findings(tmp_path: Path, dataset_writer) -> None:
    rows = [
        (
            "code_review",
            f"a.B#m{i}()",
            "a/B.java",
            f"Review m{i}",
            f"Line {i}: raw type - x" if i == 4 else "No issues.",
        )
        for i in range(9)
    ] + [("code_explanation", f"a.B#e{i}()", "a/B.java", f"Explain e{i}", "Does e.") for i in range(9)]
    samples = load_samples(dataset_writer(tmp_path / "d", rows))
    for limit in (2, 4, 6):
        chosen = select(samples, limit)
        reviews = [s for s in chosen if s.strategy == "code_review"]
        assert len(reviews) == limit // 2
        assert any(s.reference.startswith("Line 4") for s in reviews)  # the only review with findings

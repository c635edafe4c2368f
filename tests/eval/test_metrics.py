from __future__ import annotations

import json
from pathlib import Path

import pytest

from codetune.eval import metrics
from codetune.eval.reviews import finding_kind, parse_findings, review_scores, says_clean
from codetune.eval.samples import load_samples
from codetune.strategies.findings import CHECKS, Finding
from codetune.strategies.review import CLEAN_ANSWER, render_review

# Unrelated to any Java library: what a model rambles with when it runs to the token limit.
FILLER = (
    "In general it is always a good idea to keep things simple and to think carefully about the "
    "overall design before writing anything, since good practices help everyone on the team over time "
) * 40


def _explanations(validation: Path) -> list[str]:
    return [s.reference for s in load_samples(validation) if s.strategy == "code_explanation"]


def _first_words(text: str, count: int) -> str:
    """The text up to and including its ``count``-th word (as the metric counts words)."""
    import re

    found = list(re.finditer(r"[a-z0-9]+", text.lower()))
    return text[: found[count - 1].end()] if count else ""


def test_padding_a_correct_answer_never_beats_its_first_half(shipped_sample: Path) -> None:
    """The headline text metric does not reward length: the reference padded with as much again of
    unrelated text scores at most what the first half of the reference scores (on every explanation of
    the shipped sample); chrF with beta=2, the old headline, fails this on every one of them."""
    from sacrebleu.metrics import CHRF

    references = [r for r in _explanations(shipped_sample) if len(metrics.words(r)) >= 2]
    assert len(references) >= 10
    chrf2 = CHRF(beta=2)
    chrf2_prefers_padding = 0
    for reference in references:
        count = len(metrics.words(reference))
        half = _first_words(reference, (count + 1) // 2)
        padded = f"{reference} {_first_words(FILLER, count)}"
        assert metrics.rouge_l(padded, reference) <= metrics.rouge_l(half, reference) + 1e-9, reference
        longer = f"{reference} {_first_words(FILLER, 3 * count)}"
        assert metrics.rouge_l(longer, reference) < metrics.rouge_l(half, reference)
        if chrf2.sentence_score(padded, [reference]).score > chrf2.sentence_score(half, [reference]).score:
            chrf2_prefers_padding += 1
    assert chrf2_prefers_padding == len(references)


def test_text_scores_rank_answers_and_keep_bleu_beside() -> None:
    reference = "Returns the number of items in the cart."
    exact = metrics.text_scores(reference, reference)
    close = metrics.text_scores("Returns the number of items stored in the cart.", reference)
    far = metrics.text_scores("Deletes the database.", reference)
    assert exact == {"text_score": 100.0, "bleu": 100.0}
    assert 60 < close["text_score"] < 100 and far["text_score"] < 30
    assert close["bleu"] > far["bleu"] > 0  # smoothed: no zero for a short partial match


def test_code_similarity_ignores_layout_and_comments_but_not_tokens() -> None:
    a = "public int size() { return items.size(); }"
    b = "public int size() {\n    // how many\n    return items.size();\n}"
    assert metrics.code_similarity(a, b) == 1.0
    close = metrics.code_similarity(a, "public int size() { return list.size(); }")
    unrelated = metrics.code_similarity(
        a, "static void main(String[] args) throws Exception { run(args, 3); }"
    )
    assert 0.85 < close < 1.0
    assert unrelated < 0.5


def test_java_parses_members_units_and_not_comments_or_broken_code() -> None:
    assert metrics.java_parses("public int size() { return n; }")
    assert metrics.java_parses("public Cart(int n) { this.n = n; }")  # a constructor alone
    assert metrics.java_parses("import java.util.List;\npublic Cart(List<String> l) { }")
    assert metrics.java_parses("package a; class B { }")
    assert not metrics.java_parses("// TODO implement")
    assert not metrics.java_parses("public int size( { return n; }")
    assert not metrics.java_parses("")


def test_review_recall_counts_named_findings_and_ignores_other_lines() -> None:
    reference = (
        "Found 3 issues:\n"
        "Line 4: empty catch block - the exception is swallowed\n"
        "Line 9: mutable public static field - anyone can change it\n"
        "Line 12: string compared with == - use equals"
    )
    answer = (
        "Some notes:\n"
        "- Line 4: the catch block is empty, so errors vanish.\n"
        "- Line 30: mutable public static field\n"  # right kind, wrong place: not the reference's finding
        "Strings are compared with == on line 12; use equals()."
    )
    scores = review_scores(answer, reference)
    assert (scores["findings"], scores["named"], scores["answer_findings"], scores["matched"]) == (3, 2, 2, 1)
    assert scores["findings_recall"] == pytest.approx(2 / 3, abs=1e-3) and scores["findings_precision"] == 0.5
    assert scores["by_kind"] == {
        "empty_catch": [1, 1, 1, 1],
        "mutable_public_static": [1, 0, 1, 0],
        "string_identity": [1, 1, 0, 0],
    }
    assert scores["clean_correct"] is None  # the reference has findings


def test_every_review_check_is_recognised_by_its_kind() -> None:
    what = {
        "broad_catch": "Exception",
        "system_out": "System.out",
        "string_identity": "==",
        "resource_leak": "in",
    }
    what |= {"mutable_public_static": "CACHE", "long_method": "75", "deep_nesting": "5", "magic_number": "42"}
    what |= {"missing_javadoc": "method"}
    for check in CHECKS:
        rendered = render_review([Finding(7, check, what.get(check, ""))])
        (finding,) = parse_findings(rendered)
        assert finding.line == 7 and finding_kind(finding) == check, rendered
        scores = review_scores(rendered, rendered)
        assert scores["findings_recall"] == 1.0 and scores["findings_precision"] == 1.0


CLEAN = [
    CLEAN_ANSWER,
    "No issues found.",
    "I found no problems with this method.",
    "LGTM: nothing to change.",
    "The code looks fine. I did not find any issues.",
    "Found 0 issues.",
    "The method is clean.",
]
NOT_CLEAN = [
    "",
    "public int size() {\n    return items.size();\n}",  # code instead of a review
    "```java\nint f() { return 1; }\n```\nNo issues found.",
    "1. The code is not well-documented\n2. Variable names are short",  # problems without line numbers
    "- missing null check",
    "Looks good, but the catch block is empty.",
    "No major issues. However, consider renaming the method.",
    "Line 3: empty catch block - the exception is lost",
    "The method returns the number of items in the cart.",  # an explanation, not a review
    "Looks good: no issues found.\nLine 2: magic number 7 - use a constant",
]


@pytest.mark.parametrize("answer", CLEAN)
def test_clean_code_is_left_clean_by_a_no_issues_review(answer: str) -> None:
    assert says_clean(answer)
    assert review_scores(answer, CLEAN_ANSWER)["clean_correct"] is True


@pytest.mark.parametrize("answer", NOT_CLEAN)
def test_code_prose_problems_and_hedges_do_not_leave_code_clean(answer: str) -> None:
    assert not says_clean(answer)
    assert review_scores(answer, CLEAN_ANSWER)["clean_correct"] is False


def test_the_clean_references_of_the_shipped_sample_are_clean(shipped_sample: Path) -> None:
    manifest = json.loads((shipped_sample.parent / "manifest.json").read_text())
    reviews = []
    for split in ("train", "validation"):
        lines = (shipped_sample.parent / f"{split}.jsonl").read_text().splitlines()
        for entry, line in zip(manifest[split], lines, strict=True):
            if entry["strategy"] == "code_review":
                reviews.append(json.loads(line)["contents"][-1]["parts"][0]["text"])
    clean = [r for r in reviews if not parse_findings(r)]
    assert clean and all(says_clean(r) for r in clean)
    assert not any(says_clean(r) for r in reviews if parse_findings(r))

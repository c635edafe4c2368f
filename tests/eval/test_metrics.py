from __future__ import annotations

import shutil

import pytest

from codetune.eval import metrics
from codetune.eval.javac import build_stub, compile_stub, source_root_of

CART = """package com.acme;

import java.util.ArrayList;
import java.util.List;

public class Cart<T> extends Base {
    private final List<T> items = new ArrayList<>();
    static { System.loadLibrary("native"); }

    public Cart() { super(1); }

    /** Adds. */
    public void add(T item) { items.add(item); helper(); }

    public int size() { return items.size(); }

    public int size(boolean all) { return all ? items.size() : 0; }

    private void helper() { UnknownLibrary.call(); }

    enum Kind { A, B; int v() { return 1; } }

    static class Line {
        int qty;
        int twice() { return qty * 2; }
    }
}
"""
needs_javac = pytest.mark.skipif(
    shutil.which("javac") is None, reason="javac not installed (apt: openjdk-17-jdk-headless)"
)


def test_review_recall_counts_named_findings_and_ignores_other_lines() -> None:
    reference = (
        "Line 4: empty catch block - the exception is swallowed\n"
        "Line 9: raw type - List should be List<String>\n"
        "Line 12: string compared with == - use equals"
    )
    answer = (
        "Some notes:\n"
        "- Line 4: the catch block is empty, so errors vanish.\n"
        "- Line 30: raw type used\n"  # right kind, wrong place: not the reference's finding
        "Strings are compared with == on line 12; use equals()."
    )
    scores = metrics.review_scores(answer, reference)
    assert scores["findings"] == 3
    assert scores["named"] == 2
    assert scores["recall"] == pytest.approx(2 / 3, abs=1e-3)
    assert scores["answer_findings"] == 2 and scores["matched"] == 1


def test_clean_reference_rewards_an_answer_without_findings() -> None:
    assert metrics.review_scores("The method looks fine.", "No issues found.")["clean_correct"] is True
    assert metrics.review_scores("Line 2: unused variable - x", "No issues found.")["clean_correct"] is False


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


def test_java_parses_a_method_a_class_and_rejects_broken_code() -> None:
    assert metrics.java_parses("public int size() { return n; }")
    assert metrics.java_parses("package a; class B { }")
    assert not metrics.java_parses("public int size( { return n; }")
    assert not metrics.java_parses("")


def test_text_scores_rank_a_close_answer_above_an_unrelated_one() -> None:
    reference = "Returns the number of items in the cart."
    close = metrics.text_scores("Returns the number of items stored in the cart.", reference)
    far = metrics.text_scores("Deletes the database.", reference)
    assert close["bleu"] > far["bleu"] and close["chrf"] > far["chrf"]


def test_stub_keeps_siblings_as_signatures_and_replaces_the_target() -> None:
    stub = build_stub("public int size() { return items.size() + 1; }", "com.acme.Cart#size()", CART)
    assert stub.context == "source"
    assert "public int size(boolean all) { throw new UnsupportedOperationException(); }" in stub.text
    assert (
        "UnknownLibrary" not in stub.text and "loadLibrary" not in stub.text
    )  # bodies and initializers dropped
    assert stub.text.count("public int size()") == 1  # the original is replaced, the overload kept
    assert stub.text.splitlines()[stub.first_line - 1] == "public int size() { return items.size() + 1; }"
    constructor = build_stub("public Cart() { super(2); }", "com.acme.Cart#Cart()", CART)
    assert "public Cart() { throw" not in constructor.text and "super(2)" in constructor.text


@needs_javac
def test_javac_counts_only_errors_in_the_answer(tmp_path) -> None:
    package = tmp_path / "com" / "acme"
    package.mkdir(parents=True)
    (package / "Cart.java").write_text(CART)
    (package / "Base.java").write_text("package com.acme;\npublic class Base { public Base(int x) {} }\n")
    root = source_root_of(tmp_path, "com/acme/Cart.java", "com.acme")
    assert root == tmp_path

    good = build_stub(
        "public void add(T item) {\n    items.add(item);\n    helper();\n}", "com.acme.Cart#add(T)", CART
    )
    result = compile_stub(good, source_path=root)
    assert result.status == "ok", result
    assert (
        result.context_errors >= 1
    )  # the stubbed constructor no longer calls super(1): not the answer's fault

    bad = build_stub("int twice() {\n    return qty * count;\n}", "com.acme.Cart.Line#twice()", CART)
    result = compile_stub(bad, source_path=root)
    assert result.status == "compile_error"
    assert result.errors == ["line 2: cannot find symbol (variable count)"]


@needs_javac
def test_javac_without_the_original_file_and_with_a_whole_class() -> None:
    assert (
        compile_stub(
            build_stub("List<String> names() { return new ArrayList<>(); }", "x.y.Names#names()")
        ).status
        == "ok"
    )
    whole = build_stub('public class Names {\n  int n() { return "s"; }\n}', "x.y.Names#n()")
    result = compile_stub(whole)
    assert whole.context == "answer"
    assert result.status == "compile_error" and result.errors[0].startswith("line 2: incompatible types")


@needs_javac
def test_javac_timeout_is_a_status(tmp_path) -> None:
    result = compile_stub(build_stub("int f() { return 1; }", "a.B#f()"), timeout=0.01)
    assert result.status == "timeout"

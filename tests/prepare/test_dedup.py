"""Exact and near-duplicate detection on code."""

from __future__ import annotations

from codetune.dataset.dedup import Deduplicator, normalize_code

METHOD = """public LineItem add(String sku, int quantity, BigDecimal unitPrice) {
    if (quantity <= 0) {
        throw new IllegalArgumentException("quantity must be positive: " + quantity);
    }
    for (int i = 0; i < items.size(); i++) {
        LineItem item = items.get(i);
        if (item.sku().equals(sku)) {
            LineItem merged = new LineItem(sku, item.quantity() + quantity, unitPrice);
            items.set(i, merged);
            return merged;
        }
    }
    LineItem created = new LineItem(sku, quantity, unitPrice);
    items.add(created);
    return created;
}"""


def test_formatting_and_comments_do_not_make_code_different() -> None:
    reformatted = "// a comment\n" + METHOD.replace("    ", "\t").replace("{\n", "{ /* open */\n")
    assert normalize_code(reformatted) == normalize_code(METHOD)
    dedup = Deduplicator(0.8)
    assert dedup.check_and_add("a", METHOD) is None
    duplicate = dedup.check_and_add("b", reformatted)
    assert duplicate is not None and duplicate.kind == "exact_duplicate" and duplicate.of == "a"


def test_a_small_edit_is_a_near_duplicate_and_different_code_is_not() -> None:
    dedup = Deduplicator(0.8)
    assert dedup.check_and_add("a", METHOD) is None
    edited = METHOD.replace("quantity must be positive", "quantity must be greater than zero")
    near = dedup.check_and_add("b", edited)
    assert (
        near is not None and near.kind == "near_duplicate" and near.of == "a" and 0.8 <= near.similarity < 1
    )
    other = "public int size() {\n    int count = 0;\n    for (Node n = head; n != null; n = n.next) {\n        count++;\n    }\n    return count;\n}"
    assert dedup.check_and_add("c", other) is None


def test_buckets_keep_granularities_apart() -> None:
    dedup = Deduplicator(0.8)
    assert dedup.check_and_add("type", METHOD, bucket="type") is None
    assert dedup.check_and_add("method", METHOD, bucket="callable") is None


def test_a_dropped_unit_is_not_a_reference_and_results_are_deterministic() -> None:
    variants = [METHOD.replace("positive", f"positive {i} {i * 7} {i * 13}") for i in range(30)]
    runs = []
    for _ in range(2):
        dedup = Deduplicator(0.8)
        runs.append(
            [
                (r.kind, r.of) if (r := dedup.check_and_add(str(i), v)) else None
                for i, v in enumerate(variants)
            ]
        )
    assert runs[0] == runs[1]
    dropped = {str(i) for i, result in enumerate(runs[0]) if result is not None}
    assert runs[0][0] is None and dropped
    assert all(result[1] not in dropped for result in runs[0] if result is not None)


def test_comparisons_grow_with_candidates_not_with_units_squared() -> None:
    # 3,000 distinct units: comparing all pairs would be 4.5M Jaccard estimates; LSH asks for a handful.
    dedup = Deduplicator(0.8)
    for i in range(3000):
        code = f"int f{i}(int a) {{ return a * {i} + helper{i % 97}(a, {i * 31}) - other{i % 13}({i}); }}"
        assert dedup.check_and_add(str(i), code) is None
    assert dedup.comparisons < 3000

"""The validator rejects each kind of malformed row, naming the right line and Vertex row number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codetune.dataset.validate import (
    MAX_VALIDATION_EXAMPLES,
    VERTEX_MAX_EXAMPLE_TOKENS,
    estimate_cost,
    validate_file,
)
from codetune.errors import InputError


def gemini_row(
    question: str = "Explain this code: int f() { return 1; }", answer: str = "It returns one."
) -> dict:
    return {
        "systemInstruction": {"role": "system", "parts": [{"text": "You are a Java expert."}]},
        "contents": [
            {"role": "user", "parts": [{"text": question}]},
            {"role": "model", "parts": [{"text": answer}]},
        ],
    }


def openai_row(question: str = "Explain f()", answer: str = "It returns one.") -> dict:
    return {
        "messages": [
            {"role": "system", "content": "You are a Java expert."},
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def good_lines(count: int, make=gemini_row) -> list[str]:
    return [json.dumps(make(answer=f"Answer number {i}.")) for i in range(count)]


def test_a_valid_file_passes_with_token_estimates(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "train.jsonl", good_lines(120))
    result = validate_file(path)
    assert result.ok and result.errors == [] and result.error_count == 0
    assert result.rows == 120 and len(result.tokens) == 120
    assert all(t > 10 for t in result.tokens)
    stats = result.token_stats()
    assert stats["min"] <= stats["p50"] <= stats["p95"] <= stats["max"]
    assert stats["total"] == sum(result.tokens)
    assert result.warnings == []


def _turn(role: str, text: str) -> dict:
    return {"role": role, "parts": [{"text": text}]}


BAD_VERTEX_ROWS: dict[str, tuple[str, str]] = {
    "not json": ("{'contents': []}", "not valid JSON"),
    "truncated json": ('{"contents": [{"role": "user"', "not valid JSON"),
    "array row": (json.dumps([gemini_row()]), "JSON object"),
    "legacy input/output": (
        json.dumps({"input_text": "a", "output_text": "b"}),
        "Missing required `contents`",
    ),
    "no contents": (
        json.dumps({"systemInstruction": {"parts": [{"text": "x"}]}}),
        "Missing required `contents`",
    ),
    "empty contents": (json.dumps({"contents": []}), "non-empty list"),
    "unknown top-level key": (
        json.dumps({**gemini_row(), "metadata": {"id": 1}}),
        "unknown top-level key(s): metadata",
    ),
    "assistant role": (
        json.dumps({"contents": [_turn("user", "q"), _turn("assistant", "a")]}),
        '"assistant"',
    ),
    "first turn model": (
        json.dumps({"contents": [_turn("model", "a"), _turn("user", "q"), _turn("model", "a")]}),
        "first turn",
    ),
    "not alternating": (
        json.dumps({"contents": [_turn("user", "q"), _turn("user", "q"), _turn("model", "a")]}),
        "in a row",
    ),
    "ends with user": (
        json.dumps({"contents": [_turn("user", "q"), _turn("model", "a"), _turn("user", "q")]}),
        "last turn",
    ),
    "empty text": (json.dumps({"contents": [_turn("user", "q"), _turn("model", "  ")]}), "text is empty"),
    "two keys in a part": (
        json.dumps(
            {"contents": [_turn("user", "q"), {"role": "model", "parts": [{"text": "a", "inlineData": {}}]}]}
        ),
        "exactly one 'text'",
    ),
    "no parts": (
        json.dumps({"contents": [_turn("user", "q"), {"role": "model"}]}),
        "parts must be a non-empty list",
    ),
    "text not a string": (
        json.dumps({"contents": [_turn("user", "q"), {"role": "model", "parts": [{"text": 3}]}]}),
        "must be a string",
    ),
    "bad system instruction": (
        json.dumps({**gemini_row(), "systemInstruction": "be nice"}),
        "systemInstruction must be an object",
    ),
    "empty system part": (
        json.dumps({**gemini_row(), "systemInstruction": {"parts": [{"text": ""}]}}),
        "systemInstruction.parts[0].text is empty",
    ),
    "too many tokens": (
        json.dumps(gemini_row(answer="x" * (4 * VERTEX_MAX_EXAMPLE_TOKENS))),
        "tokens; the limit is 131,072",
    ),
    "blank line": ("", "empty line"),
}


@pytest.mark.parametrize("position", [0, 7])
@pytest.mark.parametrize("kind", sorted(BAD_VERTEX_ROWS))
def test_each_malformed_vertex_row_is_rejected_with_its_row_number(
    tmp_path: Path, kind: str, position: int
) -> None:
    bad, expected = BAD_VERTEX_ROWS[kind]
    lines = good_lines(10)
    lines.insert(position, bad)
    result = validate_file(write_lines(tmp_path / "train.jsonl", lines))
    assert not result.ok
    assert len(result.errors) == 1, result.errors
    error = result.errors[0]
    assert error.line == position + 1 and error.row == position
    assert expected in error.message
    assert len(result.tokens) == 10  # the good rows are still counted


def test_near_limit_example_is_rejected_because_of_the_safety_margin(tmp_path: Path) -> None:
    # ~126k estimated tokens: under the hard limit, inside the 10% margin kept for the estimate.
    row = gemini_row(answer="y" * (4 * 126_000))
    result = validate_file(write_lines(tmp_path / "train.jsonl", [json.dumps(row)]))
    assert result.error_count == 1 and "margin" in result.errors[0].message


def test_a_utf8_bom_and_bad_bytes_are_named(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    good = json.dumps(gemini_row()).encode()
    path.write_bytes(b"\xef\xbb\xbf" + good + b"\n" + good + b"\n" + b'{"contents": "\xff"}\n')
    result = validate_file(path)
    assert [(e.line, e.row) for e in result.errors] == [(1, 0), (3, 2)]
    assert "byte-order mark" in result.errors[0].message
    assert "UTF-8" in result.errors[1].message


def test_crlf_line_endings_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"".join(json.dumps(gemini_row()).encode() + b"\r\n" for _ in range(3)))
    assert validate_file(path).error_count == 0


def test_validation_split_is_capped_and_few_training_rows_warn(tmp_path: Path) -> None:
    line = json.dumps(gemini_row())
    big = write_lines(tmp_path / "validation.jsonl", [line] * (MAX_VALIDATION_EXAMPLES + 1))
    result = validate_file(big, split="validation")
    assert result.error_count == 1 and result.errors[0].line == 0 and "5,000" in result.errors[0].message
    assert validate_file(big, split="train").error_count == 0

    small = validate_file(write_lines(tmp_path / "train.jsonl", good_lines(5)))
    assert small.ok and any("100" in warning for warning in small.warnings)


def test_max_errors_keeps_a_bounded_list_but_counts_all(tmp_path: Path) -> None:
    result = validate_file(write_lines(tmp_path / "train.jsonl", ["nope"] * 30), max_errors=5)
    assert len(result.errors) == 5 and result.error_count == 30
    assert [e.row for e in result.errors] == [0, 1, 2, 3, 4]
    assert any("first 5 of 30" in warning for warning in result.warnings)


def test_duplicate_rows_warn(tmp_path: Path) -> None:
    result = validate_file(write_lines(tmp_path / "train.jsonl", [json.dumps(gemini_row())] * 3))
    assert result.ok and any("2 row(s) repeat" in warning for warning in result.warnings)


BAD_OPENAI_ROWS: dict[str, tuple[dict, str]] = {
    "gemini row": (gemini_row(), "unknown top-level key"),
    "model role": (
        {"messages": [{"role": "user", "content": "q"}, {"role": "model", "content": "a"}]},
        '"model"',
    ),
    "late system": (
        {
            "messages": [
                {"role": "user", "content": "q"},
                {"role": "system", "content": "s"},
                {"role": "assistant", "content": "a"},
            ]
        },
        "may only come first",
    ),
    "ends with user": ({"messages": [{"role": "user", "content": "q"}]}, "last message"),
    "parts content": (
        {"messages": [{"role": "user", "content": [{"text": "q"}]}, {"role": "assistant", "content": "a"}]},
        "must be a string",
    ),
    "not alternating": (
        {
            "messages": [
                {"role": "user", "content": "q"},
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": "a"},
            ]
        },
        "in a row",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_OPENAI_ROWS))
def test_each_malformed_openai_row_is_rejected(tmp_path: Path, kind: str) -> None:
    bad, expected = BAD_OPENAI_ROWS[kind]
    lines = good_lines(12, openai_row)
    lines.insert(4, json.dumps(bad))
    result = validate_file(write_lines(tmp_path / "train.jsonl", lines), "openai")
    assert [(e.line, e.row) for e in result.errors] == [(5, 4)]
    assert expected in result.errors[0].message


def test_openai_needs_ten_training_examples_and_accepts_its_own_rows(tmp_path: Path) -> None:
    assert validate_file(write_lines(tmp_path / "a.jsonl", good_lines(12, openai_row)), "openai").ok
    few = validate_file(write_lines(tmp_path / "b.jsonl", good_lines(3, openai_row)), "openai")
    assert few.error_count == 1 and "at least 10" in few.errors[0].message
    # A Gemini file is not an OpenAI file, and the other way round.
    assert validate_file(write_lines(tmp_path / "c.jsonl", good_lines(12)), "openai").error_count == 12
    assert validate_file(tmp_path / "a.jsonl", "vertex").error_count == 12


def test_unreadable_inputs_raise_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        validate_file(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="directory"):
        validate_file(tmp_path)
    with pytest.raises(InputError, match="unknown validation target"):
        validate_file(write_lines(tmp_path / "x.jsonl", []), "anthropic")


def test_cost_estimate_multiplies_tokens_epochs_and_price() -> None:
    assert estimate_cost(1_000_000, 3, 5.0) == pytest.approx(15.0)

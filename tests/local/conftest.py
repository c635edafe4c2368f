"""Test parts for the local backend: a project directory with small Gemini JSONL files and a config."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from support.tiny_model import tiny_model, write_training_config  # noqa: F401 - fixture

SYSTEM = "You are an expert Java developer."

# Short examples: the tiny model trains on them in milliseconds, and every one fits max_length.
METHODS = [
    ("public int size() { return n; }", "Returns the number of elements."),
    ("public boolean isEmpty() { return n == 0; }", "Tells whether the list has no elements."),
    ("public void clear() { n = 0; }", "Removes every element."),
    ("public int first() { return items[0]; }", "Returns the first element."),
    ("public int last() { return items[n - 1]; }", "Returns the last element."),
    ("public void push(int x) { items[n++] = x; }", "Adds an element at the end."),
    ("public int pop() { return items[--n]; }", "Removes and returns the last element."),
    ("public int get(int i) { return items[i]; }", "Returns the element at index i."),
    ("public void set(int i, int x) { items[i] = x; }", "Replaces the element at index i."),
    ("public boolean has(int x) { return indexOf(x) >= 0; }", "Tells whether x is in the list."),
    ("public int sum() { int s = 0; for (int x : items) s += x; return s; }", "Adds up all elements."),
    ("public int max() { return Arrays.stream(items).max().orElse(0); }", "Returns the largest element."),
]


def gemini_row(prompt: str, answer: str, system: str | None = SYSTEM) -> dict:
    row: dict = {
        "contents": [
            {"role": "user", "parts": [{"text": prompt}]},
            {"role": "model", "parts": [{"text": answer}]},
        ]
    }
    if system:
        row = {"systemInstruction": {"role": "system", "parts": [{"text": system}]}, **row}
    return row


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def example_rows(count: int, offset: int = 0) -> list[dict]:
    return [
        gemini_row(f"Explain this Java method:\n{code}", answer)
        for code, answer in (METHODS[(offset + i) % len(METHODS)] for i in range(count))
    ]


@pytest.fixture
def project(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tiny_model: Path,  # noqa: F811 - the fixture imported above
) -> Callable[..., Path]:
    """A project directory (the working directory) with data/processed/{train,validation}.jsonl and a config
    training the tiny model; ``project(max_steps=8, ...)`` writes ``local:`` overrides."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_rows(tmp_path / "data/processed/train.jsonl", example_rows(24))
    write_rows(tmp_path / "data/processed/validation.jsonl", example_rows(6, offset=5))

    def make(**local: object) -> Path:
        return write_training_config(tmp_path / "config.yaml", tiny_model, local)

    return make

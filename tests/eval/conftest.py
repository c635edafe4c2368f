"""Test parts for the eval area: a fake chat model and small prepared validation sets."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from codetune.backends.base import (
    AnswerScore,
    ChatRequest,
    GenerationOptions,
    OnReply,
    OnScore,
    Reply,
    generate_each,
)
from codetune.errors import BackendError
from codetune.records import Message
from support.tiny_model import tiny_model  # noqa: F401 - fixture
from support.vertex_standin import vertex_standin  # noqa: F401 - fixture

SYSTEM = "You are an expert Java developer."

# (strategy, unit_id, source_file, prompt, reference)
ROWS: list[tuple[str, str, str, str, str]] = [
    (
        "code_explanation",
        "com.acme.Cart#size()",
        "com/acme/Cart.java",
        "Explain what this method does:\npublic int size() { return items.size(); }",
        "Returns the number of items in the cart.",
    ),
    (
        "code_generation",
        "com.acme.Cart#size()",
        "com/acme/Cart.java",
        "Write the method `public int size()`: returns the number of items in the cart.",
        "```java\npublic int size() {\n    return items.size();\n}\n```",
    ),
    (
        "code_review",
        "com.acme.Cart#load(String)",
        "com/acme/Cart.java",
        "Review this method:\nvoid load(String p) { try { read(p); } catch (Exception e) { } }",
        "Line 1: empty catch block - the exception is swallowed\nLine 1: catches Exception - too broad",
    ),
    (
        "code_explanation",
        "com.acme.Cart#add(String)",
        "com/acme/Cart.java",
        "Explain what this method does:\npublic void add(String item) { items.add(item); }",
        "Adds an item to the end of the cart.",
    ),
]

CART = """package com.acme;

import java.util.ArrayList;
import java.util.List;

public class Cart {
    private final List<String> items = new ArrayList<>();

    public void add(String item) { items.add(item); }

    public int size() { return items.size(); }
}
"""


def gemini_row(prompt: str, reference: str, system: str | None = SYSTEM) -> dict:
    row: dict = {
        "contents": [
            {"role": "user", "parts": [{"text": prompt}]},
            {"role": "model", "parts": [{"text": reference}]},
        ]
    }
    if system:
        row = {"systemInstruction": {"role": "system", "parts": [{"text": system}]}, **row}
    return row


def write_dataset(directory: Path, rows=ROWS, *, manifest: bool = True) -> Path:
    """validation.jsonl (+ manifest.json) in ``directory``; returns the validation file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "validation.jsonl"
    path.write_text("".join(json.dumps(gemini_row(p, r)) + "\n" for _, _, _, p, r in rows), encoding="utf-8")
    if manifest:
        entries = [
            {
                "example_id": f"ex{i:02d}",
                "unit_id": u,
                "source_file": f,
                "group": "com.acme.Cart",
                "strategy": s,
            }
            for i, (s, u, f, _, _) in enumerate(rows)
        ]
        (directory / "manifest.json").write_text(
            json.dumps({"validation": entries, "train": []}), encoding="utf-8"
        )
    return path


class FakeChatModel:
    """A ChatModel that answers with ``answer(messages)`` and records every call.

    It cannot batch (``generate_batch`` is the one-at-a-time fallback); with ``score`` (request, answer ->
    loss) it can score answers, counting them in ``scored``.
    """

    def __init__(
        self,
        name: str,
        answer: Callable[[Sequence[Message]], str],
        score: Callable[[ChatRequest, str], float] | None = None,
    ) -> None:
        self.name = name
        self.answer = answer
        self.score = score
        self.can_score = score is not None
        self.calls: list[tuple[list[Message], str | None, GenerationOptions]] = []
        self.scored: list[tuple[ChatRequest, str]] = []

    def generate_batch(
        self, requests: Sequence[ChatRequest], *, options: GenerationOptions, on_reply: OnReply | None = None
    ) -> list[Reply]:
        return generate_each(self, requests, options=options, on_reply=on_reply)

    def score_answers(
        self, requests: Sequence[ChatRequest], answers: Sequence[str], *, on_score: OnScore | None = None
    ) -> list[AnswerScore]:
        if self.score is None:
            raise BackendError(f"{self.name} cannot score a given text")
        scores = []
        for index, (request, answer) in enumerate(zip(requests, answers, strict=True)):
            self.scored.append((request, answer))
            scores.append(AnswerScore(self.score(request, answer), len(answer.split())))
            if on_score is not None:
                on_score(index, scores[-1])
        return scores

    def generate(
        self, messages: Sequence[Message], *, system: str | None, options: GenerationOptions
    ) -> Reply:
        self.calls.append((list(messages), system, options))
        text = self.answer(messages)
        return Reply(
            text,
            0.01,
            prompt_tokens=len(messages),
            output_tokens=len(text.split()),
            finish_reason="STOP",
            model=self.name,
        )


def echo_reference(rows=ROWS) -> Callable[[Sequence[Message]], str]:
    """Answers each known prompt with its reference: a perfect model."""
    answers = {prompt: reference for _, _, _, prompt, reference in rows}
    return lambda messages: answers.get(messages[-1].text, "I do not know.")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "data")


@pytest.fixture
def source_root(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    (root / "com" / "acme").mkdir(parents=True)
    (root / "com" / "acme" / "Cart.java").write_text(CART, encoding="utf-8")
    return root


@pytest.fixture
def fake_model() -> type[FakeChatModel]:
    return FakeChatModel


@pytest.fixture
def perfect() -> Callable[[Sequence[Message]], str]:
    return echo_reference()


@pytest.fixture(scope="session")
def dataset_writer() -> Callable[..., Path]:
    """``write_dataset(directory, rows=ROWS, manifest=True) -> validation file`` for wider-scoped fixtures."""
    return write_dataset


@pytest.fixture(scope="session")
def java_sources() -> str:
    return CART


REPO = Path(__file__).resolve().parents[2]
SHIPPED_SAMPLE = REPO / "data" / "raw"
FIXTURE_PROJECT = REPO / "tests" / "prepare" / "fixtures" / "project"


def prepare_data(source: Path, output: Path) -> Path:
    """``codetune prepare`` of ``source`` (all strategies, one process) into ``output``; its validation file."""
    from codetune.config import Config
    from codetune.dataset.pipeline import prepare

    strategies = ["code_explanation", "code_generation", "code_review"]
    config = Config.model_validate({"data": {"workers": 1}, "strategy": {"name": strategies}})
    prepare(config, source, output)
    return output / "validation.jsonl"


@pytest.fixture(scope="session")
def shipped_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The validation file prepared from the shipped sample (data/raw), manifest beside it."""
    return prepare_data(SHIPPED_SAMPLE, tmp_path_factory.mktemp("shipped-sample"))


@pytest.fixture(scope="session")
def fixture_project_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The validation file prepared from tests/prepare/fixtures/project."""
    return prepare_data(FIXTURE_PROJECT, tmp_path_factory.mktemp("fixture-project"))

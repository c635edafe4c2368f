"""Batched generation and scoring on real (tiny and bundled) models: the same answers as one at a time,
and an interrupted batched eval that continues where it stopped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codetune.backends.base import ChatRequest, GenerationOptions, Reply
from codetune.eval.evaluate import RESULTS_NAME, evaluate
from codetune.eval.samples import load_samples
from codetune.eval.scoring import ScoreContext
from codetune.records import Message

pytest.importorskip("peft")

SYSTEM = "You are an expert Java developer."
# Prompts of quite different lengths, so a batch holds left padding of several widths.
PROMPTS = [
    "Explain what this method does:\npublic int size() { return items.size(); }",
    "Write the method `public boolean isEmpty()`: tells whether the cart has no items.",
    "Review this method:\nvoid load(String p) { try { read(p); } catch (Exception e) { } }",
    "Explain what this method does:\n"
    "public static int gcd(int a, int b) {\n    while (b != 0) {\n        int t = b;\n        b = a % b;\n"
    "        a = t;\n    }\n    return a;\n}",
    "Hi",
    "Write the method `public int max(int[] values)`: the largest value, or 0 for an empty array.",
    'Review this method:\npublic String name() { return name == null ? "" : name.trim(); }',
]
GREEDY = GenerationOptions(temperature=0.0, max_output_tokens=16)


def _requests(system: str | None = SYSTEM) -> list[ChatRequest]:
    requests = [ChatRequest((Message("user", prompt),), system) for prompt in PROMPTS]
    # a multi-turn conversation too: earlier turns are part of the prompt
    requests.append(
        ChatRequest(
            (
                Message("user", "What is a List?"),
                Message("model", "An ordered collection."),
                Message("user", "And a Set?"),
            ),
            system,
        )
    )
    return requests


def _load(path: Path, *, lora: bool) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    model: Any = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
    if lora:
        from peft import LoraConfig, get_peft_model

        torch.manual_seed(1)
        # random (not zero) LoRA weights: the adapter changes the answers, as a trained one does
        config = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False)
        model = get_peft_model(model, config)
    return model.eval(), tokenizer


@pytest.fixture(scope="module")
def tiny_lora(tiny_model: Path) -> tuple[Any, Any]:
    """The tiny model with a random LoRA adapter, and its tokenizer."""
    return _load(tiny_model, lora=True)


@pytest.fixture(scope="module")
def tiny_pair(tiny_lora: tuple[Any, Any]) -> dict[str, Any]:
    """Tuned and base chat models over one loaded model, in batches of 4."""
    from codetune.backends.local.chat import LocalChatModel

    model, tokenizer = tiny_lora
    return {
        side: LocalChatModel(side, model, tokenizer, "cpu", adapter_enabled=side == "tuned", batch_size=4)
        for side in ("tuned", "base")
    }


def _same(batched: list[Reply], single: list[Reply]) -> list[int]:
    """Indices whose batched answer differs from the one-at-a-time answer (text or token counts)."""
    return [
        index
        for index, (a, b) in enumerate(zip(batched, single, strict=True))
        if (a.text, a.output_tokens, a.prompt_tokens, a.finish_reason)
        != (b.text, b.output_tokens, b.prompt_tokens, b.finish_reason)
    ]


def test_batched_greedy_answers_are_the_one_at_a_time_answers(tiny_pair: dict[str, Any]) -> None:
    requests = _requests()
    answers: dict[str, list[str]] = {}
    for side, model in tiny_pair.items():
        heard: list[int] = []
        batched = model.generate_batch(
            requests, options=GREEDY, on_reply=lambda i, r, heard=heard: heard.append(i)
        )
        single = [model.generate(r.messages, system=r.system, options=GREEDY) for r in requests]
        assert _same(batched, single) == [], side
        assert sorted(heard) == list(range(len(requests)))  # every answer announced once, as it came
        assert heard != sorted(heard)  # shortest prompts first, not request order
        assert all(r.output_tokens == 16 and r.finish_reason == "MAX_TOKENS" for r in batched)
        answers[side] = [reply.text for reply in batched]
    assert answers["tuned"] != answers["base"]  # the adapter is on for one side only


def test_the_latency_of_a_batch_is_shared_by_its_answers(tiny_pair: dict[str, Any]) -> None:
    model = tiny_pair["base"]
    replies = model.generate_batch(_requests()[:4], options=GREEDY)  # one batch of 4
    assert len({reply.latency_seconds for reply in replies}) == 1 and replies[0].latency_seconds > 0


def test_an_interrupted_batched_eval_continues_with_the_same_answers(
    tiny_pair: dict[str, Any], dataset: Path, tmp_path: Path
) -> None:
    samples = load_samples(dataset)
    context = ScoreContext(compile=False)
    whole = evaluate(samples, tiny_pair, options=GREEDY, out_dir=tmp_path / "whole", context=context)

    out = tmp_path / "interrupted"

    def stop_after_three(stage: str, done: int, total: int | None) -> None:
        if done == 3:
            raise KeyboardInterrupt  # as Ctrl-C (or a kill) between two answers

    with pytest.raises(KeyboardInterrupt):
        evaluate(samples, tiny_pair, options=GREEDY, out_dir=out, context=context, progress=stop_after_three)
    saved = (out / RESULTS_NAME).read_text().splitlines()
    assert len(saved) == 3  # the three answers finished so far
    # ... and a kill while the fourth line was being written
    with open(out / RESULTS_NAME, "a", encoding="utf-8") as handle:
        handle.write('{"sample": "ex03", "side": "tu')

    again = evaluate(samples, tiny_pair, options=GREEDY, out_dir=out, context=context)
    assert again.resumed == 3
    assert {key: row["text"] for key, row in again.results.items()} == {
        key: row["text"] for key, row in whole.results.items()
    }
    rows = [json.loads(line) for line in (out / RESULTS_NAME).read_text().splitlines()]
    assert len(rows) == 8 and len({(row["sample"], row["side"]) for row in rows}) == 8
    assert {row["line"] for row in rows} == {1, 2, 3, 4} and all(row["strategy"] for row in rows)


@pytest.mark.slow
def test_smollm2_batched_greedy_answers_are_the_one_at_a_time_answers(request: pytest.FixtureRequest) -> None:
    """The bundled model, fp32 on the CPU: left padding changes neither the tokens nor where answers stop."""
    from codetune.backends.local import hardware, models
    from codetune.backends.local.chat import LocalChatModel

    try:
        cache = Path(request.config.cache.mkdir("codetune-models"))  # type: ignore[union-attr]
    except AttributeError:
        cache = models.default_cache_dir()
    hardware.apply_threads(hardware.detect("cpu"))
    model, tokenizer = _load(Path(models.resolve("smollm2", cache_dir=cache).path), lora=False)
    chat = LocalChatModel("smollm2", model, tokenizer, "cpu", adapter_enabled=False, batch_size=8)
    options = GenerationOptions(temperature=0.0, max_output_tokens=64)
    requests = _requests()
    batched = chat.generate_batch(requests, options=options)
    single = [chat.generate(r.messages, system=r.system, options=options) for r in requests]
    assert _same(batched, single) == []
    assert {reply.finish_reason for reply in batched} == {"STOP", "MAX_TOKENS"}  # both kinds of ending


def test_scores_in_a_batch_are_the_scores_one_at_a_time(
    tiny_pair: dict[str, Any], tiny_lora: tuple[Any, Any]
) -> None:
    """Padding and the batch's shared beginning (computed once) change no answer's loss."""
    from codetune.backends.local.chat import LocalChatModel

    requests = _requests()
    answers = [f"Answer {i}: " + "it returns the value. " * i for i in range(len(requests))]
    for side, model in tiny_pair.items():
        alone = LocalChatModel(side, *tiny_lora, "cpu", adapter_enabled=side == "tuned", batch_size=1)
        batched = model.score_answers(requests, answers)
        single = alone.score_answers(requests, answers)
        assert [s.tokens for s in batched] == [s.tokens for s in single]
        assert [s.loss for s in batched] == pytest.approx([s.loss for s in single], rel=1e-5)
    tuned, base = (tiny_pair[side].score_answers(requests[:1], answers[:1])[0] for side in ("tuned", "base"))
    assert tuned.loss != base.loss

"""Gemini rows -> token ids and answer-only labels, with the real SmolLM2 tokenizer (no training)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from codetune.backends.local.data import (
    IGNORE,
    Conversation,
    encode,
    encode_split,
    padding_share,
    plan_order,
    read_conversations,
    render_mask,
)
from codetune.errors import DataError, InputError
from codetune.records import Message

from .conftest import gemini_row, write_rows


@pytest.fixture(scope="module")
def tokenizer(tiny_model: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


def trained_spans(tokenizer, encoded) -> list[str]:
    """The decoded runs of consecutive trained tokens."""
    spans, current = [], []
    for token, label in zip(encoded.input_ids, encoded.labels, strict=True):
        if label != IGNORE:
            assert label == token  # a trained position predicts its own token (the model shifts)
            current.append(token)
        elif current:
            spans.append(tokenizer.decode(current))
            current = []
    if current:
        spans.append(tokenizer.decode(current))
    return spans


def test_loss_mask_covers_only_the_answers_each_ending_with_end_of_turn(tokenizer) -> None:
    conversation = Conversation(
        7,
        "Be brief.",
        (
            Message("user", "What does size() return?"),
            Message("model", "The number of elements."),
            Message("user", "And isEmpty()?"),
            Message("model", "Whether there are none."),
        ),
    )
    encoded, _ = encode(tokenizer, conversation, tokenizer.eos_token)

    assert trained_spans(tokenizer, encoded) == [
        "The number of elements.<|im_end|>",
        "Whether there are none.<|im_end|>",
    ]
    # SmolLM2 pads with its end-of-turn token: the mask must not come from the token id
    assert tokenizer.pad_token_id == tokenizer.eos_token_id
    prompt_tokens = [t for t, label in zip(encoded.input_ids, encoded.labels, strict=True) if label == IGNORE]
    assert tokenizer.eos_token_id in prompt_tokens  # the system and user turns' ends stay untrained
    assert "[[The number of elements.<|im_end|>]]" in render_mask(tokenizer, encoded)


def test_a_template_that_never_ends_answers_is_refused(tokenizer) -> None:
    import copy

    broken = copy.deepcopy(tokenizer)
    broken.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
        "{% if m['role'] != 'assistant' %}<|im_end|>{% endif %}\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    conversation = Conversation(1, None, (Message("user", "Hi"), Message("model", "Hello.")))

    with pytest.raises(DataError, match="would not learn to stop"):
        encode(broken, conversation, broken.eos_token)


def test_over_length_examples_are_dropped_truncated_or_refused_never_silently(
    tokenizer, tmp_path: Path
) -> None:
    long_code = "public int f() {\n" + "    x = x + 1;\n" * 60 + "    return x;\n}"
    rows = [gemini_row("Explain: int g() { return 1; }", "Returns one.")] * 3
    rows.insert(1, gemini_row(f"Explain this method:\n{long_code}", "Counts up sixty times."))
    conversations = read_conversations(write_rows(tmp_path / "train.jsonl", rows))
    settings = {"end_of_turn": tokenizer.eos_token, "max_length": 128, "name": "training"}

    kept, report = encode_split(tokenizer, conversations, overflow="drop", **settings)
    assert (len(kept), report.dropped_over_length, report.over_length_lines) == (3, 1, [2])
    assert report.tokens["max"] > 128 and report.tokens["p50"] < 128

    kept, report = encode_split(tokenizer, conversations, overflow="truncate", **settings)
    assert (len(kept), report.truncated, report.dropped_over_length) == (4, 1, 0)
    shortened = next(example for example in kept if example.truncated)
    assert len(shortened.input_ids) <= 128
    assert trained_spans(tokenizer, shortened) == [
        "Counts up sixty times.<|im_end|>"
    ]  # the answer stays whole

    with pytest.raises(
        DataError, match=r"1 training example\(s\) exceed local.max_length=128 tokens \(lines 2\)"
    ):
        encode_split(tokenizer, conversations, overflow="error", **settings)


def test_reading_reports_missing_files_and_bad_rows_with_their_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="data file not found"):
        read_conversations(tmp_path / "absent.jsonl")

    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"contents": [{"role": "user", "parts": [{"text": "q"}]}, {"role": "model", "parts": [{"text": "a"}]}]}\n{oops\n'
    )
    with pytest.raises(DataError, match="line 2"):
        read_conversations(bad)

    unanswered = write_rows(
        tmp_path / "unanswered.jsonl", [{"contents": [{"role": "user", "parts": [{"text": "q"}]}]}]
    )
    with pytest.raises(DataError, match="line 1: the conversation does not end with a model answer"):
        read_conversations(unanswered)

    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert read_conversations(empty) == []


def test_planned_order_covers_every_epoch_reproducibly_and_pads_little() -> None:
    rng = random.Random(1)
    lengths = [rng.randint(20, 400) for _ in range(200)]

    order = plan_order(lengths, batch_size=4, epochs=3, seed=42)

    assert sorted(order) == sorted(list(range(200)) * 3)
    assert order == plan_order(lengths, batch_size=4, epochs=3, seed=42)
    assert order != plan_order(lengths, batch_size=4, epochs=3, seed=43)
    shuffled = list(range(200)) * 3
    random.Random(0).shuffle(shuffled)

    def share(indices: list[int]) -> float:
        return padding_share([lengths[i] for i in indices[b : b + 4]] for b in range(0, len(indices), 4))

    assert share(order) < 0.05 < 0.2 < share(shuffled)

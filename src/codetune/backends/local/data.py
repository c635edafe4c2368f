"""Prepared Gemini JSONL -> token ids with a loss mask that covers the model's answers only.

The model's own chat template renders each conversation (the same template serves the tuned model later,
so training and serving agree). An answer's characters are found by rendering the conversation up to the
answer with and without it; tokens inside those spans are trained (labels), everything else is -100.
Every answer must end with the end-of-turn token inside its labels, or the tuned model never learns to
stop: a template that does not put it there is an error, not a warning.

Over-length examples follow ``local.overflow`` and are always counted and reported: ``drop`` leaves them
out, ``truncate`` shortens the longest user message (the answer stays whole, end-of-turn included) and
drops the example when that is not enough, ``error`` stops the job naming the lines.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codetune.errors import DataError, InputError
from codetune.records import Message
from codetune.tokens import percentiles

IGNORE = -100  # label of a token that is not trained (PyTorch's cross-entropy ignore_index)
ROLE_NAMES = {"user": "user", "model": "assistant"}  # Gemini role -> chat template role


@dataclass(frozen=True)
class Conversation:
    line: int  # 1-based line in the JSONL file
    system: str | None
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class Encoded:
    line: int
    input_ids: list[int]
    labels: list[int]  # IGNORE where no loss is taken
    truncated: bool = False

    @property
    def trainable(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE)


@dataclass
class SplitReport:
    """What happened to one file's examples, with token counts from the real tokenizer."""

    examples: int = 0
    kept: int = 0
    dropped_over_length: int = 0
    truncated: int = 0
    over_length_lines: list[int] = field(default_factory=list)  # the first few, to look them up
    tokens: dict[str, int] = field(default_factory=dict)  # p50, p95, max, total (before overflow handling)
    trainable_tokens: int = 0  # answer tokens of the kept examples

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_conversations(path: Path) -> list[Conversation]:
    """Every row of a prepared Gemini-format file as a conversation (a bad row is an error naming its line)."""
    from codetune.formats.gemini import read_row

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise InputError(
            f"data file not found: {path}",
            hint="prepare the data first: python scripts/prepare_data.py -s data/raw -o data/processed",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    conversations = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            system, messages = read_row(json.loads(line))
        except ValueError as exc:
            raise DataError(
                f"{path} line {number}: {exc}", hint=f"check it with: codetune validate {path}"
            ) from exc
        if not messages or messages[-1].role != "model":
            raise DataError(f"{path} line {number}: the conversation does not end with a model answer")
        conversations.append(Conversation(number, system, tuple(messages)))
    return conversations


def chat_messages(system: str | None, messages: Sequence[Message]) -> list[dict[str, str]]:
    """Gemini roles to the chat-template roles every Hugging Face template knows.

    >>> chat_messages("Be brief.", [Message("user", "Hi"), Message("model", "Hello.")])
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello.'}]
    """
    chat = [{"role": "system", "content": system}] if system else []
    return chat + [{"role": ROLE_NAMES[m.role], "content": m.text} for m in messages]


def _render(tokenizer: Any, chat: list[dict[str, str]], *, generation_prompt: bool = False) -> str:
    return str(tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=generation_prompt))


def spans(
    tokenizer: Any, chat: list[dict[str, str]], end_of_turn: str
) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
    """The rendered text, the character spans of the answers (through their end-of-turn token) and of
    the user messages' contents."""
    text = _render(tokenizer, chat)
    answers: list[tuple[int, int]] = []
    users: list[tuple[int, int]] = []
    for index, message in enumerate(chat):
        if message["role"] == "user":
            # the content is the last thing in the rendering that ends with it (only the turn's end follows)
            start = _render(tokenizer, chat[: index + 1]).rfind(message["content"])
            if start >= 0 and message["content"]:
                users.append((start, start + len(message["content"])))
            continue
        if message["role"] != "assistant":
            continue
        prompt = _render(tokenizer, chat[:index], generation_prompt=True)
        through = _render(tokenizer, chat[: index + 1])
        if not text.startswith(prompt) or not text.startswith(through):
            raise DataError(
                "the model's chat template renders a conversation differently from its beginnings, so the "
                "answers cannot be located for the loss mask",
                hint="use a model whose chat template is prefix-preserving (most instruct models' are)",
            )
        end = through.rfind(end_of_turn, len(prompt))
        if end < 0:
            raise DataError(
                f"the model's chat template does not end an answer with the end-of-turn token {end_of_turn!r}: "
                "a model tuned on it would not learn to stop",
                hint="use a model whose chat template closes each assistant turn with its end-of-turn token",
            )
        answers.append((len(prompt), end + len(end_of_turn)))
    return text, answers, users


def label_tokens(offsets: Sequence[tuple[int, int]], answer_spans: Sequence[tuple[int, int]]) -> list[bool]:
    """Which tokens (by character offsets) start inside an answer span.

    >>> label_tokens([(0, 3), (3, 5), (5, 9), (9, 10)], [(3, 9)])
    [False, True, True, False]
    """
    return [any(start <= begin < end for start, end in answer_spans) for begin, _ in offsets]


def encode(
    tokenizer: Any, conversation: Conversation, end_of_turn: str
) -> tuple[Encoded, list[tuple[int, int]]]:
    """Token ids and labels of one conversation, and the token ranges of its user messages."""
    text, answer_spans, user_spans = spans(
        tokenizer, chat_messages(conversation.system, conversation.messages), end_of_turn
    )
    # The template writes the special tokens itself (what apply_chat_template does too)
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids: list[int] = list(encoding["input_ids"])
    offsets = [tuple(pair) for pair in encoding["offset_mapping"]]
    trained = label_tokens(offsets, answer_spans)
    labels = [token if keep else IGNORE for token, keep in zip(ids, trained, strict=True)]
    end_id = tokenizer.convert_tokens_to_ids(end_of_turn)
    for start, end in answer_spans:
        inside = [i for i, (begin, _) in enumerate(offsets) if start <= begin < end]
        if not inside or ids[inside[-1]] != end_id:
            raise DataError(
                f"line {conversation.line}: an answer does not end with the end-of-turn token {end_of_turn!r} "
                "in its labels: a model tuned on it would not learn to stop",
                hint="the tokenizer splits the end-of-turn token; use the model's own tokenizer files",
            )
    user_tokens = []
    for start, end in user_spans:
        inside = [i for i, (begin, _) in enumerate(offsets) if start <= begin < end]
        if inside:
            user_tokens.append((inside[0], inside[-1] + 1))
    return Encoded(conversation.line, ids, labels), user_tokens


def fit(
    encoded: Encoded, user_tokens: Sequence[tuple[int, int]], max_length: int, overflow: str
) -> Encoded | None:
    """``encoded`` within ``max_length`` tokens by the overflow policy; None when it is dropped.

    ``truncate`` removes the end of the longest user message, keeping at least 8 of its tokens.

    >>> e = Encoded(1, list(range(10)), [-100] * 7 + [7, 8, 9])
    >>> fit(e, [(1, 6)], 10, "drop") is e, fit(e, [(1, 6)], 8, "drop")
    (True, None)
    >>> fit(e, [(1, 6)], 8, "truncate")
    >>> fit(Encoded(1, list(range(20)), [-100] * 17 + [17, 18, 19]), [(1, 16)], 16, "truncate").input_ids
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19]
    """
    excess = len(encoded.input_ids) - max_length
    if excess <= 0:
        return encoded
    if overflow != "truncate" or not user_tokens:
        return None
    start, end = max(user_tokens, key=lambda span: span[1] - span[0])
    keep = (end - start) - excess
    if keep < 8:
        return None
    cut = slice(start + keep, end)
    ids = encoded.input_ids[: cut.start] + encoded.input_ids[cut.stop :]
    labels = encoded.labels[: cut.start] + encoded.labels[cut.stop :]
    return Encoded(encoded.line, ids, labels, truncated=True)


def encode_split(
    tokenizer: Any,
    conversations: Iterable[Conversation],
    *,
    end_of_turn: str,
    max_length: int,
    overflow: str,
    name: str,
) -> tuple[list[Encoded], SplitReport]:
    """Encode a file's conversations and apply the overflow policy; the report says what was done."""
    report = SplitReport()
    kept: list[Encoded] = []
    lengths: list[int] = []
    over: list[int] = []
    for conversation in conversations:
        report.examples += 1
        encoded, user_tokens = encode(tokenizer, conversation, end_of_turn)
        lengths.append(len(encoded.input_ids))
        if len(encoded.input_ids) > max_length:
            over.append(conversation.line)
        fitted = fit(encoded, user_tokens, max_length, overflow) if overflow != "error" else encoded
        if fitted is None:
            report.dropped_over_length += 1
            continue
        report.truncated += int(fitted.truncated)
        kept.append(fitted)
    if over and overflow == "error":
        shown = ", ".join(str(line) for line in over[:10])
        raise DataError(
            f"{len(over)} {name} example(s) exceed local.max_length={max_length} tokens (lines {shown})",
            hint="raise local.max_length, or set local.overflow to drop or truncate",
        )
    p50, p95 = percentiles(lengths, (0.5, 0.95))
    report.tokens = {"p50": p50, "p95": p95, "max": max(lengths, default=0), "total": sum(lengths)}
    report.kept = len(kept)
    report.over_length_lines = over[:20]
    report.trainable_tokens = sum(example.trainable for example in kept)
    return kept, report


def plan_order(lengths: Sequence[int], batch_size: int, epochs: int, seed: int, group: int = 32) -> list[int]:
    """Example indices in training order, ``epochs`` passes, batches of similar length.

    Each pass is a seeded shuffle; the stream is cut into groups of ``group`` batches, each group sorted
    by length (so a batch holds neighbours in length and pads little) and its batches shuffled (so long
    and short batches alternate instead of running from long to short).

    >>> order = plan_order([5, 50, 6, 52, 7, 49, 8, 51], batch_size=2, epochs=1, seed=0)
    >>> sorted(sorted(order[i:i + 2]) for i in range(0, 8, 2))  # like lengths are paired
    [[0, 2], [1, 5], [3, 7], [4, 6]]
    """
    rng = random.Random(seed)
    stream: list[int] = []
    for _ in range(epochs):
        indices = list(range(len(lengths)))
        rng.shuffle(indices)
        stream.extend(indices)
    size = max(1, group) * batch_size
    order: list[int] = []
    for begin in range(0, len(stream), size):
        chunk = sorted(stream[begin : begin + size], key=lambda i: (lengths[i], i))
        batches = [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
        rng.shuffle(batches)
        order.extend(i for batch in batches for i in batch)
    return order


def padding_share(batch_lengths: Iterable[Sequence[int]]) -> float:
    """Share of padding tokens when each batch is padded to its longest example.

    >>> padding_share([[4, 8], [8, 8]])
    0.125
    """
    padded = real = 0
    for lengths in batch_lengths:
        if lengths:
            padded += max(lengths) * len(lengths)
            real += sum(lengths)
    return 0.0 if padded == 0 else (padded - real) / padded


def render_mask(tokenizer: Any, encoded: Encoded) -> str:
    """The example's text with trained tokens inside ``[[`` ``]]``, to see the loss mask at a glance."""
    pieces: list[str] = []
    inside = False
    for token, label in zip(encoded.input_ids, encoded.labels, strict=True):
        trained = label != IGNORE
        if trained != inside:
            pieces.append("[[" if trained else "]]")
            inside = trained
        pieces.append(tokenizer.decode([token]))
    if inside:
        pieces.append("]]")
    return "".join(pieces)

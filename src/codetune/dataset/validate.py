"""Check a JSONL tuning file against a target's schema and limits, locally, with row numbers.

Vertex AI reports problems as ``Row: N`` (0-based) only after an upload; this module finds the same
problems before anything leaves the machine (Vertex AI's documented dataset rules for Gemini tuning,
summarised below). Every row is one JSON object on one line; a row's problems are reported together as
one :class:`RowError` naming the 1-based file line and the 0-based row. File-level problems (size, too
many validation rows) use ``line=0, row=-1``.

Targets:

- ``vertex`` (alias ``gemini``): ``{"systemInstruction"?, "contents", "tools"?}``, roles ``user``/``model``,
  first turn user, alternating, last turn model, every part exactly one non-empty ``text``.
- ``openai``: ``{"messages": [...]}``, an optional leading ``system`` message, then ``user``/``assistant``
  alternating, ending with ``assistant``; every ``content`` a non-empty string.

Token counts are estimates (:func:`codetune.tokens.estimate_tokens`), so the per-example limit is checked
with a safety margin: an example is rejected when its estimate plus the margin exceeds the limit.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codetune.dataset.schema import check_openai_row, check_prompt_completion_row, check_vertex_row
from codetune.errors import InputError
from codetune.tokens import estimate_tokens, percentiles

# Vertex AI's documented limits for tuning Gemini 2.5 Flash, Flash-Lite and Pro, and 2.0 Flash.
VERTEX_MAX_EXAMPLE_TOKENS = 131_072
VERTEX_MAX_FILE_BYTES = 1 << 30
VERTEX_MAX_TRAIN_EXAMPLES = 10_000_000
MAX_VALIDATION_EXAMPLES = 5_000
RECOMMENDED_MIN_TRAIN_EXAMPLES = 100
# Our token counts are chars/4-style estimates; Gemini's tokenizer may count more on dense code.
TOKEN_SAFETY_MARGIN = 0.10
# OpenAI's fine-tuning API rejects training files with fewer than 10 examples. Its per-example context
# depends on the model (65,536 for the gpt-4o-mini family at the time of writing): checked as a guide only.
OPENAI_MIN_TRAIN_EXAMPLES = 10
OPENAI_MAX_EXAMPLE_TOKENS = 65_536
OPENAI_MAX_FILE_BYTES = 512 * (1 << 20)

TARGET_ALIASES = {"gemini": "vertex"}


@dataclass(frozen=True)
class RowError:
    line: int  # 1-based line in the file (0: the whole file)
    row: int  # 0-based row, as Vertex reports "Row: N" (-1: the whole file)
    message: str

    def __str__(self) -> str:
        where = "file" if self.line == 0 else f"line {self.line} (row {self.row})"
        return f"{where}: {self.message}"


@dataclass
class ValidationResult:
    path: Path
    target: str
    rows: int = 0  # non-empty lines, valid or not
    errors: list[RowError] = field(default_factory=list)  # at most ``max_errors`` are kept
    warnings: list[str] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)  # estimated tokens of each valid example, in file order
    error_count: int = 0  # every invalid row and file-level problem, including those not kept
    bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def valid_rows(self) -> int:
        return len(self.tokens)

    def token_stats(self) -> dict[str, int]:
        """Estimated tokens per valid example: count, min, p50, p95, max and total."""
        p50, p95 = percentiles(self.tokens)
        return {
            "examples": len(self.tokens),
            "min": min(self.tokens, default=0),
            "p50": p50,
            "p95": p95,
            "max": max(self.tokens, default=0),
            "total": sum(self.tokens),
        }


def estimate_cost(tokens: int, epochs: int, price_per_million: float | None) -> float | None:
    """Estimated tuning cost in USD: billable tokens = dataset tokens x epochs.

    >>> estimate_cost(200_000, 3, 5.0)
    3.0
    >>> estimate_cost(1000, 3, None) is None
    True
    """
    if price_per_million is None:
        return None
    return tokens * epochs * price_per_million / 1_000_000


def limit_with_margin(limit: int, margin: float = TOKEN_SAFETY_MARGIN) -> int:
    """The largest estimate accepted for ``limit`` real tokens, leaving ``margin`` for estimation error.

    >>> limit_with_margin(131_072)
    119156
    """
    return math.floor(limit / (1 + margin))


_TARGETS: dict[str, tuple[Callable[[Any], tuple[list[str], list[str]]], int, int]] = {
    # target -> (row checker, per-example token limit, file size limit)
    "vertex": (check_vertex_row, VERTEX_MAX_EXAMPLE_TOKENS, VERTEX_MAX_FILE_BYTES),
    "openai": (check_openai_row, OPENAI_MAX_EXAMPLE_TOKENS, OPENAI_MAX_FILE_BYTES),
    "prompt_completion": (check_prompt_completion_row, VERTEX_MAX_EXAMPLE_TOKENS, VERTEX_MAX_FILE_BYTES),
}


def targets() -> list[str]:
    return sorted([*_TARGETS, *TARGET_ALIASES])


def _decode(raw: bytes, first: bool) -> tuple[str | None, str | None]:
    """The line as text, or why it is not UTF-8 JSON text."""
    if first and raw.startswith(b"\xef\xbb\xbf"):
        return None, "starts with a UTF-8 byte-order mark (save the file as UTF-8 without BOM)"
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"not valid UTF-8 (byte {exc.start} of the line)"


def validate_file(
    path: Path,
    target: str = "vertex",
    *,
    split: str = "train",
    max_errors: int = 1000,
    row_tokens: Sequence[int] | None = None,
) -> ValidationResult:
    """Check every row of the JSONL file ``path`` for ``target`` (``vertex`` | ``openai``).

    ``split`` (``train`` | ``validation``) selects the count limits. The file is streamed, so a 1 GB file
    needs little memory. Up to ``max_errors`` row errors are kept; all are counted in ``error_count``.
    ``row_tokens`` are the rows' token estimates in file order when the caller made the rows and
    measured them already (prepare does, with the same estimate): they are not estimated again.
    Raises :class:`InputError` only when the file cannot be read at all.
    """
    name = TARGET_ALIASES.get(target, target)
    if name not in _TARGETS:
        raise InputError(
            f"unknown validation target '{target}'", hint=f"choose one of: {', '.join(targets())}"
        )
    if split not in ("train", "validation"):
        raise InputError(f"unknown split '{split}'", hint="choose train or validation")
    check_row, token_limit, max_bytes = _TARGETS[name]
    path = Path(path)
    result = ValidationResult(path=path, target=name)

    def fail(line: int, row: int, message: str) -> None:
        result.error_count += 1
        if len(result.errors) < max_errors:
            result.errors.append(RowError(line=line, row=row, message=message))

    accepted = limit_with_margin(token_limit)
    seen: set[bytes] = set()
    duplicates = 0
    try:
        result.bytes = path.stat().st_size
        handle = open(path, "rb")  # noqa: SIM115 - closed below; binary so bad bytes are reported per line
    except FileNotFoundError as exc:
        raise InputError(f"file not found: {path}", hint="check the path, or run prepare first") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path} is a directory, not a JSONL file") from exc
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    if result.bytes > max_bytes:
        fail(0, -1, f"file is {result.bytes:,} bytes; {name} accepts at most {max_bytes:,}")
    with handle:
        for line_number, raw in enumerate(handle, start=1):
            row_number = line_number - 1  # Vertex counts every line of the file as a row
            raw = raw.rstrip(b"\r\n")
            if not raw.strip():
                fail(line_number, row_number, "empty line (every line must be one JSON object)")
                continue
            result.rows += 1
            text, problem = _decode(raw, first=line_number == 1)
            if text is None:
                fail(line_number, row_number, problem or "unreadable")
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                fail(line_number, row_number, f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            problems, texts = check_row(row)
            if row_tokens is not None and row_number < len(row_tokens):
                tokens = row_tokens[row_number]
            else:
                tokens = sum(estimate_tokens(part) for part in texts)
            if not problems and tokens > accepted:
                problems.append(
                    f"estimated {tokens:,} tokens; the limit is {token_limit:,} per example "
                    f"(estimates above {accepted:,} are rejected to leave a {TOKEN_SAFETY_MARGIN:.0%} margin)"
                )
            if problems:
                fail(line_number, row_number, "; ".join(problems))
                continue
            result.tokens.append(tokens)
            digest = hashlib.blake2b(raw, digest_size=16).digest()
            if digest in seen:
                duplicates += 1
            seen.add(digest)

    _check_counts(result, name, split, fail)
    if duplicates:
        result.warnings.append(f"{duplicates} row(s) repeat an earlier row exactly")
    if result.error_count > len(result.errors):
        result.warnings.append(
            f"only the first {len(result.errors)} of {result.error_count} errors are listed"
        )
    return result


def _check_counts(
    result: ValidationResult, target: str, split: str, fail: Callable[[int, int, str], None]
) -> None:
    if result.rows == 0:
        result.warnings.append("the file has no examples")
        return
    if split == "validation" and result.rows > MAX_VALIDATION_EXAMPLES:
        fail(0, -1, f"{result.rows:,} validation examples; at most {MAX_VALIDATION_EXAMPLES:,} are accepted")
    if split == "train":
        if target == "vertex" and result.rows > VERTEX_MAX_TRAIN_EXAMPLES:
            fail(0, -1, f"{result.rows:,} examples; Vertex AI accepts at most {VERTEX_MAX_TRAIN_EXAMPLES:,}")
        if target == "openai" and result.rows < OPENAI_MIN_TRAIN_EXAMPLES:
            fail(0, -1, f"{result.rows} examples; OpenAI requires at least {OPENAI_MIN_TRAIN_EXAMPLES}")
        elif result.rows < RECOMMENDED_MIN_TRAIN_EXAMPLES:
            result.warnings.append(
                f"only {result.rows} training examples; about {RECOMMENDED_MIN_TRAIN_EXAMPLES} or more are recommended"
            )


def check_split_sizes(train_rows: int, validation_rows: int) -> list[str]:
    """Problems with the pair of split sizes that a single file cannot show (Vertex rules).

    >>> check_split_sizes(2000, 700)
    ['700 validation examples is more than 30% of 2000 training examples (Vertex limit when training has over 1,000)']
    >>> check_split_sizes(500, 200)
    []
    """
    problems = []
    if validation_rows > MAX_VALIDATION_EXAMPLES:
        problems.append(
            f"{validation_rows} validation examples; at most {MAX_VALIDATION_EXAMPLES:,} are accepted"
        )
    if train_rows > 1000 and validation_rows > 0.3 * train_rows:
        problems.append(
            f"{validation_rows} validation examples is more than 30% of {train_rows} training examples "
            "(Vertex limit when training has over 1,000)"
        )
    return problems

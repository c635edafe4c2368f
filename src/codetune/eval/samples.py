"""The evaluation set: validation rows paired with their manifest entries, and a stable sample of them.

A validation row is a conversation ending with the reference answer; the prompt is every turn before it.
The prepare manifest (``manifest.json`` beside the data, key ``validation``: one entry per line in order)
says which strategy made each row, so each answer is scored the way its strategy needs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from codetune.errors import DataError, InputError
from codetune.records import Message

UNKNOWN_STRATEGY = "unknown"
_FINDING_LINE = re.compile(r"^\s*(?:[-*]\s*)?line\s+\d+", re.I | re.M)


@dataclass(frozen=True)
class EvalSample:
    id: str  # the manifest's example_id, or "line-N" without a manifest
    line: int  # 1-based line in the validation file
    strategy: str
    unit_id: str
    source_file: str
    system: str | None
    prompt: tuple[Message, ...]  # user/model turns ending with a user turn
    reference: str


def _manifest_entries(data_file: Path) -> list[dict[str, str]] | None:
    manifest = data_file.parent / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8")).get("validation")
    except (ValueError, AttributeError):
        return None
    return entries if isinstance(entries, list) else None


def load_samples(data_file: str | Path) -> list[EvalSample]:
    """Every row of a Gemini-format validation file as an :class:`EvalSample`, in file order.

    Rows that are not conversations ending with a model turn are data errors: the file is what the model
    was validated on, so it should have passed ``codetune validate``.
    """
    from codetune.formats.gemini import read_row

    path = Path(data_file)
    if not path.is_file():
        raise InputError(
            f"validation file not found: {path}",
            hint="prepare the data first (codetune prepare), or pass the job whose data should be used",
        )
    entries = _manifest_entries(path)
    samples: list[EvalSample] = []
    with open(path, encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                system, messages = read_row(json.loads(text))
            except ValueError as exc:
                raise DataError(f"{path}:{number}: not valid JSON", hint="rerun codetune prepare") from exc
            except DataError as exc:
                raise DataError(f"{path}:{number}: {exc.message}", hint=exc.hint) from exc
            if len(messages) < 2 or messages[-1].role != "model":
                raise DataError(
                    f"{path}:{number}: the last turn is not a model answer", hint="rerun codetune prepare"
                )
            entry = entries[number - 1] if entries is not None and number - 1 < len(entries) else {}
            samples.append(
                EvalSample(
                    id=str(entry.get("example_id") or f"line-{number}"),
                    line=number,
                    strategy=str(entry.get("strategy") or UNKNOWN_STRATEGY),
                    unit_id=str(entry.get("unit_id") or ""),
                    source_file=str(entry.get("source_file") or ""),
                    system=system,
                    prompt=tuple(messages[:-1]),
                    reference=messages[-1].text,
                )
            )
    if not samples:
        raise DataError(f"{path} has no examples", hint="prepare more data (codetune prepare)")
    return samples


def _rank(sample_id: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{sample_id}".encode()).hexdigest()


def _kind(sample: EvalSample) -> str:
    """Within a strategy, the kinds of answer worth covering: a review that finds problems (taken first)
    vs a clean one."""
    if sample.strategy == "code_review":
        return "findings" if _FINDING_LINE.search(sample.reference) else "clean"
    return ""


def _interleave(queues: list[list[EvalSample]]) -> list[EvalSample]:
    merged: list[EvalSample] = []
    while any(queues):
        for queue in queues:
            if queue:
                merged.append(queue.pop(0))
    return merged


def select(samples: Sequence[EvalSample], limit: int | None, seed: int = 0) -> list[EvalSample]:
    """A stable sample of at most ``limit`` samples, balanced across strategies.

    Samples are ordered by a hash of their id (so adding examples elsewhere does not reshuffle the
    choice); strategies take turns, and within reviews, ones with findings and clean ones take turns.
    The result keeps file order.

    >>> from codetune.records import Message
    >>> make = lambda i, s: EvalSample(f"id{i}", i, s, "", "", None, (Message("user", "q"),), "a")
    >>> pool = [make(i, "code_review" if i % 4 == 0 else "code_explanation") for i in range(1, 13)]
    >>> sorted({s.strategy for s in select(pool, 2)})
    ['code_explanation', 'code_review']
    >>> len(select(pool, None)), len(select(pool, 5))
    (12, 5)
    """
    if limit is None or limit >= len(samples):
        return list(samples)
    groups: dict[str, dict[str, list[EvalSample]]] = {}
    for sample in samples:
        groups.setdefault(sample.strategy, {}).setdefault(_kind(sample), []).append(sample)
    queues = [
        _interleave([sorted(kinds[k], key=lambda s: _rank(s.id, seed)) for k in sorted(kinds, reverse=True)])
        for _, kinds in sorted(groups.items())
    ]
    return sorted(_interleave(queues)[:limit], key=lambda s: s.line)

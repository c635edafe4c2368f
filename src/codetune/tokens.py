"""Token estimates that need no network and no tokenizer download.

Google's rule of thumb is ~4 characters per token for Gemini; code is denser, so we count
characters/4 but never fewer than the number of whitespace-separated words plus punctuation runs
would suggest. Every figure derived from here is labelled an *estimate* wherever it is shown.
"""

from __future__ import annotations

import math
import re

_PIECES = re.compile(r"\w+|[^\w\s]")


def estimate_tokens(text: str) -> int:
    """Estimated Gemini tokens in ``text``.

    >>> estimate_tokens("")
    0
    >>> estimate_tokens("public int size() { return n; }")
    9
    """
    if not text:
        return 0
    by_chars = math.ceil(len(text) / 4)
    by_pieces = math.ceil(len(_PIECES.findall(text)) * 0.9)
    return max(by_chars, by_pieces)


def percentiles(values: list[int], points: tuple[float, ...] = (0.5, 0.95)) -> list[int]:
    """Nearest-rank percentiles of ``values`` (0 for an empty list).

    >>> percentiles([1, 2, 3, 4, 100])
    [3, 100]
    """
    if not values:
        return [0 for _ in points]
    ordered = sorted(values)
    return [ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))] for p in points]

"""Paired bootstrap intervals and verdicts for tuned-minus-base differences.

Every metric is a ratio of per-sample sums, ``sum(numerator) / sum(denominator)``: a mean has
denominator 1 per sample (a rate is the mean of 0/1 values), a micro-averaged metric (findings recall:
named findings over expected ones; held-out loss: summed NLL over answer tokens) has the sample's own
counts. The bootstrap resamples *samples*, with the same draw for both sides (the answers to one
prompt are paired), recomputes both ratios and their difference, and takes the 2.5th and 97.5th
percentiles of 10,000 differences. The generator is seeded, so the same values give the same interval.

The verdict is ``better`` or ``worse`` when the interval excludes 0, in the metric's good direction,
and ``no detectable difference`` otherwise. Two guards keep it honest on tiny samples: below
:data:`MIN_VERDICT_SAMPLES` paired samples there is no verdict (when every sample moves the same way
the bootstrap interval collapses to a point, yet an exact sign test on 5 samples cannot reach
p < 0.05), and a metric without a good direction (answer length, latency, output tokens) gets an
interval but no verdict (``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RESAMPLES = 10_000
SEED = 0
CONFIDENCE = 0.95
MIN_VERDICT_SAMPLES = 6  # two-sided exact sign test, all samples one way: p = 2 / 2**n < 0.05 from n = 6
SMALL_SAMPLE = 20  # fewer samples than this in a strategy: the report warns that intervals are wide
BETTER, WORSE, NO_DIFFERENCE = "better", "worse", "no detectable difference"
_CHUNK_DRAWS = 1_000_000  # sample indices drawn at a time: bounds memory on large validation sets

Pair = tuple[float, float]  # (numerator, denominator) of one sample


@dataclass(frozen=True)
class Comparison:
    n: int
    first: float | None  # the tuned side's value
    second: float | None  # the base side's value
    diff: float | None
    ci95: tuple[float, float] | None
    verdict: str | None


def ratio(pairs: Sequence[Pair]) -> float | None:
    """``sum(numerators) / sum(denominators)``; None when the denominators sum to 0.

    >>> ratio([(1, 1), (0, 1), (1, 1)]), ratio([(2, 4), (1, 2)]), ratio([(0, 0)])
    (0.6666666666666666, 0.5, None)
    """
    denominator = sum(d for _, d in pairs)
    return sum(n for n, _ in pairs) / denominator if denominator else None


def bootstrap_interval(
    first: Sequence[Pair],
    second: Sequence[Pair],
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    confidence: float = CONFIDENCE,
) -> tuple[float, float] | None:
    """The percentile interval of ``ratio(first) - ratio(second)`` over paired resamples of samples.

    Resamples where either ratio is undefined (all denominators 0) are left out; None when no
    resample is defined.

    >>> bootstrap_interval([(1, 1)] * 10, [(1, 1)] * 10)
    (0.0, 0.0)
    >>> low, high = bootstrap_interval([(x, 1) for x in range(10)], [(x - 1, 1) for x in range(10)])
    >>> round(low, 6), round(high, 6)
    (1.0, 1.0)
    """
    import numpy as np

    if len(first) != len(second):
        raise ValueError("paired values need the same samples on both sides")
    count = len(first)
    if count == 0:
        return None
    columns = np.asarray([[*a, *b] for a, b in zip(first, second, strict=True)], dtype=np.float64).T
    generator = np.random.default_rng(seed)
    differences = []
    chunk = max(1, min(resamples, _CHUNK_DRAWS // count))
    for start in range(0, resamples, chunk):
        drawn = generator.integers(0, count, size=(min(chunk, resamples - start), count))
        # Each side's resampled numerator and denominator sums.
        a, b, c, d = (column[drawn].sum(axis=1) for column in columns)
        with np.errstate(divide="ignore", invalid="ignore"):
            diff = a / b - c / d
        differences.append(diff[np.isfinite(diff)])
    pooled = np.concatenate(differences)
    if pooled.size == 0:
        return None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(pooled, [tail, 100 - tail])
    return float(low), float(high)


def verdict(interval: tuple[float, float] | None, higher_is_better: bool | None, n: int) -> str | None:
    """``better`` / ``worse`` / ``no detectable difference`` for a tuned-minus-base interval.

    >>> verdict((0.5, 3.0), True, 30), verdict((0.5, 3.0), False, 30), verdict((-1.0, 3.0), True, 30)
    ('better', 'worse', 'no detectable difference')
    >>> verdict((0.5, 3.0), True, 5), verdict((0.5, 3.0), None, 30)
    ('no detectable difference', None)
    """
    if higher_is_better is None:
        return None
    if interval is None or n < MIN_VERDICT_SAMPLES:
        return NO_DIFFERENCE
    low, high = interval
    if low > 0:
        return BETTER if higher_is_better else WORSE
    if high < 0:
        return WORSE if higher_is_better else BETTER
    return NO_DIFFERENCE


def compare(
    first: Sequence[Pair], second: Sequence[Pair], higher_is_better: bool | None, *, seed: int = SEED
) -> Comparison:
    """Both sides' values, their difference, its interval and the verdict, for paired samples.

    >>> result = compare([(1, 1)] * 30, [(0, 1)] * 30, True)
    >>> result.diff, result.ci95, result.verdict
    (1.0, (1.0, 1.0), 'better')
    """
    a, b = ratio(first), ratio(second)
    diff = a - b if a is not None and b is not None else None
    interval = bootstrap_interval(first, second, seed=seed) if diff is not None else None
    return Comparison(len(first), a, b, diff, interval, verdict(interval, higher_is_better, len(first)))

from __future__ import annotations

import random

import pytest

from codetune.eval import stats


def _means(values: list[float]) -> list[stats.Pair]:
    return [(value, 1.0) for value in values]


def test_the_interval_is_reproducible_and_depends_on_the_seed() -> None:
    rng = random.Random(7)
    tuned = _means([rng.gauss(52, 10) for _ in range(40)])
    base = _means([rng.gauss(50, 10) for _ in range(40)])
    first = stats.bootstrap_interval(tuned, base)
    assert first == stats.bootstrap_interval(tuned, base)  # fixed seed: same report every time
    assert first != stats.bootstrap_interval(tuned, base, seed=1)
    low, high = first
    diff = stats.ratio(tuned) - stats.ratio(base)
    assert low < diff < high


def test_an_obvious_difference_is_better_and_identical_sides_are_not() -> None:
    rng = random.Random(3)
    base = [rng.gauss(40, 8) for _ in range(30)]
    better = stats.compare(_means([b + 15 + rng.gauss(0, 3) for b in base]), _means(base), True)
    assert better.verdict == stats.BETTER and better.ci95[0] > 10
    same = stats.compare(_means(base), _means(base), True)
    assert same.diff == 0 and same.ci95 == (0.0, 0.0) and same.verdict == stats.NO_DIFFERENCE
    # Lower is better (a loss, answers cut short): the same rise is worse.
    assert stats.compare(_means([b + 15 for b in base]), _means(base), False).verdict == stats.WORSE
    assert stats.compare(_means(base), _means([b + 15 for b in base]), False).verdict == stats.BETTER


def test_noise_gives_no_detectable_difference() -> None:
    rng = random.Random(11)
    tuned = _means([rng.gauss(50, 10) for _ in range(25)])
    base = _means([rng.gauss(50, 10) for _ in range(25)])
    result = stats.compare(tuned, base, True)
    assert result.ci95[0] < 0 < result.ci95[1] and result.verdict == stats.NO_DIFFERENCE


def test_few_samples_or_no_direction_give_no_verdict() -> None:
    # Every sample moves the same way: the bootstrap interval collapses, the sample is still too small.
    tiny = stats.compare(_means([100.0] * 5), _means([0.0] * 5), True)
    assert tiny.ci95 == (100.0, 100.0) and tiny.verdict == stats.NO_DIFFERENCE
    assert stats.compare(_means([100.0] * 6), _means([0.0] * 6), True).verdict == stats.BETTER
    lengths = stats.compare(_means([120.0] * 30), _means([40.0] * 30), None)
    assert lengths.ci95 == (80.0, 80.0) and lengths.verdict is None


def test_micro_averages_resample_samples_and_recompute_the_ratio() -> None:
    # Findings recall: per sample (100 * named, expected). Sample 0 holds most of the findings.
    tuned = [(100.0 * 9, 10.0), (100.0, 1.0), (0.0, 1.0)] * 4
    base = [(100.0 * 2, 10.0), (0.0, 1.0), (100.0, 1.0)] * 4
    result = stats.compare(tuned, base, True)
    assert result.first == pytest.approx(100 * 40 / 48) and result.second == pytest.approx(100 * 12 / 48)
    assert result.verdict == stats.BETTER
    # Precision with samples whose answers name nothing (0 / 0) on one side: those resamples still count.
    sparse = [(0.0, 0.0)] * 9 + [(100.0, 1.0)]
    assert stats.bootstrap_interval(sparse, [(0.0, 1.0)] * 10) is not None
    assert stats.bootstrap_interval([(0.0, 0.0)] * 3, [(0.0, 0.0)] * 3) is None


def test_sides_must_pair_up() -> None:
    with pytest.raises(ValueError, match="same samples"):
        stats.bootstrap_interval(_means([1.0, 2.0]), _means([1.0]))

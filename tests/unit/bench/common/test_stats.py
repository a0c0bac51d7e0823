"""numpy's percentiles give the figures the hand-written ones gave (bench/speed/load.py and
bench/quality/answers.py before numpy), so that no report changes with the switch."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from bench.common.stats import percentile


def linear_by_hand(values: Sequence[float], q: float) -> float:
    """The load generator's own percentile before numpy: linear between the closest ranks."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def nearest_by_hand(values: Sequence[float], share: float) -> float:
    """The answers' 90th percentile before numpy: the closest rank, Python's round (ties to even)."""
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))])


ARRAYS = [
    [7.0],
    [3.0, 1.0],
    [float(value) for value in range(1, 101)],
    [12.5, 80.25, 3.75, 44.0, 44.0, 1000.5],  # 6 values: rank 4.5 at the 90th percentile, a tie
    [0.1 * value**1.5 for value in range(37)],
    [math.exp(3 + math.sin(value)) * (1 + value % 7) for value in range(250)],  # latency-like, unordered
]


@pytest.mark.parametrize("values", ARRAYS)
@pytest.mark.parametrize("q", [0, 1, 25, 50, 90, 95, 99, 100])
def test_linear_is_the_hand_written_definition(values: list[float], q: float) -> None:
    # The same formula; numpy sums in another order, so the last bit may differ (1e-15 relative).
    assert percentile(values, q) == pytest.approx(linear_by_hand(values, q), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("values", [*ARRAYS, [450, 380, 120, 800, 799, 651, 333], list(range(11))])
@pytest.mark.parametrize("q", [10, 50, 90, 95])
def test_nearest_is_the_hand_written_definition_exactly(values: list[float], q: int) -> None:
    assert percentile(values, q, method="nearest") == nearest_by_hand(values, q / 100)


def test_a_tie_goes_to_the_even_rank_as_pythons_round() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]  # rank 4.5 at the 90th percentile
    assert percentile(values, 90, method="nearest") == 50.0


def test_the_load_generators_figures() -> None:
    values = [float(value) for value in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(list(reversed(values)), 0) == 1.0
    assert percentile([7.0], 95) == 7.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile(values, 101)

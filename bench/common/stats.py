"""Percentiles of the benchmarks' samples (latencies, answer lengths), by numpy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy

# "linear" interpolates between the two closest ranks (numpy's default, Hyndman and Fan's type 7):
# the latencies. "nearest" takes the sample at the closest rank, a tie going to the even rank: the
# answers' lengths, so that the figure is the length of an answer really sent.
PercentileMethod = Literal["linear", "nearest"]


def percentile(values: Sequence[float], q: float, method: PercentileMethod = "linear") -> float:
    """The q-th percentile (0-100) of ``values``; NaN when there are none, ValueError when ``q`` is
    out of range."""
    if not values:
        return math.nan
    return float(numpy.percentile(values, q, method=method))

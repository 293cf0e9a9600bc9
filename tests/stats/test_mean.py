"""Means with Student's t limits, by hand.

(PHEindicatormethods' ``testdata_Mean.xlsx`` is not among the reference files.)
"""

from __future__ import annotations

import math

import pytest

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats import mean


def test_mean_by_hand():
    # values 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample SD sqrt(32/7) = 2.13809
    # t(7, 0.975) = 2.364624; half-width = 2.364624 * 2.13809 / sqrt(8) = 1.787500
    est = mean([2, 4, 4, 4, 5, 5, 7, 9])
    half = 2.364624252 * math.sqrt(32 / 7) / math.sqrt(8)  # t from tables, 10 figures
    assert est.value == pytest.approx(5.0)
    assert est.lower_ci == pytest.approx(5 - half, rel=1e-9)
    assert est.upper_ci == pytest.approx(5 + half, rel=1e-9)
    assert (est.count, est.method, est.statistic) == (8.0, "Student's t-distribution", "mean")


def test_wider_at_998():
    assert mean([1, 2, 3, 4], 0.998).lower_ci < mean([1, 2, 3, 4]).lower_ci


@pytest.mark.parametrize(
    ("values", "message"),
    [([1], "at least 2"), ([1, math.nan], "missing"), ([1, "2"], "number"), ("12", "numbers")],
)
def test_errors(values, message):
    with pytest.raises(StatsInputError, match=message):
        mean(values)

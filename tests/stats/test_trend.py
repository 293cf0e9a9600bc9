"""Fingertips recent-trend markers (METHODS.md B7), by hand-worked examples.

No reference workbook exists for trends; the expectations are derived in the
comments. With equal standard errors SE the weights are equal (w = 1/SE^2),
the WLS slope is the ordinary one and, for t = 1..5 (sum of (t - 3)^2 = 10),
chi2 = slope^2 * w * 10.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats import TREND_LABELS, TrendResult, recent_trend, recent_trend_proportion
from cdp_analysis.stats.trend import TREND_CHI2_THRESHOLD

RISING = [10.0, 11.0, 12.0, 13.0, 14.0]


def _limits(values, half_width):
    return [v - half_width for v in values], [v + half_width for v in values]


def test_threshold_is_chi2_998():
    from scipy import stats

    assert TREND_CHI2_THRESHOLD == pytest.approx(stats.chi2.ppf(0.998, 1), rel=1e-12)


@pytest.mark.parametrize(
    ("polarity", "label"),
    [
        ("HighIsGood", "Increasing and getting better"),
        ("LowIsGood", "Increasing and getting worse"),
        ("NoJudgement", "Increasing"),
    ],
)
def test_rising_series_with_tight_limits(polarity, label):
    # limits +/- 1: SE = 2/3.92 = 0.5102, w = 3.8416; slope = 1; chi2 = 1 * 3.8416 * 10 = 38.416
    lower, upper = _limits(RISING, 1.0)
    result = recent_trend(RISING, lower, upper, polarity=polarity)
    assert isinstance(result, TrendResult)
    assert result.label == label
    assert result.slope == pytest.approx(1.0)
    assert result.chi2 == pytest.approx(38.416)
    assert (result.direction, result.significant, result.n_points) == (1, True, 5)


@pytest.mark.parametrize(
    ("polarity", "label"),
    [("HighIsGood", "Decreasing and getting worse"), ("LowIsGood", "Decreasing and getting better")],
)
def test_falling_series(polarity, label):
    falling = RISING[::-1]
    lower, upper = _limits(falling, 1.0)
    result = recent_trend(falling, lower, upper, polarity=polarity)
    assert (result.label, result.direction) == (label, -1)


def test_flat_series_no_change():
    # slope 0 -> chi2 0
    values = [10.0] * 5
    result = recent_trend(values, *_limits(values, 1.0))
    assert result.label == "No significant change"
    assert result.chi2 == pytest.approx(0.0, abs=1e-12)
    assert result.direction == 0


def test_four_points_cannot_be_calculated():
    values = RISING[:4]
    result = recent_trend(values, *_limits(values, 1.0))
    assert result.label == "Cannot be calculated"
    assert math.isnan(result.chi2) and result.n_points == 4


def test_chi2_either_side_of_threshold():
    # slope 1, equal SE: chi2 = w * 10
    # SE = 1/sqrt(0.9) (CI width 3.92/sqrt(0.9)): chi2 = 9.0 < 9.5495 -> no significant change
    # SE = 1 (CI width 3.92): chi2 = 10.0 > 9.5495 -> increasing
    below = recent_trend(RISING, *_limits(RISING, 1.96 / math.sqrt(0.9)))
    above = recent_trend(RISING, *_limits(RISING, 1.96))
    assert below.chi2 == pytest.approx(9.0) and below.label == "No significant change"
    assert above.chi2 == pytest.approx(10.0) and above.label == "Increasing and getting better"


def test_leave_one_out_sign_flip_blocks_trend():
    values = [20.0, 10.0, 10.0, 10.0, 30.0]
    # all five: mean 16, sum (t-3)(y-16) = -8 + 6 + 0 - 6 + 28 = 20 -> slope 2, chi2 = 4*3.8416*10
    # = 153.7 (significant) but without the last point (20, 10, 10, 10) the slope is negative
    result = recent_trend(values, *_limits(values, 1.0))
    assert result.chi2 == pytest.approx(153.664)
    assert result.slope == pytest.approx(2.0)
    assert result.label == "No significant change" and not result.significant


def test_weighted_slope_matches_numpy_polyfit():
    values = [12.0, 12.5, 14.0, 13.8, 15.5]
    half = [0.5, 1.0, 0.8, 2.0, 0.6]
    lower = [v - h for v, h in zip(values, half)]
    upper = [v + h for v, h in zip(values, half)]
    se = np.array(half) * 2 / 3.92
    # numpy's weighted fit minimises sum (w_i r_i)^2, so pass sqrt of the WLS weights 1/SE^2
    slope = np.polyfit(np.arange(1, 6), values, 1, w=1 / se)[0]
    assert recent_trend(values, lower, upper).slope == pytest.approx(slope, rel=1e-10)


def test_uses_the_last_five_valid_points():
    # an old falling stretch and a missing point are ignored; the last 5 complete points rise
    values = [30.0, 20.0, 10.0, math.nan] + RISING
    lower, upper = _limits(values, 1.0)
    assert recent_trend(values, lower, upper).label == "Increasing and getting better"


def test_zero_width_interval_cannot_be_calculated():
    result = recent_trend(RISING, RISING, RISING)
    assert result.label == "Cannot be calculated" and "zero width" in result.message


def test_proportion_chi_square_for_trend():
    x = [100, 120, 140, 160, 180]
    n = [1000] * 5
    # N = 5000, X = 700, sum x t = 2300, sum n t = 15000, sum n t^2 = 55000
    # chi2 = 5000 (5000*2300 - 700*15000)^2 / (700 * 4300 * (5000*55000 - 15000^2))
    #      = 5000 * (1e6)^2 / (3.01e6 * 5e7) = 33.2226
    result = recent_trend_proportion(x, n, polarity="LowIsGood")
    assert result.chi2 == pytest.approx(5000 * 1e12 / (3.01e6 * 5e7))
    assert result.label == "Increasing and getting worse"
    # slope of logit(x/(n-x)) on t: logits of 0.1 ... 0.18 rise, so positive
    assert result.slope > 0


def test_proportion_flat_and_edge_cases():
    flat = recent_trend_proportion([50] * 5, [500] * 5)
    assert flat.label == "No significant change" and flat.chi2 == pytest.approx(0.0, abs=1e-12)
    assert recent_trend_proportion([50] * 4, [500] * 4).label == "Cannot be calculated"
    zero = recent_trend_proportion([0, 5, 10, 15, 20], [100] * 5)
    assert zero.label == "Cannot be calculated"


def test_labels_are_listed():
    assert "No significant change" in TREND_LABELS and "Cannot be calculated" in TREND_LABELS


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: recent_trend([1, 2, 3, 4, 5], [0, 1, 2, 3], [2, 3, 4, 5, 6]), "same length"),
        (lambda: recent_trend([1, 2, 3, 4, 5], [2] * 5, [1] * 5), "lower limit above"),
        (lambda: recent_trend(RISING, *_limits(RISING, 1), polarity="up"), "polarity"),
        (lambda: recent_trend("12345", "12345", "12345"), "sequence of numbers"),
        (lambda: recent_trend_proportion([5, 6, 7, 8, 9], [4, 10, 10, 10, 10]), "exceed"),
        (lambda: recent_trend_proportion([5, 6, 7, 8, 9], [0, 10, 10, 10, 10]), "greater than zero"),
    ],
)
def test_errors(call, message):
    with pytest.raises(StatsInputError, match=message):
        call()

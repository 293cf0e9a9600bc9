"""Change between two periods: non-overlapping 95% intervals, judged by polarity."""

from __future__ import annotations

import math

import pytest

from cdp_analysis import stats
from cdp_analysis.errors import StatsInputError


@pytest.mark.parametrize(("before", "after", "expected"), [
    ((10.0, 12.0), (12.5, 14.0), "Increased"),
    ((10.0, 12.0), (8.0, 9.9), "Decreased"),
    ((10.0, 12.0), (11.9, 14.0), "No significant change"),   # overlap by 0.1
    ((10.0, 12.0), (12.0, 14.0), "No significant change"),   # touching limits overlap
    ((10.0, 12.0), (math.nan, 14.0), "Not compared"),
    ((None, 12.0), (13.0, 14.0), "Not compared"),
])
def test_compare_periods(before, after, expected):
    assert stats.compare_periods(*before, *after) == expected


def test_compare_periods_refuses_inverted_limits():
    with pytest.raises(StatsInputError, match="above upper"):
        stats.compare_periods(12.0, 10.0, 13.0, 14.0)


@pytest.mark.parametrize(("label", "polarity", "expected"), [
    ("Increased", "HighIsGood", "better"), ("Increased", "LowIsGood", "worse"),
    ("Decreased", "HighIsGood", "worse"), ("Decreased", "LowIsGood", "better"),
    ("Increased", "NoJudgement", ""), ("No significant change", "LowIsGood", ""), ("Not compared", "HighIsGood", ""),
    ("Decreased", "RAG - Low is good", "better"), ("Increased", "", ""),
])
def test_change_judgement(label, polarity, expected):
    assert stats.change_judgement(label, polarity) == expected


def test_change_judgement_refuses_unknown_labels():
    with pytest.raises(StatsInputError):
        stats.change_judgement("Up", "HighIsGood")

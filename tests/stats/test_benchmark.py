"""Benchmark comparison (METHODS.md B6): area CI against the benchmark's value.

Expected, edge and erroneous cases in one table; colours from the METHODS.md
table (FingertipsNext ``BenchmarkLabelConfig.ts``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats import (
    BENCHMARK_COLOURS,
    BENCHMARK_LABELS,
    compare_to_benchmark,
    compare_to_benchmark_series,
    quintile_labels,
)

CASES = [
    # lower, upper, benchmark, polarity, expected
    (10, 12, 9, "HighIsGood", "Better"),  # LCI > benchmark -> higher
    (10, 12, 9, "LowIsGood", "Worse"),
    (10, 12, 9, "NoJudgement", "Higher"),
    (10, 12, 13, "HighIsGood", "Worse"),  # UCI < benchmark -> lower
    (10, 12, 13, "LowIsGood", "Better"),
    (10, 12, 13, "NoJudgement", "Lower"),
    (10, 12, 11, "HighIsGood", "Similar"),  # benchmark inside the CI
    (10, 12, 11, "NoJudgement", "Similar"),
    (10, 12, 10, "HighIsGood", "Similar"),  # touching the lower limit is not "above"
    (10, 12, 12, "LowIsGood", "Similar"),  # touching the upper limit is not "below"
    (11, 11, 11, "HighIsGood", "Similar"),  # zero-width interval at the benchmark
    (None, 12, 11, "HighIsGood", "Not compared"),
    (10, math.nan, 11, "HighIsGood", "Not compared"),
    (10, 12, None, "LowIsGood", "Not compared"),
    (10, 12, pd.NA, "NoJudgement", "Not compared"),
    (10, 12, 9, "RAG - High is good", "Better"),  # Fingertips polarity spellings
    (10, 12, 9, "RAG - Low is good", "Worse"),
    (10, 12, 9, "BOB - Blue orange blue", "Higher"),
    (-5.5, -1.0, 0.0, "HighIsGood", "Worse"),  # negative values (e.g. an SII)
]


@pytest.mark.parametrize(("lower", "upper", "bench", "polarity", "expected"), CASES)
def test_compare_to_benchmark(lower, upper, bench, polarity, expected):
    assert compare_to_benchmark(lower, upper, bench, polarity) == expected
    assert expected in BENCHMARK_LABELS


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((12, 10, 11), "above upper limit"),
        ((10, 12, 11, "HighIsBad"), "polarity"),
        ((10, 12, 11, 1), "polarity"),
        ((10, 12, 11, "HighIsGood", 0.5), "confidence"),
        (("10", 12, 11), "numbers"),
    ],
)
def test_compare_errors(args, message):
    with pytest.raises(StatsInputError, match=message):
        compare_to_benchmark(*args)


def test_series_matches_scalar_table():
    polarities = {c[3] for c in CASES}
    for polarity in polarities:
        rows = [c for c in CASES if c[3] == polarity]
        lower = pd.Series([np.nan if c[0] is None else c[0] for c in rows], index=range(10, 10 + len(rows)))
        upper = pd.Series([c[1] for c in rows], index=lower.index, dtype="float64")
        bench = pd.Series(
            [np.nan if c[2] is None or c[2] is pd.NA else c[2] for c in rows], index=lower.index
        )
        got = compare_to_benchmark_series(lower, upper, bench, polarity)
        assert got.tolist() == [c[4] for c in rows]
        assert got.index.equals(lower.index)


def test_series_with_scalar_benchmark_and_errors():
    lower, upper = pd.Series([1.0, 5.0, np.nan]), pd.Series([2.0, 6.0, 3.0])
    assert compare_to_benchmark_series(lower, upper, 3.0, "LowIsGood").tolist() == [
        "Better", "Worse", "Not compared",
    ]  # fmt: skip
    assert compare_to_benchmark_series(lower, upper, None).tolist() == ["Not compared"] * 3
    with pytest.raises(StatsInputError, match="above upper"):
        compare_to_benchmark_series(pd.Series([3.0]), pd.Series([2.0]), 1.0)


def test_colours_from_methods_note():
    assert BENCHMARK_COLOURS[0.95] == {
        "Better": "#00703C", "Similar": "#FFDD00", "Worse": "#D4351C",
        "Lower": "#5694CA", "Higher": "#003078", "Not compared": "transparent",
    }  # fmt: skip
    assert BENCHMARK_COLOURS[0.998] == {
        "Better": "#85994B", "Similar": "#FFDD00", "Worse": "#831504",
        "Lower": "#AFCFE5", "Higher": "#1D70B8", "Not compared": "transparent",
    }  # fmt: skip


def test_quintile_labels():
    values = pd.Series([5.0, 1.0, 3.0, 9.0, 7.0, 2.0, 10.0, 8.0, 4.0, 6.0, np.nan])
    # 10 values: ranks r -> quintile ceil(5 r / 10): 1,2 -> 1; 3,4 -> 2; ...; 9,10 -> 5
    plain = quintile_labels(values)
    assert plain.tolist() == [
        "Middle", "Lowest", "Low", "Highest", "High", "Lowest", "Highest", "High", "Low", "Middle",
        "Not compared",
    ]  # fmt: skip
    high_good = quintile_labels(values, "HighIsGood")
    assert high_good[[1, 6]].tolist() == ["Worst", "Best"]
    low_good = quintile_labels(values, "LowIsGood")
    assert low_good[[1, 6]].tolist() == ["Best", "Worst"]
    with pytest.raises(StatsInputError, match="at least 5"):
        quintile_labels(pd.Series([1.0, 2.0, 3.0, 4.0]))

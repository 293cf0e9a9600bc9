"""Combining local authorities into a partnership: sum first, then compute."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats import (
    aggregate_counts,
    combine_then,
    crude_rate,
    crude_rate_table,
    dsr,
    proportion,
    proportion_table,
)

MEMBERS = pd.DataFrame(
    {
        "cdp": ["North", "North", "South"],
        "la": ["A", "B", "C"],
        "x": [10, 60, 5],
        "n": [100, 200, 50],
    }
)


def test_aggregate_counts_sums_and_propagates_missing():
    out = aggregate_counts(MEMBERS, "cdp", ["x", "n"])
    assert out.to_dict("list") == {"cdp": ["North", "South"], "x": [70.0, 5.0], "n": [300.0, 50.0]}
    gap = MEMBERS.assign(x=[10, np.nan, 5])
    assert math.isnan(aggregate_counts(gap, "cdp", ["x"]).set_index("cdp").loc["North", "x"])


def test_combined_proportion_is_not_the_average():
    # North: 10/100 = 10% and 60/200 = 30%; average of rates 20%, combined 70/300 = 23.33%
    out = combine_then("proportion", MEMBERS, "cdp", "x", "n").set_index("cdp")
    expected = proportion(70, 300)
    assert out.loc["North", "value"] == pytest.approx(70 / 300 * 100)
    assert out.loc["North", "lower_ci"] == pytest.approx(expected.lower_ci)
    assert out.loc["North", "upper_ci"] == pytest.approx(expected.upper_ci)
    assert out.loc["North", "value"] != pytest.approx(20.0)
    same = combine_then(proportion_table, MEMBERS, "cdp", "x", "n", confidence=0.998)
    assert same["confidence"].tolist() == ["99.8%", "99.8%"]


def test_combined_crude_rate():
    out = combine_then("crude_rate", MEMBERS, ["cdp"], "x", "n", multiplier=1000).set_index("cdp")
    assert out.loc["North", "upper_ci"] == pytest.approx(crude_rate(70, 300, multiplier=1000).upper_ci)
    assert out.loc["South", "method"] == "Exact"  # 5 events
    via_function = combine_then(crude_rate_table, MEMBERS, "cdp", "x", "n", multiplier=1000)
    pd.testing.assert_frame_equal(via_function, out.reset_index())


def test_combined_dsr_sums_within_age_bands():
    # LA A: x = (10, 10), n = (500, 1000); LA B: x = (10, 20), n = (500, 1000); weights (1, 3)
    # summed bands: x = (20, 30), n = (1000, 2000)
    # DSR = (20/1000 * 1 + 30/2000 * 3) / 4 = 0.01625 -> 1625 per 100,000
    members = pd.DataFrame(
        {
            "cdp": ["N"] * 4,
            "la": ["A", "A", "B", "B"],
            "band": ["10-14", "5-9", "10-14", "5-9"],  # an alphabetical sort would swap bands
            "x": [10, 10, 10, 20],
            "n": [500, 1000, 500, 1000],
        }
    )
    out = combine_then("dsr", members, "cdp", "x", "n", ageband="band", stdpop=[1, 3])
    assert out.loc[0, "value"] == pytest.approx(1625.0)
    assert out.loc[0, "total_count"] == 50
    single = dsr(pd.DataFrame({"x": [20, 30], "n": [1000, 2000]}), "x", "n", stdpop=[1, 3])
    assert out.loc[0, "lower_ci"] == pytest.approx(single.loc[0, "lower_ci"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: combine_then("mean", MEMBERS, "cdp", "x", "n"), "statistic"),
        (lambda: combine_then("dsr", MEMBERS, "cdp", "x", "n"), "ageband"),
        (lambda: combine_then("proportion", MEMBERS, "cdp", "x", "n", ageband="la"), "only used"),
        (lambda: aggregate_counts(MEMBERS, [], ["x"]), "at least one 'by'"),
        (lambda: aggregate_counts(MEMBERS.assign(x=[1, -1, 2]), "cdp", ["x"]), "negative"),
        (lambda: aggregate_counts(MEMBERS, "cdp", ["la"]), "numeric"),
    ],
)
def test_errors(call, message):
    with pytest.raises(StatsInputError, match=message):
        call()

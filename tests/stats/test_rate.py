"""Crude rates against ``testdata_Rate.xlsx`` (PHEindicatormethods 2.1.0).

Mirrors ``tests/testthat/testRates.R``: sheet ``testdata_Rate`` holds inputs
and expected values with 95% and 99.8% limits (multipliers 100 and 100000;
"Exact" below 10 events, "Byars" from 10); ``testdata_Rate_g`` holds the
results of the same rows grouped by Area (summed) at the default multiplier.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats import crude_rate, crude_rate_table

REL = 1e-6
FILE = "testdata_Rate.xlsx"
LIMITS = ["lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]


def _num(value: object) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def _text(value: object) -> object:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


@pytest.mark.reference_rows(FILE, "testdata_Rate", label=["Area", "multiplier"])
def test_rate_sheet_both_levels(row, phe_table):
    sheet = phe_table(FILE, "testdata_Rate")
    case = sheet.loc[row]
    data = sheet.loc[[row], ["Area", "Numerator", "Denominator"]]
    result = crude_rate_table(
        data, "Numerator", "Denominator", confidence=(0.95, 0.998), multiplier=case["multiplier"]
    ).iloc[0]
    for column in ["value", *LIMITS]:
        assert result[column] == pytest.approx(_num(case[column]), rel=REL, nan_ok=True), column
    assert result["statistic"] == case["statistic"]
    assert _text(result["method"]) == _text(case["method"])


@pytest.mark.reference_rows(
    FILE, "testdata_Rate", label=["Area", "multiplier"],
    where=lambda t: t["Numerator"].notna() & t["Denominator"].notna(),
)  # fmt: skip
def test_rate_sheet_scalar(row, phe_table):
    case = phe_table(FILE, "testdata_Rate").loc[row]
    for level, lower, upper in ((0.95, "lower95_0cl", "upper95_0cl"), (0.998, "lower99_8cl", "upper99_8cl")):
        est = crude_rate(case["Numerator"], case["Denominator"], level, case["multiplier"])
        assert est.value == pytest.approx(case["value"], rel=REL)
        assert est.lower_ci == pytest.approx(case[lower], rel=REL)
        assert est.upper_ci == pytest.approx(case[upper], rel=REL)
        assert (est.statistic, est.method) == (case["statistic"], case["method"])


@pytest.mark.reference_rows(FILE, "testdata_Rate_g", label=["Area"])
def test_rate_grouped_sheet(row, phe_table):
    inputs = phe_table(FILE, "testdata_Rate")[["Area", "Numerator", "Denominator"]]
    expected = phe_table(FILE, "testdata_Rate_g").loc[row]
    result = crude_rate_table(inputs, "Numerator", "Denominator", group_by="Area")
    got = result.set_index("Area").loc[expected["Area"]]
    for mine, theirs in (
        ("Numerator", "Numerator"),
        ("Denominator", "Denominator"),
        ("value", "value"),
        ("lower_ci", "lowercl"),
        ("upper_ci", "uppercl"),
    ):
        assert got[mine] == pytest.approx(_num(expected[theirs]), rel=REL, nan_ok=True), mine
    assert got["confidence"] == expected["confidence"]
    assert got["statistic"] == expected["statistic"]
    assert _text(got["method"]) == _text(expected["method"])


def test_exact_below_ten_by_hand():
    # 9 events in 1000: exact limits chi2_{0.025}(18)/2 and chi2_{0.975}(20)/2, per 1000
    est = crude_rate(9, 1000, multiplier=1000)
    assert est.method == "Exact"
    assert est.lower_ci == pytest.approx(stats.chi2.ppf(0.025, 18) / 2, rel=1e-12)
    assert est.upper_ci == pytest.approx(stats.chi2.ppf(0.975, 20) / 2, rel=1e-12)


def test_byars_from_ten_by_hand():
    # 10 events: O_L = 10 (1 - 1/90 - z/(3 sqrt 10))^3, O_U = 11 (1 - 1/99 + z/(3 sqrt 11))^3
    z = 1.959963984540054
    est = crude_rate(10, 100, multiplier=100)
    assert est.method == "Byars"
    assert est.lower_ci == pytest.approx(10 * (1 - 1 / 90 - z / (3 * math.sqrt(10))) ** 3, rel=1e-12)
    assert est.upper_ci == pytest.approx(11 * (1 - 1 / 99 + z / (3 * math.sqrt(11))) ** 3, rel=1e-12)


def test_zero_events():
    est = crude_rate(0, 500)
    assert (est.value, est.lower_ci, est.method) == (0.0, 0.0, "Exact")
    assert est.upper_ci == pytest.approx(-math.log(0.025) / 500 * 100_000, rel=1e-10)


@pytest.mark.parametrize(
    ("x", "n", "message"),
    [
        (-65, 100, "numerators must be greater than or equal to zero"),
        (65, -100, "denominators must be greater than zero"),
        (65, 0, "denominators must be greater than zero"),
        (math.nan, 100, "missing"),
        (5, math.inf, "finite"),
    ],
)
def test_scalar_errors(x, n, message):
    with pytest.raises(StatsInputError, match=message):
        crude_rate(x, n)


def test_table_errors():
    with pytest.raises(StatsInputError, match="confidence"):
        crude_rate_table(pd.DataFrame({"x": [1], "n": [2]}), "x", "n", confidence=20)
    with pytest.raises(StatsInputError, match=r"column 'n', rows \[0\]"):
        crude_rate_table(pd.DataFrame({"x": [1], "n": [0]}), "x", "n")
    with pytest.raises(StatsInputError, match="missing"):
        crude_rate_table(pd.DataFrame({"x": [1], "n": [np.nan]}), "x", "n", missing="raise")

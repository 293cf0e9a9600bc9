"""Wilson proportions against ``testdata_Proportion.xlsx`` (PHEindicatormethods 2.1.0).

Mirrors ``tests/testthat/testProportions.R``: sheet ``testdata_Prop`` holds
inputs (Area, Numerator, Denominator, multiplier) and expected value and
95%/99.8% limits; ``testdata_Prop_g`` holds the expected results of the same
inputs grouped by Area (numerators and denominators summed, multiplier 1).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats import Estimate, proportion, proportion_table

REL = 1e-6
FILE = "testdata_Proportion.xlsx"
LIMITS = ["lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]


def _num(value: object) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


@pytest.mark.reference_rows(FILE, "testdata_Prop", label=["Area", "multiplier"])
def test_prop_sheet_both_levels(row, phe_table):
    sheet = phe_table(FILE, "testdata_Prop")
    case = sheet.loc[row]
    data = sheet.loc[[row], ["Area", "Numerator", "Denominator"]]
    result = proportion_table(
        data, "Numerator", "Denominator", confidence=(0.95, 0.998), multiplier=case["multiplier"]
    ).iloc[0]
    for column in ["value", *LIMITS]:
        assert result[column] == pytest.approx(_num(case[column]), rel=REL, nan_ok=True), column
    assert result["statistic"] == case["statistic"]
    assert result["method"] == case["method"]
    assert result["confidence"] == "95%, 99.8%"


@pytest.mark.reference_rows(
    FILE, "testdata_Prop", label=["Area", "multiplier"], where=lambda t: t["Numerator"].notna()
    & t["Denominator"].notna()
)
def test_prop_sheet_scalar_single_levels(row, phe_table):
    case = phe_table(FILE, "testdata_Prop").loc[row]
    for level, lower, upper in ((0.95, "lower95_0cl", "upper95_0cl"), (0.998, "lower99_8cl", "upper99_8cl")):
        est = proportion(case["Numerator"], case["Denominator"], level, case["multiplier"])
        assert est.value == pytest.approx(case["value"], rel=REL)
        assert est.lower_ci == pytest.approx(case[lower], rel=REL)
        assert est.upper_ci == pytest.approx(case[upper], rel=REL)
        assert (est.confidence, est.statistic, est.method) == (level, case["statistic"], "Wilson")


@pytest.mark.reference_rows(FILE, "testdata_Prop_g", label=["Area"])
def test_prop_grouped_sheet(row, phe_table):
    inputs = phe_table(FILE, "testdata_Prop")[["Area", "Numerator", "Denominator"]]
    expected = phe_table(FILE, "testdata_Prop_g").loc[row]
    result = proportion_table(inputs, "Numerator", "Denominator", multiplier=1, group_by="Area")
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
    assert got["method"] == expected["method"]


def test_hand_calculation_65_of_100():
    # Wilson, z = 1.959964: (2*65 + z^2 -/+ z*sqrt(z^2 + 4*65*(1 - 0.65))) / (2*(100 + z^2))
    z = 1.959963984540054
    root = z * math.sqrt(z**2 + 4 * 65 * 0.35)
    lower = (130 + z**2 - root) / (2 * (100 + z**2)) * 100
    upper = (130 + z**2 + root) / (2 * (100 + z**2)) * 100
    est = proportion(65, 100)
    assert isinstance(est, Estimate)
    assert (est.value, est.count, est.denominator) == (65.0, 65.0, 100.0)
    assert est.lower_ci == pytest.approx(lower, rel=1e-12)
    assert est.upper_ci == pytest.approx(upper, rel=1e-12)
    assert est.as_dict()["statistic"] == "percentage"


def test_edges_zero_and_all():
    # x = 0: lower limit 0; x = n: upper limit equals the multiplier
    assert proportion(0, 50).lower_ci == pytest.approx(0.0, abs=1e-12)
    assert proportion(50, 50).upper_ci == pytest.approx(100.0, rel=1e-12)


def test_table_keeps_other_columns_and_index():
    data = pd.DataFrame({"area": ["a", "b"], "x": [1, 2], "n": [10, 20]}, index=[7, 9])
    out = proportion_table(data, "x", "n")
    assert list(out.index) == [7, 9]
    assert list(out.columns) == [
        "area", "x", "n", "value", "lower_ci", "upper_ci", "confidence", "statistic", "method",
    ]  # fmt: skip
    assert out["confidence"].tolist() == ["95%", "95%"]


@pytest.mark.parametrize(
    ("x", "n", "message"),
    [
        (-65, 100, "numerators must be greater than or equal to zero"),
        (65, -100, "denominators must be greater than zero"),
        (65, 0, "denominators must be greater than zero"),
        (100, 65, "less than or equal to denominator"),
        (math.nan, 100, "missing"),
        (10, None, "must be a number"),
        ("10", 100, "must be a number"),
    ],
)
def test_scalar_errors(x, n, message):
    with pytest.raises(StatsInputError, match=message):
        proportion(x, n)


@pytest.mark.parametrize("confidence", [0.85, 20, 1, (0.95, 0.95)])
def test_bad_confidence(confidence):
    with pytest.raises(StatsInputError, match="confidence"):
        proportion_table(pd.DataFrame({"x": [1], "n": [2]}), "x", "n", confidence=confidence)


def test_table_errors_name_column_and_rows():
    data = pd.DataFrame({"x": [1, -2, 3], "n": [10, 10, 10]})
    with pytest.raises(StatsInputError, match=r"column 'x', rows \[1\]"):
        proportion_table(data, "x", "n")
    with pytest.raises(StatsInputError, match="not found"):
        proportion_table(data, "x", "denominator")
    with pytest.raises(StatsInputError, match="numeric"):
        proportion_table(pd.DataFrame({"x": ["a"], "n": [1]}), "x", "n")
    with pytest.raises(StatsInputError, match="missing"):
        proportion_table(pd.DataFrame({"x": [np.nan], "n": [1]}), "x", "n", missing="raise")
    with pytest.raises(StatsInputError, match="multiplier"):
        proportion_table(data.abs(), "x", "n", multiplier=0)


def test_group_with_missing_member_is_missing():
    data = pd.DataFrame({"g": ["a", "a", "b"], "x": [1, np.nan, 3], "n": [10, 10, 10]})
    out = proportion_table(data, "x", "n", group_by="g").set_index("g")
    assert math.isnan(out.loc["a", "value"])
    assert out.loc["b", "value"] == pytest.approx(30.0)


def test_wilson_limits_are_exact_at_the_ends():
    """At x = n the upper limit is exactly 100% (floating point gave 99.99999999999999)."""
    from cdp_analysis import stats

    full = stats.proportion(795, 795, multiplier=100)
    none = stats.proportion(0, 795, multiplier=100)
    assert full.upper_ci == 100.0 and full.lower_ci < full.value == 100.0
    assert none.lower_ci == 0.0 and none.value == 0.0 < none.upper_ci

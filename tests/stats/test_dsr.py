"""Directly standardised rates against ``testdata_DSR_ISR.xlsx`` (PHEindicatormethods 2.1.0).

Mirrors ``tests/testthat/testDSRs.R`` / ``testpheDSRs.R`` and ``data-raw/LoadTestdata.R``:

* ``testdata_multiarea`` (3 areas x 19 age bands, ESP2013 by position) gives
  result rows 1-3 (per 10,000) and 5-7 (per 100,000). Its ``testdata_tiny`` area
  has a blank count, which PHEindicatormethods treats as 0 (``na.zero``), so
  these cases use ``missing="zero"``.
* ``testdata_1976`` (18 bands, the 1976 standard population as a column) gives
  rows 4 and 8. The R tests check only value and 95% limits for these rows; the
  sheet's 99.8% limits for them are 10 times the value's scale (7659 against a
  DSR of 859 per 10,000), so they are checked as 10x our limits and reported.
* ``testdata_nonindepe`` (people by number of events f1-f4) gives rows 9-12,
  reshaped as in LoadTestdata.R (frequency-4 rows dropped for the dummy, small
  and tiny areas; remaining blanks count as 0 people). Expected values there
  are rounded to 8 decimals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats import ESP2013_WEIGHTS, dsr, esp2013

REL = 1e-6
FILE = "testdata_DSR_ISR.xlsx"
LIMITS = ["lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]


def _num(value: object) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def _nonindependent(sheet: pd.DataFrame) -> pd.DataFrame:
    """Pivot f1..f4 to long format like LoadTestdata.R (``test_DSR_nonind``)."""
    long = sheet.drop(columns="count").melt(
        id_vars=["area", "ageband", "pop"], var_name="freq", value_name="persons"
    )
    long["freq"] = long["freq"].str[1:].astype(int)
    small = long["area"].isin(["testdata_nonind_dummy", "testdata_nonind_small", "testdata_nonind_tiny"])
    long = long[~(small & (long["freq"] == 4))]
    return long.sort_values(["area", "freq", "ageband"], kind="stable")


def _compute(area: str, multiplier: int, phe_table) -> pd.Series:
    if area == "testdata_1976":
        data = phe_table(FILE, "testdata_1976")
        out = dsr(data, "count", "pop", stdpop="esp1976", confidence=(0.95, 0.998), multiplier=multiplier)
        return out.iloc[0]
    if area.startswith("testdata_nonind"):
        data = _nonindependent(phe_table(FILE, "testdata_nonindepe"))
        out = dsr(
            data, "persons", "pop", group_by="area", eventfreq="freq", ageband="ageband",
            confidence=(0.95, 0.998), multiplier=multiplier, missing="zero",
        )  # fmt: skip
    else:
        data = phe_table(FILE, "testdata_multiarea")
        out = dsr(
            data, "count", "pop", group_by="area", confidence=(0.95, 0.998),
            multiplier=multiplier, missing="zero",
        )  # fmt: skip
    return out.set_index("area").loc[area]


@pytest.mark.reference_rows(FILE, "testresults_DSR", label=["area", "statistic"])
def test_dsr_results_sheet(row, phe_table):
    expected = phe_table(FILE, "testresults_DSR").loc[row]
    multiplier = 10_000 if row < 4 else 100_000  # the sheet's first 4 rows are per 10,000
    got = _compute(expected["area"], multiplier, phe_table)
    assert got["total_count"] == expected["total_count"]
    assert got["total_pop"] == expected["total_pop"]
    checked = ["value", "lower95_0cl", "upper95_0cl"]
    if expected["area"] == "testdata_1976":
        for column in ("lower99_8cl", "upper99_8cl"):  # sheet anomaly: 10x scale
            assert 10 * got[column] == pytest.approx(expected[column], rel=REL)
    else:
        checked += ["lower99_8cl", "upper99_8cl"]
    for column in checked:
        assert got[column] == pytest.approx(_num(expected[column]), rel=REL, nan_ok=True), column
    assert got["statistic"] == expected["statistic"]
    assert got["method"] == expected["method"]


def test_single_confidence_columns(phe_table):
    data = phe_table(FILE, "testdata_multiarea")
    out = dsr(data, "count", "pop", group_by="area", confidence=0.998, missing="zero")
    assert out["confidence"].tolist() == ["99.8%"] * 3
    assert {"lower_ci", "upper_ci"} <= set(out.columns)
    # 99.8% limits of testdata_big per 100,000 from testresults_DSR row 6
    assert out.loc[0, "lower_ci"] == pytest.approx(9323.287880219903, rel=REL)


def test_stdpop_vector_column_and_default_agree(phe_table):
    data = phe_table(FILE, "testdata_multiarea")
    by_default = dsr(data, "count", "pop", group_by="area", missing="zero")
    by_vector = dsr(data, "count", "pop", group_by="area", stdpop=list(ESP2013_WEIGHTS), missing="zero")
    by_column = dsr(
        data.assign(esp=np.tile(ESP2013_WEIGHTS, 3)), "count", "pop", group_by="area",
        stdpop="esp", missing="zero",
    )  # fmt: skip
    pd.testing.assert_frame_equal(by_default, by_vector)
    pd.testing.assert_frame_equal(by_default, by_column)


def test_hand_calculation_two_bands():
    # bands: x = (20, 30), n = (1000, 2000), w = (1, 3)
    # DSR = (1*20/1000 + 3*30/2000) / 4 = (0.02 + 0.045) / 4 = 0.01625 -> 1625 per 100,000
    # var = (1*20/1000^2 + 9*30/2000^2) / 16 = (2e-5 + 6.75e-5) / 16 = 5.46875e-6
    # O = 50; O_L = 50 (1 - 1/450 - z/(3 sqrt 50))^3
    z = 1.959963984540054
    o_l = 50 * (1 - 1 / 450 - z / (3 * math.sqrt(50))) ** 3
    lower = 0.01625 + math.sqrt(5.46875e-6 / 50) * (o_l - 50)
    data = pd.DataFrame({"x": [20, 30], "n": [1000, 2000]})
    out = dsr(data, "x", "n", stdpop=[1, 3]).iloc[0]
    assert out["value"] == pytest.approx(1625.0, rel=1e-12)
    assert out["lower_ci"] == pytest.approx(lower * 100_000, rel=1e-12)
    assert (out["total_count"], out["method"], out["statistic"]) == (50, "Dobson", "dsr per 100000")


def test_fewer_than_ten_events_is_missing():
    out = dsr(pd.DataFrame({"x": [4, 5], "n": [100, 100]}), "x", "n", stdpop=[1, 1]).iloc[0]
    assert math.isnan(out["value"]) and math.isnan(out["lower_ci"])
    assert out["statistic"] == "dsr NA for total count < 10"


def test_esp2013_table():
    table = esp2013()
    assert len(table) == 19 and table["esp2013"].sum() == 100_000
    assert table["ageband"].iloc[[0, -1]].tolist() == ["0-4", "90+"]


@pytest.mark.parametrize(
    ("sheet", "kwargs", "message"),
    [
        ("testdata_err1", {}, "numerators must all be greater than or equal to zero"),
        ("testdata_err2", {"group_by": "area"}, "denominators must all be greater than zero"),
        ("testdata_err3", {}, "denominators must all be greater than zero"),
        ("testdata_err4", {"stdpop": "stdpop"}, "standard populations must all be zero or more"),
    ],
)
def test_error_sheets(sheet, kwargs, message, phe_table):
    data = phe_table(FILE, sheet).dropna(axis=1, how="all")
    with pytest.raises(StatsInputError, match=message):
        dsr(data, "count", "pop", **kwargs)


def test_structure_errors(phe_table):
    data = phe_table(FILE, "testdata_multiarea")
    with pytest.raises(StatsInputError, match="same number of rows"):
        dsr(data[data["count"] < 100], "count", "pop", group_by="area", missing="zero")
    with pytest.raises(StatsInputError, match="length 18"):
        dsr(data, "count", "pop", group_by="area", stdpop=[1] * 18, missing="zero")
    with pytest.raises(StatsInputError, match="not found"):
        dsr(data, "count", "pop", group_by="area", stdpop="esp")
    with pytest.raises(StatsInputError, match="missing event count"):
        dsr(data, "count", "pop", group_by="area")  # testdata_tiny has a blank count
    with pytest.raises(StatsInputError, match="confidence"):
        dsr(data, "count", "pop", group_by="area", confidence=0.74, missing="zero")
    with pytest.raises(StatsInputError, match="together"):
        dsr(data, "count", "pop", group_by="area", eventfreq="count", missing="zero")

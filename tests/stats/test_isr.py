"""Indirectly standardised ratios and rates against ``testdata_DSR_ISR.xlsx``.

Mirrors ``tests/testthat/testISRates.R`` and ``testISRatios.R``
(PHEindicatormethods 2.1.0). Result sheet ``testresults_ISR``:

* rows 1-3: ISRate per 100,000 (95% and 99.8%), rows 4-6: per 1,000;
* rows 7-9: ISRatio x 1, rows 10-12: ISRatio x 100;
* rows 13-16: ``testdata_err2`` (a zero population in Area1), 95% only.

Inputs: ``testdata_multiarea`` with the ``refdata`` vectors (by position),
``testdata_multiarea_isr`` with reference columns, and
``testdata_multiarea_lookup`` for observed totals. Blank counts, populations
and reference counts in ``testdata_tiny`` count as 0 in PHEindicatormethods
(``na.zero``), hence ``missing="zero"``.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats import isr

REL = 1e-6
FILE = "testdata_DSR_ISR.xlsx"


def _num(value: object) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def _spec(row: int) -> tuple[str, float, str]:
    """Statistic, multiplier and input set of each result row (0-based)."""
    if row < 6:
        return "rate", (100_000 if row < 3 else 1_000), "multiarea"
    if row < 12:
        return "ratio", (1 if row < 9 else 100), "multiarea"
    return ("rate", 100_000, "err2") if row < 14 else ("ratio", 100, "err2")


def _inputs(phe_table, which: str, how: str) -> pd.DataFrame:
    ref = phe_table(FILE, "refdata")
    kwargs = {"group_by": "area", "missing": "zero"}
    if which == "err2":
        data = phe_table(FILE, "testdata_err2").dropna(axis=1, how="all")
        return data, "count", ref["refcount"].tolist(), ref["refpop"].tolist(), kwargs
    if how == "vector":
        data = phe_table(FILE, "testdata_multiarea")
        return data, "count", ref["refcount"].tolist(), ref["refpop"].tolist(), kwargs
    data = phe_table(FILE, "testdata_multiarea_isr")
    if how == "field":
        return data, "count", "refcount", "refpop", kwargs
    # observed totals instead of counts by band
    totals = phe_table(FILE, "testdata_multiarea_lookup").dropna(axis=1, how="all")
    kwargs["observed_totals"] = totals
    return data.drop(columns="count"), "total_count", "refcount", "refpop", kwargs


@pytest.mark.parametrize("how", ["vector", "field", "observed_totals"])
@pytest.mark.reference_rows(
    FILE, "testresults_ISR", label=["area", "statistic"], where=lambda t: t.index < 12
)
def test_isr_results_sheet(row, how, phe_table):
    _check_row(row, how, phe_table)


@pytest.mark.reference_rows(
    FILE, "testresults_ISR", label=["area", "statistic"], where=lambda t: t.index >= 12
)
def test_isr_zero_population_rows(row, phe_table):
    _check_row(row, "vector", phe_table)


def _check_row(row: int, how: str, phe_table) -> None:
    expected = phe_table(FILE, "testresults_ISR").loc[row]
    statistic, multiplier, which = _spec(row)
    data, x, x_ref, n_ref, kwargs = _inputs(phe_table, which, how)
    levels = 0.95 if which == "err2" else (0.95, 0.998)
    out = isr(
        data, x, "pop", x_ref, n_ref, statistic=statistic, multiplier=multiplier,
        confidence=levels, **kwargs,
    )  # fmt: skip
    got = out.set_index("area").loc[expected["area"]]
    columns = {"observed": "observed", "expected": "expected", "value": "value"}
    if which == "err2":
        columns |= {"lower_ci": "lower95_0cl", "upper_ci": "upper95_0cl"}
    else:
        columns |= {c: c for c in ("lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl")}
    if statistic == "rate":
        columns["ref_rate"] = "ref_rate"
    for mine, theirs in columns.items():
        assert got[mine] == pytest.approx(_num(expected[theirs]), rel=REL), mine
    assert got["statistic"] == expected["statistic"]
    assert got["method"] == expected["method"]


def test_hand_calculation():
    # two bands, reference rates 10/1000 and 50/1000; populations 200 and 100
    # E = 0.01*200 + 0.05*100 = 7; O = 12; ratio = 12/7; Byar's limits / 7
    z = 1.959963984540054
    data = pd.DataFrame({"x": [5, 7], "n": [200, 100]})
    out = isr(data, "x", "n", [10, 50], [1000, 1000]).iloc[0]
    assert out["expected"] == pytest.approx(7.0)
    assert out["value"] == pytest.approx(12 / 7)
    assert out["upper_ci"] == pytest.approx(13 * (1 - 1 / 117 + z / (3 * math.sqrt(13))) ** 3 / 7)
    assert out["method"] == "Byars" and out["statistic"] == "indirectly standardised ratio x 1"
    rate = isr(data, "x", "n", [10, 50], [1000, 1000], statistic="rate").iloc[0]
    # reference rate = 60 / 2000 per 100,000 = 3000
    assert rate["ref_rate"] == pytest.approx(3000.0)
    assert rate["value"] == pytest.approx(12 / 7 * 3000)


def test_errors(phe_table):
    ref = phe_table(FILE, "refdata")
    data = phe_table(FILE, "testdata_multiarea")
    args = (ref["refcount"].tolist(), ref["refpop"].tolist())
    with pytest.raises(StatsInputError, match="greater than or equal to zero"):
        isr(phe_table(FILE, "testdata_err1"), "count", "pop", *args)
    with pytest.raises(StatsInputError, match="greater than or equal to zero"):
        isr(phe_table(FILE, "testdata_err3"), "count", "pop", *args)
    with pytest.raises(StatsInputError, match="same number of rows"):
        isr(data[data["count"] < 100], "count", "pop", *args, group_by="area", missing="zero")
    with pytest.raises(StatsInputError, match="x_ref length"):
        isr(data, "count", "pop", args[0][:18], args[1], group_by="area", missing="zero")
    with pytest.raises(StatsInputError, match="missing"):
        isr(data, "count", "pop", *args, group_by="area")
    with pytest.raises(StatsInputError, match="confidence"):
        isr(data, "count", "pop", *args, group_by="area", missing="zero", confidence=3)
    with pytest.raises(StatsInputError, match="statistic"):
        isr(data, "count", "pop", *args, statistic="smr")

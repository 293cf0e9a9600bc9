"""Funnel-plot limits and significance against the PHEindicatormethods 2.1.0 test CSVs.

Mirrors ``tests/testthat/testFunnels.R`` with the files read as in
``data-raw/LoadTestdata.R``:

* ``testdata_funnel_prop_inputs.csv`` -> limits in ``testdata_funnel_prop_outputs.csv``
  (columns renamed there to lower_2s_limit ...; values printed to 6 decimals,
  hence an absolute tolerance of 5e-7) and the expected ``significance``;
* ``testdata_funnel_rate_input_funnels.csv`` -> DSR funnel in
  ``testdata_funnel_rate_outputs.csv`` (multiplier 1e5, 3 years) and the
  ``calculate_funnel_points`` columns of the input file itself;
* ``testdata_funnel_rate_dsr_inputs.csv`` -> significance for DSRs and crude
  rates per 100,000 and per 100, with and without a zero-event area.

The ratio funnels' test files are not in the reference folder; ratio limits are
checked by hand against exact Poisson quantiles.
"""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats import assign_funnel_significance, funnel_limits, funnel_points
from cdp_analysis.stats.funnel import _r_nchar, _signif_ceiling, _signif_floor

REL = 1e-6
PROP_IN, PROP_OUT = "testdata_funnel_prop_inputs.csv", "testdata_funnel_prop_outputs.csv"
RATE_IN, RATE_OUT = "testdata_funnel_rate_input_funnels.csv", "testdata_funnel_rate_outputs.csv"
RATE_SIG = "testdata_funnel_rate_dsr_inputs.csv"
PROP_COLUMNS = {
    "Lower2s0025limit": "lower_2s_limit",
    "Upper2s0025limit": "upper_2s_limit",
    "Lower3s0001limit": "lower_3s_limit",
    "Upper3s0001limit": "upper_3s_limit",
    "Baseline": "baseline",
}
_CACHE: dict[object, pd.DataFrame] = {}


def _cached(key: object, make) -> pd.DataFrame:
    if key not in _CACHE:
        _CACHE[key] = make()
    return _CACHE[key]


@pytest.mark.reference_rows(PROP_OUT, label=["Population"])
def test_proportion_limits(row, phe_table):
    table = _cached(
        "prop",
        lambda: funnel_limits(
            phe_table(PROP_IN), "numerator", "denominator", statistic="proportion", multiplier=100
        ),
    )
    expected = phe_table(PROP_OUT).loc[row]
    got = table.loc[row]
    assert got["Population"] == expected["Population"]
    for theirs, mine in PROP_COLUMNS.items():
        assert got[mine] == pytest.approx(expected[theirs], rel=REL, abs=5e-7), mine
    assert (got["statistic"], got["method"]) == ("proportion", "Wilson")


@pytest.mark.reference_rows(PROP_IN, label=["significance"])
def test_proportion_significance(row, phe_table):
    inputs = phe_table(PROP_IN)
    result = _cached(
        "prop-sig",
        lambda: assign_funnel_significance(
            inputs[["Area", "numerator", "denominator"]], "numerator", "denominator",
            statistic="proportion",
        ),
    )  # fmt: skip
    assert result.loc[row, "significance"] == inputs.loc[row, "significance"]


@pytest.mark.reference_rows(RATE_OUT, label=["Events"])
def test_dsr_rate_limits(row, phe_table):
    table = _cached(
        "rate",
        lambda: funnel_limits(
            phe_table(RATE_IN), "ev", rate="rate", statistic="rate", rate_type="dsr",
            multiplier=1e5, years_of_data=3,
        ),
    )  # fmt: skip
    expected = phe_table(RATE_OUT)
    assert list(table.columns) == list(expected.columns)
    got, want = table.loc[row], expected.loc[row]
    assert got["Events"] == want["Events"]
    for column in expected.columns[1:10]:
        assert got[column] == pytest.approx(want[column], rel=REL), column
    assert (got["statistic"], got["method"]) == (want["statistic"], want["method"])


WITH_ZERO = [
    "dsr_per_100000_with_0", "dsr_per_100_with_0", "crude_per_100000_with_0", "crude_per_100_with_0",
]  # fmt: skip
WITHOUT_ZERO = [c.replace("with_0", "without_0") for c in WITH_ZERO]


def _rate_significance(phe_table, column: str) -> pd.DataFrame:
    kind, _, per, zeros = column.split("_", 3)
    data = phe_table(RATE_SIG)
    if zeros == "without_0":
        data = data[data["count"] != 0]
    rate = "rate_dsr" if kind == "dsr" else f"rate_crude_per_{per}"
    return _cached(
        column,
        lambda: assign_funnel_significance(
            data, "count", "pop", rate=rate, statistic="rate", rate_type=kind, multiplier=float(per)
        ),
    )


@pytest.mark.parametrize("column", WITH_ZERO)
@pytest.mark.reference_rows(RATE_SIG, label=["count"])
def test_rate_significance_with_zero(row, column, phe_table):
    result = _rate_significance(phe_table, column)
    assert result.loc[row, "significance"] == phe_table(RATE_SIG).loc[row, column]


@pytest.mark.parametrize("column", WITHOUT_ZERO)
@pytest.mark.reference_rows(RATE_SIG, label=["count"], where=lambda t: t["count"] != 0)
def test_rate_significance_without_zero(row, column, phe_table):
    result = _rate_significance(phe_table, column)
    assert result.loc[row, "significance"] == phe_table(RATE_SIG).loc[row, column]


@pytest.mark.parametrize(
    ("variant", "rate_type", "years", "chart", "derived"),
    [
        ("dsr, largest count set to 5", "dsr", 3, "rate_chart", "denominator_derived"),
        ("crude", "crude", 3, "rate_chart_crude", "denominator_derived_crude"),
        (
            "crude, largest count set to 0, denominator given", "crude", 5,
            "rate_chart_crude_with_denom", "denominator_derived_crude_with_denom",
        ),
    ],
)  # fmt: skip
@pytest.mark.reference_rows(RATE_IN, label=["ev"])
def test_funnel_points(row, variant, rate_type, years, chart, derived, phe_table):
    data = phe_table(RATE_IN)
    largest = data["ev"] == data["ev"].max()
    if variant.startswith("dsr"):
        data.loc[largest, "ev"] = 5
    elif "0" in variant:
        data.loc[largest, "ev"] = 0
    denominator = "pop" if "denominator" in variant else None
    out = funnel_points(
        data[["ev", "rate", "pop"]], "ev", "rate", rate_type=rate_type, years_of_data=years,
        multiplier=1e5, denominator=denominator,
    )  # fmt: skip
    expected = phe_table(RATE_IN).loc[row]
    # the file prints derived denominators to 10 significant figures
    assert out.loc[row, "rate_chart"] == pytest.approx(expected[chart], rel=REL, nan_ok=True)
    assert out.loc[row, "denominator_derived"] == pytest.approx(expected[derived], rel=REL, nan_ok=True)


@pytest.mark.parametrize("ratio_type", ["count", "isr"])
def test_ratio_limits_by_exact_poisson(ratio_type):
    # no reference file: at O observed events the 95% upper limit of O/E sits where
    # E solves P(X >= O | E) = 0.025, i.e. E = chi2_{0.025}(2 O) / 2 (exact Poisson).
    data = pd.DataFrame({"obs": [20, 35, 50, 80], "expected": [25.0, 30.0, 45.0, 70.0]})
    table = funnel_limits(data, "obs", "expected", statistic="ratio", ratio_type=ratio_type, multiplier=1)
    observed = table["Observed_events"].to_numpy()
    exact_upper = stats.chi2.ppf(0.025, 2 * observed) / 2
    exact_lower = stats.chi2.ppf(0.975, 2 * observed + 2) / 2

    def v(expected):  # the bisection runs on v = E / (E + O + 1) and stops at a step < 1e-7
        return expected / (expected + observed + 1)

    assert v(table["upper_2s_exp_events"].to_numpy()) == pytest.approx(v(exact_upper), abs=1.2e-7)
    assert v(table["lower_2s_exp_events"].to_numpy()) == pytest.approx(v(exact_lower), abs=1.2e-7)
    ratio = observed / table["upper_2s_exp_events"]
    scaled = ratio - 1 if ratio_type == "count" else ratio * 100
    assert table["upper_2s_limit"].to_numpy() == pytest.approx(scaled.to_numpy(), rel=1e-12)
    assert table["statistic"].iloc[0] == f"ratio ({ratio_type})"


def test_ratio_significance_by_hand():
    # O = 30, E = 15: Byar's 99.8% lower limit of 30 is 17.16..., / 15 = 1.14 > 1 -> High (0.001)
    # O = 16, E = 15: 95% interval of 16/15 spans 1 -> Not significant
    data = pd.DataFrame({"obs": [30, 16], "expected": [15.0, 15.0]})
    out = assign_funnel_significance(data, "obs", "expected", statistic="ratio")
    assert out["significance"].tolist() == ["High (0.001)", "Not significant"]


def test_r_character_width_quirk():
    # R's as.character(1e5) is "1e+05" (5 characters); 120000 prints in full
    assert (_r_nchar(100_000), _r_nchar(120_000), _r_nchar(1_000), _r_nchar(0)) == (5, 6, 4, 1)
    assert _signif_floor(0) == 0 and _signif_ceiling(0) == 0
    # 95% of 61921 = 58824.95 -> floor to 1 significant figure: 50000
    assert _signif_floor(61921) == 50_000


def test_errors():
    data = pd.DataFrame({"num": [100, 100, 0], "rate": [50.0, 25.0, 0.0], "pop": [1e5, 1e5, 1e5]})
    with pytest.raises(StatsInputError, match="statistic"):
        funnel_limits(data, "num", "pop", statistic="pop", multiplier=100)
    with pytest.raises(StatsInputError, match="denominator field needs to be provided"):
        funnel_limits(data, "num", rate="rate", statistic="rate", rate_type="dsr", multiplier=100, years_of_data=1)
    with pytest.raises(StatsInputError, match="years_of_data"):
        funnel_limits(data, "num", "pop", rate="rate", statistic="rate", rate_type="crude", multiplier=100)
    with pytest.raises(StatsInputError, match="ratio_type"):
        funnel_limits(data, "num", "pop", statistic="ratio", multiplier=1)
    bad = pd.DataFrame({"obs": [65, 80, 30], "pop": [100, 100, 0]})
    with pytest.raises(StatsInputError, match="denominators must be greater than zero"):
        assign_funnel_significance(bad, "obs", "pop", statistic="proportion")
    with pytest.raises(StatsInputError, match="less than or equal to denominator"):
        assign_funnel_significance(bad.assign(pop=[100, 100, 20]), "obs", "pop", statistic="proportion")
    with pytest.raises(StatsInputError, match="multiplier is required"):
        assign_funnel_significance(data, "num", "pop", rate="rate", statistic="rate", rate_type="crude")
    missing = pd.DataFrame({"num": [1.0, None], "pop": [10, 10]})
    with pytest.raises(StatsInputError, match="must be provided for all records"):
        funnel_limits(missing, "num", "pop", statistic="proportion", multiplier=100)

"""indicators/supporting.py: the supporting metrics' values from small hand-made tables.

Every expected value is worked out by hand from the inputs written here (sums, shares and the
Wilson interval by its formula), never taken from the code's output.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.indicators import framework, supporting


def _homeless() -> pd.DataFrame:
    return pd.DataFrame({
        "area_code": ["A1", "A2", "A1", "A2", "A1", "E92000001", "E92000001"],
        "period": ["2022/23", "2022/23", "2023/24", "2023/24", "2024/25 Q1", "2022/23", "2023/24"],
        "owed_duty": [400, 600, 500, 500, 130, 300000, 320000],
        "with_support_needs": [200, 300, 260, 240, 70, 160000, 170000],
        "drug_dependency": [30, 50, 40, np.nan, 9, 24000, 25600],
        "alcohol_dependency": [20, 25, 30, 35, 5, 18000, 19200],
    })


def test_a_partnership_is_its_members_summed_and_a_hidden_part_leaves_the_sum_missing() -> None:
    series = supporting.homelessness_series(_homeless(), "P1", ["A1", "A2"])
    # 2024/25 Q1 only A1 has: dropped; 2022/23: 400 + 600 owed, 30 + 50 drug; 2023/24: drug NaN in A2
    assert list(series["period"]) == ["2022/23", "2023/24"]
    assert series.loc[0, "owed_duty"] == 1000 and series.loc[0, "drug_dependency"] == 80
    assert np.isnan(series.loc[1, "drug_dependency"]) and series.loc[1, "alcohol_dependency"] == 65


def test_latest_prefers_a_whole_year_to_a_later_quarter() -> None:
    series = supporting.homelessness_series(_homeless(), "A1")
    assert list(series["period"]) == ["2022/23", "2023/24", "2024/25 Q1"]
    assert supporting.latest(series)["period"] == "2023/24"
    assert supporting.latest(series, whole_years=False)["period"] == "2024/25 Q1"
    shares = supporting.shares(supporting.latest(series))
    assert list(shares["value"]) == pytest.approx([100 * 40 / 500, 100 * 30 / 500])


def _wilson(x: float, n: float, z: float = 1.959964) -> tuple[float, float]:
    p = x / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return 100 * (centre - half) / (1 + z * z / n), 100 * (centre + half) / (1 + z * z / n)


def test_homelessness_table_gives_the_share_its_interval_and_england() -> None:
    table = supporting.homelessness_table(_homeless(), "A1")
    assert list(table["period"]) == ["2022/23", "2022/23", "2023/24", "2023/24"]  # the quarter left out
    drug = table[(table["period"] == "2023/24") & (table["need"] == "drug_dependency")].iloc[0]
    low, high = _wilson(40, 500)
    assert (drug["value"], drug["lower_ci"], drug["upper_ci"]) == pytest.approx((8.0, low, high), abs=1e-6)
    assert drug["england"] == pytest.approx(100 * 25600 / 320000)  # 8.0%


def _reoffending() -> pd.DataFrame:
    rows = [("A1", "2021/22", "adult", 1000, 300), ("A1", "2022/23", "adult", 1000, 320),
            ("A1", "2022/23 Q4", "adult", 250, 90), ("A1", "2022/23", "juvenile", 50, 20),
            ("A2", "2022/23", "adult", 500, 100), ("A2", "2022/23", "juvenile", 30, np.nan),
            ("E92000001", "2021/22", "adult", 370000, 92500), ("E92000001", "2022/23", "adult", 360000, 90000),
            ("E92000001", "2022/23", "juvenile", 12000, 3600)]
    return pd.DataFrame(rows, columns=["area_code", "period", "offender_type", "offenders", "reoffenders"])


def test_reoffending_series_and_its_comparison_with_england() -> None:
    table = supporting.reoffending_comparison(_reoffending(), "A1")
    adult = table[table["offender_type"] == "adult"]
    assert list(adult["period"]) == ["2021/22", "2022/23"]  # whole years only
    last = adult.iloc[-1]
    low, high = _wilson(320, 1000)
    assert (last["value"], last["lower_ci"], last["upper_ci"]) == pytest.approx((32.0, low, high), abs=1e-6)
    assert last["england"] == pytest.approx(25.0) and low > 25.0 and last["compared"] == "Higher"
    juvenile = table[table["offender_type"] == "juvenile"].iloc[0]
    # 20 of 50 = 40%, interval about 27% to 54%: England's 30% inside it
    assert juvenile["value"] == pytest.approx(40.0) and juvenile["compared"] == "Similar"


def test_a_partnership_of_members_one_with_a_hidden_count() -> None:
    adult = supporting.reoffending_series(_reoffending(), "P1", "adult", ["A1", "A2"])
    # 2022/23: 1,000 + 500 offenders, 320 + 100 reoffenders = 28%; 2021/22 and the quarter: A2 has none
    assert list(adult["period"]) == ["2022/23"] and adult.loc[0, "value"] == pytest.approx(28.0)
    juvenile = supporting.reoffending_series(_reoffending(), "P1", "juvenile", ["A1", "A2"])
    assert np.isnan(juvenile.loc[0, "reoffenders"]) and np.isnan(juvenile.loc[0, "value"])


def test_the_table_says_for_every_metric_its_value_or_why_not() -> None:
    summary = pd.DataFrame({"indicator_id": ["91380"], "period": ["2021 - 23"], "value": [18.2],
                            "unit": ["per 100,000 (DSR)"]})
    homeless = supporting.shares(supporting.latest(supporting.homelessness_series(_homeless(), "A1")))
    reoffending = supporting.reoffending_shares(
        {k: supporting.reoffending_series(_reoffending(), "A1", k) for k in ("adult", "juvenile")})
    local = {"community_sentence_treatment": pd.DataFrame([{
        "template": "community_sentence_treatment", "measure": "Treatment requirements made", "period": "2023/24",
        "count": 41.0, "denominator": np.nan, "value": 41.0, "unit": "requirements", "people": True}])}
    table = supporting.supporting_table(summary, homeless, reoffending, local, supplied={"community_sentence_treatment"})
    by = table.set_index("metric")
    assert len(table) == len(supporting.SUPPORTING_METRICS)
    drug = by.loc["Households owed a homelessness duty with a drug dependency need"]
    assert (drug["status"], drug["period"], drug["value"]) == (framework.SHOWN, "2023/24", pytest.approx(8.0))
    assert drug["source"] == "MHCLG statutory homelessness (H-CLIC) table A3"
    adult = by.loc["Proven reoffending: adult offenders"]
    assert (adult["period"], adult["value"]) == ("2022/23", pytest.approx(32.0))
    assert by.loc["Alcohol-specific mortality", "value"] == 18.2
    assert by.loc["Opiate and crack cocaine use (prevalence)", "status"] == framework.NOT_HELD
    assert by.loc["Community sentence treatment requirements made", "status"] == framework.LOCAL
    assert by.loc["Deaths in treatment", "status"] == framework.LOCAL_NEEDED
    national = table[table["status"] == framework.NATIONAL]
    assert set(national["metric"]) == {"Drug use among 11 to 15 year olds", "Proven reoffending of drug offenders",
                                       "Hepatitis C among people who inject drugs", "People in treatment in prisons",
                                       "Recovery measures: education or training, mental health treatment "
                                       "received, family interventions"}
    assert national["value"].isna().all() and national["source"].str.len().gt(20).all()
    # no H-CLIC table: the local return stands in, of households with a support need
    own = supporting.shares(pd.Series({"period": "2023/24", "with_support_needs": 200, "drug_dependency": 50,
                                       "alcohol_dependency": 20}), denominator="with_support_needs")
    table = supporting.supporting_table(summary, supporting.shares(None), reoffending, local, set(), own)
    drug = table.set_index("metric").loc["Households owed a homelessness duty with a drug dependency need"]
    assert (drug["status"], drug["value"], drug["unit"]) == (framework.LOCAL, 25.0,
                                                             "% of households with a support need")
    assert "local return" in drug["source"] and "H-CLIC" not in drug["source"]

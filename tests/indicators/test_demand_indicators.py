"""The demand chapter's computations (:mod:`cdp_analysis.indicators.demand`) on hand-counted small frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.indicators import demand

Z = 1.959963984540054


def wilson(count: float, n: float) -> tuple[float, float, float]:
    """Wilson score 95% interval, as percentages, written out from the formula."""
    p = count / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return 100 * p, 100 * (centre - half), 100 * (centre + half)


def dfe(rows: list[tuple[str, str, float | None, float | None]], measure: str = "drug_misuse",
        category: str = "parent") -> pd.DataFrame:
    return pd.DataFrame([{"area_code": a, "period": p, "measure": measure, "category": category, "count": c,
                          "denominator": d, "marker": pd.NA, "note": pd.NA} for a, p, c, d in rows])


def test_area_estimates_sum_members_then_estimate():
    frame = dfe([("M1", "2023", 10, 100), ("M2", "2023", 30, 300), ("M1", "2024", 12, 100), ("M2", "2024", None, 300)])
    out = demand.area_estimates(frame, "P", ("M1", "M2"), measure="drug_misuse", category="parent",
                                statistic="proportion", multiplier=100)
    assert list(out["period"]) == ["2023", "2024"]
    first = out.iloc[0]
    assert (first["count"], first["denominator"]) == (40, 400)
    value, low, high = wilson(40, 400)
    assert first["value"] == pytest.approx(value) and first["lower_ci"] == pytest.approx(low)
    assert first["upper_ci"] == pytest.approx(high)
    assert np.isnan(out.iloc[1]["value"])  # a member withheld: missing, never a partial sum


def test_area_estimates_drop_a_flagged_rows_estimate_but_keep_its_count():
    frame = dfe([("A", y, 0, 50) for y in ("2021", "2022", "2023", "2024")])
    out = demand.area_estimates(frame, "A", measure="drug_misuse", category="parent", statistic="proportion",
                                multiplier=100)
    assert out["quality_flag"].notna().all()
    assert out["value"].isna().all() and out["upper_ci"].isna().all()
    assert (out["count"] == 0).all() and (out["denominator"] == 50).all()
    assert demand.area_estimates(frame, "B", measure="drug_misuse", category="parent", statistic="proportion",
                                 multiplier=100).empty


def test_unflagged_estimates_masks_only_flagged_rows():
    series = pd.DataFrame({"value": [1.0, 2.0], "lower_ci": [0.5, 1.5], "upper_ci": [1.5, 2.5],
                           "count": [3, 4], "quality_flag": [pd.NA, "flag"]})
    out = demand.unflagged_estimates(series)
    assert out["value"].tolist()[0] == 1.0 and np.isnan(out["value"].iloc[1])
    assert out["count"].tolist() == [3, 4]


def test_ndtms_area_sums_members_only_where_all_are_present():
    frame = pd.DataFrame({"area_code": ["M1", "M2", "M1"], "period": ["2023", "2023", "2024"],
                          "what": ["x", "x", "x"], "count": [3.0, 4.0, 5.0], "denominator": [10.0, 20.0, 30.0]})
    out = demand.ndtms_area(frame, "P", ("M1", "M2"))
    assert len(out) == 1 and out.iloc[0]["period"] == "2023"
    assert (out.iloc[0]["count"], out.iloc[0]["denominator"], out.iloc[0]["area_code"]) == (7, 30, "P")
    assert demand.ndtms_area(frame, "M1", ()).shape[0] == 2


def _ndtms(code: str, period: str, parents: float, others: float, everyone: float, children: float) -> list[dict]:
    common = {"area_code": code, "period": period, "sex": "total", "age_group": "total", "substance_group": "total"}
    return [
        {**common, "measure": "in_treatment", "breakdown": "parental_status",
         "category": "parent living with children", "count": parents, "denominator": everyone},
        {**common, "measure": "in_treatment", "breakdown": "parental_status",
         "category": "not a parent, living with children", "count": others, "denominator": everyone},
        {**common, "measure": "in_treatment", "breakdown": "parental_status", "category": "parent not living",
         "count": 99.0, "denominator": everyone},
        {**common, "measure": "children_of_clients", "breakdown": "total", "category": "all in treatment",
         "count": children, "denominator": np.nan},
    ]


def test_parent_rows_latest_year_in_order_with_shares():
    ndtms = pd.DataFrame(_ndtms("A", "2022", 10, 5, 100, 30) + _ndtms("A", "2023", 20, 8, 200, 45))
    out = demand.parent_rows(ndtms, "A", "Alpha")
    assert out["what"].tolist() == ["parents living with children",
                                    "adults living with children who are not their parent",
                                    "children living with adults in treatment"]
    assert set(out["period"]) == {"2023"} and set(out["area"]) == {"Alpha"}
    value, low, high = wilson(20, 200)
    assert out.iloc[0]["value"] == pytest.approx(value) and out.iloc[0]["lower_ci"] == pytest.approx(low)
    assert out.iloc[1]["value"] == pytest.approx(4.0)
    assert out.iloc[2]["count"] == 45 and np.isnan(out.iloc[2]["value"])
    assert demand.parent_rows(ndtms, "B", "Beta").empty


def test_parental_need_takes_the_year_asked_else_the_latest_with_a_count():
    frame = pd.concat([dfe([("A", "2022", 7, 70), ("A", "2023", None, 80)]),
                       dfe([("A", "2022", 3, 70), ("A", "2023", 2, 80)], measure="alcohol_misuse")],
                      ignore_index=True)
    need, period = demand.parental_need(frame, "A", (), "2023")
    assert period == "2023" and need["count"].tolist()[1] == 2 and np.isnan(need["count"].iloc[0])
    need, period = demand.parental_need(frame, "A", (), "2025")
    assert period == "2023"  # alcohol has a count in 2023, the latest year with one
    need, period = demand.parental_need(dfe([("A", "2022", 7, 70), ("A", "2023", None, 80)]), "A", (), "2025")
    assert period == "2022" and need["what"].tolist() == ["drug misuse by a parent"]
    assert demand.parental_need(frame, "B", (), "2023") is None


def test_ocu_people_turns_a_rate_per_thousand_into_people():
    frame = pd.DataFrame({"indicator_id": ["91117", "91117", "90808"], "category_type": [None, "Sex", None],
                          "value": [10.0, 5.0, 1.0], "lower_ci": [8.0, 4.0, 1.0], "upper_ci": [12.5, 6.0, 1.0],
                          "denominator": [20_000, 10_000, 1]})
    out = demand.ocu_people(frame)
    assert len(out) == 1
    assert (out.iloc[0]["value"], out.iloc[0]["lower_ci"], out.iloc[0]["upper_ci"]) == (200, 160, 250)


def test_latest_estimate_own_else_members_summed():
    frame = pd.DataFrame({"area_code": ["A", "A", "M1", "M2", "M1"], "period": ["2021", "2022", "2022", "2022", "2023"],
                          "value": [10.4, 20.6, 100.2, 50.4, 70.0], "lower_ci": [9, 18.2, 90, 40, 60],
                          "upper_ci": [12, 23.7, 110, 60, 80]})
    own = demand.latest_estimate(frame, "A", "Alpha", (), "Users", "S")
    assert own is not None and (own["period"], own["estimate"], own["lower"], own["upper"]) == ("2022", 21, 18, 24)
    summed = demand.latest_estimate(frame, "P", "Part", ("M1", "M2"), "Users", "S")
    assert summed is not None and (summed["period"], summed["estimate"]) == ("2022", 151)
    assert np.isnan(summed["lower"]) and summed["source"] == "S, members summed"
    assert demand.latest_estimate(frame, "Q", "Q", (), "Users", "S") is None


def test_survey_rates_fall_back_to_all_adults_for_both_sexes():
    survey = pd.DataFrame({"table": ["1.02", "1.02", "1.02"], "drug": ["Any cocaine", "Any cocaine", "Cannabis"],
                           "year_ending": ["2022-03", "2023-03", "2023-03"], "period": ["2021/22", "2022/23", "2022/23"],
                           "value": [2.0, 2.5, 7.0], "lower_ci": [1.8, 2.2, 6.5], "upper_ci": [2.2, 2.8, 7.5],
                           "sex": ["All", "All", "All"], "age": ["16-59"] * 3})
    rates = demand.survey_rates(survey, "any cocaine")
    assert rates is not None and rates["sex"].tolist() == ["Male", "Female"]
    assert set(rates["value"]) == {2.5} and set(rates["period"]) == {"2022/23"}
    assert (rates["age_min"].iloc[0], rates["age_max"].iloc[0]) == (16, 59)
    assert demand.survey_rates(survey, "Heroin") is None


def test_prevalence_estimates_apply_the_rate_to_residents():
    survey = pd.DataFrame({"table": ["1.02"], "drug": ["Any cocaine"], "year_ending": ["2023-03"],
                           "period": ["2022/23"], "value": [2.0], "lower_ci": [1.0], "upper_ci": [3.0],
                           "sex": ["All"], "age": ["16-59"]})
    residents = pd.DataFrame({"area_code": ["A"] * 4, "area_name": ["Alpha"] * 4,
                              "sex": ["Male", "Female", "Male", "Female"], "age": [20, 40, 70, 15],
                              "population": [1000, 3000, 500, 400]})
    out = demand.prevalence_estimates(survey, residents, [("Any cocaine", "cocaine"), ("Heroin", "heroin")])
    assert out["drug"].tolist() == ["Any cocaine"]  # no rates for heroin: no row
    row = out.iloc[0]
    assert row["population"] == 4000  # ages 70 and 15 are outside 16 to 59
    assert row["estimate"] == 80  # 2% of 4,000, to the nearest 10
    assert row["national_rate"] == 2.0 and row["survey_period"] == "2022/23"
    # bands independent: half-widths 1% of 1,000 and of 3,000 combine to sqrt(10^2 + 30^2) = 31.6
    assert row["lower"] == 50 and row["upper"] == 110


def test_round10():
    assert demand.round10(1234.0) == 1230 and demand.round10(1236.0) == 1240 and demand.round10(4.0) == 0


def test_out_of_court_latest_adds_the_total_and_the_share_referred():
    rows = pd.DataFrame({"period": ["2023", "2024", "2024"], "disposal": ["Caution", "Caution", "Community"],
                         "count": [9.0, 40.0, 10.0], "referred_to_treatment": [1.0, 12.0, np.nan],
                         "referral_recorded": [9.0, 30.0, np.nan]})
    out = demand.out_of_court_latest(rows)
    assert out["disposal"].tolist() == ["Caution", "Community", "All disposals"]
    total = out.iloc[-1]
    assert (total["count"], total["referred_to_treatment"], total["referral_recorded"]) == (50, 12, 30)
    assert total["referred_pct"] == 40.0 and out.iloc[0]["referred_pct"] == 40.0
    assert np.isnan(out.iloc[1]["referred_pct"])


def test_testing_on_arrest_rates():
    rows = pd.DataFrame({"period": ["2024"], "tests": [200.0], "positive": [50.0], "required_assessments": [40.0],
                         "assessments_attended": [30.0]})
    out = demand.testing_on_arrest_rates(rows)
    assert out.iloc[0]["positive_pct"] == 25.0 and out.iloc[0]["attended_pct"] == 75.0
    assert out.iloc[0]["tests"] == 200


def test_young_treatment_latest_orders_substances_and_adds_their_sum():
    rows = pd.DataFrame({"period": ["2023", "2024", "2024", "2024"],
                         "category": ["Cannabis", "Alcohol", "Cannabis", "Other"], "count": [99.0, 6.0, 20.0, 3.0]})
    out = demand.young_treatment_latest(rows, "Alpha")
    assert out["category"].tolist() == ["Cannabis", "Alcohol", "Other", "All young people"]
    assert out["count"].tolist() == [20, 6, 3, 29] and set(out["period"]) == {"2024"}


def test_neighbour_rows_use_the_focus_areas_latest_year():
    frame = dfe([("A", "2023", 10, 100), ("A", "2024", 20, 100), ("N1", "2024", 5, 50), ("N2", "2023", 1, 10),
                 ("M1", "2024", 2, 20), ("M2", "2024", 3, 30)])
    found = demand.neighbour_rows(frame, [("A", ()), ("N1", ()), ("N2", ()), ("P", ("M1", "M2"))],
                                  measure="drug_misuse", category="parent", statistic="proportion",
                                  multiplier=100, key="k")
    assert found is not None
    period, rows = found
    assert period == "2024"
    assert [r["area_code"] for r in rows] == ["A", "N1", "P"]  # N2 has no 2024 figure
    assert [r["value"] for r in rows] == pytest.approx([20.0, 10.0, 10.0])
    assert rows[2]["count"] == 5 and rows[2]["denominator"] == 50 and rows[0]["measure"] == "k"
    assert demand.neighbour_rows(frame, [("Z", ())], measure="drug_misuse", category="parent",
                                 statistic="proportion", multiplier=100, key="k") is None

"""The treatment chapter's computation as pure functions (indicators/treatment.py).

Each expected value is worked out by hand (Wilson intervals from the formula) from the small inputs here.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cdp_analysis.indicators import treatment


def _wilson(count: float, n: float, z: float = 1.959963984540054) -> tuple[float, float, float]:
    p = count / n
    centre = (2 * count + z * z) / (2 * (n + z * z))
    half = z * math.sqrt(z * z + 4 * count * (1 - p)) / (2 * (n + z * z))
    return 100 * p, 100 * (centre - half), 100 * (centre + half)


def _rows(code, count, denominator, category="all"):
    return {"area_code": code, "period": "2023-24", "period_start": 2023, "substance_group": "opiate",
            "category": category, "count": count, "denominator": denominator}


def test_area_rows_sum_a_partnership_show_members_england_and_the_pool():
    data = pd.DataFrame([_rows("A", 10, 40), _rows("B", 5, 20), _rows("C", 7, 70), _rows("E92000001", 30, 100),
                         _rows("E92000001", 99, 999)])  # a repeated England row: the first is kept
    out = treatment.area_rows(data, ["A", "B"], "Partnership", {"A": "Avon", "B": "Brent"}, "All authorities")
    got = {(r["area"], r["role"]): (r["count"], r["denominator"]) for _, r in out.iterrows()}
    assert got == {("Partnership", "focus"): (15, 60), ("Avon", "member"): (10, 40), ("Brent", "member"): (5, 20),
                   ("England", "comparator"): (30, 100), ("All authorities", "comparator"): (22, 130)}
    # one member without the count: the partnership's sum is unknown, never a part passed off as the whole
    gap = pd.DataFrame([_rows("A", 10, 40), _rows("B", float("nan"), 20)])
    own = treatment.area_rows(gap, ["A", "B"], "Partnership", {}, "Pool")
    assert math.isnan(own.loc[own["role"] == "focus", "count"].iloc[0])
    assert "Pool" not in set(own["area"])  # no authority besides the area's own


def test_with_proportions_are_percentages_with_wilson_limits_and_nan_when_impossible():
    table = pd.DataFrame({"area": ["X", "Y", "Z", "W"], "count": [12.0, 5.0, float("nan"), 0.0],
                          "denominator": [48.0, 4.0, 10.0, 0.0]})
    out = treatment.with_proportions(table)
    value, lower, upper = _wilson(12, 48)
    assert out.loc[0, ["value", "lower_ci", "upper_ci"]].tolist() == pytest.approx([value, lower, upper], rel=1e-6)
    assert out.loc[0, "value"] == pytest.approx(25.0)
    assert out.loc[1:, "value"].isna().all()  # a count above its denominator, a missing count, no denominator


def test_focus_comparisons_judge_the_focus_interval_against_each_value():
    data = pd.DataFrame({
        "area": ["Here", "England", "Pool", "Member", "Here", "England"],
        "group": ["a", "a", "a", "a", "b", "b"],
        "role": ["focus", "comparator", "comparator", "member", "focus", "comparator"],
        "value": [30.0, 20.0, 31.0, 50.0, 10.0, 12.0], "lower_ci": [25.0, 19.0, 29.0, 40.0, float("nan"), 11.0],
        "upper_ci": [35.0, 21.0, 33.0, 60.0, float("nan"), 13.0], "suppressed": [False, False, False, False, True,
                                                                                 False]})
    got = treatment.focus_comparisons(data, "Here", "group", "Member authority")
    # group a: the focus interval 25-35 lies above England's 20 and holds the pool's 31
    assert got == ["Focus area", "Higher", "Similar", "Member authority", "Focus area", "Not compared"]


def test_latest_numbers_put_the_total_first_with_each_group_share_and_either_count_hidden():
    every = pd.DataFrame({
        "period": ["2023-24"] * 3 + ["2022-23"],
        "substance_group": ["opiate", "total", "alcohol only", "total"],
        "count": [60.0, 200.0, float("nan"), 150.0], "suppressed": [False, False, True, False]})
    new = pd.DataFrame({"substance_group": ["total", "opiate", "alcohol only"], "count": [80.0, float("nan"), 30.0],
                        "suppressed": [False, True, False]})
    out = treatment.latest_numbers(every, new, "2023-24", ("opiate", "non-opiate only", "alcohol only"))
    assert out["substance_group"].tolist() == ["total", "opiate", "alcohol only"]
    assert out["period"].unique().tolist() == ["2023-24"]
    assert out["in_treatment"].tolist()[:2] == [200.0, 60.0]
    assert out["share_pct"].tolist()[:2] == pytest.approx([100.0, 30.0])  # 60 of 200
    assert math.isnan(out.loc[2, "share_pct"])  # the hidden count has no share
    assert out["new_presentations"].tolist()[0] == 80.0 and out.loc[2, "new_presentations"] == 30.0
    # opiate: its new presentations are hidden; alcohol: its count in treatment is
    assert out["suppressed"].tolist() == [False, True, True]


def test_breakdown_shares_take_the_latest_period_and_divide_by_each_breakdown_total():
    own = pd.DataFrame({
        "period": ["2023-24", "2023-24", "2023-24", "2023-24", "2022-23", "2023-24"],
        "breakdown": ["main substance", "main substance", "referral", "referral", "referral", "main substance"],
        "category": ["cannabis", "alcohol", "education", "youth justice", "education", "cannabis"],
        "count": [20, 10, 0, 0, 99, 10]})  # two members' cannabis rows add up to 30
    period, out = treatment.breakdown_shares(own, "Here")
    assert period == "2023-24"
    got = {(r["breakdown"], r["category"]): (r["count"], r["denominator"]) for _, r in out.iterrows()}
    assert got == {("main substance", "cannabis"): (30, 40), ("main substance", "alcohol"): (10, 40),
                   ("referral", "education"): (0, 0), ("referral", "youth justice"): (0, 0)}
    cannabis = out[out["category"] == "cannabis"].iloc[0]
    assert [cannabis["value"], cannabis["lower_ci"], cannabis["upper_ci"]] == pytest.approx(_wilson(30, 40), rel=1e-6)
    assert out[out["breakdown"] == "referral"]["value"].isna().all()  # nobody counted: no share
    assert set(out["area"]) == {"Here"} and set(out["period"]) == {"2023-24"}


def _deciles(indicator_id, period, start, values, population=1000.0, complete=10):
    return pd.DataFrame({"indicator_id": indicator_id, "period": period, "period_start": start,
                         "category_type": "County & UA deprivation deciles", "decile": range(1, 11),
                         "value": values, "lower_ci": [v - 1 for v in values], "upper_ci": [v + 1 for v in values],
                         "denominator": [population] * complete + [float("nan")] * (10 - complete)})


def test_deprivation_gaps_are_the_slope_index_most_minus_least_deprived():
    # equal populations: decile i sits at rank (i - 0.5) / 10, so a line falling 10 a decile falls 100 over the
    # ranks and the most deprived (decile 1) are 100 above the least; a proportion falling 4 points a decile: 40
    rate = _deciles("R", "2023", 2023, [100 - 10 * i for i in range(10)])
    older = _deciles("R", "2020", 2020, [50.0] * 10)  # an older period is not the latest
    share = _deciles("P", "2023", 2023, [50 - 4 * i for i in range(10)])
    short = _deciles("S", "2023", 2023, [10.0 + i for i in range(10)], complete=4)  # four complete deciles
    rows = pd.concat([older, rate, share, short], ignore_index=True)
    out = treatment.deprivation_gaps(rows, {"P": ("Share", "% not in treatment"), "R": ("Rate", "per 100,000"),
                                            "S": ("Short", "per 100,000"), "X": ("Absent", "per 100,000")}, "Here")
    assert out["indicator_id"].tolist() == ["P", "R"]
    assert out["sii"].tolist() == pytest.approx([40.0, 100.0])
    assert out["period"].tolist() == ["2023", "2023"] and out["deciles"].tolist() == [10, 10]
    assert (out["sii_lower_ci"] < out["sii"]).all() and (out["sii"] < out["sii_upper_ci"]).all()
    assert out["unit"].tolist() == ["% not in treatment", "per 100,000"] and set(out["area"]) == {"Here"}
    assert treatment.deprivation_gaps(short, {"S": ("Short", "per 100,000")}, "Here").empty


def test_deaths_by_group_add_members_and_put_the_total_first():
    own = pd.DataFrame({"period": ["2023-24", "2023-24", "2023-24", "2022-23"],
                        "substance_group": ["opiate", "alcohol", "opiate", "opiate"],
                        "deaths": [3, 1, 2, 9], "in_treatment": [300, 100, 200, 999]})
    period, out = treatment.deaths_by_group(own, "Here")
    assert period == "2023-24"
    assert out.columns.tolist() == ["area", "period", "substance_group", "count", "denominator"]
    got = {r["substance_group"]: (r["count"], r["denominator"]) for _, r in out.iterrows()}
    assert got == {"total": (6, 600), "opiate": (5, 500), "alcohol": (1, 100)}
    assert out["substance_group"].iloc[0] == "total"


def test_residents_by_group_map_census_labels_and_need_every_member():
    census = pd.DataFrame({
        "area_code": ["A", "A", "A", "B", "B", "B"],
        "ethnic_group": ["White", "Asian, Asian British or Asian Welsh", "Does not apply",
                         "Black, Black British, Black Welsh, Caribbean or African", "Other ethnic group", "White"],
        "population": [100, 50, 7, 30, 10, 10]})
    out = treatment.residents_by_group(census, ["A", "B"], "Residents")
    got = dict(zip(out["category"], out["count"], strict=True))
    assert got == {"White": 110.0, "Asian": 50.0, "Black": 30.0, "Other": 10.0}  # "Does not apply" left out
    assert set(out["denominator"]) == {200.0} and set(out["area"]) == {"Residents"}
    assert treatment.residents_by_group(census, ["A", "C"], "Residents").empty  # C is not in the census
    assert treatment.ethnic_group("Mixed or Multiple ethnic groups") == "Mixed"
    assert treatment.ethnic_group("") is None


def test_ratio_to_residents_divides_the_focus_share_by_the_residents_share():
    data = pd.DataFrame({"area": ["Here", "Here", "Here", "England", "Residents", "Residents"],
                         "category": ["White", "Asian", "Black", "White", "White", "Black"],
                         "value": [80.0, 10.0, 5.0, 75.0, 64.0, 0.0]})
    got = treatment.ratio_to_residents(data, "Here", "Residents")
    assert got[0] == pytest.approx(1.25)  # 80 / 64
    assert all(math.isnan(v) for v in got[1:])  # no residents' Asian share; a zero share; other areas


def test_summed_shares_add_an_areas_authorities_and_need_every_one():
    rows = pd.DataFrame({
        "area_code": ["A", "B", "A", "N", "N", "M"],
        "substance_group": ["total", "total", "opiate", "total", "opiate", "total"],
        "count": [10, 20, 4, 5, 9, 3], "denominator": [40, 60, 10, 50, 8, 0]})
    out = treatment.summed_shares(rows, [("P", ["A", "B"]), ("N", ["N"]), ("M", ["M"])])
    got = {(r["area_code"], r["measure"]): (r["count"], r["denominator"]) for _, r in out.iterrows()}
    # P opiate: B has no row, so no sum; N opiate: 9 of 8 is impossible; M: no denominator
    assert got == {("P", "total"): (30, 100), ("N", "total"): (5, 50)}
    total = out[out["area_code"] == "P"].iloc[0]
    assert [total["value"], total["lower_ci"], total["upper_ci"]] == pytest.approx(_wilson(30, 100), rel=1e-6)
    assert set(out["multiplier"]) == {100.0}


def test_indicator_comparisons_read_each_indicator_through_its_polarity():
    data = pd.DataFrame({
        "indicator_id": ["d", "d", "d", "c", "c"], "area": ["Here", "Region", "England", "Here", "England"],
        "value": [50.0, 30.0, 52.0, 40.0, 55.0], "lower_ci": [45.0, 28.0, 51.0, 35.0, 54.0],
        "upper_ci": [55.0, 32.0, 53.0, 45.0, 56.0]})
    got = treatment.indicator_comparisons(data, "Here", {"d": "LowIsGood", "c": "HighIsGood"})
    # deaths (low is good): 45-55 lies above the region's 30 (worse) and holds England's 52 (similar);
    # completions (high is good): 35-45 lies below England's 55 (worse)
    assert got == ["Focus area", "Worse", "Similar", "Focus area", "Worse"]
    gap = data.assign(value=[float("nan"), 30.0, 52.0, 40.0, 55.0])
    assert treatment.indicator_comparisons(gap, "Here", {"d": "LowIsGood", "c": "HighIsGood"})[1:3] == [
        "Not compared", "Not compared"]


def test_funnel_points_add_an_authoritys_rows_and_join_a_partnerships_members():
    exits = pd.DataFrame({
        "area_code": ["A", "A", "B", "C", "D", "E92000001", "F"],
        "area_name": ["Avon", "Avon", "Brent", "Camden", "Derby", "England", "Fife"],
        "count": [10, 5, 20, 6, 30, 999, float("nan")], "denominator": [50, 25, 100, 20, 60, 9999, 10]})
    out = treatment.funnel_points(exits, "A", "Avon", [])
    got = {r["area"]: (r["count"], r["denominator"], r["value"]) for _, r in out.iterrows()}
    # Avon's two rows add up (15 of 75: 20%); England and the row without a count are left out
    assert got == {"Avon": (15, 75, 20.0), "Brent": (20, 100, 20.0), "Camden": (6, 20, 30.0),
                   "Derby": (30, 60, 50.0)}
    joined = treatment.funnel_points(exits, "P1", "Partnership", ["B", "C"])
    got = {r["area"]: (r["count"], r["denominator"]) for _, r in joined.iterrows()}
    assert got == {"Avon": (15, 75), "Derby": (30, 60), "Partnership": (26, 120)}  # Brent and Camden as one
    assert joined.loc[joined["area"] == "Partnership", "value"].iloc[0] == pytest.approx(26 / 120 * 100)

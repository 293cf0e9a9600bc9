"""The supply chapter's computation as pure functions (indicators/supply.py): frames in, frames out.

Each expected value is worked out by hand from the small inputs written here.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cdp_analysis.indicators import supply


def test_national_monthly_counts_held_months_and_leaves_gaps_unknown():
    frame = pd.DataFrame({"month": ["2023-01", "2023-01", "2023-03"], "crime_type": ["Drugs", "Robbery", "Drugs"],
                          "count": [4, 9, 6]})
    held = pd.DatetimeIndex(pd.to_datetime(["2023-01-01", "2023-02-01", "2023-04-01"]))  # March not held
    out = supply.national_monthly(frame, "E12000001", ("Drugs",), held)
    assert list(out["month"]) == list(pd.date_range("2023-01-01", "2023-04-01", freq="MS"))
    assert (out["area_code"] == "E12000001").all()
    counts = out["count"].tolist()
    assert counts[0] == 4.0 and counts[1] == 0.0 and counts[3] == 0.0  # February held, no drug crime: 0
    assert math.isnan(counts[2])  # March not held by the focus area: unknown, although the region has 6


def test_rates_per_1000_use_twelve_months_or_annualise_a_month():
    with_run = pd.DataFrame({"area_code": ["A", "B"], "count": [3.0, 1.0], "rolling_12m": [30.0, float("nan")]})
    out = supply.rates_per_1000(with_run, {"A": 2000.0, "B": 500.0})
    assert out["rate"].iloc[0] == pytest.approx(30 / 2000 * 1000)  # 15 per 1,000
    assert math.isnan(out["rate"].iloc[1])
    no_run = with_run.assign(rolling_12m=float("nan"))
    out = supply.rates_per_1000(no_run, {"A": 2000.0, "B": 500.0})
    assert out["rate"].tolist() == pytest.approx([3 / 2000 * 1000 * 12, 1 / 500 * 1000 * 12])  # 18 and 24
    assert "rate" not in with_run  # the input is left as it was


def test_twelve_month_changes_compare_only_full_windows_a_year_and_five_years_apart():
    ends = pd.to_datetime(["2018-12-01", "2022-12-01", "2023-12-01"])
    table = pd.DataFrame({"period_end": ends, "value": [5.0, 8.0, 10.0], "months_with_data": [12, 12, 12]})
    out = supply.twelve_month_changes(table)
    assert out["change_pct"].iloc[2] == pytest.approx((10 - 8) / 8 * 100)  # 25%
    assert out["change_5y_pct"].iloc[2] == pytest.approx((10 - 5) / 5 * 100)  # 100%
    assert out[["change_pct", "change_5y_pct"]].iloc[:2].isna().all().all()  # no window before them
    partial = table.assign(months_with_data=[12, 11, 12])  # the year before is not a full window
    out = supply.twelve_month_changes(partial)
    assert math.isnan(out["change_pct"].iloc[2]) and out["change_5y_pct"].iloc[2] == pytest.approx(100.0)
    zero = table.assign(value=[0.0, 8.0, 10.0])  # no change from a zero rate
    assert math.isnan(supply.twelve_month_changes(zero)["change_5y_pct"].iloc[2])


def test_latest_unbroken_run_starts_after_the_last_gap():
    months = pd.date_range("2020-01-01", periods=8, freq="MS")
    series = pd.Series([1.0, 2.0, float("nan"), 4.0, float("nan"), 6.0, 7.0, 8.0], index=months)
    assert supply.latest_unbroken_run(series).tolist() == [6.0, 7.0, 8.0]
    assert supply.latest_unbroken_run(series, 2).tolist() == [7.0, 8.0]
    assert supply.latest_unbroken_run(series.fillna(0.0), 36).tolist() == [1, 2, 0, 4, 0, 6, 7, 8]


def test_member_of_names_every_authority_a_ward_lies_in():
    lookup = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3", "L4"], "ward_code": ["W1", "W1", "W2", "W3"],
                           "lad_code": ["A", "B", "B", "C"]})
    names = {"A": "Avon", "B": "Brent"}
    assert supply.member_of(["W1", "W2", "W3", "W9"], lookup, "ward", names) == ["Avon; Brent", "Brent", "C", ""]
    assert supply.member_of(["L1"], lookup, "lsoa", names) == ["Avon"]


def test_aggregate_groups_hold_each_small_area_the_total_and_each_quintile():
    lookup = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3", "X9"], "ward_code": ["W1", "W1", "W2", "W1"]})
    small = pd.DataFrame({"code": ["W1", "W2"], "count": [7, 3]})
    imd = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3", "X9"], "imd_decile": [1, 2, 10, 1]})
    gradient = pd.DataFrame({"quintile": [1, 5], "count": [7, 3]})
    groups, counts = supply.aggregate_groups(small, lookup, "ward", ["L1", "L2", "L3"], 10, gradient, imd)
    assert groups == {"small:W1": {"L1", "L2"}, "small:W2": {"L3"}, "total": {"L1", "L2", "L3"},
                      "quintile:1": {"L1", "L2"}, "quintile:5": {"L3"}}  # X9 lies outside the area
    assert counts == {"small:W1": 7.0, "small:W2": 3.0, "total": 10.0, "quintile:1": 7.0, "quintile:5": 3.0}
    groups, counts = supply.aggregate_groups(small, lookup, "ward", ["L1", "L2", "L3"], 10)
    assert set(groups) == {"small:W1", "small:W2", "total"}


def test_national_rates_count_each_area_from_its_aggregate():
    months = pd.date_range("2023-01-01", "2023-12-01", freq="MS")
    frame = pd.DataFrame({"month": [f"{m:%Y-%m}" for m in months] * 2,
                          "crime_type": ["Drugs"] * 12 + ["Burglary"] * 12, "count": [2] * 12 + [50] * 12})
    other = pd.DataFrame({"month": ["2023-06"], "crime_type": ["Drugs"], "count": [30]})
    rates = supply.national_rates({"A": frame, "B": other}, {"A": 4000.0, "B": 10_000.0}, ("Drugs",), months)
    a = rates[rates["area_code"] == "A"].iloc[-1]
    b = rates[rates["area_code"] == "B"].iloc[-1]
    assert a["count"] == 24 and a["value"] == pytest.approx(24 / 4000 * 1000)  # burglary is not counted
    assert b["count"] == 30 and b["value"] == pytest.approx(3.0)  # held months without a drug offence count 0
    assert a["months_with_data"] == 12


def test_member_rates_count_each_member_over_the_twelve_months_in_the_order_given():
    months = pd.date_range("2023-01-01", "2023-12-01", freq="MS")
    crimes = pd.DataFrame({
        "month": [months[0], months[5], months[11], months[11], months[3], months[11]],
        "lsoa_code": ["B1", "B2", "B1", "A1", "A1", "C1"],
        "crime_type": ["Drugs", "Drugs", "Drugs", "Drugs", "Robbery", "Drugs"]})
    out = supply.member_rates(crimes, {"B": ["B1", "B2"], "A": ["A1"]}, {"A": 500.0, "B": 2000.0},
                              {"A": "Avon", "B": "Brent"}, ("Drugs",), months, months[-1])
    assert out["area_code"].tolist() == ["B", "A"] and out["area"].tolist() == ["Brent", "Avon"]
    assert out["count"].tolist() == [3, 1]  # B: three drug offences in B1 and B2; A: one (the robbery not counted)
    assert out["value"].tolist() == pytest.approx([3 / 2000 * 1000, 1 / 500 * 1000])  # 1.5 and 2.0 per 1,000
    assert (out["period_end"] == months[-1]).all()


def test_county_lines_table_sorts_periods_and_adds_the_two_closure_types():
    rows = pd.DataFrame({"period": ["2024-25", "2023-24"], "referrals": [12.0, 7.0],
                         "closures_type_1": [3.0, float("nan")], "closures_type_2": [6.0, 2.0]})
    out = supply.county_lines_table(rows, "Here")
    assert out.columns[0] == "area" and set(out["area"]) == {"Here"}
    assert out["period"].tolist() == ["2023-24", "2024-25"]
    assert math.isnan(out["closures"].iloc[0]) and out["closures"].iloc[1] == 9.0  # a missing type: unknown total
    assert "closures" not in rows


def test_wards_fit_needs_nearly_every_lsoa_and_resident_placed_and_five_wards():
    lookup = pd.DataFrame({"lsoa_code": [f"L{i}" for i in range(50)],
                           "ward_code": [f"W{i % 5}" for i in range(50)]})
    people = pd.Series(100.0, index=lookup["lsoa_code"])
    assert supply.wards_fit(lookup, people, 5)
    assert supply.wards_fit(lookup, people, None)  # no ward shapes: their share is not checked
    assert not supply.wards_fit(lookup, people, 6)  # 5 of 6 wards receive an LSOA: 83% < 90%
    one_out = lookup.assign(ward_code=[None] + list(lookup["ward_code"].iloc[1:]))
    assert supply.wards_fit(one_out, people, 5)  # 49 of 50 LSOAs and 4,900 of 5,000 residents placed: 98%
    heavy = people.copy()
    heavy["L0"] = 300.0  # the unplaced LSOA holds 300 of 5,200 residents: 94% placed
    assert not supply.wards_fit(one_out, heavy, 5)
    two_out = lookup.assign(ward_code=[None, None] + list(lookup["ward_code"].iloc[2:]))
    assert not supply.wards_fit(two_out, people, 5)  # 48 of 50 LSOAs: 96%
    assert not supply.wards_fit(lookup[lookup["ward_code"] != "W4"], people, None)  # four wards only


def test_rate_comparisons_judge_the_focus_interval_and_stop_when_the_focus_is_hidden():
    latest = pd.DataFrame({"area_code": ["F", "R", "E", "N"], "value": [4.0, 2.0, 4.5, float("nan")],
                           "suppressed": [False, False, False, True]})
    own = pd.Series({"lower_ci": 3.0, "upper_ci": 5.0})
    # 3.0-5.0 lies above the region's 2.0 and holds England's 4.5; the hidden rate is not compared
    assert supply.rate_comparisons(latest, "F", own) == ["Focus area", "Higher", "Similar", "Not compared"]
    assert supply.rate_comparisons(latest.assign(value=[4.0, 6.0, 4.5, 1.0]), "F", own)[1] == "Lower"
    hidden = latest.assign(suppressed=[True, False, False, True])
    assert supply.rate_comparisons(hidden, "F", own) == ["Not compared"] * 4

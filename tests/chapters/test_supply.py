"""Supply-chapter indicators on small frames whose answers are worked by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.indicators import supply


def _crimes(rows):
    """rows: (month 'YYYY-MM', lsoa, crime type, how many)."""
    records = [
        {"month": pd.Timestamp(f"{m}-01"), "lsoa_code": lsoa, "crime_type": kind}
        for m, lsoa, kind, n in rows for _ in range(n)
    ]
    frame = pd.DataFrame(records)
    frame["crime_type"] = frame["crime_type"].astype("category")
    return frame


AREAS = {"A": ["A1", "A2"], "B": ["B1"]}


def test_monthly_counts_zero_fill_and_attribute_by_lsoa():
    crimes = _crimes([("2024-01", "A1", "Drugs", 2), ("2024-01", "B1", "Drugs", 1),
                      ("2024-03", "A2", "Drugs", 3), ("2024-03", "A1", "Burglary", 5)])
    held = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"])
    out = supply.monthly_counts(crimes, AREAS, ["Drugs"], held)
    a = out[out["area_code"] == "A"]["count"].tolist()
    b = out[out["area_code"] == "B"]["count"].tolist()
    assert a == [2, 0, 3]  # February is in the data but has no drug crime in A: zero
    assert b == [1, 0, 0]


def test_month_missing_from_the_archive_is_nan_not_zero():
    crimes = _crimes([("2024-01", "A1", "Drugs", 2), ("2024-03", "A2", "Drugs", 3)])
    out = supply.monthly_counts(crimes, AREAS, ["Drugs"])  # February absent from the data
    a = out[out["area_code"] == "A"]["count"]
    assert a.iloc[0] == 2 and np.isnan(a.iloc[1]) and a.iloc[2] == 3
    assert supply.missing_months(out) == [pd.Timestamp("2024-02-01")]


def test_window_with_missing_months_is_annualised_and_labelled():
    # Jan-Dec 2024 with May-Jul missing: 9 months of 3 crimes = 27, residents 10,000.
    months = pd.date_range("2024-01-01", periods=12, freq="MS")
    counts = [3.0] * 12
    for i in (4, 5, 6):
        counts[i] = np.nan
    monthly = pd.DataFrame({"area_code": "A", "month": months, "count": counts})
    rates = supply.twelve_month_rates(monthly, {"A": 10_000})
    row = rates.iloc[0]
    assert row["months_with_data"] == 9 and row["count"] == 27
    # person-time 10,000 × 9/12 = 7,500 person-years → 27 / 7,500 × 1,000 = 3.6 a year
    assert row["value"] == pytest.approx(3.6)
    assert row["period"] == "Jan 2024 to Dec 2024, 9 months of data"


def test_window_with_too_few_months_is_left_out():
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    counts = [np.nan] * 9 + [1.0] * 15  # first window holds 3 months only
    monthly = pd.DataFrame({"area_code": "A", "month": months, "count": counts})
    rates = supply.twelve_month_rates(monthly, {"A": 1000})
    assert rates["period"].tolist() == ["Jan 2024 to Dec 2024"]


def test_rolling_12m_needs_twelve_months():
    monthly = pd.DataFrame({"area_code": "A", "month": pd.date_range("2023-01-01", periods=14, freq="MS"),
                            "count": range(1, 15)})
    out = supply.add_rolling_12m(monthly)
    assert out["rolling_12m"].isna().sum() == 11
    assert out["rolling_12m"].iloc[11] == sum(range(1, 13))  # 78
    assert out["rolling_12m"].iloc[13] == sum(range(3, 15))  # 102


def _byars(x, z=1.959963985):
    lower = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
    upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3
    return lower, upper


def test_twelve_month_rates_per_1000_with_byars_limits():
    # 24 months: 2 a month in the first year, 3 a month in the second; 10,000 residents.
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    monthly = pd.DataFrame({"area_code": "A", "month": months, "count": [2] * 12 + [3] * 12})
    rates = supply.twelve_month_rates(monthly, {"A": 10_000})
    assert rates["count"].tolist() == [24, 36]
    assert rates["period"].tolist() == ["Jan 2023 to Dec 2023", "Jan 2024 to Dec 2024"]
    assert rates["value"].tolist() == pytest.approx([2.4, 3.6])
    low, high = _byars(36)
    assert rates["lower_ci"].iloc[1] == pytest.approx(low / 10_000 * 1000, rel=1e-6)
    assert rates["upper_ci"].iloc[1] == pytest.approx(high / 10_000 * 1000, rel=1e-6)


def test_change_over_time_one_and_five_years():
    rows = []
    for i, (value, lo, hi) in enumerate([(5.0, 4.6, 5.5), (4.8, 4.3, 5.3), (4.0, 3.6, 4.4),
                                         (4.2, 3.8, 4.6), (3.9, 3.5, 4.3), (4.1, 3.7, 4.5)]):
        rows.append({"area_code": "A", "period_end": pd.Timestamp(2019 + i, 12, 1), "period": str(2019 + i),
                     "count": 100, "value": value, "lower_ci": lo, "upper_ci": hi})
    change = supply.change_over_time(pd.DataFrame(rows), "A")
    assert change["latest_value"] == 4.1
    assert change["one_year_pct"] == pytest.approx((4.1 - 3.9) / 3.9 * 100)
    assert change["one_year_significant"] is False  # 3.5–4.3 overlaps 3.7–4.5
    assert change["five_year_pct"] == pytest.approx(-18.0)
    assert change["five_year_significant"] is True  # 4.6–5.5 vs 3.7–4.5: separate intervals


def test_change_is_against_the_window_a_year_earlier_not_the_previous_row():
    rows = [{"area_code": "A", "period_end": pd.Timestamp(y, 12, 1), "period": str(y), "count": 10,
             "value": v, "lower_ci": v - 0.5, "upper_ci": v + 0.5} for y, v in ((2021, 2.0), (2024, 3.0))]
    change = supply.change_over_time(pd.DataFrame(rows), "A")
    assert change["one_year_pct"] is None  # 2023 is missing: 2021 is not "a year earlier"


def test_change_over_time_short_history():
    rates = pd.DataFrame([{"area_code": "A", "period_end": pd.Timestamp(2024, 12, 1), "period": "2024",
                           "count": 10, "value": 1.0, "lower_ci": 0.5, "upper_ci": 1.8}])
    change = supply.change_over_time(rates, "A")
    assert change["one_year_pct"] is None and change["five_year_value"] is None


def test_seasonality_index_hand_worked():
    # Two complete years: January 2 crimes, every other month 1.
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    counts = [2 if m.month == 1 else 1 for m in months]
    monthly = pd.DataFrame({"area_code": "A", "month": months, "count": counts})
    table = supply.seasonality(monthly, "A")
    index = table.loc["seasonal index"]
    assert index["Jan"] == pytest.approx(2 / (13 / 12))  # 1.846
    assert index["Feb"] == pytest.approx(1 / (13 / 12))
    assert table.loc[2023, "Jan"] == 2


def test_small_area_rates_and_hotspots():
    lookup = pd.DataFrame({"lsoa_code": ["A1", "A2", "A3", "A4"], "lsoa_name": ["a1", "a2", "a3", "a4"],
                           "ward_code": ["W1", "W1", "W2", "W3"], "ward_name": ["North", "North", "South", "East"],
                           "lad_code": "A", "lad_name": "Area"})
    population = pd.Series({"A1": 1000, "A2": 1000, "A3": 2000, "A4": 2000})
    crimes = _crimes([("2024-06", "A1", "Drugs", 40), ("2024-06", "A2", "Drugs", 20),
                      ("2024-06", "A3", "Drugs", 6), ("2024-06", "A4", "Drugs", 4),
                      ("2023-06", "A3", "Drugs", 50)])  # outside the window
    rates = supply.small_area_rates(
        crimes, lookup, population, level="ward", lsoas=["A1", "A2", "A3", "A4"], crime_types=["Drugs"],
        start=pd.Timestamp("2024-01-01"), end=pd.Timestamp("2024-12-01"), benchmark_rate=70 / 6000 * 1000,
    )
    by_name = rates.set_index("name")
    assert by_name.loc["North", "count"] == 60 and by_name.loc["North", "population"] == 2000
    assert by_name.loc["North", "value"] == pytest.approx(30.0)
    assert by_name.loc["South", "value"] == pytest.approx(3.0)
    assert by_name.loc["North", "compared_to_area"] == "Higher"  # 30 per 1,000 vs 11.7
    assert by_name.loc["East", "compared_to_area"] == "Lower"
    hot = supply.hotspots(rates)
    assert hot["name"].tolist() == ["North"]


def test_crime_type_mix_counts_window_only():
    crimes = _crimes([("2024-01", "A1", "Drugs", 3), ("2024-02", "A1", "Burglary", 5), ("2022-02", "A1", "Robbery", 9)])
    mix = supply.crime_type_mix(crimes, ["A1"], pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-01"))
    assert dict(zip(mix["crime_type"], mix["count"])) == {"Burglary": 5, "Drugs": 3}


def test_deprivation_gradient_by_national_quintile():
    imd = pd.DataFrame({"lsoa_code": ["A1", "A2", "A3", "A4"], "imd_decile": [1, 2, 5, 10]})
    population = pd.Series({"A1": 1000, "A2": 1000, "A3": 2000, "A4": 4000})
    crimes = _crimes([("2024-05", "A1", "Drugs", 10), ("2024-05", "A2", "Drugs", 6),
                      ("2024-05", "A3", "Drugs", 4), ("2024-05", "A4", "Drugs", 2),
                      ("2024-05", "A4", "Burglary", 9)])
    out = supply.deprivation_gradient(crimes, imd, population, lsoas=["A1", "A2", "A3", "A4"],
                                      crime_types=["Drugs"], start=pd.Timestamp("2024-01-01"),
                                      end=pd.Timestamp("2024-12-01"))
    # deciles 1,2 → quintile 1; 5 → 3; 10 → 5
    assert out["quintile"].tolist() == [1, 3, 5]
    assert out["count"].tolist() == [16, 4, 2]
    assert out["value"].tolist() == pytest.approx([16 / 2000 * 1000, 4 / 2000 * 1000, 2 / 4000 * 1000])
    assert out["label"].iloc[0] == "1 (most deprived)"
    assert supply.slope_index(out) is None  # needs all five quintiles


def test_slope_index_of_a_linear_gradient():
    # Equal populations, rates 5,4,3,2,1 at quintile midpoints 0.1…0.9: slope −1 per 0.2 = −5.
    gradient = pd.DataFrame({"quintile": [1, 2, 3, 4, 5], "population": [1000] * 5,
                             "count": [50, 40, 30, 20, 10], "value": [5.0, 4.0, 3.0, 2.0, 1.0],
                             "lower_ci": [3.7, 2.9, 2.0, 1.2, 0.5], "upper_ci": [6.6, 5.4, 4.3, 3.1, 1.8]})
    result = supply.slope_index(gradient)
    assert result["sii"] == pytest.approx(-5.0)
    assert result["lower_ci"] < -5.0 < result["upper_ci"]


def test_seasonality_keeps_missing_months_missing():
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    counts = [1.0] * 24
    counts[14] = np.nan  # March 2024 missing from the archive
    table = supply.seasonality(pd.DataFrame({"area_code": "A", "month": months, "count": counts}), "A")
    assert np.isnan(table.loc[2024, "Mar"])
    assert table.loc[2023, "Mar"] == 1


# drug searches without a map point ------------------------------------------------------------
class _Searches:
    """A dataset stand-in holding only stop-and-search rows."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def stop_search(self, months=None, forces=None, columns=None, within=None) -> pd.DataFrame:
        rows = self.frame[self.frame["force"].isin(forces)]
        return rows[list(columns)] if columns else rows


def _unplaced_note(placed: int, unplaced: int, other: int = 0, forces=("city-of-london",), policy="ndtms") -> str:
    from types import SimpleNamespace

    from cdp_analysis.areas import AreaRegistry
    from cdp_analysis.chapters.supply import SupplyChapter
    from cdp_analysis.stats.sdc import get_policy

    drug = {"object_of_search": "Controlled drugs", "legislation": ""}
    rows = ([{**drug, "latitude": 51.51, "longitude": -0.09}] * placed
            + [{**drug, "latitude": np.nan, "longitude": np.nan}] * unplaced
            + [{"object_of_search": "Stolen goods", "legislation": "", "latitude": np.nan, "longitude": np.nan}] * other)
    frame = pd.DataFrame(rows, columns=["object_of_search", "legislation", "latitude", "longitude"])
    frame["force"] = forces[0]
    registry = AreaRegistry.builtin()
    chapter = SupplyChapter.__new__(SupplyChapter)
    chapter.ctx = SimpleNamespace(dataset=_Searches(frame), registry=registry)
    chapter.area = registry.get("E09000001")
    chapter.policy = get_policy(policy)
    return chapter._unplaced_note(list(forces), ["2020-01", "2020-02"])


def test_searches_without_a_map_point_are_counted_in_the_force_total() -> None:
    note = _unplaced_note(placed=290, unplaced=110, other=50)  # other searches are not drug searches
    assert note.startswith("110 (27.5%) of the 400 drug searches in the files of the City of London force "
                           "for Jan 2020 to Feb 2020 have no map point")
    assert note.endswith("could not be placed in City of London and are not counted in the figures below.")
    assert _unplaced_note(placed=10, unplaced=0, other=7) == ""
    forces = ("city-of-london", "metropolitan", "avon-and-somerset", "kent", "sussex")
    assert "in the files of the 5 forces policing City of London for" in _unplaced_note(10, 10, forces=forces)
    two = _unplaced_note(10, 10, forces=forces[1:3])
    assert "in the files of the Metropolitan and Avon and Somerset forces for" in two
    rounded = _unplaced_note(placed=291, unplaced=112, policy="nhsd")  # to the nearest 5: 110 of 405
    assert rounded.startswith("110 (27.2%) of the 405 drug searches")


@pytest.mark.parametrize(("placed", "unplaced", "start"), [
    (37, 3, "A few of the 40 drug searches"),  # 3 is hidden, the total is not
    (1, 2, "Some of the drug searches"),  # the total is hidden too
])
def test_small_counts_of_searches_without_a_map_point_are_not_written(placed, unplaced, start) -> None:
    note = _unplaced_note(placed=placed, unplaced=unplaced)
    assert note.startswith(start)
    words = note.replace("2020", "")
    assert str(unplaced) not in words and ("40" in words) == (placed + unplaced >= 5)


# why a find rate is not given ---------------------------------------------------------------------
def _find_words(searches: int, flagged: int, found: int) -> str:
    from types import SimpleNamespace

    from cdp_analysis.chapters.supply import SupplyChapter
    from cdp_analysis.stats.sdc import get_policy

    chapter = SupplyChapter.__new__(SupplyChapter)
    chapter.area = SimpleNamespace(name="Westminster")
    chapter.policy = get_policy("ndtms")
    finds = pd.DataFrame([{"period": "2018/19", "months_with_data": 2, "searches": searches,
                           "flag_recorded": flagged, "found": found, "find_rate": 100 * found / flagged if flagged
                           else math.nan, "find_rate_lower": math.nan, "find_rate_upper": math.nan}])
    return chapter._find_message(chapter._find_table(finds), finds.iloc[-1]).text


def test_a_find_rate_the_files_do_not_record_is_not_called_disclosure_control() -> None:
    blank = _find_words(searches=881, flagged=0, found=0)
    assert "blank for every drug search in Westminster" in blank and "disclosure" not in blank
    mostly_blank = _find_words(searches=881, flagged=2, found=1)
    assert "blank for most drug searches" in mostly_blank and "2 " not in mostly_blank.replace("(2 months)", "")
    small = _find_words(searches=40, flagged=38, found=2)  # recorded, but 2 found is in the suppressed range
    assert small.endswith("(disclosure control).")

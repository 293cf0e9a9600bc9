"""Tests of ``cdp_analysis.indicators.stop_search``.

Expected values are worked by hand in the comments (Wilson, Byar and the
log-method rate-ratio formulas written out here, not taken from the package),
or counted independently in the real police.uk files with the ``csv`` module.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from statistics import NormalDist

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import box

from cdp_analysis.errors import DataFormatError, DataShortfallError, MissingDataError, SchemaError, StatsInputError
from cdp_analysis.indicators import stop_search as ss
from cdp_analysis.sources.census import CENSUS_ETHNIC_GROUPS
from cdp_analysis.sources.police_uk import STOP_SEARCH_COLUMNS, read_stop_and_search
from tests.shared_data import REAL_DIR, require

REAL_POLICE = REAL_DIR / "police_uk"
CITY = REAL_POLICE / "city-of-london"
MET = REAL_POLICE / "metropolitan-stop-and-search"
Z = NormalDist().inv_cdf(0.975)  # 1.959964
MDA = "Misuse of Drugs Act 1971 (section 23)"
PACE = "Police and Criminal Evidence Act 1984 (section 1)"
NFA = "A no further action disposal"
ASIAN, BLACK, MIXED, WHITE, OTHER = CENSUS_ETHNIC_GROUPS


def _real(folder: Path, name: str) -> Path:
    return require(folder / name, "real police.uk file")


def _searches(rows: list[dict]) -> pd.DataFrame:
    """A normalised stop-and-search frame (contract columns and dtypes) from a few rows."""
    defaults = {
        "force": "test-force", "type": "Person search", "datetime": pd.Timestamp("2024-04-02T10:00", tz="UTC"),
        "month": "2024-04", "latitude": np.nan, "longitude": np.nan, "gender": "Male", "age_range": "18-24",
        "self_defined_ethnicity": None, "officer_defined_ethnicity": None, "legislation": MDA,
        "object_of_search": "Controlled drugs", "outcome": NFA, "outcome_linked_to_object": False,
        "removal_of_more_than_outer_clothing": False,
    }
    frame = pd.DataFrame([{**defaults, **row} for row in rows], columns=list(STOP_SEARCH_COLUMNS))
    frame["month"] = pd.to_datetime(frame["month"])
    for column in ("force", "type", "gender", "age_range", "self_defined_ethnicity", "officer_defined_ethnicity",
                   "legislation", "object_of_search", "outcome"):
        frame[column] = frame[column].astype("category")
    for column in ("latitude", "longitude"):
        frame[column] = frame[column].astype("float64")
    for column in ("outcome_linked_to_object", "removal_of_more_than_outer_clothing"):
        frame[column] = frame[column].astype("boolean")
    return frame


def _wilson(x: float, n: float) -> tuple[float, float]:
    """Wilson score limits in %, written out: (2x + z² ∓ z·√(z² + 4x(1 − x/n))) / (2(n + z²))."""
    spread = Z * math.sqrt(Z**2 + 4 * x * (1 - x / n))
    return (100 * (2 * x + Z**2 - spread) / (2 * (n + Z**2)),
            100 * (2 * x + Z**2 + spread) / (2 * (n + Z**2)))


def _byar(x: float) -> tuple[float, float]:
    """Byar's limits of a count: x(1 − 1/9x − z/3√x)³ and (x+1)(1 − 1/9(x+1) + z/3√(x+1))³."""
    return (x * (1 - 1 / (9 * x) - Z / (3 * math.sqrt(x))) ** 3,
            (x + 1) * (1 - 1 / (9 * (x + 1)) + Z / (3 * math.sqrt(x + 1))) ** 3)


# 10 searches: rows 0-3 are for drugs (row 2 by the power alone, its object blank),
# and only row 0 found what it was looking for. Rows 4-9 are not drug searches; some
# are "found", which must not count.
TEN = [
    {"object_of_search": "Controlled drugs", "outcome": "Arrest", "outcome_linked_to_object": True},
    {"object_of_search": "Controlled drugs", "outcome": NFA, "outcome_linked_to_object": False},
    {"object_of_search": None, "legislation": MDA, "outcome": NFA, "outcome_linked_to_object": False},
    {"object_of_search": "Controlled drugs", "legislation": PACE, "outcome": "Community resolution",
     "outcome_linked_to_object": False},
    {"object_of_search": "Offensive weapons", "legislation": PACE, "outcome": "Arrest", "outcome_linked_to_object": True},
    {"object_of_search": "Stolen goods", "legislation": PACE, "outcome": "Arrest", "outcome_linked_to_object": True},
    {"object_of_search": None, "legislation": PACE, "outcome": NFA},
    {"object_of_search": "Psychoactive substances", "legislation": None, "outcome": NFA},
    {"object_of_search": "Firearms", "legislation": "Firearms Act 1968 (section 47)", "outcome": NFA},
    {"object_of_search": "Article for use in theft", "legislation": PACE, "outcome": "Arrest",
     "outcome_linked_to_object": True},
]


# drug searches -----------------------------------------------------------------------------
def test_drug_searches_by_object_or_by_the_drugs_power_when_object_blank() -> None:
    frame = _searches(TEN)
    frame.attrs["note"] = "kept"
    drugs = ss.drug_searches(frame)
    assert len(drugs) == 4
    assert list(drugs["outcome"]) == ["Arrest", NFA, NFA, "Community resolution"]
    assert drugs.attrs["note"] == "kept"
    # an empty-string object (not NA) is blank too
    blank = _searches([{"object_of_search": "", "legislation": MDA}, {"object_of_search": "", "legislation": PACE}])
    assert len(ss.drug_searches(blank)) == 1


def test_drug_searches_needs_the_columns() -> None:
    with pytest.raises(SchemaError, match="object_of_search"):
        ss.drug_searches(pd.DataFrame({"legislation": [MDA]}))


# find rate -----------------------------------------------------------------------------------
def test_find_rate_worked_example() -> None:
    out = ss.find_rate(_searches(TEN))
    assert len(out) == 1
    row = out.iloc[0]
    # 4 drug searches, all with the flag recorded, 1 found: 1/4 = 25%.
    assert (row["searches"], row["flag_recorded"], row["found"]) == (4, 4, 1)
    assert row["find_rate"] == pytest.approx(25.0)
    # Wilson, x=1, n=4, z=1.959964, z²=3.841459:
    #   √(z² + 4·1·(1 − 1/4)) = √6.841459 = 2.615628; z·2.615628 = 5.126536
    #   lower = (2 + 3.841459 − 5.126536) / (2·7.841459) = 0.714923 / 15.682918 = 4.5586%
    #   upper = (2 + 3.841459 + 5.126536) / 15.682918 = 10.967995 / 15.682918 = 69.9359%
    assert row["find_rate_lower"] == pytest.approx(4.5586, abs=1e-3)
    assert row["find_rate_upper"] == pytest.approx(69.9359, abs=1e-3)
    assert (row["find_rate_lower"], row["find_rate_upper"]) == pytest.approx(_wilson(1, 4), rel=1e-9)
    # Outcomes: Arrest and Community resolution are further action, the two NFA are not: 2/4 = 50%.
    #   √(z² + 4·2·(1 − 2/4)) = √7.841459 = 2.800260; z·2.800260 = 5.488409
    #   lower = (4 + 3.841459 − 5.488409) / 15.682918 = 15.0039%; upper = 84.9961%
    assert (row["outcome_recorded"], row["further_action"]) == (4, 2)
    assert row["further_action_rate"] == pytest.approx(50.0)
    assert row["further_action_lower"] == pytest.approx(15.0039, abs=1e-3)
    assert row["further_action_upper"] == pytest.approx(84.9961, abs=1e-3)
    assert (row["confidence"], row["statistic"], row["method"]) == ("95%", "percentage", "Wilson")


def test_find_rate_leaves_blank_flags_and_unknown_outcomes_out_of_the_denominators() -> None:
    rows = [dict(r) for r in TEN]
    rows[3]["outcome_linked_to_object"] = None  # flag blank: found 1 of 3 recorded
    rows[1]["outcome"] = None  # outcome blank
    rows[2]["outcome"] = "Details not available"
    row = ss.find_rate(_searches(rows)).iloc[0]
    assert (row["searches"], row["flag_recorded"], row["found"]) == (4, 3, 1)
    assert row["find_rate"] == pytest.approx(100 / 3)
    # outcomes recorded: Arrest and Community resolution, both further action: 2/2
    assert (row["outcome_recorded"], row["further_action"], row["further_action_rate"]) == (2, 2, 100.0)


def test_find_rate_is_nan_when_no_flag_is_recorded() -> None:
    rows = [{"outcome_linked_to_object": None, "outcome": "Arrest"}, {"outcome_linked_to_object": None}]
    row = ss.find_rate(_searches(rows)).iloc[0]
    assert (row["flag_recorded"], row["found"]) == (0, 0)
    assert math.isnan(row["find_rate"]) and math.isnan(row["find_rate_lower"])
    assert row["further_action_rate"] == pytest.approx(50.0)


def test_older_no_further_action_wording_counts_as_nfa() -> None:
    rows = [{"outcome": "Nothing found - no further action"}, {"outcome": "Suspect arrested"},
            {"outcome": "Offender given drugs possession warning"}, {"outcome": NFA}]
    row = ss.find_rate(_searches(rows)).iloc[0]
    assert (row["outcome_recorded"], row["further_action"]) == (4, 2)


def test_find_rate_by_financial_year_and_rolling_twelve_months() -> None:
    months = ["2024-03", "2024-04", "2024-04", "2025-03", "2025-04"]
    found = [True, True, False, False, True]
    frame = _searches([{"month": m, "outcome_linked_to_object": f} for m, f in zip(months, found, strict=True)])
    fy = ss.find_rate(frame, "financial_year")
    assert list(fy["period"]) == ["2023/24", "2024/25", "2025/26"]
    assert list(fy["period_start"]) == [pd.Timestamp("2023-04-01"), pd.Timestamp("2024-04-01"),
                                        pd.Timestamp("2025-04-01")]
    assert list(fy["period_end"]) == [pd.Timestamp("2024-03-01"), pd.Timestamp("2025-03-01"),
                                      pd.Timestamp("2026-03-01")]
    assert list(fy["searches"]) == [1, 3, 1]
    assert list(fy["found"]) == [1, 1, 1]
    assert list(fy["months_with_data"]) == [1, 2, 1]  # partial years say so
    # 2024-03 .. 2025-04 spans 14 months: windows ending 2025-02, 2025-03, 2025-04
    rolling = ss.find_rate(frame, "rolling_12m")
    assert list(rolling["period"]) == ["Mar 2024 to Feb 2025", "Apr 2024 to Mar 2025", "May 2024 to Apr 2025"]
    assert list(rolling["searches"]) == [3, 3, 2]
    assert list(rolling["found"]) == [2, 1, 1]
    monthly = ss.find_rate(frame, "month")
    assert len(monthly) == 14 and monthly["searches"].sum() == 5
    assert list(ss.find_rate(frame, "calendar_year")["period"]) == ["2024", "2025"]
    with pytest.raises(ValueError, match="period"):
        ss.find_rate(frame, "fortnight")


def test_find_rate_of_an_empty_frame_is_an_error() -> None:
    with pytest.raises(MissingDataError):
        ss.find_rate(_searches([]))


# outcomes ------------------------------------------------------------------------------------
def test_outcome_mix_counts_and_shares() -> None:
    rows = [{"outcome": NFA}] * 6 + [{"outcome": "Arrest"}] * 3 + [{"outcome": None}]
    out = ss.outcome_mix(_searches(rows))
    assert list(out["outcome"]) == [NFA, "Arrest", ss.NOT_RECORDED]
    assert list(out["searches"]) == [6, 3, 1]
    assert (out["total"] == 10).all()
    assert list(out["value"]) == pytest.approx([60.0, 30.0, 10.0])
    assert (out["lower_ci"].iloc[0], out["upper_ci"].iloc[0]) == pytest.approx(_wilson(6, 10))
    assert list(out["no_further_action"]) == [True, False, False]
    by_month = ss.outcome_mix(_searches([{"month": "2024-04"}, {"month": "2024-05", "outcome": "Arrest"},
                                         {"month": "2024-05"}]), by="month")
    assert list(by_month["value"]) == pytest.approx([100.0, 50.0, 50.0])


# placing searches in areas -----------------------------------------------------------------------
def _squares(crs: str = "EPSG:27700") -> gpd.GeoDataFrame:
    squares = gpd.GeoDataFrame(
        {"code": ["A", "B"], "name": ["Square A", "Square B"]},
        geometry=[box(530_000, 180_000, 531_000, 181_000), box(531_000, 180_000, 532_000, 181_000)],
        crs="EPSG:27700",
    )
    return squares.to_crs(crs)


def _lonlat(x: float, y: float) -> tuple[float, float]:
    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(x, y)


@pytest.mark.parametrize("crs", ["EPSG:27700", "EPSG:4326"])
def test_locate_in_area_inside_outside_and_without_coordinates(crs: str) -> None:
    points = [_lonlat(530_500, 180_500), _lonlat(531_600, 180_200), _lonlat(540_000, 190_000), (np.nan, np.nan)]
    frame = _searches([{"longitude": lon, "latitude": lat} for lon, lat in points])
    out = ss.locate_in_area(frame, _squares(crs))
    assert out["area_code"].tolist()[:2] == ["A", "B"]
    assert out["area_code"].isna().tolist() == [False, False, True, True]
    assert str(out["area_code"].dtype) == "string"
    assert out.attrs["unlocated"] == 1  # no coordinates
    assert out.attrs["outside_area"] == 1  # coordinates, but in neither square
    assert "area_code" not in frame.columns  # the input is not changed


def test_locate_in_area_rejects_what_it_cannot_use() -> None:
    frame = _searches([{"longitude": -0.1, "latitude": 51.5}])
    with pytest.raises(TypeError, match="GeoDataFrame"):
        ss.locate_in_area(frame, pd.DataFrame({"code": ["A"]}))
    with pytest.raises(DataFormatError, match="CRS"):
        ss.locate_in_area(frame, gpd.GeoDataFrame({"code": ["A"]}, geometry=[box(0, 0, 1, 1)]))
    with pytest.raises(SchemaError, match="lad_code"):
        ss.locate_in_area(frame, _squares(), code_col="lad_code")


# monthly counts -----------------------------------------------------------------------------------
def test_monthly_searches_are_zero_filled() -> None:
    rows = [{"month": "2024-01", "area_code": "A"}, {"month": "2024-01", "area_code": "A"},
            {"month": "2024-03", "area_code": "A"}, {"month": "2024-02", "area_code": "B"},
            {"month": "2024-02", "area_code": None}]
    frame = _searches(rows)
    frame["area_code"] = pd.array([r["area_code"] for r in rows], dtype="string")
    out = ss.monthly_searches(frame)
    assert list(out.columns) == ["area_code", "month", "searches"]
    assert list(out["area_code"]) == ["A"] * 3 + ["B"] * 3
    assert list(out["month"].dt.strftime("%Y-%m")) == ["2024-01", "2024-02", "2024-03"] * 2
    assert list(out["searches"]) == [2, 0, 1, 0, 1, 0]
    assert out.attrs["excluded"] == 1
    wider = ss.monthly_searches(frame, start="2023-12", end="2024-04")
    assert len(wider) == 10 and wider["searches"].sum() == 4
    total = ss.monthly_searches(frame, by=None)
    assert list(total["searches"]) == [2, 2, 1]
    by_force = ss.monthly_searches(frame, by=["force", "gender"])
    assert list(by_force["searches"]) == [2, 2, 1]


# disproportionality ---------------------------------------------------------------------------------
def _census(counts: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"area_code": "Z09000001", "area_name": "Somewhere",
                         "ethnic_group": list(counts), "population": list(counts.values())})


def test_disproportionality_worked_example() -> None:
    rows = ([{"officer_defined_ethnicity": "Black"}] * 30 + [{"officer_defined_ethnicity": "White"}] * 20
            + [{"officer_defined_ethnicity": "Other"}] * 2 + [{"officer_defined_ethnicity": None}] * 3)
    population = _census({ASIAN: 8_000, BLACK: 10_000, MIXED: 5_000, WHITE: 40_000, OTHER: 0})
    out = ss.disproportionality(_searches(rows), population).set_index("label")
    assert list(out.index) == ["Asian", "Black", "Mixed", "White", "Other"]  # Census order
    assert list(out["group"]) == list(CENSUS_ETHNIC_GROUPS)
    assert out.attrs["not_recorded"] == 3
    black, white = out.loc["Black"], out.loc["White"]
    # rates: 30 / 10,000 × 1,000 = 3.0 and 20 / 40,000 × 1,000 = 0.5 per 1,000
    assert (black["searches"], black["residents"], black["value"]) == (30, 10_000, pytest.approx(3.0))
    assert (white["searches"], white["residents"], white["value"]) == (20, 40_000, pytest.approx(0.5))
    # Byar's limits for 30: 30(1 − 1/270 − 1.959964/(3√30))³ = 20.2409;
    #   31(1 − 1/279 + 1.959964/(3√31))³ = 42.8275; per 1,000 of 10,000: 2.0241 to 4.2827
    assert black["lower_ci"] == pytest.approx(2.0241, abs=1e-3)
    assert black["upper_ci"] == pytest.approx(4.2827, abs=1e-3)
    assert (black["lower_ci"], black["upper_ci"]) == pytest.approx([v / 10 for v in _byar(30)])
    assert black["rate_method"] == "Byars"
    # ratio 3.0 / 0.5 = 6.0; SE(ln RR) = √(1/30 + 1/20) = √0.083333 = 0.288675;
    #   z·SE = 1.959964 × 0.288675 = 0.565793
    #   lower = 6 × e^−0.565793 = 6 × 0.567926 = 3.4076; upper = 6 × e^0.565793 = 6 × 1.760793 = 10.5648
    assert black["ratio"] == pytest.approx(6.0)
    assert black["ratio_lower_ci"] == pytest.approx(3.4076, abs=1e-3)
    assert black["ratio_upper_ci"] == pytest.approx(10.5648, abs=1e-3)
    se = math.sqrt(1 / 30 + 1 / 20)
    assert (black["ratio_lower_ci"], black["ratio_upper_ci"]) == pytest.approx(
        (6 * math.exp(-Z * se), 6 * math.exp(Z * se)), rel=1e-9)
    # the reference group
    assert white["ratio"] == 1.0 and math.isnan(white["ratio_lower_ci"]) and white["note"] == "reference group"
    # no searches: rate 0 (exact limits), ratio not estimated
    asian = out.loc["Asian"]
    assert asian["searches"] == 0 and asian["value"] == 0 and asian["rate_method"] == "Exact"
    assert math.isnan(asian["ratio"]) and "no searches" in asian["note"]
    # no residents: no rate, no ratio
    other = out.loc["Other"]
    assert other["searches"] == 2 and math.isnan(other["value"]) and math.isnan(other["ratio"])
    assert "no residents" in other["note"]
    assert set(out["confidence"]) == {"95%"}


def test_disproportionality_years_change_the_rate_not_the_ratio() -> None:
    rows = [{"officer_defined_ethnicity": "Black"}] * 30 + [{"officer_defined_ethnicity": "White"}] * 20
    population = _census({BLACK: 10_000, WHITE: 40_000})
    two_years = ss.disproportionality(_searches(rows), population, years=2).set_index("label")
    assert two_years.loc["Black", "value"] == pytest.approx(1.5)  # 30 / (10,000 × 2) × 1,000
    assert two_years.loc["Black", "ratio"] == pytest.approx(6.0)


def test_disproportionality_by_self_defined_ethnicity_and_police_labels_in_the_population() -> None:
    rows = ([{"self_defined_ethnicity": "Black/African/Caribbean/Black British - African"}] * 3
            + [{"self_defined_ethnicity": "White - Irish"}] * 2
            + [{"self_defined_ethnicity": "Other ethnic group - Not stated"}] * 4)
    population = pd.DataFrame({"self_defined_ethnicity": ["Black", "White"], "population": [1_000, 4_000]})
    out = ss.disproportionality(_searches(rows), population, "self_defined_ethnicity").set_index("group")
    assert out.loc[BLACK, "searches"] == 3 and out.loc[WHITE, "searches"] == 2
    assert out.loc[BLACK, "ratio"] == pytest.approx((3 / 1_000) / (2 / 4_000))  # 6.0
    assert out.attrs["not_recorded"] == 4


def test_disproportionality_without_reference_searches_or_a_known_reference() -> None:
    rows = [{"officer_defined_ethnicity": "Black"}] * 3
    out = ss.disproportionality(_searches(rows), _census({BLACK: 100, WHITE: 100}))
    assert out["ratio"].isna().all()
    assert out["note"].str.contains("reference group has no searches").all()
    with pytest.raises(DataShortfallError, match="reference"):
        ss.disproportionality(_searches(rows), _census({BLACK: 100}), reference="Asian")
    with pytest.raises(StatsInputError):
        ss.disproportionality(_searches(rows), _census({BLACK: -1, WHITE: 5}))


def test_census_ethnic_group_mappings() -> None:
    officer = pd.Series(["White", "Black", "Asian", "Other", "Mixed", None, ""], dtype="category")
    assert ss.census_ethnic_group(officer).tolist() == [WHITE, BLACK, ASIAN, OTHER, MIXED, pd.NA, pd.NA]
    self_defined = pd.Series(["Asian/Asian British - Chinese", "Mixed/Multiple ethnic groups - White and Asian",
                              "Other ethnic group - Any other ethnic group", "Other ethnic group - Not stated",
                              "White - English/Welsh/Scottish/Northern Irish/British", "Martian - Any"])
    assert ss.census_ethnic_group(self_defined, "self").tolist() == [ASIAN, MIXED, OTHER, pd.NA, WHITE, pd.NA]
    assert set(ss.OFFICER_ETHNICITY_TO_CENSUS.values()) == set(CENSUS_ETHNIC_GROUPS)


def test_rate_ratio_ci_rejects_zero_counts() -> None:
    with pytest.raises(StatsInputError):
        ss.rate_ratio_ci(0, 100, 5, 100)
    with pytest.raises(StatsInputError):
        ss.rate_ratio_ci(5, 0, 5, 100)


# age ---------------------------------------------------------------------------------------------
def test_population_by_age_band_and_age_disproportionality() -> None:
    single = pd.DataFrame({"area_code": "Z", "sex": "Female", "age": range(91), "population": 1.0})
    single = pd.concat([single, single.assign(sex="Male")], ignore_index=True)
    bands = ss.population_by_age_band(single)
    # ages 0-9: 10, 10-17: 8, 18-24: 7, 25-34: 10, 35-90: 56 single years; two sexes each
    assert bands["age_range"].tolist() == ["under 10", "10-17", "18-24", "25-34", "over 34"]
    assert bands["population"].tolist() == [20, 16, 14, 20, 112]
    both = single[single["sex"] == "Female"].assign(sex="Persons", population=2.0)  # one row per age
    persons = pd.concat([single, both], ignore_index=True)
    assert ss.population_by_age_band(persons)["population"].tolist() == [20, 16, 14, 20, 112]
    assert ss.population_by_age_band(single, by="area_code")["area_code"].tolist() == ["Z"] * 5
    rows = [{"age_range": "18-24"}] * 14 + [{"age_range": "over 34"}] * 28 + [{"age_range": None}]
    out = ss.disproportionality(_searches(rows), bands, "age_range", "over 34").set_index("group")
    # 14 / 14 = 1 per resident vs 28 / 112 = 0.25: ratio 4
    assert out.loc["18-24", "ratio"] == pytest.approx(4.0)
    assert math.isnan(out.loc["10-17", "ratio"])  # no searches
    assert out.attrs["not_recorded"] == 1
    with pytest.raises(DataFormatError, match=r"line 2, column 'age'.*found 91"):
        ss.population_by_age_band(pd.DataFrame({"age": [30, 91], "population": [1, 1]}))


# real files ---------------------------------------------------------------------------------------
def test_real_city_of_london_april_2018() -> None:
    path = _real(CITY, "2018-04-city-of-london-stop-and-search.csv")
    controlled = linked = drugs_any = flags = 0
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            is_drug = row["Object of search"] == "Controlled drugs" or (
                row["Object of search"] == "" and row["Legislation"] == MDA)
            controlled += row["Object of search"] == "Controlled drugs"
            drugs_any += is_drug
            flags += is_drug and row["Outcome linked to object of search"] != ""
            linked += is_drug and row["Outcome linked to object of search"] == "True"
    frame = read_stop_and_search(path)
    drugs = ss.drug_searches(frame)
    assert (drugs["object_of_search"] == "Controlled drugs").sum() == controlled
    assert len(drugs) == drugs_any
    assert int(drugs["outcome_linked_to_object"].eq(True).sum()) == linked
    row = ss.find_rate(frame).iloc[0]
    assert (row["searches"], row["found"], row["flag_recorded"]) == (drugs_any, linked, flags)
    assert row["find_rate"] == pytest.approx(100 * linked / flags)
    assert controlled > 50 and 0 < linked < controlled


def test_real_met_files_have_no_find_flag() -> None:
    path = _real(MET, "2018-12-metropolitan-stop-and-search.csv")
    row = ss.find_rate(read_stop_and_search(path)).iloc[0]
    assert row["searches"] > 5_000 and row["flag_recorded"] == 0 and math.isnan(row["find_rate"])
    assert 20 < row["further_action_rate"] < 40


# placing points on an area's edge -------------------------------------------------------------
def test_coordinate_tolerance_is_the_precision_of_six_decimal_places() -> None:
    """Half a unit in the 6th decimal place, in metres, measured on the ellipsoid across England."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    worst = 0.0
    for lat in (49.9, 52.0, 55.8):  # England's southern and northern edges
        _, _, north = geod.inv(-1.0, lat, -1.0, lat + 0.5e-6)
        _, _, east = geod.inv(-1.0, lat, -1.0 + 0.5e-6, lat)
        worst = max(worst, math.hypot(north, east))
    assert 0.06 < worst <= ss.COORDINATE_TOLERANCE_M < 0.08


def test_a_point_within_the_tolerance_of_an_edge_is_placed() -> None:
    gap = gpd.GeoDataFrame({"code": ["A", "B"]}, crs="EPSG:27700",
                           geometry=[box(530_000, 180_000, 531_000, 181_000), box(531_000.1, 180_000, 532_000, 181_000)])
    points = [(529_999.95, 180_500), (529_999.9, 180_500), (531_000.07, 180_500), (531_000.03, 180_500)]
    frame = _searches([dict(zip(("longitude", "latitude"), _lonlat(x, y), strict=True)) for x, y in points])
    out = ss.locate_in_area(frame, gap)
    # 5 cm west of A: A; 10 cm west: outside; in the 10 cm gap, the nearer square
    assert out["area_code"].fillna("-").tolist() == ["A", "-", "B", "A"]
    assert out.attrs["outside_area"] == 1
    strict = ss.locate_in_area(frame, gap, tolerance_m=0)
    assert strict["area_code"].isna().all()


def _mansell_street_search(folder: Path) -> dict[str, str]:
    """The drug search of 15 Aug 2020 on Mansell Street, straight from the CSV."""
    with (folder / "2020-08-city-of-london-stop-and-search.csv").open(encoding="utf-8", newline="") as handle:
        found = [r for r in csv.DictReader(handle) if r["Date"] == "2020-08-15T07:55:45+00:00"]
    assert len(found) == 1
    return found[0]


def test_the_real_search_police_uk_places_in_city_of_london_001e_is_in_the_city(tmp_path: Path) -> None:
    """A real map point 0.12 m from the LSOA edge, which police.uk's street files give to City of London 001E."""
    from cdp_analysis.sources.boundaries import read_boundaries
    from cdp_analysis.store.dataset import open_dataset
    from tests.shared_data import require as require_shared

    city = require_shared("data/real/police_uk/city-of-london")
    jdm = require_shared("data/real/boundaries/london-data_jdm")
    search = _mansell_street_search(city)
    point = (search["Longitude"], search["Latitude"])
    with (city / "2018-05-city-of-london-street.csv").open(encoding="utf-8", newline="") as handle:
        lsoas = {r["LSOA name"] for r in csv.DictReader(handle) if (r["Longitude"], r["Latitude"]) == point}
    assert lsoas == {"City of London 001E"}  # police.uk's own placement of this map point
    raw = tmp_path / "raw"
    (raw / "police_uk").mkdir(parents=True)
    (raw / "boundaries").mkdir()
    for month in ("2020-07", "2020-08"):
        name = f"{month}-city-of-london-stop-and-search.csv"
        (raw / "police_uk" / name).symlink_to(city / name)
    for part in jdm.glob("london-2021-lad22-gen20.*"):
        (raw / "boundaries" / part.name).symlink_to(part)
    data = open_dataset(raw, tmp_path / "processed", progress=False)
    stored = data.stop_search(months=["2020-08"])
    row = stored[stored["datetime"] == pd.Timestamp(search["Date"])]
    assert len(row) == 1 and row["latitude"].iloc[0] == float(search["Latitude"])  # stored as published
    lads = data.boundaries("lad")
    placed = ss.locate_in_area(row, lads[lads["code"] == "E09000001"])
    assert placed["area_code"].tolist() == ["E09000001"]
    lsoa = read_boundaries(require_shared(
        "data/real/boundaries/statistical-gis-boundaries-london_LSOA_2011_London_gen_MHW/LSOA_2011_London_gen_MHW.shp"))
    assert ss.locate_in_area(row, lsoa[lsoa["code"] == "E01000005"])["area_code"].tolist() == ["E01000005"]


def test_held_monthly_leaves_a_month_without_its_file_blank_and_averages_full_years_only() -> None:
    # searches in January and March 2023 and in every month of 2023-04 .. 2024-01; February's file is not held
    rows = [{"month": "2023-01"}] * 2 + [{"month": "2023-03"}] * 5 + [
        {"month": str(m)} for m in pd.period_range("2023-04", "2024-01", freq="M")]
    held = [str(m) for m in pd.period_range("2023-01", "2024-02", freq="M") if str(m) != "2023-02"]
    out = ss.held_monthly(_searches(rows).assign(area_code="A"), held)
    assert out["month"].tolist() == list(pd.date_range("2023-01-01", "2024-02-01", freq="MS"))
    searches = out["searches"].tolist()
    assert searches[0] == 2.0 and math.isnan(searches[1]) and searches[2] == 5.0
    assert searches[3:13] == [1.0] * 10 and searches[13] == 0.0  # February 2024 held, no search: zero
    # a twelve-month average needs twelve known months: none spans February 2023 until February 2024
    assert out["twelve_month_average"].iloc[:13].isna().all()
    assert out["twelve_month_average"].iloc[13] == pytest.approx((5 + 10 + 0) / 12)


def test_recent_disproportionality_counts_the_twelve_months_to_the_latest_and_drops_groups_without_residents():
    rows = ([{"officer_defined_ethnicity": "Black", "month": "2024-04"}] * 4
            + [{"officer_defined_ethnicity": "Black", "month": "2023-05"}]  # the first month of the window
            + [{"officer_defined_ethnicity": "Black", "month": "2023-04"}] * 5  # thirteen months back: out
            + [{"officer_defined_ethnicity": "White", "month": "2024-04"}] * 10)
    start, end, out = ss.recent_disproportionality(_searches(rows), _census({ASIAN: 0, BLACK: 1_000, WHITE: 4_000}))
    assert (start, end) == (pd.Timestamp("2023-05-01"), pd.Timestamp("2024-04-01"))
    out = out.set_index("label")
    assert list(out.index) == ["Black", "White"]  # Asian: no residents
    assert out.loc["Black", "searches"] == 5 and out.loc["Black", "value"] == pytest.approx(5.0)  # 5 / 1,000
    assert out.loc["White", "value"] == pytest.approx(2.5)  # 10 / 4,000 × 1,000
    assert out.loc["Black", "ratio"] == pytest.approx(2.0)

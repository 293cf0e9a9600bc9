"""vintages: LSOA 2011 data brought to the lookup's LSOA 2021 before anything is counted.

Unit tests on hand-made frames (a split, a merge, an unchanged LSOA, dropped
rows with their reasons), then the real Met file for January 2023: Barking and
Dagenham's "Drugs" count and residents, computed here independently from the raw
CSVs with the csv module, must survive the 2011 → 2021 change of LSOAs.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from cdp_analysis.store.vintages import (
    ALREADY_GIVEN,
    NO_LSOA,
    UNKNOWN_LSOA,
    ReconcileReport,
    reconcile_crimes,
    reconcile_imd,
    reconcile_population,
)
from tests.conftest import require_shared

# 2011: U unchanged; S split into S1 (west half) and S2 (east half); M1 and M2 merged into M.
LOOKUP = pd.DataFrame({"lsoa_code": ["U", "S1", "S2", "M"],
                       "lsoa_name": ["Unchanged", "South 1", "South 2", "Merged"]})
CHANGES = pd.DataFrame({
    "lsoa11_code": ["U", "S", "S", "M1", "M2"],
    "lsoa21_code": ["U", "S1", "S2", "M", "M"],
    "change": ["unchanged", "split", "split", "merged", "merged"],
    "share_of_lsoa11_area": [1.0, 0.3, 0.7, 1.0, 1.0],
})
# S1 = 0..1000 m east, S2 = 1000..2000 m east of a point near Barking (BNG)
X0, Y0 = 545000, 184000
BOUNDS = gpd.GeoDataFrame(
    {"code": ["U", "S1", "S2", "M"]},
    geometry=[box(X0 - 1000, Y0, X0, Y0 + 1000), box(X0, Y0, X0 + 1000, Y0 + 1000),
              box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000), box(X0 + 2000, Y0, X0 + 3000, Y0 + 1000)],
    crs="EPSG:27700",
)


def _lonlat(x: float, y: float) -> tuple[float, float]:
    point = gpd.GeoSeries(gpd.points_from_xy([x], [y]), crs="EPSG:27700").to_crs("EPSG:4326")
    return float(point.x.iloc[0]), float(point.y.iloc[0])


def _crimes() -> pd.DataFrame:
    in_s1, in_s2 = _lonlat(X0 + 500, Y0 + 500), _lonlat(X0 + 1500, Y0 + 500)
    rows = [  # lsoa_code, lsoa_name, lon, lat
        ("U", "Unchanged", *_lonlat(X0 - 500, Y0 + 500)),
        ("S", "South", *in_s1),
        ("S", "South", *in_s2),
        ("S", "South", float("nan"), float("nan")),  # no coordinates: best fit (S2, 70% of the area)
        ("M1", "Merged 1", *_lonlat(X0 + 2500, Y0 + 500)),
        ("M2", "Merged 2", *_lonlat(X0 + 2600, Y0 + 500)),
        (None, None, float("nan"), float("nan")),  # "No Location"
        ("Z", "Elsewhere", 0.0, 51.0),  # an LSOA the lookup does not know
    ]
    return pd.DataFrame(rows, columns=["lsoa_code", "lsoa_name", "longitude", "latitude"])


def test_crimes_split_merge_unchanged_and_dropped():
    out, report = reconcile_crimes(_crimes(), LOOKUP, CHANGES, BOUNDS)
    assert out["lsoa_code"].tolist()[:6] == ["U", "S1", "S2", "S2", "M", "M"]
    assert out["lsoa_code"].isna().tolist()[6:] == [True, True]
    assert out["lsoa_code_original"].tolist()[:6] == ["U", "S", "S", "S", "M1", "M2"]
    assert out["lsoa_name"].tolist()[:6] == ["Unchanged", "South 1", "South 2", "South 2", "Merged", "Merged"]
    assert out["lsoa_name"].iloc[7] == "Elsewhere"  # an unplaced row keeps its published name
    assert (report.rows, report.kept, report.by_code, report.by_coordinates, report.by_best_fit) == (8, 1, 2, 2, 1)
    assert report.dropped == {NO_LSOA: 1, UNKNOWN_LSOA: 1}
    assert report.rows == report.kept + report.moved + report.dropped_total
    assert "2 in no LSOA of the lookup" in report.summary()


def test_crimes_without_boundaries_go_to_the_best_fit_child():
    out, report = reconcile_crimes(_crimes(), LOOKUP, CHANGES)
    assert out["lsoa_code"].tolist()[1:4] == ["S2", "S2", "S2"]
    assert report.by_coordinates == 0 and report.by_best_fit == 3
    # 2021 populations decide the best fit when given
    out, _ = reconcile_crimes(_crimes(), LOOKUP, CHANGES, weights=pd.Series({"S1": 1800, "S2": 1500}))
    assert out["lsoa_code"].tolist()[1:4] == ["S1", "S1", "S1"]


def test_crimes_without_links_are_dropped_not_kept():
    out, report = reconcile_crimes(_crimes(), LOOKUP)
    assert out["lsoa_code"].notna().sum() == 1
    assert report.dropped == {NO_LSOA: 1, UNKNOWN_LSOA: 6}


def _population() -> pd.DataFrame:
    return pd.DataFrame({
        "area_code": ["U", "S", "S", "M1", "M2", "E01099999", "E09000002"],
        "area_name": ["u", "s", "s", "m1", "m2", "z", "Barking and Dagenham"],
        "sex": ["Persons", "Persons", "Females", "Persons", "Persons", "Persons", "Persons"],
        "population": [1500.0, 3001.0, 1600.0, 900.0, 800.0, 1234.0, 212906.0],
    })


def test_population_split_apportioned_merge_summed():
    out, report = reconcile_population(_population(), LOOKUP, CHANGES)
    persons = out[out["sex"] == "Persons"].set_index("area_code")["population"]
    assert persons["U"] == 1500 and persons["M"] == 900 + 800
    assert persons["S1"] == pytest.approx(3001 / 2) and persons["S2"] == pytest.approx(3001 / 2)
    assert out.set_index(["area_code", "sex"]).loc[("S1", "Females"), "population"] == pytest.approx(800)
    assert persons["E09000002"] == 212906  # not an LSOA: passes through
    assert "E01099999" not in persons.index and "S" not in persons.index  # an unknown LSOA is dropped
    assert persons[["U", "S1", "S2", "M"]].sum() == pytest.approx(1500 + 3001 + 900 + 800)
    assert out.set_index("area_code").loc["M", "area_name"] == "Merged"
    assert (report.kept, report.by_code, report.apportioned) == (1, 2, 2)
    assert report.dropped == {UNKNOWN_LSOA: 1}


def test_population_by_2021_weights_and_already_given():
    out, _ = reconcile_population(_population(), LOOKUP, CHANGES, weights=pd.Series({"S1": 1000, "S2": 3000}))
    persons = out[out["sex"] == "Persons"].set_index("area_code")["population"]
    assert persons["S1"] == pytest.approx(3001 / 4)
    both = pd.concat([_population(), pd.DataFrame({"area_code": ["M"], "area_name": ["m"], "sex": ["Persons"],
                                                   "population": [1750.0]})], ignore_index=True)
    out, report = reconcile_population(both, LOOKUP, CHANGES)
    assert out.loc[(out["area_code"] == "M") & (out["sex"] == "Persons"), "population"].tolist() == [1750.0]
    assert report.dropped[ALREADY_GIVEN] == 2


def test_imd_children_copy_the_parent_merge_takes_the_best_fit():
    imd = pd.DataFrame({"lsoa_code": ["U", "S", "M1", "M2", "Z"], "imd_score": [10.0, 40.0, 20.0, 30.0, 5.0],
                        "imd_rank": [900, 100, 700, 500, 1000], "imd_decile": [9, 1, 7, 5, 10]})
    out, report = reconcile_imd(imd, LOOKUP, CHANGES, weights=pd.Series({"M1": 1000, "M2": 1600}))
    by_code = out.set_index("lsoa_code")
    assert by_code.loc[["S1", "S2"], "imd_score"].tolist() == [40.0, 40.0]
    assert by_code.loc["M", "imd_decile"] == 5 and by_code.loc["M", "lsoa_code_original"] == "M2"
    assert sorted(out["lsoa_code"]) == ["M", "S1", "S2", "U"]
    assert report.dropped == {UNKNOWN_LSOA: 1} and report.apportioned == 1 and report.by_code == 2


def test_report_round_trip_and_merge():
    a = ReconcileReport("street_crime", rows=10, kept=7, by_code=1, dropped={NO_LSOA: 2})
    b = ReconcileReport("street_crime", rows=5, kept=4, by_coordinates=1)
    total = a.merge(b)
    assert (total.rows, total.kept, total.moved, total.dropped) == (15, 11, 2, {NO_LSOA: 2})
    assert ReconcileReport.from_dict(total.to_dict()) == total


# --------------------------------------------------------------------------- real data
BARKING = "E09000002"
REAL = Path("data/real")
LOOKUP_CSV = REAL / "other" / "LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2.csv"
MET_SAMPLE = REAL / "police_uk" / "2023-01-metropolitan-street-sample.csv"
POPULATION = REAL / "population" / "london-mid2019-pop.csv"


@pytest.fixture(scope="module")
def met_dataset(tmp_path_factory):
    """The Met sample (2011 LSOAs) with the 2021 lookup, both LSOA boundary sets and mid-2019 residents."""
    from cdp_analysis.store.dataset import Dataset
    from cdp_analysis.store.prepare import prepare

    root = tmp_path_factory.mktemp("met-source")
    links = {
        "police_uk": [require_shared(MET_SAMPLE)],
        "other": [require_shared(LOOKUP_CSV)],
        "population": [require_shared(POPULATION)],
        "boundaries": sorted(require_shared(REAL / "boundaries" / "london-data_jdm").glob("london-2021-lsoa-gen20.*"))
        + sorted(require_shared(REAL / "boundaries" / "statistical-gis-boundaries-london_LSOA_2011_London_gen_MHW")
                 .iterdir()),
    }
    for folder, files in links.items():
        (root / folder).mkdir()
        for src in files:
            (root / folder / src.name).symlink_to(src)
    processed = tmp_path_factory.mktemp("met-processed")
    report = prepare(root, processed, progress=False)
    return Dataset(processed), report


@pytest.mark.real_data
def test_barking_and_dagenham_drugs_all_counted(met_dataset):
    dataset, report = met_dataset
    with require_shared(MET_SAMPLE).open(encoding="utf-8", newline="") as handle:
        expected = sum(1 for row in csv.DictReader(handle)
                       if row["Crime type"] == "Drugs" and row["LSOA name"].startswith("Barking and Dagenham "))
    lookup = dataset.lookup()
    lsoas = lookup.loc[lookup["lad_code"] == BARKING, "lsoa_code"].tolist()
    drugs = dataset.street_crime(lsoa_codes=lsoas, crime_types="Drugs", columns=["lsoa_code", "lsoa_code_original"])
    assert len(drugs) == expected
    assert (drugs["lsoa_code"] != drugs["lsoa_code_original"]).sum() > 0  # some came from split 2011 LSOAs
    # the sample's own name is recognised, and what could not be placed is reported
    assert "street_crime" in report.processed
    crimes = dataset.vintages()["street_crime"]
    assert crimes.rows == 4000 and crimes.by_coordinates > 0
    assert crimes.rows == crimes.kept + crimes.moved + crimes.dropped_total
    assert "LSOA vintage: street_crime" in report.summary()


@pytest.mark.real_data
def test_barking_and_dagenham_residents_not_lost(met_dataset):
    from cdp_analysis.chapters.context import residents

    dataset, _ = met_dataset
    with require_shared(POPULATION).open(encoding="utf-8", newline="") as handle:
        expected = sum(int(row["Persons_All-Ages"]) for row in csv.DictReader(handle) if row["LAD11CD"] == BARKING)
    lookup = dataset.lookup()
    lsoas = lookup.loc[lookup["lad_code"] == BARKING, "lsoa_code"]
    total = residents(dataset.population()).reindex(lsoas).sum()
    assert total == pytest.approx(expected)
    assert dataset.vintages()["population"].apportioned > 0


def test_no_links_drops_unknown_lsoas_and_keeps_the_rest():
    out, report = reconcile_population(_population(), LOOKUP)
    # without links, codes that do not look like LSOAs (E01…/W01…) pass through like LAD rows
    assert sorted(out["area_code"]) == ["E09000002", "M1", "M2", "S", "S", "U"]
    assert report.dropped == {UNKNOWN_LSOA: 1}
    imd = pd.DataFrame({"lsoa_code": pd.array(["U", "S"], dtype="string"), "imd_decile": [3, 4]})
    out, report = reconcile_imd(imd, LOOKUP)
    assert out["lsoa_code"].tolist() == ["U"] and report.dropped == {UNKNOWN_LSOA: 1}

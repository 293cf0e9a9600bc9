"""Tests of the synthetic demo generator (``cdp_demo.region``).

One 14-month demo is generated per session and shared by most tests; a few
tests generate small extra folders (determinism, seeds, atomicity).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from cdp_analysis.errors import ConfigError
from cdp_demo import region as demo
from cdp_demo.region import DemoSummary, generate_demo
from tests.shared_data import REAL_DIR as REAL
from tests.shared_data import require

MONTHS = 14
END = "2025-12"
SEED = 2021
REAL_STREET = REAL / "police_uk" / "city-of-london" / "2018-04-city-of-london-street.csv"
REAL_STOP = REAL / "police_uk" / "city-of-london" / "2018-04-city-of-london-stop-and-search.csv"
REAL_FINGERTIPS = REAL / "fingertips" / "indicator-93495-all-areas.csv"
REAL_CODE = re.compile(r"^[EWSNKJLM]\d{8}$")


# fixtures ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("demo") / "demo", seed=SEED, months=MONTHS, end_month=END)


@pytest.fixture(scope="session")
def demo_dir(demo_run: DemoSummary) -> Path:
    return demo_run.out_dir


@pytest.fixture(scope="session")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-month demo (cheap) for the seed and atomicity tests."""
    out = tmp_path_factory.mktemp("small") / "demo"
    generate_demo(out, seed=SEED, months=1, end_month=END)
    return out


@pytest.fixture(scope="session")
def real_dir() -> Path:
    """The real sample files beside the repository (``../shared/data/real``)."""
    require(REAL_STREET, "real sample files")
    return REAL


@pytest.fixture(scope="session")
def lookup(demo_dir: Path) -> pd.DataFrame:
    return pd.read_csv(demo_dir / "lookups" / "LSOA21_WD22_LAD22_EW_LU.csv", encoding="utf-8-sig", dtype=str)


@pytest.fixture(scope="session")
def population(demo_dir: Path) -> pd.DataFrame:
    return pd.read_csv(demo_dir / "population" / "sapelsoasyoa-demo.csv", dtype={"LSOA 2021 Code": str})


@pytest.fixture(scope="session")
def street(demo_dir: Path) -> pd.DataFrame:
    files = sorted((demo_dir / "police_uk").glob("*/*-street.csv"))
    return pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)


@pytest.fixture(scope="session")
def searches(demo_dir: Path) -> pd.DataFrame:
    files = sorted((demo_dir / "police_uk").glob("*/*-stop-and-search.csv"))
    return pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)


@pytest.fixture(scope="session")
def fingertips(demo_dir: Path) -> pd.DataFrame:
    return pd.read_csv(demo_dir / "fingertips" / "demo-indicators.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="session")
def boundaries(demo_dir: Path) -> dict[str, gpd.GeoDataFrame]:
    return {level: gpd.read_file(demo_dir / "boundaries" / f"demo_{level}.gpkg") for level in ("lsoa", "wards", "lad")}


def _first_line(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.readline()


def _sha1s(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


# layout -----------------------------------------------------------------------
def test_layout_follows_the_data_contract(demo_dir: Path, demo_run: DemoSummary) -> None:
    expected = {
        "README.md", "manifest.json",
        "boundaries/demo_lsoa.gpkg", "boundaries/demo_wards.gpkg", "boundaries/demo_lad.gpkg",
        "lookups/LSOA21_WD22_LAD22_EW_LU.csv", "population/sapelsoasyoa-demo.csv",
        "imd/demo-File_7-IoD2019-scores-ranks-deciles.csv", "fingertips/demo-indicators.csv",
        "census/demo-census2021-ethnic-group-ltla.csv",
        "dfe_children/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv",
        "dfe_children/la_conviction_health_outcome_cla.csv",
        "dfe_exclusions/SFR35_2017_reason_for_exclusion.csv", "dfe_exclusions/reasons.csv",
        "dfe_exclusions/SFR35_2017_national_region_la_school_data.csv", "other/drugsmisusetables-demo.xlsx",
        "local/homelessness_support_needs.csv", "local/out_of_court_disposals.csv",
        "local/drug_testing_on_arrest.csv", "local/young_people_treatment.csv", "local/deaths_in_treatment.csv",
        "local/county_lines.csv",
        "local/continuity_of_care.csv", "local/ambitions.csv", "local/community_sentence_treatment.csv",
        "local/budgets.csv", "local/treatment_progress.csv", "local/disruptions.csv",
        "ndtms/ViewIt Export Data_LAs.csv", "ndtms/ViewIt Export Data_England.csv",
        "ndtms/Estimates_of_Alcohol_Dependent_Adults_in_England_for_R.csv", "fingertips/demo-unmet-need.csv",
        "homelessness/Detailed_LA_2021-22.xlsx", "homelessness/Detailed_LA_2022-23.xlsx",
        "homelessness/Detailed_LA_2023-24.xlsx", "reoffending/proven_reoffending_la_demo.csv",
    }
    months = pd.period_range(end=END, periods=MONTHS, freq="M").strftime("%Y-%m")
    for m in months:
        expected |= {f"police_uk/{m}/{m}-wyvern-vale-street.csv", f"police_uk/{m}/{m}-wyvern-vale-stop-and-search.csv"}
    found = {p.relative_to(demo_dir).as_posix() for p in demo_dir.rglob("*") if p.is_file()}
    assert found == expected
    assert demo_run.files == len(expected)
    assert demo_run.generated and demo_run.months == MONTHS and demo_run.lsoas > 0


def test_readme_and_manifest(demo_dir: Path) -> None:
    readme = (demo_dir / "README.md").read_text(encoding="utf-8")
    assert "**Synthetic demonstration data.**" in readme
    assert f"seed {SEED}" in readme and "`cdp demo`" in readme and "manifest.json" in readme
    manifest = json.loads((demo_dir / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["seed"], manifest["months"], manifest["end_month"]) == (SEED, MONTHS, END)
    assert manifest["generator_version"] == demo.GENERATOR_VERSION
    listed = {f["path"]: f["sha1"] for f in manifest["files"]}
    actual = _sha1s(demo_dir)
    actual.pop("manifest.json")
    assert listed == actual


# formats copied from the real files ----------------------------------------------
def test_police_headers_match_real_files(demo_dir: Path, real_dir: Path) -> None:
    street = next((demo_dir / "police_uk").glob("*/*-street.csv"))
    stop = next((demo_dir / "police_uk").glob("*/*-stop-and-search.csv"))
    assert _first_line(street) == _first_line(REAL_STREET)
    assert _first_line(stop) == _first_line(REAL_STOP)
    assert _first_line(street).endswith(b"\n") and not _first_line(street).endswith(b"\r\n")
    assert b"\r" not in street.read_bytes()
    assert not street.read_bytes().startswith(b"\xef\xbb\xbf")


def test_fingertips_header_matches_real_file(demo_dir: Path, real_dir: Path) -> None:
    ours = demo_dir / "fingertips" / "demo-indicators.csv"
    assert _first_line(ours) == _first_line(REAL_FINGERTIPS)  # 27 columns, CRLF
    data = ours.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")


def test_lookup_is_in_ons_format(demo_dir: Path) -> None:
    raw = (demo_dir / "lookups" / "LSOA21_WD22_LAD22_EW_LU.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfLSOA21CD,LSOA21NM,WD22CD,WD22NM,LAD22CD,LAD22NM,ObjectId\n")


def test_vocabularies_are_the_real_ones(street: pd.DataFrame, searches: pd.DataFrame, real_dir: Path) -> None:
    real_files = sorted((real_dir / "police_uk").rglob("*.csv"))
    real_street = pd.concat(
        [pd.read_csv(f, dtype=str, keep_default_na=False) for f in real_files if "street" in f.name]
    )
    real_stop = pd.concat(
        [pd.read_csv(f, dtype=str, keep_default_na=False) for f in real_files if "stop-and-search" in f.name]
    )
    assert set(street["Crime type"]) == set(real_street["Crime type"])
    assert set(street["Last outcome category"]) <= set(real_street["Last outcome category"])
    for column in ("Type", "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity",
                   "Legislation", "Object of search", "Outcome", "Outcome linked to object of search",
                   "Removal of more than just outer clothing", "Part of a policing operation"):
        assert set(searches[column]) <= set(real_stop[column]) | {"True"}, column


def test_street_rows_look_like_police_uk(street: pd.DataFrame) -> None:
    asb = street["Crime type"] == "Anti-social behaviour"
    assert (street.loc[asb, "Crime ID"] == "").all()
    assert (street.loc[asb, "Last outcome category"] == "").all()
    assert street.loc[~asb, "Crime ID"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert street.loc[~asb, "Crime ID"].is_unique
    assert (street.loc[~asb, "Last outcome category"] != "").all()
    assert (street["Reported by"] == "Wyvern Vale Police").all()
    assert (street["Falls within"] == "Wyvern Vale Police").all()
    assert (street["Context"] == "").all()
    nowhere = street["Location"] == "No Location"
    assert 0.002 < nowhere.mean() < 0.01
    assert (street.loc[nowhere, ["Longitude", "Latitude", "LSOA code", "LSOA name"]] == "").all().all()
    located = street[~nowhere]
    assert located["Longitude"].str.fullmatch(r"\d\.\d{6}").all()
    assert located["Latitude"].str.fullmatch(r"5\d\.\d{6}").all()
    assert located["Location"].str.startswith("On or near ").all()
    assert located["LSOA name"].str.fullmatch(r"(Brackenmoor|Castlewick|Dunmere|Elmsworth) \d{3}[A-Z]").all()
    drugs = street.loc[street["Crime type"] == "Drugs", "Last outcome category"].value_counts(normalize=True)
    assert drugs.index[0] in {"Local resolution", "Offender given a caution", "Awaiting court outcome"}


def test_map_points_lie_in_their_lsoa(street: pd.DataFrame, boundaries: dict) -> None:
    sample = street[street["LSOA code"] != ""].drop_duplicates(["Longitude", "Latitude", "LSOA code"])
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    x, y = to_bng.transform(sample["Longitude"].astype(float).to_numpy(), sample["Latitude"].astype(float).to_numpy())
    lsoa = boundaries["lsoa"].set_index("LSOA21CD").geometry
    polygons = lsoa.loc[sample["LSOA code"]].buffer(1.0).to_numpy()  # 6 decimals ≈ 0.1 m
    assert shapely.contains_xy(polygons, x, y).all()


def test_stop_and_search_rows(searches: pd.DataFrame) -> None:
    assert searches["Date"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00").all()
    assert searches["Date"].is_monotonic_increasing
    drugs = (searches["Object of search"] == "Controlled drugs").mean()
    assert 0.5 < drugs < 0.7
    no_coords = searches["Latitude"] == ""
    assert 0.05 < no_coords.mean() < 0.2
    assert (searches.loc[no_coords, "Longitude"] == "").all()
    assert searches.loc[~no_coords, "Latitude"].str.fullmatch(r"5\d\.\d{6}").all()


# codes ------------------------------------------------------------------------
def test_every_code_is_fictional(
    demo_dir: Path, lookup: pd.DataFrame, population: pd.DataFrame, street: pd.DataFrame,
    fingertips: pd.DataFrame, boundaries: dict,
) -> None:
    imd = pd.read_csv(demo_dir / "imd" / "demo-File_7-IoD2019-scores-ranks-deciles.csv", dtype=str)
    codes: set[str] = set()
    for column in ("LSOA21CD", "WD22CD", "LAD22CD"):
        codes |= set(lookup[column])
    codes |= set(population["LSOA 2021 Code"]) | set(population["LAD 2021 Code"])
    codes |= set(imd["LSOA code (2011)"]) | set(imd["Local Authority District code (2019)"])
    codes |= set(street["LSOA code"]) - {""}
    for frame in boundaries.values():
        for column in frame.columns:
            if column.endswith("CD"):
                codes |= set(frame[column])
    # England is the one real code, as the comparator in the Fingertips file
    codes |= set(fingertips["Area Code"]) - {"E92000001"}
    codes |= set(fingertips["Parent Code"]) - {"E92000001", ""}
    assert codes
    assert all(c.startswith("Z") for c in codes)
    assert not any(REAL_CODE.match(c) for c in codes)
    assert {"Z12000001", "Z09000001", "Z09000002", "Z09000003", "Z09000004"} <= codes


# determinism and idempotency ----------------------------------------------------
@pytest.mark.slow  # generates one or two more demos (12-25 s each)
def test_same_seed_gives_identical_files(demo_dir: Path, tmp_path: Path) -> None:
    again = tmp_path / "demo"
    generate_demo(again, seed=SEED, months=MONTHS, end_month=END)
    assert _sha1s(again) == _sha1s(demo_dir)


@pytest.mark.slow  # generates one or two more demos (12-25 s each)
def test_different_seed_gives_different_files(small_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "demo"
    generate_demo(other, seed=SEED + 1, months=1, end_month=END)
    ours, theirs = _sha1s(small_dir), _sha1s(other)
    assert ours.keys() == theirs.keys()
    differing = {k for k in ours if ours[k] != theirs[k]}
    assert differing >= {k for k in ours if k.endswith((".csv", ".gpkg"))}


def test_second_call_is_a_fast_no_op(demo_dir: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in demo_dir.rglob("*")}
    started = time.perf_counter()
    summary = generate_demo(demo_dir, seed=SEED, months=MONTHS, end_month=END)
    assert time.perf_counter() - started < 1.0
    assert not summary.generated
    assert {p: p.stat().st_mtime_ns for p in demo_dir.rglob("*")} == before
    assert demo.demo_is_current(demo_dir, seed=SEED, months=MONTHS, end_month=END)
    assert not demo.demo_is_current(demo_dir, seed=SEED, months=MONTHS + 1, end_month=END)


@pytest.mark.slow  # generates one or two more demos (12-25 s each)
def test_missing_file_or_other_arguments_regenerate(small_dir: Path, tmp_path: Path) -> None:
    work = tmp_path / "demo"
    shutil.copytree(small_dir, work)
    (work / "imd" / "demo-File_7-IoD2019-scores-ranks-deciles.csv").unlink()
    for leftover in ("demo.tmp-99999", "demo.old-12345"):  # as a killed run leaves them
        (tmp_path / leftover / "police_uk").mkdir(parents=True)
    assert generate_demo(work, seed=SEED, months=1, end_month=END).generated
    assert _sha1s(work) == _sha1s(small_dir)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["demo"]
    summary = generate_demo(work, seed=SEED, months=1, end_month="2025-11")
    assert summary.generated and summary.end_month == "2025-11"
    assert (work / "police_uk" / "2025-11").is_dir() and not (work / "police_uk" / "2025-12").exists()


@pytest.mark.parametrize("kwargs", [{"months": 0}, {"end_month": "2025-13"}, {"end_month": "Dec 2025"}, {"seed": -1}])
def test_bad_arguments_are_config_errors(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        generate_demo(tmp_path / "demo", **kwargs)
    assert not (tmp_path / "demo").exists()


# atomicity --------------------------------------------------------------------
def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("simulated failure mid-generation")


def test_failure_leaves_no_folder_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "_fingertips", _boom)  # after boundaries, population and police files
    out = tmp_path / "demo"
    with pytest.raises(RuntimeError, match="simulated"):
        generate_demo(out, seed=SEED, months=1, end_month=END)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == []


@pytest.mark.slow  # generates one or two more demos (12-25 s each)
def test_failure_leaves_the_old_folder_unchanged(
    small_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "demo"
    shutil.copytree(small_dir, out)
    before = _sha1s(out)
    monkeypatch.setattr(demo, "_fingertips", _boom)
    with pytest.raises(RuntimeError, match="simulated"):
        generate_demo(out, seed=SEED, months=1, end_month=END, force=True)
    assert _sha1s(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["demo"]


# geography --------------------------------------------------------------------
def test_wards_per_borough_and_lsoas_per_ward(lookup: pd.DataFrame) -> None:
    wards = lookup.groupby("LAD22CD")["WD22CD"].nunique()
    assert sorted(wards.index) == ["Z09000001", "Z09000002", "Z09000003", "Z09000004"]
    assert wards.between(15, 25).all()
    assert lookup.groupby("WD22CD").size().between(8, 12).all()
    assert lookup["WD22NM"].groupby(lookup["WD22CD"]).first().is_unique  # ward names unique in the region
    assert lookup["LSOA21CD"].is_unique and lookup["LSOA21NM"].is_unique


def test_geometries_valid_tiling_and_crs(boundaries: dict) -> None:
    lsoa, wards, lad = boundaries["lsoa"], boundaries["wards"], boundaries["lad"]
    for frame in (lsoa, wards, lad):
        assert frame.crs.to_epsg() == 27700
        assert frame.is_valid.all() and not frame.is_empty.any()
    assert list(lsoa.columns) == ["LSOA21CD", "LSOA21NM", "geometry"]
    assert list(wards.columns) == ["WD22CD", "WD22NM", "LAD22CD", "geometry"]
    assert list(lad.columns) == ["LAD22CD", "LAD22NM", "geometry"]
    region = lad.union_all()
    for frame in (lsoa, wards, lad):
        total = frame.area.sum()
        assert total == pytest.approx(region.area, rel=1e-3)  # no overlaps, no gaps
        assert frame.union_all().area == pytest.approx(total, rel=1e-3)
    assert 1.0e9 < region.area < 2.0e9  # about 40 km across
    # in the North Sea: east of every English coast at this latitude
    assert region.bounds[0] > 600_000 and 380_000 < region.centroid.y < 460_000


def test_lsoas_nest_in_their_wards(boundaries: dict, lookup: pd.DataFrame) -> None:
    points = boundaries["lsoa"].set_index("LSOA21CD").representative_point()
    wards = boundaries["wards"].set_index("WD22CD").geometry
    parent = lookup.set_index("LSOA21CD")["WD22CD"]
    assert shapely.contains(wards.loc[parent.loc[points.index]].to_numpy(), points.to_numpy()).all()
    ward_lad = boundaries["wards"].set_index("WD22CD")["LAD22CD"]
    assert (lookup.set_index("WD22CD")["LAD22CD"].groupby(level=0).first() == ward_lad.sort_index()).all()


def test_lsoa_sets_agree_everywhere(demo_dir: Path, lookup: pd.DataFrame, population: pd.DataFrame,
                                    boundaries: dict) -> None:
    imd = pd.read_csv(demo_dir / "imd" / "demo-File_7-IoD2019-scores-ranks-deciles.csv", dtype=str)
    in_lookup = set(lookup["LSOA21CD"])
    assert in_lookup == set(boundaries["lsoa"]["LSOA21CD"])
    assert in_lookup == set(population["LSOA 2021 Code"])
    assert in_lookup == set(imd["LSOA code (2011)"])
    assert set(boundaries["wards"]["WD22CD"]) == set(lookup["WD22CD"])
    names = lookup.set_index("LSOA21CD")["LSOA21NM"]
    assert (boundaries["lsoa"].set_index("LSOA21CD")["LSOA21NM"] == names.loc[boundaries["lsoa"]["LSOA21CD"]]).all()


# population and deprivation -------------------------------------------------------
def test_population_layout_and_totals(population: pd.DataFrame) -> None:
    ages = [f"F{a}" for a in range(91)] + [f"M{a}" for a in range(91)]
    assert list(population.columns) == ["LAD 2021 Code", "LAD 2021 Name", "LSOA 2021 Code", "LSOA 2021 Name",
                                        "Total", *ages]
    assert (population[ages].sum(axis=1) == population["Total"]).all()
    assert population["Total"].between(1000, 3000).all()
    assert 1300 < population["Total"].mean() < 1800
    children = population[[f"{s}{a}" for s in "FM" for a in range(16)]].sum().sum() / population["Total"].sum()
    assert 0.15 < children < 0.25


def test_imd_ranks_deciles_and_borough_contrast(demo_dir: Path) -> None:
    imd = pd.read_csv(demo_dir / "imd" / "demo-File_7-IoD2019-scores-ranks-deciles.csv")
    assert list(imd.columns) == demo.IMD_HEADER
    score, rank, decile = (imd[c] for c in imd.columns[4:7])
    assert rank.between(1, 32_844).all() and decile.between(1, 10).all()
    order = np.argsort(-score.to_numpy(), kind="stable")
    assert (np.diff(rank.to_numpy()[order]) >= 0).all()  # higher score, more deprived rank
    assert (decile == np.minimum(10, (rank - 1) * 10 // 32_844 + 1)).all()
    by_borough = score.groupby(imd["Local Authority District name (2019)"]).mean()
    assert by_borough.idxmax() == "Castlewick"
    assert by_borough.max() > 1.5 * by_borough.min()


# crime magnitudes -------------------------------------------------------------------
def test_drug_crime_rates_are_plausible(street: pd.DataFrame, lookup: pd.DataFrame, population: pd.DataFrame) -> None:
    drugs = street[(street["Crime type"] == "Drugs") & (street["LSOA code"] != "")]
    borough = drugs["LSOA code"].map(lookup.set_index("LSOA21CD")["LAD22CD"])
    year = drugs["Month"].str[:4]
    counts = drugs.groupby([borough, year]).size()
    months_in_year = street.groupby(street["Month"].str[:4])["Month"].nunique()
    residents = population.groupby("LAD 2021 Code")["Total"].sum()
    rate = counts / months_in_year.reindex(counts.index.get_level_values(1)).to_numpy() * 12
    rate = rate / residents.reindex(counts.index.get_level_values(0)).to_numpy() * 1000
    assert rate.between(1, 10).all(), rate
    # the hotspots: a few LSOAs several times their borough's rate
    per_lsoa = drugs.groupby("LSOA code").size() / population.set_index("LSOA 2021 Code")["Total"]
    per_lsoa = per_lsoa.fillna(0)
    lad = population.set_index("LSOA 2021 Code")["LAD 2021 Code"]
    ratio = per_lsoa / (counts.groupby(level=0).sum() / residents).reindex(lad).to_numpy()
    assert 3 <= (ratio > 4).sum() <= 8


def test_total_crime_magnitude(street: pd.DataFrame, population: pd.DataFrame) -> None:
    per_1000_year = street["Crime type"].value_counts() / population["Total"].sum() * 1000 * 12 / MONTHS
    assert 80 < per_1000_year.sum() < 150
    assert 15 < per_1000_year["Anti-social behaviour"] < 35
    assert 25 < per_1000_year["Violence and sexual offences"] < 50


# Fingertips ---------------------------------------------------------------------------
def test_fingertips_rows(fingertips: pd.DataFrame) -> None:
    ids = {"92432", "90244", "90245", "92447", "92906", "93763", "90808", "92904", "91117", "92544", "91380",
           "99901", "99902"}
    assert set(fingertips["Indicator ID"]) == ids
    areas = fingertips.groupby("Indicator ID")["Area Code"].nunique()
    assert (areas == 6).all()  # England, the region, four boroughs
    periods = fingertips.groupby(["Indicator ID", "Area Code"])["Time period"].nunique()
    assert periods.between(5, 8).all()
    assert set(fingertips["Area Type"]) == {"England", "Region", "UA"}
    assert (fingertips["Time period Sortable"].str.fullmatch(r"(19|20)\d\d0000")).all()
    assert set(fingertips["Time period range"]) == {"1y", "3y"}
    england = fingertips[fingertips["Area Code"] == "E92000001"]
    assert (england["Parent Code"] == "").all()
    assert (england["Compared to England value or percentiles"] == "Not compared").all()
    assert set(fingertips["Compared to England value or percentiles"]) <= {
        "Better", "Similar", "Worse", "Higher", "Lower", "Not compared"}
    assert set(fingertips["Recent Trend"]) <= {
        "Cannot be calculated", "No significant change", "Increasing", "Decreasing",
        "Increasing and getting better", "Increasing and getting worse",
        "Decreasing and getting better", "Decreasing and getting worse"}


def test_fingertips_cis_are_ordered(fingertips: pd.DataFrame) -> None:
    shown = fingertips[fingertips["Value"] != ""]
    v = shown["Value"].astype(float)
    lo95, hi95 = shown["Lower CI 95.0 limit"].astype(float), shown["Upper CI 95.0 limit"].astype(float)
    lo998, hi998 = shown["Lower CI 99.8 limit"].astype(float), shown["Upper CI 99.8 limit"].astype(float)
    assert (lo95 <= v).all() and (v <= hi95).all()
    assert (lo998 <= lo95).all() and (hi95 <= hi998).all()


def test_fingertips_england_levels(fingertips: pd.DataFrame) -> None:
    england = fingertips[fingertips["Area Code"] == "E92000001"]
    latest = england.sort_values("Time period Sortable").groupby("Indicator ID")["Value"].last().astype(float)
    expected = {"92432": (5.0, 6.0), "90244": (4.5, 6.5), "90245": (28, 36), "92447": (32, 38),
                "92906": (550, 650), "93763": (35, 42), "90808": (55, 65), "92904": (20, 30),
                "91117": (8, 10), "92544": (35, 46), "91380": (14, 18), "99901": (24, 30), "99902": (12, 16)}
    for indicator, (low, high) in expected.items():
        assert low <= latest[indicator] <= high, indicator


def test_fingertips_suppressed_row_and_region_sums(fingertips: pd.DataFrame) -> None:
    suppressed = fingertips[fingertips["Value"] == ""]
    assert len(suppressed) >= 1
    assert (suppressed["Value note"] != "").all()
    assert (suppressed["Compared to England value or percentiles"] == "Not compared").all()
    counted = fingertips[fingertips["Indicator ID"] != "91117"]  # modelled: counts are estimates
    for (_, _), group in counted.groupby(["Indicator ID", "Time period"]):
        region = group[group["Area Type"] == "Region"].iloc[0]
        boroughs = group[group["Area Type"] == "UA"]
        assert int(region["Denominator"]) == boroughs["Denominator"].astype(int).sum()
        if (boroughs["Count"] != "").all():
            assert int(region["Count"]) == boroughs["Count"].astype(int).sum()


# Census 2021 ethnic group -------------------------------------------------------------------------------
CENSUS_FILE = Path("census") / "demo-census2021-ethnic-group-ltla.csv"


def test_census_file_is_an_ons_custom_dataset(demo_dir: Path) -> None:
    from cdp_analysis.sources.census import CENSUS_ETHNIC_GROUPS, is_census_ethnicity

    path = demo_dir / CENSUS_FILE
    assert _first_line(path) == (b"Lower tier local authorities Code,Lower tier local authorities,"
                                 b"Ethnic group (6 categories) Code,Ethnic group (6 categories),Observation\n")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert len(raw) == 4 * 6  # four boroughs, six categories each
    assert list(raw["Ethnic group (6 categories) Code"][:6]) == ["-8", "1", "2", "3", "4", "5"]
    assert list(raw["Ethnic group (6 categories)"][:6]) == ["Does not apply", *CENSUS_ETHNIC_GROUPS]
    assert (raw.loc[raw["Ethnic group (6 categories) Code"] == "-8", "Observation"] == "0").all()
    assert set(raw["Lower tier local authorities Code"]) == {"Z09000001", "Z09000002", "Z09000003", "Z09000004"}
    assert is_census_ethnicity(path)


def test_census_totals_match_the_demo_population(demo_dir: Path, population: pd.DataFrame) -> None:
    from cdp_analysis.sources.census import read_census_ethnicity

    census = read_census_ethnicity(demo_dir / CENSUS_FILE)
    totals = census.groupby("area_code")["population"].sum()
    residents = population.groupby("LAD 2021 Code")["Total"].sum()
    assert sorted(totals.index) == sorted(residents.index)
    ratio = totals / residents.reindex(totals.index)
    assert ((ratio - 1).abs() <= 0.05).all(), ratio
    names = population.drop_duplicates("LAD 2021 Code").set_index("LAD 2021 Code")["LAD 2021 Name"]
    assert (census.drop_duplicates("area_code").set_index("area_code")["area_name"] == names.reindex(
        totals.index)).all()


def test_census_mixes_differ_and_castlewick_is_the_most_diverse(demo_dir: Path) -> None:
    from cdp_analysis.sources.census import read_census_ethnicity

    census = read_census_ethnicity(demo_dir / CENSUS_FILE)
    shares = census.pivot(index="area_name", columns="ethnic_group", values="population")
    shares = shares.div(shares.sum(axis=1), axis=0)
    assert shares["White"].idxmin() == "Castlewick"
    assert shares["White"].between(0.6, 0.95).all()
    assert shares.round(3).drop_duplicates().shape[0] == 4  # four different mixes


def test_demo_searches_show_disproportionality(demo_dir: Path) -> None:
    from cdp_analysis.indicators import stop_search
    from cdp_analysis.sources.census import read_census_ethnicity
    from cdp_analysis.sources.police_uk import read_stop_and_search

    searches = read_stop_and_search(demo_dir / "police_uk")
    census = read_census_ethnicity(demo_dir / CENSUS_FILE)
    ratios = stop_search.disproportionality(searches, census).set_index("label")["ratio"]
    assert 3 <= ratios["Black"] <= 5, ratios
    assert 1 <= ratios["Asian"] <= 2, ratios


# -- treatment (NDTMS and unmet need) --------------------------------------------------------------


def test_ndtms_exports_read_back_and_cover_every_demo_borough(demo_dir: Path) -> None:
    import csv

    from cdp_analysis.areas import AreaRegistry
    from cdp_analysis.sources import fingertips as ft
    from cdp_analysis.sources import ndtms

    boroughs = {a.code for a in AreaRegistry.builtin().of_type("utla", "lad", demo=True)}
    path = demo_dir / "ndtms" / "ViewIt Export Data_LAs.csv"
    assert ndtms.layout_of(next(csv.reader(path.open()))) == "viewit_la"
    frame = ndtms.read_ndtms(path)
    assert set(frame["area_code"]) == boroughs
    with path.open(newline="") as handle:
        raw = list(csv.DictReader(handle))
    assert {r["sex"] for r in raw} >= {"Total", "TOTAL"}  # the real quirk, reproduced
    for code in boroughs:
        rows = frame[frame["area_code"].eq(code)]
        assert set(rows["substance_group"]) == set(ndtms.SUBSTANCE_GROUPS)
        latest = rows["period"].max()
        done = rows[rows["period"].eq(latest) & rows["category"].eq("successful completion")
                    & rows["sex"].eq("total") & rows["age_group"].eq("total")].set_index("substance_group")
        # completions are plausible for England: ~5% opiate, ~30% non-opiate, ~35% alcohol
        assert 1 <= done.loc["opiate", "value"] <= 12
        assert 15 <= done.loc["non-opiate only", "value"] <= 50
        assert 20 <= done.loc["alcohol only", "value"] <= 55
        heads = rows[rows["measure"].eq("in_treatment") & rows["breakdown"].eq("total")
                     & rows["sex"].eq("total") & rows["age_group"].eq("total")]
        assert heads["count"].notna().all() and (heads["count"] % 5 == 0).all()
        scnr = rows[rows["measure"].eq("scnr_completions") & rows["period"].eq(latest)]
        assert scnr["count"].isna().all()  # NULL in the latest year, as the real export
    england = ndtms.read_ndtms(demo_dir / "ndtms" / "ViewIt Export Data_England.csv")
    assert set(england["area_code"]) == {"E92000001"}
    estimates = ndtms.read_ndtms(demo_dir / "ndtms" / "Estimates_of_Alcohol_Dependent_Adults_in_England_for_R.csv")
    assert boroughs <= set(estimates["area_code"])
    unmet = ft.to_indicator_table(ft.read_export(demo_dir / "fingertips" / "demo-unmet-need.csv"))
    for ident in ("93517", "93532"):
        assert boroughs <= set(unmet.loc[unmet["indicator_id"].eq(ident), "area_code"])
    assert unmet["value"].between(0, 100).all()


def test_demo_la_header_is_the_real_one(demo_dir: Path) -> None:
    import csv

    from tests.conftest import require_shared

    real = require_shared("data/real/ndtms/ViewIt Export Data_LAs.csv")
    with real.open(newline="") as a, (demo_dir / "ndtms" / "ViewIt Export Data_LAs.csv").open(newline="") as b:
        assert next(csv.reader(a)) == next(csv.reader(b))


def test_supporting_metrics_files_are_read_by_their_readers_and_add_up(demo_dir: Path) -> None:
    """The H-CLIC A3 workbooks and the proven reoffending table: read by the real readers, the region's
    row is the sum of its boroughs', and no borough cell shows a need of 1 to 4 (the publisher's '..')."""
    import openpyxl

    from cdp_analysis.sources.homelessness import read_hclic_support_needs
    from cdp_analysis.sources.reoffending import read_proven_reoffending

    boroughs = ["Z09000001", "Z09000002", "Z09000003", "Z09000004"]
    for path in sorted((demo_dir / "homelessness").glob("Detailed_LA_*.xlsx")):
        frame = read_hclic_support_needs(path).set_index("area_code")
        assert set(boroughs) | {"Z12000001", "E92000001"} == set(frame.index)
        start = int(path.stem[-7:-3])
        assert set(frame["period"]) == {f"{start}/{(start + 1) % 100:02d}"}
        assert frame.loc["Z12000001", "owed_duty"] == frame.loc[boroughs, "owed_duty"].sum()
        book = openpyxl.load_workbook(path, read_only=True)
        cells = [row for row in book["A3"].iter_rows(values_only=True) if row and str(row[0]).startswith("Z09")]
        book.close()
        assert len(cells) == 4
        assert all(not (isinstance(v, int) and 0 < v < 5) for row in cells for v in row[10:])
    reoffending = read_proven_reoffending(demo_dir / "reoffending" / "proven_reoffending_la_demo.csv")
    adults = reoffending[(reoffending["offender_type"] == "adult") & (reoffending["period"] == "2022/23")]
    by = adults.set_index("area_code")
    assert by.loc["Z12000001", "offenders"] == by.loc[boroughs, "offenders"].sum()
    assert (by["reoffenders"] <= by["offenders"]).all()

"""The supply chapter for a real London borough, from the real files in ../shared, in place.

The source folder is made of symbolic links to the published files (nothing is
copied). Figures are checked against counts made here, independently, from the
raw police.uk CSVs with the csv module.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cdp_analysis.chapters.context import load_context
from cdp_analysis.chapters.supply import SupplyChapter
from cdp_analysis.config import load_config
from cdp_analysis.publishing.batch import build_chapter

pytestmark = [pytest.mark.slow, pytest.mark.real_data, pytest.mark.xdist_group("real-e2e")]

REPO = Path(__file__).resolve().parents[1]
CITY = "E09000001"


@pytest.fixture(scope="module")
def real_source(real_city_source) -> Path:
    """City of London police data, London LSOA 2011 + ward 2018 + borough boundaries, LSOA population."""
    return real_city_source


def _raw_drugs_in_city(folder: Path, months: list[str]) -> int:
    """Count 'Drugs' rows located in City of London LSOAs, straight from the CSVs."""
    total = 0
    for month in months:
        with (folder / f"{month}-city-of-london-street.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["Crime type"] == "Drugs" and row["LSOA name"].startswith("City of London "):
                    total += 1
    return total


def test_city_drug_offence_rate_matches_the_raw_files(real_source, tmp_path_factory, shared_dir):
    ctx = load_context(CITY, data_dir=real_source, processed_dir=tmp_path_factory.mktemp("processed"))
    chapter = SupplyChapter(ctx)
    rates = chapter.rates(("Drugs",))
    latest = rates.iloc[-1]
    # The archive holds 2018-04..2018-12 and 2020-01..2020-11; the latest window is
    # Dec 2019 - Nov 2020, of which the data holds the 11 months of 2020.
    months = [f"2020-{m:02d}" for m in range(1, 12)]
    expected = _raw_drugs_in_city(shared_dir / "data" / "real" / "police_uk" / "city-of-london", months)
    assert latest["months_with_data"] == 11
    assert latest["count"] == expected
    # residents: the six City LSOAs of the mid-2019 file (Persons rows), summed independently
    pop = pd.read_csv(shared_dir / "data" / "real" / "population" / "london-mid2019-pop.csv")
    residents = pop.loc[pop["LAD11CD"] == CITY, "Persons_All-Ages"].sum()
    assert latest["population"] == residents
    assert latest["value"] == pytest.approx(expected / (residents * 11 / 12) * 1000)


def test_month_missing_from_the_archive_is_not_zero(real_source, tmp_path_factory):
    ctx = load_context(CITY, data_dir=real_source, processed_dir=tmp_path_factory.mktemp("processed2"))
    monthly = SupplyChapter(ctx).monthly(("Drugs",))
    city = monthly[monthly["area_code"] == CITY].set_index("month")["count"]
    assert city.loc["2019-06-01"] != city.loc["2019-06-01"]  # NaN: no 2019 files at all
    assert city.loc["2018-04-01"] == _raw_drugs_in_city(
        real_source / "police_uk" / "city-of-london", ["2018-04"])


def test_build_real_supply_chapter_html(real_source, tmp_path_factory):
    out = tmp_path_factory.mktemp("real-reports")
    old = os.environ.get("CDP_REPORTS_DIR")
    os.environ["CDP_REPORTS_DIR"] = str(out)
    try:
        config = load_config()
        result = build_chapter(CITY, "01_supply", config, data_dir=str(real_source),
                               processed_dir=str(tmp_path_factory.mktemp("processed3")))
    finally:
        if old is None:
            os.environ.pop("CDP_REPORTS_DIR", None)
        else:
            os.environ["CDP_REPORTS_DIR"] = old
    assert result.ok, result.error
    scan = subprocess.run([sys.executable, str(REPO.parent / "shared" / "tools" / "scan_published.py"), str(out)],
                          capture_output=True, text=True)
    assert scan.returncode == 0, scan.stdout[-3000:]  # no path, small count or record-level row published
    page = (out / CITY / "01_supply.html").read_text(encoding="utf-8")
    assert "City of London (E09000001)" in page
    assert "Synthetic demonstration data" not in page
    assert "11 months of data" in page  # the gap is stated, not hidden
    assert "no data for" not in page and "WARNING" not in page  # log lines stay out of the page
    assert "Stop and search for drugs" in page and "found what was searched for" in page
    assert str(real_source) not in page and str(REPO) not in page
    assert len(re.findall(r"<img ", page)) >= 5
    # Disclosure control, checked against counts made from the raw files: City of London 001C
    # has 3 drug offences in 2020 (suppressed, 1-4) and 001B has 9, the next smallest, which
    # would give 001C away by subtraction from the published total (secondary suppression).
    raw = real_source / "police_uk" / "city-of-london"
    months = [f"2020-{m:02d}" for m in range(1, 12)]
    counts = {}
    for month in months:
        with (raw / f"{month}-city-of-london-street.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["Crime type"] == "Drugs" and row["LSOA name"].startswith("City of London "):
                    counts[row["LSOA name"]] = counts.get(row["LSOA name"], 0) + 1
    smallest = sorted(counts, key=counts.get)
    assert 1 <= counts[smallest[0]] <= 4 and counts[smallest[1]] > 4
    for name in smallest[:2]:
        assert re.search(rf"<tr><td>{name}</td><td>\*</td>", page), f"{name} must be suppressed"
    for name in smallest[2:]:
        assert re.search(rf"<tr><td>{name}</td><td>{counts[name]}</td>", page), f"{name} is shown"


def test_overview_for_real_area_without_fingertips_says_what_is_missing(real_source, tmp_path_factory):
    ctx = load_context(CITY, data_dir=real_source, processed_dir=tmp_path_factory.mktemp("processed4"))
    from cdp_analysis.chapters.overview import OverviewChapter
    from cdp_analysis.chapters.supply import SupplyChapter

    overview = OverviewChapter(ctx, police=SupplyChapter(ctx))
    summary = overview.summary()
    assert summary.empty
    assert "cdp fetch" in overview.messages(summary)[0].text
    tiles = overview.crime_tiles()
    assert tiles["Measure"].tolist()[0].startswith("Drug offences")


@pytest.fixture(scope="module")
def city_with_25_wards(real_city_source, shared_dir, tmp_path_factory) -> Path:
    """The City folder, but with the 2013 ward boundaries (25 wards) instead of the merged City ward."""
    root = tmp_path_factory.mktemp("city-25-wards")
    for item in real_city_source.iterdir():
        if item.name != "boundaries":
            (root / item.name).symlink_to(item)
    (root / "boundaries").mkdir()
    for item in (real_city_source / "boundaries").iterdir():
        if not item.name.startswith("London_Ward_CityMerged"):
            (root / "boundaries" / item.name).symlink_to(item.resolve())
    wards = shared_dir / "data" / "real" / "boundaries" / "uk-geojson_martinjc" / "wards_by_lad" / "E09000001.json"
    (root / "boundaries" / "city_wards_2013.json").symlink_to(wards)
    return root


def test_small_areas_fall_back_to_lsoas_when_the_lookup_cannot_fill_the_wards(city_with_25_wards, tmp_path):
    ctx = load_context(CITY, data_dir=city_with_25_wards, processed_dir=tmp_path)
    chapter = SupplyChapter(ctx)
    level, why = chapter.small_area_level("ward")
    placed = ctx.lookup.loc[ctx.lookup["lad_code"] == CITY, "ward_code"].nunique()
    assert placed < 25  # 6 LSOAs cannot fill 25 wards
    assert level == "lsoa" and "LSOA" in why
    section = chapter.sections("ward")["small_areas"]
    assert len(section.frames["small_areas"]) == 6
    assert any(m.text == why and not m.key for m in section.messages)


def test_stop_search_months_missing_from_the_archive_stay_blank(real_source, tmp_path):
    ctx = load_context(CITY, data_dir=real_source, processed_dir=tmp_path)
    section = SupplyChapter(ctx).stop_and_search()
    monthly = section.frames["monthly"].set_index("month")["searches"]
    assert monthly.loc["2019-06-01"] != monthly.loc["2019-06-01"]  # no 2019 files: NaN, not 0
    raw = real_source / "police_uk" / "city-of-london"
    present = {p.name[:7] for p in raw.iterdir() if p.name.endswith("-stop-and-search.csv")}
    assert {f"{m:%Y-%m}" for m in monthly.dropna().index} == present
    assert section.coverage.status == "partial" and "2019" in section.coverage.note


def test_city_drug_searches_without_a_map_point_are_counted_and_said(real_source, tmp_path):
    """691 of the City force's 2,242 drug searches have no coordinates: the page gives both numbers."""
    ctx = load_context(CITY, data_dir=real_source, processed_dir=tmp_path)
    section = SupplyChapter(ctx).stop_and_search()
    total = unplaced = 0
    for path in sorted((real_source / "police_uk" / "city-of-london").glob("*-stop-and-search.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                obj = row["Object of search"].strip()
                if obj == "Controlled drugs" or (
                        not obj and row["Legislation"].strip() == "Misuse of Drugs Act 1971 (section 23)"):
                    total += 1
                    unplaced += not (row["Latitude"].strip() and row["Longitude"].strip())
    assert (total, unplaced) == (2242, 691)  # the 2,240 and 690
    assert section.coverage.status == "partial"
    assert (f"{unplaced:,} ({100 * unplaced / total:.1f}%) of the {total:,} drug searches in the files of the "
            "City of London force") in section.coverage.note
    assert "could not be placed in City of London" in section.coverage.note
    placed = section.frames["monthly"]["searches"].sum()
    assert placed + unplaced < total  # the placed ones are a part: some lie outside the City


def test_westminster_find_rate_is_said_to_be_unrecorded_not_suppressed(shared_dir, tmp_path):
    """The Met's 2018 files leave the outcome-link flag blank on every row: that is the reason given."""
    real = shared_dir / "data" / "real"
    met = real / "police_uk" / "metropolitan-stop-and-search"
    flags = set()
    for path in sorted(met.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            flags |= {r["Outcome linked to object of search"] for r in csv.DictReader(handle)}
    assert flags == {""}
    raw = tmp_path / "raw"
    (raw / "police_uk").mkdir(parents=True)
    (raw / "boundaries").mkdir()
    (raw / "police_uk" / "met").symlink_to(met)
    (raw / "lookup").mkdir()
    lookup = "LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2.csv"
    (raw / "lookup" / lookup).symlink_to(real / "other" / lookup)
    for part in (real / "boundaries" / "london-data_jdm").glob("london-2021-lad22-gen20.*"):
        (raw / "boundaries" / part.name).symlink_to(part)
    ctx = load_context("E09000033", data_dir=raw, processed_dir=tmp_path / "processed")
    section = SupplyChapter(ctx).stop_and_search()
    words = " ".join(m.text for m in section.messages)
    assert "blank for every drug search in Westminster" in words
    assert "disclosure control" not in words
    assert section.frames["find_rate"]["Found (%)"].isna().all()

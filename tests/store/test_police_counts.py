"""The national police aggregate built by ``cdp prepare`` from several forces' files.

Expected counts are computed here with the csv module from the raw police.uk
files, placing each crime by its LSOA name's prefix with the ONS LTLA names of
December 2022 (``geography/Lower_Tier_…``), independently of the package.
"""

from __future__ import annotations

import collections
import csv
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from cdp_analysis.areas import AreaRegistry
from cdp_analysis.store.dataset import Dataset
from cdp_analysis.store.police_counts import ENGLAND, PoliceCounts, national_comparator_counts
from cdp_analysis.store.prepare import prepare
from cdp_demo.region import generate_demo
from tests.conftest import require_shared

pytestmark = pytest.mark.real_data

MET_SAMPLE = "data/real/police_uk/2023-01-metropolitan-street-sample.csv"
LTLA = "data/real/geography/Lower_Tier_Local_Authority_to_Upper_Tier_Local_Authority_(December_2022)_Lookup_in_England_and_Wales.csv"
# Districts merged before December 2022 whose names 2011 LSOA names still carry.
RETIRED = {"Aylesbury Vale": "E06000060"}


def _expected(files: list[Path]) -> collections.Counter:
    with require_shared(LTLA).open(encoding="utf-8-sig", newline="") as handle:
        codes = {row["LTLA22NM"]: row["LTLA22CD"] for row in csv.DictReader(handle)}
    codes.update(RETIRED)
    counts: collections.Counter = collections.Counter()
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                name = row["LSOA name"]
                lad = codes[re.sub(r" \d{3}[A-Z]$", "", name)] if name else None
                counts[(lad, row["Month"], row["Crime type"])] += 1
    return counts


def _observed(counts: PoliceCounts) -> collections.Counter:
    """Counts by LAD, month and crime type (drug offences summed over their outcome groups)."""
    found: collections.Counter = collections.Counter()
    for lad, month, kind, _group, n in counts.counts.itertuples(index=False):
        found[(None if pd.isna(lad) else lad, month, kind)] += int(n)
    return found


@pytest.fixture(scope="module")
def two_forces(tmp_path_factory, real_city_source) -> tuple[Path, Path]:
    """City of London files, London boundaries (a derived lookup) and the Met sample."""
    root = tmp_path_factory.mktemp("two-forces") / "raw"
    root.mkdir()
    for entry in real_city_source.iterdir():
        os.symlink(entry, root / entry.name)
    os.symlink(require_shared(MET_SAMPLE), root / "2023-01-metropolitan-street.csv")
    processed = root.parent / "processed"
    prepare(root, processed, progress=False)
    return root, processed


def test_counts_equal_the_raw_rows_by_lsoa_name(two_forces) -> None:
    root, processed = two_forces
    files = sorted((root / "police_uk").glob("*/*-street.csv")) + [root / "2023-01-metropolitan-street.csv"]
    counts = Dataset(processed).police_counts()
    assert _observed(counts) == _expected(files)
    assert counts.forces_by_month["2023-01"] == {"metropolitan"}
    assert counts.forces_by_month["2018-04"] == {"city-of-london"}
    assert len(counts.months) == 21 and counts.forces == ["city-of-london", "metropolitan"]


def test_no_lookup_places_every_crime_by_name(tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    sample = require_shared(MET_SAMPLE)
    os.symlink(sample, raw / "2023-01-metropolitan-street.csv")
    report = prepare(raw, tmp_path / "processed", progress=False)
    assert report.derived == {"police_counts": len(Dataset(tmp_path / "processed").police_counts().counts)}
    assert _observed(Dataset(tmp_path / "processed").police_counts()) == _expected([sample])


def test_rebuilt_only_when_a_police_month_changes(tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    city = require_shared("data/real/police_uk/city-of-london")
    for month in ("2018-04", "2018-05"):
        os.symlink(city / f"{month}-city-of-london-street.csv", raw / f"{month}-city-of-london-street.csv")
    processed = tmp_path / "processed"
    prepare(raw, processed, progress=False)
    assert prepare(raw, processed, progress=False).derived == {}
    os.symlink(city / "2018-06-city-of-london-street.csv", raw / "2018-06-city-of-london-street.csv")
    again = prepare(raw, processed, progress=False)
    assert "police_counts" in again.derived
    assert Dataset(processed).police_counts().months == ["2018-04", "2018-05", "2018-06"]
    for path in raw.iterdir():
        path.unlink()
    prepare(raw, processed, progress=False)
    assert not (processed / "police_counts.parquet").exists()


def test_comparators_only_when_every_force_is_present(two_forces) -> None:
    counts = Dataset(two_forces[1]).police_counts()
    registry = AreaRegistry.builtin()
    # London is policed by the Met and the City of London Police: one force a month is not London.
    for months in (["2018-04"], ["2023-01"]):
        assert national_comparator_counts(counts, registry, "E09000001", months) == {
            "E12000007": None, ENGLAND: None}


def test_demo_region_comparator_sums_its_boroughs(tmp_path) -> None:
    demo = tmp_path / "demo"
    generate_demo(demo, seed=7, months=2, end_month="2024-06")
    prepare(demo, tmp_path / "processed", progress=False)
    counts = Dataset(tmp_path / "processed").police_counts()
    registry = AreaRegistry.builtin()
    with next((demo / "lookups").glob("*.csv")).open(encoding="utf-8-sig", newline="") as handle:
        demo_lsoas = {row["LSOA21CD"] for row in csv.DictReader(handle)}
    expected: collections.Counter = collections.Counter()
    for path in sorted((demo / "police_uk").rglob("*-street.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["LSOA code"] in demo_lsoas:
                    expected[(row["Month"], row["Crime type"])] += 1
    result = national_comparator_counts(counts, registry, "Z09000001", ["2024-05", "2024-06"])
    assert list(result) == ["Z12000001", ENGLAND]
    assert result[ENGLAND] is None  # the real forces' files are not there
    region = result["Z12000001"]
    assert dict(zip(zip(region["month"], region["crime_type"]), region["count"])) == dict(expected)
    assert national_comparator_counts(counts, registry, "Z09000001", ["2024-04"])["Z12000001"] is None


def test_drug_offences_are_split_by_outcome_group(two_forces) -> None:
    """City of London, June 2018, drug offences located in its LSOAs, read off the raw file by hand:
    8 "Court result unavailable", 2 conditional discharges, 2 sent to prison and 1 community sentence
    (13 charged or summonsed); 12 drugs possession warnings and 1 caution (13 out of court); 1 "Formal
    action is not in the public interest"; 1 "Status update unavailable" (28 in all)."""
    counts = Dataset(two_forces[1]).police_counts()
    rows = counts.counts[(counts.counts["lad_code"] == "E09000001") & (counts.counts["month"] == "2018-06")]
    drugs = rows[rows["crime_type"] == "Drugs"]
    assert dict(zip(drugs["outcome_group"], drugs["count"], strict=True)) == {
        "charged": 13, "out_of_court": 13, "no_further_action": 1, "unavailable": 1}
    assert rows.loc[rows["crime_type"] != "Drugs", "outcome_group"].isna().all()  # other types: one row each
    from cdp_analysis.store.police_counts import comparator_outcomes

    registry = AreaRegistry.builtin()
    city = comparator_outcomes(counts, registry, "E09000001", ["2018-06"])
    assert dict(zip(city["outcome_group"], city["count"], strict=True))["charged"] == 13
    assert comparator_outcomes(counts, registry, "E12000007", ["2018-06"]) is None  # London needs the Met too

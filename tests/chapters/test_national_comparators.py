"""England and region comparators of the supply chapter from the national police aggregate.

A real London borough build: the real London LSOA and ward boundaries, the real
LSOA population (mid-2019) and the real ONS mid-year estimates with local
authority, region and country rows (mid-2020), with a synthetic national
police.uk archive of all 43 forces written by ``benchmarks/bench_prepare.py``
(LSOA names carry each force's real districts). The benchmark numbers its LSOAs
from ``E01000001``, which are real London LSOA codes; so that a code means one
place, the test gives each London-named LSOA a real LSOA code of its borough and
moves every other code out of the real range.

Expected counts are computed here with the csv module from the files written,
a crime whose Crime ID an earlier file of the month holds counted once (police.uk
repeats crimes recorded over a border in both forces' files), and
each crime placed by its LSOA name's prefix with the ONS April 2023 LTLA names
(England: an ``E`` code) and the ONS April 2019 LAD → region lookup (London).
Residents: England from the mid-year estimates' own row (read with pandas, not
the package's reader); London as the sum of the LSOA population file.
"""

from __future__ import annotations

import collections
import csv
import importlib.util
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from cdp_analysis.chapters.context import load_context
from cdp_analysis.chapters.supply import SupplyChapter
from cdp_analysis.indicators import supply
from tests.conftest import require_shared
from tests.consistency import hotspot_problems, problems
from tests.shared_data import REPO

pytestmark = pytest.mark.real_data

BARNET, LONDON, ENGLAND = "E09000003", "E12000007", "E92000001"
MONTHS = 6
LAD23 = "data/real/geography/Local_Authority_District_to_County_and_Unitary_Authority_(April_2023)_Lookup_in_EW.csv"
REGIONS = "data/real/other/Local_Authority_District_to_Region_(April_2019)_Lookup_in_England.csv"
LSOA_POPULATION = "data/real/population/london-mid2019-pop.csv"
MYE = "data/real/population/ukpopestimatesmid2020on2021geography.xls"
BOUNDARIES = ("statistical-gis-boundaries-london_LSOA_2011_London_gen_MHW", "london-wards-2018-mapinfo")
_SUFFIX = re.compile(r" \d{3}[A-Z]$")


def _bench():
    path = REPO / "benchmarks" / "bench_prepare.py"
    spec = importlib.util.spec_from_file_location("bench_prepare", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _london_codes() -> dict[str, list[str]]:
    """Borough name → its real LSOA codes (the LSOA population file)."""
    found: dict[str, list[str]] = collections.defaultdict(list)
    for row in _rows(require_shared(LSOA_POPULATION)):
        found[row["LAD11NM"]].append(row["LSOA11CD"])
    return found


def _recode(generated: Path, police: Path) -> list[Path]:
    """The generated files with one place per LSOA code (see the module docstring)."""
    london = _london_codes()
    written = []
    for source in sorted(generated.rglob("*-street.csv")):
        rows = _rows(source)
        for row in rows:
            name, code = row["LSOA name"], row["LSOA code"]
            if not code:
                continue
            borough = _SUFFIX.sub("", name)
            if borough in london:
                codes = london[borough]
                row["LSOA code"] = codes[int(code[3:]) % len(codes)]
            else:
                row["LSOA code"] = f"E01{int(code[3:]) + 100000:06d}"
        target = police / source.parent.name / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        written.append(target)
    return written


@pytest.fixture(scope="module")
def national(tmp_path_factory, shared_dir) -> tuple[Path, list[Path]]:
    """A raw folder: the recoded national archive, London boundaries, LSOA and mid-year population."""
    real = shared_dir / "data" / "real"
    work = tmp_path_factory.mktemp("national")
    _bench().generate(work / "generated", months=MONTHS, rows_per_month=5000, forces=43)
    raw = work / "raw"
    files = _recode(work / "generated" / "police_uk", raw / "police_uk")
    (raw / "boundaries").mkdir()
    for folder in BOUNDARIES:
        for entry in sorted((real / "boundaries" / folder).iterdir()):
            os.symlink(entry, raw / "boundaries" / entry.name)
    os.symlink(real / "boundaries" / "london_boroughs.geojson", raw / "boundaries" / "london_boroughs.geojson")
    (raw / "population").mkdir()
    for name in (LSOA_POPULATION, MYE):
        os.symlink(require_shared(name), raw / "population" / Path(name).name)
    return raw, files


def _expected_counts(files: list[Path], crime_types: tuple[str, ...]) -> dict[str, int]:
    """England's and London's crimes of ``crime_types``, from the files by LSOA name."""
    lad = {row["LTLA23NM"]: row["LTLA23CD"] for row in _rows(require_shared(LAD23))}
    region = {row["LAD19NM"]: row["RGN19CD"] for row in _rows(require_shared(REGIONS))}
    counts = {ENGLAND: 0, LONDON: 0}
    seen: dict[str, set[str]] = collections.defaultdict(set)  # month → Crime IDs of earlier files
    for path in sorted(files):
        rows = _rows(path)
        month = path.parent.name
        kept = [r for r in rows if not r["Crime ID"] or r["Crime ID"] not in seen[month]]
        seen[month].update(r["Crime ID"] for r in rows if r["Crime ID"])
        for row in kept:
            if row["Crime type"] not in crime_types or not row["LSOA name"]:
                continue
            name = _SUFFIX.sub("", row["LSOA name"])
            counts[ENGLAND] += lad.get(name, "").startswith("E")
            counts[LONDON] += region.get(name) == LONDON
    return counts


def _expected_residents() -> dict[str, float]:
    persons = pd.read_excel(require_shared(MYE), sheet_name="MYE2 - Persons", header=None)
    header = persons.index[persons[0] == "Code"][0]
    table = persons.iloc[header + 1:].set_axis(list(persons.iloc[header]), axis=1)
    england = float(table.loc[table["Code"] == ENGLAND, "All ages"].iloc[0])
    london = sum(float(row["Persons_All-Ages"]) for row in _rows(require_shared(LSOA_POPULATION)))
    return {ENGLAND: england, LONDON: london}


@pytest.fixture(scope="module")
def barnet(national, tmp_path_factory) -> SupplyChapter:
    raw, _ = national
    return SupplyChapter(load_context(BARNET, data_dir=raw, processed_dir=tmp_path_factory.mktemp("processed")))


@pytest.mark.parametrize("crime_types", [supply.DRUG_CRIME, supply.WEAPONS, supply.NEIGHBOURHOOD_CRIME])
def test_england_and_london_rates_equal_independent_sums(barnet, national, crime_types) -> None:
    _, files = national
    assert [a.code for a in barnet.shown] == [BARNET, LONDON, ENGLAND]
    # both from the national aggregate; London, covered whole by the LSOA data, with its LSOAs' residents
    assert list(barnet.national) == [LONDON, ENGLAND]
    table = barnet.comparison_table(crime_types).set_index("area_code")
    counts, residents = _expected_counts(files, crime_types), _expected_residents()
    for code in (LONDON, ENGLAND):
        row = table.loc[code]
        assert row["count"] == counts[code]
        assert row["population"] == pytest.approx(residents[code])
        assert row["months_with_data"] == MONTHS
        assert row["value"] == pytest.approx(counts[code] / residents[code] * 1000 * 12 / MONTHS)
        assert row["focus_compared"] in {"Higher", "Similar", "Lower", "Not compared"}


def test_every_police_figure_shows_england(barnet) -> None:
    sections = barnet.sections()
    # the areas compared; the neighbour average is a benchmark row beside them (issue 19)
    shown = {"Barnet", "London", "England", "the average of its statistical neighbours"}
    for key in ("headline", "weapons", "neighbourhood"):
        assert {"Barnet", "London", "England"} <= set(sections[key].frames["comparison"]["area"]) <= shown
    monthly = barnet.monthly(supply.DRUG_CRIME)
    assert monthly.loc[monthly["area_code"] == ENGLAND, "count"].notna().sum() == MONTHS
    notes = [m.text for m in sections["headline"].messages if not m.key]
    assert any(n.startswith("England: crimes summed over every force") for n in notes)
    assert not any("not shown" in n for n in notes)


def test_england_not_shown_when_one_force_month_is_missing(national, tmp_path) -> None:
    source, _ = national
    raw = tmp_path / "raw"
    raw.mkdir()
    for entry in ("boundaries", "population"):
        os.symlink(source / entry, raw / entry)
    for path in sorted((source / "police_uk").rglob("*-street.csv")):
        if path.name != "2021-03-kent-street.csv":
            target = raw / "police_uk" / path.parent.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(path, target)
    chapter = SupplyChapter(load_context(BARNET, data_dir=raw, processed_dir=tmp_path / "processed"))
    assert [a.code for a in chapter.shown] == [BARNET, LONDON]
    assert set(chapter.comparison_table(supply.DRUG_CRIME)["area_code"]) == {BARNET, LONDON}
    notes = [m.text for m in chapter.headline().messages if not m.key]
    assert "England is not shown for comparison: the data lacks the police.uk files of some force that " \
           "polices it for some of the months shown, and a partial sum would be wrong." in notes


def test_every_sentence_is_in_the_published_data(barnet) -> None:
    names = {a.name for a in barnet.ctx.registry}
    found = []
    for section in barnet.all_sections():
        found += problems(section, names) + hotspot_problems(section)
    assert not found, "\n".join(found)

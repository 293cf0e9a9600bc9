"""The all-England registry against the real ONS lookups, read here with the csv module."""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from importlib import resources

import pytest

from cdp_analysis.areas import AreaRegistry
from cdp_analysis.cli import main
from cdp_analysis.errors import UnknownAreaError
from tests.conftest import require_shared

LOOKUP_2023 = "data/real/geography/Local_Authority_District_to_County_and_Unitary_Authority_(April_2023)_Lookup_in_EW.csv"
LOOKUP_2022 = ("data/real/geography/Lower_Tier_Local_Authority_to_Upper_Tier_Local_Authority_(December_2022)"
               "_Lookup_in_England_and_Wales.csv")
REGIONS_2019 = "data/real/other/Local_Authority_District_to_Region_(April_2019)_Lookup_in_England.csv"
FORCES_2017 = ("data/real/geography/Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas"
               "__January_2017__Lookup_in_England_and_Wales_Version_2.csv")
LSOA_2025 = "data/real/other/LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2.csv"
IOD_UTLA = "data/real/imd/File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx"
POPULATION = "data/real/population/ukpopestimatesmid2020on2021geography.xls"


def _english(path: str, code: str) -> list[dict[str, str]]:
    with require_shared(path).open(encoding="utf-8-sig", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row[code].startswith("E")]


@pytest.fixture(scope="module")
def registry() -> AreaRegistry:
    return AreaRegistry.builtin()


@pytest.fixture(scope="module")
def lookup_2023() -> list[dict[str, str]]:
    return _english(LOOKUP_2023, "LTLA23CD")


def test_every_english_authority_of_the_2023_lookup_is_present(registry, lookup_2023):
    for row in lookup_2023:
        assert registry.get(row["LTLA23CD"]).name == row["LTLA23NM"]
        assert registry.get(row["UTLA23CD"]).name == row["UTLA23NM"]
        assert registry.get(row["UTLA23CD"]).type == "utla"


def test_every_district_under_its_county_and_every_upper_tier_under_a_region(registry, lookup_2023):
    regions = {r["LAD19CD"]: r["RGN19CD"] for r in _english(REGIONS_2019, "LAD19CD")}
    for row in lookup_2023:
        lad, utla = row["LTLA23CD"], row["UTLA23CD"]
        if lad != utla:
            assert registry.get(lad).parent == utla and registry.get(lad).type == "lad"
        region = registry.get(utla).parent
        assert re.fullmatch(r"E12\d{6}", region) and registry.get(region).parent == "E92000001"
        if lad in regions:
            assert registry.region_of(lad).code == regions[lad]
    assert len(registry.of_type("region", demo=False)) == 9


def test_members_of_an_upper_tier_are_its_lower_tier_authorities(registry, lookup_2023):
    by_utla: dict[str, set[str]] = {}
    for row in lookup_2023:
        by_utla.setdefault(row["UTLA23CD"], set()).add(row["LTLA23CD"])
    for utla, lads in by_utla.items():
        assert {a.code for a in registry.members(utla)} == lads
    assert len(registry.members("E92000001")) >= len({r["LTLA23CD"] for r in lookup_2023})


def test_counts_by_type_match_the_lookup(registry, lookup_2023):
    upper = Counter(code[:3] for code in {r["UTLA23CD"] for r in lookup_2023})
    lower = Counter(code[:3] for code in {r["LTLA23CD"] for r in lookup_2023})
    kinds = Counter(a.kind for a in registry if not a.is_demo)
    assert kinds["county"] == upper["E10"]
    assert kinds["district"] == lower["E07"]
    assert kinds["unitary authority"] == upper["E06"] == lower["E06"]
    assert kinds["metropolitan district"] == upper["E08"]
    assert kinds["London borough"] == upper["E09"] == 33
    assert len(registry.of_type("utla", demo=False)) == sum(upper.values()) == 153
    assert len(registry.lower_tier(demo=False)) == sum(lower.values()) == 296


def test_2023_unitaries_lie_in_the_region_of_their_predecessor_districts(registry):
    regions = {r["LAD19NM"]: r["RGN19CD"] for r in _english(REGIONS_2019, "LAD19CD")}
    cases = {"E06000063": "Allerdale", "E06000064": "Eden", "E06000065": "Harrogate", "E06000066": "Mendip"}
    for code, predecessor in cases.items():
        assert registry.get(code).parent == regions[predecessor]


def test_retired_districts_join_the_area_their_lsoas_lie_in(registry):
    """Every 2022 district gone by 2023 joins the LAD its 2021 LSOAs (named after it) lie in."""
    current = {r["LTLA23CD"] for r in _english(LOOKUP_2023, "LTLA23CD")}
    gone = {r["LTLA22CD"]: r["LTLA22NM"] for r in _english(LOOKUP_2022, "LTLA22CD")
            if r["LTLA22CD"] not in current}
    lsoa_lad: dict[str, set[str]] = {}
    for row in _english(LSOA_2025, "LAD25CD"):
        lsoa_lad.setdefault(row["LSOA21NM"].rsplit(" ", 1)[0], set()).add(row["LAD25CD"])
    assert len(gone) == 17
    for code, name in gone.items():
        found = registry.resolve(code)
        assert found.relation == "merged_into" and found.joins
        assert {found.area.code} == lsoa_lad[name]
        assert name in found.note and found.area.name in found.note
        assert registry.get(code) == found.area


def test_split_county_predates_its_successors(registry):
    found = registry.resolve("E10000021")
    assert found.relation == "split_into" and found.area is None and not found.joins
    assert {a.code for a in found.successors} == {"E06000061", "E06000062"}
    with pytest.raises(UnknownAreaError, match="E06000061"):
        registry.get("E10000021")
    assert registry.resolve("E10000006").relation == "split_into"
    assert registry.get("E10000023").code == "E06000065"  # North Yorkshire county → unitary
    assert registry.get("E07000004").code == "E06000060"  # Aylesbury Vale → Buckinghamshire
    assert registry.get("E06000028").code == "E06000058"  # Bournemouth → BCP
    assert registry.resolve("E09000003").relation == "current"


def _slug(pfa_name: str) -> str:
    special = {"Metropolitan Police": "metropolitan", "London, City of": "city-of-london"}
    return special.get(pfa_name, pfa_name.lower().replace("&", "and").replace(" ", "-"))


def test_forces_follow_the_2017_force_lookup(registry):
    assert registry.forces("E09000001") == ["city-of-london"]
    assert registry.forces("E09000033") == ["metropolitan"]
    assert registry.forces("E06000065") == ["north-yorkshire"]
    assert registry.forces("E06000060") == ["thames-valley"]
    assert registry.forces("E12000007") == ["city-of-london", "metropolitan"]
    pfa = {r["LAD17CD"]: r["PFA17NM"] for r in _english(FORCES_2017, "LAD17CD")}
    slugs = set()
    for area in registry.lower_tier(demo=False):
        if area.code in pfa:
            assert registry.forces(area.code) == [_slug(pfa[area.code])]
        assert len(registry.forces(area.code)) == 1
        slugs.update(registry.forces(area.code))
    assert len(slugs) == 39  # the English forces
    real = [f for f in registry.forces("E92000001") if f != "wyvern-vale"]  # the demo region sits in England
    assert sorted(real) == sorted(slugs)


def test_neighbours_exclude_self_and_distances_are_symmetric():
    rows = list(csv.DictReader(resources.files("cdp_analysis.resources").joinpath("neighbours.csv")
                               .read_text("utf-8").splitlines()))
    distance = {(r["code"], r["neighbour"]): float(r["distance"]) for r in rows}
    assert all(a != b for a, b in distance)
    pairs = [(a, b) for a, b in distance if (b, a) in distance]
    assert len(pairs) > 100
    for a, b in pairs:
        assert distance[(a, b)] == pytest.approx(distance[(b, a)], abs=1e-6)
    by_code = Counter(r["code"] for r in rows)
    assert set(by_code.values()) == {10}
    assert not {"E06000061", "E06000062", "E06000063", "E06000064"} & {c for pair in distance for c in pair}


def _iod_columns(book, sheet: str, wanted: str) -> dict[str, float]:
    rows = list(book[sheet].iter_rows(values_only=True))
    col = next(i for i, h in enumerate(rows[0]) if h and str(h).strip() == wanted)
    return {r[0]: float(r[col]) for r in rows[1:] if r[0]}


def test_nearest_neighbour_of_barnet_computed_by_hand(registry):
    openpyxl = pytest.importorskip("openpyxl")
    xlrd = pytest.importorskip("xlrd")
    book = openpyxl.load_workbook(require_shared(IOD_UTLA), read_only=True)
    variables = [_iod_columns(book, "IMD", "IMD - Average score"), _iod_columns(book, "IMD", "IMD 2019 - Extent"),
                 _iod_columns(book, "Income", "Income scale"), _iod_columns(book, "Employment", "Employment scale")]
    sheet = xlrd.open_workbook(require_shared(POPULATION)).sheet_by_name("MYE2 - Persons")
    header = sheet.row_values(7)
    population = {sheet.cell_value(r, 0): sheet.cell_value(r, header.index("All ages")) for r in range(8, sheet.nrows)}
    # 2019 county codes: Buckinghamshire is E06000060 in the 2021-geography estimates.
    population["E10000002"] = population["E06000060"]
    codes = [c for c in variables[0] if c not in ("E10000021", "E10000006")]
    variables.append({c: population[c] for c in codes})
    z = {c: [] for c in codes}
    for values in variables:
        column = [values[c] for c in codes]
        mean = sum(column) / len(column)
        sd = math.sqrt(sum((x - mean) ** 2 for x in column) / (len(column) - 1))
        for c in codes:
            z[c].append((values[c] - mean) / sd)
    nearest = sorted((math.dist(z["E09000003"], z[c]), c) for c in codes if c != "E09000003")
    expected = [registry.get(c).code for _, c in nearest[:3]]
    assert [a.code for a in registry.neighbours("E09000003", n=3)] == expected
    assert registry.neighbours("E06000061") == []


def test_cdp_areas_search_york(capsys):
    assert main(["areas", "--search", "york"]) == 0
    out = capsys.readouterr().out
    for name in ("York", "North Yorkshire", "East Riding of Yorkshire", "Yorkshire and The Humber"):
        assert name in out
    assert "Barnet" not in out


def test_cdp_areas_by_region_and_type(capsys):
    assert main(["areas", "--region", "North West", "--type", "county"]) == 0
    out = capsys.readouterr().out
    assert "Lancashire" in out and "Cumbria" not in out and "Kent" not in out
    assert main(["areas", "--region", "E12000007", "--type", "borough"]) == 0
    assert capsys.readouterr().out.count("London borough") == 33

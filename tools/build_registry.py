"""Build the all-England area registry resources from the real ONS lookups.

Run with the project's Python from the repository root::

    PYTHONPATH=src .venv/bin/python tools/build_registry.py [--real ../shared/data/real]

Reads, in place (never copies):

- ``geography/Local_Authority_District_to_County_and_Unitary_Authority_(April_2023)_Lookup_in_EW.csv``:
  the current lower tier → upper tier structure (the registry's codes and names);
- ``geography/Lower_Tier_Local_Authority_to_Upper_Tier_Local_Authority_(December_2022)_Lookup_in_England_and_Wales.csv``:
  the counties retired in April 2023 (Cumbria, North Yorkshire, Somerset) and their districts;
- ``other/Local_Authority_District_to_Region_(April_2019)_Lookup_in_England.csv``: regions;
- ``geography/Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas__January_2017__Lookup_in_England_and_Wales_Version_2.csv``:
  police force areas (mapped to police.uk slugs by ``resources/police_forces.csv``);
- ``other/LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2.csv`` and
  ``imd/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx`` (LSOA 2011 → LAD 2019): where
  each retired district went, from the LSOAs whose code did not change in 2021;
- ``imd/File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx`` and
  ``population/ukpopestimatesmid2020on2021geography.xls``: statistical neighbours.

Writes ``src/cdp_analysis/resources/``: ``areas_england.csv``, ``legacy_codes.csv``,
``forces.csv`` and ``neighbours.csv``. Nothing is written unless every check passes.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from cdp_analysis.sources.imd import read_imd, read_imd_upper_tier
from cdp_analysis.sources.lookups import read_lad_region_lookup, read_lsoa_lookup
from cdp_analysis.sources.population import read_population

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "src" / "cdp_analysis" / "resources"

LTLA_UTLA_2023 = "geography/Local_Authority_District_to_County_and_Unitary_Authority_(April_2023)_Lookup_in_EW.csv"
LTLA_UTLA_2022 = ("geography/Lower_Tier_Local_Authority_to_Upper_Tier_Local_Authority_(December_2022)"
                  "_Lookup_in_England_and_Wales.csv")
LAD_REGION_2019 = "other/Local_Authority_District_to_Region_(April_2019)_Lookup_in_England.csv"
LAD_PFA_2017 = ("geography/Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas"
                "__January_2017__Lookup_in_England_and_Wales_Version_2.csv")
LSOA_LAD_2025 = "other/LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2.csv"
IMD_LSOA_2019 = "imd/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
IMD_UTLA_2019 = "imd/File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx"
POPULATION_2020 = "population/ukpopestimatesmid2020on2021geography.xls"

ENGLAND = ("E92000001", "England")
#: Share of a retired district's LSOAs that must lie in one current district for a merger.
MERGER_SHARE = 0.95
NEIGHBOURS = 10

#: Counties abolished before the earliest county lookup read here (December 2022). Their
#: successors are stated by the structural changes orders (Bournemouth, Dorset and Poole
#: 2018; Buckinghamshire 2019; Northamptonshire 2020); no lookup in ``shared/data/real``
#: holds their membership.
RETIRED_COUNTIES = {
    "E10000002": ("Buckinghamshire", "2020-04-01", ("E06000060",)),
    "E10000009": ("Dorset", "2019-04-01", ("E06000059", "E06000058")),
    "E10000021": ("Northamptonshire", "2021-04-01", ("E06000061", "E06000062")),
}
#: When the districts that disappear between two lookups were abolished.
CHANGE_DATES = {"LAD17": "2019-04-01", "LAD19": "2021-04-01", "LTLA22": "2023-04-01", "LTLA23": "2024-04-01"}

NEIGHBOUR_VARIABLES = (
    ("imd_average_score", "IMD", "average_score"),
    ("imd_extent", "IMD", "extent"),
    ("income_scale", "Income", "scale"),
    ("employment_scale", "Employment", "scale"),
)


class BuildCheckError(RuntimeError):
    """The lookups disagree with each other or with an assumption of this script."""


@dataclass
class Lookups:
    """The tables read from ``shared/data/real``, as plain dictionaries."""

    lad23: dict[str, str]          # LTLA23 code -> name (England)
    utla23: dict[str, str]         # UTLA23 code -> name
    lad_to_utla23: dict[str, str]
    utla22: dict[str, str]
    lad22: dict[str, str]
    lad_to_utla22: dict[str, str]
    lad19_region: dict[str, str]   # LAD19 -> RGN19 code
    region_names: dict[str, str]
    lad19: dict[str, str]
    lad17: dict[str, str]
    lad17_pfa: dict[str, str]
    lad25: dict[str, str]
    lsoa21_lad25: dict[str, str]
    lsoa11_lad19: dict[str, str]
    lsoa11_names: dict[str, str]


# reading -------------------------------------------------------------------------
def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _english(rows: list[dict[str, str]], code: str, name: str) -> dict[str, str]:
    return {r[code]: r[name] for r in rows if r[code].startswith("E")}


def read_lookups(real: Path) -> Lookups:
    """Read every lookup the registry is built from."""
    l23, l22, l17 = _rows(real / LTLA_UTLA_2023), _rows(real / LTLA_UTLA_2022), _rows(real / LAD_PFA_2017)
    region = read_lad_region_lookup(real / LAD_REGION_2019)
    lsoa25 = read_lsoa_lookup(real / LSOA_LAD_2025)
    imd = read_imd(real / IMD_LSOA_2019)
    english25 = lsoa25[lsoa25["lad_code"].str.startswith("E")]
    return Lookups(
        lad23=_english(l23, "LTLA23CD", "LTLA23NM"),
        utla23=_english(l23, "UTLA23CD", "UTLA23NM"),
        lad_to_utla23={r["LTLA23CD"]: r["UTLA23CD"] for r in l23 if r["LTLA23CD"].startswith("E")},
        utla22=_english(l22, "UTLA22CD", "UTLA22NM"),
        lad22=_english(l22, "LTLA22CD", "LTLA22NM"),
        lad_to_utla22={r["LTLA22CD"]: r["UTLA22CD"] for r in l22 if r["LTLA22CD"].startswith("E")},
        lad19_region=dict(zip(region["lad_code"], region["region_code"])),
        region_names=dict(zip(region["region_code"], region["region_name"])),
        lad19=dict(zip(region["lad_code"], region["lad_name"])),
        lad17=_english(l17, "LAD17CD", "LAD17NM"),
        lad17_pfa={r["LAD17CD"]: r["PFA17CD"] for r in l17},
        lad25=dict(zip(english25["lad_code"], english25["lad_name"])),
        lsoa21_lad25=dict(zip(english25["lsoa_code"], english25["lad_code"])),
        lsoa11_lad19=dict(zip(imd["lsoa_code"], imd["lad_code"])),
        lsoa11_names=dict(zip(imd["lsoa_code"], imd["lsoa_name"])),
    )


# legacy codes ----------------------------------------------------------------------
def _recoded(lk: Lookups) -> dict[str, str]:
    """Current (2025) district codes that only renumber a 2023 district of the same name."""
    gone = {name: code for code, name in lk.lad23.items() if code not in lk.lad25}
    out = {}
    for code, name in lk.lad25.items():
        if code in lk.lad23:
            continue
        if name not in gone:
            raise BuildCheckError(f"LAD25 {code} {name} has no 2023 district of the same name")
        out[code] = gone[name]
    return out


def _lsoas_of(code: str, lk: Lookups) -> list[str]:
    """LSOA 2011 codes of a district: from IMD File 1 (LAD19), else by LSOA name (LAD11 names)."""
    found = [lsoa for lsoa, lad in lk.lsoa11_lad19.items() if lad == code]
    if found:
        return found
    name = lk.lad17.get(code) or lk.lad22.get(code)
    pattern = re.compile(rf"^{re.escape(name)} \d{{3}}[A-Z]$")
    return [lsoa for lsoa, lsoa_name in lk.lsoa11_names.items() if pattern.match(lsoa_name)]


def _successor_shares(code: str, lk: Lookups, recoded: dict[str, str]) -> Counter:
    """Where a retired district's unchanged LSOAs lie now (current codes, counts)."""
    lsoas = _lsoas_of(code, lk)
    if not lsoas:
        raise BuildCheckError(f"no LSOA found for retired district {code}")
    shares: Counter = Counter()
    for lsoa in lsoas:
        lad = lk.lsoa21_lad25.get(lsoa)
        if lad is not None:
            shares[recoded.get(lad, lad)] += 1
    return shares


def _relation(successors: list[str]) -> str:
    return "merged_into" if len(successors) == 1 else "split_into"


def _district_rows(lk: Lookups, recoded: dict[str, str]) -> list[dict[str, str]]:
    rows = []
    vintages = (("LAD17", lk.lad17), ("LAD19", lk.lad19), ("LTLA22", lk.lad22))
    seen: set[str] = set()
    for _vintage, table in vintages:
        for code, name in sorted(table.items()):
            if code in lk.lad23 or code in seen:
                continue
            seen.add(code)
            shares = _successor_shares(code, lk, recoded)
            total = sum(shares.values())
            main, count = shares.most_common(1)[0]
            successors = [main] if count / total >= MERGER_SHARE else [
                c for c, n in shares.most_common() if n / total >= 1 - MERGER_SHARE]
            ended = _end_date(code, successors, lk)
            names = " and ".join(lk.lad23[s] for s in successors)
            note = (f"{name} ({code}) was abolished on {ended}; its area is now part of {names}."
                    if len(successors) == 1 else
                    f"{name} ({code}) was abolished on {ended}; its area is now split between {names}.")
            rows.append(_legacy(code, name, "lad", _relation(successors), successors, ended, note))
    for new, old in sorted(recoded.items()):
        rows.append(_legacy(new, lk.lad25[new], "lad", "recoded", [old], "",
                            f"{lk.lad25[new]} has had code {new} since April 2024 (a minor boundary change); "
                            f"the registry uses the April 2023 code {old}, which data under either code joins."))
    return rows


def _end_date(code: str, successors: list[str], lk: Lookups) -> str:
    """When a district was abolished: its county's date where known, else its lookup's."""
    for _, ended, county_successors in RETIRED_COUNTIES.values():
        if set(successors) <= set(county_successors):
            return ended
    if code not in lk.lad19:
        return CHANGE_DATES["LAD17"]
    if code not in lk.lad22:
        return CHANGE_DATES["LAD19"]
    return CHANGE_DATES["LTLA22"]


def _legacy(code: str, name: str, kind: str, relation: str, successors: list[str], ended: str,
            note: str) -> dict[str, str]:
    return {"code": code, "name": name, "type": kind, "relation": relation,
            "successors": ";".join(successors), "ended": ended, "note": note}


def _county_rows(lk: Lookups, districts: dict[str, list[str]]) -> list[dict[str, str]]:
    rows = []
    for code, name in sorted(lk.utla22.items()):
        if code in lk.utla23:
            continue
        members = [lad for lad, utla in lk.lad_to_utla22.items() if utla == code]
        successors = sorted({s for lad in members for s in districts[lad]})
        rows.append(_county_row(code, name, CHANGE_DATES["LTLA22"], successors, lk))
    for code, (name, ended, successors) in sorted(RETIRED_COUNTIES.items()):
        rows.append(_county_row(code, name, ended, list(successors), lk))
    return rows


def _county_row(code: str, name: str, ended: str, successors: list[str], lk: Lookups) -> dict[str, str]:
    names = " and ".join(lk.lad23[s] for s in successors)
    if len(successors) == 1:
        note = f"{name} County Council ({code}) was replaced on {ended} by {names}, which covers the same area."
    else:
        note = (f"{name} County Council ({code}) was abolished on {ended}; its area is now split between "
                f"{names}, so its figures describe an area that no longer exists.")
    return _legacy(code, name, "utla", _relation(successors), successors, ended, note)


def build_legacy(lk: Lookups) -> list[dict[str, str]]:
    """Every retired English district and county code with its successor(s)."""
    recoded = _recoded(lk)
    district_rows = _district_rows(lk, recoded)
    successors = {r["code"]: r["successors"].split(";") for r in district_rows}
    return district_rows + _county_rows(lk, successors)


def predecessors(legacy: list[dict[str, str]], tier: str = "lad") -> dict[str, list[str]]:
    """Current code -> retired codes of ``tier`` whose area went (whole or in part) into it."""
    out: dict[str, list[str]] = defaultdict(list)
    for row in legacy:
        if row["type"] == tier:
            for successor in row["successors"].split(";"):
                out[successor].append(row["code"])
    return out


# current areas ---------------------------------------------------------------------
def _region_of(code: str, lk: Lookups, before: dict[str, list[str]]) -> str:
    if code in lk.lad19_region:
        return lk.lad19_region[code]
    regions = {lk.lad19_region[p] for p in before.get(code, ()) if p in lk.lad19_region}
    if len(regions) != 1:
        raise BuildCheckError(f"{code}: predecessors lie in regions {sorted(regions)}")
    return regions.pop()


def build_areas(lk: Lookups, legacy: list[dict[str, str]]) -> list[dict[str, str]]:
    """England, regions, upper-tier and lower-tier authorities with their parents."""
    before = predecessors(legacy)
    lad_region = {code: _region_of(code, lk, before) for code in lk.lad23}
    rows = [_area(*ENGLAND, "country", "")]
    rows += [_area(c, n, "region", ENGLAND[0]) for c, n in sorted(lk.region_names.items())]
    for utla, name in sorted(lk.utla23.items()):
        regions = {lad_region[lad] for lad, up in lk.lad_to_utla23.items() if up == utla}
        if len(regions) != 1:
            raise BuildCheckError(f"upper tier {utla} spans regions {sorted(regions)}")
        rows.append(_area(utla, name, "utla", regions.pop()))
    for lad, name in sorted(lk.lad23.items()):
        utla = lk.lad_to_utla23[lad]
        if utla != lad:
            rows.append(_area(lad, name, "lad", utla))
    return rows


def _area(code: str, name: str, kind: str, parent: str) -> dict[str, str]:
    return {"code": code, "name": name, "type": kind, "parent": parent, "members": "", "comparators": ""}


# police forces ---------------------------------------------------------------------
def build_forces(lk: Lookups, legacy: list[dict[str, str]]) -> list[dict[str, str]]:
    """Each current district with its police force(s), through predecessors for new codes."""
    slugs = {r["pfa_code"]: r["slug"] for r in _rows(RESOURCES / "police_forces.csv") if r["pfa_code"]}
    unknown = set(lk.lad17_pfa.values()) - set(slugs)
    if unknown:
        raise BuildCheckError(f"police force areas without a police.uk slug: {sorted(unknown)}")
    before = predecessors(legacy)
    rows = []
    for lad, name in sorted(lk.lad23.items()):
        via = [lad] if lad in lk.lad17_pfa else [p for p in before.get(lad, ()) if p in lk.lad17_pfa]
        if not via:
            raise BuildCheckError(f"{lad} {name}: no district of the 2017 force lookup")
        for pfa in sorted({lk.lad17_pfa[p] for p in via}):
            rows.append({"lad_code": lad, "lad_name": name, "pfa_code": pfa, "force": slugs[pfa],
                         "via": ";".join(sorted(p for p in via if p != lad))})
    return rows


# statistical neighbours ------------------------------------------------------------
def _populations(real: Path, lk: Lookups, legacy: list[dict[str, str]]) -> dict[str, float]:
    """Mid-2020 residents of each current district (retired districts summed into it)."""
    pop = read_population(real / POPULATION_2020, sheet="MYE2 - Persons")
    totals = pop.groupby("area_code")["population"].sum().to_dict()
    before = predecessors(legacy)
    out = {}
    for lad in lk.lad23:
        if lad in totals:
            out[lad] = float(totals[lad])
        else:
            parts = [p for p in before.get(lad, ()) if p in totals]
            if not parts:
                raise BuildCheckError(f"no mid-2020 population for {lad}")
            out[lad] = float(sum(totals[p] for p in parts))
    return out


def _iod_values(real: Path) -> dict[str, dict[str, float]]:
    values: dict[str, dict[str, float]] = defaultdict(dict)
    for name, sheet, column in NEIGHBOUR_VARIABLES:
        frame = read_imd_upper_tier(real / IMD_UTLA_2019, sheet=sheet)
        for code, value in zip(frame["area_code"], frame[column]):
            values[str(code)][name] = float(value)
    return values


def neighbour_inputs(real: Path, lk: Lookups, legacy: list[dict[str, str]]) -> tuple[dict, dict]:
    """Variables per current upper tier, and the reason for each upper tier left out."""
    iod = _iod_values(real)
    merged_counties = {r["successors"]: r["code"] for r in legacy
                       if r["type"] == "utla" and r["relation"] == "merged_into"}
    split = {s: r["code"] for r in legacy if r["type"] == "utla" and r["relation"] == "split_into"
             for s in r["successors"].split(";")}
    pops = _populations(real, lk, legacy)
    inputs, left_out = {}, {}
    for utla in sorted(lk.utla23):
        source = utla if utla in iod else merged_counties.get(utla)
        if source is None or source not in iod:
            left_out[utla] = (f"no IoD2019 upper-tier summary: {lk.utla23[utla]} was carved out of "
                              f"{split.get(utla, 'an older area')} after 2019")
            continue
        population = sum(pops[lad] for lad, up in lk.lad_to_utla23.items() if up == utla)
        inputs[utla] = {**iod[source], "population": population, "iod_code": source}
    return inputs, left_out


def nearest_neighbours(inputs: dict[str, dict[str, float]], n: int = NEIGHBOURS) -> list[dict[str, str]]:
    """z-score every variable over the candidates; the ``n`` nearest by Euclidean distance."""
    names = [v[0] for v in NEIGHBOUR_VARIABLES] + ["population"]
    codes = sorted(inputs)
    z = {code: [] for code in codes}
    for name in names:
        column = [inputs[c][name] for c in codes]
        mean = sum(column) / len(column)
        sd = math.sqrt(sum((x - mean) ** 2 for x in column) / (len(column) - 1))
        for code, x in zip(codes, column):
            z[code].append((x - mean) / sd)
    rows = []
    for code in codes:
        distances = sorted((math.dist(z[code], z[other]), other) for other in codes if other != code)
        for rank, (distance, other) in enumerate(distances[:n], start=1):
            rows.append({"code": code, "rank": str(rank), "neighbour": other, "distance": f"{distance:.6f}"})
    return rows


# checks and output -----------------------------------------------------------------
def check(areas: list[dict[str, str]], legacy: list[dict[str, str]], lk: Lookups) -> None:
    """Fail unless every current English authority is present once and every legacy code resolves."""
    codes = Counter(a["code"] for a in areas)
    twice = [c for c, k in codes.items() if k > 1]
    if twice:
        raise BuildCheckError(f"codes twice: {twice}")
    missing = (set(lk.lad23) | set(lk.utla23)) - set(codes)
    if missing:
        raise BuildCheckError(f"authorities missing: {sorted(missing)}")
    for row in legacy:
        if row["code"] in codes:
            raise BuildCheckError(f"legacy code {row['code']} is also current")
        bad = [s for s in row["successors"].split(";") if s not in codes]
        if bad:
            raise BuildCheckError(f"legacy {row['code']} -> unknown {bad}")


def _csv_text(rows: list[dict[str, str]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Read the lookups, check them, then write the four resources."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", default=str(ROOT.parent / "shared" / "data" / "real"),
                        help="folder holding the real ONS files (default: ../shared/data/real)")
    parser.add_argument("--out", default=str(RESOURCES), help="resources folder to write")
    args = parser.parse_args(argv)
    real, out = Path(args.real), Path(args.out)
    lk = read_lookups(real)
    legacy = build_legacy(lk)
    areas = build_areas(lk, legacy)
    check(areas, legacy, lk)
    forces = build_forces(lk, legacy)
    inputs, left_out = neighbour_inputs(real, lk, legacy)
    neighbours = nearest_neighbours(inputs)
    texts = {
        "areas_england.csv": _csv_text(areas, ["code", "name", "type", "parent", "members", "comparators"]),
        "legacy_codes.csv": _csv_text(legacy, ["code", "name", "type", "relation", "successors", "ended", "note"]),
        "forces.csv": _csv_text(forces, ["lad_code", "lad_name", "pfa_code", "force", "via"]),
        "neighbours.csv": _csv_text(neighbours, ["code", "rank", "neighbour", "distance"]),
    }
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8")
    kinds = Counter(a["code"][:3] for a in areas)
    print(f"areas: {len(areas)} {dict(sorted(kinds.items()))}; legacy: {len(legacy)} "
          f"{dict(Counter(r['relation'] for r in legacy))}; force rows: {len(forces)}; "
          f"neighbours for {len(inputs)} upper tiers; left out: {left_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

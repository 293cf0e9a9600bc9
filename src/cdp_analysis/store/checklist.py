"""The data checklist of an area: every source the chapters use, found, partial or missing.

``cdp data --area CODE`` prints it; chapters point their "data missing" sentences
to it (:data:`cdp_analysis.store.coverage.DATA_CHECKLIST_HINT`). For the area and its
comparators (the region and England), each source is

``found``
    with the files it came from, the periods held and, where it matters, the
    vintage (LSOA 2011 or 2021 codes);
``partial``
    some of it is there (months missing for a force, a comparator's authorities
    not all covered), saying what is missing;
``missing``
    with the publisher's download page and the exact file to pick;
``not read yet``
    a source no chapter reads yet (listed so the user can gather it): the ONS
    drug-poisoning workbook, and local returns whose templates exist but whose
    figures no chapter shows. Every other entry names a table a chapter reads
    (``tests/store/test_checklist.py`` checks the lists against the chapters' code).

Everything is read from the prepared :class:`~cdp_analysis.store.dataset.Dataset` (its
tables and its manifest), never from the raw files again.
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib import resources

import pandas as pd

from cdp_analysis.areas import Area, AreaRegistry
from cdp_analysis.store.coverage import describe_months
from cdp_analysis.store.dataset import TABLES, Dataset

__all__ = ["Checklist", "Item", "LOCAL_READERS", "STATUSES", "data_checklist", "fetch_area_indicators",
           "fingertips_area_type", "fingertips_indicator_ids", "fingertips_named_indicators"]

STATUSES = ("found", "partial", "missing", "not read yet")
_POLICE_PAGE = "https://data.police.uk/data/"
_FINGERTIPS_PAGE = "https://fingertips.phe.org.uk/"
_CO_OCCURRING = "https://fingertips.phe.org.uk/profile-group/mental-health/profile/drugsandmentalhealth"
_LSOA_2021_FIRST = "E01033768"  # the first LSOA code created in 2021 (2011 codes end below it)
# table -> (source, chapter, download page, the file to pick)
_SOURCES: dict[str, tuple[str, str, str, str]] = {
    "geo_lsoa": ("LSOA boundaries", "supply", "https://geoportal.statistics.gov.uk/",
                 "Lower layer Super Output Areas (December 2021) Boundaries EW BGC, GeoPackage, "
                 "into a boundaries/ folder"),
    "geo_ward": ("Ward boundaries", "supply", "https://geoportal.statistics.gov.uk/",
                 "Wards (December 2022) Boundaries UK BGC, GeoPackage, into a boundaries/ folder"),
    "geo_lad": ("Local authority boundaries", "supply", "https://geoportal.statistics.gov.uk/",
                "Local Authority Districts (December 2022) Boundaries UK BGC, GeoPackage, into a "
                "boundaries/ folder"),
    "lsoa_lookup": ("LSOA to ward to LAD lookup", "supply", "https://geoportal.statistics.gov.uk/",
                    "LSOA (2021) to Electoral Ward (2022) to LAD (2022) Best Fit Lookup in EW, CSV"),
    "population": ("LSOA population", "supply",
                   "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/"
                   "populationestimates/datasets/lowersuperoutputareamidyearpopulationestimates",
                   "Lower layer Super Output Area population estimates, the latest mid-year file"),
    "imd_lsoa": ("Index of Multiple Deprivation 2019", "supply",
                 "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019",
                 "File 1: index of multiple deprivation (File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx)"),
    "census_ethnicity": ("Census 2021 ethnic group", "supply",
                         "https://www.nomisweb.co.uk/sources/census_2021_bulk",
                         "TS021 Ethnic group (census2021-ts021.zip: census2021-ts021-ltla.csv)"),
    "children_in_need": ("DfE children in need (C3 factors)", "demand",
                         "https://explore-education-statistics.service.gov.uk/find-statistics/"
                         "characteristics-of-children-in-need",
                         "Download all data: c3_factors_identified_at_end_of_assessment_*.csv"),
    "looked_after": ("DfE children looked after (substance misuse)", "demand",
                     "https://explore-education-statistics.service.gov.uk/find-statistics/"
                     "children-looked-after-in-england-including-adoptions",
                     "Download all data: la_conviction_health_outcome_cla.csv"),
    "exclusions": ("DfE exclusions (drug and alcohol reasons)", "demand",
                   "https://explore-education-statistics.service.gov.uk/find-statistics/"
                   "suspensions-and-permanent-exclusions-in-england",
                   "Download all data: the exclusions by reason CSV (reasons.csv)"),
    "pupil_headcount": ("DfE pupil headcount", "demand",
                        "https://explore-education-statistics.service.gov.uk/find-statistics/"
                        "suspensions-and-permanent-exclusions-in-england",
                        "Download all data: the main national, region and LA table (with headcount)"),
    "csew": ("Crime Survey for England and Wales (drug misuse)", "demand",
             "https://www.ons.gov.uk/peoplepopulationandcommunity/crimeandjustice/datasets/"
             "drugmisuseinenglandandwalesappendixtable",
             "Drug misuse appendix tables (drugsmisusetables<month><yy>.xlsx)"),
    "homelessness": ("MHCLG statutory homelessness (H-CLIC), support needs", "demand",
                     "https://www.gov.uk/government/statistical-data-sets/live-tables-on-homelessness",
                     "Statutory homelessness: detailed local authority-level tables, the financial year's "
                     "workbook (Detailed_LA_<yyyy-yy>.ods saved as .xlsx, or the .xlsx edition), kept whole: the "
                     "reader takes sheet A3 (support needs of households owed a duty); put it anywhere in the "
                     "data folder, e.g. homelessness/"),
    "reoffending": ("MoJ proven reoffending by local authority", "treatment",
                    "https://www.gov.uk/government/collections/proven-reoffending-statistics",
                    "the latest release's local authority data (adult and juvenile offenders, number of offenders "
                    "and of reoffenders by cohort) as CSV or workbook, e.g. reoffending/"
                    "proven_reoffending_la_<period>.csv"),
}
#: The NDTMS table (read by the treatment chapter, and by demand for children of adults in treatment).
_NDTMS = ("NDTMS treatment statistics (ViewIt exports)", "treatment", "https://www.ndtms.net/ViewIt/Adult",
          "Adult: download data, all indicators for every local authority (ViewIt Export Data_LAs.csv) "
          "and for England (ViewIt Export Data_England.csv)")
#: The alcohol dependence estimates (read into the NDTMS table as measure ``alcohol_dependent_adults``).
_ALCOHOL_ESTIMATES = ("OHID estimates of alcohol-dependent adults", "treatment",
                      "https://www.gov.uk/government/publications/alcohol-dependence-prevalence-in-england",
                      "the local authority estimates of alcohol-dependent adults, CSV "
                      "(Estimates_of_Alcohol_Dependent_Adults_in_England*.csv), into an ndtms/ folder")
#: Local returns a chapter reads → the chapters reading them; the other templates are not read yet.
LOCAL_READERS: dict[str, str] = {
    "ambitions": "overview",
    "budgets": "treatment",
    "community_sentence_treatment": "overview, treatment",
    "continuity_of_care": "overview, treatment",
    "county_lines": "overview, supply",
    "deaths_in_treatment": "overview, treatment",
    "disruptions": "overview",
    "drug_testing_on_arrest": "demand, treatment",
    "homelessness_support_needs": "demand, overview",
    "out_of_court_disposals": "demand",
    "treatment_numbers": "overview, treatment",
    "treatment_progress": "overview",
    "young_people_treatment": "demand, treatment",
}
_NOT_READ: tuple[tuple[str, str, str, str], ...] = (
    ("ONS deaths related to drug poisoning", "treatment",
     "https://www.ons.gov.uk/peoplepopulationandcommunity/birthsdeathsandmarriages/deaths/datasets/"
     "drugmisusedeathsbylocalauthority",
     "Deaths related to drug poisoning by local authority (<year>localauthorities.xlsx)"),
)


@dataclass(frozen=True)
class Item:
    """One line of the checklist: a source for one area."""

    source: str
    chapter: str
    area: str  # the area's code
    status: str
    detail: str = ""
    files: tuple[str, ...] = ()
    get: str = ""  # where to download it and which file to pick (partial and missing)


@dataclass
class Checklist:
    """The checklist of an area and its comparators."""

    area: Area
    comparators: list[Area]
    items: list[Item] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many items have each status."""
        return {s: sum(i.status == s for i in self.items) for s in STATUSES}

    def to_json(self) -> str:
        """The checklist as JSON (for machines)."""
        payload = {
            "area": {"code": self.area.code, "name": self.area.name},
            "comparators": [{"code": a.code, "name": a.name} for a in self.comparators],
            "counts": self.counts(),
            "items": [{**asdict(i), "files": list(i.files)} for i in self.items],
        }
        return json.dumps(payload, indent=2)

    def _rows(self) -> list[tuple[str, str, str, str, str]]:
        names = {a.code: a.name for a in [self.area, *self.comparators]}
        rows = []
        for item in self.items:
            what = item.detail
            if item.files:
                what += f" [{', '.join(item.files[:3])}{' …' if len(item.files) > 3 else ''}]"
            if item.get:
                what += f" — get: {item.get}"
            rows.append((item.chapter, item.source, names.get(item.area, item.area), item.status, what))
        return rows

    def to_text(self) -> str:
        """A readable table for a terminal."""
        header = ("chapter", "source", "area", "status", "detail")
        rows = [header, *self._rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [f"Data checklist for {self.area.label}"]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4] for r in rows]
        lines.append(", ".join(f"{n} {s}" for s, n in self.counts().items() if n))
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """A Markdown table."""
        lines = [f"# Data checklist for {self.area.label}", "",
                 "| chapter | source | area | status | detail |", "|---|---|---|---|---|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in self._rows()]
        return "\n".join(lines) + "\n"


def _catalogue_rows() -> list[dict[str, str]]:
    text = resources.files("cdp_analysis.resources").joinpath("indicators.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def fingertips_indicator_ids() -> list[int]:
    """The Fingertips indicator ids the chapters use (``resources/indicators.csv``; those with a verified id)."""
    return [int(row["indicator_id"]) for row in _catalogue_rows() if row["indicator_id"].isdigit()]


def fingertips_named_indicators() -> list[str]:
    """Published names of the catalogued indicators whose Fingertips id is not verified (matched by name)."""
    return [row["published_name"] for row in _catalogue_rows() if not row["indicator_id"].isdigit()]


#: Fingertips area type ids (METHODS.md, Fingertips API).
_AREA_TYPES = {"country": 15, "region": 6, "utla": 502, "lad": 501}


def fingertips_area_type(area: Area, registry: AreaRegistry | None = None) -> int:
    """The Fingertips area type of an area: 502 upper tier, 501 district, 6 region, 15 England.

    A partnership takes its members' type (502 when every member is an upper
    tier, else 501).
    """
    if area.type == "cdp":
        registry = registry or AreaRegistry.builtin()
        members = [registry.get(m) for m in area.members]
        return 502 if members and all(m.type == "utla" for m in members) else 501
    return _AREA_TYPES[area.type]


def fetch_area_indicators(client, area: Area, indicator_ids: list[int] | None = None, *,
                          refresh: bool = False, registry: AreaRegistry | None = None) -> list[str]:
    """Fetch the chapters' Fingertips indicators at an area's type, with regions and England.

    One ``all_data/csv/by_indicator_id`` request (cached by ``client``) with the
    area's type as child and regions (6) as parent: the export holds every area
    of that type, each region and England, so the checklist's "missing
    Fingertips" items are filled for the area and its comparators.

    Parameters
    ----------
    client
        A :class:`cdp_analysis.sources.fingertips.FingertipsClient`.
    area
        The area (not a synthetic demo area).
    indicator_ids
        Default: :func:`fingertips_indicator_ids`.

    Returns
    -------
    list of str
        One line per request, saying what was fetched and where it is cached.
    """
    from cdp_analysis.errors import ConfigError

    if area.is_demo:
        raise ConfigError(f"{area.label} is a synthetic demo area: Fingertips has no data for it")
    ids = indicator_ids or fingertips_indicator_ids()
    child = fingertips_area_type(area, registry)
    parent = 6 if child in (501, 502) else 15
    frame = client.data_by_indicator_id(ids, child_area_type_id=child, parent_area_type_id=parent,
                                        refresh=refresh)
    held = set(frame.loc[frame["Area Code"].astype(str) == area.code, "Indicator ID"].dropna().astype(int))
    absent = [i for i in ids if i not in held]
    line = (f"{len(frame)} rows for {len(ids)} indicators at area type {child} cached in "
            f"{client.cache_dir}; {area.label} has {len(ids) - len(absent)} of them")
    return [line + (f" (none for {', '.join(map(str, absent))})" if absent else "")]


def data_checklist(dataset: Dataset, registry: AreaRegistry, area_code: str, *,
                   report: Callable[[str], None] | None = None) -> Checklist:
    """Check every source for an area and its comparators (region, England).

    Parameters
    ----------
    dataset
        The prepared raw folder (:func:`cdp_analysis.store.dataset.open_dataset`).
    registry
        The area registry.
    area_code
        A GSS code (or name) of the area.
    report
        Called with a progress line as each source has been checked (``cdp data`` on a terminal).
    """
    area = registry.get(area_code)
    comparators = [a for a in registry.comparators(area.code) if a.type in ("region", "country")]
    checklist = Checklist(area, comparators)
    checker = _Checker(dataset, registry, demo=area.is_demo)
    codes = [area.code, *(a.code for a in comparators)]

    def check(what: str, began: float, items: Iterable[Item]) -> None:
        """Add a source's items; ``began`` is taken before they are computed (arguments run left to right)."""
        items = list(items)
        checklist.items.extend(items)
        if report is not None:
            states = ", ".join(f"{n} {s}" for s, n in Counter(i.status for i in items).items())
            report(f"data: {what}: {states} ({time.perf_counter() - began:.1f} s)")

    for code in codes:
        check(f"police.uk and Fingertips for {code}", time.perf_counter(),
              [*checker.police(code), *checker.fingertips(code)])
    for table in ("geo_lsoa", "geo_ward", "geo_lad", "lsoa_lookup", "population", "imd_lsoa",
                  "census_ethnicity"):
        check(_SOURCES[table][0], time.perf_counter(), [checker.small_areas(table, area.code)])
    for table in ("children_in_need", "looked_after", "exclusions", "pupil_headcount", "homelessness", "reoffending"):
        check(_SOURCES[table][0], time.perf_counter(), [checker.coded(table, code) for code in codes])
    check(_SOURCES["csew"][0], time.perf_counter(), [checker.national("csew", area.code)])
    england = [area.code, *(a.code for a in comparators if a.type == "country")]  # the chapter shows England
    check(_NDTMS[0], time.perf_counter(), [checker.ndtms(code) for code in england])
    check(_ALCOHOL_ESTIMATES[0], time.perf_counter(), [checker.alcohol_estimates(area.code)])
    check("local returns", time.perf_counter(), checker.local(area.code))
    for source, chapter, page, pick in _NOT_READ:
        checklist.items.append(Item(source, chapter, area.code, "not read yet",
                                    "the workbench does not read it yet", get=f"{page} → {pick}"))
    return checklist


class _Checker:
    """The checks, over one dataset (tables read once)."""

    def __init__(self, dataset: Dataset, registry: AreaRegistry, *, demo: bool) -> None:
        self.ds = dataset
        self.demo = demo  # a demo area's England includes the synthetic region
        self.registry = registry
        self.available = set(dataset.available())
        self.manifest = dataset.manifest().get("units", {})
        self._frames: dict[str, pd.DataFrame] = {}

    # -- helpers ------------------------------------------------------------------------
    def frame(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        if table not in self._frames:
            self._frames[table] = pd.read_parquet(self.ds.root / TABLES[table], columns=columns)
        return self._frames[table]

    def files(self, unit: str) -> tuple[str, ...]:
        refs = self.manifest.get(unit, {}).get("inputs", [])
        return tuple(sorted({r.split("!", 1)[-1].rsplit("/", 1)[-1] for r in refs}))

    def lads(self, code: str) -> list[str]:
        return [a.code for a in self.registry.members(code) if self.demo or not a.is_demo]

    def area_codes(self, code: str, column: str = "lsoa_code") -> set[str]:
        """LSOA (or ward) codes of an area, from the lookup."""
        if "lsoa_lookup" not in self.available:
            return set()
        lookup = self.frame("lsoa_lookup")
        return set(lookup.loc[lookup["lad_code"].isin(self.lads(code)), column].dropna().astype(str))

    # -- police -------------------------------------------------------------------------
    def police(self, code: str) -> list[Item]:
        area = self.registry.get(code)
        lads = self.lads(code)
        forces = sorted({f for lad in lads for f in self.registry.forces(lad)})
        names = sorted({n for lad in lads for n in self.registry.force_names(lad)})
        items = []
        for table, label, include in (("street_crime", "police.uk street crime", "include crime data"),
                                      ("stop_search", "police.uk stop and search", "include stop and search data")):
            by_month = self.ds.police_forces(table)
            items.append(_police_item(label, area, forces, names, by_month, include))
        return items

    # -- Fingertips ---------------------------------------------------------------------
    def fingertips(self, code: str) -> list[Item]:
        ids = fingertips_indicator_ids()
        get = (f"`cdp fetch --area {code}` (Fingertips API), or {_FINGERTIPS_PAGE} → the indicator "
               "→ Download → data for all areas (CSV); the hospital admissions for drug poisoning and for "
               "drug-related mental and behavioural disorders (matched by name) from the co-occurring substance "
               "misuse and mental health profile, " + _CO_OCCURRING + " → Download")
        if "indicators" not in self.available:
            return [Item("Fingertips indicators", "overview", code, "missing",
                         f"none of the {len(ids)} indicators", get=get)]
        frame = self.frame("indicators")
        codes = frame["area_code"].astype(str)
        wanted, _ = self.own_or_members(code, set(codes))  # a partnership: its members', as the overview shows
        rows = frame[codes.isin(wanted)]
        per_area = [{int(i) for i in pd.to_numeric(rows.loc[codes[rows.index] == c, "indicator_id"],
                                                     errors="coerce").dropna()} for c in wanted]
        held = set.intersection(*per_area) if per_area else set()
        absent: list[object] = [i for i in ids if i not in held]
        names = set.intersection(*({" ".join(str(n).split()).lower()
                                    for n in rows.loc[codes[rows.index] == c, "indicator_name"].dropna()}
                                   for c in wanted)) if wanted and "indicator_name" in rows else set()
        named = fingertips_named_indicators()
        absent += [f"'{n}'" for n in named if n.lower() not in names]
        ids = [*ids, *named]  # type: ignore[list-item]
        periods = sorted(rows["period"].dropna().astype(str).unique())
        span = f"{periods[0]} to {periods[-1]}" if periods else ""
        detail = (f"{len(ids) - len(absent)} of {len(ids)} indicators" + (f", {span}" if span else "")
                  + (" for every member authority" if wanted != [code] else ""))
        files = self.files("indicators")
        if not absent:
            return [Item("Fingertips indicators", "overview", code, "found", detail, files)]
        status = "missing" if len(absent) == len(ids) else "partial"
        detail += f"; missing: {', '.join(map(str, absent))}"
        return [Item("Fingertips indicators", "overview", code, status, detail, files, get)]

    # -- small-area tables --------------------------------------------------------------
    def small_areas(self, table: str, code: str) -> Item:
        source, chapter, page, pick = _SOURCES[table]
        get = f"{page} → {pick}"
        if table not in self.available:
            return Item(source, chapter, code, "missing", "", get=get)
        column = ("code" if table.startswith("geo_")
                  else "area_code" if table in ("population", "census_ethnicity") else "lsoa_code")
        codes = set(self.frame(table, [column])[column].astype(str))
        wanted = (set(self.lads(code)) if table in ("geo_lad", "census_ethnicity")
                  else self.area_codes(code, "ward_code") if table == "geo_ward"
                  else self.area_codes(code) if table != "lsoa_lookup" else set())
        files = self.files("boundaries" if table.startswith("geo_") else _UNIT.get(table, table))
        if table == "lsoa_lookup":
            lads = set(self.frame("lsoa_lookup")["lad_code"].astype(str))
            wanted_lads = set(self.lads(code))
            gone = sorted(wanted_lads - lads)
            detail = (f"{len(self.area_codes(code))} LSOAs of the area "
                      f"{_vintage(self.frame('lsoa_lookup')['lsoa_code'])}").strip()
            if gone:
                return Item(source, chapter, code, "partial" if gone != sorted(wanted_lads) else "missing",
                            f"{detail}; no LSOAs for {', '.join(gone)}", files, get)
            return Item(source, chapter, code, "found", detail, files)
        vintage = _vintage(pd.Series(sorted(codes))) if table in ("geo_lsoa", "population", "imd_lsoa") else ""
        if not wanted:
            return Item(source, chapter, code, "partial", f"{vintage}; cannot check the area without "
                        "an LSOA lookup".lstrip("; "), files, get)
        absent = wanted - codes
        if not absent:
            return Item(source, chapter, code, "found", vintage or f"{len(wanted)} areas", files)
        status = "missing" if absent == wanted else "partial"
        return Item(source, chapter, code, status,
                    f"{vintage}; {len(absent)} of {len(wanted)} codes of the area absent".lstrip("; "),
                    files, get)

    # -- area-coded tables --------------------------------------------------------------
    def coded(self, table: str, code: str) -> Item:
        source, chapter, page, pick = _SOURCES[table]
        get = f"{page} → {pick}"
        if table not in self.available:
            return Item(source, chapter, code, "missing", "", get=get)
        frame = self.frame(table)
        codes = frame["area_code"].astype(str)
        wanted, absent = self.own_or_members(code, set(codes))
        rows = frame[codes.isin(set(wanted) - set(absent))]
        return self.summed(source, chapter, code, rows, absent, wanted, self.files(_UNIT.get(table, table)), get)

    def own_or_members(self, code: str, held: set[str]) -> tuple[list[str], list[str]]:
        """The codes a chapter reads for an area (its own, else a partnership's listed members) and those absent.

        As :func:`cdp_analysis.indicators.demand.area_series` and the treatment chapter read them.
        """
        members = [m.code for m in self.registry.listed_members(code)]
        wanted = [code] if code in held or not members else members
        return wanted, [c for c in wanted if c not in held]

    @staticmethod
    def summed(source: str, chapter: str, code: str, rows: pd.DataFrame, absent: list[str], wanted: list[str],
               files: tuple[str, ...], get: str) -> Item:
        if len(absent) == len(wanted) or rows.empty:
            return Item(source, chapter, code, "missing", "the files hold no rows for this area", files, get)
        if absent:  # a partnership is summed only when every member has rows
            return Item(source, chapter, code, "partial", f"{_periods(rows)}; no rows for {', '.join(absent)}, so "
                        "the partnership's sums are not shown", files, get)
        return Item(source, chapter, code, "found", _periods(rows), files)

    def national(self, table: str, code: str) -> Item:
        source, chapter, page, pick = _SOURCES[table]
        if table not in self.available:
            return Item(source, chapter, code, "missing", "England and Wales only", get=f"{page} → {pick}")
        rows = self.frame(table)
        return Item(source, chapter, code, "found", "England and Wales; " + _periods(rows), self.files(table))

    def ndtms(self, code: str) -> Item:
        """NDTMS rows of an area as the treatment chapter reads them: its own, or all its listed members'."""
        source, chapter, page, pick = _NDTMS
        get = f"{page} → {pick}"
        if "ndtms" not in self.available:
            return Item(source, chapter, code, "missing", "", get=get)
        wanted, absent = self.own_or_members(code, self.ds.ndtms_areas(sex="total", age_group="total"))
        present = [c for c in wanted if c not in absent]
        rows = (self.ds.ndtms(["period"], area_code=present, sex="total", age_group="total") if present
                else pd.DataFrame({"period": []}))
        return self.summed(source, chapter, code, rows, absent, wanted, self.files("ndtms"), get)

    def alcohol_estimates(self, code: str) -> Item:
        """Estimated alcohol-dependent adults of an area (its own, or all its listed members')."""
        source, chapter, page, pick = _ALCOHOL_ESTIMATES
        get = f"{page} → {pick}"
        if "ndtms" not in self.available:
            return Item(source, chapter, code, "missing", "", get=get)
        wanted, absent = self.own_or_members(code, self.ds.ndtms_areas(measure="alcohol_dependent_adults"))
        present = [c for c in wanted if c not in absent]
        rows = (self.ds.ndtms(["period"], area_code=present, measure="alcohol_dependent_adults") if present
                else pd.DataFrame({"period": []}))
        return self.summed(source, chapter, code, rows, absent, wanted, self.files("ndtms"), get)

    def local(self, code: str) -> list[Item]:
        from cdp_analysis.sources.local import list_templates

        present = set(self.ds.local_names())
        items = []
        for name in list_templates():
            source = f"local return {name}"
            get = f"`cdp templates` writes local/{name}.csv: fill it in from your partners' records"
            if name not in LOCAL_READERS:
                items.append(Item(source, "local", code, "not read yet", "no chapter shows it yet", get=get))
                continue
            if name not in present:
                items.append(Item(source, LOCAL_READERS[name], code, "missing", "", get=get))
                continue
            rows = self.ds.local(name)
            rows = rows[rows["area_code"].astype(str) == code] if "area_code" in rows else rows
            files = self.files(f"local/{name}")
            if rows.empty:
                items.append(Item(source, LOCAL_READERS[name], code, "missing", "no rows for this area", files, get))
            else:
                items.append(Item(source, LOCAL_READERS[name], code, "found", _periods(rows), files))
        return items


_UNIT = {"lsoa_lookup": "lookup", "imd_lsoa": "imd", "census_ethnicity": "census"}


def _police_item(label: str, area: Area, forces: list[str], names: list[str],
                 by_month: dict[str, set[str]], include: str) -> Item:
    held = sorted(by_month)
    if len(names) > 4:
        names = [f"the {len(names)} forces of {area.name}"]
    covered = [m for m in held if set(forces) <= by_month[m]]
    span = _month_span(held)
    get = (f"{_POLICE_PAGE} → custom download → force: {', '.join(names) or 'the area’s force'}, "
           f"months {describe_months(span) if span else 'wanted'}, {include}"
           + (" (or the archive of all forces: https://data.police.uk/data/archive/, one zip a month)"
              if len(forces) > 4 else ""))
    if not forces:
        return Item(label, "supply", area.code, "missing", "the registry knows no police force for this area",
                    get=get)
    if not covered:
        present = sorted({f for fs in by_month.values() for f in fs})
        note = f"no month with {', '.join(names)}" + (f" (present: {', '.join(present)})" if present else "")
        return Item(label, "supply", area.code, "missing", note, get=get)
    gaps = [m for m in span if m not in covered]
    detail = f"{describe_months(covered)} ({len(covered)} months; {', '.join(names)})"
    if gaps:
        return Item(label, "supply", area.code, "partial",
                    f"{detail}; missing {describe_months(gaps)}", get=get)
    return Item(label, "supply", area.code, "found", detail)


def _month_span(months: Iterable[str]) -> list[str]:
    held = sorted(months)
    if not held:
        return []
    return [str(p) for p in pd.period_range(held[0], held[-1], freq="M")]


def _vintage(codes: pd.Series) -> str:
    lsoas = codes.dropna().astype(str)
    lsoas = lsoas[lsoas.str.startswith("E01")]
    if lsoas.empty:
        return ""
    return "LSOA 2021 codes" if (lsoas >= _LSOA_2021_FIRST).any() else "LSOA 2011 codes"


def _periods(rows: pd.DataFrame) -> str:
    if "period" not in rows:
        return f"{len(rows)} rows"
    periods = sorted(rows["period"].dropna().astype(str).unique())
    if not periods:
        return f"{len(rows)} rows"
    return periods[0] if len(periods) == 1 else f"{len(periods)} periods, {periods[0]} … {periods[-1]}"

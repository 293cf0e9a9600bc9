"""Read the processed tables that :func:`cdp_analysis.store.prepare.prepare` writes.

>>> ds = open_dataset("data/raw/demo", "data/processed")       # doctest: +SKIP
>>> ds.street_crime(lsoa_codes=["Z01000001"], crime_types=["Drugs"])  # doctest: +SKIP

Police tables are read with pyarrow dataset filters: months prune partition
folders, LSOA, crime-type and force filters are evaluated in the scan, repeated
strings arrive dictionary-encoded (categoricals), and only the rows and columns
asked for reach pandas.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from cdp_analysis.errors import ConfigError, DataFormatError, MissingDataError
from cdp_analysis.sources import police_uk
from cdp_analysis.store import editions

__all__ = ["Dataset", "open_dataset", "dataset_name", "TABLES"]

#: Table name -> path inside the processed folder (data_contract.md).
TABLES: dict[str, str] = {
    "street_crime": "street_crime",
    "stop_search": "stop_search",
    "outcomes": "outcomes",
    "indicators": "indicators.parquet",
    "geo_lsoa": "geo_lsoa.parquet",
    "geo_ward": "geo_ward.parquet",
    "geo_lad": "geo_lad.parquet",
    "lsoa_lookup": "lsoa_lookup.parquet",
    "population": "population.parquet",
    "imd_lsoa": "imd_lsoa.parquet",
    "census_ethnicity": "census_ethnicity.parquet",
    "children_in_need": "children_in_need.parquet",
    "looked_after": "looked_after.parquet",
    "exclusions": "exclusions.parquet",
    "pupil_headcount": "pupil_headcount.parquet",
    "csew": "csew.parquet",
    "ndtms": "ndtms.parquet",
    "homelessness": "homelessness.parquet",
    "reoffending": "reoffending.parquet",
}
_HINTS = {
    "street_crime": "police.uk street-crime CSVs (YYYY-MM-<force>-street.csv) or archives",
    "stop_search": "police.uk stop-and-search CSVs (YYYY-MM-<force>-stop-and-search.csv)",
    "outcomes": "police.uk outcomes CSVs (YYYY-MM-<force>-outcomes.csv)",
    "indicators": "a Fingertips export CSV",
    "geo_lsoa": "LSOA boundaries in a boundaries/ folder",
    "geo_ward": "ward boundaries in a boundaries/ folder",
    "geo_lad": "local authority boundaries in a boundaries/ folder",
    "lsoa_lookup": "an ONS LSOA lookup CSV (or LSOA and ward boundaries)",
    "population": "an ONS small-area population file",
    "imd_lsoa": "an IoD2019 IMD file",
    "census_ethnicity": "a Census 2021 ethnic group CSV (TS021 or a custom dataset)",
    "children_in_need": "the DfE children in need table C3 CSV (factors identified at the end of assessment)",
    "looked_after": "the DfE children looked after outcomes CSV (la_conviction_health_outcome_cla.csv)",
    "exclusions": "a DfE exclusions by reason CSV (reasons.csv or SFR35_2017_reason_for_exclusion.csv)",
    "pupil_headcount": "the DfE exclusions main table CSV with a headcount column",
    "csew": "the ONS CSEW drug misuse appendix tables workbook (drugsmisusetables<month><yy>.xlsx)",
    "ndtms": "an NDTMS ViewIt export CSV (all-LA or England layout) or the adult England table",
    "homelessness": "the MHCLG statutory homelessness detailed local authority tables, sheet A3 (Detailed_LA_<period>.xlsx)",
    "reoffending": "the MoJ proven reoffending local authority table (CSV or workbook)",
    "police_counts": "police.uk street-crime CSVs of any forces (the national archive for England)",
}
_LEVELS = ("lsoa", "ward", "lad")
_MONTH_PARTITIONING = pads.partitioning(pa.schema([("month", pa.string())]), flavor="hive")


class Dataset:
    """The processed tables of one dataset folder (``data/processed/<dataset>/``).

    Every reader raises :class:`~cdp_analysis.errors.MissingDataError` naming the
    table and the raw file that would produce it when the table is absent.
    """

    def __init__(self, processed_dir: str | os.PathLike, as_of: str | pd.Period | None = None) -> None:
        self.root = Path(processed_dir)
        #: The edition: only periods published by the end of this month are read
        #: (:mod:`cdp_analysis.store.editions`); None reads everything held.
        self.as_of: pd.Period | None = None if as_of in (None, "") else (
            as_of if isinstance(as_of, pd.Period) else editions.parse_month(as_of))
        if not self.root.is_dir():
            raise MissingDataError(
                f"No processed dataset at {self.root}: run `cdp prepare` (or "
                "cdp_analysis.store.prepare.prepare(source_dir, processed_dir)) first"
            )

    def __repr__(self) -> str:
        edition = "" if self.as_of is None else f", as_of={str(self.as_of)!r}"
        return f"Dataset({str(self.root)!r}{edition})"

    def edition(self, as_of: str | pd.Period | None) -> Dataset:
        """The same tables read as published by the end of the month ``as_of`` (None: everything held)."""
        return Dataset(self.root, as_of)

    def _dated(self, table: str, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (a read of ``table``) kept to the edition's published periods."""
        return frame if self.as_of is None else editions.published(table, frame, self.as_of)

    # -- what is there -----------------------------------------------------------------
    def available(self) -> list[str]:
        """Names of the tables present (``"local/<name>"`` for local returns)."""
        names = [name for name in TABLES if self._exists(name)]
        return names + [f"local/{name}" for name in self.local_names()]

    def local_names(self) -> list[str]:
        """Names of the local returns present."""
        folder = self.root / "local"
        return sorted(p.stem for p in folder.glob("*.parquet")) if folder.is_dir() else []

    def months(self, table: str = "street_crime") -> list[str]:
        """Months (``"YYYY-MM"``) held by a police table."""
        folder = self._path(table)
        held = sorted(p.name.split("=", 1)[1] for p in folder.glob("month=*")
                      if (p / "part-0.parquet").is_file())
        return held if self.as_of is None else editions.published_months(table, held, self.as_of)

    # -- police ------------------------------------------------------------------------
    def street_crime(
        self,
        lsoa_codes: Iterable[str] | str | None = None,
        crime_types: Iterable[str] | str | None = None,
        months: Iterable[object] | object | None = None,
        columns: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Street crime, filtered in the scan.

        Parameters
        ----------
        lsoa_codes
            Only crimes located in these LSOAs (whichever force reported them).
        crime_types
            Only these police.uk crime types (``"Drugs"`` …).
        months
            Only these months (``"YYYY-MM"``, Timestamps or Periods).
        columns
            Subset of :data:`~cdp_analysis.sources.police_uk.STREET_COLUMNS`, or
            ``"lsoa_code_original"``, the code as published.

        Returns
        -------
        pandas.DataFrame
            Columns and dtypes as :func:`~cdp_analysis.sources.police_uk.read_street_crime`;
            ``lsoa_code`` is on the lookup's LSOA vintage (:mod:`cdp_analysis.store.vintages`),
            ``<NA>`` for crimes in no LSOA of the lookup (:meth:`vintages` counts them).
        """
        filters = {"lsoa_code": lsoa_codes, "crime_type": crime_types}
        return self._police("street_crime", police_uk.STREET_COLUMNS, filters, months, columns)

    def stop_search(
        self,
        months: Iterable[object] | object | None = None,
        forces: Iterable[str] | str | None = None,
        columns: Iterable[str] | None = None,
        within: tuple[float, float, float, float] | None = None,
    ) -> pd.DataFrame:
        """Stop and search, optionally only some months and forces (file-name slugs).

        ``within`` (``min_longitude, min_latitude, max_longitude, max_latitude``)
        keeps only searches whose map point lies in that box, in the scan: a
        national table holds millions of searches, an area's box a few thousand
        (searches without coordinates are then left out, as no area can hold them).
        """
        box = None
        if within is not None:
            west, south, east, north = (float(v) for v in within)
            box = ((pads.field("longitude") >= west) & (pads.field("longitude") <= east)
                   & (pads.field("latitude") >= south) & (pads.field("latitude") <= north))
        return self._police("stop_search", police_uk.STOP_SEARCH_COLUMNS, {"force": forces},
                            months, columns, box)

    def outcomes(
        self,
        lsoa_codes: Iterable[str] | str | None = None,
        months: Iterable[object] | object | None = None,
        columns: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """police.uk outcomes (``Outcome type`` per Crime ID), optionally for some LSOAs and months."""
        return self._police("outcomes", police_uk.OUTCOMES_COLUMNS, {"lsoa_code": lsoa_codes},
                            months, columns)

    def _police(self, table: str, order: tuple[str, ...], filters: dict[str, Any],
                months: object, columns: Iterable[str] | None,
                extra: pads.Expression | None = None) -> pd.DataFrame:
        folder = self._path(table)
        wanted = list(order) if columns is None else list(columns)
        unknown = [c for c in wanted if c not in order and c != "lsoa_code_original"]
        if unknown:
            raise ValueError(f"unknown {table} column(s) {unknown}; choose from {list(order)}")
        expression = _kept(filters, ranged=("lsoa_code",))
        if extra is not None:
            expression = _and(expression, extra)
        if months is not None or self.as_of is not None:
            month_set = police_uk.month_set(months) or set() if months is not None else set(self.months(table))
            if self.as_of is not None:
                month_set = set(editions.published_months(table, month_set, self.as_of))
            expression = _and(expression, pads.field("month").isin(sorted(month_set)))
        kind = {"street_crime": police_uk.STREET, "stop_search": police_uk.STOP_SEARCH,
                "outcomes": police_uk.OUTCOMES}[table]
        categories = set(police_uk.CATEGORY_COLUMNS[kind])
        # a column filtered on is read as plain text (a filter on a dictionary column is
        # several times slower) and dictionary-encoded after, on the rows kept
        filtered = {column for column, values in filters.items() if values is not None}
        parquet = pads.ParquetFileFormat(
            read_options=pads.ParquetReadOptions(dictionary_columns=categories - filtered))
        data = pads.dataset(folder, format=parquet, partitioning=_MONTH_PARTITIONING)
        result = data.to_table(columns=wanted, filter=expression)
        for column in sorted((categories & filtered) & set(wanted)):
            at = result.schema.get_field_index(column)
            result = result.set_column(at, column, pc.dictionary_encode(result.column(column)))
        if "month" in wanted:
            stamps = pc.strptime(result.column("month"), format="%Y-%m", unit="ns")
            result = result.set_column(result.schema.get_field_index("month"), "month", stamps)
        return police_uk.police_table_to_frame(result)

    # -- small tables --------------------------------------------------------------------
    def indicators(self) -> pd.DataFrame:
        """The tidy indicator table (:data:`cdp_analysis.sources.schema.INDICATOR_COLUMNS`)."""
        return self._dated("indicators", _read(self._path("indicators")))

    def boundaries(self, level: str):  # -> geopandas.GeoDataFrame
        """Boundaries of ``"lsoa"``, ``"ward"`` or ``"lad"``: ``code, name, geometry``, EPSG:27700."""
        if level not in _LEVELS:
            raise ValueError(f"level must be one of {_LEVELS}, got {level!r}")
        import geopandas as gpd

        gdf = _read(self._path(f"geo_{level}"), gpd.read_parquet)
        gdf.attrs["level"] = level
        return gdf

    def lookup(self) -> pd.DataFrame:
        """LSOA → ward → LAD lookup (``lsoa_code, lsoa_name, ward_code, ward_name, lad_code, lad_name``)."""
        return _read(self._path("lsoa_lookup"))

    def population(self, area_codes: Iterable[str] | str | None = None,
                   sexes: Iterable[str] | str | None = None) -> pd.DataFrame:
        """Population: ``area_code, area_name, sex, age, population``; optionally only some areas and sexes.

        The filters are evaluated in the scan (the table is written sorted by area
        code): a national single-year-of-age table is millions of rows.
        """
        path = self._path("population")
        if area_codes is None and sexes is None:
            return _read(path)
        return pd.read_parquet(path, filters=_kept({"area_code": area_codes, "sex": sexes}, ranged=("area_code",)))

    def residents(self) -> pd.Series:
        """All residents per area code (``Persons`` rows where the table has them, else the sexes summed).

        The same as :func:`cdp_analysis.chapters.context.residents` of :meth:`population`,
        summed in Arrow without bringing the table into pandas, once per process
        while the table is unchanged.
        """
        return _read(self._path("population"), _residents)

    def imd(self) -> pd.DataFrame:
        """IMD 2019 by LSOA: ``lsoa_code, imd_score, imd_rank, imd_decile``."""
        return _read(self._path("imd_lsoa"))

    def census(self) -> pd.DataFrame:
        """Census 2021 residents by ethnic group: ``area_code, area_name, ethnic_group, population``."""
        return _read(self._path("census_ethnicity"))

    def children_in_need(self) -> pd.DataFrame:
        """DfE children in need (C3), drug and alcohol misuse factors: :data:`cdp_analysis.sources.dfe.TIDY_COLUMNS`."""
        return self._dated("children_in_need", _read(self._path("children_in_need")))

    def looked_after(self) -> pd.DataFrame:
        """DfE children looked after with a substance misuse problem: :data:`~cdp_analysis.sources.dfe.TIDY_COLUMNS`."""
        return self._dated("looked_after", _read(self._path("looked_after")))

    def exclusions(self) -> pd.DataFrame:
        """Exclusions and suspensions for drug and alcohol reasons, one series over all releases.

        Per area, year, measure and school type the latest release wins; with a
        pupil headcount table, ``denominator`` (pupils) and ``value`` (per 1,000
        pupils) are filled.
        """
        from cdp_analysis.sources import dfe

        frame = dfe.combine_exclusions(self._dated("exclusions", _read(self._path("exclusions"))))
        if self._exists("pupil_headcount"):
            frame = dfe.add_pupil_denominators(
                frame, self._dated("pupil_headcount", _read(self._path("pupil_headcount"))))
        return frame

    def csew(self) -> pd.DataFrame:
        """CSEW last-year drug use by drug, age and sex: :data:`cdp_analysis.sources.csew.CSEW_COLUMNS`."""
        return self._dated("csew", _read(self._path("csew")))

    def homelessness(self) -> pd.DataFrame:
        """Households owed a homelessness duty with drug or alcohol dependency needs (H-CLIC table A3):
        :data:`cdp_analysis.sources.homelessness.HCLIC_COLUMNS`, every period held."""
        return self._dated("homelessness", _read(self._path("homelessness")))

    def reoffending(self) -> pd.DataFrame:
        """Proven reoffending by authority, offender type and cohort:
        :data:`cdp_analysis.sources.reoffending.REOFFENDING_COLUMNS`."""
        return self._dated("reoffending", _read(self._path("reoffending")))

    def ndtms(self, columns: Iterable[str] | None = None, **filters: Iterable[str] | str | None) -> pd.DataFrame:
        """NDTMS treatment counts, tidy (:data:`cdp_analysis.sources.ndtms.NDTMS_COLUMNS`).

        Parameters
        ----------
        columns
            Only these columns (all by default).
        **filters
            Column name → value or values kept (``measure="exits"``,
            ``area_code=["E09000001", "E92000001"]``), evaluated in the scan: the
            table is written sorted by :data:`~cdp_analysis.sources.ndtms.NDTMS_SORT`, so row groups of other
            measures, breakdowns, sexes and ages are not read. A national export
            holds millions of rows; a chapter reads the few thousand it shows.
        """
        from cdp_analysis.sources.ndtms import NDTMS_COLUMNS

        unknown = [c for c in [*filters, *(columns or ())] if c not in NDTMS_COLUMNS]
        if unknown:
            raise ValueError(f"unknown ndtms column(s) {unknown}; choose from {list(NDTMS_COLUMNS)}")
        expression = _kept(filters)
        wanted = None if columns is None else list(columns)
        return self._dated("ndtms", _read(
            self._path("ndtms"), lambda path: pd.read_parquet(path, columns=wanted, filters=expression),
            what=f"ndtms {wanted} {expression}"))

    def ndtms_areas(self, **filters: Iterable[str] | str | None) -> set[str]:
        """The area codes the NDTMS table holds rows for (among the rows ``filters`` keep)."""
        import pyarrow.parquet as pq

        expression = _kept(filters)
        table = pq.read_table(self._path("ndtms"), columns=["area_code"], filters=expression,
                              read_dictionary=["area_code"])
        return {str(v) for v in pc.unique(table.column("area_code")).dictionary_decode().to_pylist()
                if v is not None}

    def local(self, name: str) -> pd.DataFrame:
        """The local return ``name`` (its template's file name without ``.csv``)."""
        path = self.root / "local" / f"{name}.parquet"
        if not path.is_file():
            _raise_local_error(self.root / "local" / f"{name}.error.json")
            known = ", ".join(self.local_names()) or "none"
            raise MissingDataError(
                f"No local return {name!r} in {self.root} (present: {known}); put "
                f"local/{name}.csv in the raw source folder and run `cdp prepare`"
            )
        return _read(path)

    def police_forces(self, table: str = "street_crime") -> dict[str, set[str]]:
        """Month (``"YYYY-MM"``) → police.uk force slugs whose files for that month hold rows.

        Read from the prepare manifest (which files made each month). A month whose
        files hold no rows at all (a header and nothing else) has no force: it is
        missing, not a month of zero crimes.
        """
        from cdp_analysis.sources.police_uk import parse_police_name

        found: dict[str, set[str]] = {}
        held = set(self.months(table)) if self._exists(table) else set()
        for key, unit in self.manifest().get("units", {}).items():
            kind, _, month = key.partition("/")
            if kind != table or month not in held or not unit.get("rows"):
                continue
            names = (parse_police_name(str(i)) for i in unit.get("inputs", []))
            found[month] = {n[1] for n in names if n is not None}
        return found

    def vintages(self) -> dict:  # -> dict[str, cdp_analysis.store.vintages.ReconcileReport]
        """How each table's LSOA codes were brought to the lookup's vintage, by table.

        :class:`~cdp_analysis.store.vintages.ReconcileReport` per table (``street_crime``,
        ``outcomes``, ``population``, ``imd``), added up over its parts: rows kept,
        moved (by code, by coordinates, by best fit, apportioned) and dropped by
        reason. Empty when no lookup was there to reconcile to.
        """
        from cdp_analysis.store.prepare import vintage_reports

        return vintage_reports(self.manifest().get("units", {}))
    def police_counts(self):  # -> cdp_analysis.store.police_counts.PoliceCounts
        """Street crimes by local authority, month and crime type, over every force prepared.

        Returns a :class:`~cdp_analysis.store.police_counts.PoliceCounts`: ``counts``
        (``lad_code, month, crime_type, count``) and ``forces_by_month`` (which
        forces' files each month holds), for England and region comparators
        (:func:`~cdp_analysis.store.police_counts.national_comparator_counts`).
        """
        from cdp_analysis.store.police_counts import read_police_counts

        path = self.root / "police_counts.parquet"
        if not path.is_file():
            raise MissingDataError(
                f"No police_counts table in {self.root}. It is made from {_HINTS['police_counts']} "
                "in the raw source folder: add the files and run `cdp prepare`."
            )
        counts = read_police_counts(path)
        if self.as_of is not None:
            kept = set(editions.published_months("police_counts", counts.forces_by_month, self.as_of))
            counts = type(counts)(counts.counts[counts.counts["month"].astype(str).isin(kept)].reset_index(drop=True),
                                  {m: f for m, f in counts.forces_by_month.items() if m in kept})
        return counts

    def manifest(self) -> dict:
        """The manifest :func:`~cdp_analysis.store.prepare.prepare` wrote (inputs → outputs)."""
        import json

        from cdp_analysis.store.prepare import MANIFEST_NAME

        path = self.root / MANIFEST_NAME
        return json.loads(path.read_text("utf-8")) if path.is_file() else {}

    # -- helpers -------------------------------------------------------------------------
    def _exists(self, table: str) -> bool:
        path = self.root / TABLES[table]
        if path.suffix == ".parquet":
            return path.is_file()
        return path.is_dir() and any(path.glob("month=*/part-0.parquet"))

    def _path(self, table: str) -> Path:
        if not self._exists(table):
            raise MissingDataError(
                f"No {table} table in {self.root}. It is made from {_HINTS[table]} in the raw "
                "source folder: add the file and run `cdp prepare`."
            )
        return self.root / TABLES[table]


#: Tables read in this process: (path, modification time, size, what was read) -> frame,
#: most recently used last. A warm kernel builds many pages of the same dataset: each
#: small table, and each filtered read the chapters repeat for every area, once.
_READ: OrderedDict[tuple[str, int, int, str], pd.DataFrame] = OrderedDict()
_READ_LOCK = threading.Lock()
_READ_MOST = 256  # entries kept (filtered NDTMS reads are a few MB at national scale)


def _raise_local_error(marker: Path) -> None:
    """Raise the error ``prepare`` kept for a malformed local return (file, line, column)."""
    import json

    try:
        record = json.loads(marker.read_text("utf-8"))
    except (OSError, ValueError):
        return
    raise DataFormatError(
        f"the local return is malformed and was not used: {record.get('reason', '')}",
        path=record.get("file") or marker.name, line=record.get("line"), column=record.get("column"),
        expected=record.get("expected"), found=record.get("found"),
    )


def _read(path: Path, reader: Callable[[Path], pd.DataFrame] = pd.read_parquet, what: str = "") -> pd.DataFrame:
    """A copy of a processed table (or of what ``reader`` makes of it), read once per process while unchanged.

    ``what`` tells reads of the same file apart (the reader and its filters).
    ``prepare`` replaces a table by renaming a new file over it, which changes its
    modification time (and usually size), so a rebuilt table is read afresh.
    """
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, what or f"{reader.__module__}.{reader.__qualname__}")
    with _READ_LOCK:
        frame = _READ.get(key)
        if frame is not None:
            _READ.move_to_end(key)
    if frame is None:
        frame = reader(path)
        with _READ_LOCK:
            for old in [k for k in _READ if k[0] == key[0] and k[1:3] != key[1:3]]:
                del _READ[old]  # an older version of the same file
            _READ[key] = frame
            while len(_READ) > _READ_MOST:
                _READ.popitem(last=False)
    return frame.copy()


def _residents(path: Path) -> pd.Series:
    """:meth:`Dataset.residents` from the population table at ``path``."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["area_code", "sex", "population"])
    if pc.any(pc.equal(table.column("sex"), "Persons")).as_py():
        table = table.filter(pc.equal(table.column("sex"), "Persons"))
    table = table.filter(pc.is_valid(table.column("area_code")))
    summed = table.group_by("area_code").aggregate([("population", "sum")]).sort_by("area_code")
    index = pd.Index(summed.column("area_code").to_pandas(), dtype="string", name="area_code")
    values = pc.fill_null(summed.column("population_sum"), 0.0).to_numpy()  # as pandas sums: 0 when all missing
    return pd.Series(values, index=index, name="population")


def _code_ranges(codes: set[str], column: str, most: int = 16) -> pads.Expression:
    """``column`` within a few ranges covering ``codes``: what row-group statistics can skip by.

    ``prepare`` writes police and population tables sorted by LSOA; an area's codes are mostly one or
    a few runs (ONS numbers LSOAs by local authority; newer codes sit apart), so
    splitting the sorted codes at their ``most - 1`` widest numeric gaps gives ranges
    that hold few other areas' LSOAs. ``isin`` keeps the exact set; this only prunes.
    """
    ordered = sorted(codes, key=lambda c: (c[:3], int(c[3:]) if c[3:].isdigit() else -1, c))
    if not ordered:
        return pads.field(column).isin([])
    numbers = [int(c[3:]) if c[3:].isdigit() else -1 for c in ordered]
    gaps = [(numbers[i + 1] - numbers[i] if ordered[i][:3] == ordered[i + 1][:3] and numbers[i] >= 0
             else float("inf"), i) for i in range(len(ordered) - 1)]
    cuts = sorted(i for gap, i in sorted(gaps, reverse=True)[: most - 1] if gap > 1)
    expression, start = None, 0
    for end in [*cuts, len(ordered) - 1]:
        run = ordered[start:end + 1]
        part = (pads.field(column) >= min(run)) & (pads.field(column) <= max(run))
        expression = part if expression is None else expression | part
        start = end + 1
    return expression


def _kept(filters: dict[str, Any], ranged: tuple[str, ...] = ()) -> pads.Expression | None:
    """The scan filter keeping rows whose ``column`` is among the given values, for every filter given.

    Columns in ``ranged`` (a table written sorted by them) also get the code ranges
    row-group statistics can skip by (:func:`_code_ranges`).
    """
    expression = None
    for column, values in filters.items():
        if values is not None:
            expression = _and(expression, pads.field(column).isin(sorted(_strings(values))))
            if column in ranged:
                expression = _and(expression, _code_ranges(_strings(values), column))
    return expression


def _and(left: pads.Expression | None, right: pads.Expression) -> pads.Expression:
    return right if left is None else left & right


def _strings(values: Iterable[str] | str) -> set[str]:
    if isinstance(values, str):
        return {values}
    return {str(v) for v in values}


# --------------------------------------------------------------------------- open
def dataset_name(source_dir: str | os.PathLike, processed_root: str | os.PathLike | None = None) -> str:
    """The processed folder name for a raw source folder.

    ``<raw>/<name>`` (the configured raw folder, or the ``raw`` folder beside
    ``processed_root``) gives ``<name>``, so ``data/raw/demo`` → ``demo``. Any other
    folder gives its name plus a short hash of its resolved path, so two folders
    with the same name never share processed tables.
    """
    source = Path(source_dir).resolve()
    raw_dirs = set()
    if processed_root is not None:
        raw_dirs.add(Path(processed_root).resolve().parent / "raw")
    try:
        from cdp_analysis.config import load_config

        raw_dirs.add(load_config().raw_dir.resolve())
    except ConfigError:
        pass
    if source.parent in raw_dirs:
        return source.name
    digest = hashlib.sha1(str(source).encode("utf-8")).hexdigest()[:8]
    return f"{source.name}-{digest}"


def open_dataset(
    source_dir: str | os.PathLike,
    processed_root: str | os.PathLike,
    *,
    name: str | None = None,
    progress: bool = True,
    as_of: str | pd.Period | None = None,
) -> Dataset:
    """Prepare ``source_dir`` into ``processed_root/<name>`` (idempotent) and open it.

    ``name`` defaults to :func:`dataset_name`. Preparing is cheap when nothing
    changed: inputs are compared by size and time, then by content hash.
    ``as_of`` opens the edition of that month (:mod:`cdp_analysis.store.editions`):
    everything is prepared, only what was published by then is read.
    """
    from cdp_analysis.store.prepare import prepare

    folder = Path(processed_root) / (name or dataset_name(source_dir, processed_root))
    prepare(source_dir, folder, progress=progress)
    return Dataset(folder, as_of)

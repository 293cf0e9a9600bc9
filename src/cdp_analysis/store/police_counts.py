"""The national police aggregate: street crimes by local authority, month and crime type.

A borough's police pages compare it with its region and England. Reading every
force's street-crime rows for that would read gigabytes; :func:`build_police_counts`
turns whatever police.uk files were prepared (any number of forces) into one small
table, ``police_counts.parquet`` (``lad_code, month, crime_type, outcome_group,
count``), that ``cdp prepare`` rebuilds only when a police month changes.

The crimes of :data:`OUTCOME_CRIME_TYPES` (drug offences) are split by the group of
their last outcome (:mod:`cdp_analysis.sources.police_outcomes`: charged or summonsed,
out of court, no further action, under investigation, unavailable), so a page can
set an area's "charged or summonsed" share beside its region's and England's; the
other crime types keep one row (``outcome_group`` missing), which keeps the table
small. Summing over ``outcome_group`` gives the counts by crime type as before.

Each crime is placed in a local authority by its LSOA: the LSOA lookup's LAD
when the lookup holds the LSOA, otherwise the LSOA name's prefix
(``"Barking and Dagenham 001A"`` → ``Barking and Dagenham``) matched to the
registry's names, a retired district's name following it into its successor
(``Aylesbury Vale`` → Buckinghamshire). Crimes without a location, or in an LSOA
placed in no English authority, keep an empty ``lad_code``: they count for no
area rather than the wrong one.

A comparator is only summed when it is covered whole:
:func:`national_comparator_counts` gives a region's (or England's) counts for the
months asked only when the files of every force policing it are present, with
rows, for each of those months; otherwise ``None``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cdp_analysis.areas import AreaRegistry
from cdp_analysis.errors import UnknownAreaError
from cdp_analysis.sources.police_outcomes import outcome_group
from cdp_analysis.vocabulary import ENGLAND_CODE

__all__ = [
    "COUNT_COLUMNS",
    "ENGLAND",
    "OUTCOME_CRIME_TYPES",
    "PoliceCounts",
    "build_police_counts",
    "comparator_counts",
    "comparator_outcomes",
    "count_month",
    "lad_of_lsoa_name",
    "national_comparator_counts",
    "read_police_counts",
    "write_police_counts",
]

COUNT_COLUMNS = ("lad_code", "month", "crime_type", "outcome_group", "count")
#: Crime types whose counts are split by outcome group.
OUTCOME_CRIME_TYPES = ("Drugs",)
ENGLAND = ENGLAND_CODE
_META_KEY = b"cdp_police_counts"
_LSOA_SUFFIX = re.compile(r"\s+\d{3}[A-Z]$")


@dataclass
class PoliceCounts:
    """The national aggregate and what it covers.

    Attributes
    ----------
    counts
        ``lad_code, month, crime_type, outcome_group, count``; ``lad_code`` is
        missing (``<NA>``) for crimes placed in no English local authority,
        ``outcome_group`` for crime types not in :data:`OUTCOME_CRIME_TYPES`.
    forces_by_month
        Month (``"YYYY-MM"``) → police.uk force slugs whose files for that month
        held rows.
    """

    counts: pd.DataFrame
    forces_by_month: dict[str, set[str]] = field(default_factory=dict)

    @property
    def months(self) -> list[str]:
        """The months the aggregate holds."""
        return sorted(self.forces_by_month)

    @property
    def forces(self) -> list[str]:
        """Every force present in at least one month."""
        return sorted(set().union(*self.forces_by_month.values())) if self.forces_by_month else []

    def covers(self, forces: Iterable[str], months: Iterable[str]) -> bool:
        """Whether every force in ``forces`` is present, with rows, in every month of ``months``."""
        needed = set(forces)
        wanted = list(months)
        if not needed or not wanted:
            return False
        return all(needed <= self.forces_by_month.get(m, set()) for m in wanted)


# --------------------------------------------------------------------------- build
def count_month(table: pa.Table) -> pa.Table:
    """Crimes by ``lsoa_code, lsoa_name, crime_type`` (and ``last_outcome`` when the table has it)
    in one month's street-crime table."""
    wanted = ["lsoa_code", "lsoa_name", "crime_type"] + (["last_outcome"] if "last_outcome" in table.column_names
                                                         else [])
    columns = {}
    for name in wanted:
        column = table.column(name)
        if pa.types.is_dictionary(column.type):
            column = pc.cast(column, pa.string())
        columns[name] = column
    small = pa.table(columns)
    return small.group_by(wanted).aggregate([([], "count_all")]).rename_columns([*wanted, "count"])


def lad_of_lsoa_name(names: Iterable[str], registry: AreaRegistry) -> dict[str, str]:
    """Local-authority codes of LSOA names, by the name's prefix (``"Arun 016B"`` → Arun).

    A prefix naming a retired district that merged into a current area gives the
    current area; a prefix the registry does not know (a Welsh authority, a typo)
    is left out of the result.
    """
    by_name: dict[str, str] = {}
    for area in registry.lower_tier(demo=None):
        by_name.setdefault(area.name.casefold(), area.code)
    for code in registry.legacy_codes():
        resolution = registry.resolve(code)
        if resolution.area is not None and resolution.area.is_lower_tier:
            by_name.setdefault(_legacy_name(registry, code).casefold(), resolution.area.code)
    found: dict[str, str] = {}
    for name in names:
        prefix = _LSOA_SUFFIX.sub("", str(name)).strip().casefold()
        if prefix in by_name:
            found[name] = by_name[prefix]
    return found


def _legacy_name(registry: AreaRegistry, code: str) -> str:
    return registry._legacy[code].name  # noqa: SLF001 - the registry keeps retired names privately


def _lads_of_lookup(lookup: pd.DataFrame | None, registry: AreaRegistry) -> dict[str, str]:
    """LSOA code → current LAD code from the lookup (retired LAD codes followed when merged)."""
    if lookup is None or lookup.empty:
        return {}
    pairs = lookup[["lsoa_code", "lad_code"]].dropna().astype(str).drop_duplicates("lsoa_code")
    current: dict[str, str | None] = {}
    legacy = set(registry.legacy_codes())
    for lad in pairs["lad_code"].unique():
        if lad not in registry and lad not in legacy:  # a Welsh authority: no error (its suggestions cost ~1 s)
            current[lad] = None
            continue
        try:
            area = registry.resolve(lad).area
        except UnknownAreaError:
            area = None
        current[lad] = area.code if area is not None and area.is_lower_tier else None
    return {lsoa: code for lsoa, lad in zip(pairs["lsoa_code"], pairs["lad_code"])
            if (code := current[lad]) is not None}


def build_police_counts(
    months: Mapping[str, pa.Table],
    forces_by_month: Mapping[str, Iterable[str]],
    registry: AreaRegistry,
    lookup: pd.DataFrame | None = None,
) -> PoliceCounts:
    """Aggregate prepared street-crime months into counts by LAD, month and crime type.

    Parameters
    ----------
    months
        Month → that month's street-crime table (at least ``lsoa_code, lsoa_name,
        crime_type``; ``last_outcome`` for the outcome groups), or an already
        counted table from :func:`count_month`. Without ``last_outcome`` every
        crime's ``outcome_group`` is missing.
    forces_by_month
        Month → force slugs whose files for it held rows.
    registry
        Names and codes of the local authorities.
    lookup
        The LSOA lookup (``lsoa_code, lad_code``), if the dataset has one.
    """
    by_code = _lads_of_lookup(lookup, registry)
    by_name: dict[str, str | None] = {}
    pieces = []
    for month, table in sorted(months.items()):  # one month in memory at a time, cut to LADs at once
        counted = table if "count" in table.column_names else count_month(table)
        frame = counted.to_pandas()
        lad = frame["lsoa_code"].map(by_code)
        unplaced = lad.isna() & frame["lsoa_name"].notna()
        new = [n for n in frame.loc[unplaced, "lsoa_name"].unique() if n not in by_name]
        if new:
            found = lad_of_lsoa_name(new, registry)
            by_name.update({n: found.get(n) for n in new})
        frame["lad_code"] = lad.fillna(frame["lsoa_name"].map(by_name)).astype("string")
        frame["outcome_group"] = _outcome_groups(frame)
        part = frame.groupby(["lad_code", "crime_type", "outcome_group"], dropna=False,
                             observed=True)["count"].sum().reset_index()
        part.insert(1, "month", month)
        pieces.append(part)
    columns = list(COUNT_COLUMNS)
    counts = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=columns)
    counts = counts[counts["count"] > 0]
    counts = counts.astype({"lad_code": "string", "month": "string", "crime_type": "string",
                            "outcome_group": "string", "count": "int64"})
    counts = counts.sort_values(["month", "lad_code", "crime_type", "outcome_group"], na_position="last",
                                ignore_index=True)[list(COUNT_COLUMNS)]
    forces = {m: set(forces_by_month.get(m, ())) for m in months}
    return PoliceCounts(counts, forces)


def _outcome_groups(frame: pd.DataFrame) -> pd.Series:
    """The outcome group of each counted row of :data:`OUTCOME_CRIME_TYPES`, else missing."""
    split = frame["crime_type"].astype("string").isin(OUTCOME_CRIME_TYPES).fillna(False).to_numpy(dtype=bool)
    groups = pd.Series(pd.NA, index=frame.index, dtype="string")
    if "last_outcome" in frame.columns and split.any():
        groups[split] = outcome_group(frame.loc[split, "last_outcome"]).to_numpy()
    return groups


# --------------------------------------------------------------------------- file
def write_police_counts(counts: PoliceCounts, path: str | Path) -> None:
    """Write the aggregate as Parquet, the forces by month in the file's metadata."""
    table = pa.Table.from_pandas(counts.counts, preserve_index=False)
    meta = {"forces_by_month": {m: sorted(f) for m, f in sorted(counts.forces_by_month.items())}}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           _META_KEY: json.dumps(meta).encode()})
    pq.write_table(table, path, compression="zstd")


def read_police_counts(path: str | Path) -> PoliceCounts:
    """Read what :func:`write_police_counts` wrote."""
    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {}).get(_META_KEY, b"{}"))
    forces = {m: set(f) for m, f in meta.get("forces_by_month", {}).items()}
    frame = table.to_pandas()
    if "outcome_group" not in frame.columns:  # written before the outcome groups
        frame.insert(3, "outcome_group", pd.NA)
    frame = frame.astype({"lad_code": "string", "month": "string", "crime_type": "string",
                          "outcome_group": "string", "count": "int64"})
    return PoliceCounts(frame[list(COUNT_COLUMNS)], forces)


# --------------------------------------------------------------------------- comparators
def national_comparator_counts(
    counts: PoliceCounts,
    registry: AreaRegistry,
    area_code: str,
    months: Iterable[str],
) -> dict[str, pd.DataFrame | None]:
    """Street crimes of the area's region and of England, summed over their local authorities.

    Parameters
    ----------
    counts
        The national aggregate (:meth:`cdp_analysis.store.dataset.Dataset.police_counts`).
    registry
        The area registry.
    area_code
        The focus area.
    months
        The months (``"YYYY-MM"``) the page shows.

    Returns
    -------
    dict
        Comparator code (the region, then England) → ``month, crime_type, count``,
        or ``None`` when the files of some force policing that comparator are
        missing for some of ``months`` (a partial sum would be wrong, not
        approximate). England for a real area is the real authorities only (the
        synthetic demo region is left out).
    """
    area = registry.get(area_code)
    wanted = sorted(set(months))
    comparators = []
    region = registry.region_of(area.code)
    if region is not None and region.code != area.code:
        comparators.append(region.code)
    if area.code != ENGLAND:
        comparators.append(ENGLAND)
    return {code: comparator_counts(counts, registry, code, wanted, real_only=not area.is_demo)
            for code in comparators}


def comparator_counts(
    counts: PoliceCounts,
    registry: AreaRegistry,
    code: str,
    months: Iterable[str],
    *,
    real_only: bool = True,
) -> pd.DataFrame | None:
    """Street crimes of any area (region, England, county, a group), summed over its local authorities.

    Parameters
    ----------
    counts
        The national aggregate.
    registry
        The area registry.
    code
        The area to sum.
    months
        The months (``"YYYY-MM"``) wanted.
    real_only
        Leave the synthetic demo authorities out (England for a real area).

    Returns
    -------
    pandas.DataFrame or None
        ``month, crime_type, count``, or ``None`` when the files of some force
        policing the area are missing for some of ``months``.
    """
    wanted = sorted(set(months))
    lads = [a for a in registry.members(code) if not (real_only and a.is_demo)]
    forces = {f for a in lads for f in registry.forces(a.code)}
    if not counts.covers(forces, wanted):
        return None
    rows = counts.counts[counts.counts["lad_code"].isin([a.code for a in lads])
                         & counts.counts["month"].isin(wanted)]
    return (rows.groupby(["month", "crime_type"], observed=True)["count"].sum()
            .reset_index().astype({"count": "int64"}))


def comparator_outcomes(
    counts: PoliceCounts,
    registry: AreaRegistry,
    code: str,
    months: Iterable[str],
    crime_type: str = "Drugs",
    *,
    real_only: bool = True,
) -> pd.DataFrame | None:
    """Crimes of one type by month and outcome group, summed over an area's local authorities.

    As :func:`comparator_counts` (``None`` when some force policing the area lacks
    a month), for a crime type of :data:`OUTCOME_CRIME_TYPES`. Also ``None`` when
    the aggregate was built without outcomes (every ``outcome_group`` missing for
    that crime type).

    Returns
    -------
    pandas.DataFrame or None
        ``month, outcome_group, count``.
    """
    if crime_type not in OUTCOME_CRIME_TYPES:
        raise ValueError(f"{crime_type!r} is not split by outcome in the aggregate ({OUTCOME_CRIME_TYPES})")
    wanted = sorted(set(months))
    lads = [a for a in registry.members(code) if not (real_only and a.is_demo)]
    forces = {f for a in lads for f in registry.forces(a.code)}
    if not counts.covers(forces, wanted):
        return None
    table = counts.counts
    rows = table[table["lad_code"].isin([a.code for a in lads]) & table["month"].isin(wanted)
                 & (table["crime_type"] == crime_type)]
    if len(rows) and rows["outcome_group"].isna().all():
        return None
    return (rows.dropna(subset=["outcome_group"]).groupby(["month", "outcome_group"], observed=True)["count"]
            .sum().reset_index().astype({"count": "int64"}))

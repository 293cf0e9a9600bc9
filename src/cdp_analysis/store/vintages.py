"""Bring LSOA data of different vintages to the one vintage of the lookup.

police.uk files name the LSOA 2011 of each crime (the force's own geography),
the mid-2019 population estimates and IMD 2019 are on LSOA 2011, while the ONS
lookup that places LSOAs in wards and local authorities is on LSOA 2021. A
2011 code that was split or merged in 2021 is not in a 2021 lookup, so without
this step its crimes and residents fall out of every area without a word. Here,
before anything is counted, every LSOA code is brought to the lookup's vintage:

* a code already in the lookup is kept;
* a 2011 code linked to a single 2021 LSOA (unchanged, or merged with others)
  is mapped by code;
* a 2011 code linked to several 2021 LSOAs (split, or redrawn):

  - **crimes** go to the 2021 LSOA, among those children, that holds the
    crime's published coordinates (point in polygon; the nearest child when the
    point falls just outside them all, as generalised boundaries leave slivers).
    Without coordinates or boundaries, the best fit: the child with the largest
    weight (the 2021 population when given, else its share of the 2011 LSOA's
    area);
  - **residents** are apportioned over the children: in equal shares for a
    split (LSOAs are built to hold similar numbers of people, and a 2011 LSOA
    was split because it had grown), or in proportion to the children's 2021
    population when it is given; a redrawn LSOA in proportion to area shares;
  - **IMD** values (defined for 2011 LSOAs only) are copied to each child; a
    2021 LSOA formed from several 2011 LSOAs takes the values of the best-fit
    parent (the largest weight, as above).

The 2011 → 2021 links come from the ONS "LSOA (2011) to LSOA (2021)" lookup
where it is available, else from the two boundary sets by area overlap
(:func:`cdp_analysis.sources.lookups.lsoa_changes`): columns ``lsoa11_code,
lsoa21_code, change, share_of_lsoa11_area``.

Every row that cannot be placed in an LSOA of the lookup is counted by reason
in a :class:`ReconcileReport`; crimes stay in the table with an empty
``lsoa_code`` (and their published code in ``lsoa_code_original``), so no area
counts them and the report says how many. Functions here are pure: frames in,
frames out, no files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdp_analysis.errors import SchemaError

__all__ = [
    "NO_LSOA",
    "UNKNOWN_LSOA",
    "ALREADY_GIVEN",
    "ReconcileReport",
    "reconcile_crimes",
    "reconcile_population",
    "reconcile_imd",
]

#: Reasons a row is placed in no LSOA of the lookup.
NO_LSOA = "no LSOA (no location published)"
UNKNOWN_LSOA = "LSOA code neither in the lookup nor linked to one of its LSOAs"
ALREADY_GIVEN = "LSOA also given in the lookup's vintage (that value is used)"

_CHANGE_COLUMNS = ("lsoa11_code", "lsoa21_code", "change", "share_of_lsoa11_area")
_LSOA_LIKE = r"^[EW]01\d{6}$"


@dataclass
class ReconcileReport:
    """How the rows of one table were brought to the lookup's LSOA vintage.

    Counts are rows of the table: ``kept`` already in the lookup, ``by_code``
    mapped one to one (unchanged or merged 2011 LSOAs), ``by_coordinates`` placed
    in a split LSOA's child by their coordinates, ``by_best_fit`` sent to the
    best-fit child, ``apportioned`` spread over several children (population),
    ``dropped`` placed in no LSOA, by reason.
    """

    table: str
    rows: int = 0
    kept: int = 0
    by_code: int = 0
    by_coordinates: int = 0
    by_best_fit: int = 0
    apportioned: int = 0
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def moved(self) -> int:
        """Rows whose LSOA code changed to the lookup's vintage."""
        return self.by_code + self.by_coordinates + self.by_best_fit + self.apportioned

    @property
    def dropped_total(self) -> int:
        """Rows placed in no LSOA of the lookup."""
        return sum(self.dropped.values())

    def merge(self, other: ReconcileReport) -> ReconcileReport:
        """The two reports added up (e.g. two police months)."""
        dropped = dict(self.dropped)
        for reason, n in other.dropped.items():
            dropped[reason] = dropped.get(reason, 0) + n
        counts = {k: getattr(self, k) + getattr(other, k) for k in _COUNTS}
        return ReconcileReport(self.table, dropped=dropped, **counts)

    def to_dict(self) -> dict:
        """Plain JSON-able form (for the prepare manifest)."""
        return {"table": self.table, **{k: getattr(self, k) for k in _COUNTS},
                "dropped": dict(self.dropped)}

    @classmethod
    def from_dict(cls, data: dict) -> ReconcileReport:
        """Inverse of :meth:`to_dict`."""
        return cls(str(data["table"]), dropped={str(k): int(v) for k, v in data.get("dropped", {}).items()},
                   **{k: int(data.get(k, 0)) for k in _COUNTS})

    def summary(self) -> str:
        """One plain line, e.g. for the prepare summary."""
        parts = [f"{self.table}: {self.rows:,} rows"]
        if self.moved:
            how = [f"{n:,} {label}" for n, label in (
                (self.by_code, "by code"), (self.by_coordinates, "by coordinates"),
                (self.by_best_fit, "by best fit"), (self.apportioned, "apportioned"))
                if n]
            parts.append(f"{self.moved:,} moved to the lookup's LSOAs ({', '.join(how)})")
        if self.dropped:
            why = ", ".join(f"{n:,} {reason}" for reason, n in sorted(self.dropped.items()))
            parts.append(f"{self.dropped_total:,} in no LSOA of the lookup, counted in no area ({why})")
        return "; ".join(parts)


_COUNTS = ("rows", "kept", "by_code", "by_coordinates", "by_best_fit", "apportioned")


# --------------------------------------------------------------------------- links
def _lookup_codes(lookup: pd.DataFrame | Iterable[str]) -> set[str]:
    if isinstance(lookup, pd.DataFrame):
        return set(lookup["lsoa_code"].dropna().astype(str))
    return {str(c) for c in lookup}


def _lookup_names(lookup: pd.DataFrame | Iterable[str]) -> pd.Series | None:
    if isinstance(lookup, pd.DataFrame) and "lsoa_name" in lookup.columns:
        return pd.Series(lookup["lsoa_name"].to_numpy(), index=lookup["lsoa_code"].astype(str).to_numpy())
    return None


def _links(changes: pd.DataFrame | None, codes: set[str], weights: pd.Series | None) -> pd.DataFrame:
    """2011 → 2021 links of 2011 codes missing from the lookup, into codes of the lookup.

    Columns: ``old, new, change, weight, n`` (number of links of ``old``).
    """
    empty = pd.DataFrame({"old": pd.Series([], dtype=object), "new": pd.Series([], dtype=object),
                          "change": pd.Series([], dtype=object), "weight": pd.Series([], dtype=float),
                          "n": pd.Series([], dtype=int)})
    if changes is None or changes.empty:
        return empty
    missing = [c for c in _CHANGE_COLUMNS if c not in changes.columns]
    if missing:
        raise SchemaError(f"changes lacks column(s) {missing}", column=str(missing[0]),
                          expected=f"columns {list(_CHANGE_COLUMNS)}")
    links = pd.DataFrame({
        "old": changes["lsoa11_code"].astype(str).to_numpy(),
        "new": changes["lsoa21_code"].astype(str).to_numpy(),
        "change": changes["change"].astype(str).to_numpy(),
        "weight": changes["share_of_lsoa11_area"].astype(float).to_numpy(),
    })
    links = links[~links["old"].isin(codes) & links["new"].isin(codes)]
    if weights is not None:
        links["weight"] = links["new"].map(weights).astype(float).fillna(links["weight"])
    links = links.sort_values(["old", "weight", "new"], ascending=[True, False, True], ignore_index=True)
    links["n"] = links.groupby("old")["new"].transform("size")
    return links


def _count_links(report: ReconcileReport, codes: pd.Series, links: pd.DataFrame) -> None:
    """Count rows to move by code (one link), to apportion (several) and unknown (none)."""
    report.by_code = int(codes.isin(links.loc[links["n"] == 1, "old"]).sum())
    report.apportioned = int(codes.isin(links.loc[links["n"] > 1, "old"]).sum())
    unknown = int(len(codes) - report.by_code - report.apportioned)
    report.dropped = {UNKNOWN_LSOA: unknown} if unknown else {}


def _best_fit(links: pd.DataFrame) -> pd.Series:
    """2011 code → its best-fit 2021 code (links are sorted by weight, largest first)."""
    first = links.drop_duplicates("old")
    return pd.Series(first["new"].to_numpy(), index=first["old"].to_numpy())


# --------------------------------------------------------------------------- crimes
def reconcile_crimes(
    crimes: pd.DataFrame,
    lookup: pd.DataFrame | Iterable[str],
    changes: pd.DataFrame | None = None,
    boundaries=None,  # geopandas.GeoDataFrame of the lookup's LSOAs, or None
    *,
    weights: pd.Series | None = None,
    table: str = "street_crime",
) -> tuple[pd.DataFrame, ReconcileReport]:
    """Put every crime in an LSOA of the lookup's vintage.

    Parameters
    ----------
    crimes
        police.uk rows with ``lsoa_code`` and, for split LSOAs, ``longitude`` and
        ``latitude`` (WGS84); ``lsoa_name`` is renamed with the lookup's names.
    lookup
        The target LSOAs: the lookup frame (``lsoa_code``, ``lsoa_name``) or codes.
    changes
        2011 → 2021 links (``lsoa11_code, lsoa21_code, change,
        share_of_lsoa11_area``); None: codes outside the lookup are dropped.
    boundaries
        Boundaries of the lookup's LSOAs (``code``, geometry, a CRS) for the
        point-in-polygon step; None: split LSOAs go to their best-fit child.
    weights
        2021 residents by LSOA for the best-fit rule (default: area shares).
    table
        Name used in the report.

    Returns
    -------
    (pandas.DataFrame, ReconcileReport)
        The rows in the same order, ``lsoa_code`` in the lookup's vintage (``<NA>``
        where no LSOA of the lookup can hold the crime) and the published code in
        a new ``lsoa_code_original`` column; the report of what moved and what
        was dropped, by reason.
    """
    if "lsoa_code" not in crimes.columns:
        raise SchemaError("crimes must have an 'lsoa_code' column", column="lsoa_code")
    codes = _lookup_codes(lookup)
    original = crimes["lsoa_code"].astype("string")
    original = original.where(original.str.strip() != "")
    result = original.where(original.isin(codes))
    report = ReconcileReport(table, rows=len(crimes), kept=int(result.notna().sum()))
    no_lsoa = original.isna()
    todo = ~no_lsoa & result.isna()
    links = _links(changes, codes, weights)
    n_links = original.map(links.drop_duplicates("old").set_index("old")["n"]).fillna(0).astype(int)

    single = todo & (n_links == 1)
    result[single] = original[single].map(_best_fit(links))
    report.by_code = int(single.sum())

    several = todo & (n_links > 1)
    placed = _by_coordinates(crimes[several], original[several], links, boundaries)
    result[placed.index] = placed
    report.by_coordinates = int(len(placed))
    rest = several & result.isna()
    result[rest] = original[rest].map(_best_fit(links))
    report.by_best_fit = int(rest.sum())

    dropped = {NO_LSOA: int(no_lsoa.sum()), UNKNOWN_LSOA: int((todo & (n_links == 0)).sum())}
    report.dropped = {k: v for k, v in dropped.items() if v}
    out = crimes.copy()
    out["lsoa_code"] = result.astype("string")
    out["lsoa_code_original"] = original
    names = _lookup_names(lookup)
    if names is not None and "lsoa_name" in out.columns:
        moved = result.notna() & (result != original).fillna(True)
        out["lsoa_name"] = out["lsoa_name"].astype("string")
        out.loc[moved, "lsoa_name"] = result[moved].map(names).astype("string")
    return out, report


def _by_coordinates(rows: pd.DataFrame, original: pd.Series, links: pd.DataFrame, boundaries) -> pd.Series:
    """The child LSOA holding (or nearest to) each row's point; rows without one are left out."""
    if boundaries is None or rows.empty or not {"longitude", "latitude"} <= set(rows.columns):
        return pd.Series([], dtype="string")
    import geopandas as gpd
    import shapely

    lon = pd.to_numeric(rows["longitude"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(rows["latitude"], errors="coerce").to_numpy(dtype=float)
    located = np.isfinite(lon) & np.isfinite(lat)
    if not located.any():
        return pd.Series([], dtype="string")
    crs = boundaries.crs or "EPSG:27700"
    points = gpd.GeoSeries(gpd.points_from_xy(lon[located], lat[located]), crs="EPSG:4326").to_crs(crs)
    candidates = pd.DataFrame({"row": rows.index[located], "old": original.to_numpy()[located],
                               "point": np.asarray(points.values, dtype=object)})
    candidates = candidates.merge(links[["old", "new"]], on="old")
    shapes = pd.Series(np.asarray(boundaries.geometry.values, dtype=object),
                       index=boundaries["code"].astype(str).to_numpy())
    shapes = shapes[~shapes.index.duplicated()]
    geoms = candidates["new"].map(shapes)
    candidates = candidates[geoms.notna()].assign(geom=geoms[geoms.notna()])
    if candidates.empty:
        return pd.Series([], dtype="string")
    candidates["distance"] = shapely.distance(
        np.asarray(candidates["point"].to_numpy(), dtype=object), np.asarray(candidates["geom"].to_numpy(), dtype=object))
    nearest = candidates.sort_values(["row", "distance", "new"]).drop_duplicates("row")
    return pd.Series(nearest["new"].to_numpy(), index=nearest["row"].to_numpy(), dtype="string")


# --------------------------------------------------------------------------- population
def reconcile_population(
    population: pd.DataFrame,
    lookup: pd.DataFrame | Iterable[str],
    changes: pd.DataFrame | None = None,
    *,
    weights: pd.Series | None = None,
    code_column: str = "area_code",
    value_column: str = "population",
    table: str = "population",
) -> tuple[pd.DataFrame, ReconcileReport]:
    """Residents of LSOAs of any vintage, on the lookup's LSOAs.

    Rows whose code is not an LSOA (not ``E01…``/``W01…``, not in the lookup or
    the links) — local authorities, regions — pass through. An LSOA row in the lookup is kept; one linked to a
    single 2021 LSOA is renamed; one linked to several is apportioned over them
    (a split in equal shares, or by ``weights``, the children's 2021 residents;
    a redrawn LSOA by area shares), then rows of the same LSOA and breakdown
    (sex, age …) are added up. An LSOA row linked to nothing is dropped and
    counted. The total of the kept and moved rows is unchanged.

    Returns
    -------
    (pandas.DataFrame, ReconcileReport)
        The same columns, LSOA rows on the lookup's codes (names from the
        lookup); the report counts input rows.
    """
    codes = _lookup_codes(lookup)
    area = population[code_column].astype(str)
    links = _links(changes, codes, weights)
    lsoa_like = area.str.match(_LSOA_LIKE) | area.isin(codes) | area.isin(set(links["old"]))
    keep = ~lsoa_like | area.isin(codes)
    report = ReconcileReport(table, rows=len(population), kept=int((lsoa_like & keep).sum()))
    todo = population[~keep]
    links = links.assign(share=_shares(links, weights is not None))
    spread = todo.merge(links, left_on=code_column, right_on="old")
    _count_links(report, todo[code_column], links)
    if spread.empty:
        return population[keep].reset_index(drop=True), report
    spread[value_column] = spread[value_column] * spread["share"]
    spread[code_column] = spread["new"]
    names = _lookup_names(lookup)
    if names is not None and "area_name" in spread.columns:
        spread["area_name"] = spread["new"].map(names)
    keys = [c for c in population.columns if c not in (value_column, "area_name")]
    grouped = spread.groupby(keys, dropna=False, observed=True, sort=False)
    moved = grouped[value_column].sum(min_count=1).reset_index()
    if "area_name" in population.columns:
        moved = moved.merge(grouped["area_name"].first().reset_index(), on=keys)
    already = moved[code_column].isin(set(population.loc[keep, code_column].astype(str)))
    if already.any():  # the same LSOA is also given in the lookup's vintage: that wins
        given = spread.loc[spread[code_column].isin(set(moved.loc[already, code_column])), "old"]
        report.dropped[ALREADY_GIVEN] = int(todo[code_column].isin(set(given)).sum())
    out = pd.concat([population[keep], moved.loc[~already, list(population.columns)]], ignore_index=True)
    return out.astype(population.dtypes.to_dict()), report


def _shares(links: pd.DataFrame, weighted: bool) -> pd.Series:
    """Share of a 2011 LSOA's value each of its links receives."""
    equal = 1.0 / links["n"]
    by_weight = links["weight"] / links.groupby("old")["weight"].transform("sum")
    use_weight = (links["change"] != "split") | weighted
    return by_weight.where(use_weight & by_weight.notna(), equal)


# --------------------------------------------------------------------------- IMD
def reconcile_imd(
    imd: pd.DataFrame,
    lookup: pd.DataFrame | Iterable[str],
    changes: pd.DataFrame | None = None,
    *,
    weights: pd.Series | None = None,
    table: str = "imd",
) -> tuple[pd.DataFrame, ReconcileReport]:
    """IMD 2019 (LSOA 2011) values on the lookup's LSOAs.

    A 2021 LSOA in the lookup with the same code keeps its row. A child of a
    split takes its parent's values; a 2021 LSOA formed from several 2011 LSOAs
    takes those of the best-fit parent (largest ``weights``, i.e. 2011 residents,
    when given, else the largest share of the parent's area). Ranks and deciles
    stay those of the 2011 LSOA in IMD 2019. ``lsoa_code_original`` names the
    2011 LSOA the values come from.

    Returns
    -------
    (pandas.DataFrame, ReconcileReport)
        The IMD columns plus ``lsoa_code_original``, one row per LSOA; the report
        counts input rows (a split parent's row counts once, under ``by_code``
        when it has one child, else ``apportioned``).
    """
    codes = _lookup_codes(lookup)
    original = imd["lsoa_code"].astype(str)
    keep = original.isin(codes)
    report = ReconcileReport(table, rows=len(imd), kept=int(keep.sum()))
    links = _links(changes, codes, None)
    if weights is not None:  # weights of the 2011 parents
        links["weight"] = links["old"].map(weights).astype(float).fillna(links["weight"])
    todo = imd[~keep]
    moved = todo.merge(links[["old", "new", "weight", "n"]], left_on="lsoa_code", right_on="old")
    _count_links(report, todo["lsoa_code"], links)
    moved = moved.sort_values(["new", "weight", "old"], ascending=[True, False, True])
    moved = moved.drop_duplicates("new").assign(lsoa_code_original=lambda f: f["lsoa_code"], lsoa_code=lambda f: f["new"])
    kept = imd[keep].assign(lsoa_code_original=imd.loc[keep, "lsoa_code"])
    moved = moved[~moved["lsoa_code"].isin(kept["lsoa_code"].astype(str))]
    columns = [*imd.columns, "lsoa_code_original"]
    out = pd.concat([f[columns] for f in (kept, moved) if not f.empty] or [kept[columns]], ignore_index=True)
    out["lsoa_code"] = out["lsoa_code"].astype(imd["lsoa_code"].dtype)
    out["lsoa_code_original"] = out["lsoa_code_original"].astype(imd["lsoa_code"].dtype)
    return out, report

"""Geography lookups: LSOA → ward → local authority, LAD → region, LSOA 2011 → 2021.

ONS Open Geography Portal lookup CSVs name their columns by entity and vintage
(``LSOA21CD``, ``WD25CD``, ``LAD25NM``…). :func:`read_lsoa_lookup` reads any such
vintage into one table::

    lsoa_code, lsoa_name, ward_code, ward_name, lad_code, lad_name

and records the vintages in ``attrs`` (``{"lsoa": "2021", "ward": "WD25", "lad": "LAD25"}``).
When only boundaries are available, :func:`lookup_from_boundaries` derives the same
table by spatial join, :func:`lsoa_2011_to_2021` maps LSOA 2011 codes onto LSOA
2021 codes by area overlap (best fit), and :func:`lsoa_changes` lists every
2011 → 2021 link (all the children of a split) for :mod:`cdp_analysis.store.vintages`.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cdp_analysis.errors import DataFormatError, MissingDataError
from cdp_analysis.sources._common import detect_encoding, line_of

__all__ = [
    "LOOKUP_COLUMNS",
    "CHANGE_TYPES",
    "is_lookup",
    "read_lsoa_lookup",
    "read_lad_region_lookup",
    "lookup_from_boundaries",
    "lsoa_2011_to_2021",
    "lsoa_changes",
]

#: Columns of the LSOA lookup table, in order.
LOOKUP_COLUMNS = ("lsoa_code", "lsoa_name", "ward_code", "ward_name", "lad_code", "lad_name")
#: Values of ``change`` in :func:`lsoa_2011_to_2021` (ONS CHGIND U, S, M, X).
CHANGE_TYPES = ("unchanged", "split", "merged", "complex")

_ENTITY = re.compile(r"^(?P<kind>lsoa|wd|lad|ltla|rgn)(?P<yy>\d{2})(?P<part>cd|nm)$", re.IGNORECASE)
_ROLE = {"lsoa": "lsoa", "wd": "ward", "lad": "lad", "ltla": "lad", "rgn": "region"}


# -- ONS lookup CSVs ------------------------------------------------------------------------------


def _header(path: Path) -> tuple[list[str], str]:
    if not path.exists():
        raise MissingDataError(f"lookup file not found: {path}")
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        header = next(csv.reader(handle), [])
    return [h.strip() for h in header], encoding


def _entity_columns(header: list[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(role, "cd"/"nm") -> (column, vintage), first match of each role wins."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for column in header:
        match = _ENTITY.match(column)
        if match is None:
            continue
        kind, yy, part = match["kind"].lower(), match["yy"], match["part"].lower()
        vintage = f"20{yy}" if kind == "lsoa" else f"{kind.upper()}{yy}"
        found.setdefault((_ROLE[kind], part), (column, vintage))
    return found


def is_lookup(path: str | Path) -> bool:
    """Whether ``path`` is an ONS LSOA lookup CSV (``LSOAyyCD``, ``WDyyCD`` and ``LADyyCD``).

    Never raises: anything unreadable is simply not a lookup. A file with LSOA and
    LAD columns but no ward (e.g. a crime table by LSOA) is not a lookup: the
    reader needs all three levels.
    """
    path = Path(path)
    if path.suffix.lower() != ".csv" or not path.is_file():
        return False
    try:
        header, _ = _header(path)
    except Exception:
        return False
    roles = _entity_columns(header)
    return all(role in roles for role in (("lsoa", "cd"), ("ward", "cd"), ("lad", "cd")))


def read_lsoa_lookup(path: str | Path) -> pd.DataFrame:
    """Read an ONS LSOA → ward → LAD lookup CSV of any vintage.

    Parameters
    ----------
    path
        CSV with ``LSOA11CD``/``LSOA21CD``, ``WDyyCD`` and ``LADyyCD`` (or
        ``LTLAyyCD``) columns and their ``…NM`` names; UTF-8 (with or without BOM)
        or Windows-1252. Extra columns (Welsh names, ``ObjectId``…) are ignored.

    Returns
    -------
    pandas.DataFrame
        :data:`LOOKUP_COLUMNS` as strings, one row per LSOA; ``attrs`` holds
        ``lsoa_vintage`` (``"2011"``/``"2021"``), ``ward_vintage`` (``"WD25"``),
        ``lad_vintage`` (``"LAD25"``) and ``source``.

    Raises
    ------
    MissingDataError
        The file does not exist.
    DataFormatError
        A code or name column is missing, a code is empty (naming line and
        column) or an LSOA appears twice.
    """
    path = Path(path)
    header, encoding = _header(path)
    roles = _entity_columns(header)
    required = {
        ("lsoa", "cd"): "LSOA11CD or LSOA21CD", ("lsoa", "nm"): "LSOA11NM or LSOA21NM",
        ("ward", "cd"): "WDyyCD", ("ward", "nm"): "WDyyNM",
        ("lad", "cd"): "LADyyCD", ("lad", "nm"): "LADyyNM",
    }
    _require_roles(path, header, roles, required)
    columns = {out: roles[key][0] for out, key in zip(LOOKUP_COLUMNS, required)}
    frame = pd.read_csv(
        path, encoding=encoding, dtype=str, keep_default_na=False,
        usecols=list(columns.values()), skipinitialspace=True,
    )
    frame.columns = [c.strip() for c in frame.columns]
    frame = frame.rename(columns={v: k for k, v in columns.items()})[list(LOOKUP_COLUMNS)]
    frame = frame.apply(lambda s: s.str.strip()).astype("string")
    for out in ("lsoa_code", "ward_code", "lad_code"):
        _no_empty(path, frame[out], columns[out])
    _no_duplicates(path, frame["lsoa_code"], columns["lsoa_code"])
    frame.attrs = {
        "source": str(path),
        "lsoa_vintage": roles[("lsoa", "cd")][1],
        "ward_vintage": roles[("ward", "cd")][1],
        "lad_vintage": roles[("lad", "cd")][1],
    }
    return frame


def read_lad_region_lookup(path: str | Path) -> pd.DataFrame:
    """Read an ONS LAD → region lookup (``LADyyCD, LADyyNM, RGNyyCD, RGNyyNM``).

    Returns
    -------
    pandas.DataFrame
        ``lad_code, lad_name, region_code, region_name``; ``attrs`` holds
        ``lad_vintage`` and ``region_vintage`` (``"LAD19"``, ``"RGN19"``).

    Raises
    ------
    MissingDataError
        The file does not exist.
    DataFormatError
        A column is missing, a code is empty or a LAD appears twice.
    """
    path = Path(path)
    header, encoding = _header(path)
    roles = _entity_columns(header)
    required = {("lad", "cd"): "LADyyCD", ("lad", "nm"): "LADyyNM",
                ("region", "cd"): "RGNyyCD", ("region", "nm"): "RGNyyNM"}
    _require_roles(path, header, roles, required)
    names = ("lad_code", "lad_name", "region_code", "region_name")
    columns = {out: roles[key][0] for out, key in zip(names, required)}
    frame = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False, usecols=list(columns.values()))
    frame.columns = [c.strip() for c in frame.columns]
    frame = frame.rename(columns={v: k for k, v in columns.items()})[list(names)]
    frame = frame.apply(lambda s: s.str.strip()).astype("string")
    for out in ("lad_code", "region_code"):
        _no_empty(path, frame[out], columns[out])
    _no_duplicates(path, frame["lad_code"], columns["lad_code"])
    frame.attrs = {
        "source": str(path),
        "lad_vintage": roles[("lad", "cd")][1],
        "region_vintage": roles[("region", "cd")][1],
    }
    return frame


def _no_empty(path: Path, codes: pd.Series, column: str) -> None:
    empty = codes.isna() | (codes == "")
    if empty.any():
        position = int(np.flatnonzero(empty.to_numpy())[0])
        raise DataFormatError(
            "empty code", path=path, line=line_of(position), column=column,
            expected="a GSS code on every row", found="an empty cell",
        )


def _no_duplicates(path: Path, codes: pd.Series, column: str) -> None:
    duplicated = codes.duplicated()
    if duplicated.any():
        position = int(np.flatnonzero(duplicated.to_numpy())[0])
        first = int(np.flatnonzero((codes == codes.iloc[position]).to_numpy())[0])
        raise DataFormatError(
            f"duplicate code (first seen on line {line_of(first)})", path=path,
            line=line_of(position), column=column, expected="each code once",
            found=repr(codes.iloc[position]),
        )


# -- derived from boundaries ----------------------------------------------------------------------


def _as_bng(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"'{what}' should be GeoDataFrame, got {type(gdf)}")
    if "code" not in gdf.columns:
        raise DataFormatError(
            f"'{what}' has no 'code' column", path=gdf.attrs.get("source"), column="code",
            expected="boundaries as returned by read_boundaries()",
            found="columns " + ", ".join(repr(str(c)) for c in gdf.columns),
        )
    if gdf.crs is None:
        raise DataFormatError(f"'{what}' has no CRS; read it with read_boundaries()", expected="a coordinate reference system")
    return gdf if gdf.crs.to_epsg() == 27700 else gdf.to_crs("EPSG:27700")


def _names(gdf: gpd.GeoDataFrame) -> pd.Series:
    if "name" in gdf.columns:
        return gdf["name"].astype("string")
    return pd.Series(pd.NA, index=gdf.index, dtype="string")


def _point_in(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> pd.Series:
    """Code of the polygon holding each point (first if boundaries overlap), ``<NA>`` if none."""
    tree = shapely.STRtree(np.asarray(polygons.geometry.values, dtype=object))
    point_idx, poly_idx = tree.query(np.asarray(points.geometry.values, dtype=object), predicate="within")
    order = np.lexsort((poly_idx, point_idx))
    point_idx, poly_idx = point_idx[order], poly_idx[order]
    first = np.unique(point_idx, return_index=True)[1]
    result = pd.Series(pd.NA, index=range(len(points)), dtype="string")
    result.iloc[point_idx[first]] = polygons["code"].to_numpy()[poly_idx[first]]
    return result


def lookup_from_boundaries(
    lsoa_gdf: gpd.GeoDataFrame,
    ward_gdf: gpd.GeoDataFrame,
    lad_gdf: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Derive the LSOA → ward → LAD lookup from boundaries by spatial join.

    Each LSOA goes to the ward holding its representative point (a point
    guaranteed inside the polygon, unlike the centroid); each ward to the LAD
    holding its own representative point. Without ``lad_gdf`` the LAD comes
    from the wards' ``parent_code`` (or the LSOAs'), and ``lad_name`` is empty.

    Parameters
    ----------
    lsoa_gdf, ward_gdf, lad_gdf
        Boundaries as returned by :func:`~cdp_analysis.sources.boundaries.read_boundaries`
        (columns ``code``, ``name``; any CRS, joined in EPSG:27700).

    Returns
    -------
    pandas.DataFrame
        :data:`LOOKUP_COLUMNS`, one row per LSOA; ``<NA>`` where an LSOA lies in no
        ward. ``attrs``: ``method``, ``unmatched_lsoas``, ``unmatched_wards`` and the
        input vintages.

    Raises
    ------
    TypeError
        An input is not a GeoDataFrame.
    DataFormatError
        An input lacks a ``code`` column.
    """
    lsoa = _as_bng(lsoa_gdf, "lsoa_gdf").reset_index(drop=True)
    ward = _as_bng(ward_gdf, "ward_gdf").reset_index(drop=True)
    points = lsoa.set_geometry(lsoa.geometry.representative_point())
    ward_code = _point_in(points, ward)
    ward_names = pd.Series(_names(ward).to_numpy(), index=ward["code"].to_numpy())

    if lad_gdf is not None:
        lad = _as_bng(lad_gdf, "lad_gdf").reset_index(drop=True)
        ward_points = ward.set_geometry(ward.geometry.representative_point())
        ward_lad = pd.Series(_point_in(ward_points, lad).to_numpy(), index=ward["code"].to_numpy())
        lad_names = pd.Series(_names(lad).to_numpy(), index=lad["code"].to_numpy())
        lad_code = ward_code.map(ward_lad).astype("string")
        direct = _point_in(points, lad)  # LSOAs in no ward still get their LAD
        lad_code = lad_code.fillna(direct)
        lad_name = lad_code.map(lad_names).astype("string")
        unmatched_wards = int(ward_lad.isna().sum())
    else:
        if "parent_code" in ward.columns:
            lad_code = ward_code.map(pd.Series(ward["parent_code"].to_numpy(), index=ward["code"].to_numpy()))
        elif "parent_code" in lsoa.columns:
            lad_code = lsoa["parent_code"]
        else:
            lad_code = pd.Series(pd.NA, index=lsoa.index)
        lad_code = lad_code.astype("string")
        lad_name = pd.Series(pd.NA, index=lsoa.index, dtype="string")
        unmatched_wards = 0

    frame = pd.DataFrame({
        "lsoa_code": lsoa["code"].astype("string").to_numpy(),
        "lsoa_name": _names(lsoa).to_numpy(),
        "ward_code": ward_code.to_numpy(),
        "ward_name": ward_code.map(ward_names).to_numpy(),
        "lad_code": lad_code.to_numpy(),
        "lad_name": lad_name.to_numpy(),
    }).astype("string")
    frame.attrs = {
        "method": "spatial join: LSOA representative point within ward; ward representative point within LAD",
        "unmatched_lsoas": int(frame["ward_code"].isna().sum()),
        "unmatched_wards": unmatched_wards,
        "lsoa_vintage": lsoa_gdf.attrs.get("vintage"),
        "ward_vintage": ward_gdf.attrs.get("vintage"),
        "lad_vintage": lad_gdf.attrs.get("vintage") if lad_gdf is not None else None,
    }
    return frame


def _overlaps(lsoa11_gdf: gpd.GeoDataFrame, lsoa21_gdf: gpd.GeoDataFrame, min_share: float
              ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """Old and new LSOAs, every overlapping pair, and the significant pairs with their ``change``."""
    if not 0 < min_share < 1:
        raise ValueError(f"min_share must be between 0 and 1, got {min_share}")
    old = _as_bng(lsoa11_gdf, "lsoa11_gdf").reset_index(drop=True)
    new = _as_bng(lsoa21_gdf, "lsoa21_gdf").reset_index(drop=True)
    old_geoms = np.asarray(old.geometry.values, dtype=object)
    new_geoms = np.asarray(new.geometry.values, dtype=object)
    tree = shapely.STRtree(new_geoms)
    i_old, i_new = tree.query(old_geoms, predicate="intersects")
    overlap = shapely.area(shapely.intersection(old_geoms[i_old], new_geoms[i_new]))
    old_area, new_area = shapely.area(old_geoms), shapely.area(new_geoms)
    pairs = pd.DataFrame({
        "old": i_old, "new": i_new, "overlap": overlap,
        "share_old": overlap / old_area[i_old], "share_new": overlap / new_area[i_new],
    })
    pairs = pairs[pairs["overlap"] > 0]
    significant = pairs[(pairs["share_old"] >= min_share) | (pairs["share_new"] >= min_share)].copy()
    n_out = significant.groupby("old").size()  # 2021 LSOAs each 2011 LSOA feeds
    n_in = significant.groupby("new").size()  # 2011 LSOAs each 2021 LSOA draws on
    significant["n_out"] = significant["old"].map(n_out)
    significant["n_in"] = significant["new"].map(n_in)
    # a 2021 LSOA made only of whole 2011 LSOAs (each feeding only it) is a clean merge
    clean_merge = significant.groupby("new")["n_out"].max().eq(1)
    significant["clean_merge"] = significant["new"].map(clean_merge)
    per_old = significant.groupby("old").agg(
        n_out=("n_out", "first"), max_in=("n_in", "max"), clean_merge=("clean_merge", "all"),
    )
    change = pd.Series("complex", index=per_old.index, dtype="object")
    change[(per_old["n_out"] == 1) & (per_old["max_in"] == 1)] = "unchanged"
    change[(per_old["n_out"] > 1) & (per_old["max_in"] == 1)] = "split"
    change[(per_old["n_out"] == 1) & (per_old["max_in"] > 1) & per_old["clean_merge"]] = "merged"
    significant["change"] = significant["old"].map(change)
    return old, new, pairs, significant


def lsoa_2011_to_2021(
    lsoa11_gdf: gpd.GeoDataFrame,
    lsoa21_gdf: gpd.GeoDataFrame,
    *,
    min_share: float = 0.1,
) -> pd.DataFrame:
    """Best-fit LSOA 2011 → LSOA 2021 mapping by largest area overlap.

    Every pair of overlapping LSOAs is intersected; each 2011 LSOA goes to the
    2021 LSOA it shares most area with. An overlap is *significant* when it covers
    at least ``min_share`` of either LSOA; smaller ones are slivers from the two
    vintages' different generalisation. From the significant overlaps, like the
    ONS change indicator (CHGIND):

    * ``unchanged``: one 2011 LSOA ↔ one 2021 LSOA;
    * ``split``: the 2011 LSOA became several 2021 LSOAs, each wholly from it;
    * ``merged``: several whole 2011 LSOAs became one 2021 LSOA;
    * ``complex``: anything else (boundaries redrawn).

    :func:`lsoa_changes` gives every significant pair (all the children of a
    split), for reconciling data of the two vintages.

    Parameters
    ----------
    lsoa11_gdf, lsoa21_gdf
        LSOA 2011 and LSOA 2021 boundaries (columns ``code``; any CRS, compared in EPSG:27700).
    min_share
        Share of either LSOA's area above which an overlap counts (default 0.1).

    Returns
    -------
    pandas.DataFrame
        ``lsoa11_code, lsoa21_code, share_of_lsoa11_area, change``, one row per
        2011 LSOA. A 2011 LSOA overlapping no 2021 LSOA (outside the 2021 file's
        extent) has ``<NA>`` code and change and a share of 0.

    References
    ----------
    ONS, "LSOA (2011) to LSOA (2021) to Local Authority District (2022) Lookup for
    England and Wales" (change indicator U/S/M/X).
    """
    old, new, pairs, significant = _overlaps(lsoa11_gdf, lsoa21_gdf, min_share)
    change = significant.groupby("old")["change"].first()
    best = pairs.sort_values(["old", "overlap"], ascending=[True, False]).drop_duplicates("old").set_index("old")
    index = pd.RangeIndex(len(old))
    frame = pd.DataFrame({
        "lsoa11_code": old["code"].astype("string").to_numpy(),
        "lsoa21_code": pd.Series(new["code"].to_numpy()[best["new"].to_numpy()], index=best.index)
        .reindex(index).astype("string").to_numpy(),
        "share_of_lsoa11_area": best["share_old"].reindex(index).fillna(0.0).clip(upper=1.0).to_numpy(),
        "change": change.reindex(index).astype("string").to_numpy(),
    })
    only_slivers = frame["change"].isna() & frame["lsoa21_code"].notna()
    frame.loc[only_slivers, "change"] = "complex"
    frame.attrs = _change_attrs(lsoa11_gdf, lsoa21_gdf, min_share)
    return frame


def lsoa_changes(
    lsoa11_gdf: gpd.GeoDataFrame,
    lsoa21_gdf: gpd.GeoDataFrame,
    *,
    min_share: float = 0.1,
) -> pd.DataFrame:
    """Every LSOA 2011 → LSOA 2021 link, derived from the two boundary sets.

    The ONS "LSOA (2011) to LSOA (2021) to LAD (2022)" lookup gives these links
    with a change indicator; where it is not at hand, they are derived here from
    the boundaries by area overlap, as in :func:`lsoa_2011_to_2021`: each
    significant overlap (at least ``min_share`` of either LSOA) is one link. A
    split 2011 LSOA has one row per 2021 child, a merged one a single row to the
    2021 LSOA it shares with others. A 2011 LSOA whose overlaps are all slivers
    keeps its largest one (change ``complex``); one overlapping nothing has no row.
    Parameters as :func:`lsoa_2011_to_2021`.

    Returns
    -------
    pandas.DataFrame
        ``lsoa11_code, lsoa21_code, change, share_of_lsoa11_area``, sorted by
        2011 then 2021 code; ``change`` is one of :data:`CHANGE_TYPES`.

    References
    ----------
    ONS, "LSOA (2011) to LSOA (2021) to Local Authority District (2022) Lookup for
    England and Wales" (change indicator U/S/M/X).
    """
    old, new, pairs, significant = _overlaps(lsoa11_gdf, lsoa21_gdf, min_share)
    slivers = pairs[~pairs["old"].isin(significant["old"])]
    slivers = slivers.sort_values("overlap", ascending=False).drop_duplicates("old").assign(change="complex")
    links = pd.concat([significant, slivers], ignore_index=True)
    frame = pd.DataFrame({
        "lsoa11_code": old["code"].to_numpy()[links["old"].to_numpy()],
        "lsoa21_code": new["code"].to_numpy()[links["new"].to_numpy()],
        "change": links["change"].to_numpy(),
        "share_of_lsoa11_area": links["share_old"].clip(upper=1.0).to_numpy(),
    })
    frame = frame.astype({"lsoa11_code": "string", "lsoa21_code": "string", "change": "string"})
    frame = frame.sort_values(["lsoa11_code", "lsoa21_code"], ignore_index=True)
    frame.attrs = _change_attrs(lsoa11_gdf, lsoa21_gdf, min_share)
    return frame


def _change_attrs(lsoa11_gdf: gpd.GeoDataFrame, lsoa21_gdf: gpd.GeoDataFrame, min_share: float) -> dict:
    return {
        "method": "largest area overlap; change from overlaps >= min_share of either LSOA",
        "min_share": min_share,
        "lsoa11_vintage": lsoa11_gdf.attrs.get("vintage"),
        "lsoa21_vintage": lsoa21_gdf.attrs.get("vintage"),
    }


def _require_roles(path: Path, header: list[str], roles: dict, required: dict) -> None:
    """Raise for the first required (entity, code/name) column the header lacks."""
    for key, wanted in required.items():
        if key not in roles:
            raise DataFormatError(
                "required column missing", path=path, line=1, column=wanted,
                expected="an ONS lookup header with " + ", ".join(required.values()),
                found=", ".join(repr(c) for c in header[:12]),
            )

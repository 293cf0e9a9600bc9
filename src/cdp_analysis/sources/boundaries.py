"""Boundary files: LSOAs, wards and local authorities as GeoDataFrames.

:func:`read_boundaries` reads any GeoJSON, GeoPackage, ESRI shapefile or MapInfo
TAB of ONS or London Datastore boundaries and returns the same shape every time::

    code, name, [parent_code,] geometry        EPSG:27700 (British National Grid)

with ``attrs["level"]`` (``"lsoa"``, ``"msoa"``, ``"ward"``, ``"lad"``, ``"utla"``,
``"region"``…) and ``attrs["vintage"]`` (``"2011"``, ``"2021"``, ``"WD13"``,
``"LAD22"`` or ``None`` when the columns do not say).

The code column is found by the names ONS and the London Datastore use
(``LSOA11CD``, ``LSOA21CD``, ``WD13CD`` … ``WD25CD``, ``LAD11CD`` … ``LAD25CD``,
``GSS_CODE`` + ``NAME``, ``geography code``, lower-case variants); the level comes
from the column name or, for a generic column such as ``GSS_CODE``, from the
codes' entity prefix (:func:`detect_level`).

Examples
--------
>>> detect_level("E09000003")
'lad'
>>> detect_level("Z05000001")
'ward'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer

from cdp_analysis.errors import DataFormatError, MissingDataError, UnknownAreaError

__all__ = [
    "BNG",
    "BOUNDARY_SUFFIXES",
    "LEVELS",
    "detect_level",
    "read_boundaries",
    "simplify_for_web",
]

#: The CRS every boundary is returned in.
BNG = "EPSG:27700"
#: File types :func:`read_boundaries` reads.
BOUNDARY_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".tab")
#: Levels from the smallest area up.
LEVELS = ("lsoa", "msoa", "ward", "lad", "utla", "region", "country", "cdp")

# GSS entity prefix (letter + two digits) -> level. ``Z`` is the synthetic demo.
_ENTITY_LEVEL = {
    "01": "lsoa", "02": "msoa", "05": "ward",
    "06": "lad", "07": "lad", "08": "lad", "09": "lad",
    "10": "utla", "12": "region", "92": "country", "95": "cdp",
}
_OTHER_PREFIX_LEVEL = {
    "K02": "country", "K03": "country", "K04": "country",
    "S92": "country", "N92": "country", "S12": "lad", "N09": "lad",
}
_CODE_PATTERN = re.compile(r"^([A-Z])(\d{2})\d{6}$")

# ONS attribute names: LSOA11CD, WD22CD, LAD25CD, LTLA21CD, RGN11CD, …
_NAMED_CODE = re.compile(r"^(?P<kind>lsoa|msoa|wd|lad|ltla|utla|ctyua|rgn)(?P<yy>\d{2})cd$", re.IGNORECASE)
_KIND_LEVEL = {
    "lsoa": "lsoa", "msoa": "msoa", "wd": "ward", "lad": "lad", "ltla": "lad",
    "utla": "utla", "ctyua": "utla", "rgn": "region",
}
# Generic code columns whose level is read from the codes themselves.
_GENERIC_CODE = ("gss_code", "geography code", "areacd", "area_code", "geo_code", "code")
_GENERIC_NAME = ("name", "areanm", "area_name", "geography name", "geo_name", "lsoa name (2011)")
# LAD code columns that give the parent of an LSOA or a ward.
_PARENT_NAMES = ("lagsscode", "lad_code", "la_code")

# Rough extent of the British National Grid (metres), to catch swapped or wrongly assumed CRSs.
_BNG_BOUNDS = (-200_000.0, -200_000.0, 1_000_000.0, 1_500_000.0)
# dBASE language-driver id -> Python codec, for shapefiles without a .cpg.
_LDID_CODEC = {0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x57: "cp1252", 0x64: "cp852",
               0x65: "cp866", 0xC8: "cp1250", 0xC9: "cp1251"}


# -- levels ---------------------------------------------------------------------------------------


def detect_level(code: str) -> str:
    """The geography level of a GSS code, from its entity prefix.

    ``E01``/``W01`` LSOA, ``E02`` MSOA, ``E05`` ward, ``E06``–``E09`` (and ``W06``)
    local authority district, ``E10`` county (upper tier), ``E12`` region,
    ``E92`` country. The synthetic demo uses the same digits after a ``Z``
    (``Z01`` LSOA, ``Z05`` ward, ``Z09`` borough, ``Z12`` region, ``Z95`` CDP).

    Parameters
    ----------
    code
        A nine-character GSS code such as ``"E09000003"``.

    Returns
    -------
    str
        One of :data:`LEVELS`.

    Raises
    ------
    UnknownAreaError
        The text is not a GSS code or its prefix is not one of the levels above.

    Examples
    --------
    >>> [detect_level(c) for c in ("E01000001", "E05000043", "E06000047", "E12000007")]
    ['lsoa', 'ward', 'lad', 'region']
    """
    level = _level_or_none(code)
    if level is None:
        raise UnknownAreaError(
            str(code), hint="Expected a GSS code such as E01000001 (LSOA), E05… (ward), "
            "E06–E09… (local authority), E10… (county), E12… (region); demo codes start with Z.",
        )
    return level


def _level_or_none(code: object) -> str | None:
    text = str(code).strip().upper()
    match = _CODE_PATTERN.match(text)
    if match is None:
        return None
    letter, digits = match.groups()
    if letter in "EWZ" and digits in _ENTITY_LEVEL:
        return _ENTITY_LEVEL[digits]
    return _OTHER_PREFIX_LEVEL.get(letter + digits)


def _levels_of(codes: pd.Series) -> pd.Series:
    lookup = {c: _level_or_none(c) for c in codes.dropna().unique()}
    return codes.map(lookup)


# -- reading --------------------------------------------------------------------------------------


def read_boundaries(
    path: str | Path,
    *,
    level: str | None = None,
    code_col: str | None = None,
    name_col: str | None = None,
    layer: str | int | None = None,
    assume_crs: str | int | CRS | None = None,
) -> gpd.GeoDataFrame:
    """Read a boundary file into ``code, name, [parent_code,] geometry`` in EPSG:27700.

    Parameters
    ----------
    path
        A ``.geojson``/``.json``, ``.gpkg``, ``.shp`` or ``.tab`` file.
    level
        ``"lsoa"``, ``"ward"``, ``"lad"``…; inferred from the code column when omitted.
        When given it is checked against the codes' prefixes (where they are GSS codes).
    code_col, name_col
        Column names, when the file does not use ONS or London Datastore names.
    layer
        The layer of a multi-layer file (GeoPackage); needed only when there are several.
    assume_crs
        CRS of a file that does not declare one: a shapefile without ``.prj`` or a
        GeoJSON written in British National Grid without a ``crs`` member. A CRS the
        file declares always wins. GeoJSON without CRS defaults to EPSG:4326 (RFC 7946).

    Returns
    -------
    geopandas.GeoDataFrame
        ``code``, ``name`` (string; ``<NA>`` when the file has no name column),
        ``parent_code`` when an LSOA or ward file also carries its local authority
        (``LAD11CD``, ``LAD22CD``, ``LAGSSCODE``…), ``geometry`` (valid polygons).
        ``attrs``: ``level``, ``vintage``, ``source``, ``code_column``,
        ``name_column``, ``parent_column``, ``source_crs``, ``repaired`` (number of
        invalid geometries repaired with :func:`shapely.make_valid`).

    Raises
    ------
    MissingDataError
        The file does not exist.
    DataFormatError
        The file is empty or unreadable, has no recognisable code column (the
        message lists the columns found), holds duplicate or empty codes, has no CRS
        (shapefile without ``.prj``) or coordinates outside Great Britain.
    """
    path = Path(path)
    gdf = _read_file(path, layer=layer)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]

    code_col, name_col, level, vintage = _pick_columns(path, gdf, columns, code_col, name_col, level)
    parent_col = _parent_column(columns, code_col) if level in ("lsoa", "msoa", "ward") else None

    codes = _codes(path, gdf[code_col], code_col)
    out = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": _text(gdf[name_col]) if name_col else pd.Series(pd.NA, index=gdf.index, dtype="string"),
        },
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    if parent_col:
        out.insert(2, "parent_code", _text(gdf[parent_col]))

    source_crs = gdf.crs
    out = _to_bng(path, out, assume_crs)
    out, repaired = _repair(path, out)
    out = out.reset_index(drop=True)
    out.attrs = {
        "level": level,
        "vintage": vintage,
        "source": str(path),
        "code_column": code_col,
        "name_column": name_col,
        "parent_column": parent_col,
        "source_crs": source_crs.to_string() if source_crs is not None else None,
        "repaired": repaired,
    }
    return out


def _read_file(path: Path, *, layer: str | int | None) -> gpd.GeoDataFrame:
    if not path.exists():
        raise MissingDataError(f"boundary file not found: {path}")
    if path.suffix.lower() not in BOUNDARY_SUFFIXES:
        raise DataFormatError(
            "not a boundary file type", path=path,
            expected=" or ".join(BOUNDARY_SUFFIXES), found=path.suffix or "no extension",
        )
    if path.stat().st_size == 0:
        raise DataFormatError("file is empty", path=path, expected="boundary features", found="0 bytes")
    try:
        layers = pyogrio.list_layers(path)
        if layer is None and len(layers) > 1:
            raise DataFormatError(
                "the file holds several layers; pass layer=", path=path,
                expected="one layer", found=", ".join(repr(str(n)) for n in layers[:, 0]),
            )
        gdf = pyogrio.read_dataframe(path, layer=layer, encoding=_dbf_encoding(path))
    except DataFormatError:
        raise
    except Exception as exc:  # pyogrio raises several types; all mean "cannot read"
        raise DataFormatError(
            "cannot read the file as boundaries", path=path,
            expected="a readable GeoJSON, GeoPackage, shapefile or MapInfo TAB",
            found=f"{type(exc).__name__}: {exc}",
        ) from exc
    if len(gdf) == 0:
        raise DataFormatError("file has no features", path=path, expected="boundary features", found="0 features")
    return gdf


def _dbf_encoding(path: Path) -> str | None:
    """Codec for a shapefile's ``.dbf`` when no ``.cpg`` says it (GDAL would assume ISO-8859-1).

    UTF-8 if the records decode as UTF-8 and hold non-ASCII bytes, else the
    codec of the dBASE language-driver byte, else Windows-1252 (what ArcGIS and
    ONS exports use).
    """
    if path.suffix.lower() != ".shp":
        return None
    stem = path.with_suffix("")
    if any(stem.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return None
    dbf = next((stem.with_suffix(s) for s in (".dbf", ".DBF") if stem.with_suffix(s).exists()), None)
    if dbf is None:
        return None
    with dbf.open("rb") as handle:
        head = handle.read(32)
        if len(head) < 32:
            return None
        header_length = int.from_bytes(head[8:10], "little")
        handle.seek(header_length)
        records = handle.read(4 << 20)
    if max(records, default=0) < 0x80:
        return None  # plain ASCII: any codec reads it
    try:
        records.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        return _LDID_CODEC.get(head[29], "cp1252")


def _pick_columns(
    path: Path,
    gdf: gpd.GeoDataFrame,
    columns: Sequence[str],
    code_col: str | None,
    name_col: str | None,
    level: str | None,
) -> tuple[str, str | None, str, str | None]:
    """Code column, name column, level and vintage."""
    lower = {c.lower().strip(): c for c in columns}
    named_level = vintage = None
    if code_col is None:
        code_col, named_level, vintage = _find_code_column(gdf, columns)
        if code_col is None:
            raise DataFormatError(
                "no recognisable area code column; pass code_col=", path=path,
                expected="LSOA11CD/LSOA21CD, WDyyCD, LADyyCD, GSS_CODE or geography code",
                found="columns " + ", ".join(repr(c) for c in columns),
            )
    elif code_col not in columns:
        raise DataFormatError(
            "code column not in the file", path=path, column=code_col,
            expected=f"a column {code_col!r}", found="columns " + ", ".join(repr(c) for c in columns),
        )
    else:
        match = _NAMED_CODE.match(code_col.strip())
        if match:
            named_level, vintage = _KIND_LEVEL[match["kind"].lower()], _vintage(match["kind"], match["yy"])

    if name_col is None:
        name_col = _find_name_column(lower, code_col)
    elif name_col not in columns:
        raise DataFormatError(
            "name column not in the file", path=path, column=name_col,
            expected=f"a column {name_col!r}", found="columns " + ", ".join(repr(c) for c in columns),
        )

    code_level = _level_from_codes(path, gdf[code_col], code_col)
    if level is not None:
        if level not in LEVELS:
            raise DataFormatError("unknown level", path=path, expected=" / ".join(LEVELS), found=repr(level))
        if code_level is not None and code_level != level:
            raise DataFormatError(
                f"the codes are {code_level} codes, not {level}", path=path, column=code_col,
                expected=f"{level} codes", found=f"{code_level} codes (e.g. {gdf[code_col].iloc[0]!r})",
            )
    else:
        level = named_level or code_level
        if level is None:
            raise DataFormatError(
                "cannot tell the geography level; pass level=", path=path, column=code_col,
                expected="GSS codes (E01…, E05…, E09…) or an ONS column name",
                found=repr(str(gdf[code_col].iloc[0])),
            )
        if named_level and code_level and named_level != code_level:
            raise DataFormatError(
                f"column name says {named_level} but the codes are {code_level} codes",
                path=path, column=code_col, expected=f"{named_level} codes",
                found=repr(str(gdf[code_col].iloc[0])),
            )
    return code_col, name_col, level, vintage


def _find_code_column(gdf: gpd.GeoDataFrame, columns: Sequence[str]) -> tuple[str | None, str | None, str | None]:
    """The code column of the finest level: ONS-named columns by their name, generic ones by their codes."""
    # (level order, rank, column, level, vintage); generic columns carry no level or vintage of their own
    candidates: list[tuple[int, int, str, str | None, str | None]] = []
    for column in columns:
        match = _NAMED_CODE.match(column.strip())
        if match:
            level = _KIND_LEVEL[match["kind"].lower()]
            candidates.append((LEVELS.index(level), 0, column, level, _vintage(match["kind"], match["yy"])))
    lower = {c.lower().strip(): c for c in columns}
    for rank, candidate in enumerate(_GENERIC_CODE):
        if candidate in lower:
            column = lower[candidate]
            levels = _levels_of(gdf[column].dropna().astype(str)).dropna().unique()
            code_level = str(levels[0]) if len(levels) == 1 else None
            order = LEVELS.index(code_level) if code_level else len(LEVELS)
            candidates.append((order, 1 + rank, column, None, None))
    if not candidates:
        return None, None, None
    _, _, best, best_level, best_vintage = min(candidates)
    return best, best_level, best_vintage


def _vintage(kind: str, yy: str) -> str:
    kind = kind.lower()
    if kind in ("lsoa", "msoa"):
        return f"20{yy}"
    return f"{kind.upper()}{yy}"


def _find_name_column(lower: dict[str, str], code_col: str) -> str | None:
    key = code_col.lower().strip()
    if key.endswith("cd") and key[:-2] + "nm" in lower:
        return lower[key[:-2] + "nm"]
    if "code" in key and key.replace("code", "name") in lower:
        return lower[key.replace("code", "name")]
    for candidate in _GENERIC_NAME:
        if candidate in lower:
            return lower[candidate]
    return None


def _parent_column(columns: Sequence[str], code_col: str) -> str | None:
    for column in columns:
        match = _NAMED_CODE.match(column.strip())
        if column != code_col and match and match["kind"].lower() in ("lad", "ltla"):
            return column
    lower = {c.lower().strip(): c for c in columns}
    return next((lower[n] for n in _PARENT_NAMES if n in lower), None)


def _level_from_codes(path: Path, codes: pd.Series, column: str) -> str | None:
    levels = _levels_of(codes.dropna().astype(str))
    counts = levels.value_counts()
    if counts.empty:
        return None
    if len(counts) > 1:
        raise DataFormatError(
            "codes of several geography levels in one file", path=path, column=column,
            expected="codes of one level", found=", ".join(f"{n} {lvl}" for lvl, n in counts.items()),
        )
    return str(counts.index[0])


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip()


def _codes(path: Path, series: pd.Series, column: str) -> pd.Series:
    codes = _text(series)
    empty = codes.isna() | (codes == "")
    if empty.any():
        position = int(np.flatnonzero(empty.to_numpy())[0])
        raise DataFormatError(
            f"feature {position + 1} has no code", path=path, column=column,
            expected="an area code on every feature", found="an empty value",
        )
    duplicated = codes.duplicated(keep=False)
    if duplicated.any():
        repeated = codes[duplicated].unique()
        raise DataFormatError(
            "duplicate area codes (dissolve multi-part features first)", path=path, column=column,
            expected="one feature per code",
            found=f"{len(repeated)} repeated code(s): " + ", ".join(repeated[:5]) + (" …" if len(repeated) > 5 else ""),
        )
    return codes.reset_index(drop=True)


# -- CRS and geometry -----------------------------------------------------------------------------


def _to_bng(path: Path, gdf: gpd.GeoDataFrame, assume_crs: str | int | CRS | None) -> gpd.GeoDataFrame:
    if assume_crs is not None and path.suffix.lower() in (".geojson", ".json") and not _declares_crs(path):
        gdf = gdf.set_crs(assume_crs, allow_override=True)  # GDAL reports EPSG:4326 for any GeoJSON
    if gdf.crs is None:
        if assume_crs is not None:
            gdf = gdf.set_crs(assume_crs)
        elif path.suffix.lower() in (".geojson", ".json"):
            gdf = gdf.set_crs("EPSG:4326")  # RFC 7946: GeoJSON without crs is WGS84 lon/lat
        else:
            raise DataFormatError(
                "the file declares no coordinate reference system", path=path,
                expected="a .prj beside the .shp, or read_boundaries(..., assume_crs='EPSG:27700')",
                found="no CRS",
            )
    crs = CRS.from_user_input(gdf.crs)
    if crs.is_geographic:
        minx, miny, maxx, maxy = gdf.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise DataFormatError(
                "coordinates are not longitude/latitude although the CRS is geographic "
                "(pass assume_crs='EPSG:27700' for British National Grid)", path=path,
                expected="longitudes in -180..180 and latitudes in -90..90",
                found=f"bounds {minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f}",
            )
    if _same_as_bng(crs):
        gdf = gdf.set_crs(BNG, allow_override=True)
    else:
        gdf = gdf.to_crs(BNG)
    minx, miny, maxx, maxy = gdf.total_bounds
    lo_x, lo_y, hi_x, hi_y = _BNG_BOUNDS
    if not (lo_x <= minx and maxx <= hi_x and lo_y <= miny and maxy <= hi_y):
        raise DataFormatError(
            "coordinates fall outside Great Britain after conversion to British National Grid",
            path=path, expected="features in Great Britain (check the file's CRS or assume_crs)",
            found=f"bounds {minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f} (EPSG:27700)",
        )
    return gdf


def _declares_crs(path: Path) -> bool:
    """Whether a GeoJSON has a (pre-RFC 7946) ``crs`` member; it comes before the features."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    return re.search(rb'"crs"\s*:', head) is not None


def _same_as_bng(crs: CRS) -> bool:
    """British National Grid, also when an ESRI ``.prj`` spells it with rounded parameters.

    Such a CRS is relabelled rather than reprojected: reprojecting through an
    "unnamed" CRS would move every vertex by a few centimetres for nothing.
    """
    if crs.to_epsg() == 27700:
        return True
    if not crs.is_projected or crs.to_epsg(min_confidence=20) != 27700:
        return False
    transformer = Transformer.from_crs(crs, BNG, always_xy=True)
    xs, ys = np.array([0.0, 700_000.0, 530_000.0]), np.array([0.0, 1_300_000.0, 180_000.0])
    x2, y2 = transformer.transform(xs, ys)
    return bool(np.nanmax(np.hypot(x2 - xs, y2 - ys)) < 1.0)


def _repair(path: Path, gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        position = int(np.flatnonzero(missing)[0])
        raise DataFormatError(
            f"feature {position + 1} ({gdf['code'].iloc[position]}) has no geometry", path=path,
            expected="a polygon on every feature", found="an empty geometry",
        )
    geoms = shapely.force_2d(geoms)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
        geoms[invalid] = [_polygonal(g) for g in geoms[invalid]]
    kinds = shapely.get_type_id(geoms)
    not_polygonal = ~np.isin(kinds, (3, 6))  # Polygon, MultiPolygon
    if not_polygonal.any():
        position = int(np.flatnonzero(not_polygonal)[0])
        raise DataFormatError(
            f"feature {position + 1} ({gdf['code'].iloc[position]}) is not a polygon", path=path,
            expected="polygon boundaries", found=geoms[position].geom_type,
        )
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    return gdf, int(invalid.sum())


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a repaired geometry (drops collapsed lines and points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else geom


# -- web maps -------------------------------------------------------------------------------------


def simplify_for_web(gdf: gpd.GeoDataFrame, tolerance_m: float = 25) -> gpd.GeoDataFrame:
    """A lighter copy for web maps: shared borders simplified together, in EPSG:4326.

    Neighbouring areas are simplified as one coverage
    (:func:`shapely.coverage_simplify`, Visvalingam–Whyatt), so simplification
    opens no gaps or overlaps between them. When the polygons are not a clean
    coverage (they overlap), each is simplified on its own with
    Douglas–Peucker preserving its topology.

    Parameters
    ----------
    gdf
        Boundaries as returned by :func:`read_boundaries` (any projected or
        geographic CRS; simplified in EPSG:27700 metres).
    tolerance_m
        Roughly the size in metres of the detail removed.

    Returns
    -------
    geopandas.GeoDataFrame
        Same rows and columns, EPSG:4326. ``attrs`` adds ``simplify_method``,
        ``tolerance_m``, ``vertices_before`` and ``vertices_after``.

    Raises
    ------
    TypeError
        ``gdf`` is not a GeoDataFrame.
    ValueError
        ``tolerance_m`` is negative or ``gdf`` has no CRS.
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"'gdf' should be GeoDataFrame, got {type(gdf)}")
    if tolerance_m < 0:
        raise ValueError(f"tolerance_m must be 0 or more, got {tolerance_m}")
    if gdf.crs is None:
        raise DataFormatError("'gdf' has no CRS; read it with read_boundaries()", expected="a coordinate reference system")
    projected = gdf.to_crs(BNG) if not _same_as_bng(CRS.from_user_input(gdf.crs)) else gdf
    geoms = np.asarray(projected.geometry.values, dtype=object)
    before = int(shapely.get_num_coordinates(geoms).sum())
    if shapely.coverage_is_valid(geoms):
        simplified = shapely.coverage_simplify(geoms, tolerance_m, simplify_boundary=True)
        method = "coverage_simplify (Visvalingam-Whyatt, shared edges kept)"
    else:
        simplified = shapely.simplify(geoms, tolerance_m, preserve_topology=True)
        method = "simplify per polygon (Douglas-Peucker, preserve_topology)"
    bad = ~shapely.is_valid(simplified) | shapely.is_empty(simplified)
    simplified[bad] = geoms[bad]  # never lose an area to simplification
    out = projected.set_geometry(gpd.GeoSeries(simplified, index=projected.index, crs=BNG)).to_crs("EPSG:4326")
    out.attrs = {
        **gdf.attrs,
        "simplify_method": method,
        "tolerance_m": tolerance_m,
        "vertices_before": before,
        "vertices_after": int(shapely.get_num_coordinates(np.asarray(out.geometry.values, dtype=object)).sum()),
    }
    return out

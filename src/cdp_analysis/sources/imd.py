"""English Indices of Deprivation 2019: LSOA IMD scores, ranks and deciles.

:func:`read_imd` reads the IMD columns of any of the published layouts::

    lsoa_code, lsoa_name, lad_code, lad_name, imd_score, imd_rank, imd_decile

* IoD2019 **File 7** CSV (all scores, ranks and deciles; the demo's layout);
* IoD2019 **File 1** xlsx (sheet ``IMD2019``: rank and decile, no score → ``imd_score`` NaN);
* the GLA **ID 2019 for London** workbook (sheet ``IMD 2019``, whose first header reads
  ``geography code``; some headers end with a space) and CSV saves of it (UTF-8 BOM).

Headers are matched after trimming and collapsing spaces, case-insensitively.
:func:`read_imd_upper_tier` reads the **File 11** upper-tier summaries and
:func:`decile_within_area` assigns local deciles and quintiles within an area.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.errors import DataFormatError, MissingDataError
from cdp_analysis.sources._common import to_number
from cdp_analysis.sources._tables import (
    has_table,
    match_columns,
    norm,
    read_tables,
)

__all__ = [
    "IMD_COLUMNS",
    "LSOAS_2011",
    "LSOAS_2021",
    "is_imd",
    "read_imd",
    "read_imd_upper_tier",
    "decile_within_area",
]

#: Output columns of :func:`read_imd`.
IMD_COLUMNS = ("lsoa_code", "lsoa_name", "lad_code", "lad_name", "imd_score", "imd_rank", "imd_decile")
#: Number of LSOAs (2011) in England, the largest IoD2019 rank.
LSOAS_2011 = 32_844
#: Number of LSOAs (2021) in England, the largest IoD2025 rank.
LSOAS_2021 = 33_755


# output column -> header patterns (normalised: trimmed, spaces collapsed, lower case)
_IMD_PATTERNS: dict[str, re.Pattern[str]] = {
    "lsoa_code": re.compile(r"^(lsoa code( \((?P<vintage>20\d\d)\))?|geography code|lsoa(?P<yy>\d\d)cd)$"),
    "lsoa_name": re.compile(r"^(lsoa name( \(20\d\d\))?|lsoa\d\dnm)$"),
    "lad_code": re.compile(r"^(local authority district code( \(20\d\d\))?|lad\d\dcd)$"),
    "lad_name": re.compile(r"^(local authority district name( \(20\d\d\))?|lad\d\dnm)$"),
    "imd_score": re.compile(r"^index of multiple deprivation \(imd\) score\b"),
    "imd_rank": re.compile(r"^index of multiple deprivation \(imd\) rank\b"),
    "imd_decile": re.compile(r"^index of multiple deprivation \(imd\) decile\b"),
}
_IMD_REQUIRED = ("lsoa_code", "lsoa_name", "lad_code", "lad_name", "imd_rank", "imd_decile")
_IMD_EXPECTED = {
    "lsoa_code": "LSOA code (2011)", "lsoa_name": "LSOA name (2011)",
    "lad_code": "Local Authority District code (2019)", "lad_name": "Local Authority District name (2019)",
    "imd_score": "Index of Multiple Deprivation (IMD) Score",
    "imd_rank": "Index of Multiple Deprivation (IMD) Rank",
    "imd_decile": "Index of Multiple Deprivation (IMD) Decile",
}

# File 11 / 10 summaries: "<Domain> - <measure>" -> measure column
_SUMMARY_CODE = re.compile(r"^(upper tier )?local authority district code( \(20\d\d\))?$")
_SUMMARY_NAME = re.compile(r"^(upper tier )?local authority district name( \(20\d\d\))?$")
_SUMMARY_MEASURES = {
    "average rank": "average_rank",
    "rank of average rank": "rank_of_average_rank",
    "average score": "average_score",
    "rank of average score": "rank_of_average_score",
    "proportion of lsoas in most deprived 10% nationally": "proportion_most_deprived_10pct",
    "rank of proportion of lsoas in most deprived 10% nationally": "rank_of_proportion_most_deprived_10pct",
    "extent": "extent",
    "rank of extent": "rank_of_extent",
    "local concentration": "local_concentration",
    "rank of local concentration": "rank_of_local_concentration",
    "scale": "scale",
    "rank of scale": "rank_of_scale",
}


# -- LSOA IMD -------------------------------------------------------------------------------------


def _imd_header(normalised: list[str]) -> bool:
    found = match_columns(normalised, _IMD_PATTERNS)
    return "lsoa_code" in found and ("imd_rank" in found or "imd_decile" in found or "imd_score" in found)


def _imd_missing(header: list[str]) -> str | None:
    matched = match_columns(header, _IMD_PATTERNS)
    return next((_IMD_EXPECTED[k] for k in _IMD_REQUIRED if k not in matched), None)


def is_imd(path: str | Path) -> bool:
    """Whether ``path`` is an LSOA IMD table (CSV or workbook). Never raises."""
    return has_table(path, _imd_header, "IMD")


def read_imd(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read LSOA IMD 2019 scores, ranks and deciles from a CSV or workbook.

    Parameters
    ----------
    path
        IoD2019 File 7 CSV, File 1 xlsx, the GLA "ID 2019 for London" workbook or a CSV save of it.
    sheet
        Worksheet to read; by default the first sheet whose header (within the
        first 30 rows) has an LSOA code and an IMD rank, decile or score.

    Returns
    -------
    pandas.DataFrame
        :data:`IMD_COLUMNS`: codes and names as strings, ``imd_score`` float (NaN
        when the file has no score, e.g. File 1), ``imd_rank`` and ``imd_decile``
        ``Int64``. ``attrs``: ``source``, ``sheet``, ``has_score``, ``lsoa_vintage``.

    Raises
    ------
    MissingDataError
        The file does not exist.
    DataFormatError
        A column is missing, a value is not a number, a decile is outside 1–10 or
        a rank outside 1–32,844 (33,755 for LSOA 2021 codes), a code is empty or an
        LSOA appears twice. The message names file, line (the spreadsheet row for
        workbooks) and column.
    """
    path = Path(path)
    table = read_tables(path, sheet, _imd_header, "IMD", missing=_imd_missing)[0]
    sheet, header_index, header, body = table.sheet, table.header_index, table.header, table.body
    columns = match_columns(header, _IMD_PATTERNS)
    for key in _IMD_REQUIRED:
        if key not in columns:
            raise DataFormatError(
                (f"sheet {sheet!r}: " if sheet else "") + "required column missing", path=path,
                line=header_index + 1, column=_IMD_EXPECTED[key],
                expected=f"a header with {_IMD_EXPECTED[key]!r}",
                found=", ".join(repr(h) for h in header[:8]) + (" …" if len(header) > 8 else ""),
            )
    header_lines = header_index + 1
    vintage_match = _IMD_PATTERNS["lsoa_code"].match(norm(header[columns["lsoa_code"]]))
    if vintage_match is None:  # unreachable: match_columns found this column by the same pattern
        raise AssertionError(f"{path}: the LSOA code column no longer matches its pattern")
    vintage = vintage_match["vintage"] or (f"20{vintage_match['yy']}" if vintage_match["yy"] else "2011")
    max_rank = LSOAS_2021 if vintage == "2021" else LSOAS_2011

    out = pd.DataFrame(index=body.index)
    for key in ("lsoa_code", "lsoa_name", "lad_code", "lad_name"):
        out[key] = _strings(body[columns[key]])
    _check_codes(path, sheet, out["lsoa_code"], header[columns["lsoa_code"]], header_lines)
    if "imd_score" in columns:
        out["imd_score"] = _numbers(path, sheet, body[columns["imd_score"]], header[columns["imd_score"]], header_lines)
    else:
        out["imd_score"] = np.nan
    out["imd_rank"] = _integers(path, sheet, body[columns["imd_rank"]], header[columns["imd_rank"]],
                                header_lines, 1, max_rank)
    out["imd_decile"] = _integers(path, sheet, body[columns["imd_decile"]], header[columns["imd_decile"]],
                                  header_lines, 1, 10)
    out = out.reset_index(drop=True)[list(IMD_COLUMNS)]
    out.attrs = {"source": str(path), "sheet": sheet, "has_score": "imd_score" in columns, "lsoa_vintage": vintage}
    return out


def _strings(series: pd.Series) -> pd.Series:
    return series.map(lambda v: None if v is None else str(v).strip()).astype("string")


def _where(sheet: str | None) -> str:
    return f"sheet {sheet!r}: " if sheet else ""


def _check_codes(path: Path, sheet: str | None, codes: pd.Series, column: str, header_lines: int) -> None:
    empty = (codes.isna() | (codes == "")).to_numpy()
    if empty.any():
        position = int(np.flatnonzero(empty)[0])
        raise DataFormatError(
            _where(sheet) + "empty code", path=path, line=position + header_lines + 1, column=column.strip(),
            expected="an area code on every row", found="an empty cell",
        )
    duplicated = codes.duplicated().to_numpy()
    if duplicated.any():
        position = int(np.flatnonzero(duplicated)[0])
        raise DataFormatError(
            _where(sheet) + "duplicate code", path=path, line=position + header_lines + 1, column=column.strip(),
            expected="each code once", found=repr(codes.iloc[position]),
        )


def _numbers(path: Path, sheet: str | None, series: pd.Series, column: str, header_lines: int) -> pd.Series:
    values = pd.to_numeric(series, errors="coerce")
    text = series.map(lambda v: "" if v is None else str(v).strip())
    if (values.isna() & (text != "")).any():  # let the shared parser name the bad cell
        values, _ = to_number(text, path=path, column=column.strip(), header_lines=header_lines, markers={})
    empty = values.isna().to_numpy()
    if empty.any():
        position = int(np.flatnonzero(empty)[0])
        raise DataFormatError(
            _where(sheet) + "missing value", path=path, line=position + header_lines + 1, column=column.strip(),
            expected="a number", found="an empty cell",
        )
    return values.astype("float64")


def _integers(
    path: Path, sheet: str | None, series: pd.Series, column: str, header_lines: int, low: int, high: int
) -> pd.Series:
    values = _numbers(path, sheet, series, column, header_lines)
    bad = ((values < low) | (values > high) | (values % 1 != 0)).to_numpy()
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise DataFormatError(
            _where(sheet) + "value out of range", path=path, line=position + header_lines + 1,
            column=column.strip(), expected=f"a whole number from {low} to {high:,}",
            found=repr(series.iloc[position]),
        )
    return values.astype("Int64")


# -- upper-tier summaries (File 11) ---------------------------------------------------------------


def _summary_header(normalised: list[str]) -> bool:
    return bool(normalised) and bool(_SUMMARY_CODE.match(normalised[0])) and any(
        _measure(h) == "average_score" for h in normalised
    )


def _measure(normalised: str) -> str | None:
    text = normalised.split(" - ", 1)[1] if " - " in normalised else normalised
    text = re.sub(r"^(imd|income|employment)\s+(?=scale$)", "", text)
    text = re.sub(r"^rank of (imd|income|employment) scale$", "rank of scale", text)
    return _SUMMARY_MEASURES.get(text)


def read_imd_upper_tier(path: str | Path, *, sheet: str = "IMD") -> pd.DataFrame:
    """Read the IoD2019 local-authority summaries (File 11 upper tier; File 10 lower tier).

    Parameters
    ----------
    path
        ``File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx``
        (or File 10, or the London workbook's ``Borough summary measures`` sheet).
    sheet
        ``"IMD"`` (default) or a domain sheet (``"Income"``, ``"Crime"``…).

    Returns
    -------
    pandas.DataFrame
        ``area_code, area_name`` and the measures present, named without the
        domain prefix: ``average_rank, rank_of_average_rank, average_score,
        rank_of_average_score, proportion_most_deprived_10pct,
        rank_of_proportion_most_deprived_10pct, extent, rank_of_extent,
        local_concentration, rank_of_local_concentration`` (``scale``,
        ``rank_of_scale`` on Income and Employment). Ranks are ``Int64``.
        ``attrs``: ``source``, ``sheet``, ``domain`` (e.g. ``"IMD"``),
        ``area_type`` (``"utla"`` or ``"lad"``).

    Raises
    ------
    MissingDataError
        The file does not exist.
    DataFormatError
        No summary header on the sheet, an average score is missing, a value is
        not a number, a rank is not a positive whole number, a proportion is
        outside 0–1, or a code is empty or repeated.
    """
    path = Path(path)
    table = read_tables(path, sheet, _summary_header, "IoD summary")[0]
    sheet_name, header_index, header, body = table.sheet, table.header_index, table.header, table.body
    normalised = [norm(h) for h in header]
    header_lines = header_index + 1
    name_pos = next((i for i, h in enumerate(normalised) if _SUMMARY_NAME.match(h)), None)
    if name_pos is None:
        raise DataFormatError(
            _where(sheet_name) + "required column missing", path=path, line=header_lines,
            column="Upper Tier Local Authority District name (2019)",
            expected="a local authority name column", found=", ".join(repr(h) for h in header[:4]),
        )
    out = pd.DataFrame({"area_code": _strings(body[0]), "area_name": _strings(body[name_pos])})
    _check_codes(path, sheet_name, out["area_code"], header[0], header_lines)
    for position, text in enumerate(normalised):
        measure = _measure(text)
        if measure is None or measure in out.columns:
            continue
        values = _numbers(path, sheet_name, body[position], header[position], header_lines)
        if measure.startswith("rank"):
            values = _integers(path, sheet_name, body[position], header[position], header_lines, 1, 10**6)
        elif measure.startswith("proportion"):
            bad = ((values < 0) | (values > 1)).to_numpy()
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise DataFormatError(
                    _where(sheet_name) + "proportion out of range", path=path, line=row + header_lines + 1,
                    column=header[position].strip(), expected="a proportion from 0 to 1",
                    found=repr(body[position].iloc[row]),
                )
        out[measure] = values
    domain = header[2].split(" - ", 1)[0].strip() if len(header) > 2 and " - " in header[2] else sheet_name
    out = out.reset_index(drop=True)
    out.attrs = {
        "source": str(path),
        "sheet": sheet_name,
        "domain": domain,
        "area_type": "utla" if normalised[0].startswith("upper tier") else "lad",
    }
    return out


# -- local deciles --------------------------------------------------------------------------------


def _quantile(rank: pd.Series, n: int, nquantiles: int) -> pd.Series:
    """OHID/PHE quantile of a rank (1 = most deprived) among ``n`` areas; ``<NA>`` if n < nquantiles."""
    if n < nquantiles:
        return pd.Series(pd.NA, index=rank.index, dtype="Int64")
    q = np.floor((nquantiles + 1) - np.ceil(((n + 1) - rank.to_numpy(dtype=float)) / (n / nquantiles)))
    q[q == 0] = 1
    return pd.Series(q, index=rank.index).astype("Int64")


def decile_within_area(imd: pd.DataFrame, lsoa_codes: str | Iterable[str]) -> pd.DataFrame:
    """Local deprivation deciles and quintiles: LSOAs ranked within the area.

    The area's LSOAs are ranked by national IMD rank (1 = most deprived; by
    score, highest first, when the table has no rank) and cut into ten and five
    groups as equal as possible, following ``phe_quantile`` (OHID method):
    ``quantile = floor((q + 1) - ceil(((n + 1) - rank) / (n / q)))``, 1 = most
    deprived. Fewer LSOAs than groups gives ``<NA>``.

    Parameters
    ----------
    imd
        A table from :func:`read_imd`.
    lsoa_codes
        The area's LSOA codes, or one local authority code (all its LSOAs in ``imd``).

    Returns
    -------
    pandas.DataFrame
        The area's rows of ``imd`` (in ``imd``'s order) with ``local_rank``,
        ``local_decile`` and ``local_quintile`` (``Int64``); ``attrs["method"]``.

    Raises
    ------
    MissingDataError
        A code is not in ``imd`` (e.g. LSOA 2021 codes against IMD 2019).

    References
    ----------
    OHID, *Assigning Deprivation Categories* (technical guide); PHEindicatormethods
    ``phe_quantile``.
    """
    if isinstance(lsoa_codes, str):
        area = imd[imd["lad_code"] == lsoa_codes]
        if area.empty:
            raise MissingDataError(f"no LSOAs of local authority {lsoa_codes!r} in the IMD table")
    else:
        wanted = pd.Index(pd.unique(pd.Series(list(lsoa_codes), dtype="string")))
        missing = wanted.difference(pd.Index(imd["lsoa_code"]))
        if len(missing):
            shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
            raise MissingDataError(
                f"{len(missing)} LSOA code(s) not in the IMD table: {shown} "
                "(IMD 2019 uses LSOA 2011 codes; map 2021 codes with lsoa_2011_to_2021)"
            )
        area = imd[imd["lsoa_code"].isin(wanted)]
    area = area.copy()
    if area["imd_rank"].notna().all():
        area["local_rank"] = area["imd_rank"].rank(method="min", ascending=True)
    else:
        area["local_rank"] = area["imd_score"].rank(method="min", ascending=False)
    n = len(area)
    area["local_decile"] = _quantile(area["local_rank"], n, 10)
    area["local_quintile"] = _quantile(area["local_rank"], n, 5)
    area["local_rank"] = area["local_rank"].astype("Int64")
    area.attrs = {
        **imd.attrs,
        "method": "phe_quantile: rank within the area by national IMD rank, 1 = most deprived",
        "n_lsoas": n,
    }
    return area

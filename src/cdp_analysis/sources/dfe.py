"""Department for Education tables for the demand chapter, as one tidy long frame each.

Readers for the DfE's published CSVs (Explore Education Statistics, EES, and the
earlier statistical first releases):

* :func:`read_children_in_need`: *Children in need*, table C3 "factors identified at
  the end of assessment" (``c3_factors_identified_at_end_of_assessment_*.csv``):
  drug and alcohol misuse of the child, a parent or another person;
* :func:`read_looked_after`: *Children looked after*, outcomes by LA
  (``la_conviction_health_outcome_cla.csv``): children identified as having a
  substance misuse problem, and whether they received or refused an intervention;
* :func:`read_exclusions`: permanent and fixed-period exclusions (suspensions) by
  reason, "drug and alcohol related", in both published layouts
  (``SFR35_2017_reason_for_exclusion.csv``, ``level`` = ``National``, and the 2018
  ``reasons.csv``, ``level`` = ``NATIONAL``, ``Special`` for ``Special school``);
* :func:`read_pupil_headcount`: the pupil headcount of the exclusions release's main
  table (``year, level, …, school_type, headcount``, or the EES ``time_period,
  geographic_level, …, headcount`` form), the denominator of a rate per 1,000
  pupils. Neither reason file carries it; :func:`add_pupil_denominators` joins it.

Every reader returns :data:`TIDY_COLUMNS`: one row per area, period, measure and
category, with national, regional and LA rows from the same file so that England
and the region are comparators from the same publication.

Markers (DfE/EES and GSS conventions) are never zero. A marked cell gives a missing
``count``, its symbol in ``marker`` and its meaning in ``note``:

=====  ====================================================================
``x``  not available (e.g. not collected that year, or a return not received)
``c``  confidential: suppressed to protect individuals (small numbers)
``u``  low reliability: DfE withheld the figure (a data-quality problem in the
       authority's return); kept missing, **not** used with a warning, because
       no number is published in the cell
``z``  not applicable (no figure can exist, e.g. a breakdown of a zero)
``k``  low figure: rounds to zero but is not zero (kept missing, not 0)
``low`` the EES spelling of ``k``
=====  ====================================================================

The exclusions releases of 2017 and 2018 use ``x`` for small numbers withheld to
protect confidentiality (:data:`EXCLUSION_MARKERS`); DfE's own dashboard turned
those into 0 for its sparklines, which this reader never does.

Periods: DfE "reporting year" ``2025`` (children in need, looked after) is the year
ending 31 March 2025, written ``"2024/25"``; an academic year ``201516`` is written
``"2015/16"``. The source's own ``time_period`` is kept.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.errors import DataFormatError, MissingDataError
from cdp_analysis.sources._common import check_columns, detect_encoding, line_of, to_count

__all__ = [
    "TIDY_COLUMNS",
    "EES_MARKERS",
    "EXCLUSION_MARKERS",
    "CIN_FACTORS",
    "CLA_CATEGORIES",
    "EXCLUSION_MEASURES",
    "SCHOOL_TYPES",
    "is_children_in_need",
    "is_looked_after",
    "is_exclusions",
    "is_pupil_headcount",
    "read_children_in_need",
    "read_looked_after",
    "read_exclusions",
    "read_pupil_headcount",
    "combine_exclusions",
    "add_pupil_denominators",
    "academic_year",
    "reporting_year",
]

#: Columns of every tidy frame this module returns, with their dtypes.
TIDY_COLUMNS: dict[str, str] = {
    "area_code": "string",  # GSS code: new_la_code, region_code or country_code
    "area_name": "string",
    "geographic_level": "string",  # "National", "Regional", "Local authority"
    "region_code": "string",  # the file's region (London boroughs: Inner/Outer London E13…)
    "region_name": "string",
    "old_la_code": "string",  # DfE 3-digit LA number
    "new_la_code": "string",
    "time_period": "string",  # as published: "2025", "201516"
    "time_identifier": "string",  # "Reporting year", "Academic year"
    "period": "string",  # "2024/25", "2015/16"
    "measure": "string",
    "category": "string",
    "count": "float64",
    "denominator": "float64",
    "value": "float64",
    "unit": "string",
    "marker": "string",  # the published symbol where a cell was withheld ("c", "x", …)
    "note": "string",  # its meaning, and any other caveat
    "release": "string",  # exclusions only: the latest period of the file the row came from
}

#: DfE / GSS symbols and their meaning (see the module docstring).
EES_MARKERS: dict[str, str] = {
    "x": "not available",
    "c": "confidential (suppressed to protect individuals)",
    "u": "low reliability (figure withheld by DfE)",
    "z": "not applicable",
    "k": "low figure (rounds to zero but is not zero)",
    "low": "low figure (rounds to zero but is not zero)",
    ":": "not available",
    "~": "low figure (rounds to zero but is not zero)",
}

#: C3 columns read by default: factor -> (measure, category).
CIN_FACTORS: dict[str, tuple[str, str]] = {
    "Drug_Misuse_child": ("drug_misuse", "child"),
    "Drug_Misuse_parent": ("drug_misuse", "parent"),
    "Drug_Misuse_person": ("drug_misuse", "other person"),
    "Alcohol_Misuse_child": ("alcohol_misuse", "child"),
    "Alcohol_Misuse_parent": ("alcohol_misuse", "parent"),
    "Alcohol_Misuse_person": ("alcohol_misuse", "other person"),
}
_CIN_DENOMINATOR = "Episodes_with_assessment_factor"
_GEO_COLUMNS = ("time_period", "time_identifier", "geographic_level", "country_code", "country_name",
                "region_code", "region_name", "old_la_code", "new_la_code", "la_name")

#: Looked-after breakdown -> (category, breakdown whose count is the denominator).
CLA_CATEGORIES: dict[str, tuple[str, str | None]] = {
    "Total all ages": ("looked after 12 months", None),
    "Identified as having a substance misuse problem": ("identified", "Total all ages"),
    "Received an intervention for their substance misuse problem": ("received intervention",
                                                                    "Identified as having a substance misuse problem"),
    "Offered intervention but refused it": ("refused intervention",
                                            "Identified as having a substance misuse problem"),
}
_CLA_CHARACTERISTIC = "Substance misuse: Children looked after all ages"

#: Exclusions columns -> measure.
EXCLUSION_MEASURES: dict[str, str] = {
    "perm_drug_alcohol": "permanent_exclusions_drug_alcohol",
    "fixed_drug_alcohol": "suspensions_drug_alcohol",
}
#: School types, in the later spelling (``Special school`` and ``Primary`` are renamed).
SCHOOL_TYPES = ("Total", "State-funded primary", "State-funded secondary", "Special")
_SCHOOL_TYPE = {"total": "Total", "state-funded primary": "State-funded primary", "primary": "State-funded primary",
                "state-funded secondary": "State-funded secondary", "secondary": "State-funded secondary",
                "special": "Special", "special school": "Special", "state-funded special": "Special"}
_LEVEL = {"national": "National", "regional": "Regional", "local authority": "Local authority"}
_LEVEL_CODE = {"National": ("country_code", "country_name"), "Regional": ("region_code", "region_name"),
               "Local authority": ("new_la_code", "la_name")}
_ACADEMIC = re.compile(r"^(?P<a>\d{4})(?P<b>\d{2})$")
#: In the exclusions releases of 2017 and 2018, ``x`` marked small numbers withheld.
EXCLUSION_MARKERS: dict[str, str] = {
    "x": "suppressed to protect confidentiality (small number)",
    ".": "not applicable",
}
_FRACTION_NOTE = "fractional count as published (DfE apportioned early LA figures)"


# -- periods ----------------------------------------------------------------------------------


def academic_year(text: str) -> str | None:
    """``"201516"`` -> ``"2015/16"``; None when ``text`` is not an academic year.

    >>> academic_year("201516"), academic_year("200910"), academic_year("2015")
    ('2015/16', '2009/10', None)
    """
    match = _ACADEMIC.match(str(text).strip())
    if not match or (int(match["a"]) + 1) % 100 != int(match["b"]):
        return None
    return f"{match['a']}/{match['b']}"


def reporting_year(text: str) -> str | None:
    """DfE reporting year ``"2025"`` (year to 31 March 2025) -> ``"2024/25"``.

    >>> reporting_year("2025"), reporting_year("2000"), reporting_year("25")
    ('2024/25', '1999/00', None)
    """
    text = str(text).strip()
    if not re.fullmatch(r"\d{4}", text):
        return None
    year = int(text)
    return f"{year - 1}/{year % 100:02d}"


# -- sniffers ---------------------------------------------------------------------------------


def _header(path: str | Path) -> list[str] | None:
    path = Path(path)
    if path.suffix.lower() != ".csv" or not path.is_file():
        return None
    try:
        with path.open(encoding=detect_encoding(path), newline="") as handle:
            return [h.strip() for h in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error, DataFormatError):
        return None


def _has(path: str | Path, *columns: str) -> set[str] | None:
    header = _header(path)
    if header is None:
        return None
    found = set(header)
    return found if all(c in found for c in columns) else None


def is_children_in_need(path: str | Path) -> bool:
    """Whether ``path`` is a DfE children-in-need factors table (C3). Never raises."""
    return _has(path, "time_period", "geographic_level", _CIN_DENOMINATOR, "Drug_Misuse_parent") is not None


def is_looked_after(path: str | Path) -> bool:
    """Whether ``path`` is a DfE looked-after-children outcomes table (long form). Never raises."""
    return _has(path, "time_period", "geographic_level", "characteristic", "breakdown",
                "children_count") is not None


def is_exclusions(path: str | Path) -> bool:
    """Whether ``path`` is a DfE exclusions-by-reason table (either layout). Never raises."""
    found = _has(path, "school_type", *EXCLUSION_MEASURES)
    return found is not None and bool({"year", "time_period"} & found) and bool({"level", "geographic_level"} & found)


def is_pupil_headcount(path: str | Path) -> bool:
    """Whether ``path`` is a DfE exclusions main table with a pupil ``headcount``. Never raises."""
    found = _has(path, "school_type", "headcount")
    return (found is not None and not (set(EXCLUSION_MEASURES) & found)
            and bool({"year", "time_period"} & found) and bool({"level", "geographic_level"} & found))


# -- reading ----------------------------------------------------------------------------------


def _read_csv(path: str | Path, required: Sequence[str], what: str) -> tuple[Path, pd.DataFrame]:
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"{what} file not found: {path}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=detect_encoding(path))
    except pd.errors.ParserError as exc:
        raise DataFormatError(f"malformed CSV ({exc})", path=path, expected="comma-separated values") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    check_columns(path, list(frame.columns), required)
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    return path, frame


def _levels(path: Path, raw: pd.Series, column: str) -> pd.Series:
    levels = raw.str.lower().map(_LEVEL)
    bad = levels.isna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError("unknown geographic level", path=path, line=line_of(position), column=column,
                              expected="National, Regional or Local authority (any case)",
                              found=repr(raw.iloc[position]))
    return levels


def _periods(path: Path, raw: pd.Series, column: str, parse, expected: str) -> pd.Series:
    periods = raw.map(parse)
    bad = periods.isna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError("not a period", path=path, line=line_of(position), column=column,
                              expected=expected, found=repr(raw.iloc[position]))
    return periods.astype("string")


def _geography(path: Path, frame: pd.DataFrame, level_column: str) -> pd.DataFrame:
    """The area columns of the tidy frame from the EES geography columns."""
    levels = _levels(path, frame[level_column], level_column)
    out = pd.DataFrame(index=frame.index)
    out["geographic_level"] = levels
    code = pd.Series(pd.NA, index=frame.index, dtype="string")
    name = pd.Series(pd.NA, index=frame.index, dtype="string")
    for level, (code_col, name_col) in _LEVEL_CODE.items():
        mask = levels == level
        code[mask] = frame.loc[mask, code_col]
        name[mask] = frame.loc[mask, name_col]
    code = code.where(code.str.fullmatch(r"[A-Z]\d{8}").fillna(False))  # "." = no current code
    out["area_code"] = code
    out["area_name"] = name
    for column in ("region_code", "region_name", "old_la_code", "new_la_code"):
        out[column] = frame[column].replace("", pd.NA).astype("string")
    out["new_la_code"] = out["new_la_code"].where(out["new_la_code"] != ".")
    return out


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    for column, dtype in TIDY_COLUMNS.items():
        if column not in frame:
            frame[column] = np.nan if dtype == "float64" else pd.NA
        if dtype == "float64":
            frame[column] = pd.to_numeric(frame[column]).astype(dtype)
        else:
            frame[column] = frame[column].astype(dtype)
    frame = frame[list(TIDY_COLUMNS)]
    level_rank = frame["geographic_level"].map({"National": 0, "Regional": 1, "Local authority": 2})
    frame = frame.assign(_rank=level_rank).sort_values(
        ["period", "_rank", "area_code", "measure", "category"], na_position="last", kind="stable")
    return frame.drop(columns="_rank").reset_index(drop=True)


def _marked(series: pd.Series, path: Path, column: str, markers: dict[str, str] = EES_MARKERS,
            ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Counts, markers and the markers' meanings of one column."""
    values, reasons = to_count(series, path=path, column=column, markers=markers)
    marker = series.str.lower().where(reasons.notna()).astype("string")
    return values, marker, reasons


def read_children_in_need(path: str | Path, factors: dict[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """Children in need, table C3: assessments with drug or alcohol misuse identified.

    Parameters
    ----------
    path
        The EES CSV ``c3_factors_identified_at_end_of_assessment_<years>.csv``.
    factors
        Columns to read, ``{column: (measure, category)}``; default :data:`CIN_FACTORS`
        (drug and alcohol misuse of the child, a parent, another person).

    Returns
    -------
    pandas.DataFrame
        :data:`TIDY_COLUMNS`. ``measure`` ``"drug_misuse"`` or ``"alcohol_misuse"``;
        ``category`` ``"child"``, ``"parent"`` or ``"other person"``; ``count``
        episodes with the factor identified at the end of assessment;
        ``denominator`` episodes with assessment factor information
        (``Episodes_with_assessment_factor``); ``value`` = count / denominator × 100,
        ``unit`` ``"%"``. Missing with ``marker``/``note`` where DfE withheld a cell
        (or the denominator, noted as such). ``period`` ``"2024/25"`` for the
        reporting year 2025 (year ending 31 March).

    Raises
    ------
    DataFormatError
        A column missing, a level or year not recognised, a cell neither a count
        nor a marker; the message names the file, line and column.
    """
    factors = CIN_FACTORS if factors is None else factors
    path, frame = _read_csv(path, [*_GEO_COLUMNS, _CIN_DENOMINATOR, *factors], "children in need")
    geo = _geography(path, frame, "geographic_level")
    geo["time_period"] = frame["time_period"]
    geo["time_identifier"] = frame["time_identifier"]
    geo["period"] = _periods(path, frame["time_period"], "time_period", reporting_year, "a year such as 2025")
    denominator, den_marker, den_reason = _marked(frame[_CIN_DENOMINATOR], path, _CIN_DENOMINATOR)
    parts = []
    for column, (measure, category) in factors.items():
        count, marker, reason = _marked(frame[column], path, column)
        part = geo.copy()
        part["measure"], part["category"] = measure, category
        part["count"], part["denominator"] = count, denominator
        part["value"] = np.where(denominator > 0, count / denominator * 100, np.nan)
        part["unit"] = "%"
        part["marker"] = marker.fillna(den_marker)
        part["note"] = reason.fillna("denominator " + den_reason)
        parts.append(part)
    return _finish(pd.concat(parts, ignore_index=True))


def read_looked_after(path: str | Path) -> pd.DataFrame:
    """Children looked after identified as having a substance misuse problem.

    Parameters
    ----------
    path
        The EES CSV ``la_conviction_health_outcome_cla.csv`` (long form:
        ``characteristic, breakdown, children_count, children_percent``); only the
        rows of characteristic "Substance misuse: Children looked after all ages" are read.

    Returns
    -------
    pandas.DataFrame
        :data:`TIDY_COLUMNS` with ``measure`` ``"cla_substance_misuse"`` and
        ``category`` one of ``"looked after 12 months"`` (children looked after
        continuously for 12 months at 31 March: the denominator), ``"identified"``
        (identified as having a substance misuse problem; denominator: all of
        them), ``"received intervention"`` and ``"refused intervention"``
        (denominator: those identified). ``value`` is DfE's published percentage
        (whole numbers), ``unit`` ``"%"``.

    Raises
    ------
    DataFormatError
        As :func:`read_children_in_need`; also when the file has no substance
        misuse rows or an unknown breakdown.
    """
    path, frame = _read_csv(path, [*_GEO_COLUMNS, "characteristic", "breakdown", "children_count",
                                   "children_percent"], "looked-after children")
    count, marker, reason = _marked(frame["children_count"], path, "children_count")
    percent, p_marker, p_reason = _marked(frame["children_percent"], path, "children_percent")
    keep = (frame["characteristic"] == _CLA_CHARACTERISTIC).to_numpy()
    if not keep.any():
        raise DataFormatError("no substance misuse rows", path=path, column="characteristic",
                              expected=repr(_CLA_CHARACTERISTIC), found="none")
    unknown = keep & ~frame["breakdown"].isin(list(CLA_CATEGORIES)).to_numpy()
    if unknown.any():
        position = int(np.flatnonzero(unknown)[0])
        raise DataFormatError("unknown breakdown", path=path, line=line_of(position), column="breakdown",
                              expected=", ".join(CLA_CATEGORIES), found=repr(frame["breakdown"].iloc[position]))
    frame = frame[keep].reset_index(drop=True)
    count, marker, reason, percent, p_marker, p_reason = (
        s[keep].reset_index(drop=True) for s in (count, marker, reason, percent, p_marker, p_reason))
    geo = _geography(path, frame, "geographic_level")
    geo["time_period"], geo["time_identifier"] = frame["time_period"], frame["time_identifier"]
    geo["period"] = _periods(path, frame["time_period"], "time_period", reporting_year, "a year such as 2025")
    geo["measure"] = "cla_substance_misuse"
    geo["category"] = frame["breakdown"].map(lambda b: CLA_CATEGORIES[b][0])
    geo["count"], geo["value"], geo["unit"] = count, percent, "%"
    geo["marker"], geo["note"] = marker.fillna(p_marker), reason.fillna(p_reason)
    key = ["geographic_level", "area_code", "area_name", "old_la_code", "period"]
    counts = geo.assign(_b=frame["breakdown"]).set_index([*key, "_b"])["count"]
    wanted = frame["breakdown"].map(lambda b: CLA_CATEGORIES[b][1])
    index = pd.MultiIndex.from_arrays([geo[k] for k in key] + [wanted])
    geo["denominator"] = counts[~counts.index.duplicated()].reindex(index).to_numpy()
    geo.loc[geo["category"] == "looked after 12 months", "value"] = np.nan
    return _finish(geo)


def read_exclusions(path: str | Path) -> pd.DataFrame:
    """Permanent exclusions and suspensions for drug and alcohol reasons.

    Reads either published layout of the DfE "reason for exclusion" table (wide:
    ``year, level, …, school_type, perm_<reason>…, fixed_<reason>…``): ``level``
    in any case, ``Special school`` or ``Special``, years written ``201516``.
    Fixed-period exclusions were renamed *suspensions* by DfE in 2021; the measure
    uses the current name.

    Returns
    -------
    pandas.DataFrame
        :data:`TIDY_COLUMNS`: ``measure`` ``"permanent_exclusions_drug_alcohol"`` or
        ``"suspensions_drug_alcohol"``; ``category`` the school type
        (:data:`SCHOOL_TYPES`); ``count`` as published (fractional in some LA rows
        of 2006/07–2009/10, kept as published with a ``note``); ``denominator`` and
        ``value`` (per 1,000 pupils, ``unit`` ``"per 1,000 pupils"``) empty until
        :func:`add_pupil_denominators`; ``release`` the latest period in the file
        (:func:`combine_exclusions` prefers the latest release). Authorities
        abolished in 2009 (``new_la_code`` ``"."``) have no ``area_code``; their
        ``old_la_code`` and name are kept.

    Raises
    ------
    DataFormatError
        As :func:`read_children_in_need`.
    """
    path, frame = _read_csv(path, ["school_type", *EXCLUSION_MEASURES], "exclusions")
    frame = _ees_names(path, frame)
    geo = _exclusion_geography(path, frame)
    parts = []
    for column, measure in EXCLUSION_MEASURES.items():
        count, marker, reason = _marked(frame[column], path, column, EXCLUSION_MARKERS)
        part = geo.copy()
        part["measure"], part["count"], part["unit"] = measure, count, "per 1,000 pupils"
        fractional = count.notna() & (count != np.floor(count))
        part["marker"] = marker
        part["note"] = reason.where(~fractional, _FRACTION_NOTE)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["release"] = str(out["period"].max())
    return _finish(out)


def read_pupil_headcount(path: str | Path) -> pd.DataFrame:
    """Pupil headcount by area, year and school type, from the exclusions main table.

    Returns
    -------
    pandas.DataFrame
        ``area_code, area_name, geographic_level, old_la_code, period, category,
        headcount`` (float; missing where marked).
    """
    path, frame = _read_csv(path, ["school_type", "headcount"], "pupil headcount")
    frame = _ees_names(path, frame)
    geo = _exclusion_geography(path, frame)
    geo["headcount"], _, _ = _marked(frame["headcount"], path, "headcount", EXCLUSION_MARKERS)
    return geo[["area_code", "area_name", "geographic_level", "old_la_code", "period", "category",
                "headcount"]].reset_index(drop=True)


def _ees_names(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """The SFR names (``year``, ``level``) as their EES equivalents."""
    frame = frame.rename(columns={"year": "time_period", "level": "geographic_level"})
    check_columns(path, list(frame.columns), ["time_period", "geographic_level", "country_code", "country_name",
                                              "region_code", "region_name", "old_la_code", "new_la_code",
                                              "la_name"])
    return frame


def _exclusion_geography(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    geo = _geography(path, frame, "geographic_level")
    geo["time_period"] = frame["time_period"]
    geo["time_identifier"] = frame["time_identifier"] if "time_identifier" in frame else "Academic year"
    geo["period"] = _periods(path, frame["time_period"], "time_period", academic_year,
                             "an academic year such as 201516")
    school = frame["school_type"].str.lower().map(_SCHOOL_TYPE)
    if school.isna().any():
        position = int(np.flatnonzero(school.isna().to_numpy())[0])
        raise DataFormatError("unknown school type", path=path, line=line_of(position), column="school_type",
                              expected=", ".join(SCHOOL_TYPES), found=repr(frame["school_type"].iloc[position]))
    geo["category"] = school
    return geo


_EXCLUSION_KEY = ["geographic_level", "area_code", "old_la_code", "area_name", "period", "measure", "category"]


def combine_exclusions(frames: pd.DataFrame | Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One series from several releases: per area, year, measure and school type, the latest release wins.

    The 2017 and 2018 releases agree on every overlapping figure; where a later
    release revised one, the revision is kept.
    """
    frame = frames if isinstance(frames, pd.DataFrame) else pd.concat(list(frames), ignore_index=True)
    latest = frame.sort_values("release", kind="stable").drop_duplicates(_EXCLUSION_KEY, keep="last")
    return _finish(latest.copy())


def add_pupil_denominators(exclusions: pd.DataFrame, headcount: pd.DataFrame) -> pd.DataFrame:
    """Fill ``denominator`` (pupils) and ``value`` (per 1,000 pupils) from a headcount table.

    Rows without a matching headcount keep both empty, with a note saying so.
    """
    key = ["geographic_level", "area_code", "old_la_code", "period", "category"]
    pupils = headcount.drop_duplicates(key).set_index(key)["headcount"]
    index = pd.MultiIndex.from_frame(exclusions[key].astype("string").fillna(""))
    pupils.index = pd.MultiIndex.from_frame(pupils.index.to_frame().astype("string").fillna(""))
    out = exclusions.copy()
    out["denominator"] = pupils.reindex(index).to_numpy(dtype=float)
    out["value"] = np.where(out["denominator"] > 0, out["count"] / out["denominator"] * 1000, np.nan)
    missing = out["denominator"].isna() & out["note"].isna()
    out.loc[missing, "note"] = "no pupil headcount for this area, year and school type"
    return _finish(out)

"""Stop and search for drugs: volumes, find rates, outcomes and disproportionality.

Pure functions (no I/O) over the normalised stop-and-search frame of
:func:`cdp_analysis.sources.police_uk.read_stop_and_search` (columns in
``docs/data_contract.md``), for CHAPTERS.md §3.1 item 3.

Things to keep in mind when reading the results:

* police.uk publishes searches **per police force area** (PFA). A search can be
  placed in a local authority, ward or LSOA only through its coordinates
  (:func:`locate_in_area`); searches without coordinates (about 10% in the
  City of London files, more in some months) cannot be placed and are counted
  in ``attrs["unlocated"]``. Coordinates are snapped to anonymised map points
  and published to 6 decimal places: a point within :data:`COORDINATE_TOLERANCE_M`
  of an area's edge may lie on either side of it and is placed in the area.
* The "outcome linked to object of search" flag is blank for whole forces and
  years (all of the Met's 2018 files): :func:`find_rate` leaves blanks out of
  its denominator and reports how many searches had the flag.
* The no-further-action wording changed over the years (:data:`NFA_OUTCOMES`).
* Officer-defined ethnicity is the officer's perception, in five broad groups
  (older files have no "Mixed"); self-defined ethnicity is often "Not stated".
  Census 2021 residents are a fixed denominator: visitors, commuters and the
  night-time population are searched but are not residents.
* Counts reflect police activity (operations, patrol patterns) as much as drug
  use or supply.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from cdp_analysis import stats
from cdp_analysis.errors import DataFormatError, DataShortfallError, MissingDataError, SchemaError, StatsInputError
from cdp_analysis.indicators.supply import PER_1000
from cdp_analysis.sources.census import CENSUS_ETHNIC_GROUPS

__all__ = [
    "DRUG_OBJECT",
    "MISUSE_OF_DRUGS_ACT",
    "NFA_OUTCOMES",
    "UNKNOWN_OUTCOMES",
    "NOT_RECORDED",
    "PERIODS",
    "OFFICER_ETHNICITY_TO_CENSUS",
    "SELF_DEFINED_PREFIX_TO_CENSUS",
    "AGE_BANDS",
    "PER_1000",
    "COORDINATE_TOLERANCE_M",
    "drug_searches",
    "locate_in_area",
    "without_point",
    "monthly_searches",
    "find_rate",
    "outcome_mix",
    "census_ethnic_group",
    "rate_ratio_ci",
    "disproportionality",
    "population_by_age_band",
    "held_monthly",
    "recent_disproportionality",
]

#: police.uk "Object of search" of a search for drugs.
DRUG_OBJECT = "Controlled drugs"
#: The drugs search power; counts as a drug search when the object is blank.
MISUSE_OF_DRUGS_ACT = "Misuse of Drugs Act 1971 (section 23)"
#: Outcomes meaning "no further action", in every wording police.uk has used:
#: "A no further action disposal" (2017 on), "Nothing found - no further action"
#: (earlier files) and the psychoactive-substances variant of the earlier list.
NFA_OUTCOMES = frozenset({
    "A no further action disposal",
    "Nothing found - no further action",
    "Suspected psychoactive substances seized - No further action",
})
#: Outcomes that say nothing about what happened; left out of outcome denominators
#: together with blanks.
UNKNOWN_OUTCOMES = frozenset({"", "Details not available"})
#: Label given to a blank outcome in :func:`outcome_mix`.
NOT_RECORDED = "Not recorded"
#: The ``period`` values :func:`find_rate` accepts.
PERIODS = (None, "month", "financial_year", "calendar_year", "rolling_12m")

#: police.uk officer-defined ethnicity → Census 2021 ethnic group (5 categories).
#: The officer's perception in five broad groups is matched to the group of the
#: same name; the two classifications are not identical (e.g. officers may
#: record people of Chinese heritage as "Other" or "Asian", Census 2021 counts
#: them under Asian; "Mixed" is missing from most officer-defined data, so Mixed
#: residents show no searches). Blank values are "not recorded".
OFFICER_ETHNICITY_TO_CENSUS: dict[str, str] = {
    "Asian": CENSUS_ETHNIC_GROUPS[0],
    "Black": CENSUS_ETHNIC_GROUPS[1],
    "Mixed": CENSUS_ETHNIC_GROUPS[2],
    "White": CENSUS_ETHNIC_GROUPS[3],
    "Other": CENSUS_ETHNIC_GROUPS[4],
}
#: police.uk self-defined ethnicity (2011 Census classification, ``"<group> - <detail>"``)
#: → Census 2021 group, by the prefix before ``" - "``. "Other ethnic group - Not
#: stated" is not recorded (see :func:`census_ethnic_group`).
SELF_DEFINED_PREFIX_TO_CENSUS: dict[str, str] = {
    "Asian/Asian British": CENSUS_ETHNIC_GROUPS[0],
    "Black/African/Caribbean/Black British": CENSUS_ETHNIC_GROUPS[1],
    "Mixed/Multiple ethnic groups": CENSUS_ETHNIC_GROUPS[2],
    "White": CENSUS_ETHNIC_GROUPS[3],
    "Other ethnic group": CENSUS_ETHNIC_GROUPS[4],
}
_NOT_STATED = "Other ethnic group - Not stated"
#: police.uk age ranges and the ages (inclusive) they cover; 90 stands for 90+.
AGE_BANDS: dict[str, tuple[int, int]] = {
    "under 10": (0, 9),
    "10-17": (10, 17),
    "18-24": (18, 24),
    "25-34": (25, 34),
    "over 34": (35, 90),
}
#: Distance (metres) within which a point outside an area is still placed in it.
#: police.uk publishes latitude and longitude to 6 decimal places, so a published
#: point lies up to half a unit of the last place (0.5e-6 degree) from its map
#: point in each direction: 0.056 m north-south and at most 0.036 m east-west in
#: England (latitude 49.9 to 55.8 degrees north), 0.066 m at most in all. A point
#: closer than that to an edge may belong on either side of it: placed with only
#: one area's polygons, it counts for that area; placed with its neighbours' too,
#: it goes to the polygon that holds it, else the nearest.
COORDINATE_TOLERANCE_M = 0.07
_RATIO_METHOD = "log method for the ratio of two Poisson rates (Rothman 2008)"


# --------------------------------------------------------------------------- helpers
def _require(frame: pd.DataFrame, columns: Sequence[Hashable], what: str = "frame") -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"'{what}' should be a pandas DataFrame, got {type(frame)}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"{what} lacks column(s) {missing}", column=str(missing[0]),
                          expected=f"columns {list(columns)}", found=f"{list(frame.columns)}")


def _keys(by: Hashable | Sequence[Hashable] | None) -> list[Hashable]:
    if by is None:
        return []
    if isinstance(by, str) or not isinstance(by, Sequence):
        return [by]
    return list(by)


def _text(series: pd.Series) -> pd.Series:
    """Values as trimmed ``string``; blanks and missing both become ``<NA>``."""
    text = series.astype("string").str.strip()
    return text.mask(text == "")


def _months(series: pd.Series) -> pd.Series:
    """Any month representation → first-of-month Timestamps."""
    return pd.to_datetime(series).dt.to_period("M").dt.to_timestamp()


def _confidence_label(confidence: float) -> str:
    return f"{round(confidence * 100, 6):g}%"


def _with_attrs(out: pd.DataFrame, frame: pd.DataFrame, **extra: object) -> pd.DataFrame:
    out.attrs = {**frame.attrs, **extra}
    return out


# --------------------------------------------------------------------------- selecting
def drug_searches(frame: pd.DataFrame) -> pd.DataFrame:
    """The searches for controlled drugs.

    A search is for drugs when its object of search is ``"Controlled drugs"``, or
    when the object is blank and the power used is the Misuse of Drugs Act 1971
    (section 23). Searches for psychoactive substances are not included.

    Parameters
    ----------
    frame : pandas.DataFrame
        Normalised stop-and-search rows (``object_of_search``, ``legislation``).

    Returns
    -------
    pandas.DataFrame
        The matching rows, index reset, ``attrs`` kept.

    Raises
    ------
    ValueError
        A required column is missing.
    """
    _require(frame, ("object_of_search", "legislation"))
    obj, law = _text(frame["object_of_search"]), _text(frame["legislation"])
    drug = obj.eq(DRUG_OBJECT).fillna(False) | (obj.isna() & law.eq(MISUSE_OF_DRUGS_ACT).fillna(False))
    out = frame.loc[drug.to_numpy(dtype=bool)].reset_index(drop=True)
    return _with_attrs(out, frame)


def locate_in_area(
    frame: pd.DataFrame, area_polygons: gpd.GeoDataFrame, *, code_col: str = "code",
    tolerance_m: float = COORDINATE_TOLERANCE_M,
) -> pd.DataFrame:
    """Add ``area_code``: the polygon each search's map point falls in.

    The (longitude, latitude) points (WGS84) are projected to British National
    Grid (EPSG:27700) and matched to the polygons. A point on the shared edge of
    two polygons goes to the first of them in ``area_polygons`` order. A point
    in none of them but within ``tolerance_m`` of one (the precision of the
    published coordinates, :data:`COORDINATE_TOLERANCE_M`) goes to the nearest.

    Parameters
    ----------
    frame : pandas.DataFrame
        Normalised stop-and-search rows (``longitude``, ``latitude``).
    area_polygons : geopandas.GeoDataFrame
        The areas, in EPSG:27700 (other CRSs are reprojected), with their codes in
        ``code_col`` (as :func:`cdp_analysis.sources.boundaries.read_boundaries`
        gives them).
    code_col : str, default "code"
        Column of ``area_polygons`` holding the area codes.
    tolerance_m : float, default :data:`COORDINATE_TOLERANCE_M`
        Points this close (metres) to a polygon but outside every one are placed
        in the nearest; 0 places only the points inside.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with ``area_code`` (``string``): ``<NA>`` for searches
        without coordinates and for those outside every polygon (another
        force's area, or the rest of a PFA). ``attrs["unlocated"]`` counts the
        searches without coordinates, ``attrs["outside_area"]`` those with
        coordinates outside every polygon.

    Raises
    ------
    TypeError
        ``area_polygons`` is not a GeoDataFrame.
    ValueError
        A column is missing, or ``area_polygons`` has no CRS.
    """
    _require(frame, ("longitude", "latitude"))
    if not isinstance(area_polygons, gpd.GeoDataFrame):
        raise TypeError(f"'area_polygons' should be GeoDataFrame, got {type(area_polygons)}")
    _require(area_polygons, (code_col,), "area_polygons")
    if area_polygons.crs is None:
        raise DataFormatError("area_polygons has no CRS", expected="EPSG:27700 (British National Grid)")
    polygons = area_polygons if area_polygons.crs.to_epsg() == 27700 else area_polygons.to_crs(27700)
    lon = frame["longitude"].to_numpy(dtype="float64", na_value=np.nan)
    lat = frame["latitude"].to_numpy(dtype="float64", na_value=np.nan)
    has_point = np.isfinite(lon) & np.isfinite(lat)
    rows = np.flatnonzero(has_point)
    codes = np.full(len(frame), None, dtype=object)
    if len(rows) and len(polygons):
        to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)  # one per call: thread-safe
        x, y = to_bng.transform(lon[rows], lat[rows])
        # a force's searches across many areas: only points inside the polygons' bounds can match
        xmin, ymin, xmax, ymax = polygons.total_bounds
        near = (x >= xmin - tolerance_m) & (x <= xmax + tolerance_m) & (y >= ymin - tolerance_m) & (
            y <= ymax + tolerance_m)
        rows, x, y = rows[near], x[near], y[near]
        points = shapely.points(x, y)
        names = polygons[code_col].astype(str).to_numpy()
        point_at, polygon_at = polygons.sindex.query(points, predicate="intersects")
        order = np.lexsort((polygon_at, point_at))  # per point, the first polygon
        point_at, polygon_at = point_at[order], polygon_at[order]
        first = np.r_[True, point_at[1:] != point_at[:-1]] if len(point_at) else np.array([], bool)
        codes[rows[point_at[first]]] = names[polygon_at[first]]
        if tolerance_m > 0:
            outside = np.setdiff1d(np.arange(len(points)), point_at)
            point_at, polygon_at = polygons.sindex.query(points[outside], predicate="dwithin", distance=tolerance_m)
            if len(point_at):
                gap = shapely.distance(points[outside][point_at], polygons.geometry.to_numpy()[polygon_at])
                order = np.lexsort((polygon_at, gap, point_at))  # per point, the nearest polygon
                point_at, polygon_at = point_at[order], polygon_at[order]
                first = np.r_[True, point_at[1:] != point_at[:-1]]
                codes[rows[outside[point_at[first]]]] = names[polygon_at[first]]
    out = frame.copy()
    out["area_code"] = pd.array(codes, dtype="string")
    located = int(out["area_code"].notna().sum())
    return _with_attrs(out, frame, unlocated=int((~has_point).sum()), outside_area=int(has_point.sum() - located))


def without_point(frame: pd.DataFrame) -> pd.Series:
    """Whether each search has no map point (latitude or longitude blank): no area can hold it.

    Raises
    ------
    ValueError
        ``latitude`` or ``longitude`` is missing.
    """
    _require(frame, ("longitude", "latitude"))
    lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(~(np.isfinite(lon) & np.isfinite(lat)), index=frame.index, name="without_point")


# --------------------------------------------------------------------------- counting
def monthly_searches(
    frame: pd.DataFrame,
    by: Hashable | Sequence[Hashable] | None = "area_code",
    *,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Searches per month (and group), every month present: zero-filled.

    Parameters
    ----------
    frame : pandas.DataFrame
        Stop-and-search rows with ``month`` (and the ``by`` columns), e.g. the
        output of :func:`locate_in_area` or :func:`drug_searches`.
    by : column name(s) or None, default "area_code"
        Count per value of these columns (the combinations seen in ``frame``).
        Rows with a missing value in any of them are not counted (for
        ``area_code``: searches not placed in an area); ``attrs["excluded"]``
        says how many.
    start, end : month-like, optional
        First and last month to report (``"2024-04"``, a Timestamp…); default
        the first and last month in ``frame``. Pass them when the data may lack
        searches at either end of the period wanted.

    Returns
    -------
    pandas.DataFrame
        ``*by, month, searches``: month as first-of-month Timestamps, sorted by
        group then month.

    Raises
    ------
    MissingDataError
        No month to report (empty frame and no ``start``/``end``).
    ValueError
        A column is missing.
    """
    keys = _keys(by)
    _require(frame, ["month", *keys])
    month = _months(frame["month"])
    first = pd.Period(start, freq="M").to_timestamp() if start is not None else month.min()
    last = pd.Period(end, freq="M").to_timestamp() if end is not None else month.max()
    if pd.isna(first) or pd.isna(last):
        raise MissingDataError("No months to count: the frame is empty and no start/end was given")
    months = pd.date_range(first, last, freq="MS", name="month")
    data = pd.DataFrame({k: frame[k] for k in keys})
    valid = data.notna().all(axis=1).to_numpy() if keys else np.ones(len(frame), bool)
    data["month"] = month
    data = data[valid & month.between(first, last).to_numpy()]
    counts = data.groupby([*keys, "month"], observed=True, dropna=False).size()
    if keys:
        groups = data[keys].drop_duplicates().astype(object)
        groups = groups.sort_values(keys, key=lambda s: s.astype(str)).itertuples(index=False, name=None)
        index = pd.MultiIndex.from_tuples([(*g, m) for g in groups for m in months], names=[*keys, "month"])
    else:
        index = months
    out = counts.reindex(index, fill_value=0).rename("searches").reset_index()
    out["searches"] = out["searches"].astype("int64")
    for k in keys:
        if out[k].dtype == object:
            out[k] = out[k].astype("string")
    return _with_attrs(out, frame, excluded=int((~valid).sum()))


# --------------------------------------------------------------------------- find rate
def _period_windows(month: pd.Series, period: str | None) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """``(label, first month, last month)`` of every period the months touch."""
    first, last = month.min(), month.max()
    if period is None:
        return [(f"{first:%b %Y} to {last:%b %Y}", first, last)]
    if period == "month":
        return [(f"{m:%b %Y}", m, m) for m in pd.date_range(first, last, freq="MS")]
    if period == "calendar_year":
        return [(str(y), pd.Timestamp(y, 1, 1), pd.Timestamp(y, 12, 1)) for y in range(first.year, last.year + 1)]
    if period == "financial_year":
        fy = [y - (m < 4) for y, m in ((first.year, first.month), (last.year, last.month))]
        return [(f"{y}/{(y + 1) % 100:02d}", pd.Timestamp(y, 4, 1), pd.Timestamp(y + 1, 3, 1))
                for y in range(fy[0], fy[1] + 1)]
    if period == "rolling_12m":
        ends = pd.date_range(first + pd.DateOffset(months=11), last, freq="MS")
        return [(f"{e - pd.DateOffset(months=11):%b %Y} to {e:%b %Y}", e - pd.DateOffset(months=11), e)
                for e in ends]
    raise ValueError(f"period must be one of {PERIODS}, got {period!r}")


def _share(x: int, n: int, confidence: float) -> tuple[float, float, float]:
    if n <= 0:
        return (math.nan,) * 3
    est = stats.proportion(x, n, confidence=confidence, multiplier=100)
    return est.value, est.lower_ci, est.upper_ci


def find_rate(
    frame: pd.DataFrame,
    period: str | None = None,
    *,
    drugs_only: bool = True,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Share of drug searches that found what was searched for, and share with a further outcome.

    *Find rate*: searches whose "outcome linked to object of search" flag is
    True, out of the searches where the flag is recorded (True or False).
    *Further action*: searches with any outcome other than no further action
    (:data:`NFA_OUTCOMES`: arrest, community resolution, cannabis/khat warning,
    penalty notice, summons, caution…), out of the searches with an outcome
    recorded (blank and "Details not available" left out). The two differ: a
    search can find drugs and end in no further action. Both are percentages
    with Wilson score limits (:func:`cdp_analysis.stats.proportion`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Normalised stop-and-search rows (``month``, ``object_of_search``,
        ``legislation``, ``outcome``, ``outcome_linked_to_object``).
    period : {None, "month", "financial_year", "calendar_year", "rolling_12m"}
        None: one row for all the data. ``"financial_year"``: April to March
        (``"2024/25"``). ``"rolling_12m"``: every 12-month window ending on a month
        of the data, from the first complete one. Periods are by the file
        ``month`` (UK local month).
    drugs_only : bool, default True
        Keep only drug searches first (:func:`drug_searches`); False to use
        every row of ``frame``.
    confidence : float, default 0.95
        Confidence level of the limits.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period, period_start, period_end, months_with_data``
        (months of the period with any row in ``frame``: fewer than the period's
        length means a partial period), ``searches``, ``flag_recorded``,
        ``found``, ``find_rate``, ``find_rate_lower``, ``find_rate_upper``,
        ``outcome_recorded``, ``further_action``, ``further_action_rate``,
        ``further_action_lower``, ``further_action_upper``, ``confidence``,
        ``statistic``, ``method``. Rates are NaN when their denominator is 0
        (e.g. the flag is blank for the whole period).

    Raises
    ------
    MissingDataError
        ``frame`` has no rows.
    ValueError
        A column is missing or ``period`` is unknown.

    References
    ----------
    Home Office. Police powers and procedures: stop and search and arrests,
    England and Wales (annual): "outcome linked to the reason for search".
    Wilson 1927; Newcombe 1998 (via :func:`cdp_analysis.stats.proportion`).
    """
    _require(frame, ("month", "outcome", "outcome_linked_to_object", "object_of_search", "legislation"))
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, got {period!r}")
    if frame.empty:
        raise MissingDataError("No stop-and-search rows to compute a find rate from")
    all_months = _months(frame["month"])
    windows = _period_windows(all_months, period)
    data = drug_searches(frame) if drugs_only else frame
    month = _months(data["month"]).to_numpy()
    flag = data["outcome_linked_to_object"].astype("boolean")
    outcome = _text(data["outcome"])
    known = (outcome.notna() & ~outcome.isin(UNKNOWN_OUTCOMES)).to_numpy(dtype=bool)
    action = (known & ~outcome.isin(NFA_OUTCOMES).fillna(False).to_numpy(dtype=bool))
    has_flag, found = flag.notna().to_numpy(), flag.fillna(False).to_numpy(dtype=bool)
    present = set(all_months.unique())
    rows = []
    for label, first, last in windows:
        inside = (month >= first.to_datetime64()) & (month <= last.to_datetime64())
        n_flag, n_found = int((inside & has_flag).sum()), int((inside & found).sum())
        n_known, n_action = int((inside & known).sum()), int((inside & action).sum())
        find, further = _share(n_found, n_flag, confidence), _share(n_action, n_known, confidence)
        rows.append({
            "period": label, "period_start": first, "period_end": last,
            "months_with_data": sum(1 for m in pd.date_range(first, last, freq="MS") if m in present),
            "searches": int(inside.sum()),
            "flag_recorded": n_flag, "found": n_found,
            "find_rate": find[0], "find_rate_lower": find[1], "find_rate_upper": find[2],
            "outcome_recorded": n_known, "further_action": n_action,
            "further_action_rate": further[0], "further_action_lower": further[1],
            "further_action_upper": further[2],
        })
    out = pd.DataFrame(rows)
    out["confidence"] = _confidence_label(confidence)
    out["statistic"] = "percentage"
    out["method"] = "Wilson"
    return _with_attrs(out, frame)


def outcome_mix(
    frame: pd.DataFrame,
    by: Hashable | Sequence[Hashable] | None = None,
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Searches per outcome, and each outcome's share (%) with Wilson limits.

    Parameters
    ----------
    frame : pandas.DataFrame
        Stop-and-search rows with ``outcome`` (e.g. :func:`drug_searches`).
    by : column name(s), optional
        Shares within each group (e.g. ``"area_code"``, a period column).
    confidence : float, default 0.95
        Confidence level of the limits.

    Returns
    -------
    pandas.DataFrame
        ``*by, outcome, searches, total, value, lower_ci, upper_ci, confidence,
        statistic, method, no_further_action``; blank outcomes are shown as
        :data:`NOT_RECORDED` and count in ``total``. Most frequent outcome first.

    Raises
    ------
    MissingDataError
        ``frame`` has no rows.
    ValueError
        A column is missing.
    """
    keys = _keys(by)
    _require(frame, ["outcome", *keys])
    if frame.empty:
        raise MissingDataError("No stop-and-search rows to summarise")
    data = pd.DataFrame({k: frame[k] for k in keys})
    data["outcome"] = _text(frame["outcome"]).fillna(NOT_RECORDED).astype(object)
    counts = data.groupby([*keys, "outcome"], observed=True, dropna=False).size().rename("searches").reset_index()
    if keys:
        counts["total"] = counts.groupby(keys, observed=True, dropna=False)["searches"].transform("sum")
    else:
        counts["total"] = counts["searches"].sum()
    out = stats.proportion_table(counts, "searches", "total", confidence=confidence, multiplier=100)
    out["no_further_action"] = out["outcome"].isin(NFA_OUTCOMES)
    out = out.sort_values([*keys, "searches", "outcome"], ascending=[True] * len(keys) + [False, True],
                          kind="stable").reset_index(drop=True)
    out["outcome"] = out["outcome"].astype("string")
    return _with_attrs(out, frame)


# --------------------------------------------------------------------------- disproportionality
def census_ethnic_group(values: pd.Series, source: str = "officer") -> pd.Series:
    """police.uk ethnicity → Census 2021 ethnic group (5 categories).

    Parameters
    ----------
    values : pandas.Series
        ``officer_defined_ethnicity`` (``source="officer"``, mapped by
        :data:`OFFICER_ETHNICITY_TO_CENSUS`) or ``self_defined_ethnicity``
        (``source="self"``, mapped by the prefix before ``" - "`` with
        :data:`SELF_DEFINED_PREFIX_TO_CENSUS`).

    Returns
    -------
    pandas.Series
        ``string``: a label of :data:`~cdp_analysis.sources.census.CENSUS_ETHNIC_GROUPS`,
        or ``<NA>`` for blanks, "Other ethnic group - Not stated" and unknown labels.
    """
    text = _text(values)
    if source == "officer":
        mapped = text.map(OFFICER_ETHNICITY_TO_CENSUS)
    elif source == "self":
        prefix = text.mask(text == _NOT_STATED).str.split(" - ", n=1).str[0]
        mapped = prefix.map(SELF_DEFINED_PREFIX_TO_CENSUS)
    else:
        raise ValueError(f"source must be 'officer' or 'self', got {source!r}")
    return mapped.astype("string")


def rate_ratio_ci(
    a: float, n_a: float, b: float, n_b: float, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Ratio of two Poisson rates ``(a / n_a) / (b / n_b)`` with its confidence interval.

    ``exp(ln(RR) ± z·sqrt(1/a + 1/b))``: the log (Wald) method for the ratio of
    two rates with person-time denominators treated as fixed.

    Parameters
    ----------
    a, b : float
        Event counts of the compared and the reference group (both ``> 0``).
    n_a, n_b : float
        Their denominators (populations or person-time, ``> 0``).
    confidence : float, default 0.95
        Confidence level (z = 1.959964 for 95%).

    Returns
    -------
    tuple of float
        ``(ratio, lower, upper)``.

    Raises
    ------
    StatsInputError
        A count or a denominator is not above zero (the log method needs both
        counts above zero).

    References
    ----------
    Rothman KJ, Greenland S, Lash TL. Modern Epidemiology (3rd edn).
    Philadelphia: Lippincott Williams & Wilkins; 2008. Chapter 14 (incidence-rate
    ratio with person-time data).

    Examples
    --------
    >>> [round(v, 3) for v in rate_ratio_ci(30, 10_000, 20, 40_000)]
    [6.0, 3.407, 10.565]
    """
    for value, name in ((a, "a"), (b, "b"), (n_a, "n_a"), (n_b, "n_b")):
        if not (isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(value)) or value <= 0:
            raise StatsInputError(f"{name} must be a number greater than zero, got {value!r}")
    ratio = (a / n_a) / (b / n_b)
    half = stats.z_value(confidence) * math.sqrt(1 / a + 1 / b)
    return ratio, ratio * math.exp(-half), ratio * math.exp(half)


def disproportionality(
    frame: pd.DataFrame,
    population: pd.DataFrame,
    group_col: str = "officer_defined_ethnicity",
    reference: str = "White",
    *,
    years: float = 1.0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Search rates per 1,000 residents by group and their ratio to a reference group.

    For each group: searches, residents, the crude search rate per 1,000
    residents (a year when ``years`` says how long the searches span) with
    Byar's/exact limits (:func:`cdp_analysis.stats.crude_rate`), and the
    **disproportionality ratio** rate(group) / rate(reference) with the log-method
    interval of :func:`rate_ratio_ci`. Population denominators are treated as
    fixed (no sampling error): Census 2021 counts, which do not cover visitors,
    commuters or population change since March 2021.

    Parameters
    ----------
    frame : pandas.DataFrame
        Stop-and-search rows (all searches, or :func:`drug_searches`), already
        limited to the area and period of interest.
    population : pandas.DataFrame
        Residents: for ethnicity, :func:`~cdp_analysis.sources.census.read_census_ethnicity`
        output (``ethnic_group``, ``population``; summed over its areas, so pass
        only the areas the searches cover) or a frame with ``group_col`` holding
        police.uk officer-defined labels; otherwise a frame with ``group_col``
        and ``population`` columns (e.g. :func:`population_by_age_band`).
    group_col : str, default "officer_defined_ethnicity"
        ``"officer_defined_ethnicity"`` or ``"self_defined_ethnicity"`` (mapped to
        Census groups by :func:`census_ethnic_group`), or any column whose values
        are the population's groups, e.g. ``"age_range"``.
    reference : str, default "White"
        The comparison group: a police.uk officer-defined label (``"White"``) or a
        Census label for ethnicity; a value of ``group_col`` otherwise (for age,
        e.g. ``"over 34"``).
    years : float, default 1.0
        Years the searches span: rates are per 1,000 residents a year
        (person-time = residents × years). The ratio does not depend on it.
    confidence : float, default 0.95
        Confidence level of both intervals.

    Returns
    -------
    pandas.DataFrame
        One row per group (the population's groups in order, then groups found
        only in the searches): ``group`` (the Census label for ethnicity), ``label``
        (the police.uk officer-defined label, ethnicity only), ``searches``,
        ``residents``, ``value``, ``lower_ci``, ``upper_ci`` (rate per 1,000),
        ``rate_method``, ``ratio``, ``ratio_lower_ci``, ``ratio_upper_ci``,
        ``note``, ``confidence``, ``statistic``, ``ratio_method``. The reference
        row has ratio 1 and no interval. The ratio is NaN, with the reason in
        ``note``, when a group has no searches (the log-method interval is
        undefined at 0), no residents, or when the reference group has none.
        ``attrs["not_recorded"]`` counts searches with no usable group (blank,
        "Not stated", unknown label); they are in no row.

    Raises
    ------
    ValueError
        A column is missing, or ``reference`` is not one of the groups.
    StatsInputError
        A population that is missing or negative, or ``years`` not above zero.

    References
    ----------
    Rothman KJ, Greenland S, Lash TL. Modern Epidemiology (3rd edn); 2008, ch. 14.
    Home Office. Police powers and procedures: stop and search and arrests,
    England and Wales: search rates per 1,000 population by ethnic group (Census 2021).
    """
    _require(frame, (group_col,))
    _require(population, ("population",), "population")
    if not (isinstance(years, (int, float)) and math.isfinite(years) and years > 0):
        raise StatsInputError(f"years must be a number greater than zero, got {years!r}")
    ethnicity = group_col in ("officer_defined_ethnicity", "self_defined_ethnicity")
    if ethnicity:
        pop_col = "ethnic_group" if "ethnic_group" in population.columns else group_col
        groups = census_ethnic_group(frame[group_col], "officer" if group_col.startswith("officer") else "self")
        reference = OFFICER_ETHNICITY_TO_CENSUS.get(reference, reference)
    else:
        pop_col = group_col
        groups = _text(frame[group_col])
    _require(population, (pop_col, "population"), "population")
    pop_values = pd.to_numeric(population["population"], errors="coerce").astype(float)
    if pop_values.isna().any() or (pop_values < 0).any():
        raise StatsInputError("population must hold numbers of 0 or more (no missing values)")
    pop_groups = _text(population[pop_col])
    if ethnicity:  # police.uk labels in the population frame name the same Census groups
        pop_groups = pop_groups.map(lambda g: OFFICER_ETHNICITY_TO_CENSUS.get(g, g), na_action="ignore")
    residents = pop_values.groupby(pop_groups.to_numpy(), sort=False).sum()
    searches = groups.dropna().value_counts(sort=False)
    order = list(residents.index) + [g for g in searches.index if g not in residents.index]
    if ethnicity:
        order = [g for g in CENSUS_ETHNIC_GROUPS if g in order] + [g for g in order if g not in CENSUS_ETHNIC_GROUPS]
    if reference not in order:
        raise DataShortfallError(f"reference group {reference!r} is neither in the population nor in the searches; "
                                 f"groups: {order}")
    table = pd.DataFrame({"group": order})
    table["searches"] = [int(searches.get(g, 0)) for g in order]
    table["residents"] = [float(residents[g]) if g in residents.index else math.nan for g in order]
    rates = [_rate(x, n, years, confidence) for x, n in zip(table["searches"], table["residents"], strict=True)]
    table["value"], table["lower_ci"], table["upper_ci"], table["rate_method"] = zip(*rates, strict=True)
    ref = table.set_index("group").loc[reference]
    ratios = [_ratio(g, x, n, reference, ref["searches"], ref["residents"], confidence)
              for g, x, n in zip(table["group"], table["searches"], table["residents"], strict=True)]
    table["ratio"], table["ratio_lower_ci"], table["ratio_upper_ci"], table["note"] = zip(*ratios, strict=True)
    if ethnicity:
        back = {census: police for police, census in OFFICER_ETHNICITY_TO_CENSUS.items()}
        table.insert(1, "label", [back.get(g, g) for g in order])
        table["group"] = table["group"].astype("string")
        table["label"] = table["label"].astype("string")
    table["confidence"] = _confidence_label(confidence)
    table["statistic"] = "rate per 1,000 residents a year"
    table["ratio_method"] = _RATIO_METHOD
    return _with_attrs(table, frame, not_recorded=int(groups.isna().sum()), reference=reference, years=years)


def _rate(x: int, residents: float, years: float, confidence: float) -> tuple[float, float, float, str]:
    if not residents > 0:
        return math.nan, math.nan, math.nan, ""
    est = stats.crude_rate(x, residents * years, confidence=confidence, multiplier=PER_1000)
    return est.value, est.lower_ci, est.upper_ci, est.method


def _ratio(
    group: str, x: int, n: float, reference: str, x_ref: int, n_ref: float, confidence: float
) -> tuple[float, float, float, str]:
    nan = math.nan
    if not n_ref > 0 or x_ref == 0:
        return nan, nan, nan, "reference group has no searches or no residents: ratio not defined"
    if group == reference:
        return 1.0, nan, nan, "reference group"
    if math.isnan(n):
        return nan, nan, nan, "no resident population for this group: rate and ratio not defined"
    if not n > 0:
        return nan, nan, nan, "no residents in this group: rate and ratio not defined"
    if x == 0:
        return nan, nan, nan, "no searches: the ratio would be 0 and its log-method interval is undefined"
    ratio, lower, upper = rate_ratio_ci(x, n, x_ref, n_ref, confidence)
    return ratio, lower, upper, ""


def population_by_age_band(
    single_year_pop: pd.DataFrame, by: Hashable | Sequence[Hashable] | None = None
) -> pd.DataFrame:
    """Residents in the police.uk age ranges (under 10, 10-17, 18-24, 25-34, over 34).

    Parameters
    ----------
    single_year_pop : pandas.DataFrame
        Residents by single year of age: ``age`` (0-90, 90 = 90 and over) and
        ``population``, as :func:`cdp_analysis.sources.population.read_population`
        gives them. When a ``sex`` column holds ``"Persons"`` as well as the
        sexes, only the ``"Persons"`` rows are used (no double counting).
    by : column name(s), optional
        Keep these columns (e.g. ``"area_code"``); default: sum everything.

    Returns
    -------
    pandas.DataFrame
        ``*by, age_range, population``: every band in :data:`AGE_BANDS` order,
        zero-filled.

    Raises
    ------
    ValueError
        A column is missing, or an age is not a whole number from 0 to 90.
    """
    keys = _keys(by)
    _require(single_year_pop, ["age", "population", *keys], "single_year_pop")
    data = single_year_pop
    if "sex" in data.columns:
        sexes = set(_text(data["sex"]).dropna())
        if "Persons" in sexes and len(sexes) > 1:
            data = data[_text(data["sex"]).eq("Persons").fillna(False).to_numpy(dtype=bool)]
    age = pd.to_numeric(data["age"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(age).any() or (age < 0).any() or (age > 90).any() or (age != np.round(age)).any():
        bad = int(np.flatnonzero(np.isnan(age) | (age < 0) | (age > 90) | (age != np.round(age)))[0])
        raise DataFormatError("single_year_pop: an age is not a whole number from 0 to 90 (90 = 90 and over)",
                              line=bad + 1, column="age", found=str(data["age"].iloc[bad]))
    labels = list(AGE_BANDS)
    edges = np.array([lo for lo, _ in AGE_BANDS.values()])
    band = np.array(labels, dtype=object)[np.searchsorted(edges, age, side="right") - 1]
    frame = pd.DataFrame({k: data[k].to_numpy() for k in keys}, index=pd.RangeIndex(len(data)))
    frame["age_range"] = pd.Categorical(band, categories=labels, ordered=True)
    frame["population"] = pd.to_numeric(data["population"]).to_numpy(dtype=float)
    out = frame.groupby([*keys, "age_range"], observed=False, sort=True)["population"].sum().reset_index()
    out["age_range"] = out["age_range"].astype("string")
    return out


def held_monthly(drugs: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """Drug searches each month from the first to the last of ``months`` (``YYYY-MM``, the months whose files
    are held), with the twelve-month average.

    A month between them whose file is not held is NaN, never zero, and so is every twelve-month
    average that would span it. Columns: those of :func:`monthly_searches`, ``searches`` as float,
    and ``twelve_month_average``.
    """
    covered = pd.DatetimeIndex(pd.to_datetime([f"{m}-01" for m in months]))
    monthly = monthly_searches(drugs, start=months[0], end=months[-1])
    monthly["searches"] = monthly["searches"].astype(float).where(monthly["month"].isin(covered))
    monthly["twelve_month_average"] = monthly["searches"].rolling(12, min_periods=12).mean()
    return monthly


def recent_disproportionality(drugs: pd.DataFrame, census: pd.DataFrame
                              ) -> tuple[pd.Timestamp, pd.Timestamp, pd.DataFrame]:
    """:func:`disproportionality` of the twelve months to the latest month of ``drugs`` (its ``month``).

    Returns the first and last month and the groups with residents (``residents > 0``).
    """
    end = drugs["month"].max()
    start = end - pd.DateOffset(months=11)
    recent = drugs[(drugs["month"] >= start) & (drugs["month"] <= end)]
    ratios = disproportionality(recent, census)
    return start, end, ratios[ratios["residents"] > 0]

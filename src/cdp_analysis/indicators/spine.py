"""Spine-chart rows: where an area sits among all areas of its type, indicator by indicator.

Fingertips' spine chart shows, for each indicator, the range of values of every
area of the same type (lowest to highest, with the 25th to 75th percentile band),
England's value and the area's own value coloured by its comparison with England.
:func:`spine_rows` computes those numbers from a tidy indicator table
(:data:`cdp_analysis.sources.schema.INDICATOR_COLUMNS`); :func:`cdp_analysis.report.charts.spine_chart`
draws them. The function is pure: same table in, same rows out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from cdp_analysis import stats
from cdp_analysis.stats.coerce import as_float
from cdp_analysis.vocabulary import ENGLAND_CODE

__all__ = ["SPINE_COLUMNS", "spine_rows", "COMPLETE_SHARE", "complete_rows", "incomplete_note"]

#: A spine chart is drawn across a complete set of areas of the type: an indicator needs a value for at
#: least this share of them (Fingertips hides an indicator when too many areas lack it; a few suppressed
#: small areas, such as the City of London or the Isles of Scilly, do not make the set partial).
COMPLETE_SHARE = 0.9

#: The columns of :func:`spine_rows`' frame, in order.
SPINE_COLUMNS: tuple[str, ...] = (
    "indicator_id", "indicator", "period", "unit", "polarity", "area", "n_areas", "min", "q1", "median", "q3",
    "max", "england", "value", "lower_ci", "upper_ci", "compared",
)


def spine_rows(
    table: pd.DataFrame,
    area_code: str,
    peers: Iterable[str],
    *,
    indicators: Sequence[str] | None = None,
    names: Mapping[str, str] | None = None,
    polarity: Mapping[str, str] | None = None,
    area_name: str | None = None,
    england_code: str = ENGLAND_CODE,
) -> pd.DataFrame:
    """One row per indicator: the peers' range and quartiles, England and the area, compared.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy indicator rows with at least ``area_code, indicator_id, period, value``
        (``period_start``, ``lower_ci``, ``upper_ci``, ``indicator_name``, ``unit``,
        ``polarity``, ``category_type`` and ``sex`` are used when present). Rows
        with a ``category_type`` (breakdowns) and sexes other than persons are left out.
    area_code : str
        The area placed on the spine.
    peers : iterable of str
        Codes of every area of the same type (the area itself may be among them);
        only those with a value in the period count towards the range.
    indicators : sequence of str, optional
        Indicator ids in the order wanted (default: every indicator the area has, sorted).
    names, polarity : mapping, optional
        Indicator id -> display name / polarity (``HighIsGood``, ``LowIsGood``,
        ``NoJudgement``); default from the table's ``indicator_name`` / ``polarity``.
    area_name : str, optional
        Written in the ``area`` column (default ``area_code``).
    england_code : str
        The benchmark's code (Fingertips centres the spine on England).

    Returns
    -------
    pandas.DataFrame
        :data:`SPINE_COLUMNS`. For each indicator the latest period in which the area
        has a value; ``min``, ``q1``, ``median``, ``q3``, ``max`` over the peers' values
        (the area included; quartiles by linear interpolation, as ``numpy.percentile``);
        ``n_areas`` the number of peers with a value; ``england`` England's value in
        that period (NaN when absent); ``compared`` the area's 95% interval against
        England's value (:func:`cdp_analysis.stats.compare_to_benchmark`). Indicators
        the area has no value for are left out.
    """
    rows = _headline(table)
    peer_codes = set(peers) | {area_code}
    own_all = rows[(rows["area_code"] == area_code) & rows["value"].notna()]
    wanted = list(indicators) if indicators is not None else sorted(own_all["indicator_id"].astype(str).unique())
    out = []
    for indicator_id in wanted:
        own = own_all[own_all["indicator_id"].astype(str) == str(indicator_id)]
        if own.empty:
            continue
        latest = own.sort_values(_order(own)).iloc[-1]
        same = rows[(rows["indicator_id"].astype(str) == str(indicator_id)) & (rows["period"] == latest["period"])]
        values = same[same["area_code"].isin(peer_codes)].drop_duplicates("area_code")["value"].dropna()
        values = values.to_numpy(dtype=float)
        england = same.loc[same["area_code"] == england_code, "value"].dropna()
        england_value = float(england.iloc[0]) if not england.empty else np.nan
        direction = (polarity or {}).get(str(indicator_id)) or _text(latest.get("polarity")) or "NoJudgement"
        if direction not in stats.POLARITIES:
            direction = "NoJudgement"
        q = np.percentile(values, [0, 25, 50, 75, 100])
        out.append({
            "indicator_id": str(indicator_id),
            "indicator": (names or {}).get(str(indicator_id)) or _text(latest.get("indicator_name")) or str(indicator_id),
            "period": str(latest["period"]), "unit": _text(latest.get("unit")), "polarity": direction,
            "area": area_name or area_code, "n_areas": len(values),
            "min": q[0], "q1": q[1], "median": q[2], "q3": q[3], "max": q[4], "england": england_value,
            "value": float(latest["value"]), "lower_ci": as_float(latest.get("lower_ci")),
            "upper_ci": as_float(latest.get("upper_ci")),
            "compared": stats.compare_to_benchmark(
                _maybe(latest.get("lower_ci")), _maybe(latest.get("upper_ci")),
                None if np.isnan(england_value) else england_value, polarity=direction),
        })
    return pd.DataFrame(out, columns=list(SPINE_COLUMNS))


def _headline(table: pd.DataFrame) -> pd.DataFrame:
    """Rows without a breakdown, persons only, with a numeric ``value``."""
    rows = table
    if "category_type" in rows:
        rows = rows[rows["category_type"].fillna("").astype(str).eq("")]
    if "sex" in rows:
        rows = rows[rows["sex"].fillna("Persons").isin(["Persons", "Not applicable"])]
    rows = rows.copy()
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce")
    return rows


def _order(frame: pd.DataFrame) -> list[str]:
    return ["period_start", "period"] if "period_start" in frame else ["period"]


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _maybe(value: object) -> float | None:
    number = as_float(value)
    return None if np.isnan(number) else number


def complete_rows(rows: pd.DataFrame, n_of_type: int, share: float = COMPLETE_SHARE) -> pd.DataFrame:
    """The rows of :func:`spine_rows` whose range covers a complete set of the ``n_of_type`` areas.

    An indicator is kept when at least ``share`` of the areas of the type (and at
    least two) have a value in its period; otherwise its range would be that of a
    partial export (four or six areas), not of "all areas of its type".

    >>> rows = pd.DataFrame({"indicator_id": ["a", "b"], "n_areas": [150, 6]})
    >>> list(complete_rows(rows, 153)["indicator_id"])
    ['a']
    """
    need = max(2, int(np.ceil(share * n_of_type)))
    return rows[rows["n_areas"] >= need]


def incomplete_note(area: str, n_of_type: int, most: int) -> str:
    """One plain sentence: why no spine chart is drawn."""
    if most == 0:
        return (f"No spine chart is drawn for {area}: the data holds no indicator value for it and the "
                f"other areas of its type.")
    return (f"No spine chart is drawn for {area}: it needs values for at least "
            f"{COMPLETE_SHARE:.0%} of the {n_of_type:,} areas of its type, and the data holds at most "
            f"{most:,} for any indicator (a partial export is not a range across all areas).")

"""Demand-chapter indicators: area series from DfE-style tidy tables, estimates, comparisons.

Pure functions over the tidy frames of :mod:`cdp_analysis.sources.dfe` (columns
``area_code, period, measure, category, count, denominator, marker, note``) and the
local returns. An area the table does not hold itself (a partnership of several
authorities) gets its members' counts and denominators **summed** and the statistic
recomputed, never an average of rates; a period where any member's figure is withheld
is missing for the partnership too, with the reason.

Published markers (``c``, ``x``, ``u``, ``z``…) stay missing with their meaning: a
missing count is never zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdp_analysis import stats

__all__ = [
    "SERIES_COLUMNS",
    "area_series",
    "add_estimates",
    "compare_with_focus",
    "trend_label",
    "marker_cells",
    "local_series",
]

#: Columns of :func:`area_series`.
SERIES_COLUMNS = ["area_code", "period", "count", "denominator", "marker", "note"]


def area_series(frame: pd.DataFrame, code: str, members: Sequence[str] = (), *, measure: str,
                category: str) -> pd.DataFrame:
    """One area's counts and denominators by period for one measure and category.

    Parameters
    ----------
    frame
        A tidy DfE frame (:data:`cdp_analysis.sources.dfe.TIDY_COLUMNS`).
    code
        The area's GSS code. Its own rows are used when the frame has them.
    members
        Otherwise, the codes of the authorities it is made of: their counts and
        denominators are summed per period. A period where a member has no row,
        or a member's count or denominator is withheld, is missing (``NaN``) with
        the members' markers and a note.
    measure, category
        The row selection, e.g. ``"drug_misuse"``, ``"parent"``.

    Returns
    -------
    pandas.DataFrame
        :data:`SERIES_COLUMNS`, one row per period (sorted); empty when neither
        the area nor all its members are in the frame.
    """
    rows = frame[(frame["measure"] == measure) & (frame["category"] == category)]
    own = rows[rows["area_code"] == code]
    if not own.empty:
        out = own[["period", "count", "denominator", "marker", "note"]].copy()
        out.insert(0, "area_code", code)
        return _sorted(out)
    if not members:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    parts = rows[rows["area_code"].isin(list(members))]
    if parts.empty or set(parts["area_code"]) != set(members):
        return pd.DataFrame(columns=SERIES_COLUMNS)
    out = []
    for period, group in parts.groupby("period", sort=True):
        whole = len(group) == len(members) and group[["count", "denominator"]].notna().all(axis=None)
        markers = sorted({str(m) for m in group["marker"].dropna()})
        out.append({
            "area_code": code, "period": period,
            "count": float(group["count"].sum()) if whole else np.nan,
            "denominator": float(group["denominator"].sum()) if whole else np.nan,
            "marker": ",".join(markers) if markers else pd.NA,
            "note": pd.NA if whole else "withheld or missing for a member authority, so not summed",
        })
    return _sorted(pd.DataFrame(out, columns=SERIES_COLUMNS))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values("period").reset_index(drop=True)
    for column in ("count", "denominator"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def add_estimates(series: pd.DataFrame, statistic: str, multiplier: float) -> pd.DataFrame:
    """``value``, ``lower_ci``, ``upper_ci`` for each row with a count and a positive denominator.

    ``statistic`` is ``"proportion"`` (Wilson score, e.g. % of assessments) or
    ``"rate"`` (Byar's / exact Poisson, e.g. per 1,000 pupils). Rows without a
    count or denominator stay missing.
    """
    function = {"proportion": stats.proportion, "rate": stats.crude_rate}[statistic]
    out = series.copy()
    values = []
    for count, denominator in zip(out["count"], out["denominator"], strict=True):
        usable = count == count and denominator == denominator and denominator > 0
        if usable and statistic == "proportion" and count > denominator:
            usable = False
        est = function(float(count), float(denominator), multiplier=multiplier) if usable else None
        values.append((est.value, est.lower_ci, est.upper_ci) if est else (np.nan, np.nan, np.nan))
    out[["value", "lower_ci", "upper_ci"]] = pd.DataFrame(values, index=out.index, columns=["v", "l", "u"])
    return out


def compare_with_focus(table: pd.DataFrame, focus_code: str) -> pd.Series:
    """How the focus area compares with each row's area (``Higher``, ``Similar``, ``Lower``).

    The focus area's 95% interval against the other area's value (the Fingertips
    rule, no polarity); ``"Focus area"`` on its own row and ``"Not compared"``
    when either is missing.
    """
    own = table[table["area_code"] == focus_code]
    low = float(own["lower_ci"].iloc[0]) if not own.empty else np.nan
    high = float(own["upper_ci"].iloc[0]) if not own.empty else np.nan
    return pd.Series([
        "Focus area" if code == focus_code else
        stats.compare_to_benchmark(low, high, value, polarity="NoJudgement")
        if value == value and low == low and high == high else "Not compared"
        for code, value in zip(table["area_code"], table["value"], strict=True)
    ], index=table.index)


def trend_label(series: pd.DataFrame, statistic: str) -> str:
    """The Fingertips recent-trend label over the last five periods with data.

    Proportions use the chi-squared test for trend on counts and denominators;
    rates the weighted regression on values and 95% limits. ``"Increasing"``,
    ``"Decreasing"``, ``"No significant change"`` or ``"Cannot be calculated"``.
    """
    if statistic == "proportion":
        held = series.dropna(subset=["count", "denominator"])
        held = held[held["denominator"] > 0]
        result = stats.recent_trend_proportion(held["count"], held["denominator"], polarity="NoJudgement")
    else:
        held = series.dropna(subset=["value", "lower_ci", "upper_ci"])
        result = stats.recent_trend(held["value"], held["lower_ci"], held["upper_ci"], polarity="NoJudgement")
    return str(result.label)


def marker_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The cells of a published frame that carry a DfE marker, with its meaning.

    Returns ``area, period, what, marker, meaning`` (one row per cell; empty when
    none is marked).
    """
    marked = frame[frame["marker"].notna()] if "marker" in frame else frame.iloc[0:0]
    out = pd.DataFrame({
        "area": marked.get("area", pd.Series(dtype=str)), "period": marked.get("period", pd.Series(dtype=str)),
        "what": marked.get("what", pd.Series(dtype=str)), "marker": marked.get("marker", pd.Series(dtype=str)),
        "meaning": marked.get("note", pd.Series(dtype=str)),
    })
    return out.drop_duplicates().reset_index(drop=True)


def local_series(frame: pd.DataFrame, code: str, members: Sequence[str], columns: Sequence[str],
                 by: Sequence[str] = ("period",)) -> pd.DataFrame:
    """A local return's rows for an area, its members' counts summed when it has none of its own.

    Returns the ``by`` columns and ``columns`` summed (``min_count`` = number of
    members, so a member's missing figure leaves the sum missing); empty when the
    return holds neither the area nor every member.
    """
    own = frame[frame["area_code"] == code]
    wanted = [*by, *columns]
    if not own.empty:
        return own[wanted].groupby(list(by), as_index=False, sort=True).sum(min_count=1)
    parts = frame[frame["area_code"].isin(list(members))]
    if not members or parts.empty or set(parts["area_code"]) != set(members):
        return pd.DataFrame(columns=wanted)
    summed = parts[["area_code", *wanted]].groupby(list(by), sort=True).agg(
        **{c: (c, lambda s: s.sum(min_count=len(s))) for c in columns},
        areas=("area_code", "nunique"))
    summed = summed[summed["areas"] == len(members)].drop(columns="areas")
    return summed.reset_index()

"""Alcohol need, the criminal-justice pathway and service provision: pure functions, frames in and out.

- :func:`alcohol_unmet_need`: estimated alcohol-dependent adults (the OHID/University of
  Sheffield estimates, with their 95% interval) against adults in NDTMS treatment for
  alcohol in the same year, and the share not in treatment with the range the estimate's
  interval gives.
- :func:`requirement_rows`: community sentence treatment requirements (DRR, ATR, MHTR) of
  the latest period by requirement: made, ended, completed and the completion percentage.
- :func:`spend_rows`: treatment funding of the latest period by funding stream (allocated,
  spent, share of the allocation spent) with a total row, and the spend per adult in
  treatment when the number in treatment of the same period is known.

No words and no HTML; disclosure control is the chapter's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdp_analysis.indicators.framework import latest_period

__all__ = ["ALCOHOL_GROUPS", "REQUIREMENTS", "alcohol_unmet_need", "alcohol_need_by_area", "requirement_rows",
           "spend_rows"]

#: NDTMS substance groups counted as in treatment for alcohol (alcohol alone, or with non-opiate drugs).
ALCOHOL_GROUPS: tuple[str, ...] = ("alcohol only", "non-opiate and alcohol")
#: Community sentence treatment requirements, in reporting order, with their abbreviations.
REQUIREMENTS: dict[str, str] = {"drug rehabilitation requirement": "DRR", "alcohol treatment requirement": "ATR",
                                "mental health treatment requirement": "MHTR"}


def alcohol_unmet_need(estimates: pd.DataFrame, in_treatment: pd.DataFrame) -> pd.DataFrame:
    """Estimated alcohol-dependent adults against adults in treatment for alcohol, per year both hold.

    Parameters
    ----------
    estimates
        The area's rows of NDTMS measure ``alcohol_dependent_adults``: ``period, value, lower_ci, upper_ci``
        (one row per period; a partnership's members already summed).
    in_treatment
        The area's adults in treatment by ``period, substance_group, count`` (NDTMS ``in_treatment``).

    Returns
    -------
    DataFrame ``period, estimate, estimate_lower, estimate_upper, in_treatment, not_in_treatment_pct,
    not_in_treatment_lower, not_in_treatment_upper`` sorted by period. ``in_treatment`` sums
    :data:`ALCOHOL_GROUPS` (missing when either is missing); the share not in treatment is
    ``100 * (1 - in_treatment / estimate)``, its range from the estimate's 95% interval (the
    lower estimate gives the lower share), floored at 0.
    """
    columns = ["period", "estimate", "estimate_lower", "estimate_upper", "in_treatment", "not_in_treatment_pct",
               "not_in_treatment_lower", "not_in_treatment_upper"]
    if estimates.empty:
        return pd.DataFrame(columns=columns)
    est = estimates.astype({"value": float, "lower_ci": float, "upper_ci": float})
    est = est.dropna(subset=["value"]).drop_duplicates("period").set_index("period")
    treated = in_treatment[in_treatment["substance_group"].isin(ALCOHOL_GROUPS)].astype({"count": float})
    by_period = treated.groupby("period")["count"].agg(lambda c: c.sum() if c.notna().all()
                                                       and len(c) == len(ALCOHOL_GROUPS) else np.nan)
    out = []
    for period, r in est.iterrows():
        n = float(by_period.get(period, np.nan))
        value, lower, upper = float(r["value"]), float(r["lower_ci"]), float(r["upper_ci"])

        out.append({"period": str(period), "estimate": value, "estimate_lower": lower, "estimate_upper": upper,
                    "in_treatment": n, "not_in_treatment_pct": _share(n, value),
                    "not_in_treatment_lower": _share(n, lower), "not_in_treatment_upper": _share(n, upper)})
    return pd.DataFrame(out, columns=columns).sort_values("period").reset_index(drop=True)



def alcohol_need_by_area(estimates: pd.DataFrame, treated: pd.DataFrame,
                         areas: Sequence[tuple[str, Sequence[str]]]) -> list[pd.DataFrame]:
    """:func:`alcohol_unmet_need` for each area, named, from the estimates of the authorities it is made of.

    ``estimates`` are NDTMS ``alcohol_dependent_adults`` rows (``area_code, period, value,
    lower_ci, upper_ci``); ``treated`` the adults in treatment by ``area, period,
    substance_group, count``; ``areas`` pairs each area's name with its authorities' codes.
    An area of several authorities gets their estimates summed in the periods every one of
    them holds, with no interval (intervals do not add up); an area missing an authority's
    estimate is left out. One frame an area kept, with an ``area`` column, in ``areas`` order.
    """
    rows = []
    for name, codes in areas:
        own = estimates[estimates["area_code"].isin(codes)].astype({"value": float, "lower_ci": float,
                                                                    "upper_ci": float})
        if own.empty or set(own["area_code"]) != set(codes):
            continue
        if len(codes) > 1:  # a partnership: estimates add up, their intervals do not
            complete = own.groupby("period")["area_code"].nunique() == len(codes)
            own = own[own["period"].isin(complete[complete].index)].groupby("period", as_index=False)["value"].sum()
            own = own.assign(lower_ci=np.nan, upper_ci=np.nan)
        counts = treated[treated["area"] == name][["period", "substance_group", "count"]]
        rows.append(alcohol_unmet_need(own, counts).assign(area=name))
    return rows

def _share(treated: float, estimate: float) -> float:
    """Percentage of ``estimate`` not in treatment (floored at 0); NaN when either is missing."""
    if not estimate or estimate != estimate or treated != treated:
        return np.nan
    return max(0.0, 100 * (1 - treated / estimate))


def requirement_rows(rows: pd.DataFrame | None) -> pd.DataFrame:
    """The latest period's community sentence treatment requirements by requirement.

    Returns ``requirement, short, period, made, count (completed), denominator (ended), value``
    (completion %, NaN when none ended), in :data:`REQUIREMENTS` order; empty without rows.
    """
    columns = ["requirement", "short", "period", "made", "count", "denominator", "value"]
    if rows is None or rows.empty:
        return pd.DataFrame(columns=columns)
    period = latest_period(rows)
    latest = rows[rows["period"].astype(str) == period]
    sums = latest.groupby("requirement")[["made", "ended", "completed"]].sum(min_count=1)
    out = []
    for requirement, short in REQUIREMENTS.items():
        if requirement not in sums.index:
            continue
        r = sums.loc[requirement].astype(float)
        value = 100 * r["completed"] / r["ended"] if r["ended"] and r["ended"] == r["ended"] else np.nan
        out.append({"requirement": requirement, "short": short, "period": period, "made": r["made"],
                    "count": r["completed"], "denominator": r["ended"], "value": value})
    return pd.DataFrame(out, columns=columns)


def spend_rows(rows: pd.DataFrame | None, adults_in_treatment: float | None = None) -> pd.DataFrame:
    """Treatment funding of the latest period by funding stream, with a ``total`` row.

    Returns ``funding_stream, period, allocated_gbp, spent_gbp, spent_pct, adults_in_treatment, spend_per_adult``:
    ``spent_pct`` is spent as a percentage of allocated (NaN unless both are given), and
    ``spend_per_adult`` (total row only) is the total spent divided by
    ``adults_in_treatment`` when it is given. A total is NaN when a stream leaves it out.
    """
    columns = ["funding_stream", "period", "allocated_gbp", "spent_gbp", "spent_pct", "adults_in_treatment",
               "spend_per_adult"]
    if rows is None or rows.empty:
        return pd.DataFrame(columns=columns)
    period = latest_period(rows)
    latest = rows[rows["period"].astype(str) == period].copy()
    latest["funding_stream"] = latest["funding_stream"].astype(str).str.strip()
    streams = latest.groupby("funding_stream", sort=False)[["allocated_gbp", "spent_gbp"]].sum(min_count=1)
    streams = streams.astype(float)
    total = {c: (float(streams[c].sum()) if streams[c].notna().all() else np.nan)
             for c in ("allocated_gbp", "spent_gbp")}
    out = [{"funding_stream": name, "period": period, **r.to_dict()} for name, r in streams.iterrows()]
    per_adult = (total["spent_gbp"] / adults_in_treatment
                 if adults_in_treatment and total["spent_gbp"] == total["spent_gbp"] else np.nan)
    out.append({"funding_stream": "total", "period": period, **total,
                "adults_in_treatment": adults_in_treatment if adults_in_treatment else np.nan,
                "spend_per_adult": per_adult})
    frame = pd.DataFrame(out, columns=columns)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["spent_pct"] = np.where(frame["allocated_gbp"] > 0, 100 * frame["spent_gbp"] / frame["allocated_gbp"],
                                      np.nan)
    return frame

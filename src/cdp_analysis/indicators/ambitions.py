"""Progress against local ambitions: each metric's latest value against a straight-line trajectory.

A partnership's ``ambitions`` local return (``resources/local_templates/ambitions.csv``)
gives, per metric, a baseline (period and value; by default 2021/22 from the data),
an ambition (value and date) and an owner. The trajectory runs in a straight line
from the baseline value at the baseline period's end to the ambition value at the
ambition date. A metric is

- **on track** when its latest value is on the ambition's side of the trajectory at
  the latest value's date (at or above it when the ambition is higher than the
  baseline, at or below when lower; after the ambition date, against the ambition
  itself);
- **off track** when it is on the other side;
- **not yet known** when there is nothing to compare: no value in the data, no
  baseline, no value published after the baseline, or an ambition dated no later
  than the baseline. ``why`` says which, in words.

The functions are pure: frames in, frames out; the chapter gathers the series.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_BASELINE", "ON_TRACK", "OFF_TRACK", "NOT_KNOWN", "period_end", "local_metric_series",
           "progress", "SPC_MIN_POINTS"]

#: The outcomes framework's baseline year, used when the file leaves ``baseline_period`` empty.
DEFAULT_BASELINE = "2021/22"
ON_TRACK, OFF_TRACK, NOT_KNOWN = "On track", "Off track", "Not yet known"
#: Points a series needs before an SPC chart is drawn (Making Data Count: 15 or more).
SPC_MIN_POINTS = 15
PROGRESS_COLUMNS = ["metric", "owner", "points", "baseline_period", "baseline_value", "baseline_from",
                    "latest_period", "latest_value", "ambition_value", "ambition_date", "trajectory_value",
                    "status", "why"]

_FINANCIAL = re.compile(r"^(\d{4})/(\d{2})$")
_FINANCIAL_Q = re.compile(r"^(\d{4})/(\d{2})\s+Q([1-4])$")
_CALENDAR_Q = re.compile(r"^(\d{4})\s+Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4})(?:/(\d{2}))?\s*-\s*(\d{2,4})(?:/(\d{2}))?$")


def period_end(period: object) -> pd.Timestamp:
    """The last day a period covers (NaT when the period's shape is unknown).

    >>> [str(period_end(p).date()) for p in ("2023/24", "2023", "2023/24 Q1", "2023 Q1", "2020 - 22",
    ...                                        "2020/21 - 22/23")]
    ['2024-03-31', '2023-12-31', '2023-06-30', '2023-03-31', '2022-12-31', '2023-03-31']
    """
    text = " ".join(str(period).split()) if isinstance(period, str) else ""
    if m := _FINANCIAL.fullmatch(text):
        return pd.Timestamp(int(m[1]) + 1, 3, 31)
    if m := _FINANCIAL_Q.fullmatch(text):
        quarter_end = pd.Timestamp(int(m[1]), 4, 1) + pd.DateOffset(months=3 * int(m[3])) - pd.Timedelta(days=1)
        return pd.Timestamp(quarter_end)
    if m := _CALENDAR_Q.fullmatch(text):
        return pd.Timestamp(int(m[1]), 1, 1) + pd.DateOffset(months=3 * int(m[2])) - pd.Timedelta(days=1)
    if m := _YEAR.fullmatch(text):
        return pd.Timestamp(int(m[1]), 12, 31)
    if m := _RANGE.fullmatch(text):
        end = m[3] if len(m[3]) == 4 else str(int(m[1]) // 100 * 100 + int(m[3]))
        return pd.Timestamp(int(end) + 1, 3, 31) if m[2] or m[4] else pd.Timestamp(int(end), 12, 31)
    return pd.NaT


def local_metric_series(frame: pd.DataFrame, area_code: str, numerator: str, denominator: str,
                        members: Sequence[str] = ()) -> pd.DataFrame:
    """A percentage over time from a local return: ``period, period_end, value, count, denominator``.

    The rows of ``area_code``; without any, a partnership's ``members`` summed, in the
    periods every member returned. A template with several rows a period (substance
    groups) is summed over them. A period whose denominator is 0 or missing is left out.
    """
    own = frame[frame["area_code"] == area_code]
    if own.empty and members:
        own = frame[frame["area_code"].isin(list(members))]
        complete = own.groupby("period")["area_code"].nunique()
        own = own[own["period"].isin(complete[complete == len(set(members))].index)]
    if own.empty:
        return pd.DataFrame(columns=["period", "period_end", "value", "count", "denominator"])
    summed = own.groupby("period", as_index=False)[[numerator, denominator]].sum(min_count=1)
    summed = summed.rename(columns={numerator: "count", denominator: "denominator"}).astype(
        {"count": float, "denominator": float})
    summed = summed[summed["denominator"] > 0]
    summed["value"] = summed["count"] / summed["denominator"] * 100
    summed["period_end"] = summed["period"].map(period_end)
    return summed.sort_values("period_end")[["period", "period_end", "value", "count", "denominator"]] \
        .reset_index(drop=True)


def progress(ambitions: pd.DataFrame, series: Mapping[str, pd.DataFrame],
             polarity: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Each metric's status against its trajectory.

    Parameters
    ----------
    ambitions : DataFrame
        One area's rows of the ambitions return: ``metric, baseline_period,
        baseline_value, ambition_value, ambition_date, owner``.
    series : mapping of metric to DataFrame
        Each metric's values over time: ``period, value`` (``period_end`` is worked
        out when absent). A metric missing here has no data.
    polarity : mapping of metric to str, optional
        ``HighIsGood``/``LowIsGood``: the direction when the ambition equals the
        baseline (hold the line: on track when not worse).

    Returns
    -------
    DataFrame
        :data:`PROGRESS_COLUMNS`, one row per ambition in the file's order.

    Examples
    --------
    >>> amb = pd.DataFrame({"metric": ["m"], "baseline_period": ["2021/22"], "baseline_value": [40.0],
    ...                     "ambition_value": [60.0], "ambition_date": [pd.Timestamp("2026-03-31")],
    ...                     "owner": ["Board"]})
    >>> s = pd.DataFrame({"period": ["2021/22", "2023/24"], "value": [40.0, 52.0]})
    >>> row = progress(amb, {"m": s}).iloc[0]
    >>> round(float(row["trajectory_value"]), 1), row["status"]
    (50.0, 'On track')
    """
    polarity = polarity or {}
    rows = []
    for _, a in ambitions.iterrows():
        metric = str(a["metric"])
        data = series.get(metric)
        data = pd.DataFrame(columns=["period", "value"]) if data is None else data.dropna(subset=["value"])
        if "period_end" not in data:
            data = data.assign(period_end=data["period"].map(period_end))
        data = data.dropna(subset=["period_end"]).sort_values("period_end")
        rows.append(_one(a, metric, data, polarity.get(metric, "")))
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


def _one(a: pd.Series, metric: str, data: pd.DataFrame, polarity: str) -> dict:
    base_period = a.get("baseline_period")
    base_period = DEFAULT_BASELINE if not isinstance(base_period, str) or not base_period.strip() else base_period
    base_end = period_end(base_period)
    given = a.get("baseline_value")
    owner = a.get("owner")
    row = {"metric": metric, "owner": str(owner) if owner is not None and pd.notna(owner) else "",
           "points": len(data), "baseline_period": base_period,
           "baseline_value": np.nan, "baseline_from": "", "latest_period": "", "latest_value": np.nan,
           "ambition_value": float(a["ambition_value"]), "ambition_date": a["ambition_date"],
           "trajectory_value": np.nan, "status": NOT_KNOWN, "why": ""}
    if given is not None and pd.notna(given):
        row.update(baseline_value=float(given), baseline_from="file")
    elif not data.empty:
        match = data[data["period"] == base_period]
        if match.empty:  # another kind of period (a quarter, three pooled years): the last one ending by then
            match = data[data["period_end"] <= base_end].tail(1)
        if not match.empty:  # the trajectory starts where the data's baseline period ends
            base_period = str(match["period"].iloc[-1])
            base_end = period_end(base_period)
            row.update(baseline_value=float(match["value"].iloc[-1]), baseline_from="data", baseline_period=base_period)
    if data.empty:
        row["why"] = "the data holds no value of this metric for the area"
        return row
    latest = data.iloc[-1]
    row.update(latest_period=str(latest["period"]), latest_value=float(latest["value"]))
    ambition_date = pd.Timestamp(a["ambition_date"])
    if row["baseline_value"] != row["baseline_value"]:
        row["why"] = f"there is no baseline: the data has no value for {base_period} and the file gives none"
    elif pd.isna(base_end):
        row["why"] = f"the baseline period {base_period!r} cannot be placed in time"
    elif ambition_date <= base_end:
        row["why"] = "the ambition's date is not after the baseline"
    elif latest["period_end"] <= base_end:
        row["why"] = f"no value has been published since the baseline (the latest is for {latest['period']})"
    if row["why"]:
        return row
    base, goal = row["baseline_value"], row["ambition_value"]
    when = min(pd.Timestamp(latest["period_end"]), ambition_date)
    share = (when - base_end) / (ambition_date - base_end)
    expected = base + (goal - base) * share
    direction = np.sign(goal - base) or (1 if polarity == "HighIsGood" else -1 if polarity == "LowIsGood" else 0)
    row["trajectory_value"] = expected
    if direction == 0:
        row["why"] = "the ambition equals the baseline and the metric has no better direction"
        return row
    on_track = (row["latest_value"] - expected) * direction >= 0
    row["status"] = ON_TRACK if on_track else OFF_TRACK
    return row

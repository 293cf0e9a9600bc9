"""Change since the last assessment: two editions' headline indicators compared.

A chapter's *headline series* is one tidy table (:data:`SERIES_COLUMNS`): each
headline indicator's values over the periods an edition holds, with their 95%
limits, the period's last month and length, and whether the period holds every
month of it. :func:`compare_editions` compares the current edition's table with
an earlier edition's, like for like:

- the current edition's latest complete period of each indicator against the
  earlier edition's latest complete period of the *same length ending in the same
  month of the year* (twelve months to December against twelve months to
  December; a financial year against a financial year);
- significant when the two 95% intervals do not overlap
  (:func:`cdp_analysis.stats.compare_periods`), better or worse by the indicator's
  polarity (:func:`cdp_analysis.stats.change_judgement`);
- an indicator only the current edition holds is *new*, one only the earlier
  edition holds *retired*; one whose periods cannot be matched is *not
  comparable*, with the reason; one with no newer period than the earlier
  edition's is *not updated*.

Pure functions: no words beyond the reasons, no HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from cdp_analysis import stats
from cdp_analysis.store.editions import period_span

__all__ = ["SERIES_COLUMNS", "CHANGE_COLUMNS", "COMPARED", "NOT_COMPARABLE", "NOT_UPDATED", "NEW", "RETIRED",
           "series_table", "fingertips_series", "police_series", "compare_editions"]

#: Columns of a headline series.
SERIES_COLUMNS = ["indicator_id", "indicator", "period", "period_end", "period_months", "complete", "value",
                  "lower_ci", "upper_ci", "polarity", "unit", "suppressed"]
#: Columns of :func:`compare_editions`' result.
CHANGE_COLUMNS = ["indicator_id", "indicator", "unit", "polarity", "status", "earlier_period", "earlier_value",
                  "earlier_lower_ci", "earlier_upper_ci", "current_period", "current_value", "current_lower_ci",
                  "current_upper_ci", "change", "result", "judgement", "reason"]
COMPARED, NOT_COMPARABLE, NOT_UPDATED, NEW, RETIRED = (
    "compared", "not comparable", "not updated", "new", "retired")


def series_table(rows: pd.DataFrame | Iterable[Mapping]) -> pd.DataFrame:
    """A headline series with every column of :data:`SERIES_COLUMNS` (missing ones filled), typed."""
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    defaults = {"complete": True, "suppressed": False, "polarity": "NoJudgement", "unit": ""}
    for column in SERIES_COLUMNS:
        if column not in frame:
            frame[column] = defaults.get(column, np.nan)
    frame = frame[SERIES_COLUMNS].copy()
    for column in ("value", "lower_ci", "upper_ci"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["period_end"] = [pd.Period(p, freq="M") if not isinstance(p, pd.Period) else p for p in frame["period_end"]]
    frame["period_months"] = frame["period_months"].astype(int)
    frame["complete"] = frame["complete"].astype(bool)
    frame["suppressed"] = frame["suppressed"].fillna(False).astype(bool)
    frame["polarity"] = frame["polarity"].fillna("").replace("", "NoJudgement").astype(str)
    return frame.reset_index(drop=True)


def fingertips_series(series: Mapping[str, pd.DataFrame], names: Mapping[str, str], polarity: Mapping[str, str],
                      units: Mapping[str, str]) -> pd.DataFrame:
    """A headline series from indicator-table rows (Fingertips: ``period``, ``value``, ``lower_ci``, ``upper_ci``).

    ``series`` maps an indicator id to one area's rows; a period that cannot be read
    (:func:`cdp_analysis.store.editions.period_span`) is left out, as it cannot be matched.
    """
    rows = []
    for indicator_id, frame in series.items():
        for _, r in frame.iterrows():
            span = period_span(r["period"])
            if span is None:
                continue
            rows.append({"indicator_id": indicator_id, "indicator": names[indicator_id], "period": str(r["period"]),
                         "period_end": span[0], "period_months": span[1], "complete": True,
                         "value": r["value"], "lower_ci": r.get("lower_ci"), "upper_ci": r.get("upper_ci"),
                         "polarity": polarity.get(indicator_id, "NoJudgement"), "unit": units.get(indicator_id, ""),
                         "suppressed": False})
    return series_table(rows) if rows else series_table(pd.DataFrame(columns=SERIES_COLUMNS))


def police_series(rates: pd.DataFrame, indicator_id: str, indicator: str, polarity: str, unit: str,
                  suppressed: Iterable[bool] | None = None) -> pd.DataFrame:
    """A headline series from one area's twelve-month police rates
    (:func:`cdp_analysis.indicators.supply.twelve_month_rates`: ``period_end``, ``period``,
    ``months_with_data``, ``value``, limits). A window is complete when it holds all twelve months;
    ``suppressed`` flags windows whose count disclosure control hides (their values are dropped)."""
    hidden = list(suppressed) if suppressed is not None else [False] * len(rates)
    frame = pd.DataFrame({
        "indicator_id": indicator_id, "indicator": indicator, "period": rates["period"].astype(str).to_numpy(),
        "period_end": [pd.Period(t, freq="M") for t in rates["period_end"]], "period_months": 12,
        "complete": (rates["months_with_data"] == 12).to_numpy(), "value": rates["value"].to_numpy(),
        "lower_ci": rates["lower_ci"].to_numpy(), "upper_ci": rates["upper_ci"].to_numpy(),
        "polarity": polarity, "unit": unit, "suppressed": hidden,
    })
    return series_table(frame)


def compare_editions(current: pd.DataFrame, earlier: pd.DataFrame) -> pd.DataFrame:
    """Each indicator of either edition: how the current edition's latest period compares with the earlier one's.

    Parameters
    ----------
    current, earlier
        Headline series (:data:`SERIES_COLUMNS`) of the edition built and of the earlier edition.

    Returns
    -------
    pandas.DataFrame
        :data:`CHANGE_COLUMNS`, one row per indicator, in the order the current edition
        lists them, retired ones last. ``change`` is current minus earlier (compared rows
        only); ``result`` is :data:`cdp_analysis.stats.CHANGE_LABELS`; ``judgement``
        ``better``/``worse``/``""``; ``reason`` says why a row is not compared.
    """
    current, earlier = series_table(current), series_table(earlier)
    order = list(dict.fromkeys(current["indicator_id"]))
    order += [i for i in dict.fromkeys(earlier["indicator_id"]) if i not in order]
    rows = [_compare_one(current[current["indicator_id"] == i], earlier[earlier["indicator_id"] == i], i)
            for i in order]
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def _usable(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["value"].notna() & ~rows["suppressed"]].sort_values(["period_end", "period_months"])


def _compare_one(now: pd.DataFrame, before: pd.DataFrame, indicator_id: str) -> dict:
    info = (now if not now.empty else before).iloc[0]
    row: dict = dict.fromkeys(CHANGE_COLUMNS, np.nan)
    row.update(indicator_id=indicator_id, indicator=info["indicator"], unit=info["unit"], polarity=info["polarity"],
               result="Not compared", judgement="", reason="")
    now_ok, before_ok = _usable(now), _usable(before)
    if now_ok.empty and before_ok.empty:
        return {**row, "status": NOT_COMPARABLE,
                "reason": "no value can be published in either edition (small numbers or missing values)"}
    if before.empty or before_ok.empty and not now_ok.empty and before["suppressed"].sum() == 0:
        return {**row, "status": NEW, **_side("current", now_ok.iloc[-1])}
    if now.empty:
        return {**row, "status": RETIRED, **_side("earlier", before_ok.iloc[-1])}
    if now_ok.empty:
        return {**row, "status": NOT_COMPARABLE, **_side("earlier", before_ok.iloc[-1]),
                "reason": "no value of the current edition can be published (small numbers)"}
    latest = now_ok.iloc[-1]
    row.update(_side("current", latest))
    if not latest["complete"]:
        complete = now_ok[now_ok["complete"]]
        if complete.empty:
            shown = _side("earlier", before_ok.iloc[-1]) if not before_ok.empty else {}
            return {**row, **shown, "status": NOT_COMPARABLE,
                    "reason": f"the latest period ({latest['period']}) does not hold every month"}
        latest = complete.iloc[-1]
        row.update(_side("current", latest))
    if before_ok.empty:
        return {**row, "status": NOT_COMPARABLE,
                "reason": "no value of the earlier edition can be published (small numbers)"}
    last_before = before_ok.iloc[-1]
    if last_before["period_end"] >= latest["period_end"] and last_before["period_months"] == latest["period_months"]:
        return {**row, "status": NOT_UPDATED, **_side("earlier", last_before),
                "reason": f"no period later than {latest['period']} has been published since"}
    alike = before_ok[(before_ok["period_months"] == latest["period_months"])
                      & (before_ok["period_end"].map(lambda p: p.month) == latest["period_end"].month)
                      & before_ok["complete"] & (before_ok["period_end"] < latest["period_end"])]
    if alike.empty:
        return {**row, "status": NOT_COMPARABLE, **_side("earlier", last_before),
                "reason": _unlike(latest, before_ok)}
    match = alike.iloc[-1]
    row.update(_side("earlier", match))
    result = stats.compare_periods(match["lower_ci"], match["upper_ci"], latest["lower_ci"], latest["upper_ci"])
    return {**row, "status": COMPARED, "change": float(latest["value"] - match["value"]), "result": result,
            "judgement": stats.change_judgement(result, str(latest["polarity"])),
            "reason": "" if result != "Not compared" else "a confidence interval is missing"}


def _side(which: str, r: pd.Series) -> dict:
    return {f"{which}_period": r["period"], f"{which}_value": float(r["value"]),
            f"{which}_lower_ci": float(r["lower_ci"]) if r["lower_ci"] == r["lower_ci"] else np.nan,
            f"{which}_upper_ci": float(r["upper_ci"]) if r["upper_ci"] == r["upper_ci"] else np.nan}


def _unlike(latest: pd.Series, before: pd.DataFrame) -> str:
    """Why no period of the earlier edition matches the latest one."""
    same_length = before[before["period_months"] == latest["period_months"]]
    if same_length.empty:
        return f"the earlier edition holds no period as long as {latest['period']}"
    same_months = same_length[same_length["period_end"].map(lambda p: p.month) == latest["period_end"].month]
    if same_months.empty:
        return (f"the earlier edition holds no period covering the same months of the year as "
                f"{latest['period']}")
    return (f"the earlier edition's periods covering the same months of the year as {latest['period']} "
            "do not hold every month")


def outcome_series(outcomes, indicator_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The focus area's headline series of catalogued Fingertips indicators.

    ``outcomes`` is an :class:`~cdp_analysis.indicators.outcomes.OutcomeSeries` (its dataset
    read as the edition wants it); ``indicator_ids`` defaults to the whole catalogue. Names,
    polarities and units come from the catalogue (``resources/indicators.csv``).
    """
    catalogue = outcomes.catalogue
    ids = [i for i in (indicator_ids if indicator_ids is not None else catalogue) if i in catalogue]
    series = {i: outcomes.series(i, outcomes.area.code).dropna(subset=["value"]) for i in ids}
    return fingertips_series({i: s for i, s in series.items() if not s.empty},
                             {i: catalogue[i].short_name for i in ids}, {i: catalogue[i].polarity for i in ids},
                             {i: _unit(catalogue[i].unit) for i in ids})


def _unit(unit: str) -> str:
    """The catalogue's unit as a sentence carries it (``per 100,000 (DSR)`` → ``per 100,000``)."""
    return unit.split(" (")[0]

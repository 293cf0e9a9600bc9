"""What happened after the crimes of an area: shares by outcome group, with the outcome lag.

Pure functions over street-crime rows (``month``, ``lsoa_code``, ``last_outcome``)
or over counts by month and outcome group (the national aggregate's shape). The
groups are :data:`cdp_analysis.sources.police_outcomes.OUTCOME_GROUPS`.

**The outcome lag.** A police.uk file gives each crime its *latest* outcome when
the file was published. Recent crimes are mostly "Under investigation"; their
share falls month by month as cases close. A share of charges for last quarter
is therefore not comparable with one for two years ago. A quarter is *settled*
when at most :data:`MAX_OPEN_PCT` per cent of its crimes are still under
investigation; comparisons (over time, against other areas) use settled quarters
only, the latest twelve months of them, never two convenient points.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from cdp_analysis import stats
from cdp_analysis.sources.police_outcomes import OUTCOME_GROUPS, UNMAPPED, outcome_group
from cdp_analysis.vocabulary import ROLE_COMPARATOR, ROLE_FOCUS

__all__ = ["MAX_OPEN_PCT", "GROUP_ORDER", "outcome_counts", "quarterly_shares", "settled_window",
           "pooled_shares", "trend_run", "charged_comparison"]

#: A quarter is settled when at most this percentage of its crimes is still under investigation.
MAX_OPEN_PCT = 10.0
#: Group keys in reading order (a category the mapping does not know last).
GROUP_ORDER = (*OUTCOME_GROUPS, UNMAPPED)


def outcome_counts(crimes: pd.DataFrame, lsoas: Iterable[str], months: Iterable[pd.Timestamp]) -> pd.DataFrame:
    """Crimes located in ``lsoas`` by month held and outcome group.

    Parameters
    ----------
    crimes : street-crime rows with ``month``, ``lsoa_code``, ``last_outcome``
        (already restricted to the crime types wanted).
    lsoas : the area's LSOA codes.
    months : the months the data holds for the area (a month absent from it is
        not a month of zero crimes and gets no row).

    Returns
    -------
    DataFrame with ``month, outcome_group, count``: every held month times every
    group of :data:`GROUP_ORDER` (``unmapped`` only when some category is), zeros
    where no crime had that outcome.
    """
    held = pd.DatetimeIndex(sorted(set(pd.to_datetime(list(months)))))
    own = crimes[crimes["lsoa_code"].isin(set(lsoas)) & crimes["month"].isin(held)]
    groups = outcome_group(own["last_outcome"])
    counted = own.assign(outcome_group=groups.to_numpy()).groupby(["month", "outcome_group"]).size()
    wanted = [g for g in GROUP_ORDER if g != UNMAPPED or (groups == UNMAPPED).any()]
    index = pd.MultiIndex.from_product([held, wanted], names=["month", "outcome_group"])
    return counted.reindex(index, fill_value=0).rename("count").reset_index()


def _quarter_label(start: pd.Timestamp) -> str:
    end = start + pd.DateOffset(months=2)
    return f"{start:%b} to {end:%b %Y}"


def quarterly_shares(monthly: pd.DataFrame, max_open_pct: float = MAX_OPEN_PCT) -> pd.DataFrame:
    """Counts and shares by calendar quarter and outcome group, each quarter marked settled or not.

    Parameters
    ----------
    monthly : :func:`outcome_counts`' frame.
    max_open_pct : the largest share still under investigation a settled quarter may have.

    Returns
    -------
    DataFrame with ``quarter`` (its first day), ``period`` (``"Apr to Jun 2018"``),
    ``months_with_data``, ``outcome_group``, ``count``, ``total`` (the quarter's
    crimes), ``value``, ``lower_ci``, ``upper_ci`` (the group's percentage with a
    Wilson 95% interval), ``open_pct`` (the quarter's share still under
    investigation) and ``settled``. Quarters without a crime are left out.
    """
    frame = monthly.copy()
    frame["quarter"] = frame["month"].dt.to_period("Q").dt.start_time
    months = frame.groupby("quarter")["month"].nunique().rename("months_with_data")
    out = frame.groupby(["quarter", "outcome_group"], sort=False)["count"].sum().reset_index()
    out["total"] = out.groupby("quarter")["count"].transform("sum")
    out = out[out["total"] > 0].merge(months, on="quarter")
    out = stats.proportion_table(out, "count", "total", multiplier=100)
    opened = out[out["outcome_group"] == "under_investigation"].set_index("quarter")["value"]
    out["open_pct"] = out["quarter"].map(opened).fillna(0.0)
    out["settled"] = out["open_pct"] <= max_open_pct
    out["period"] = out["quarter"].map(_quarter_label)
    order = {g: i for i, g in enumerate(GROUP_ORDER)}
    out = out.sort_values(["quarter", "outcome_group"], key=lambda s: s.map(order) if s.name == "outcome_group"
                          else s, ignore_index=True)
    return out[["quarter", "period", "months_with_data", "outcome_group", "count", "total", "value", "lower_ci",
                "upper_ci", "open_pct", "settled"]]


def settled_window(quarters: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp, list[pd.Timestamp]] | None:
    """The twelve months ending with the latest settled quarter, and the settled quarters in them.

    Returns ``(first month, last month, settled quarters' first days)``, or None
    when no quarter is settled.
    """
    settled = quarters.loc[quarters["settled"], "quarter"].drop_duplicates().sort_values()
    if settled.empty:
        return None
    end = settled.iloc[-1] + pd.DateOffset(months=2)
    start = end - pd.DateOffset(months=11)
    return start, end, [q for q in settled if q >= start]


def pooled_shares(monthly: pd.DataFrame, months: Iterable[pd.Timestamp]) -> pd.DataFrame:
    """Counts and shares by outcome group over ``months`` together (``month, outcome_group, count`` in).

    Returns ``outcome_group, count, total, value, lower_ci, upper_ci`` (Wilson 95%,
    percentages), one row per group present in ``monthly``.
    """
    wanted = set(pd.to_datetime(list(months)))
    chosen = monthly[monthly["month"].isin(wanted)]
    out = chosen.groupby("outcome_group", sort=False)["count"].sum().reset_index()
    out["total"] = out["count"].sum()
    if out.empty or out["total"].iloc[0] <= 0:
        return out.assign(value=pd.Series(dtype=float), lower_ci=pd.Series(dtype=float),
                          upper_ci=pd.Series(dtype=float))
    out = stats.proportion_table(out, "count", "total", multiplier=100)
    return out[["outcome_group", "count", "total", "value", "lower_ci", "upper_ci"]]


def trend_run(quarters: pd.DataFrame, points: int = 5) -> list[pd.Timestamp]:
    """The latest run of consecutive, complete (three months held), settled quarters, at most ``points`` long."""
    whole = quarters[quarters["settled"] & (quarters["months_with_data"] == 3)]
    starts = sorted(whole["quarter"].drop_duplicates())
    run: list[pd.Timestamp] = []
    for start in reversed(starts):
        if run and start != run[0] - pd.DateOffset(months=3):
            break
        run.insert(0, start)
        if len(run) == points:
            break
    return run


def charged_comparison(own: pd.Series, focus: tuple[str, str], period: str,
                       comparators: Sequence[tuple[str, str, pd.DataFrame | None]]) -> tuple[pd.DataFrame, list[str]]:
    """The charged or summonsed share of the focus area and of each comparator over the same months.

    ``own`` is the focus area's ``charged`` row of :func:`pooled_shares` (``count, total, value,
    lower_ci, upper_ci, suppressed``); ``focus`` its name and code; ``comparators`` name, code and
    counts by ``outcome_group`` (``count``; None when not held), in order. Returns the table
    (``area, area_code, role, period, count, total, value, lower_ci, upper_ci, suppressed,
    focus_compared``: the focus area's 95% interval against each value, ``Not compared`` when
    the focus row is suppressed) and the names of the comparators without counts.
    """
    rows = [{"area": focus[0], "area_code": focus[1], "role": ROLE_FOCUS, "period": period,
             "count": own["count"], "total": own["total"], "value": own["value"], "lower_ci": own["lower_ci"],
             "upper_ci": own["upper_ci"], "suppressed": bool(own["suppressed"])}]
    missing = []
    for name, code, frame in comparators:
        if frame is None or frame.empty or frame["count"].sum() <= 0:
            missing.append(name)
            continue
        charged, total = float(frame.loc[frame["outcome_group"] == "charged", "count"].sum()), \
            float(frame["count"].sum())
        estimate = stats.proportion(charged, total)
        rows.append({"area": name, "area_code": code, "role": ROLE_COMPARATOR,
                     "period": period, "count": charged, "total": total, "value": estimate.value,
                     "lower_ci": estimate.lower_ci, "upper_ci": estimate.upper_ci, "suppressed": False})
    table = pd.DataFrame(rows)
    first = table.iloc[0]
    table["focus_compared"] = [
        "Focus area" if r["role"] == ROLE_FOCUS else "Not compared" if first["suppressed"]
        else stats.compare_to_benchmark(first["lower_ci"], first["upper_ci"], r["value"], polarity="NoJudgement")
        for _, r in table.iterrows()]
    return table, missing

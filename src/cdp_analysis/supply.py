"""Indicators of the supply chapter, from police.uk street-level crime.

Pure functions over the normalised street-crime frame
(:func:`cdp_analysis.sources.police_uk.read_street_crime`): counts by month,
rolling twelve months, rates per 1,000 residents with 95% limits, change over
one and five years, seasonality, and small-area rates with hotspots.

An area's crimes are those whose LSOA lies in it, whichever force reported them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from cdp_analysis import stats
from cdp_analysis.errors import MissingDataError

__all__ = [
    "DRUG_CRIME",
    "WEAPONS",
    "NEIGHBOURHOOD_CRIME",
    "monthly_counts",
    "add_rolling_12m",
    "twelve_month_rates",
    "change_over_time",
    "seasonality",
    "small_area_rates",
    "hotspots",
    "crime_type_mix",
]

DRUG_CRIME = ("Drugs",)
WEAPONS = ("Possession of weapons",)
#: The CDOF headline proxy: domestic burglary, personal robbery, theft from the
#: person and vehicle offences, as police.uk categories.
NEIGHBOURHOOD_CRIME = ("Burglary", "Robbery", "Theft from the person", "Vehicle crime")
PER_1000 = 1_000


def monthly_counts(
    crimes: pd.DataFrame,
    areas: Mapping[str, Iterable[str]],
    crime_types: Sequence[str],
    months: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Crimes of ``crime_types`` per area per month, zero-filled.

    Parameters
    ----------
    crimes : normalised street-crime frame (``month``, ``lsoa_code``, ``crime_type``).
    areas : area code → the LSOA codes it is made of.
    crime_types : police.uk crime-type names to count.
    months : months to report (default: every month from first to last in ``crimes``).

    Returns
    -------
    DataFrame with ``area_code, month, count``.
    """
    chosen = crimes[crimes["crime_type"].isin(crime_types)]
    if months is None:
        months = _month_range(crimes["month"])
    frames = []
    for code, lsoas in areas.items():
        in_area = chosen[chosen["lsoa_code"].isin(set(lsoas))]
        counts = in_area.groupby("month", observed=True).size().reindex(months, fill_value=0)
        frames.append(pd.DataFrame({"area_code": code, "month": months, "count": counts.to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def _month_range(month: pd.Series) -> pd.DatetimeIndex:
    if month.empty:
        raise MissingDataError("No police.uk months in the data")
    return pd.date_range(month.min(), month.max(), freq="MS", name="month")


def add_rolling_12m(monthly: pd.DataFrame) -> pd.DataFrame:
    """Add ``rolling_12m``: the sum of the last twelve months (NaN before 12 months)."""
    out = monthly.sort_values(["area_code", "month"]).copy()
    out["rolling_12m"] = out.groupby("area_code")["count"].transform(
        lambda s: s.rolling(12, min_periods=12).sum()
    )
    return out


def twelve_month_rates(
    monthly: pd.DataFrame,
    population: Mapping[str, float],
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Crime rate per 1,000 residents for each complete twelve-month window.

    Windows end on the latest month and step back a year at a time, so the
    latest window is the most recent twelve months. Limits are Byar's (exact
    Poisson under 10) from :func:`cdp_analysis.stats.crude_rate`.

    Returns
    -------
    DataFrame with ``area_code, period_end, period, count, population, value,
    lower_ci, upper_ci, method``, oldest window first.
    """
    rows = []
    last = monthly["month"].max()
    for code, group in monthly.groupby("area_code", sort=False):
        series = group.set_index("month")["count"].sort_index()
        end = last
        while end - pd.DateOffset(months=11) >= series.index.min():
            start = end - pd.DateOffset(months=11)
            count = int(series.loc[start:end].sum())
            pop = float(population[code])
            est = stats.crude_rate(count, pop, confidence=confidence, multiplier=PER_1000)
            rows.append({
                "area_code": code, "period_end": end,
                "period": f"{start:%b %Y} to {end:%b %Y}",
                "count": count, "population": pop,
                "value": est.value, "lower_ci": est.lower_ci, "upper_ci": est.upper_ci,
                "method": est.method,
            })
            end = end - pd.DateOffset(years=1)
    out = pd.DataFrame(rows)
    return out.sort_values(["area_code", "period_end"]).reset_index(drop=True)


def change_over_time(rates: pd.DataFrame, area_code: str) -> dict[str, float | str | None]:
    """Year-on-year and five-year change of the latest twelve-month rate.

    Returns the latest value, the values a year and five years before (None
    when the data is too short), the percentage changes, and whether each
    change is significant (non-overlapping 95% intervals, the simple local
    practice the Fingertips guide describes for two points).
    """
    own = rates[rates["area_code"] == area_code].sort_values("period_end")
    if own.empty:
        raise MissingDataError(f"No twelve-month rates for {area_code}")
    latest = own.iloc[-1]
    result: dict[str, float | str | None] = {
        "latest_period": latest["period"], "latest_value": float(latest["value"]),
        "latest_count": int(latest["count"]),
    }
    for label, years in (("one_year", 1), ("five_year", 5)):
        if len(own) > years:
            before = own.iloc[-1 - years]
            result[f"{label}_value"] = float(before["value"])
            result[f"{label}_period"] = before["period"]
            result[f"{label}_pct"] = _pct_change(before["value"], latest["value"])
            result[f"{label}_significant"] = _separate(before, latest)
        else:
            for key in ("value", "period", "pct", "significant"):
                result[f"{label}_{key}"] = None
    return result


def _pct_change(before: float, after: float) -> float | None:
    return None if before == 0 else float((after - before) / before * 100)


def _separate(a: pd.Series, b: pd.Series) -> bool:
    return bool(a["upper_ci"] < b["lower_ci"] or b["upper_ci"] < a["lower_ci"])


def seasonality(monthly: pd.DataFrame, area_code: str) -> pd.DataFrame:
    """Month × year table of counts, plus a seasonal index per calendar month.

    The index is the mean count of a calendar month over complete years divided
    by the mean of all those months (1.0 = an average month).
    """
    own = monthly[monthly["area_code"] == area_code].copy()
    own["year"] = own["month"].dt.year
    own["calendar_month"] = own["month"].dt.month
    table = own.pivot_table(index="year", columns="calendar_month", values="count", aggfunc="sum")
    complete = table.dropna()
    if not complete.empty and complete.to_numpy().mean() > 0:
        index = complete.mean() / complete.to_numpy().mean()
    else:
        index = pd.Series(np.nan, index=table.columns)
    table.loc["seasonal index"] = index
    table.columns = [pd.Timestamp(2000, m, 1).strftime("%b") for m in table.columns]
    return table


def small_area_rates(
    crimes: pd.DataFrame,
    lookup: pd.DataFrame,
    population: pd.Series,
    *,
    level: str,
    lsoas: Iterable[str],
    crime_types: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    benchmark_rate: float,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Counts and rates per 1,000 for each ward or LSOA of an area over a window.

    Each small area is compared with ``benchmark_rate`` (normally the whole
    area's rate) the Fingertips way: its interval against the benchmark value,
    giving ``Higher``, ``Similar`` or ``Lower``.
    """
    if level not in ("lsoa", "ward"):
        raise ValueError(f"level must be 'lsoa' or 'ward', got {level!r}")
    keep = lookup[lookup["lsoa_code"].isin(set(lsoas))].copy()
    keep["population"] = keep["lsoa_code"].map(population).fillna(0.0)
    window = crimes[
        crimes["crime_type"].isin(crime_types)
        & (crimes["month"] >= start) & (crimes["month"] <= end)
        & crimes["lsoa_code"].isin(set(keep["lsoa_code"]))
    ]
    per_lsoa = window.groupby("lsoa_code", observed=True).size()
    keep["count"] = keep["lsoa_code"].map(per_lsoa).fillna(0).astype(int)
    code, name = f"{level}_code", f"{level}_name"
    table = keep.groupby([code, name], observed=True)[["count", "population"]].sum().reset_index()
    table = table.rename(columns={code: "code", name: "name"})
    table = table[table["population"] > 0]
    rated = stats.crude_rate_table(table, "count", "population", confidence=confidence, multiplier=PER_1000)
    rated["compared_to_area"] = stats.compare_to_benchmark_series(
        rated["lower_ci"], rated["upper_ci"], benchmark_rate, polarity="NoJudgement"
    )
    return rated.sort_values("value", ascending=False).reset_index(drop=True)


def hotspots(rates: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The small areas whose rate is significantly higher than the area's, highest first."""
    higher = rates[rates["compared_to_area"] == "Higher"]
    return higher.nlargest(n, "value")


def crime_type_mix(crimes: pd.DataFrame, lsoas: Iterable[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Counts of each crime type in an area over a window, largest first."""
    window = crimes[
        (crimes["month"] >= start) & (crimes["month"] <= end) & crimes["lsoa_code"].isin(set(lsoas))
    ]
    counts = window.groupby("crime_type", observed=True).size().sort_values(ascending=False)
    return counts.rename("count").reset_index()

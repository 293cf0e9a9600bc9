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
from cdp_analysis.errors import DataShortfallError, MissingDataError

__all__ = [
    "DRUG_CRIME",
    "WEAPONS",
    "NEIGHBOURHOOD_CRIME",
    "monthly_counts",
    "missing_months",
    "add_rolling_12m",
    "twelve_month_rates",
    "change_over_time",
    "describe_gradient",
    "seasonality",
    "small_area_rates",
    "hotspots",
    "crime_type_mix",
    "deprivation_gradient",
    "slope_index",
    "national_monthly",
    "national_rates",
    "rates_per_1000",
    "twelve_month_changes",
    "latest_unbroken_run",
    "member_of",
    "aggregate_groups",
    "police_station_share",
    "member_rates",
    "rate_comparisons",
    "wards_fit",
    "county_lines_table",
    "POLICE_STATION_POINT",
    "POLICE_STATION_MATERIAL",
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
    months: Iterable[pd.Timestamp] | None = None,
) -> pd.DataFrame:
    """Crimes of ``crime_types`` per area per month.

    Parameters
    ----------
    crimes : normalised street-crime frame (``month``, ``lsoa_code``, ``crime_type``).
    areas : area code → the LSOA codes it is made of.
    crime_types : police.uk crime-type names to count.
    months : the months the data holds (default: those present in ``crimes``).
        Every month from the first to the last is reported: a month the data
        holds but with no such crime counts 0; a month missing from the data
        (a gap in the archive) is ``NaN``, never 0.

    Returns
    -------
    DataFrame with ``area_code, month, count`` (float, NaN for missing months).
    """
    held = pd.DatetimeIndex(sorted(set(pd.to_datetime(list(months))))) if months is not None else \
        pd.DatetimeIndex(sorted(crimes["month"].dropna().unique()))
    if held.empty:
        raise MissingDataError("No police.uk months in the data")
    full = pd.date_range(held.min(), held.max(), freq="MS", name="month")
    chosen = crimes[crimes["crime_type"].isin(crime_types)]
    frames = []
    for code, lsoas in areas.items():
        in_area = chosen[chosen["lsoa_code"].isin(set(lsoas))]
        counts = in_area.groupby("month", observed=True).size().reindex(held, fill_value=0)
        counts = counts.astype(float).reindex(full)
        frames.append(pd.DataFrame({"area_code": code, "month": full, "count": counts.to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def missing_months(monthly: pd.DataFrame) -> list[pd.Timestamp]:
    """Months inside the data's span that the data does not hold."""
    gaps = monthly.loc[monthly["count"].isna(), "month"]
    return sorted(set(gaps))


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
    min_months: int = 6,
) -> pd.DataFrame:
    """Crime rate per 1,000 residents a year for twelve-month windows.

    Windows end on the latest month and step back a year at a time. A window
    with months missing from the data is annualised over the months it holds
    (person-time = residents × months / 12) and says so in ``months_with_data``;
    one holding fewer than ``min_months`` is left out. Limits are Byar's (exact
    Poisson under 10) from :func:`cdp_analysis.stats.crude_rate`.

    Returns
    -------
    DataFrame with ``area_code, period_end, period, months_with_data, count,
    population, value, lower_ci, upper_ci, method``, oldest window first.
    """
    rows = []
    last = monthly["month"].max()
    for code, group in monthly.groupby("area_code", sort=False):
        series = group.set_index("month")["count"].sort_index()
        end = last
        while end >= series.index.min():
            start = end - pd.DateOffset(months=11)
            window = series.loc[start:end].dropna()
            if len(window) >= min_months:
                rows.append(_window_rate(code, start, end, window, float(population[code]), confidence))
            end = end - pd.DateOffset(years=1)
    out = pd.DataFrame(rows)
    if out.empty:
        held = int(monthly.groupby("area_code")["count"].count().max()) if not monthly.empty else 0
        raise DataShortfallError(
            f"rates per 1,000 residents a year need at least {min_months} months of police data within a "
            f"twelve-month window, and the data holds {held} month{'s' if held != 1 else ''}")
    return out.sort_values(["area_code", "period_end"]).reset_index(drop=True)


def _window_rate(code: str, start: pd.Timestamp, end: pd.Timestamp, window: pd.Series,
                 population: float, confidence: float) -> dict:
    months = len(window)
    count = int(window.sum())
    est = stats.crude_rate(count, population * months / 12, confidence=confidence, multiplier=PER_1000)
    period = f"{start:%b %Y} to {end:%b %Y}" + ("" if months == 12 else f", {months} months of data")
    return {
        "area_code": code, "period_end": end, "period": period, "months_with_data": months,
        "count": count, "population": population,
        "value": est.value, "lower_ci": est.lower_ci, "upper_ci": est.upper_ci, "method": est.method,
    }


def change_over_time(rates: pd.DataFrame, area_code: str) -> dict[str, float | str | None]:
    """Year-on-year and five-year change of the latest twelve-month rate.

    Returns the latest value, the values a year and five years before (None
    when the data is too short), the percentage changes, and whether each
    change is significant (non-overlapping 95% intervals, the simple local
    practice the Fingertips guide describes for two points).

    Like for like only: a change is measured between two full twelve-month
    windows (the same calendar months, every month held). When either window
    lacks months, the change is None and ``{label}_not_compared`` names the
    window's period, so the words can say why it is shown apart.
    """
    own = rates[rates["area_code"] == area_code].sort_values("period_end")
    if own.empty:
        raise MissingDataError(f"No twelve-month rates for {area_code}")
    latest = own.iloc[-1]
    result: dict[str, float | str | None] = {
        "latest_period": latest["period"], "latest_value": float(latest["value"]),
        "latest_count": int(latest["count"]),
    }
    by_end = own.set_index("period_end")
    for label, years in (("one_year", 1), ("five_year", 5)):
        when = latest["period_end"] - pd.DateOffset(years=years)
        full = "months_with_data" not in by_end or (
            when in by_end.index and by_end.loc[when, "months_with_data"] == 12 and latest["months_with_data"] == 12)
        result[f"{label}_not_compared"] = None
        if when in by_end.index and not full:
            result[f"{label}_not_compared"] = str(by_end.loc[when, "period"]) if latest["months_with_data"] == 12 \
                else str(latest["period"])
        if when in by_end.index and full:
            before = by_end.loc[when]
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


def seasonality(monthly: pd.DataFrame, area_code: str, exclude: Iterable[pd.Timestamp] = ()) -> pd.DataFrame:
    """Month × year table of counts, plus a seasonal index per calendar month.

    The index is the mean count of a calendar month over complete years divided
    by the mean of all those months (1.0 = an average month). Months in
    ``exclude`` (e.g. special-cause months of an XmR chart) stay in the table but
    are left out of the index.
    """
    own = monthly[monthly["area_code"] == area_code].copy()
    own["year"] = own["month"].dt.year
    own["calendar_month"] = own["month"].dt.month
    # pivot, not pivot_table: a month missing from the archive must stay NaN, not become 0
    table = own.pivot(index="year", columns="calendar_month", values="count")
    complete = table.dropna()
    kept = own[~own["month"].isin(set(exclude))].pivot(index="year", columns="calendar_month", values="count")
    kept = kept.reindex(index=complete.index, columns=table.columns)
    if not complete.empty and np.nanmean(kept.to_numpy()) > 0 and kept.notna().any().all():
        index = kept.mean() / np.nanmean(kept.to_numpy())
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
    years: float = 1.0,
) -> pd.DataFrame:
    """Counts and rates per 1,000 a year for each ward or LSOA of an area over a window.

    ``years`` is how much of the window the data holds (0.75 when three months
    are missing), so rates stay annual and comparable with the area's.

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
    table["person_years"] = table["population"] * years
    rated = stats.crude_rate_table(table, "count", "person_years", confidence=confidence, multiplier=PER_1000)
    rated = rated.drop(columns="person_years")
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


def deprivation_gradient(
    crimes: pd.DataFrame,
    imd: pd.DataFrame,
    population: pd.Series,
    *,
    lsoas: Iterable[str],
    crime_types: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    years: float = 1.0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Crime rate per 1,000 a year by national IMD 2019 quintile of the area's LSOAs.

    Quintile 1 holds the LSOAs in national deciles 1–2 (the most deprived fifth
    of England's neighbourhoods). LSOAs without an IMD decile are left out.

    Returns
    -------
    DataFrame with ``quintile, label, lsoas, count, population, value, lower_ci,
    upper_ci`` for the quintiles present, most deprived first.
    """
    chosen = imd[imd["lsoa_code"].isin(set(lsoas))].dropna(subset=["imd_decile"]).copy()
    chosen["quintile"] = ((chosen["imd_decile"].astype(int) + 1) // 2).astype(int)
    chosen["population"] = chosen["lsoa_code"].map(population).fillna(0.0)
    window = crimes[crimes["crime_type"].isin(crime_types) & (crimes["month"] >= start) & (crimes["month"] <= end)]
    per_lsoa = window.groupby("lsoa_code", observed=True).size()
    chosen["count"] = chosen["lsoa_code"].map(per_lsoa).fillna(0).astype(int)
    table = chosen.groupby("quintile").agg(lsoas=("lsoa_code", "size"), count=("count", "sum"),
                                           population=("population", "sum")).reset_index()
    table = table[table["population"] > 0]
    table["person_years"] = table["population"] * years
    rated = stats.crude_rate_table(table, "count", "person_years", confidence=confidence, multiplier=PER_1000)
    rated["label"] = rated["quintile"].map(_QUINTILE_LABELS)
    return rated.drop(columns="person_years").sort_values("quintile").reset_index(drop=True)


_QUINTILE_LABELS = {1: "1 (most deprived)", 2: "2", 3: "3", 4: "4", 5: "5 (least deprived)"}


def describe_gradient(shown: pd.DataFrame, index: dict[str, float] | None, area: str,
                      what: str = "drug offences", share: bool = True) -> tuple[str, str]:
    """Words for a rate across deprivation quintiles, from the shape of the data.

    Says where the peak is (its rate and, when ``share``, its share of the events),
    and whether there is a gradient from the slope index of inequality ``index``
    (:func:`slope_index`; None when it cannot be measured), never by the two ends
    that happen to be shown. Returns ``(sentence, direction)``, ``direction`` one of
    ``"rising"`` (higher in more deprived neighbourhoods), ``"falling"``, ``"none"``
    (no significant gradient) or ``"unmeasured"``.

    >>> rows = pd.DataFrame({"quintile": [2, 4, 5], "label": ["2", "4", "5 (least deprived)"],
    ...                      "value": [23.1, 267.4, 7.2], "count": [20, 90, 5]})
    >>> describe_gradient(rows, None, "City")[0]  # doctest: +NORMALIZE_WHITESPACE
    'In City, drug offences peak in neighbourhoods of deprivation quintile 4 (267.4 per 1,000 residents a year,
    78% of the drug offences in ranked neighbourhoods); the neighbourhoods do not span all five national
    quintiles, so no gradient with deprivation is measured.'
    """
    rows = shown.dropna(subset=["value"]).sort_values("quintile")
    peak = rows.loc[rows["value"].idxmax()]
    text = (f"In {area}, {what} peak in neighbourhoods of deprivation quintile {peak['label']} "
            f"({peak['value']:,.1f} per 1,000 residents a year")
    total = float(rows["count"].sum())
    if share and total > 0:
        text += f", {float(peak['count']) / total * 100:.0f}% of the {what} in ranked neighbourhoods"
    text += ")"
    if index is None:
        return (text + "; the neighbourhoods do not span all five national quintiles, so no gradient with "
                "deprivation is measured."), "unmeasured"
    interval = f"{index['sii']:,.1f} per 1,000, 95% CI {index['lower_ci']:,.1f} to {index['upper_ci']:,.1f}"
    if index["upper_ci"] < 0:  # negative: rates fall from the most to the least deprived
        return (text + f"; across the five quintiles they rise with deprivation (slope index of inequality "
                f"{interval})."), "rising"
    if index["lower_ci"] > 0:
        return (text + f"; across the five quintiles they are higher in less deprived neighbourhoods (slope "
                f"index of inequality {interval})."), "falling"
    return (text + f"; across the five quintiles there is no significant gradient with deprivation (slope index "
            f"of inequality {interval})."), "none"


def slope_index(gradient: pd.DataFrame, seed: int = 2021) -> dict[str, float] | None:
    """Slope index of inequality across the five quintiles (None unless all five are present).

    Computed with :func:`cdp_analysis.stats.sii` (rates, log-scale standard
    errors from the 95% limits, simulated confidence interval). A negative SII
    means rates fall from the most to the least deprived fifth.
    """
    if sorted(gradient["quintile"]) != [1, 2, 3, 4, 5] or (gradient["count"] == 0).any():
        return None
    result = stats.sii(gradient, "quintile", "population", value="value", value_type=1,
                       lower_cl="lower_ci", upper_cl="upper_ci", repetitions=10_000, seed=seed)
    row = result.iloc[0]
    return {"sii": float(row["sii"]), "lower_ci": float(row["sii_lower_ci"]),
            "upper_ci": float(row["sii_upper_ci"])}


def national_monthly(frame: pd.DataFrame, code: str, crime_types: Iterable[str],
                     months: pd.DatetimeIndex) -> pd.DataFrame:
    """A national comparator's monthly counts, shaped as :func:`monthly_counts`.

    ``frame`` holds the comparator's counts by ``month`` (``YYYY-MM``) and ``crime_type``;
    ``months`` are the months the focus area's data holds. Held months without such a
    crime count 0; months in the span that the focus area's data lacks are NaN, as for
    comparators counted from LSOAs.
    """
    chosen = frame[frame["crime_type"].isin(tuple(crime_types))]
    by_month = chosen.groupby("month", observed=True)["count"].sum()
    by_month.index = pd.to_datetime([f"{m}-01" for m in by_month.index])
    full = pd.date_range(months.min(), months.max(), freq="MS", name="month")
    counts = by_month.reindex(months, fill_value=0).astype(float).reindex(full)
    return pd.DataFrame({"area_code": code, "month": full, "count": counts.to_numpy()})


def rates_per_1000(monthly: pd.DataFrame, population: Mapping[str, float]) -> pd.DataFrame:
    """Add ``rate``: the rolling twelve-month count per 1,000 residents, or, when the data holds no run of
    twelve months, each month's count per 1,000 annualised (times 12)."""
    out = monthly.copy()
    residents = out["area_code"].map(population)
    if out["rolling_12m"].notna().any():
        out["rate"] = out["rolling_12m"] / residents * PER_1000
    else:
        out["rate"] = out["count"] / residents * PER_1000 * 12
    return out


def twelve_month_changes(table: pd.DataFrame) -> pd.DataFrame:
    """Add ``change_pct`` and ``change_5y_pct``: the rate's change (%) on the window a year and five years
    earlier, like for like: only between two full twelve-month windows (``months_with_data`` 12) and from a
    positive rate; otherwise NaN. ``table`` has ``period_end, value, months_with_data``, one area."""
    out = table.copy()
    full = out["months_with_data"] == 12
    by_end = out.set_index("period_end")["value"].where(full.to_numpy())
    for name, years in (("change_pct", 1), ("change_5y_pct", 5)):
        before = (out["period_end"] - pd.DateOffset(years=years)).map(by_end)
        out[name] = ((out["value"] - before) / before * 100).where((before > 0) & full)
    return out


def latest_unbroken_run(series: pd.Series, months: int = 36) -> pd.Series:
    """The last ``months`` values after the series' last gap (NaN): the run an XmR chart may use."""
    gaps = series[series.isna()]
    run = series[series.index > gaps.index.max()] if not gaps.empty else series
    return run.tail(months)


def member_of(codes: Iterable[str], lookup: pd.DataFrame, level: str, names: Mapping[str, str]) -> list[str]:
    """The member authority (or authorities, ``; ``-joined, by name from ``names``) each ward or LSOA lies
    in, from the LSOA lookup's ``lad_code``; ``level`` is ``ward`` or ``lsoa``."""
    column = "lsoa_code" if level == "lsoa" else "ward_code"
    lads = lookup.groupby(column)["lad_code"].agg(lambda s: sorted(set(s.dropna().astype(str))))
    return ["; ".join(names.get(lad, lad) for lad in lads.get(code, [])) for code in codes]


def aggregate_groups(small: pd.DataFrame, lookup: pd.DataFrame, level: str, lsoas: Iterable[str],
                     total: float, gradient: pd.DataFrame | None = None, imd: pd.DataFrame | None = None
                     ) -> tuple[dict[str, set[str]], dict[str, float]]:
    """Every aggregate published from the same LSOA counts: its LSOAs and its count, by name.

    ``small:<code>`` for each small area of ``small`` (``code, count``; wards or LSOAs of
    ``lookup``), ``total`` for the area (all ``lsoas``), and ``quintile:<q>`` for each IMD
    quintile of ``gradient`` (``quintile, count``; quintile q holds deciles 2q-1 and 2q of
    ``imd``). The input of one disclosure decision
    (:func:`cdp_analysis.stats.sdc.protect_aggregates`).
    """
    area = set(lsoas)
    lookup = lookup[lookup["lsoa_code"].isin(area)]
    column = "lsoa_code" if level == "lsoa" else "ward_code"
    groups = {f"small:{c}": set(lookup.loc[lookup[column] == c, "lsoa_code"]) for c in small["code"]}
    counts = {f"small:{c}": float(n) for c, n in zip(small["code"], small["count"], strict=True)}
    groups["total"] = area
    counts["total"] = float(total)
    if gradient is not None and imd is not None:
        chosen = imd[imd["lsoa_code"].isin(area)].dropna(subset=["imd_decile"])
        quintile = (chosen["imd_decile"].astype(int) + 1) // 2
        for q, n in zip(gradient["quintile"], gradient["count"], strict=True):
            groups[f"quintile:{q}"] = set(chosen.loc[quintile == q, "lsoa_code"])
            counts[f"quintile:{q}"] = float(n)
    return groups, counts


#: The anonymised map point police.uk gives crimes recorded at a police station (often offences
#: found on people brought into custody, not offences committed in the street around it).
POLICE_STATION_POINT = "On or near Police Station"
#: A share of a hotspot's offences at :data:`POLICE_STATION_POINT` this large (5%) is worth a reader's
#: attention before patrols are sent.
POLICE_STATION_MATERIAL = 0.05


def police_station_share(
    crimes: pd.DataFrame,
    lookup: pd.DataFrame,
    *,
    level: str,
    codes: Iterable[str],
    crime_types: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Each small area's offences over a window, and how many sit at the police-station map point.

    Parameters
    ----------
    crimes
        Street crime with ``month``, ``lsoa_code``, ``crime_type`` and ``location``
        (the police.uk ``Location`` column).
    lookup
        LSOA to ward lookup (``lsoa_code``, ``ward_code``).
    level
        ``"lsoa"`` or ``"ward"``: what ``codes`` are.
    codes
        The small areas to count (hotspots).

    Returns
    -------
    pandas.DataFrame
        ``code``, ``count``, ``at_police_station`` and ``share_pct`` (``at_police_station`` as a
        percentage of ``count``; NaN where ``count`` is 0), one row per code in the order given.

    Raises
    ------
    ValueError
        When ``level`` is neither, or ``crimes`` has no ``location`` column.
    """
    if level not in ("lsoa", "ward"):
        raise ValueError(f"level must be 'lsoa' or 'ward', got {level!r}")
    if "location" not in crimes:
        raise ValueError("crimes needs the police.uk 'location' column to find the police-station point")
    codes = list(codes)
    column = "lsoa_code" if level == "lsoa" else "ward_code"
    small = lookup.set_index("lsoa_code")[column] if level == "ward" else None
    window = crimes[crimes["crime_type"].isin(crime_types) & (crimes["month"] >= start) & (crimes["month"] <= end)]
    where = window["lsoa_code"].astype(object) if small is None else \
        window["lsoa_code"].astype(object).map(small.to_dict())
    window = window.assign(_code=where.to_numpy())
    window = window[window["_code"].isin(set(codes))]
    at_station = window["location"].astype(object).eq(POLICE_STATION_POINT)
    count = window.groupby("_code").size()
    station = window[at_station.to_numpy()].groupby("_code").size()
    out = pd.DataFrame({"code": codes})
    out["count"] = out["code"].map(count).fillna(0).astype(int)
    out["at_police_station"] = out["code"].map(station).fillna(0).astype(int)
    out["share_pct"] = np.where(out["count"] > 0, out["at_police_station"] / out["count"].where(out["count"] > 0) * 100,
                                np.nan)
    return out


def national_rates(frames: Mapping[str, pd.DataFrame], population: Mapping[str, float],
                   crime_types: Iterable[str], months: pd.DatetimeIndex) -> pd.DataFrame:
    """Twelve-month rates per 1,000 of areas counted from the national aggregate.

    ``frames`` maps each area's code to its counts by ``month`` and ``crime_type``
    (:func:`national_monthly`), ``population`` to its residents; ``months`` are the months
    the focus area's data holds. The rows of :func:`twelve_month_rates`.
    """
    types = tuple(crime_types)
    monthly = pd.concat([national_monthly(frame, code, types, months) for code, frame in frames.items()],
                        ignore_index=True)
    return twelve_month_rates(add_rolling_12m(monthly), population)


def member_rates(crimes: pd.DataFrame, lsoas: Mapping[str, Iterable[str]], population: Mapping[str, float],
                 names: Mapping[str, str], crime_types: tuple[str, ...], months: pd.DatetimeIndex,
                 period_end: pd.Timestamp) -> pd.DataFrame:
    """Each member authority's twelve-month rate to ``period_end``, from its own LSOAs.

    ``lsoas`` maps a member's code to its LSOAs, in the order wanted; ``names`` the code to its
    name (column ``area``). Columns: those of :func:`twelve_month_rates` and ``area``.
    """
    counts = add_rolling_12m(monthly_counts(crimes, lsoas, crime_types, months))
    rates = twelve_month_rates(counts, {c: population[c] for c in lsoas})
    rates = rates[rates["period_end"] == period_end].copy()
    rates["area"] = rates["area_code"].map(names)
    order = {code: i for i, code in enumerate(lsoas)}
    rates = rates.sort_values("area_code", key=lambda s: s.map(order))
    return rates.reset_index(drop=True)


def county_lines_table(rows: pd.DataFrame, area: str) -> pd.DataFrame:
    """County lines referrals and closures by period, oldest first, with ``closures`` (type 1 plus type 2).

    ``rows`` has ``period, referrals, closures_type_1, closures_type_2``; ``area`` names the
    rows (first column).
    """
    table = rows.sort_values("period", ignore_index=True)
    table["closures"] = table["closures_type_1"] + table["closures_type_2"]
    table.insert(0, "area", area)
    return table


def wards_fit(lookup: pd.DataFrame, lsoa_population: pd.Series, wards_in_area: int | None) -> bool:
    """Whether wards can carry an area's small-area picture.

    ``lookup`` holds the area's LSOAs (``lsoa_code``, ``ward_code``, blank where the lookup places
    none); ``lsoa_population`` residents by LSOA code; ``wards_in_area`` how many ward shapes lie
    in the area (None without ward boundaries: not checked). Wards fit when the lookup places at
    least 98% of the LSOAs and of the residents in a ward, at least 90% of the area's wards
    receive an LSOA (a ward with none would be a blank on the map and a false "no offences"),
    and there are at least five of them.
    """
    placed = lookup["ward_code"].notna()
    residents = lookup["lsoa_code"].map(lsoa_population).fillna(0.0)
    share_lsoas = placed.mean() if len(lookup) else 0.0
    share_people = residents[placed].sum() / residents.sum() if residents.sum() > 0 else 0.0
    wards = lookup["ward_code"].nunique()
    share_wards = wards / max(wards_in_area, 1) if wards_in_area is not None else 1.0
    return not (wards < 5 or share_lsoas < 0.98 or share_people < 0.98 or share_wards < 0.9)


def rate_comparisons(latest: pd.DataFrame, focus_code: str, own: pd.Series) -> list[str]:
    """For each area's rate (``area_code``, ``value``, ``suppressed``), the focus area's 95% interval
    (``own``'s ``lower_ci``, ``upper_ci``) against it: ``Focus area`` on the focus row, ``Higher``,
    ``Similar`` or ``Lower``; ``Not compared`` on a missing rate, and on every row when the focus
    area's own row is suppressed."""
    if latest.loc[latest["area_code"] == focus_code, "suppressed"].any():
        return ["Not compared"] * len(latest)
    return ["Focus area" if c == focus_code else
            stats.compare_to_benchmark(own["lower_ci"], own["upper_ci"], v, polarity="NoJudgement")
            if v == v else "Not compared"
            for c, v in zip(latest["area_code"], latest["value"], strict=True)]

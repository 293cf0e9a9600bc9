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
from cdp_analysis.errors import MissingDataError
from cdp_analysis.indicators import quality
from cdp_analysis.sources import csew
from cdp_analysis.stats.coerce import as_float

__all__ = [
    "SERIES_COLUMNS",
    "area_series",
    "add_estimates",
    "compare_with_focus",
    "trend_label",
    "marker_cells",
    "local_series",
    "unflagged_estimates",
    "area_estimates",
    "PARENT_CATEGORIES",
    "CHILDREN_OF_CLIENTS",
    "ndtms_area",
    "parent_rows",
    "parental_need",
    "ocu_people",
    "latest_estimate",
    "survey_rates",
    "round10",
    "prevalence_estimates",
    "out_of_court_latest",
    "testing_on_arrest_rates",
    "young_treatment_latest",
    "neighbour_rows",
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


def unflagged_estimates(series: pd.DataFrame) -> pd.DataFrame:
    """A flagged row (:mod:`cdp_analysis.indicators.quality`) keeps its count, denominator and flag, not its estimate."""
    flagged = series["quality_flag"].notna()
    return series.assign(**{c: series[c].mask(flagged) for c in ("value", "lower_ci", "upper_ci")})


def area_estimates(frame: pd.DataFrame, code: str, members: Sequence[str] = (), *, measure: str, category: str,
                   statistic: str, multiplier: float) -> pd.DataFrame:
    """:func:`area_series` with its estimates (:func:`add_estimates`) and data-quality flags.

    A row flagged by :func:`cdp_analysis.indicators.quality.flag_series` keeps its count
    and denominator but not its estimate (:func:`unflagged_estimates`). Empty when the
    frame holds neither the area nor all its members.
    """
    series = area_series(frame, code, members, measure=measure, category=category)
    if series.empty:
        return series
    return unflagged_estimates(quality.flag_series(add_estimates(series, statistic, multiplier)))


#: NDTMS parental-status categories of the demand chapter, and how they are said.
PARENT_CATEGORIES = {"parent living with children": "parents living with children",
                     "not a parent, living with children": "adults living with children who are not their parent"}
#: The NDTMS count of children living with adults in treatment, as said.
CHILDREN_OF_CLIENTS = "children living with adults in treatment"


def ndtms_area(frame: pd.DataFrame, code: str, members: Sequence[str] = ()) -> pd.DataFrame:
    """The area's rows of an NDTMS selection (``area_code, period, what, count, denominator``).

    Its own rows, else its members' counts and denominators summed per ``period`` and
    ``what`` where every member has a row (a missing member figure leaves the sum missing).
    """
    own = frame[frame["area_code"] == code]
    if not own.empty or not members:
        return own
    parts = frame[frame["area_code"].isin(list(members))]
    complete = parts.groupby(["period", "what"])["area_code"].transform("nunique") == len(members)
    parts = parts[complete]
    if parts.empty:
        return parts
    summed = parts.groupby(["period", "what"], as_index=False, sort=False)[["count", "denominator"]].sum(
        min_count=len(members))
    return summed.assign(area_code=code)


def parent_rows(ndtms: pd.DataFrame, code: str, name: str, members: Sequence[str] = ()) -> pd.DataFrame:
    """Latest NDTMS year: parents living with children, others living with children, children of clients.

    ``ndtms`` is the NDTMS frame (all substances, all ages, both sexes are kept). The
    latest year is the last one holding the area's parents living with children; the
    two parental-status rows get their share of all adults in treatment (Wilson 95%
    interval), the children of clients none. Returns ``area, area_code, period, what,
    count, denominator, value, lower_ci, upper_ci`` (empty when the area has no
    parental status).
    """
    base_rows = ndtms[(ndtms["sex"] == "total") & (ndtms["age_group"] == "total")
                      & (ndtms["substance_group"] == "total")]
    status = base_rows[(base_rows["measure"] == "in_treatment") & (base_rows["breakdown"] == "parental_status")
                       & base_rows["category"].isin(PARENT_CATEGORIES)]
    status = status.assign(what=status["category"].map(PARENT_CATEGORIES))
    children = base_rows[(base_rows["measure"] == "children_of_clients")
                         & (base_rows["category"] == "all in treatment")]
    children = children.assign(what=CHILDREN_OF_CLIENTS, denominator=np.nan)
    chosen = pd.concat([status, children], ignore_index=True)[["area_code", "period", "what", "count",
                                                               "denominator"]]
    chosen[["count", "denominator"]] = chosen[["count", "denominator"]].astype(float)
    own = ndtms_area(chosen, code, members)
    own = own[own["what"] == "parents living with children"]
    if own.empty:
        return own
    rows = ndtms_area(chosen[chosen["period"] == own["period"].max()], code, members)
    order = {w: i for i, w in enumerate([*PARENT_CATEGORIES.values(), CHILDREN_OF_CLIENTS])}
    rows = rows.sort_values("what", key=lambda s: s.map(order)).reset_index(drop=True)
    rows = add_estimates(rows, "proportion", 100)
    return rows.assign(area=name)[["area", "area_code", "period", "what", "count", "denominator",
                                   "value", "lower_ci", "upper_ci"]]


def parental_need(frame: pd.DataFrame, code: str, members: Sequence[str], period: str
                  ) -> tuple[pd.DataFrame, str] | None:
    """DfE assessments identifying parental drug / alcohol misuse, for ``period`` or the nearest year held.

    ``frame`` is the DfE children in need frame. Returns the rows (``area_code, period,
    count, …, what``) of the chosen year and that year: ``period`` when it has a count,
    else the latest year with a count, else the latest year; ``None`` when the frame has
    no parental misuse rows for the area.
    """
    parts = []
    for measure, words in (("drug_misuse", "drug misuse by a parent"),
                           ("alcohol_misuse", "alcohol misuse by a parent")):
        s = area_series(frame, code, members, measure=measure, category="parent")
        if not s.empty:
            parts.append(s.assign(what=words))
    if not parts:
        return None
    need = pd.concat(parts, ignore_index=True)
    with_count = need.dropna(subset=["count"])
    same = with_count[with_count["period"] == period]
    chosen_period = period if not same.empty else (with_count["period"].max() if not with_count.empty
                                                   else need["period"].max())
    return need[need["period"] == chosen_period], str(chosen_period)


def ocu_people(indicators: pd.DataFrame) -> pd.DataFrame:
    """Fingertips 91117 (opiate and/or crack cocaine users per 1,000 aged 15 to 64) as people.

    The rows without a category; value and 95% limits are multiplied by the residents
    aged 15 to 64 (the denominator) over 1,000.
    """
    ocu = indicators[(indicators["indicator_id"] == "91117") & indicators["category_type"].fillna("").eq("")]
    per_person = ocu["denominator"].astype(float) / 1000
    return ocu.assign(value=ocu["value"] * per_person, lower_ci=ocu["lower_ci"] * per_person,
                      upper_ci=ocu["upper_ci"] * per_person)


def latest_estimate(frame: pd.DataFrame, code: str, name: str, members: Sequence[str], what: str,
                    source: str) -> dict[str, object] | None:
    """The area's latest estimate (value with 95% limits, rounded), else its members' values summed.

    Members' values are summed for the latest period where every member has one; their
    intervals cannot be added, so the limits are missing and the source says
    ``members summed``. ``None`` when neither is held.
    """
    frame = frame.dropna(subset=["value"])
    own = frame[frame["area_code"] == code]
    if not own.empty:
        last = own.sort_values("period").iloc[-1]
        return {"what": what, "area": name, "area_code": code, "period": last["period"],
                "estimate": round(float(last["value"])), "lower": round(as_float(last["lower_ci"]), 0),
                "upper": round(as_float(last["upper_ci"]), 0), "source": source}
    parts = frame[frame["area_code"].isin(list(members))]
    if not members or parts.empty:
        return None
    whole = parts.groupby("period")["area_code"].nunique()
    whole = whole[whole == len(members)]
    if whole.empty:
        return None
    period = max(whole.index)
    return {"what": what, "area": name, "area_code": code, "period": period,
            "estimate": round(float(parts.loc[parts["period"] == period, "value"].sum())), "lower": np.nan,
            "upper": np.nan, "source": source + ", members summed"}


def survey_rates(survey: pd.DataFrame, drug: str) -> pd.DataFrame | None:
    """Crime Survey rates of last-year use by sex and age band, with the ``method`` used.

    :func:`cdp_analysis.sources.csew.survey_rates` when the survey splits the drug by
    age and sex; otherwise the latest all-adults (16 to 59) rate of table 1.02 for both
    sexes; ``None`` when the survey has neither.
    """
    try:
        rates = csew.survey_rates(survey, drug)
        return rates.assign(method="national rate by sex and age band (16 to 24, 25 to 59)")
    except MissingDataError:
        pass
    rows = survey[(survey["table"] == "1.02") & (survey["drug"].str.lower() == drug.lower())].dropna(
        subset=["value", "lower_ci", "upper_ci"])
    if rows.empty:
        return None
    last = rows.sort_values("year_ending").iloc[-1]
    return pd.DataFrame([{"sex": sex, "age_min": 16, "age_max": 59, "age": "16-59", "value": last["value"],
                          "lower_ci": last["lower_ci"], "upper_ci": last["upper_ci"], "period": last["period"],
                          "method": "national rate for all adults aged 16 to 59 (no split by age and sex)"}
                         for sex in ("Male", "Female")])


def round10(value: float) -> float:
    """People estimates are shown to the nearest 10 (their precision is far coarser)."""
    return float(np.round(float(value) / 10) * 10)


def prevalence_estimates(survey: pd.DataFrame, residents: pd.DataFrame,
                         drugs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Estimated adults aged 16 to 59 who used each drug in the last year: national rates × residents.

    ``residents`` are the area's residents by sex and single year of age
    (:func:`cdp_analysis.sources.csew.apply_survey_rates`); ``drugs`` pairs the survey's
    drug name with its words. One row a drug the survey has rates for: ``drug, words,
    survey_period, age_min, age_max, population, national_rate`` (%, one decimal) and
    ``estimate, lower, upper`` (people, to the nearest 10), and ``method``.
    """
    rows = []
    for drug, words in drugs:
        rates = survey_rates(survey, drug)
        if rates is None:
            continue
        estimate = csew.apply_survey_rates(rates, residents)
        total = estimate[estimate["level"] == "persons"].iloc[0]
        rows.append({"drug": drug, "words": words, "survey_period": rates["period"].iloc[0],
                     "age_min": 16, "age_max": 59, "population": float(total["population"]),
                     "national_rate": round(float(total["rate"]), 1),
                     "estimate": round10(total["estimate"]), "lower": round10(total["lower"]),
                     "upper": round10(total["upper"]), "method": rates["method"].iloc[0]})
    return pd.DataFrame(rows)


def out_of_court_latest(rows: pd.DataFrame) -> pd.DataFrame:
    """The latest year of out-of-court disposals by disposal, an ``All disposals`` row, the share referred.

    ``rows`` come from :func:`local_series` (``period, disposal, count,
    referred_to_treatment, referral_recorded``); ``referred_pct`` is the referred over the
    disposals with a referral recorded, as a percentage to one decimal. Nothing is hidden.
    """
    latest = rows[rows["period"] == rows["period"].max()].copy()
    total = latest[["count", "referred_to_treatment", "referral_recorded"]].sum(min_count=1)
    latest = pd.concat([latest, pd.DataFrame([{"period": latest["period"].iloc[0], "disposal": "All disposals",
                                               **total.to_dict()}])], ignore_index=True)
    latest["referred_pct"] = (latest["referred_to_treatment"] / latest["referral_recorded"] * 100).round(1)
    return latest


def testing_on_arrest_rates(rows: pd.DataFrame) -> pd.DataFrame:
    """Drug testing on arrest with ``positive_pct`` (positive of tests) and ``attended_pct`` (attended of required).

    ``rows`` come from :func:`local_series` (``period, tests, positive,
    required_assessments, assessments_attended``); both shares are percentages to one
    decimal. Nothing is hidden.
    """
    positive = add_estimates(rows.rename(columns={"positive": "count", "tests": "denominator"}), "proportion", 100)
    table = rows.copy()
    table["positive_pct"] = positive["value"].round(1)
    table["attended_pct"] = (rows["assessments_attended"] / rows["required_assessments"] * 100).round(1)
    return table


def young_treatment_latest(rows: pd.DataFrame, name: str, total: str = "All young people") -> pd.DataFrame:
    """The latest year of young people in treatment by main substance, most first, and a ``total`` row (their sum).

    ``rows`` come from :func:`local_series` (``period, category, count``). Returns
    ``area, period, category, count``; nothing is hidden.
    """
    latest = rows[rows["period"] == rows["period"].max()].sort_values("count", ascending=False)
    return pd.concat([latest.assign(area=name)[["area", "period", "category", "count"]],
                      pd.DataFrame([{"area": name, "period": latest["period"].iloc[0],
                                     "category": total, "count": float(latest["count"].sum())}])],
                     ignore_index=True)


def neighbour_rows(frame: pd.DataFrame, areas: Sequence[tuple[str, Sequence[str]]], *, measure: str,
                   category: str, statistic: str, multiplier: float, key: str
                   ) -> tuple[str, list[dict[str, object]]] | None:
    """One DfE measure for the focus area and its neighbours, in the focus area's latest year with a value.

    ``areas`` are ``(code, members)`` pairs, the focus area first. Returns that year and
    one row a area with a value (``measure`` = ``key``, ``area_code, value, lower_ci,
    upper_ci, count, denominator, multiplier``); ``None`` when the focus area has no value.
    """
    code, members = areas[0]
    own = add_estimates(area_series(frame, code, members, measure=measure, category=category),
                        statistic, multiplier)
    own = own.dropna(subset=["value"])
    if own.empty:
        return None
    period = own["period"].iloc[-1]
    rows: list[dict[str, object]] = []
    for other, parts in areas:
        series = own if other == code else add_estimates(
            area_series(frame, other, parts, measure=measure, category=category), statistic, multiplier)
        found = series[(series["period"] == period) & series["value"].notna()]
        if not found.empty:
            r = found.iloc[-1]
            rows.append({"measure": key, "area_code": other, "value": r["value"], "lower_ci": r["lower_ci"],
                         "upper_ci": r["upper_ci"], "count": r["count"], "denominator": r["denominator"],
                         "multiplier": multiplier})
    return str(period), rows

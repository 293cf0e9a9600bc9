"""The National Combating Drugs Outcomes Framework: its headline metrics and the local returns' values.

Pure functions, frames in and frames out (no HTML, no sentences):

- :data:`HEADLINE_METRICS`: the framework's eleven headline metrics (CHAPTERS.md §2.2), each
  with where a partnership finds it: a Fingertips indicator of ``resources/indicators.csv``,
  a local return (``resources/local_templates``), police.uk, or a national figure only.
- :func:`area_rows`: an area's rows of a local return (a partnership's members summed when
  every member supplied them).
- :func:`local_values`: the latest period's value of each measure of a local return (a count,
  or a count of a denominator with its percentage), e.g. major and moderate disruptions
  ``12`` in ``2023/24``; never a count of rows.
- :func:`headline_table`: one row per headline metric with its value and period where the
  data holds it, and its status where it does not.

Disclosure control is the chapter's (``stats.sdc.protect_shares`` over the frames returned
here, before anything is shown).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["HeadlineMetric", "HEADLINE_METRICS", "LocalMeasure", "LOCAL_MEASURES", "LOCAL_COLUMNS",
           "HEADLINE_COLUMNS", "SHOWN", "LOCAL", "LOCAL_NEEDED", "NATIONAL", "NOT_HELD", "PER_MEMBER",
           "area_rows", "latest_period", "local_values", "headline_table"]

#: Status of a headline metric in :func:`headline_table`.
SHOWN, LOCAL, LOCAL_NEEDED, NATIONAL, NOT_HELD, PER_MEMBER = (
    "public data", "local return", "local return needed", "national figure only", "not in the data",
    "per member authority")


@dataclass(frozen=True)
class HeadlineMetric:
    """One headline metric of the outcomes framework and where a partnership finds it.

    ``indicators`` are catalogue ids (the first held is shown); ``local`` names the local
    return (and its measure) that supplies it or stands in for it; ``police`` is True for the
    police.uk proxy of the overview's crime tiles.
    """

    outcome: str
    metric: str
    source: str
    geography: str
    indicators: tuple[str, ...] = ()
    local: tuple[str, str] | None = None  # (template, measure)
    police: str = ""


HEADLINE_METRICS: tuple[HeadlineMetric, ...] = (
    HeadlineMetric("Reduce drug use", "Last-year drug use, ages 16 to 24 and 16 to 59",
                   "ONS Crime Survey for England and Wales", "England and Wales"),
    HeadlineMetric("Reduce drug-related crime", "Drug-related homicides", "Home Office Homicide Index",
                   "England and Wales"),
    HeadlineMetric("Reduce drug-related crime", "Neighbourhood crime",
                   "Crime Survey (national); police.uk recorded crime as the local proxy", "LA (proxy)",
                   police="Neighbourhood crime (drug-related crime proxy)"),
    HeadlineMetric("Reduce drug-related deaths and harm", "Deaths related to drug misuse",
                   "ONS via OHID Fingertips (92432)", "LA", indicators=("92432",)),
    HeadlineMetric("Reduce drug-related deaths and harm", "Hospital admissions for drug poisoning",
                   "NHS England HES via OHID Fingertips (co-occurring profile)", "LA",
                   indicators=("drug-poisoning-admissions",)),
    HeadlineMetric("Reduce drug-related deaths and harm",
                   "Hospital admissions for drug-related mental and behavioural disorders",
                   "NHS England HES via OHID Fingertips (co-occurring profile)", "LA",
                   indicators=("drug-mbd-admissions",)),
    HeadlineMetric("Reduce drug supply", "County lines closed",
                   "Home Office County Lines Programme (not published by area); local return", "force",
                   local=("county_lines", "County lines closed (types 1 and 2)")),
    HeadlineMetric("Reduce drug supply", "Major and moderate disruptions of drug-related organised crime groups",
                   "Police management information; local return", "force",
                   local=("disruptions", "Major and moderate disruptions")),
    HeadlineMetric("Increase engagement in treatment", "Adults in structured treatment",
                   "OHID NDTMS; local return", "LA", local=("treatment_numbers", "Adults in treatment")),
    HeadlineMetric("Increase engagement in treatment", "Continuity of care after prison",
                   "NDTMS via OHID Fingertips (92544); local return", "LA", indicators=("92544",),
                   local=("continuity_of_care", "Engaged in community treatment within 3 weeks of release")),
    HeadlineMetric("Improve recovery outcomes", "Treatment progress (substantial progress)",
                   "OHID NDTMS (restricted); local return", "LA",
                   local=("treatment_progress", "Showing substantial progress")),
)


@dataclass(frozen=True)
class LocalMeasure:
    """A figure taken from a local return: ``count`` columns summed over the latest period's rows,
    of ``denominator`` columns where it is a share; ``where`` keeps rows with a column's value;
    ``people`` when the count is of people (disclosure control applies)."""

    measure: str
    count: tuple[str, ...]
    denominator: tuple[str, ...] = ()
    unit: str = ""
    where: tuple[str, str] | None = None
    people: bool = True


#: The measures each local return gives, in reporting order.
LOCAL_MEASURES: dict[str, tuple[LocalMeasure, ...]] = {
    "disruptions": (
        LocalMeasure("Major and moderate disruptions", ("major", "moderate"), unit="disruptions", people=False),
        LocalMeasure("Major disruptions", ("major",), unit="disruptions", people=False),
    ),
    "county_lines": (
        LocalMeasure("County lines closed (types 1 and 2)", ("closures_type_1", "closures_type_2"), unit="lines",
                     people=False),
        LocalMeasure("People referred for county lines exploitation", ("referrals",), unit="people"),
    ),
    "treatment_numbers": (
        LocalMeasure("Adults in treatment", ("count",), unit="people", where=("age_group", "adult")),
        LocalMeasure("Young people in treatment", ("count",), unit="people", where=("age_group", "young person")),
    ),
    "deaths_in_treatment": (
        LocalMeasure("Deaths in treatment", ("deaths",), ("in_treatment",), unit="% of people in treatment"),
    ),
    "treatment_progress": (
        LocalMeasure("Showing substantial progress", ("substantial_progress",), ("in_treatment",),
                     unit="% of people in treatment"),
        LocalMeasure("Completed treatment free of dependence", ("successful_completions",), ("in_treatment",),
                     unit="% of people in treatment"),
    ),
    "continuity_of_care": (
        LocalMeasure("Engaged in community treatment within 3 weeks of release", ("engaged_within_3_weeks",),
                     ("released_with_need",), unit="% of adults released with a treatment need"),
    ),
    "drug_testing_on_arrest": (
        LocalMeasure("Tests positive for opiates or cocaine", ("positive",), ("tests",), unit="% of tests"),
        LocalMeasure("Required assessments attended", ("assessments_attended",), ("required_assessments",),
                     unit="% of required assessments"),
    ),
    "community_sentence_treatment": (
        LocalMeasure("Treatment requirements made", ("made",), unit="requirements"),
        LocalMeasure("Treatment requirements completed", ("completed",), ("ended",), unit="% of those ended"),
    ),
}
LOCAL_COLUMNS = ["template", "measure", "period", "count", "denominator", "value", "unit", "people"]
HEADLINE_COLUMNS = ["outcome", "metric", "source", "geography", "status", "period", "value", "unit", "indicator_id"]


def area_rows(table: pd.DataFrame, code: str, members: tuple[str, ...] | list[str] = ()) -> pd.DataFrame | None:
    """The rows of a local return for ``code``: its own, else a partnership's members' (all of them).

    None when the area has no rows, or when some member has none (a partial sum would
    understate the partnership).
    """
    if table is None or table.empty or "area_code" not in table:
        return None
    held = set(table["area_code"].astype(str))
    codes = [code] if code in held or not members else list(members)
    own = table[table["area_code"].astype(str).isin(codes)]
    if own.empty or set(own["area_code"].astype(str)) != set(codes):
        return None
    return own


def _period_key(period: str) -> tuple[int, int, int]:
    """Order of a local-return period: start year, then whole years before quarters, then the quarter."""
    text = " ".join(str(period).split())
    year = int(text[:4]) if text[:4].isdigit() else 0
    quarter = int(text[-1]) if " Q" in text and text[-1].isdigit() else 0
    return year, 0 if not quarter else 1, quarter


def latest_period(rows: pd.DataFrame) -> str | None:
    """The latest period of a local return's rows (whole years preferred within a year)."""
    periods = [str(p) for p in rows["period"].dropna().unique()]
    if not periods:
        return None
    years = [p for p in periods if " Q" not in p]
    return max(years or periods, key=_period_key)


def local_values(rows: pd.DataFrame | None, template: str) -> pd.DataFrame:
    """The latest period's value of each measure of local return ``template`` (rows of one area).

    ``count`` is the sum over the period's rows of the measure's count columns (missing when a
    cell of them is missing or suppressed at source: a sum with a hidden part is not shown);
    ``denominator`` likewise; ``value`` is ``100 * count / denominator`` for a share, else the
    count. Empty when the return holds no rows.
    """
    if rows is None or rows.empty or template not in LOCAL_MEASURES:
        return pd.DataFrame(columns=LOCAL_COLUMNS)
    period = latest_period(rows)
    latest = rows[rows["period"].astype(str) == period]
    out = []
    for spec in LOCAL_MEASURES[template]:
        part = latest
        if spec.where is not None:
            column, wanted = spec.where
            part = part[part[column].astype(str).str.lower() == wanted]
        if part.empty:
            continue
        count = _total(part, spec.count)
        denominator = _total(part, spec.denominator) if spec.denominator else np.nan
        if spec.denominator:
            value = 100 * count / denominator if denominator and denominator == denominator else np.nan
        else:
            value = count
        out.append({"template": template, "measure": spec.measure, "period": period, "count": count,
                    "denominator": denominator, "value": value, "unit": spec.unit, "people": spec.people})
    return pd.DataFrame(out, columns=LOCAL_COLUMNS)


def _total(rows: pd.DataFrame, columns: tuple[str, ...]) -> float:
    values = rows[list(columns)].apply(pd.to_numeric, errors="coerce").astype(float)
    if values.isna().any().any():
        return np.nan
    return float(values.to_numpy().sum())


def headline_table(summary: pd.DataFrame, local: dict[str, pd.DataFrame], crime: pd.DataFrame | None = None,
                   supplied: set[str] | frozenset[str] = frozenset(),
                   public: dict[str, pd.DataFrame] | None = None,
                   per_member: set[str] | frozenset[str] = frozenset()) -> pd.DataFrame:
    """One row per headline metric: its value and period where the data holds it, else its status.

    Parameters
    ----------
    summary
        The overview's indicator summary (``indicator_id, period, value, unit``), latest period per indicator.
    local
        :func:`local_values` per template (after disclosure control: a hidden count is NaN).
    crime
        The overview's police tiles (``Measure, Period, Rate per 1,000``), or None.
    supplied
        Templates the partnership supplied (so a row whose value is hidden says so, rather than
        asking for the return).
    public
        Frames shaped as :func:`local_values` computed from a public source for a metric a local
        return would otherwise supply (e.g. adults in treatment from the NDTMS ViewIt export),
        used when the local return gives no value.
    per_member
        Indicators a partnership cannot combine from its members' published figures (standardised
        rates): not held for the partnership, they are :data:`PER_MEMBER` (shown on each member's page).

    Returns
    -------
    DataFrame with :data:`HEADLINE_COLUMNS`. ``status`` is :data:`SHOWN` (a public source's value),
    :data:`LOCAL` (the local return's value), :data:`LOCAL_NEEDED`, :data:`NATIONAL` or
    :data:`NOT_HELD`; ``value`` is NaN unless shown.
    """
    rows = []
    by_id = summary.set_index("indicator_id") if not summary.empty else pd.DataFrame()
    for m in HEADLINE_METRICS:
        row = {"outcome": m.outcome, "metric": m.metric, "source": m.source, "geography": m.geography,
               "status": NATIONAL, "period": "", "value": np.nan, "unit": "", "indicator_id": ""}
        held = [i for i in m.indicators if i in by_id.index]
        if held:
            r = by_id.loc[held[0]]
            row.update(status=SHOWN, period=str(r["period"]), value=float(r["value"]), unit=str(r["unit"]),
                       indicator_id=held[0])
        elif m.police and crime is not None and not crime.empty and m.police in set(crime["Measure"]):
            r = crime.set_index("Measure").loc[m.police]
            row.update(status=SHOWN, period=str(r["Period"]), value=float(r["Rate per 1,000"]),
                       unit="per 1,000 residents")
        elif m.local is not None:
            template, measure = m.local
            values = local.get(template, pd.DataFrame(columns=LOCAL_COLUMNS))
            found = values[values["measure"] == measure]
            open_data = (public or {}).get(template, pd.DataFrame(columns=LOCAL_COLUMNS))
            open_data = open_data[open_data["measure"] == measure]
            if not found.empty:
                r = found.iloc[0]
                row.update(status=LOCAL, period=str(r["period"]), value=float(r["value"]), unit=str(r["unit"]))
            elif not open_data.empty:
                r = open_data.iloc[0]
                row.update(status=SHOWN, period=str(r["period"]), value=float(r["value"]), unit=str(r["unit"]))
            else:
                row["status"] = LOCAL if template in supplied else LOCAL_NEEDED
        elif m.indicators and set(m.indicators) <= set(per_member):
            row["status"] = PER_MEMBER
        elif m.indicators or m.police:
            row["status"] = NOT_HELD
        rows.append(row)
    return pd.DataFrame(rows, columns=HEADLINE_COLUMNS)

"""The outcomes framework's supporting metrics: which have a public source by area, and their values.

Pure functions, frames in and frames out (no HTML, no sentences):

- :data:`SUPPORTING_METRICS`: the supporting metrics of the National Combating Drugs Outcomes
  Framework (CHAPTERS.md §2.3) with where a partnership finds each: a Fingertips indicator, the
  MHCLG H-CLIC support needs table, the MoJ proven reoffending tables, a local return, or a
  national figure only (with the national source named).
- :func:`homelessness_series`: households owed a homelessness duty, those with a drug and with an
  alcohol dependency support need, by period, for an area (a partnership's or county's lower-tier
  members summed when each has the period).
- :func:`reoffending_series`: offenders, reoffenders and the proportion reoffending by cohort
  period for an area and offender type (members summed likewise).
- :func:`latest`: the latest period of such a series (whole years before quarters).
- :func:`supporting_table`: one row per supporting metric with its value and period where the data
  holds it, else its status (the statuses of :mod:`cdp_analysis.indicators.framework`).

Disclosure control is the chapter's (``stats.sdc.protect_shares`` over these frames before
anything is shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdp_analysis.indicators.framework import LOCAL, LOCAL_COLUMNS, LOCAL_NEEDED, NATIONAL, NOT_HELD, SHOWN
from cdp_analysis.stats import compare_to_benchmark, proportion

__all__ = ["SupportingMetric", "SUPPORTING_METRICS", "SUPPORTING_COLUMNS", "HOMELESSNESS_COUNTS",
           "REOFFENDING_COUNTS", "homelessness_series", "reoffending_series", "latest", "shares", "reoffending_shares",
           "supporting_table", "reoffending_comparison", "homelessness_table"]

HOMELESSNESS_COUNTS = ("owed_duty", "with_support_needs", "drug_dependency", "alcohol_dependency")
REOFFENDING_COUNTS = ("offenders", "reoffenders")
SUPPORTING_COLUMNS = ["outcome", "metric", "source", "geography", "status", "period", "count", "denominator",
                      "value", "unit"]


@dataclass(frozen=True)
class SupportingMetric:
    """One supporting metric and where it is found.

    ``kind`` is ``"fingertips"`` (``key`` an indicator id of the catalogue), ``"homelessness"``
    (``key`` a need column of the H-CLIC table; the local return ``homelessness_support_needs``
    stands in), ``"reoffending"`` (``key`` the offender type), ``"local"`` (``key`` the local
    return and ``measure`` its measure) or ``"national"`` (no figure by area).
    """

    outcome: str
    metric: str
    source: str
    geography: str
    kind: str
    key: str = ""
    measure: str = ""


SUPPORTING_METRICS: tuple[SupportingMetric, ...] = (
    SupportingMetric("Reduce drug use", "Opiate and crack cocaine use (prevalence)",
                     "OHID and Liverpool John Moores University estimates via Fingertips (91117)", "LA",
                     "fingertips", "91117"),
    SupportingMetric("Reduce drug use", "Drug use among 11 to 15 year olds",
                     "NHS England, Smoking, Drinking and Drug Use among Young People in England (a national "
                     "school survey)", "England", "national"),
    SupportingMetric("Reduce drug use", "Households owed a homelessness duty with a drug dependency need",
                     "MHCLG statutory homelessness (H-CLIC) table A3; local return", "LA (lower tier)",
                     "homelessness", "drug_dependency"),
    SupportingMetric("Reduce drug use", "Households owed a homelessness duty with an alcohol dependency need",
                     "MHCLG statutory homelessness (H-CLIC) table A3; local return", "LA (lower tier)",
                     "homelessness", "alcohol_dependency"),
    SupportingMetric("Reduce drug-related crime", "Proven reoffending: adult offenders",
                     "Ministry of Justice, proven reoffending statistics", "LA (upper tier)", "reoffending", "adult"),
    SupportingMetric("Reduce drug-related crime", "Proven reoffending: juvenile offenders",
                     "Ministry of Justice, proven reoffending statistics", "LA (upper tier)", "reoffending",
                     "juvenile"),
    SupportingMetric("Reduce drug-related crime", "Proven reoffending of drug offenders",
                     "Ministry of Justice, proven reoffending statistics (by index offence in the national "
                     "tables only)", "England and Wales", "national"),
    SupportingMetric("Reduce drug-related deaths and harm", "Alcohol-specific mortality",
                     "ONS via OHID Fingertips (91380)", "LA", "fingertips", "91380"),
    SupportingMetric("Reduce drug-related deaths and harm", "Admissions for alcohol-specific conditions",
                     "NHS England HES via OHID Fingertips (92906)", "LA", "fingertips", "92906"),
    SupportingMetric("Reduce drug-related deaths and harm", "Deaths in treatment",
                     "OHID NDTMS (restricted reporting); local return", "LA", "local", "deaths_in_treatment",
                     "Deaths in treatment"),
    SupportingMetric("Reduce drug-related deaths and harm", "Hepatitis C among people who inject drugs",
                     "UKHSA Unlinked Anonymous Monitoring survey", "England and regions", "national"),
    SupportingMetric("Increase engagement in treatment", "People in treatment in prisons",
                     "OHID, substance misuse treatment in secure settings (England, not by local authority)",
                     "England", "national"),
    SupportingMetric("Increase engagement in treatment", "Community sentence treatment requirements made",
                     "Ministry of Justice and probation; local return", "LA", "local",
                     "community_sentence_treatment", "Treatment requirements made"),
    SupportingMetric("Improve recovery outcomes",
                     "Recovery measures: education or training, mental health treatment received, family "
                     "interventions", "OHID NDTMS (by area to partnerships only; England in the adult treatment "
                     "statistics)", "England", "national"),
)


def _summed(frame: pd.DataFrame, code: str, members: Sequence[str], columns: Sequence[str],
            by: Sequence[str]) -> pd.DataFrame:
    """The area's own rows, else every member's summed per ``by`` (a period some member lacks is dropped,
    and a member's missing figure leaves the sum missing)."""
    wanted = [*by, *columns]
    own = frame[frame["area_code"].astype(str) == code]
    if not own.empty:
        return own[wanted].groupby(list(by), as_index=False, sort=True).sum(min_count=1)
    members = list(members)
    parts = frame[frame["area_code"].astype(str).isin(members)]
    if not members or parts.empty:
        return pd.DataFrame(columns=wanted)
    grouped = parts.groupby(list(by), sort=True)
    summed = grouped[list(columns)].agg(lambda s: s.sum(min_count=len(s)))
    summed["areas"] = grouped["area_code"].nunique()
    summed = summed[summed["areas"] == len(members)].drop(columns="areas")
    return summed.reset_index()


def homelessness_series(table: pd.DataFrame, code: str, members: Sequence[str] = ()) -> pd.DataFrame:
    """``period`` and :data:`HOMELESSNESS_COUNTS` for ``code`` (or its members summed), in period order."""
    if table is None or table.empty:
        return pd.DataFrame(columns=["period", *HOMELESSNESS_COUNTS])
    out = _summed(table, code, members, HOMELESSNESS_COUNTS, ("period",))
    return _ordered(out)


def reoffending_series(table: pd.DataFrame, code: str, offender_type: str, members: Sequence[str] = ()
                       ) -> pd.DataFrame:
    """``period, offenders, reoffenders, value`` (% reoffending) for one offender type, in period order."""
    columns = ["period", *REOFFENDING_COUNTS, "value"]
    if table is None or table.empty:
        return pd.DataFrame(columns=columns)
    rows = table[table["offender_type"].astype(str) == offender_type]
    out = _summed(rows, code, members, REOFFENDING_COUNTS, ("period",))
    if out.empty:
        return pd.DataFrame(columns=columns)
    offenders = out["offenders"].astype(float)
    out["value"] = np.where(offenders > 0, 100 * out["reoffenders"].astype(float) / offenders.where(offenders > 0),
                            np.nan)
    return _ordered(out)[columns]


def _key(period: str) -> tuple[int, int, int]:
    text = str(period)
    year = int(text[:4]) if text[:4].isdigit() else 0
    quarter = int(text[-1]) if " Q" in text and text[-1].isdigit() else 0
    return year, quarter, 0


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame.reset_index(drop=True)
    order = sorted(range(len(frame)), key=lambda i: _key(frame["period"].iloc[i]))
    return frame.iloc[order].reset_index(drop=True)


def latest(series: pd.DataFrame, whole_years: bool = True) -> pd.Series | None:
    """The latest row of a series: the latest whole year when it has one (``whole_years``), else the
    latest quarter; None when empty."""
    if series is None or series.empty:
        return None
    years = series[~series["period"].astype(str).str.contains(" Q")]
    use = years if whole_years and not years.empty else series
    return _ordered(use).iloc[-1]


def shares(row: pd.Series | None, needs: Sequence[str] = ("drug_dependency", "alcohol_dependency"),
           denominator: str = "owed_duty") -> pd.DataFrame:
    """A homelessness row (:func:`latest`) as shares: ``need, period, count, denominator, value`` (%),
    the frame disclosure control protects; empty for None."""
    columns = ["need", "period", "count", "denominator", "value"]
    if row is None:
        return pd.DataFrame(columns=columns)
    out = [{"need": n, "period": str(row["period"]), "count": float(row[n]), "denominator": float(row[denominator]),
            "value": _share(row[n], row[denominator])} for n in needs]
    return pd.DataFrame(out, columns=columns)


def reoffending_shares(series: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The latest whole-year row of each offender type's :func:`reoffending_series` as
    ``offender_type, period, count`` (reoffenders), ``denominator`` (offenders), ``value`` (%)."""
    out = []
    for kind, frame in series.items():
        r = latest(frame)
        if r is not None:
            out.append({"offender_type": kind, "period": str(r["period"]), "count": float(r["reoffenders"]),
                        "denominator": float(r["offenders"]), "value": float(r["value"])})
    return pd.DataFrame(out, columns=["offender_type", "period", "count", "denominator", "value"])


def supporting_table(summary: pd.DataFrame, homelessness: pd.DataFrame, reoffending: pd.DataFrame,
                     local: dict[str, pd.DataFrame], supplied: set[str] | frozenset[str] = frozenset(),
                     homelessness_return: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per supporting metric: value and period where held, else its status.

    Parameters
    ----------
    summary
        The overview's indicator summary (``indicator_id, period, value, unit``, latest per indicator).
    homelessness
        :func:`shares` of the H-CLIC table's latest row (after disclosure control; empty when not held).
    reoffending
        :func:`reoffending_shares` (after disclosure control; empty when not held).
    local
        :func:`cdp_analysis.indicators.framework.local_values` per local return (after disclosure control).
    supplied
        Local returns the partnership supplied.
    homelessness_return
        :func:`shares` of the local return ``homelessness_support_needs`` (of households with a support
        need, its denominator), used when the H-CLIC table does not hold the area.

    Returns
    -------
    DataFrame with :data:`SUPPORTING_COLUMNS`; ``value`` is a percentage for homelessness (of
    households owed a duty) and reoffending (of offenders), NaN unless shown.
    """
    by_id = summary.set_index("indicator_id") if not summary.empty else pd.DataFrame()
    rows = []
    for m in SUPPORTING_METRICS:
        row: dict[str, object] = {"outcome": m.outcome, "metric": m.metric, "source": m.source,
                                  "geography": m.geography, "status": NATIONAL, "period": "", "count": np.nan,
                                  "denominator": np.nan, "value": np.nan, "unit": ""}
        if m.kind == "fingertips":
            if m.key in by_id.index:
                r = by_id.loc[m.key]
                row.update(status=SHOWN, period=str(r["period"]), value=float(r["value"]), unit=str(r["unit"]))
            else:
                row["status"] = NOT_HELD
        elif m.kind == "homelessness":
            public = homelessness[homelessness["need"] == m.key]
            own = (homelessness_return[homelessness_return["need"] == m.key] if homelessness_return is not None
                   else public.iloc[0:0])
            if not public.empty:
                row.update(status=SHOWN, unit="% of households owed a duty", source=m.source.split(";")[0],
                           **_figures(public.iloc[0]))
            elif not own.empty:
                row.update(status=LOCAL, unit="% of households with a support need",
                           source="the partnership's local return (homelessness support needs)", **_figures(own.iloc[0]))
            else:
                row["status"] = LOCAL if "homelessness_support_needs" in supplied else NOT_HELD
        elif m.kind == "reoffending":
            found = reoffending[reoffending["offender_type"] == m.key]
            if not found.empty:
                row.update(status=SHOWN, unit="% of offenders reoffending", **_figures(found.iloc[0]))
            else:
                row["status"] = NOT_HELD
        elif m.kind == "local":
            values = local.get(m.key, pd.DataFrame(columns=LOCAL_COLUMNS))
            found = values[values["measure"] == m.measure]
            if not found.empty:
                r = found.iloc[0]
                row.update(status=LOCAL, period=str(r["period"]), count=r["count"], denominator=r["denominator"],
                           value=float(r["value"]), unit=str(r["unit"]))
            else:
                row["status"] = LOCAL if m.key in supplied else LOCAL_NEEDED
        rows.append(row)
    return pd.DataFrame(rows, columns=SUPPORTING_COLUMNS)


def _figures(r: pd.Series) -> dict[str, object]:
    return {"period": str(r["period"]), "count": r["count"], "denominator": r["denominator"], "value": float(r["value"])}


def _share(count: object, denominator: object) -> float:
    c, d = float(count), float(denominator)  # type: ignore[arg-type]
    return 100 * c / d if d == d and d > 0 and c == c else np.nan


def reoffending_comparison(table: pd.DataFrame, code: str, members: Sequence[str] = (), years: int = 3,
                           england: str = "E92000001") -> pd.DataFrame:
    """The area's proven reoffending against England, by offender type, over its latest ``years`` whole years.

    Returns ``offender_type, period, count`` (reoffenders), ``denominator`` (offenders), ``value``
    (% reoffending) with its 95% Wilson interval (``lower_ci, upper_ci``), ``england`` (England's %
    for the same cohort year) and ``compared`` (the area's interval against England's value:
    Higher, Similar, Lower; Not compared without England). Quarterly cohorts are left out (a year
    of cohorts is what the release compares). Empty when the table holds neither the area nor all
    its members.
    """
    columns = ["offender_type", "period", "count", "denominator", "value", "lower_ci", "upper_ci", "england",
               "compared"]
    out = []
    for kind in ("adult", "juvenile"):
        own = reoffending_series(table, code, kind, members)
        own = own[~own["period"].astype(str).str.contains(" Q")].tail(years)
        national = reoffending_series(table, england, kind) if code != england else own
        national_by = dict(zip(national["period"].astype(str), national["value"], strict=True))
        for _, r in own.iterrows():
            count, offenders = float(r["reoffenders"]), float(r["offenders"])
            usable = count == count and offenders == offenders and offenders > 0
            est = proportion(count, offenders) if usable else None
            eng = float(national_by.get(str(r["period"]), np.nan))
            lower, upper = (est.lower_ci, est.upper_ci) if est else (np.nan, np.nan)
            out.append({"offender_type": kind, "period": str(r["period"]), "count": count, "denominator": offenders,
                        "value": est.value if est else np.nan, "lower_ci": lower, "upper_ci": upper,
                        "england": eng, "compared": compare_to_benchmark(
                            None if not est else lower, None if not est else upper,
                            None if eng != eng else eng, polarity="NoJudgement")})
    return pd.DataFrame(out, columns=columns)


def homelessness_table(table: pd.DataFrame, code: str, members: Sequence[str] = (), england: str = "E92000001",
                       needs: Sequence[str] = ("drug_dependency", "alcohol_dependency")) -> pd.DataFrame:
    """Households owed a homelessness duty with each need, by whole financial year, with England's share.

    Returns ``period, need, count, denominator`` (households owed a duty), ``value`` (%) with its
    95% Wilson interval (``lower_ci, upper_ci``) and ``england`` (England's % that year). Quarters
    are left out when the table has whole years. Empty when the table holds neither the area nor
    all its members.
    """
    columns = ["period", "need", "count", "denominator", "value", "lower_ci", "upper_ci", "england"]
    own = homelessness_series(table, code, members)
    if own.empty:
        return pd.DataFrame(columns=columns)
    years = own[~own["period"].astype(str).str.contains(" Q")]
    own = years if not years.empty else own
    national = homelessness_series(table, england)
    out = []
    for _, r in own.iterrows():
        eng = national[national["period"].astype(str) == str(r["period"])]
        for need in needs:
            count, owed = float(r[need]), float(r["owed_duty"])
            est = proportion(count, owed) if count == count and owed == owed and 0 < owed and count <= owed else None
            e = float(eng[need].iloc[0]) / float(eng["owed_duty"].iloc[0]) * 100 if not eng.empty and float(
                eng["owed_duty"].iloc[0]) > 0 else np.nan
            out.append({"period": str(r["period"]), "need": need, "count": count, "denominator": owed,
                        "value": est.value if est else np.nan, "lower_ci": est.lower_ci if est else np.nan,
                        "upper_ci": est.upper_ci if est else np.nan, "england": e})
    return pd.DataFrame(out, columns=columns)

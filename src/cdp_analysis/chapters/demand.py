"""Chapter 3, "Achieve a generational shift in the demand for drugs": sections, figures and words.

The notebook ``03_demand.ipynb`` only calls :meth:`DemandChapter.sections` and
displays what it returns, so every number it shows is computed (and tested) here.

Sources: DfE children in need (table C3), children looked after, exclusions by
reason; OHID Fingertips (young people's hospital admissions); the Crime Survey for
England and Wales applied to the local population; local returns (young people in
treatment, homelessness support needs, out-of-court disposals, drug testing on
arrest). Each section compares the area with its region and England where the
source publishes them, with 95% intervals and the Fingertips recent trend.
Every published frame is disclosure-controlled (counts in the policy's range and
what is derived from them are hidden) and DfE's own markers stay missing with
their meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from cdp_analysis.chapters import base
from cdp_analysis.chapters.base import Section, missing_section
from cdp_analysis.chapters.context import ChapterContext
from cdp_analysis.errors import CdpError, MissingDataError
from cdp_analysis.indicators import change, demand, quality, supporting
from cdp_analysis.indicators.outcomes import OutcomeSeries, indicator_catalogue
from cdp_analysis.report import charts, narrative, render
from cdp_analysis.report.narrative import KeyMessage
from cdp_analysis.stats.sdc import get_policy, protect_shares
from cdp_analysis.store.coverage import COVERED, DATA_CHECKLIST_HINT, Coverage
from cdp_analysis.vocabulary import ENGLAND_CODE, FINGERTIPS_SOURCE

__all__ = ["DemandChapter", "DEMAND_CAVEAT", "PREVALENCE_METHOD"]

CIN_SOURCE = "DfE, Children in need (table C3)"
CLA_SOURCE = "DfE, Children looked after in England (outcomes)"
EXCLUSION_SOURCE = "DfE, Suspensions and permanent exclusions in England (reason for exclusion)"
CSEW_SOURCE = "ONS, Crime Survey for England and Wales; ONS population estimates"
_TEMPLATE_HINT = "the command cdp templates copies the template"

PREVALENCE_METHOD = (
    "The estimate multiplies the national Crime Survey rate of last-year drug use for each sex and age band "
    "(16 to 24, 25 to 59) by the number of residents of that sex and age band, and adds the bands. It "
    "assumes the area's residents use drugs at the national rate for their age and sex: it reflects the "
    "area's age and sex structure, not local deprivation, drug markets or culture. The survey covers "
    "private households in England and Wales, so people in prisons, hostels or sleeping rough are not "
    "counted. The range is the survey's 95% confidence interval carried through to the local total. For "
    "cocaine the survey publishes no split by age and sex, so the rate for all adults aged 16 to 59 is "
    "applied to both sexes and every age."
)
DEMAND_CAVEAT = (
    "Children in need factors are recorded by social workers at the end of an assessment and depend on local "
    "recording practice; DfE withholds some cells (c: confidential small numbers, x: not available, u: low "
    "reliability, z: not applicable), which are shown as missing with their meaning, never as zero. "
    "Exclusions for drug and alcohol reasons are few in most authorities, so single years move a lot. "
    "Prevalence figures are synthetic estimates from a national survey, not local measurements. Local "
    "returns are supplied by the partnership and are only as complete as the services that fill them in. "
    "Counts of 1 to 4 and figures derived from them are suppressed (disclosure control)."
)
_CIN_FACTORS = [
    ("drug_misuse", "parent", "Drug misuse: parent", "drug misuse by a parent"),
    ("drug_misuse", "child", "Drug misuse: child", "drug misuse by the child"),
    ("drug_misuse", "other person", "Drug misuse: other person", "drug misuse by another person"),
    ("alcohol_misuse", "parent", "Alcohol misuse: parent", "alcohol misuse by a parent"),
    ("alcohol_misuse", "child", "Alcohol misuse: child", "alcohol misuse by the child"),
    ("alcohol_misuse", "other person", "Alcohol misuse: other person", "alcohol misuse by another person"),
]
_TREND_WORDS = {"Increasing": "an increasing trend", "Decreasing": "a decreasing trend",
                "No significant change": "no significant change"}
_YOUNG_INDICATORS = [
    ("90808", "Hospital admissions due to substance misuse, 15 to 24 years"),
    ("92904", "Alcohol-specific hospital admissions, under 18s"),
]
_PREVALENCE_DRUGS = [("Any drug", "any drug"), ("Cannabis", "cannabis"), ("Any cocaine", "cocaine")]


def _catalogue_polarity(indicator_id: str) -> str:
    """A Fingertips indicator's polarity from the catalogue (``NoJudgement`` when it is not catalogued)."""
    info = indicator_catalogue().get(str(indicator_id))
    return info.polarity if info is not None and info.polarity else "NoJudgement"


@dataclass(frozen=True)
class _Measure:
    """One measure of a section: what to select, how to say it, and which direction is better.

    ``polarity`` comes from the measure's definition: DfE defines its children's social
    care and exclusion measures without a better or worse direction (a higher share
    identified at assessment can mean more need or better identification), so they
    are ``NoJudgement`` and read as higher or lower, never better or worse; a
    Fingertips indicator takes its polarity from the catalogue (``resources/indicators.csv``).
    """

    measure: str
    category: str
    label: str
    words: str
    key: bool = True
    polarity: str = "NoJudgement"


class DemandChapter(base.Chapter):
    """Computes the demand chapter for one area from a :class:`ChapterContext`.

    Comparators are the area's region and England, taken from the same DfE
    publication (rows by ``area_code``). A partnership of several authorities
    gets its members' counts and denominators summed.
    """

    def __init__(self, ctx: ChapterContext) -> None:
        self.ctx = ctx
        self.area = ctx.area
        self.synthetic = ctx.synthetic
        self.policy = get_policy(ctx.config.disclosure_policy)
        shown = [self.area]
        region = ctx.registry.region_of(self.area.code)
        if region is not None and region.code != self.area.code:
            shown.append(region)
        if self.area.code != ENGLAND_CODE:
            shown.append(ctx.registry.get(ENGLAND_CODE))
        self.shown = shown
        self.hint = DATA_CHECKLIST_HINT.format(code=self.area.code)

    # data -------------------------------------------------------------------
    def _table(self, name: str, **filters: str | tuple[str, ...]) -> pd.DataFrame | None:
        try:
            return getattr(self.ctx.dataset, name)(**filters)
        except MissingDataError:
            return None

    def _lacks(self, title: str, what: str, key: str) -> Section:
        """A missing section: one sentence naming the source to add, no number."""
        return missing_section(title, f"This section needs {what}, which the data lacks ({self.hint}).", key)

    def _members(self, code: str) -> tuple[str, ...]:
        return tuple(self.ctx.registry.get(code).members)

    @property
    def order(self) -> list[str]:
        """Names of the areas shown, the focus area first."""
        return [a.name for a in self.shown]

    def _hide(self, table: pd.DataFrame, derived: Sequence[str] = ("value", "lower_ci", "upper_ci")) -> pd.DataFrame:
        """Counts, denominators and complements in the policy's range, and what is derived from them, hidden.

        ``suppressed`` flags a hidden count, ``denominator_suppressed`` a hidden denominator
        (:func:`cdp_analysis.stats.sdc.protect_shares`).
        """
        return protect_shares(table, self.policy, derived=tuple(derived),
                              denominator="denominator" if "denominator" in table else None)

    def dfe_series(self, frame: pd.DataFrame, measure: _Measure, statistic: str, multiplier: float
                   ) -> pd.DataFrame:
        """Every period of one measure for the area and its comparators, estimated then disclosure-controlled."""
        parts = []
        for area in self.shown:
            series = demand.area_estimates(frame, area.code, self._members(area.code), measure=measure.measure,
                                           category=measure.category, statistic=statistic, multiplier=multiplier)
            if series.empty:
                continue
            series.insert(0, "area", area.name)
            series.insert(0, "what", measure.label)
            parts.append(series)
        if not parts:
            return pd.DataFrame()
        return self._hide(pd.concat(parts, ignore_index=True))

    @cached_property
    def members(self) -> list:
        """The partnership's member authorities (empty for a single authority)."""
        return base.partnership_members(self.area, self.ctx.registry)

    def _with_members(self, latest: pd.DataFrame, frame: pd.DataFrame, measure: _Measure, statistic: str,
                      multiplier: float) -> pd.DataFrame:
        """The latest-year rows with a ``role``, and each member authority's row beside the partnership.

        Members' rows come from their own DfE rows for the same year
        (:func:`cdp_analysis.indicators.demand.area_series`), are disclosure-controlled together
        (:func:`base.member_rows`) and are labelled, never compared in words.
        """
        latest = latest.assign(role=[base.ROLE_FOCUS if c == self.area.code else base.ROLE_COMPARATOR
                                     for c in latest["area_code"]], compared_with_partnership="Not compared")
        if not self.members:
            return latest
        period = latest.loc[latest["role"] == base.ROLE_FOCUS, "period"].iloc[0]
        parts = []
        for member in self.members:
            series = demand.area_estimates(frame, member.code, measure=measure.measure, category=measure.category,
                                           statistic=statistic, multiplier=multiplier)
            if series.empty:
                continue
            series = series[series["period"] == period]
            if not series.empty:
                parts.append(series.assign(area=member.name, what=measure.label))
        if not parts:
            return latest
        own = latest[latest["role"] == base.ROLE_FOCUS]
        rows = base.member_rows(pd.concat(parts, ignore_index=True), float(own["value"].iloc[0]), self.policy)
        return pd.concat([own, rows, latest[latest["role"] != base.ROLE_FOCUS]], ignore_index=True)

    # generic DfE section ---------------------------------------------------------
    def _dfe_section(self, title: str, key: str, frame: pd.DataFrame | None, measures: Sequence[_Measure], *,
                     statistic: str, multiplier: float, unit: str, source: str, what_missing: str,
                     recommend: Callable[[_Measure, str, str], str]) -> Section:
        if frame is None:
            return self._lacks(title, what_missing, key)
        series = [self.dfe_series(frame, m, statistic, multiplier) for m in measures]
        own = [s[s["area"] == self.area.name] if not s.empty else s for s in series]
        if all(o.empty for o in own):
            return missing_section(title, f"{what_missing[0].upper()}{what_missing[1:]} has no figures for "
                                   f"{self.area.name} (DfE publishes them for upper-tier authorities) "
                                   f"({self.hint}).", key)
        trend = pd.concat([s for s in series if not s.empty], ignore_index=True)
        rows, trends, messages, quality_notes = [], [], [], []
        group, neighbour_values = self.ctx.registry.neighbour_group(self.area.code), self.neighbour_values()[0]
        for measure, s, o in zip(measures, series, own, strict=True):
            if o.empty:
                continue
            latest = s[s["period"] == o["period"].max()].copy()
            latest["focus_compared"] = demand.compare_with_focus(latest, self.area.code)
            latest = self._with_members(latest, frame, measure, statistic, multiplier)
            latest = base.with_neighbour_average(latest, f"{measure.measure}:{measure.category}", self.area, group,
                                                 neighbour_values, policy=self.policy, keep=("what",))
            rows.append(latest)
            sound = o[o["quality_flag"].isna()]  # flagged years are left out of the trend test
            label = demand.trend_label(sound, statistic) if not sound.empty else "Cannot be calculated"
            trends.append({"what": measure.label, "area": self.area.name, "trend": label,
                           "from_period": o["period"].iloc[max(0, len(o) - 5)], "to_period": o["period"].iloc[-1]})
            flagged = o[o["quality_flag"].notna()]
            if not flagged.empty:
                quality_notes.append(KeyMessage(quality.quality_sentence(measure.label, self.area.name, flagged),
                                                theme="Data quality", key=False))
            messages += self._measure_messages(measure, latest, label, unit, recommend)
        comparison = pd.concat(rows, ignore_index=True)
        comparison = comparison[["what", "area", "area_code", "role", "period", "count", "denominator", "value",
                                 "lower_ci", "upper_ci", "focus_compared", "compared_with_partnership", "marker",
                                 "note", "quality_flag", "suppressed"]]
        trend = trend[["what", "area", "area_code", "period", "count", "denominator", "value", "lower_ci",
                       "upper_ci", "marker", "note", "quality_flag", "suppressed"]]
        messages = quality_notes + messages
        frames = {"comparison": comparison, "trend": trend, "trends": pd.DataFrame(trends)}
        items = [self._comparison_table(comparison, title, unit)]
        if trend["value"].notna().any():
            chart = charts.small_multiples(
                trend, facet="what", x="period", y="value", series="area", order=self.order,
                title=f"{title}, by year", ylabel=unit if unit != "%" else "Percentage", source=source,
                synthetic=self.synthetic)
            items.append(render.chart_html(chart))
        marked = demand.marker_cells(trend)
        if not marked.empty:
            frames["markers"] = marked
            items.append(render.table_html(
                marked.rename(columns={"area": "Area", "period": "Year", "what": "Measure", "marker": "DfE marker",
                                       "meaning": "Meaning"}),
                "Cells DfE did not publish, and why (shown as missing, never as zero)", synthetic=self.synthetic))
        return Section(title, items, messages, COVERED, frames, key)

    def _comparison_table(self, comparison: pd.DataFrame, title: str, unit: str) -> str:
        columns = ["what", "area", "period", "count", "denominator", "value", "lower_ci", "upper_ci", "focus_compared"]
        if comparison.get("quality_flag", pd.Series(dtype=object)).notna().any():
            columns.append("quality_flag")
        shown = comparison[columns].rename(columns={
                                "what": "Measure", "area": "Area", "period": "Year", "count": "Number",
                                "denominator": "Out of", "value": f"Value ({unit})", "lower_ci": "Lower 95% CI",
                                "upper_ci": "Upper 95% CI",
                                "focus_compared": f"{self.area.name} compared with this area",
                                "quality_flag": "Data quality"})
        return render.table_html(
            shown, f"{title}: latest year", synthetic=self.synthetic,
            formats={"Number": ",.0f", "Out of": ",.0f", f"Value ({unit})": ".1f", "Lower 95% CI": ".1f",
                     "Upper 95% CI": ".1f"},
            suppressed_cols=("Number", f"Value ({unit})", "Lower 95% CI", "Upper 95% CI"),
            suppressed_rows=comparison["suppressed"].tolist())

    def _measure_messages(self, measure: _Measure, latest: pd.DataFrame, trend: str, unit: str,
                          recommend: Callable[[_Measure, str, str], str], periods: str = "years"
                          ) -> list[KeyMessage]:
        own = latest[latest["area_code"] == self.area.code].iloc[0]
        period = own["period"]
        if isinstance(own.get("quality_flag"), str):
            return []  # named once by the section's data-quality sentence, never a finding
        if own["value"] != own["value"]:
            if own["suppressed"]:
                why = "the number is too small to publish (disclosure control)"
            elif isinstance(own["marker"], str):
                why = f"DfE did not publish it ({own['marker']}: {own['note']})"
            else:
                why = str(own["note"]) if isinstance(own["note"], str) else "the data holds no figure"
            return [KeyMessage(f"{measure.label} in {self.area.name}, {period}: {why}.", key=False)]
        others = latest[latest["role"] == base.ROLE_COMPARATOR] if "role" in latest else \
            latest[latest["area_code"] != self.area.code]
        parts = [f"{narrative.comparison_phrase(r['focus_compared'])} {r['area']} "
                 f"({narrative.number(r['value'], 1)})"
                 for _, r in others.iterrows() if r["focus_compared"] in ("Higher", "Similar", "Lower")]
        value = narrative.with_unit(narrative.number(own["value"], 1), unit)
        text = (f"{measure.words[0].upper()}{measure.words[1:]}: {value} in {self.area.name} in {period} "
                f"(95% CI {narrative.number(own['lower_ci'], 1)} to {narrative.number(own['upper_ci'], 1)})")
        text += (", " + narrative.join_words(parts) if parts else "") + "."
        if trend in _TREND_WORDS:
            text += f" Over the last five {periods} with data it shows {_TREND_WORDS[trend]}."
        england = others.loc[others["area_code"] == ENGLAND_CODE, "focus_compared"]
        vs_england = str(england.iloc[0]) if not england.empty else "Not compared"
        rec = recommend(measure, vs_england, trend)
        # judged by the measure's own polarity: higher is worse only where its definition says so
        low_is_good = {"LowIsGood": True, "HighIsGood": False}.get(measure.polarity)
        judged = [(str(r["area"]), r["focus_compared"], r["value"]) for _, r in others.iterrows()]
        rank = narrative.judge(judged, own["value"], low_is_good=low_is_good)
        harmful = {True: "Increasing", False: "Decreasing"}.get(low_is_good) if low_is_good is not None else None
        if trend == harmful:
            rank = max(rank, narrative.RANK_GETTING_WORSE)
        elif low_is_good is None and trend in ("Increasing", "Decreasing"):
            rank = max(rank, narrative.RANK_DIFFERS)
        return [KeyMessage(text, rec, "Demand", key=measure.key or bool(rec), rank=rank)]

    # sections -----------------------------------------------------------------
    def children_in_need(self) -> Section:
        """Children in need assessments with drug or alcohol misuse identified (child, parent, other person)."""
        measures = [_Measure(m, c, label, f"children in need assessments identifying {words}",
                             key=(m == "drug_misuse" and c in ("parent", "child")))
                    for m, c, label, words in _CIN_FACTORS]

        def recommend(measure: _Measure, vs_england: str, trend: str) -> str:
            who = {"parent": "parents", "child": "children", "other person": "other adults in the household"}
            drug = "drug" if measure.measure == "drug_misuse" else "alcohol"
            if vs_england == "Higher" and measure.category == "child":  # children's own misuse: young people's services
                return (f"Work with young people's substance misuse services so that children identified at "
                        f"assessment with {drug} misuse of their own are offered specialist support: it is identified "
                        f"in a significantly higher share of assessments in {self.area.name} than in England.")
            if vs_england == "Higher":
                return (f"Strengthen joint working between children's social care and adult {drug} treatment: "
                        f"{drug} misuse by {who[measure.category]} is identified in a significantly higher share "
                        f"of assessments in {self.area.name} than in England.")
            if trend == "Increasing" and measure.category == "child":
                return (f"Review pathways from children's social care into young people's {drug} services: the "
                        f"share of assessments identifying {drug} misuse by children is increasing.")
            if trend == "Increasing":
                return (f"Review pathways from children's social care into {drug} treatment: the share of "
                        f"assessments identifying {drug} misuse by {who[measure.category]} is increasing.")
            return ""

        return self._dfe_section(
            "Children in need: drug and alcohol misuse identified at assessment", "children",
            self._table("children_in_need"), measures, statistic="proportion", multiplier=100, unit="%",
            source=CIN_SOURCE, what_missing="the DfE children in need table C3 (factors identified at the end of "
            "assessment)", recommend=recommend)

    def parents(self) -> Section:
        """Adults in treatment who are parents or live with children, against children's social care need.

        NDTMS (all in treatment, all substances): adults who are parents living with
        children, adults who live with children without being their parent, and the
        children living with adults in treatment; beside them, the DfE assessments
        that identified drug or alcohol misuse by a parent, the nearest published
        measure of the children affected. The two count different things (people in
        treatment; assessments) and are set side by side, never divided.
        """
        title = "Parents in treatment against estimated need"
        ndtms = self._table("ndtms", measure=("in_treatment", "children_of_clients"), sex="total",
                            age_group="total", substance_group="total")
        if ndtms is None:
            return self._lacks(title, "the NDTMS ViewIt export (adults in treatment by parental status)", "parents")
        rows = demand.parent_rows(ndtms, self.area.code, self.area.name, self._members(self.area.code))
        if rows.empty:
            return missing_section(title, f"The NDTMS data has no adults in treatment by parental status for "
                                   f"{self.area.name} ({self.hint}).", "parents")
        period = rows["period"].iloc[0]
        table = self._hide(rows, derived=("value", "lower_ci", "upper_ci"))
        frames = {"parents": table}
        names = {"area": "Area", "period": "Year", "what": "Adults in treatment", "count": "Number",
                 "denominator": "All adults in treatment", "value": "Percentage", "lower_ci": "Lower 95% CI",
                 "upper_ci": "Upper 95% CI"}
        items = [render.table_html(
            table[list(names)].rename(columns=names),
            f"Adults in treatment who live with children, {self.area.name}, {period} (NDTMS)",
            synthetic=self.synthetic, formats={"Number": ",.0f", "All adults in treatment": ",.0f",
                                               "Percentage": ".1f", "Lower 95% CI": ".1f", "Upper 95% CI": ".1f"},
            suppressed_cols=("Number", "Percentage", "Lower 95% CI", "Upper 95% CI"),
            suppressed_rows=table["suppressed"].tolist())]
        parents = table[table["what"] == "parents living with children"].iloc[0]
        messages = []
        if parents["suppressed"] or parents["value"] != parents["value"]:
            messages.append(KeyMessage(f"Parents living with children in treatment in {self.area.name}, {period}: "
                                       "too few to publish (disclosure control).", key=False))
        else:
            messages.append(KeyMessage(
                f"In {period}, {narrative.number(parents['count'], 0)} of the "
                f"{narrative.number(parents['denominator'], 0)} adults in treatment in {self.area.name} were parents "
                f"living with children ({narrative.number(parents['value'], 1)}%, 95% CI "
                f"{narrative.number(parents['lower_ci'], 1)}% to {narrative.number(parents['upper_ci'], 1)}%)."))
        need, note = self._parental_need(period)
        coverage = COVERED
        if need is None:
            coverage = Coverage.partial(note)
        else:
            frames["need"] = need
            items.append(render.table_html(
                need.drop(columns=["suppressed", "area_code", "denominator_suppressed"], errors="ignore").rename(columns={
                    "area": "Area", "period": "Year", "what": "Assessments identifying", "count": "Assessments"}),
                f"Children in need assessments identifying parental drug or alcohol misuse, {self.area.name} "
                "(DfE), the indicator of need", synthetic=self.synthetic, formats={"Assessments": ",.0f"},
                suppressed_cols=("Assessments",), suppressed_rows=need["suppressed"].tolist()))
            shown = need[~need["suppressed"] & need["count"].notna()]
            if not shown.empty and not parents["suppressed"]:
                said = narrative.join_words([f"{r['what']} in {narrative.number(r['count'], 0)}"
                                             for _, r in shown.iterrows()])
                text = (f"Children's social care in {self.area.name} identified {said} children in need assessments "
                        f"in {shown['period'].iloc[0]}, while {narrative.number(parents['count'], 0)} parents living "
                        f"with children were in treatment in {period}: assessments and people in treatment are "
                        "counted differently, so the two are set side by side, not divided.")
                messages.append(KeyMessage(text, "Agree a joint pathway with children's social care so that parents "
                                           "identified at assessment are offered treatment, and record parental "
                                           "status for everyone in treatment.", "Demand"))
            if note:
                coverage = Coverage.partial(note)
        return Section(title, items, messages, coverage, frames, "parents")

    def _parental_need(self, period: str) -> tuple[pd.DataFrame | None, str]:
        """DfE assessments identifying parental drug / alcohol misuse, for ``period`` or the nearest year held."""
        frame = self._table("children_in_need")
        if frame is None:
            return None, ("Need is measured by the DfE children in need table C3 (parental drug or alcohol misuse), "
                          f"which the data lacks ({self.hint}).")
        found = demand.parental_need(frame, self.area.code, self._members(self.area.code), period)
        if found is None:
            return None, (f"The DfE children in need table has no parental drug or alcohol misuse figures for "
                          f"{self.area.name} ({self.hint}).")
        need, chosen_period = found
        need = self._hide(need.assign(area=self.area.name)[["area", "area_code", "period", "what", "count"]],
                          derived=())
        note = "" if chosen_period == period else (
            f"DfE publishes no parental misuse figure for {self.area.name} in {period}, the NDTMS year; the "
            f"assessments shown are for {chosen_period}.")
        return need.reset_index(drop=True), note

    def looked_after(self) -> Section:
        """Looked-after children identified with a substance misuse problem."""
        measure = _Measure("cla_substance_misuse", "identified", "Looked after children with a substance misuse "
                           "problem", "looked-after children (looked after continuously for at least a year) identified "
                           "as having a substance misuse problem")

        def recommend(m: _Measure, vs_england: str, trend: str) -> str:
            if vs_england == "Higher" or trend == "Increasing":
                return (f"Make sure every looked-after child in {self.area.name} identified with a substance "
                        "misuse problem is offered young people's specialist treatment.")
            return ""

        return self._dfe_section(
            "Looked-after children with a substance misuse problem", "looked_after", self._table("looked_after"),
            [measure], statistic="proportion", multiplier=100, unit="%", source=CLA_SOURCE,
            what_missing="the DfE children looked after outcomes table (substance misuse)", recommend=recommend)

    def schools(self) -> Section:
        """Permanent exclusions and suspensions for drug and alcohol reasons per 1,000 pupils."""
        title = "Schools: exclusions for drug and alcohol reasons"
        frame = self._table("exclusions")
        if frame is None:
            return self._lacks(title, "the DfE exclusions by reason files", "schools")
        frame = frame[frame["category"] == "Total"]
        measures = [_Measure("permanent_exclusions_drug_alcohol", "Total", "Permanent exclusions",
                             "permanent exclusions for drug and alcohol reasons"),
                    _Measure("suspensions_drug_alcohol", "Total", "Suspensions",
                             "suspensions for drug and alcohol reasons")]
        rated = frame.dropna(subset=["denominator"])

        def recommend(m: _Measure, vs_england: str, trend: str) -> str:
            if vs_england == "Higher" or trend == "Increasing":
                return (f"Work with schools in {self.area.name} on drug education and on alternatives to exclusion "
                        "for drug and alcohol incidents, with referral to young people's services.")
            return ""

        if rated.empty or rated[rated["area_code"].isin([self.area.code, *self._members(self.area.code)])].empty:
            return self._exclusion_counts(title, frame, measures)
        section = self._dfe_section(
            title, "schools", rated, measures, statistic="rate", multiplier=1000, unit="per 1,000 pupils",
            source=EXCLUSION_SOURCE, what_missing="the DfE exclusions by reason files", recommend=recommend)
        counts = self._exclusion_counts(title, frame, measures)
        last_rated, last_count = rated["period"].max(), frame["period"].max()
        if counts.shown:
            section.items += counts.items
            section.frames["counts"] = counts.frames["counts"]
            if last_count > last_rated:
                section.coverage = Coverage.partial(
                    f"Rates per 1,000 pupils stop in {last_rated} because the data has no pupil headcount for later "
                    "years; later years are shown as counts.")
        return section

    def _exclusion_counts(self, title: str, frame: pd.DataFrame, measures: Sequence[_Measure]) -> Section:
        """Counts over time only (no pupil headcount): the area's own series."""
        parts = []
        for m in measures:
            s = demand.area_series(frame, self.area.code, self._members(self.area.code), measure=m.measure,
                                   category=m.category)
            if not s.empty:
                parts.append(s.assign(what=m.label, area=self.area.name))
        if not parts:
            return missing_section(title, f"The DfE exclusions files have no figures for {self.area.name} "
                                   f"({self.hint}).", "schools")
        counts = self._hide(pd.concat(parts, ignore_index=True), derived=())
        counts = counts[["what", "area", "period", "count", "marker", "note", "suppressed"]]
        chart = charts.small_multiples(counts, facet="what", x="period", y="count", series="area",
                                       order=[self.area.name], title=f"{title} in {self.area.name}, number a year",
                                       ylabel="Number", source=EXCLUSION_SOURCE, synthetic=self.synthetic)
        messages = []
        for what, group in counts.groupby("what", sort=False):
            last = group.iloc[-1]
            if last["count"] == last["count"]:
                messages.append(KeyMessage(
                    f"{what} for drug and alcohol reasons in {self.area.name}: {narrative.number(last['count'], 0)} "
                    f"in {last['period']}.", key=False))
        has_rates = frame["denominator"].notna().any()
        coverage = COVERED if has_rates else Coverage.partial(
            "Rates per 1,000 pupils need the DfE pupil headcount file (the exclusions national, regional and "
            f"local authority table), so only counts are shown ({self.hint}).")
        return Section(title, [render.chart_html(chart)], messages, coverage, {"counts": counts}, "schools")

    def young_people(self) -> Section:
        """Young people in treatment (local return) and young people's hospital admissions (Fingertips)."""
        title = "Young people: treatment and hospital admissions"
        items: list[str] = []
        messages: list[KeyMessage] = []
        frames: dict[str, pd.DataFrame] = {}
        gaps = []
        treatment = self._young_treatment()
        if treatment is None:
            gaps.append("Young people in treatment needs the NDTMS young people's data or the local return "
                        f"young_people_treatment.csv ({_TEMPLATE_HINT}).")
        else:
            table, message = treatment
            frames["treatment"] = table
            items.append(render.table_html(
                table.drop(columns="suppressed").rename(columns=str.capitalize).rename(columns={"Count": "Young people"}),
                f"Young people in specialist substance misuse treatment, "
                f"{self.area.name}, by main substance", synthetic=self.synthetic, formats={"Young people": ",.0f"},
                suppressed_cols=("Young people",), suppressed_rows=table["suppressed"].tolist()))
            messages.append(message)
        admissions = self._fingertips(_YOUNG_INDICATORS)
        if admissions is None:
            gaps.append("Hospital admissions need the Fingertips indicators 90808 and 92904 "
                        f"({self.hint}).")
        else:
            comparison, series, found = admissions
            frames["comparison"], frames["trend"] = comparison, series
            names = {"what": "Indicator", "area": "Area", "period": "Period", "count": "Admissions",
                     "value": "Rate per 100,000", "lower_ci": "Lower 95% CI", "upper_ci": "Upper 95% CI",
                     "focus_compared": f"{self.area.name} compared with this area"}
            items.append(render.table_html(
                comparison[list(names)].rename(columns=names),
                "Young people's hospital admissions, latest period", synthetic=self.synthetic,
                formats={"Admissions": ",.0f", "Rate per 100,000": ".1f", "Lower 95% CI": ".1f",
                         "Upper 95% CI": ".1f"},
                suppressed_cols=("Admissions", "Rate per 100,000", "Lower 95% CI", "Upper 95% CI"),
                suppressed_rows=comparison["suppressed"].tolist()))
            chart = charts.small_multiples(series, facet="what", x="period_start", y="value", series="area",
                                           order=self.order, title="Young people's hospital admissions per 100,000",
                                           ylabel="Per 100,000", source=FINGERTIPS_SOURCE, synthetic=self.synthetic)
            items.append(render.chart_html(chart))
            messages += found
        if not items:
            return missing_section(title, " ".join(gaps), "young_people")
        coverage = Coverage.partial(" ".join(gaps)) if gaps else COVERED
        return Section(title, items, messages, coverage, frames, "young_people")

    def _young_treatment(self) -> tuple[pd.DataFrame, KeyMessage] | None:
        try:
            frame = self.ctx.dataset.local("young_people_treatment")
        except MissingDataError:
            return None
        rows = demand.local_series(frame[frame["breakdown"] == "main substance"], self.area.code,
                                   self._members(self.area.code), ["count"], by=("period", "category"))
        if rows.empty:
            return None
        total = "All young people"
        table = demand.young_treatment_latest(rows, self.area.name, total)
        period = table["period"].iloc[0]
        # the total is the sum of the substances: one hidden alone would come back by subtraction
        table = protect_shares(table, self.policy, denominator=None,
                               total_rows=[("category", total, None, ["area", "period"])])
        everyone = table.loc[table["category"] == total, "count"].iloc[0]
        top = table[(table["category"] != total) & ~table["suppressed"]]
        if everyone != everyone:
            text = (f"Young people were in specialist substance misuse treatment in {self.area.name} in "
                    f"{period}, too few to publish (disclosure control)")
        else:
            text = (f"{narrative.number(everyone, 0)} young people were in specialist substance misuse treatment "
                    f"in {self.area.name} in {period}")
        if not top.empty:
            text += f"; the most common main substance was {top.iloc[0]['category']} " \
                    f"({narrative.number(top.iloc[0]['count'], 0)})"
        return table, KeyMessage(text + ".")

    def _fingertips(self, indicators: Sequence[tuple[str, str]]
                    ) -> tuple[pd.DataFrame, pd.DataFrame, list[KeyMessage]] | None:
        """Latest comparison and series of Fingertips indicators for the areas shown (overview's series)."""
        overview = OutcomeSeries(self.ctx.dataset, self.ctx.registry, self.ctx.area)
        latest_rows, series_rows, messages = [], [], []
        for indicator_id, label in indicators:
            per_area = []
            for area in self.shown:
                s = overview.series(indicator_id, area.code).dropna(subset=["value"])
                if not s.empty:
                    per_area.append(s.assign(what=label, area=area.name, area_code=area.code))
            if not per_area or per_area[0]["area_code"].iloc[0] != self.area.code:
                continue
            s = self._hide(pd.concat(per_area, ignore_index=True)[
                ["what", "area", "area_code", "period", "period_start", "count", "value", "lower_ci", "upper_ci"]])
            s["period_start"] = s["period_start"].astype(int)
            own = s[s["area_code"] == self.area.code]
            latest = s[s["period"] == own["period"].iloc[-1]].copy()
            latest["focus_compared"] = demand.compare_with_focus(latest, self.area.code)
            latest = self._fingertips_members(overview, indicator_id, label, latest)
            trend = demand.trend_label(own, "rate")
            latest_rows.append(latest)
            series_rows.append(s)
            measure = _Measure("", "", label, label, polarity=_catalogue_polarity(indicator_id))
            messages += self._measure_messages(
                measure, latest, trend, "per 100,000",
                lambda m, vs, tr: (f"Review young people's substance misuse and alcohol pathways with the NHS: "
                                   f"{m.label.lower()} in {self.area.name} are significantly higher than England."
                                   if vs == "Higher" else ""), periods="periods")
        if not latest_rows:
            return None
        comparison = pd.concat(latest_rows, ignore_index=True)
        comparison = comparison[["what", "area", "area_code", "role", "period", "count", "value", "lower_ci",
                                 "upper_ci", "focus_compared", "compared_with_partnership", "suppressed"]]
        return comparison, pd.concat(series_rows, ignore_index=True), messages

    def _fingertips_members(self, overview, indicator_id: str, label: str, latest: pd.DataFrame) -> pd.DataFrame:
        """Fingertips latest rows with a ``role``, each member authority's row for the same period beside the focus."""
        latest = latest.assign(role=[base.ROLE_FOCUS if c == self.area.code else base.ROLE_COMPARATOR
                                     for c in latest["area_code"]], compared_with_partnership="Not compared")
        own = latest[latest["role"] == base.ROLE_FOCUS]
        parts = []
        for member in self.members:
            s = overview.series(indicator_id, member.code)
            s = s[s["period"] == own["period"].iloc[0]].dropna(subset=["value"])
            if not s.empty:
                parts.append(s.iloc[:1].assign(what=label, area=member.name, area_code=member.code))
        if not parts:
            return latest
        rows = base.member_rows(pd.concat(parts, ignore_index=True)[
            ["what", "area", "area_code", "period", "period_start", "count", "value", "lower_ci", "upper_ci"]],
            float(own["value"].iloc[0]), self.policy)
        rows["period_start"] = rows["period_start"].astype(int)
        return pd.concat([own, rows, latest[latest["role"] != base.ROLE_FOCUS]], ignore_index=True)

    def prevalence(self) -> Section:
        """Estimated adults (16–59) using drugs in the last year: national rates × local population."""
        title = "Estimated drug use among adults"
        survey = self._table("csew")
        if survey is None:
            return self._lacks(title, "the Crime Survey drug misuse tables (ONS workbook drugsmisusetables)",
                               "prevalence")
        try:
            residents = self._population_by_age()
        except (MissingDataError, CdpError):
            return missing_section(title, f"This section needs the population of {self.area.name} by age and sex "
                                   f"(ONS mid-year estimates by LSOA), which the data lacks ({self.hint}).",
                                   "prevalence")
        table = demand.prevalence_estimates(survey, residents, _PREVALENCE_DRUGS)
        if table.empty:
            return missing_section(title, "The Crime Survey tables in the data have no complete rates by age and "
                                   f"sex ({self.hint}).", "prevalence")
        table["area"] = self.area.name
        table["focus_compared"] = "Not compared"
        messages = []
        for _, r in table.iterrows():
            messages.append(KeyMessage(
                f"Applying national survey rates ({r['survey_period']}) to the residents of {self.area.name} aged "
                f"{r['age_min']} to {r['age_max']} gives an estimated {narrative.number(r['estimate'], 0)} adults "
                f"who used {r['words']} in the last year (range {narrative.number(r['lower'], 0)} to "
                f"{narrative.number(r['upper'], 0)}).", key=r["drug"] == "Any drug"))
        chart = charts.rate_bars(
            table[["drug", "estimate", "lower", "upper", "focus_compared"]], label="drug", value="estimate",
            lower="lower", upper="upper", colour="focus_compared", title=f"Estimated adults aged 16 to 59 using "
            f"drugs in the last year, {self.area.name}", xlabel="Adults (95% range)", source=CSEW_SOURCE,
            synthetic=self.synthetic)
        shown = table[["drug", "survey_period", "population", "national_rate", "estimate", "lower", "upper"]].rename(
            columns={"drug": "Drug", "survey_period": "Survey year", "population": "Residents aged 16 to 59",
                     "national_rate": "National rate (%)", "estimate": "Estimated users", "lower": "Lower",
                     "upper": "Upper"})
        items = [render.chart_html(chart), render.table_html(
            shown, f"Estimated adults using drugs in the last year, {self.area.name} (synthetic estimate)",
            synthetic=self.synthetic, formats={"Residents aged 16 to 59": ",.0f", "Estimated users": ",.0f",
                                               "Lower": ",.0f", "Upper": ",.0f", "National rate (%)": ".1f"}),
            render.method_note(PREVALENCE_METHOD)]
        frames = {"estimates": table.drop(columns="method")}
        need, gaps = self._treatment_need()
        if need is not None:
            frames["treatment_need"] = need
            items.append(render.table_html(
                need.drop(columns="area_code").rename(columns={
                    "what": "Estimate", "area": "Area", "period": "Year", "estimate": "Estimated people",
                    "lower": "Lower 95%", "upper": "Upper 95%", "source": "Source"}),
                f"Estimated need for treatment, {self.area.name}", synthetic=self.synthetic,
                formats={"Estimated people": ",.0f", "Lower 95%": ",.0f", "Upper 95%": ",.0f"}))
            for _, r in need.iterrows():
                limits = (f" (95% CI {narrative.number(r['lower'], 0)} to {narrative.number(r['upper'], 0)})"
                          if r["lower"] == r["lower"] else " (the members' estimates summed; no interval)")
                messages.append(KeyMessage(f"{r['what']} in {self.area.name}, {r['period']}: an estimated "
                                           f"{narrative.number(r['estimate'], 0)}{limits}.", key=False))
        messages += [KeyMessage(g, key=False) for g in gaps]
        coverage = Coverage.partial(" ".join(gaps)) if gaps else COVERED
        return Section(title, items, messages, coverage, frames, "prevalence")

    def _treatment_need(self) -> tuple[pd.DataFrame | None, list[str]]:
        """OCU (Fingertips 91117) and alcohol-dependence (NDTMS) estimates, latest year, and what is missing.

        A partnership without its own estimate gets its members' point estimates
        summed when every member has one for the year; their intervals cannot be added.
        """
        rows, gaps = [], []
        fingertips = self._table("indicators")
        found = None if fingertips is None else self._estimate_rows(
            demand.ocu_people(fingertips), "Opiate and/or crack cocaine users aged 15 to 64", "OHID/LJMU via Fingertips (indicator 91117)")
        if found is None:
            gaps.append(f"The estimate of opiate and crack cocaine users needs Fingertips indicator 91117 "
                        f"(cdp fetch --area {self.area.code}).")
        else:
            rows.append(found)
        alcohol = self._table("ndtms", measure="alcohol_dependent_adults")
        found = None if alcohol is None else self._estimate_rows(
            alcohol, "Alcohol-dependent adults", "OHID estimates of alcohol-dependent adults (NDTMS)")
        if found is None:
            gaps.append("The estimate of alcohol-dependent adults needs the NDTMS file "
                        f"Estimates_of_Alcohol_Dependent_Adults_in_England ({self.hint}).")
        else:
            rows.append(found)
        return (pd.DataFrame(rows) if rows else None), gaps

    def _estimate_rows(self, frame: pd.DataFrame, what: str, source: str) -> dict[str, object] | None:
        """The area's latest estimate, else its members' values summed (:func:`demand.latest_estimate`)."""
        return demand.latest_estimate(frame, self.area.code, self.area.name, self._members(self.area.code), what,
                                      source)

    def _population_by_age(self) -> pd.DataFrame:
        lsoas = self.ctx.lsoas(self.area.code)
        rows = self.ctx.dataset.population(area_codes=lsoas, sexes=["Male", "Female"])
        if rows.empty:
            raise MissingDataError(f"no population by sex and age for {self.area.name}")
        rows = rows.assign(area_code=self.area.code, area_name=self.area.name)
        rows["age"] = pd.to_numeric(rows["age"], errors="coerce")
        return rows.groupby(["area_code", "area_name", "sex", "age"], as_index=False)["population"].sum()

    def wider_demand(self) -> Section:
        """Homelessness with a drug dependency need, out-of-court disposals and drug testing on arrest."""
        title = "Wider demand: homelessness, out-of-court disposals and drug testing on arrest"
        parts = [("homelessness_support_needs", self._homelessness),
                 ("out_of_court_disposals", self._out_of_court),
                 ("drug_testing_on_arrest", self._testing_on_arrest)]
        items: list[str] = []
        messages: list[KeyMessage] = []
        frames: dict[str, pd.DataFrame] = {}
        gaps = []
        for name, build in parts:
            try:
                frame = self.ctx.dataset.local(name)
            except MissingDataError:
                frame = None
            found = build(frame) if frame is not None else None
            if name == "homelessness_support_needs":  # the published H-CLIC table first, else the local return
                found = self._public_homelessness() or found
            if found is None:
                gaps.append(f"needs the local return {name}.csv: {_TEMPLATE_HINT}")
                continue
            table, html, message = found
            frames[name] = table
            items.append(html)
            messages.append(message)
        if not items:
            return missing_section(title, "This section " + "; it ".join(gaps) + ".", "wider")
        coverage = Coverage.partial("Part of this section " + "; it ".join(gaps) + ".") if gaps else COVERED
        return Section(title, items, messages, coverage, frames, "wider")

    def _local_rows(self, frame: pd.DataFrame, columns: Sequence[str], by: Sequence[str] = ("period",)
                    ) -> pd.DataFrame:
        return demand.local_series(frame, self.area.code, self._members(self.area.code), columns, by)

    def _public_homelessness(self) -> tuple[pd.DataFrame, str, KeyMessage] | None:
        """Households owed a homelessness duty with a drug or an alcohol dependency need (MHCLG H-CLIC table A3)."""
        try:
            source = self.ctx.dataset.homelessness()
        except MissingDataError:
            return None
        table = supporting.homelessness_table(source, self.area.code, self._members(self.area.code), ENGLAND_CODE)
        if table.empty:
            return None
        table = self._hide(table)
        needs = {"drug_dependency": "Drug dependency", "alcohol_dependency": "Alcohol dependency"}
        html = render.table_html(
            pd.DataFrame({"Year": table["period"], "Support need": table["need"].map(needs),
                          "Households owed a duty": table["denominator"], "With the need": table["count"],
                          "%": table["value"], "Lower 95% CI": table["lower_ci"], "Upper 95% CI": table["upper_ci"],
                          "England %": table["england"]}),
            f"Households owed a homelessness duty with a drug or alcohol dependency support need, {self.area.name} "
            "(MHCLG statutory homelessness, table A3)", synthetic=self.synthetic,
            formats={"Households owed a duty": ",.0f", "With the need": ",.0f", "%": ".1f", "Lower 95% CI": ".1f",
                     "Upper 95% CI": ".1f", "England %": ".1f"},
            suppressed_cols=("Households owed a duty", "With the need", "%", "Lower 95% CI", "Upper 95% CI"),
            suppressed_rows=list(table["suppressed"].to_numpy() | table["denominator_suppressed"].to_numpy()))
        latest = table[table["period"] == table["period"].iloc[-1]].set_index("need")
        drug, alcohol = latest.loc["drug_dependency"], latest.loc["alcohol_dependency"]
        if drug["value"] != drug["value"]:
            return table, html, KeyMessage(f"Homelessness with a drug dependency need in {self.area.name}, "
                                           f"{drug['period']}: too few households to publish.", key=False)
        text = (f"In {drug['period']}, {narrative.number(drug['count'], 0)} of the "
                f"{narrative.number(drug['denominator'], 0)} households owed a homelessness duty in {self.area.name} "
                f"had a drug dependency support need ({narrative.number(drug['value'], 1)}%, 95% CI "
                f"{narrative.number(drug['lower_ci'], 1)}% to {narrative.number(drug['upper_ci'], 1)}%")
        if drug["england"] == drug["england"]:
            text += f"; England {narrative.number(drug['england'], 1)}%"
        text += ")"
        if alcohol["value"] == alcohol["value"]:
            text += (f", and {narrative.number(alcohol['count'], 0)} ({narrative.number(alcohol['value'], 1)}%) an "
                     "alcohol dependency need")
        rec = ("Link housing options teams with treatment services so that households with a drug or alcohol "
               "dependency need are offered treatment.")
        return table, html, KeyMessage(text + ".", rec, "Demand")

    def _homelessness(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, str, KeyMessage] | None:
        rows = self._local_rows(frame, ["with_support_needs", "drug_dependency", "alcohol_dependency"])
        if rows.empty:
            return None
        table = demand.add_estimates(rows.rename(columns={"drug_dependency": "count",
                                                          "with_support_needs": "denominator"}),
                                     "proportion", 100)
        table = self._hide(table)
        table.insert(0, "area", self.area.name)
        table = table[["area", "period", "denominator", "count", "value", "lower_ci", "upper_ci", "suppressed"]]
        last = table.iloc[-1]
        html = render.table_html(
            table.drop(columns="suppressed").rename(columns={
                "area": "Area", "period": "Year", "denominator": "Households with a support need",
                "count": "With a drug dependency need", "value": "Percentage", "lower_ci": "Lower 95% CI",
                "upper_ci": "Upper 95% CI"}),
            f"Households owed a homelessness duty with a drug dependency support need, {self.area.name}",
            synthetic=self.synthetic, formats={"Percentage": ".1f", "Lower 95% CI": ".1f", "Upper 95% CI": ".1f",
                                               "Households with a support need": ",.0f",
                                               "With a drug dependency need": ",.0f"},
            suppressed_cols=("With a drug dependency need", "Percentage", "Lower 95% CI", "Upper 95% CI"),
            suppressed_rows=table["suppressed"].tolist())
        if last["suppressed"] or last["value"] != last["value"]:
            return table, html, KeyMessage(f"Homelessness with a drug dependency need in {self.area.name}, "
                                           f"{last['period']}: too few households to publish.", key=False)
        text = (f"In {last['period']}, {narrative.number(last['count'], 0)} of the "
                f"{narrative.number(last['denominator'], 0)} households owed a homelessness duty in "
                f"{self.area.name} with a support need had a drug dependency need "
                f"({narrative.number(last['value'], 1)}%, 95% CI {narrative.number(last['lower_ci'], 1)}% to "
                f"{narrative.number(last['upper_ci'], 1)}%).")
        rec = ("Link housing options teams with treatment services so that households with a drug dependency "
               "need are offered treatment.")
        return table, html, KeyMessage(text, rec, "Demand")

    def _out_of_court(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, str, KeyMessage] | None:
        frame = frame.assign(referral_recorded=frame["count"].where(frame["referred_to_treatment"].notna()))
        rows = self._local_rows(frame, ["count", "referred_to_treatment", "referral_recorded"],
                                by=("period", "disposal"))
        if rows.empty:
            return None
        latest = demand.out_of_court_latest(rows)
        small = pd.DataFrame({c: self.policy.primary(latest[c]) for c in ("count", "referred_to_treatment")})
        latest["suppressed"] = small.any(axis=1).to_numpy()
        for column in ("count", "referred_to_treatment"):
            latest[column] = latest[column].astype(float).where(~small[column].to_numpy())
        latest.loc[small["referred_to_treatment"].to_numpy(), "referred_pct"] = np.nan
        latest.insert(0, "area", self.area.name)
        table = latest[["area", "period", "disposal", "count", "referred_to_treatment", "referral_recorded",
                        "referred_pct", "suppressed"]]
        html = render.table_html(
            table.drop(columns=["suppressed", "referral_recorded"]).rename(columns={
                "area": "Area", "period": "Year", "disposal": "Disposal", "count": "Disposals for drug offences",
                "referred_to_treatment": "Referred to education or treatment", "referred_pct": "Referred (%)"}),
            f"Out-of-court disposals for drug offences, {self.area.name}", synthetic=self.synthetic,
            formats={"Disposals for drug offences": ",.0f", "Referred to education or treatment": ",.0f",
                     "Referred (%)": ".1f"},
            suppressed_cols=("Disposals for drug offences", "Referred to education or treatment", "Referred (%)"),
            suppressed_rows=table["suppressed"].tolist())
        last = table.iloc[-1]
        text = (f"In {last['period']}, {narrative.number(last['count'], 0)} out-of-court disposals were given for "
                f"drug offences in {self.area.name}")
        if last["referred_pct"] == last["referred_pct"]:
            text += (f"; where a referral was recorded, {narrative.number(last['referred_pct'], 1)}% led to drug "
                     "education or treatment")
        rec = ("Make every out-of-court disposal for drug possession carry a referral to drug education or "
               "treatment (diversion).")
        return table, html, KeyMessage(text + ".", rec, "Demand")

    def _testing_on_arrest(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, str, KeyMessage] | None:
        rows = self._local_rows(frame, ["tests", "positive", "required_assessments", "assessments_attended"])
        if rows.empty:
            return None
        small = pd.DataFrame({c: self.policy.primary(rows[c]) for c in ("tests", "positive", "required_assessments",
                                                                         "assessments_attended")})
        table = demand.testing_on_arrest_rates(rows)
        for column in small:
            table[column] = table[column].astype(float).where(~small[column].to_numpy())
        table.loc[small["positive"].to_numpy(), "positive_pct"] = np.nan
        table.loc[small[["required_assessments", "assessments_attended"]].any(axis=1).to_numpy(), "attended_pct"] \
            = np.nan
        table["suppressed"] = small.any(axis=1).to_numpy()
        table.insert(0, "area", self.area.name)
        html = render.table_html(
            table.drop(columns="suppressed").rename(columns={
                "area": "Area", "period": "Year", "tests": "Tested on arrest", "positive": "Positive",
                "required_assessments": "Required assessments", "assessments_attended": "Attended",
                "positive_pct": "Positive (%)", "attended_pct": "Attended (%)"}),
            f"Drug testing on arrest (opiates and cocaine), {self.area.name}", synthetic=self.synthetic,
            formats={"Tested on arrest": ",.0f", "Positive": ",.0f", "Required assessments": ",.0f",
                     "Attended": ",.0f", "Positive (%)": ".1f", "Attended (%)": ".1f"},
            suppressed_cols=("Tested on arrest", "Positive", "Required assessments", "Attended", "Positive (%)",
                             "Attended (%)"), suppressed_rows=table["suppressed"].tolist())
        last = table.iloc[-1]
        if last["positive_pct"] != last["positive_pct"]:
            return table, html, KeyMessage(f"Drug testing on arrest in {self.area.name}, {last['period']}: too few "
                                           "tests to publish.", key=False)
        text = (f"In {last['period']}, {narrative.number(last['positive_pct'], 1)}% of the "
                f"{narrative.number(last['tests'], 0)} people tested on arrest in {self.area.name} tested positive "
                "for opiates or cocaine")
        if last["attended_pct"] == last["attended_pct"]:
            text += f", and {narrative.number(last['attended_pct'], 1)}% of required assessments were attended"
        rec = ""
        if last["attended_pct"] == last["attended_pct"] and last["attended_pct"] < 80:
            rec = ("Follow up people who miss a required assessment after a positive test on arrest, so that "
                   "more of them reach treatment.")
        return table, html, KeyMessage(text + ".", rec, "Demand")

    def neighbour_values(self) -> tuple[pd.DataFrame, list[base.NeighbourMeasure]]:
        """The DfE headline measures (children in need assessments identifying a parent's or a child's drug
        misuse; exclusions for drug and alcohol reasons) of the area and each neighbour, in the area's
        latest year with a value, and the measures found."""
        group = self.ctx.registry.neighbour_group(self.area.code)
        wanted = [("children_in_need", None, "drug_misuse", "parent", "proportion", 100.0, "%",
                   "Assessments identifying drug misuse by a parent",
                   "share of children in need assessments identifying drug misuse by a parent"),
                  ("children_in_need", None, "drug_misuse", "child", "proportion", 100.0, "%",
                   "Assessments identifying drug misuse by the child",
                   "share of children in need assessments identifying drug misuse by the child"),
                  ("exclusions", "Total", "suspensions_drug_alcohol", "Total", "rate", 1000.0, "per 1,000 pupils",
                   "Suspensions for drug and alcohol reasons per 1,000 pupils",
                   "rate of suspensions for drug and alcohol reasons")]
        rows, measures = [], []
        for table, category, measure, cat, statistic, multiplier, unit, label, what in wanted:
            frame = self._table(table)
            if frame is None:
                continue
            if category is not None:
                frame = frame[frame["category"] == category].dropna(subset=["denominator"])
            key = f"{measure}:{cat}"
            found = demand.neighbour_rows(frame, [(c, self._members(c)) for c in [self.area.code, *group.codes]],
                                          measure=measure, category=cat, statistic=statistic,
                                          multiplier=multiplier, key=key)
            if found is None:
                continue
            period, values = found
            measures.append(base.NeighbourMeasure(key, label, what, unit, "NoJudgement", period, "Demand",
                                                  CIN_SOURCE if table == "children_in_need" else EXCLUSION_SOURCE))
            rows += values
        return pd.DataFrame(rows, columns=["measure", "area_code", "value", "lower_ci", "upper_ci", "count",
                                           "denominator", "multiplier"]), measures

    def neighbours(self) -> Section:
        """The DfE headline measures among the area's neighbour group (:func:`base.neighbour_section`)."""
        title = base.NEIGHBOURS_TITLE
        values, measures = self.neighbour_values()
        if not measures:
            return self._lacks(title, "the DfE children in need table C3 or the exclusions by reason files",
                               "neighbours")
        group = self.ctx.registry.neighbour_group(self.area.code)
        names = {a.code: a.name for a in [self.area, *group.areas]}
        return base.neighbour_section(self.area, group, values, measures, names=names, synthetic=self.synthetic,
                                      source="DfE children in need; DfE exclusions", policy=self.policy)

    def sections(self) -> dict[str, Section]:
        """Every section in reading order."""
        return base.build_sections([
            (base.SINCE_KEY, base.SINCE_TITLE, self.since_last_assessment),
            ("children", "Children in need: drug and alcohol misuse identified at assessment", self.children_in_need),
            ("parents", "Parents in treatment against estimated need", self.parents),
            ("looked_after", "Looked-after children with a substance misuse problem", self.looked_after),
            ("schools", "Schools: exclusions for drug and alcohol reasons", self.schools),
            ("young_people", "Young people: treatment and hospital admissions", self.young_people),
            ("prevalence", "Estimated drug use among adults", self.prevalence),
            ("wider", "Wider demand: homelessness, out-of-court disposals and drug testing on arrest",
             self.wider_demand),
            ("neighbours", base.NEIGHBOURS_TITLE, self.neighbours),
        ], hint=self.hint)

    def headline_series(self) -> pd.DataFrame:
        """Children in need with drug misuse identified (parent, child), young people's admissions and
        opiate and crack use: the headline series "Since the last assessment" compares, small numbers hidden."""
        parts = [change.outcome_series(OutcomeSeries(self.ctx.dataset, self.ctx.registry, self.area),
                                       [i for i, _ in _YOUNG_INDICATORS] + ["91117"])]
        frame = self._table("children_in_need")
        for m, c, label, words in _CIN_FACTORS if frame is not None else ():
            if m != "drug_misuse" or c not in ("parent", "child"):
                continue
            series = self.dfe_series(frame, _Measure(m, c, label, words), "proportion", 100)
            own = series[series["area"] == self.area.name] if not series.empty else series
            if own.empty:
                continue
            parts.append(change.fingertips_series(
                {f"cin-{m}-{c}": own}, {f"cin-{m}-{c}": f"Children in need assessments identifying {words}"},
                {f"cin-{m}-{c}": "NoJudgement"}, {f"cin-{m}-{c}": "%"}).assign(
                    suppressed=own["suppressed"].fillna(False).astype(bool).to_numpy()))
        parts = [p for p in parts if not p.empty]
        return pd.concat(parts, ignore_index=True) if parts else change.series_table(
            pd.DataFrame(columns=change.SERIES_COLUMNS))

    def since_last_assessment(self) -> Section:
        """This edition's demand indicators against the earlier edition's (:func:`base.since_last_assessment`)."""
        return base.since_last_assessment(self.ctx, lambda ctx: DemandChapter(ctx).headline_series(),
                                          what="demand")

    @cached_property
    def all_sections(self) -> list[Section]:
        """Every section in reading order (tests, key messages)."""
        return list(self.sections().values())

"""Chapter 2, "Delivering a world-class treatment and recovery system": sections, figures, words.

The notebook ``02_treatment_recovery.ipynb`` only calls :meth:`TreatmentChapter.sections`
and displays what it returns, so every number it shows is computed (and tested) here.

Data: the tidy NDTMS table (:data:`cdp_analysis.sources.ndtms.NDTMS_COLUMNS`, adults,
``sex == age_group == "total"``) and the Fingertips indicators (unmet need 93517 and
93532, read through :class:`~cdp_analysis.indicators.outcomes.OutcomeSeries`). A
partnership's counts and denominators are the sums over its member authorities, and
every percentage is recomputed from them. NDTMS measures are compared with all local
authorities NDTMS publishes, combined (for the all-LA ViewIt export, England); Fingertips
measures with the region and England as Fingertips publishes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import pandas as pd

from cdp_analysis import stats
from cdp_analysis.chapters import base
from cdp_analysis.chapters.base import (
    MEMBER_LABEL,
    ROLE_COMPARATOR,
    ROLE_FOCUS,
    ROLE_MEMBER,
    Section,
    missing_section,
    partnership_members,
)
from cdp_analysis.chapters.context import ChapterContext
from cdp_analysis.errors import MissingDataError
from cdp_analysis.indicators import change, framework, pathways, spine, supporting, treatment
from cdp_analysis.indicators.outcomes import OutcomeSeries
from cdp_analysis.report import charts, narrative, render
from cdp_analysis.report.narrative import KeyMessage
from cdp_analysis.sources.ndtms import NDTMS_COLUMNS
from cdp_analysis.stats.coerce import as_float
from cdp_analysis.stats.sdc import TotalRow, get_policy, protect_shares
from cdp_analysis.store.coverage import COVERED, DATA_CHECKLIST_HINT, Coverage
from cdp_analysis.vocabulary import ENGLAND_CODE, FINGERTIPS_SOURCE

__all__ = ["TreatmentChapter", "NDTMS_SOURCE", "NDTMS_CAVEAT", "POOLED", "RESIDENTS", "ETHNIC_GROUPS", "GROUPS", "UNMET",
           "HARM"]

NDTMS_SOURCE = "OHID NDTMS ViewIt export"
#: The comparator for NDTMS measures: every local authority NDTMS publishes, their counts added together.
POOLED = "All local authorities combined"
#: The four substance groups of NDTMS adult treatment, in reporting order.
GROUPS: tuple[str, ...] = ("opiate", "non-opiate only", "alcohol only", "non-opiate and alcohol")


@dataclass(frozen=True)
class _Indicator:
    """How a Fingertips indicator is titled, worded and judged in this chapter."""

    chart: str
    words: str
    unit: str
    low_is_good: bool
    recommendation: str


#: Unmet need (Fingertips): the share of those estimated to need treatment who are not in it.
UNMET = {
    "93517": _Indicator("Opiate and/or crack cocaine users not in treatment",
                        "proportion of opiate and/or crack users not in treatment", "% not in treatment", True,
                        "Plan how to reach more opiate and/or crack users: the share not in treatment is "
                        "significantly higher than in {where}."),
    "93532": _Indicator("Alcohol-dependent adults not in treatment",
                        "proportion of alcohol-dependent adults not in treatment", "% not in treatment", True,
                        "Plan how to reach more alcohol-dependent adults: the share not in treatment is "
                        "significantly higher than in {where}."),
}
#: Harm and continuity of care (Fingertips).
HARM = {
    "92432": _Indicator("Deaths from drug misuse", "age-standardised rate of deaths from drug misuse",
                        "per 100,000", True,
                        "Review drug-related deaths with partners: the rate is significantly higher than in {where}."),
    "92906": _Indicator("Admissions for alcohol-specific conditions",
                        "age-standardised rate of admissions for alcohol-specific conditions", "per 100,000", True,
                        "Reduce alcohol harm: alcohol-specific admissions are significantly higher than in {where}."),
    "93763": _Indicator("Alcohol-related mortality", "age-standardised rate of alcohol-related deaths",
                        "per 100,000", True,
                        "Reduce alcohol harm: alcohol-related mortality is significantly higher than in {where}."),
    "90808": _Indicator("Admissions for substance misuse, aged 15 to 24",
                        "rate of hospital admissions for substance misuse among people aged fifteen to twenty-four",
                        "per 100,000", True,
                        "Work with young people's services: admissions for substance misuse at 15 to 24 are "
                        "significantly higher than in {where}."),
    "92904": _Indicator("Alcohol-specific admissions, under 18s", "rate of alcohol-specific admissions of children under eighteen",
                        "per 100,000", True,
                        "Work with young people's services: alcohol-specific admissions of under 18s are "
                        "significantly higher than in {where}."),
    "ONS-drug-poisoning-deaths-3yr": _Indicator(
        "Deaths related to drug poisoning (ONS)", "age-standardised rate of deaths related to drug poisoning (ONS)",
        "per 100,000", True,
        "Review drug-poisoning deaths with partners: the rate is significantly higher than in {where}."),
    "drug-poisoning-admissions": _Indicator(
        "Admissions for poisoning by drug misuse", "age-standardised rate of hospital admissions for poisoning by "
        "drug misuse", "per 100,000", True,
        "Review drug-poisoning admissions with the acute trust: the rate is significantly higher than in {where}."),
    "drug-mbd-admissions": _Indicator(
        "Admissions for drug-related mental and behavioural disorders",
        "age-standardised rate of hospital admissions for drug-related mental and behavioural disorders",
        "per 100,000", True,
        "Plan co-occurring mental health and drug care: admissions for drug-related mental and behavioural "
        "disorders are significantly higher than in {where}."),
}
#: Alcohol (Fingertips): deaths and completions; admissions are in :data:`HARM`, unmet need in :data:`UNMET`.
ALCOHOL = {
    "91380": _Indicator("Alcohol-specific mortality", "age-standardised rate of alcohol-specific deaths",
                        "per 100,000", True,
                        "Reduce alcohol harm: alcohol-specific deaths are significantly higher than in {where}."),
    "92447": _Indicator("Successful completion of alcohol treatment",
                        "proportion of adults in alcohol treatment who completed it and did not return within six "
                        "months", "% completing", False,
                        "Review the alcohol treatment pathway: successful completions are significantly lower than "
                        "in {where}."),
}
#: The criminal-justice pathway (Fingertips): continuity of care from prison to community treatment.
JUSTICE = {
    "92544": _Indicator("Adults engaging in community treatment within three weeks of release from prison",
                        "proportion of adults leaving prison who engaged in community treatment within three weeks",
                        "% engaging", False,
                        "Strengthen the pathway from prison to community treatment: continuity of care is "
                        "significantly lower than in {where}."),
}
#: Successful completions (Fingertips), compared between editions with unmet need and harm.
COMPLETION_IDS = ("90244", "90245", "90246")
#: The comparator row of residents in the ethnicity section.
RESIDENTS = "Residents (Census 2021)"
#: NDTMS ethnic groups, in reporting order (Census 2021's five high-level groups).
ETHNIC_GROUPS = ("White", "Mixed", "Asian", "Black", "Other")
REFERRALS = ("criminal justice", "health services and social care", "self, family and friends")
NDTMS_CAVEAT = (
    "NDTMS counts adults in structured treatment for drugs and alcohol in each financial year; "
    "OHID rounds counts to the nearest 5 and leaves small numbers out (NULL), which are shown "
    "here as missing, never as zero. A partnership's figures are the sums of its member "
    "authorities' counts, with percentages recomputed. Successful completions are exits free of "
    "dependence as a share of all adults in treatment in the year (the NDTMS definition "
    "differs slightly from the Fingertips indicators, which count completions not re-presenting "
    "within six months). Unmet need compares modelled prevalence estimates with numbers in "
    "treatment: the estimates carry wide intervals, shown with every value."
)


class TreatmentChapter(base.Chapter):
    """Computes the treatment and recovery chapter for one area from a :class:`ChapterContext`."""

    def __init__(self, ctx: ChapterContext) -> None:
        self.ctx = ctx
        self.area = ctx.area
        self.synthetic = ctx.synthetic
        self.policy = get_policy(ctx.config.disclosure_policy)
        self.hint = DATA_CHECKLIST_HINT.format(code=self.area.code)
        self._rows: dict[tuple[str, str, str, str], pd.DataFrame] = {}

    # data -------------------------------------------------------------------
    def _ndtms(self, columns: list[str] | None = None, **filters: str | list[str] | None) -> pd.DataFrame:
        """NDTMS rows the filters keep, read from the table (the reader's columns, empty, when none is held)."""
        try:
            return self.ctx.dataset.ndtms(columns, **filters)
        except MissingDataError:
            empty = pd.DataFrame(columns=list(NDTMS_COLUMNS))  # the reader's own columns: every filter works
            return empty if columns is None else empty[list(columns)]

    @cached_property
    def members(self) -> list[str]:
        """The local authorities whose NDTMS rows make up the area (itself, or a partnership's members)."""
        try:
            held = self.ctx.dataset.ndtms_areas(sex="total", age_group="total") - {ENGLAND_CODE}
        except MissingDataError:
            held = set()
        if self.area.code in held:
            return [self.area.code]
        members = list(self.area.members)
        return members if members and set(members) <= held else []

    def rows(self, measure: str, breakdown: str = "total", sex: str = "total", age_group: str = "total"
             ) -> pd.DataFrame:
        """Counts and denominators of a measure per area, period, substance group and category.

        The focus area (summed over a partnership's members, complete only when every
        member has the count), England where the export holds England rows for the
        measure, and all local authorities the export holds, combined, where the export holds
        authorities besides the area's own.
        """
        args = (measure, breakdown, sex, age_group)
        if args not in self._rows:
            self._rows[args] = self._read_rows(*args)
        return self._rows[args].copy()

    def _read_rows(self, measure: str, breakdown: str, sex: str, age_group: str) -> pd.DataFrame:
        data = self._ndtms(["area_code", "period", "period_start", "substance_group", "category", "count",
                            "denominator"], measure=measure, breakdown=breakdown, sex=sex, age_group=age_group)
        names = {a.code: a.name for a in partnership_members(self.area, self.ctx.registry)} \
            if len(self.members) > 1 else {}
        return treatment.area_rows(data, self.members, self.area.name, names, POOLED)

    @cached_property
    def latest_period(self) -> str | None:
        """The latest financial year with numbers in treatment for the area."""
        own = self.rows("in_treatment")
        own = own[(own["area"] == self.area.name) & own["count"].notna()]
        return None if own.empty else str(own.sort_values("period_start")["period"].iloc[-1])

    def _missing(self, title: str, key: str) -> Section:
        return missing_section(
            title, f"The data holds no NDTMS treatment export covering {self.area.name}, so this section "
                   f"cannot be shown; download the ViewIt export from NDTMS ({self.hint}).", key)

    # proportions with comparison ---------------------------------------------
    def _proportions(self, table: pd.DataFrame, label: str, *, parts: tuple[str, ...] | None | Literal[False] = False,
                     total: str | None = None) -> pd.DataFrame:
        """Percentages with Wilson 95% intervals; the focus area's interval against each comparator.

        A partnership's member rows (by name) are labelled and never compared in words.
        Disclosure control is one decision over the table (:func:`cdp_analysis.stats.sdc.protect_shares`):
        ``parts`` names the categories that add up to each area's denominator (None: every
        category; False: they do not), ``total`` the ``label`` of a row holding the sum of the
        others; a partnership's members add up to the partnership.
        """
        names = {a.name for a in partnership_members(self.area, self.ctx.registry)} if len(self.members) > 1 else set()
        table = table.assign(role=[ROLE_FOCUS if a == self.area.name else ROLE_MEMBER if a in names
                                   else ROLE_COMPARATOR for a in table["area"]])
        data = treatment.with_proportions(table)
        relations: list[TotalRow] = []
        if total is not None:
            relations.append((label, total, None, ["area", "period"]))
        if (data["role"] == ROLE_MEMBER).any():
            # the partnership's total is published beside its members: one member hidden alone
            # would come back by subtraction, so members are suppressed together (secondary)
            relations.append(("role", ROLE_FOCUS, (ROLE_MEMBER,), [label, "period"]))
        data = protect_shares(data, self.policy, derived=("value", "lower_ci", "upper_ci"),
                              parts_of_denominator=None if parts is False else (["area", "period"], parts, label),
                              total_rows=relations)
        data["focus_compared"] = treatment.focus_comparisons(data, self.area.name, label, MEMBER_LABEL)
        return data

    def _compare_message(self, data: pd.DataFrame, label: str, what: str
                         ) -> tuple[list[tuple[str, str, float]], float] | None:
        """The comparator judgements and the focus value of one row label (None when not published)."""
        own = data[(data["area"] == self.area.name) & (data[label] == what)]
        if own.empty or own["value"].isna().all():
            return None
        others = data[(data["area"] != self.area.name) & (data[label] == what)]
        comparisons = [(r["area"], r["focus_compared"], r["value"]) for _, r in others.iterrows()
                       if r["focus_compared"] not in ("Not compared", MEMBER_LABEL)]
        return comparisons, float(own["value"].iloc[0])

    # sections ---------------------------------------------------------------
    def sections(self) -> dict[str, Section]:
        """The chapter's sections in reading order, by key."""
        return base.build_sections([
            (base.SINCE_KEY, base.SINCE_TITLE, self.since_last_assessment),
            ("numbers", "Numbers in treatment", self.numbers),
            ("unmet_need", "Unmet need for treatment", self.unmet_need),
            ("completions", "Successful completions", self.completions),
            ("outcomes", "Re-presentations and length in treatment", self.outcomes),
            ("access", "Referrals and waiting times", self.access),
            ("young_people", "Young people in treatment", self.young_people),
            ("reached", "Who is in treatment", self.reached),
            ("ethnicity", "Ethnicity of adults in treatment", self.ethnicity),
            ("deprivation", "Deprivation and inequality", self.deprivation),
            ("circumstances", "Housing and employment at the start of treatment", self.circumstances),
            ("harm", "Drug and alcohol harm", self.harm),
            ("alcohol", "Alcohol", self.alcohol),
            ("justice", "The criminal-justice pathway", self.justice),
            ("provision", "Service provision and spend", self.provision),
            ("neighbours", base.NEIGHBOURS_TITLE, self.neighbours),
        ], hint=self.hint)

    def since_last_assessment(self) -> Section:
        """Unmet need, completions, harm and continuity of care of this edition against the earlier edition's."""
        ids = [*UNMET, *COMPLETION_IDS, *HARM]
        return base.since_last_assessment(
            self.ctx, lambda ctx: change.outcome_series(OutcomeSeries(ctx.dataset, ctx.registry, ctx.area), ids),
            what="treatment, recovery and harm")

    def numbers(self) -> Section:
        """Adults in treatment by substance group over time, and new presentations."""
        title, key = "Numbers in treatment", "numbers"
        if not self.members or self.latest_period is None:
            return self._missing(title, key)
        # one decision over every year: the groups add up to the total, published for the latest year
        # (and as the denominators of the completion shares)
        by_total = [("substance_group", "total", GROUPS, ["period"])]
        every = self.rows("in_treatment")
        every = every[(every["area"] == self.area.name) & every["substance_group"].isin(("total", *GROUPS))]
        every = protect_shares(every, self.policy, denominator=None, total_rows=by_total)
        inside = every[every["substance_group"].isin(GROUPS)]
        series = inside[["period", "period_start", "substance_group", "count", "suppressed"]].rename(
            columns={"count": "in_treatment"}).sort_values(["substance_group", "period_start"])
        new = self.rows("new_presentations")
        new = new[(new["area"] == self.area.name) & new["substance_group"].isin(("total", *GROUPS))
                  & (new["period"] == self.latest_period)]
        new = protect_shares(new, self.policy, denominator=None, total_rows=by_total)
        latest = treatment.latest_numbers(every, new, self.latest_period, GROUPS)
        chart = charts.trend_lines(
            series.assign(year=series["period_start"].astype(int)), x="year", y="in_treatment",
            series="substance_group", order=list(GROUPS),
            title=f"Adults in treatment by substance group, {self.area.name}",
            ylabel="Adults in treatment (number)", source=f"{NDTMS_SOURCE}, financial years",
            synthetic=self.synthetic, financial_years=True)
        names = {"period": "Year", "substance_group": "Substance group", "in_treatment": "Adults in treatment",
                 "new_presentations": "New presentations", "share_pct": "Share of adults in treatment (%)"}
        items = [render.chart_html(chart), render.table_html(
            latest.drop(columns="suppressed").rename(columns=names),
            f"Adults in treatment and new presentations, {self.latest_period}",
            synthetic=self.synthetic, formats={names["in_treatment"]: ",.0f", names["new_presentations"]: ",.0f",
                                               names["share_pct"]: ".1f"},
            suppressed_cols=(names["in_treatment"], names["new_presentations"], names["share_pct"]),
            suppressed_rows=latest["suppressed"].tolist())]
        messages = self._numbers_messages(latest, series)
        return Section(title, items, messages, COVERED, {"in_treatment_over_time": series, "latest": latest}, key)

    def _numbers_messages(self, latest: pd.DataFrame, series: pd.DataFrame) -> list[KeyMessage]:
        top = latest.iloc[0]
        if top["in_treatment"] != top["in_treatment"]:
            return []
        groups = latest[latest["substance_group"] != "total"].dropna(subset=["share_pct"])
        text = (f"In {self.latest_period}, {narrative.number(top['in_treatment'], 0)} adults were in treatment "
                f"in {self.area.name}")
        if not groups.empty:
            big = groups.sort_values("in_treatment", ascending=False).iloc[0]
            text += (f"; the largest group was {big['substance_group']} ({narrative.number(big['in_treatment'], 0)}, "
                     f"{narrative.number(big['share_pct'], 1)}%)")
        if top["new_presentations"] == top["new_presentations"]:
            text += f", and {narrative.number(top['new_presentations'], 0)} adults started treatment"
        return [KeyMessage(text + ".", theme="Treatment")]

    def unmet_need(self) -> Section:
        """Proportions of opiate/crack users and dependent drinkers not in treatment (Fingertips)."""
        return self._fingertips_section(
            "Unmet need for treatment", "unmet_need", UNMET,
            f"The data holds no Fingertips estimates of unmet need for treatment for {self.area.name}; "
            f"export them from Fingertips ({self.hint}).")

    def harm(self) -> Section:
        """Harm: drug and alcohol deaths and admissions (Fingertips, ONS), a spine chart, deaths in treatment."""
        title, key = "Drug and alcohol harm", "harm"
        note = ("; standardised rates cannot be combined across a partnership's members, so see each member's page"
                if self.area.members else "")
        section = self._fingertips_section(
            title, key, HARM,
            f"The data holds no Fingertips figures on drug and alcohol deaths or admissions "
            f"for {self.area.name}{note} ({self.hint}).")
        placed = self.spine()
        if placed is not None:
            section.items.insert(0, render.chart_html(placed))
            section.frames["spine"] = placed.data
        deaths = self._deaths_in_treatment()
        if deaths is not None:
            items, frame, messages = deaths
            if not section.shown:
                section = Section(title, coverage=Coverage.partial(section.coverage.note), key=key)
            section.items += items
            section.frames["deaths_in_treatment"] = frame
            section.messages += messages
        elif section.shown and section.coverage.status == "covered":
            section.coverage = Coverage.partial(
                f"Deaths of people in treatment are not shown for {self.area.name}: add the local return "
                f"deaths_in_treatment.csv ({self.hint}).")
        return section

    def _series(self, indicator_id: str, code: str) -> pd.DataFrame:
        """An indicator's series for one area: catalogued ones through the overview, others (ONS) directly."""
        if indicator_id in self._overview.catalogue:
            return self._overview.series(indicator_id, code)
        table = self._all_indicators
        rows = table[(table["indicator_id"] == indicator_id) & (table["area_code"] == code)
                     & table["category_type"].fillna("").eq("") & table["sex"].fillna("Persons").eq("Persons")]
        return rows.sort_values("period_start")

    @cached_property
    def _all_indicators(self) -> pd.DataFrame:
        """Every indicator row the data holds (empty when there is no indicator table)."""
        try:
            return self.ctx.dataset.indicators()
        except MissingDataError:
            from cdp_analysis.sources.schema import INDICATOR_COLUMNS

            return pd.DataFrame(columns=list(INDICATOR_COLUMNS))

    def spine(self) -> charts.Chart | None:
        """The area among all areas of its type for each harm indicator (None when it has no values)."""
        peers = self._overview.peer_codes()  # the overview's set: same type, real or demo alike
        ids = list(HARM)
        catalogued = [i for i in ids if i in self._overview.catalogue]  # read as the overview reads them (by name too)
        table = pd.concat([self._all_indicators[self._all_indicators["indicator_id"].isin(set(ids) - set(catalogued))],
                           self._overview.headline[self._overview.headline["indicator_id"].isin(catalogued)]],
                          ignore_index=True)
        # polarity from each indicator's definition (every harm rate here: low is good), as the overview's
        rows = spine.spine_rows(table, self.area.code, peers, indicators=ids,
                                names={i: HARM[i].chart for i in ids}, area_name=self.area.name,
                                polarity={i: "LowIsGood" if HARM[i].low_is_good else "HighIsGood" for i in ids})
        rows = spine.complete_rows(rows, len(peers))
        if rows.empty:
            return None
        return charts.spine_chart(
            rows, title=f"Harm indicators: {self.area.name} among all {len(peers):,} areas of its type",
            source=f"{FINGERTIPS_SOURCE}; ONS", synthetic=self.synthetic, area=self.area.name)

    def _local(self, name: str) -> pd.DataFrame | None:
        """The area's rows of a local return (summed over a partnership's members), or None."""
        try:
            table = self.ctx.dataset.local(name)
        except MissingDataError:
            return None
        codes = [self.area.code] if self.area.code in set(table["area_code"]) else list(self.area.members)
        own = table[table["area_code"].isin(codes)]
        if own.empty or set(own["area_code"]) != set(codes):
            return None
        return own

    def _deaths_in_treatment(self) -> tuple[list[str], pd.DataFrame, list[KeyMessage]] | None:
        """People who died while in treatment, latest period of the local return, by substance group."""
        own = self._local("deaths_in_treatment")
        if own is None:
            return None
        period, table = treatment.deaths_by_group(own, self.area.name)
        data = self._proportions(table, "substance_group", total="total")
        chart = charts.rate_bars(
            data, label="substance_group", value="value", lower="lower_ci", upper="upper_ci",
            colour="focus_compared", title=f"Deaths of people in treatment as % of all in treatment, {period}",
            xlabel="% of people in treatment who died (95% CI)", source="Local return: deaths in treatment",
            synthetic=self.synthetic, group="substance_group")
        top = data.iloc[0]
        messages = []
        if top["count"] == top["count"] and top["value"] == top["value"]:
            messages.append(KeyMessage(
                f"In {period}, {narrative.number(top['count'], 0)} people died while in treatment in "
                f"{self.area.name}, {narrative.number(top['value'], 1)}% of the "
                f"{narrative.number(top['denominator'], 0)} in treatment.", theme="Harm", key=False))
        return [render.chart_html(chart)], data, messages

    @cached_property
    def _overview(self) -> OutcomeSeries:
        # the outcome indicators' catalogue (resources/indicators.csv) holds 93517 and 93532
        return OutcomeSeries(self.ctx.dataset, self.ctx.registry, self.ctx.area)

    def indicator_table(self, indicators: dict[str, _Indicator]) -> pd.DataFrame:
        """Latest Fingertips value of each indicator for the area, its region and England, compared.

        ``focus_compared`` is the focus area's 95% interval against each comparator's
        value (Fingertips); a count in the suppressed range hides that row's figures.
        """
        overview = self._overview
        codes = [(self.area.name, self.area.code)]
        if overview.region is not None:
            codes.append((overview.region.name, overview.region.code))
        codes.append(("England", ENGLAND_CODE))
        rows = []
        for indicator_id, spec in indicators.items():
            own = self._series(indicator_id, self.area.code).dropna(subset=["value"])
            if own.empty:
                continue
            period = own["period"].iloc[-1]
            for area_name, code in codes:
                found = self._series(indicator_id, code)
                found = found[found["period"] == period]
                if not found.empty:
                    r = found.iloc[0]
                    rows.append({"indicator": spec.chart, "indicator_id": indicator_id, "area": area_name,
                                 "period": period, "count": as_float(r["count"]), "denominator": as_float(r["denominator"]),
                                 "value": float(r["value"]), "lower_ci": as_float(r["lower_ci"]),
                                 "upper_ci": as_float(r["upper_ci"]), "unit": spec.unit})
        if not rows:
            return pd.DataFrame()
        data = pd.DataFrame(rows)
        data["count"] = data["count"].round()
        data["denominator"] = data["denominator"].round()
        data = protect_shares(data, self.policy, derived=("value", "lower_ci", "upper_ci"))
        polarity = {i: "LowIsGood" if spec.low_is_good else "HighIsGood" for i, spec in indicators.items()}
        data["focus_compared"] = treatment.indicator_comparisons(data, self.area.name, polarity)
        return data

    def _fingertips_section(self, title: str, key: str, indicators: dict[str, _Indicator], missing: str) -> Section:
        data = self.indicator_table(indicators)
        if data.empty:
            return missing_section(title, missing, key)
        items, messages = [], []
        for indicator_id, spec in indicators.items():
            part = data[data["indicator_id"] == indicator_id]
            if part.empty:
                continue
            chart = charts.rate_bars(
                part, label="area", value="value", lower="lower_ci", upper="upper_ci", colour="focus_compared",
                title=f"{spec.chart}, {part['period'].iloc[0]}", xlabel=f"{spec.unit} (95% CI)",
                source=FINGERTIPS_SOURCE, synthetic=self.synthetic, highlight=self.area.name)
            items.append(render.chart_html(chart))
            own = part[part["area"] == self.area.name].iloc[0]
            if own["value"] != own["value"]:
                continue
            comparisons = [(r["area"], r["focus_compared"], r["value"]) for _, r in part.iterrows()
                           if r["area"] != self.area.name and r["focus_compared"] != "Not compared"]
            unit = "%" if spec.unit.startswith("%") else spec.unit
            text = narrative.rate_sentence(f"In {self.area.name}, the", spec.words, own["value"], unit,
                                           own["period"], comparisons)
            worse = [c[0] for c in comparisons if c[1] == "Worse"]
            rec = spec.recommendation.format(where=narrative.join_words(worse)) if worse else ""
            rank = narrative.judge(comparisons, own["value"], spec.low_is_good)
            messages.append(KeyMessage(text, rec, "Treatment", rank=rank, subject=indicator_id))
        absent = [spec.chart.lower() for i, spec in indicators.items()
                  if i not in set(data["indicator_id"]) and not i.startswith("ONS-")]  # ONS: only when prepared
        coverage = COVERED if not absent else Coverage.partial(
            f"The data holds no figure on {narrative.join_words(absent)} for {self.area.name}"
            + ("; standardised rates cannot be combined across a partnership's members, so see each member's page."
               if self.area.members else f" ({self.hint}).")
        )
        return Section(title, items, messages, coverage, {key: data}, key)

    def reached(self) -> Section:
        """Who is in treatment: women, age bands, and adults living with children, latest year."""
        title, key = "Who is in treatment", "reached"
        if not self.members or self.latest_period is None:
            return self._missing(title, key)
        total = self.rows("in_treatment")
        total = total[(total["substance_group"] == "total") & (total["period"] == self.latest_period)]
        parts = []
        for label, sex, age in (("women", "female", "total"), ("aged 18 to 29", "total", "18-29"),
                                ("aged 30 to 49", "total", "30-49"), ("aged 50 and over", "total", "50+")):
            part = self.rows("in_treatment", sex=sex, age_group=age)
            part = part[(part["substance_group"] == "total") & (part["period"] == self.latest_period)]
            part = part.drop(columns="denominator").merge(total[["area", "count"]].rename(
                columns={"count": "denominator"}), on="area", how="inner")
            parts.append(part.assign(category=label))
        parental = self.rows("in_treatment", "parental_status")
        parental = parental[(parental["substance_group"] == "total") & (parental["period"] == self.latest_period)
                            & (parental["category"] == "parent living with children")]
        parts.append(parental.assign(category="parents living with children"))
        table = pd.concat(parts, ignore_index=True)[["area", "period", "category", "count", "denominator"]]
        subjects = {c: f"The share of adults in treatment in {self.area.name} who were {c}"
                    for c in dict.fromkeys(table["category"])}
        return self._share_section(
            title, key, table, subjects, (),
            f"The NDTMS export holds no breakdown of adults in treatment for {self.area.name} by sex, age or "
            f"parental status ({self.hint}).",
            f"Adults in treatment by sex, age and parental status, {self.latest_period}",
            "% of adults in treatment (95% CI)", parts=("aged 18 to 29", "aged 30 to 49", "aged 50 and over"),
            judging={"women": (False, True), "parents living with children": (False, True)})

    def _share_section(self, title: str, key: str, table: pd.DataFrame, subjects: dict[str, str],
                       always_key: tuple[str, ...], missing: str, chart_title: str, xlabel: str,
                       period: str | None = None, theme: str = "Treatment", parts: tuple[str, ...] | None | Literal[False] = False,
                       total: str | None = None, judging: dict[str, tuple[bool, bool]] | None = None,
                       against: str | None = None) -> Section:
        """Shares by category with Wilson intervals, compared; a chart and one sentence per category.

        ``subjects`` maps each category to the start of its sentence; a message goes into
        the key messages when it is a finding or its category is in ``always_key``.
        ``judging`` maps a category to ``(low_is_good, reach)``: how a significant
        difference is a finding (:func:`cdp_analysis.report.narrative.judge`); a category not
        in it is context, whatever it differs from (a mix of people is not a finding).
        ``against`` judges only against that comparator (the area's own residents)
        and keeps only a group reached less than its need as a finding. ``parts`` and
        ``total`` say which rows add up to which (:meth:`_proportions`), for disclosure control.
        """
        when = period or self.latest_period
        if when is None or table.loc[table["area"] == self.area.name, "count"].isna().all():
            return missing_section(title, missing, key)  # no year to date a figure by, or no figure
        data = self._proportions(table, "category", parts=parts, total=total)
        chart = charts.rate_bars(
            data.assign(label=data["category"] + ": " + data["area"]), label="label", value="value",
            lower="lower_ci", upper="upper_ci", colour="focus_compared", title=chart_title, xlabel=xlabel,
            source=NDTMS_SOURCE, synthetic=self.synthetic, focus=self.area.name, group="category")
        messages = []
        for category, subject in subjects.items():
            found = self._compare_message(data, "category", category)
            if found is None:
                continue
            comparisons, value = found
            if against is not None:  # the area's own residents first: the comparison that judges reach
                comparisons = sorted(comparisons, key=lambda c: c[0] != against)
            text = narrative.rate_sentence(subject, "", value, "%", when,
                                           comparisons).replace("  was", " was")
            rank = narrative.RANK_CONTEXT
            if judging and category in judging:
                low_is_good, reach = judging[category]
                judged = [c for c in comparisons if against is None or c[0] == against]
                rank = narrative.judge(judged, value, low_is_good, reach=reach)
                if against is not None and rank < narrative.RANK_REACHED_LESS:
                    rank = narrative.RANK_CONTEXT
            messages.append(KeyMessage(text, theme=theme, key=rank > 0 or category in always_key, rank=rank))
        return Section(title, [render.chart_html(chart)], messages, COVERED, {key: data}, key)

    def completions(self) -> Section:
        """Successful completions by substance group, latest year, against all LAs; funnel plot."""
        title, key = "Successful completions", "completions"
        if not self.members or self.latest_period is None:
            return self._missing(title, key)
        exits = self.rows("exits", "exit_reason")
        exits = exits[(exits["category"] == "successful completion") & (exits["period"] == self.latest_period)
                      & exits["substance_group"].isin(("total", *GROUPS))]
        data = self._proportions(exits[["area", "period", "substance_group", "count", "denominator"]],
                                 "substance_group", total="total")
        if data.loc[data["area"] == self.area.name, "count"].isna().all():
            return missing_section(title, f"The NDTMS export holds no successful completions for {self.area.name} "
                                          f"in {self.latest_period} ({self.hint}).", key)
        neighbours, values = self.ctx.registry.neighbour_group(self.area.code), self.neighbour_values()
        data = base.with_neighbour_averages(data, "substance_group", self.area, neighbours, values, policy=self.policy)
        items, frames = [], {"completions": data}
        bars = data.assign(label=data["substance_group"] + ": " + data["area"])
        chart = charts.rate_bars(
            bars, label="label", value="value", lower="lower_ci", upper="upper_ci", colour="focus_compared",
            title=f"Successful completions as % of adults in treatment, {self.latest_period}",
            xlabel="% completing treatment successfully (95% CI)", source=NDTMS_SOURCE, synthetic=self.synthetic,
            focus=self.area.name, group="substance_group", **base.neighbour_marks(
                bars, neighbours, self.area, values, label="label", by="substance_group", policy=self.policy))
        items.append(render.chart_html(chart))
        funnel = self._funnel()
        if funnel is not None:  # described only where drawn
            items.append(render.method_note(
                "The funnel plot places every local authority's successful completion rate against its number of "
                "adults in treatment: points outside the 99.8% limits differ from the average by more than chance "
                "would explain."))
            items.append(render.chart_html(funnel))
            frames["funnel"] = funnel.data
        messages = []
        for group in ("total", *GROUPS):
            found = self._compare_message(data, "substance_group", group)
            if found is None:
                continue
            comparisons, value = found
            what = "all adults" if group == "total" else f"the {group} group"
            text = narrative.rate_sentence(
                f"The successful completion rate for {what} in", self.area.name, value, "%", self.latest_period,
                comparisons)
            lower = [c[0] for c in comparisons if c[1] == "Lower"]
            low = bool(lower)
            rec = (f"Review treatment outcomes for {what}: significantly fewer complete successfully than "
                   f"in {narrative.join_words(lower)}." if low else "")
            rank = narrative.judge(comparisons, value, low_is_good=False)
            messages.append(KeyMessage(text, rec, "Recovery", key=group == "total" or low, rank=rank))
        return Section(title, items, messages, COVERED, frames, key)

    def neighbour_values(self) -> pd.DataFrame:
        """Successful completions (% of adults in treatment) by substance group, latest year: the area
        (a partnership's members summed) and each neighbour the NDTMS export holds."""
        group = self.ctx.registry.neighbour_group(self.area.code)
        exits = self._ndtms(["area_code", "substance_group", "count", "denominator"], measure="exits",
                            category="successful completion", period=self.latest_period, sex="total",
                            age_group="total")
        exits = exits[exits["substance_group"].isin(("total", *GROUPS))]
        return treatment.summed_shares(exits, [(self.area.code, self.members),
                                               *((n.code, [n.code]) for n in group.areas)])

    def neighbours(self) -> Section:
        """Successful completions among the area's neighbour group (:func:`base.neighbour_section`)."""
        title, key = base.NEIGHBOURS_TITLE, "neighbours"
        if not self.members or self.latest_period is None:
            return self._missing(title, key)
        group = self.ctx.registry.neighbour_group(self.area.code)
        measures = [base.NeighbourMeasure(
            g, f"Successful completions, {'all substances' if g == 'total' else g} (% of adults in treatment)",
            f"successful completion rate ({'all substances' if g == 'total' else g})", "%", "HighIsGood",
            self.latest_period, "Recovery") for g in ("total", *GROUPS)]
        names = {a.code: a.name for a in [self.area, *group.areas]}
        return base.neighbour_section(self.area, group, self.neighbour_values(), measures, names=names,
                                      synthetic=self.synthetic, source=NDTMS_SOURCE, policy=self.policy)

    def _funnel(self) -> charts.Chart | None:
        """All local authorities' successful completion rate (all substances) on a funnel plot."""
        if self.latest_period is None:
            return None
        exits = self._ndtms(measure="exits", category="successful completion",
                            substance_group="total", period=self.latest_period, sex="total", age_group="total")
        points = treatment.funnel_points(exits, self.area.code, self.area.name, self.members)
        if len(points) < 3:
            return None
        limits = stats.funnel_limits(points, "count", "denominator", statistic="proportion", multiplier=100)
        points = protect_shares(points, self.policy, derived=("value",))
        return charts.funnel_plot(
            points, limits, x="denominator", y="value", label="area", highlight=self.area.name,
            title=f"Successful completions (all substances) by local authority, {self.latest_period}",
            xlabel="Adults in treatment (number)", ylabel="% completing successfully", source=NDTMS_SOURCE,
            synthetic=self.synthetic)

    def access(self) -> Section:
        """Referral sources and waiting times of new presentations, latest year, against all LAs."""
        title, key = "Referrals and waiting times", "access"
        if not self.members or self.latest_period is None:
            return self._missing(title, key)
        parts = []
        for breakdown, categories in (("referral_source", REFERRALS), ("wait_first_intervention", ("under 3 weeks",))):
            rows = self.rows("new_presentations", breakdown)
            rows = rows[(rows["substance_group"] == "total") & (rows["period"] == self.latest_period)]
            if breakdown == "wait_first_intervention":  # share of recorded waits: waits count interventions
                rows["denominator"] = rows.groupby("area")["count"].transform(lambda c: c.sum(min_count=1))
            rows = rows[rows["category"].isin(categories)]
            parts.append(rows[["area", "period", "category", "count", "denominator"]])
        table = pd.concat(parts, ignore_index=True)
        start = f"The share of new presentations in {self.area.name} that"
        subjects = {c: f"{start} were referred by {c}" for c in REFERRALS}
        subjects["under 3 weeks"] = f"{start} waited under 3 weeks for their first intervention (of waits recorded)"
        return self._share_section(
            title, key, table, subjects, ("criminal justice", "under 3 weeks"),
            f"The NDTMS export holds no referral or waiting-time counts for {self.area.name} ({self.hint}).",
            f"New presentations by referral source, and waits under 3 weeks, {self.latest_period}",
            "% of new presentations (95% CI)",
            judging={"criminal justice": (False, True), "under 3 weeks": (False, False)})

    # outcomes, young people, who is reached ------------------------------------
    def outcomes(self) -> Section:
        """Re-presentations within six months of a successful completion, and length in treatment at exit."""
        title, key = "Re-presentations and length in treatment", "outcomes"
        if not self.members or self.latest_period is None:
            return self._missing(title, key)
        again = self.rows("scnr_representations")
        again = again[again["substance_group"].isin(("total", *GROUPS))]
        held = again[(again["area"] == self.area.name) & again["count"].notna()]
        parts: list[Section] = []
        if not held.empty:
            period = str(held.sort_values("period_start")["period"].iloc[-1])
            again = again[again["period"] == period].assign(
                category=lambda d: d["substance_group"].map(lambda g: "all substances" if g == "total" else g))
            subjects = {c: f"The share of successful completions ({c}) in {self.area.name} who re-presented "
                           f"within six months" for c in dict.fromkeys(again["category"])}
            parts.append(self._share_section(
                title, key, again[["area", "period", "category", "count", "denominator"]], subjects,
                ("all substances",), "No re-presentation counts.", f"Successful completions re-presenting within six months, {period}",
                "% of successful completions (95% CI)", period=period, theme="Recovery",
                total="all substances", judging=dict.fromkeys(subjects, (True, False))))
        length = self.rows("exits", "length_in_treatment")
        length = length[(length["substance_group"] == "total") & (length["period"] == self.latest_period)].copy()
        length["denominator"] = length.groupby("area")["count"].transform(lambda c: c.sum(min_count=1))
        if not length.loc[length["area"] == self.area.name, "count"].isna().all():
            subjects = {c: f"The share of adults leaving treatment in {self.area.name} after {c} in treatment"
                        for c in ("under 1 year", "1 to 2 years", "2 to 4 years", "4 to 6 years", "over 6 years")
                        if c in set(length["category"])}
            parts.append(self._share_section(
                title, "length", length[["area", "period", "category", "count", "denominator"]], subjects,
                ("over 6 years",), "No length-in-treatment counts.", f"Adults leaving treatment by length of time in treatment, "
                f"{self.latest_period}", "% of exits (95% CI)", theme="Recovery", parts=None))
        parts = [p for p in parts if p.shown]
        if not parts:
            return missing_section(title, f"The NDTMS export holds no re-presentation or length-in-treatment "
                                          f"counts for {self.area.name} ({self.hint}).", key)
        frames = {("representations" if p.key == key else "length_in_treatment"): p.frames[p.key] for p in parts}
        coverage = COVERED if len(parts) == 2 else Coverage.partial(
            f"The NDTMS export holds only part of this section for {self.area.name} ({self.hint}).")
        return Section(title, [i for p in parts for i in p.items], [m for p in parts for m in p.messages],
                       coverage, frames, key)

    def young_people(self) -> Section:
        """Young people (under 18) in specialist treatment, by main substance and referral source (local return)."""
        title, key = "Young people in treatment", "young_people"
        own = self._local("young_people_treatment")
        if own is None:
            return missing_section(
                title, f"Neither the NDTMS export nor a local return holds young people in treatment for "
                       f"{self.area.name}; add the local return young_people_treatment.csv from the NDTMS young "
                       f"people's report ({self.hint}).", key)
        period, shares = treatment.breakdown_shares(own, self.area.name)
        # the categories of each breakdown add up to its published denominator (secondary suppression)
        data = protect_shares(shares, self.policy, derived=("value", "lower_ci", "upper_ci"),
                              parts_of_denominator=(["breakdown"], None, "category"))
        data = data.sort_values(["breakdown", "value"], ascending=[True, False]).reset_index(drop=True)
        data["focus_compared"] = "Focus area"
        items, messages = [], []
        for breakdown, part in data.groupby("breakdown", sort=True):
            chart = charts.rate_bars(
                part, label="category", value="value", lower="lower_ci", upper="upper_ci", colour="focus_compared",
                title=f"Young people in treatment by {breakdown}, {self.area.name}, {period}",
                xlabel="% of young people in treatment (95% CI)", source="Local return: young people in treatment",
                synthetic=self.synthetic, note="breakdown")
            items.append(render.chart_html(chart))
            top = part.dropna(subset=["value"])
            if not top.empty and not part["suppressed"].any():
                first = top.iloc[0]
                messages.append(KeyMessage(
                    f"In {period}, {narrative.number(first['denominator'], 0)} young people were in specialist "
                    f"treatment in {self.area.name}; the most common {breakdown} was {first['category']} "
                    f"({narrative.number(first['value'], 1)}%).", theme="Young people", key=breakdown == "main substance"))
            elif not top.empty:
                first = top.iloc[0]
                messages.append(KeyMessage(
                    f"In {period}, the most common {breakdown} of young people in specialist treatment in "
                    f"{self.area.name} was {first['category']} ({narrative.number(first['value'], 1)}%).",
                    theme="Young people", key=False))
        return Section(title, items, messages, COVERED, {key: data}, key)

    def ethnicity(self) -> Section:
        """Adults in treatment by ethnic group against the area's residents (Census 2021) and England."""
        title, key = "Ethnicity of adults in treatment", "ethnicity"
        if not self.members or self.latest_period is None:
            return self._missing(title, key)
        rows = self.rows("in_treatment", "ethnicity")
        rows = rows[(rows["substance_group"] == "total") & (rows["period"] == self.latest_period)].copy()
        rows["denominator"] = rows.groupby("area")["count"].transform(lambda c: c.sum(min_count=1))
        residents = self._residents()
        table = rows[["area", "period", "category", "count", "denominator"]]
        if not residents.empty:
            table = pd.concat([table, residents], ignore_index=True)
        subjects = {c: f"The share of adults in treatment in {self.area.name} from the {c} ethnic group"
                    for c in ETHNIC_GROUPS if c in set(rows["category"])}
        section = self._share_section(
            title, key, table, subjects, (),
            f"The NDTMS export holds no ethnicity of adults in treatment for {self.area.name} ({self.hint}).",
            f"Adults in treatment by ethnic group (of those recorded), {self.latest_period}",
            "% (95% CI)", parts=None, judging=dict.fromkeys(subjects, (False, True)), against=RESIDENTS)
        if section.shown:
            data = section.frames[key]
            data["ratio_to_residents"] = treatment.ratio_to_residents(data, self.area.name, RESIDENTS)
            if residents.empty:
                section.coverage = Coverage.partial(
                    f"The data holds no Census 2021 ethnic group counts for {self.area.name}, so adults in "
                    f"treatment are compared with England only ({self.hint}).")
        return section

    def _residents(self) -> pd.DataFrame:
        """Census 2021 residents of the area by the five ethnic groups (empty without Census data)."""
        columns = ["area", "period", "category", "count", "denominator"]
        try:
            census = self.ctx.dataset.census()
        except MissingDataError:
            return pd.DataFrame(columns=columns)
        return treatment.residents_by_group(census, list(self.area.members) or [self.area.code], RESIDENTS)

    def circumstances(self) -> Section:
        """Housing need and employment of adults starting treatment, latest year, against England."""
        title, key = "Housing and employment at the start of treatment", "circumstances"
        if not self.members or self.latest_period is None:
            return self._missing(title, key)
        parts = []
        for breakdown, categories in (("housing", ("urgent housing problem", "housing problem")),
                                      ("employment", ("regular employment", "unemployed or economically inactive",
                                                      "long-term sick or disabled"))):
            part = self.rows("new_presentations", breakdown)
            part = part[(part["substance_group"] == "total") & (part["period"] == self.latest_period)
                        & part["category"].isin(categories)]
            parts.append(part[["area", "period", "category", "count", "denominator"]])
        table = pd.concat(parts, ignore_index=True)
        start = f"The share of adults starting treatment in {self.area.name}"
        subjects = {"urgent housing problem": f"{start} with an urgent housing problem",
                    "housing problem": f"{start} with a housing problem (not urgent)",
                    "regular employment": f"{start} in regular employment",
                    "unemployed or economically inactive": f"{start} unemployed or economically inactive",
                    "long-term sick or disabled": f"{start} long-term sick or disabled"}
        return self._share_section(
            title, key, table, subjects, ("urgent housing problem", "regular employment"),
            f"The NDTMS export holds no housing or employment counts for {self.area.name} ({self.hint}).",
            f"Housing need and employment of adults starting treatment, {self.latest_period}",
            "% of new presentations (95% CI)")

    def deprivation(self) -> Section:
        """Slope index of inequality across deprivation deciles for the chapter's Fingertips indicators."""
        title, key = "Deprivation and inequality", "deprivation"
        from cdp_analysis.sources.fingertips import deprivation_rows

        ids = [*UNMET, *HARM]
        table = self._all_indicators[self._all_indicators["indicator_id"].isin(ids)]
        rows = deprivation_rows(table) if not table.empty else table
        code = self.area.code if self.area.code in set(rows.get("area_code", [])) else ENGLAND_CODE
        rows = rows[rows["area_code"] == code] if not rows.empty else rows
        specs = {indicator_id: (spec.chart, spec.unit) for indicator_id, spec in {**UNMET, **HARM}.items()}
        data = treatment.deprivation_gaps(rows, specs, self.ctx.registry.get(code).name) if not rows.empty \
            else pd.DataFrame()
        if data.empty:
            return missing_section(
                title, f"The data holds no Fingertips rows by deprivation decile for this chapter's indicators, so "
                       f"the slope index of inequality cannot be shown for {self.area.name}; export the indicators "
                       f"from Fingertips with the deprivation breakdown ({self.hint}).", key)
        chart = charts.rate_bars(
            data.assign(focus_compared="Not compared"), label="indicator", value="sii", lower="sii_lower_ci",
            upper="sii_upper_ci", colour="focus_compared",
            title=f"Slope index of inequality, most minus least deprived, {data['area'].iloc[0]}",
            xlabel="Gap between most and least deprived (units of each indicator, 95% CI)",
            source=FINGERTIPS_SOURCE, synthetic=self.synthetic)
        messages = []
        for _, r in data.iterrows():
            significant = r["sii_lower_ci"] > 0 or r["sii_upper_ci"] < 0
            messages.append(KeyMessage(
                f"{r['indicator']} in {r['area']} ({r['period']}): the slope index of inequality is "
                f"{narrative.number(r['sii'], 1)} {r['unit']} between the most and least deprived"
                + (" (significant)." if significant else " (not significant)."), theme="Inequality",
                key=bool(significant), rank=narrative.RANK_CONCENTRATION if significant else narrative.RANK_CONTEXT))
        return Section(title, [render.chart_html(chart)], messages, COVERED, {key: data}, key)

    # alcohol, the criminal-justice pathway and service provision ------------------------------------------------
    def alcohol(self) -> Section:
        """Alcohol: alcohol-specific deaths and completions (Fingertips), and estimated dependent drinkers against
        adults in treatment for alcohol (OHID estimates and NDTMS). Admissions are in the harm section."""
        title, key = "Alcohol", "alcohol"
        section = self._fingertips_section(
            title, key, ALCOHOL, f"The data holds no Fingertips figures on alcohol-specific deaths or alcohol "
                                 f"treatment completions for {self.area.name} ({self.hint}).")
        need = self._alcohol_need()
        if need is None:
            if section.shown:
                note = (f"Estimates of alcohol-dependent adults are not in the data for {self.area.name}: add the "
                        f"OHID estimates of alcohol dependence ({self.hint}).")
                section.coverage = Coverage.partial(
                    note if section.coverage.status == "covered" else f"{section.coverage.note} {note}")
            return section
        items, frame, messages = need
        if not section.shown:
            section = Section(title, coverage=Coverage.partial(section.coverage.note), key=key)
        section.items += items
        section.frames["alcohol_dependence"] = frame
        section.messages = messages + section.messages
        return section

    def _alcohol_need(self) -> tuple[list[str], pd.DataFrame, list[KeyMessage]] | None:
        """Estimated alcohol-dependent adults, adults in treatment for alcohol, and the share not in treatment."""
        estimates = self._ndtms(["area_code", "period", "value", "lower_ci", "upper_ci"],
                                measure="alcohol_dependent_adults")
        if estimates.empty:
            return None
        rows = pathways.alcohol_need_by_area(estimates, self.rows("in_treatment"),
                                             [(self.area.name, self.members), ("England", [ENGLAND_CODE])])
        if not rows or rows[0]["area"].iloc[0] != self.area.name:
            return None
        data = pd.concat(rows, ignore_index=True)
        data = protect_shares(data, self.policy, count="in_treatment", denominator=None,
                              derived=("not_in_treatment_pct", "not_in_treatment_lower", "not_in_treatment_upper"))
        own = data[data["area"] == self.area.name]
        both = own.dropna(subset=["not_in_treatment_pct"])
        last = (both if not both.empty else own).iloc[-1]
        period = str(last["period"])
        shown = data[data["period"] == period][["area", "period", "estimate", "estimate_lower", "estimate_upper",
                                                "in_treatment", "not_in_treatment_pct", "not_in_treatment_lower",
                                                "not_in_treatment_upper", "suppressed"]]
        display = pd.DataFrame({
            "Area": shown["area"], "Period": shown["period"],
            "Estimated alcohol-dependent adults (95% CI)": [
                f"{narrative.number(r['estimate'], 0)}" + (
                    f" ({narrative.number(r['estimate_lower'], 0)} to {narrative.number(r['estimate_upper'], 0)})"
                    if r["estimate_lower"] == r["estimate_lower"] else "") for _, r in shown.iterrows()],
            "Adults in treatment for alcohol": shown["in_treatment"],
            "Not in treatment, % (range from the estimate's interval)": [
                f"{narrative.number(r['not_in_treatment_pct'], 0)}%" + (
                    f" ({narrative.number(r['not_in_treatment_lower'], 0)}% to "
                    f"{narrative.number(r['not_in_treatment_upper'], 0)}%)"
                    if r["not_in_treatment_lower"] == r["not_in_treatment_lower"] else "")
                if r["not_in_treatment_pct"] == r["not_in_treatment_pct"] else "–" for _, r in shown.iterrows()]})
        item = render.table_html(
            display, f"Estimated alcohol-dependent adults and adults in treatment for alcohol, {period}",
            synthetic=self.synthetic, formats={"Adults in treatment for alcohol": ",.0f"},
            suppressed_cols=("Adults in treatment for alcohol",),
            suppressed_rows=list(shown["suppressed"]))
        text = (f"In {period}, an estimated {narrative.number(last['estimate'], 0)} adults in {self.area.name} were "
                "dependent on alcohol")
        if last["estimate_lower"] == last["estimate_lower"]:
            text += (f" (likely between {narrative.number(last['estimate_lower'], 0)} and "
                     f"{narrative.number(last['estimate_upper'], 0)})")
        rec = ""
        if last["not_in_treatment_pct"] == last["not_in_treatment_pct"]:
            text += (f"; {narrative.number(last['in_treatment'], 0)} adults were in treatment for alcohol, so about "
                     f"{narrative.number(last['not_in_treatment_pct'], 0)}% were not in treatment")
            if last["not_in_treatment_lower"] == last["not_in_treatment_lower"]:
                text += (f" ({narrative.number(last['not_in_treatment_lower'], 0)}% to "
                         f"{narrative.number(last['not_in_treatment_upper'], 0)}% given the estimate's interval)")
            england = data[(data["area"] == "England") & (data["period"] == period)].dropna(
                subset=["not_in_treatment_pct"])
            if not england.empty:
                text += f", against {narrative.number(england['not_in_treatment_pct'].iloc[0], 0)}% in England"
                if last["not_in_treatment_lower"] > england["not_in_treatment_pct"].iloc[0]:
                    rec = ("Plan how to reach more dependent drinkers: even the lowest estimate of the share not in "
                           "treatment is above England's.")
        else:
            text += "; the data holds no count of adults in treatment for alcohol for the same year"
        message = KeyMessage(text + ".", rec, "Alcohol", rank=narrative.RANK_CONTEXT if not rec else None)
        frame = data.drop(columns=[c for c in ("denominator_suppressed",) if c in data])
        return [item], frame, [message]

    def justice(self) -> Section:
        """The criminal-justice pathway: continuity of care after prison (Fingertips, or the local return),
        community sentence treatment requirements and drug testing on arrest (local returns)."""
        title, key = "The criminal-justice pathway", "justice"
        section = self._fingertips_section(
            title, key, JUSTICE, f"The data holds no Fingertips figure on continuity of care after prison for "
                                 f"{self.area.name}")
        parts: list[str] = []
        lacking: list[str] = []
        if not section.shown:  # the local return stands in for the Fingertips figure
            local = self._local_share("continuity_of_care", "Continuity of care after prison (local return)",
                                      "% of adults released with a treatment need")
            if local is None:
                lacking.append("continuity of care (the Fingertips indicator or the local return continuity_of_care)")
            else:
                parts.append("continuity")
                section = Section(title, key=key)
                section.items += local[0]
                section.frames["continuity_of_care"] = local[1]
                section.messages += local[2]
        for frame_name, found, missing in (
                ("treatment_requirements", self._requirements(),
                 "community sentence treatment requirements (local return community_sentence_treatment)"),
                ("drug_testing_on_arrest", self._local_share("drug_testing_on_arrest", "Drug testing on arrest",
                                                             "% of tests or assessments"),
                 "drug testing on arrest (local return drug_testing_on_arrest)"),
                ("proven_reoffending", self._reoffending(),
                 "proven reoffending (the Ministry of Justice's figures by local authority)")):
            if found is None:
                lacking.append(missing)
                continue
            section = section if section.shown else Section(title, key=key)
            section.items += found[0]
            section.frames[frame_name] = found[1]
            section.messages += found[2]
        if not section.shown:
            return missing_section(title, f"The data holds nothing on the criminal-justice pathway for "
                                          f"{self.area.name}: it needs {narrative.join_words(lacking)} ({self.hint}).",
                                   key)
        if lacking:
            section.coverage = Coverage.partial(f"Not shown for {self.area.name}: {narrative.join_words(lacking)} "
                                                f"({self.hint}).")
        return section

    def _local_values(self, name: str) -> pd.DataFrame | None:
        """The latest values of a local return for the area, disclosure-controlled (None without rows)."""
        values = framework.local_values(self._local(name), name)
        if values.empty:
            return None
        return protect_shares(values, self.policy, derived=("value",))

    def _local_share(self, name: str, title: str, unit: str) -> tuple[list[str], pd.DataFrame, list[KeyMessage]] | None:
        """A local return's latest figures as a table and one sentence each (the counts, of what, and the share)."""
        values = self._local_values(name)
        if values is None:
            return None
        period = str(values["period"].iloc[0])
        display = pd.DataFrame({
            "Measure": values["measure"], "Count": values["count"], "Of": values["denominator"],
            "%": values["value"]})
        item = render.table_html(display, f"{title}, {period} (local return)", synthetic=self.synthetic,
                                 formats={"Count": ",.0f", "Of": ",.0f", "%": ".1f"},
                                 suppressed_cols=("Count", "%"), suppressed_rows=list(values["suppressed"]))
        messages = []
        for _, r in values.iterrows():
            if r["value"] != r["value"] or r["denominator"] != r["denominator"]:
                continue
            messages.append(KeyMessage(
                f"{r['measure']} in {self.area.name}, {period}: {narrative.number(r['count'], 0)} of "
                f"{narrative.number(r['denominator'], 0)} ({narrative.number(r['value'], 1)}%).",
                theme="Criminal justice", rank=narrative.RANK_CONTEXT))
        return [item], values.drop(columns=["people", "denominator_suppressed"], errors="ignore"), messages

    def _reoffending(self) -> tuple[list[str], pd.DataFrame, list[KeyMessage]] | None:
        """Proven reoffending of adult and juvenile offenders, the latest cohort years, against England."""
        try:
            table = self.ctx.dataset.reoffending()
        except MissingDataError:
            return None
        data = supporting.reoffending_comparison(table, self.area.code, list(self.area.members))
        if data.empty:
            return None
        data = protect_shares(data, self.policy, derived=("value", "lower_ci", "upper_ci"))
        hidden = data["suppressed"].to_numpy() | data["denominator_suppressed"].to_numpy()
        data.loc[hidden, "compared"] = "Not compared"
        kinds = {"adult": "Adults", "juvenile": "Juveniles (10 to 17)"}
        display = pd.DataFrame({
            "Offenders": data["offender_type"].map(kinds), "Cohort year": data["period"],
            "Offenders in the cohort": data["denominator"], "Reoffended within a year": data["count"],
            "%": data["value"], "Lower 95% CI": data["lower_ci"], "Upper 95% CI": data["upper_ci"],
            "England %": data["england"], "Compared with England": data["compared"]})
        item = render.table_html(
            display, f"Proven reoffending: offenders in {self.area.name} who reoffended within a year, by cohort "
                     "year (Ministry of Justice)", synthetic=self.synthetic,
            formats={"Offenders in the cohort": ",.0f", "Reoffended within a year": ",.0f", "%": ".1f",
                     "Lower 95% CI": ".1f", "Upper 95% CI": ".1f", "England %": ".1f"},
            suppressed_cols=("Offenders in the cohort", "Reoffended within a year", "%", "Lower 95% CI",
                             "Upper 95% CI"), suppressed_rows=list(hidden))
        messages = []
        for kind, label in (("adult", "adult"), ("juvenile", "juvenile")):
            rows = data[(data["offender_type"] == kind)].dropna(subset=["value"])
            if rows.empty:
                continue
            r = rows.iloc[-1]
            versus = ("" if r["england"] != r["england"] else
                      f", {_COMPARED_WORDS.get(str(r['compared']), 'against')} England's "
                      f"{narrative.number(r['england'], 1)}%")
            messages.append(KeyMessage(
                f"Of the {narrative.number(r['denominator'], 0)} {label} offenders in {self.area.name}'s "
                f"{r['period']} cohorts, {narrative.number(r['count'], 0)} ({narrative.number(r['value'], 1)}%, "
                f"95% CI {narrative.number(r['lower_ci'], 1)}% to {narrative.number(r['upper_ci'], 1)}%) "
                f"reoffended within a year{versus}.",
                "Offer drug and alcohol assessment to offenders on probation and leaving custody."
                if kind == "adult" and r["compared"] == "Higher" else "",
                theme="Criminal justice",
                rank=narrative.RANK_WORSE if r["compared"] == "Higher" else narrative.RANK_CONTEXT))
        return [item], data, messages

    def _requirements(self) -> tuple[list[str], pd.DataFrame, list[KeyMessage]] | None:
        """Community sentence treatment requirements of the latest period, by requirement."""
        rows = pathways.requirement_rows(self._local("community_sentence_treatment"))
        if rows.empty:
            return None
        data = protect_shares(rows, self.policy, derived=("value",))
        made = protect_shares(rows.assign(count=rows["made"]), self.policy, denominator=None)
        data["made"] = made["count"].to_numpy()
        period = str(data["period"].iloc[0])
        display = pd.DataFrame({"Requirement": [f"{r} ({s})" for r, s in zip(data["requirement"], data["short"],
                                                                            strict=True)],
                                "Made": data["made"], "Ended": data["denominator"], "Completed": data["count"],
                                "Completed, % of ended": data["value"]})
        item = render.table_html(display, f"Community sentence treatment requirements, {period} (local return)",
                                 synthetic=self.synthetic,
                                 formats={"Made": ",.0f", "Ended": ",.0f", "Completed": ",.0f",
                                          "Completed, % of ended": ".1f"},
                                 suppressed_cols=("Made", "Ended", "Completed", "Completed, % of ended"),
                                 suppressed_rows=list(data["suppressed"].to_numpy() | made["suppressed"].to_numpy()
                                                      | data["denominator_suppressed"].to_numpy()))
        shown = data.dropna(subset=["value"])
        messages = []
        if not shown.empty:
            parts = [f"{narrative.number(r['value'], 0)}% of {r['short']}s" for _, r in shown.iterrows()]
            messages.append(KeyMessage(
                f"Of the community sentence treatment requirements that ended in {period} in {self.area.name}, "
                f"{narrative.join_words(parts)} were completed.", theme="Criminal justice",
                rank=narrative.RANK_CONTEXT))
        return [item], data.drop(columns=["denominator_suppressed"], errors="ignore"), messages

    def provision(self) -> Section:
        """Service provision: treatment funding by stream (local return budgets), spent against allocated, and
        the spend per adult in treatment."""
        title, key = "Service provision and spend", "provision"
        rows = self._local("budgets")
        adults = self._adults_in_treatment()
        if adults is not None and self.policy.primary(pd.Series([adults[0]])).any():
            adults = None  # a number in the suppressed range is not published, nor a spend per person made from it
        data = pathways.spend_rows(rows, adults[0] if adults else None)
        if data.empty:
            return missing_section(title, f"The partnership's treatment budget is not in the data for "
                                          f"{self.area.name}: add the local return budgets ({self.hint}).", key)
        period = str(data["period"].iloc[0])
        display = pd.DataFrame({"Funding stream": data["funding_stream"], "Allocated (£)": data["allocated_gbp"],
                                "Spent (£)": data["spent_gbp"], "Spent, % of allocated": data["spent_pct"]})
        item = render.table_html(display, f"Drug and alcohol treatment funding, {period} (local return)",
                                 synthetic=self.synthetic, formats={"Allocated (£)": ",.0f", "Spent (£)": ",.0f",
                                                                    "Spent, % of allocated": ".1f"})
        total = data[data["funding_stream"] == "total"].iloc[0]
        streams = data[data["funding_stream"] != "total"]
        messages = []
        if total["spent_gbp"] == total["spent_gbp"]:
            text = (f"In {period}, {self.area.name} spent £{narrative.number(total['spent_gbp'], 0)} on drug and "
                    "alcohol treatment")
            if total["spent_pct"] == total["spent_pct"]:
                text += f", {narrative.number(total['spent_pct'], 1)}% of the £" \
                        f"{narrative.number(total['allocated_gbp'], 0)} allocated"
            if total["spend_per_adult"] == total["spend_per_adult"] and adults is not None:
                text += (f"; that is £{narrative.number(total['spend_per_adult'], 0)} for each of the "
                         f"{narrative.number(adults[0], 0)} adults in treatment ({adults[1]})")
            under = streams[streams["spent_pct"] < 90]
            rec = (f"Review the {narrative.join_words(list(under['funding_stream']))} with commissioners: less than "
                   "90% of the allocation was spent." if not under.empty else "")
            messages.append(KeyMessage(text + ".", rec, "Service provision", rank=narrative.RANK_CONTEXT))
        coverage = COVERED if adults is not None else Coverage.partial(
            f"The spend per adult in treatment is not shown: the data holds no number of adults in treatment for "
            f"{self.area.name} in {period} ({self.hint}).")
        return Section(title, [item], messages, coverage, {"provision": data}, key)

    def _adults_in_treatment(self) -> tuple[float, str] | None:
        """Adults in treatment in the budget's latest period: the local return, else the NDTMS export."""
        budgets = self._local("budgets")
        if budgets is None:
            return None
        period = framework.latest_period(budgets)
        numbers = self._local("treatment_numbers")
        if numbers is not None:
            own = numbers[(numbers["period"].astype(str) == period)
                          & (numbers["age_group"].astype(str) == "adult")]["count"].astype(float)
            if not own.empty and own.notna().all():
                return float(own.sum()), "local return"
        rows = self.rows("in_treatment")
        own = rows[(rows["area"] == self.area.name) & (rows["substance_group"] == "total")
                   & (rows["period"] == period)].dropna(subset=["count"])
        if not own.empty:
            return float(own["count"].iloc[0]), "NDTMS"
        return None


_COMPARED_WORDS = {"Higher": "significantly higher than", "Lower": "significantly lower than",
                   "Similar": "similar to"}


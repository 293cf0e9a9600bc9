"""Chapter 1, "Break drug supply chains": each section's figures, tables and words.

The notebook ``01_supply.ipynb`` only calls these methods and displays what they
return, so every number it shows is computed (and tested) here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import pandas as pd

from cdp_analysis import stats
from cdp_analysis.chapters import base
from cdp_analysis.chapters.base import Section, missing_section
from cdp_analysis.chapters.context import ChapterContext
from cdp_analysis.errors import DataShortfallError, MissingDataError
from cdp_analysis.indicators import change, crime_outcomes, supply
from cdp_analysis.indicators import demand as demand_indicators
from cdp_analysis.report import charts, maps, narrative, render
from cdp_analysis.report.narrative import KeyMessage
from cdp_analysis.sources.police_outcomes import OUTCOME_GROUPS, UNMAPPED
from cdp_analysis.stats.sdc import get_policy, protect_aggregates, protect_shares, publishable_series, suppress_table
from cdp_analysis.store.coverage import COVERED, DATA_CHECKLIST_HINT, Coverage, describe_months, police_months
from cdp_analysis.store.police_counts import comparator_counts, comparator_outcomes

__all__ = ["SupplyChapter", "POLICE_SOURCE", "POLICE_CAVEAT"]

_INVERSE = {"Higher": "Lower", "Lower": "Higher", "Similar": "Similar"}
_TREND_WORDS = {"increasing": "an increasing trend", "decreasing": "a decreasing trend",
                "no significant change": "no significant change"}

POLICE_SOURCE = "data.police.uk street-level crime"
STOP_SEARCH_SOURCE = "data.police.uk stop and search"
POLICE_CAVEAT = (
    "Police-recorded drug offences measure police activity as much as drug markets: a rise "
    "often follows proactive operations (for example \"Clear, Hold, Build\"), and a fall can "
    "mean less enforcement. Rates are per resident: areas with large daytime or visitor "
    "populations (town and city centres, the City of London) show high rates for that reason. "
    "Locations are anonymised to nearby map points, and crimes are counted in the LSOA where "
    "they were located, whichever force recorded them. Months missing from the police archive "
    "are left blank, never counted as zero, and rates over windows with gaps are annualised."
)


@dataclass(frozen=True)
class _Decision:
    """The chapter's one disclosure decision (:meth:`SupplyChapter._disclosure`)."""

    level: str  # "ward" or "lsoa"
    why: str  # why the level differs from the one wanted ("" when it does not)
    table: pd.DataFrame  # the small-area table before disclosure control
    hidden: set[str]  # the aggregates suppressed ("small:CODE", "quintile:Q", ...)


class SupplyChapter(base.Chapter):
    """Computes the supply chapter for one area from a :class:`ChapterContext`.

    Coverage first: the months shown are those whose police.uk files include
    every force that polices the area (:func:`cdp_analysis.store.coverage.police_months`).
    Crimes another force recorded over its border in other months are not
    counted. A comparator is shown only when the data covers it for the same
    months: from the national aggregate (``police_counts``, every force's files
    summed by local authority) with residents from the population table's
    area-level rows, else from its LSOAs when the lookup holds all of it. The
    headline notes which comparators are not shown and why. With no month
    covered, every section says what to download.
    """

    def __init__(self, ctx: ChapterContext) -> None:
        self.ctx = ctx
        self.area = ctx.area
        self.synthetic = ctx.synthetic
        self.policy = get_policy(ctx.config.disclosure_policy)
        self._memo: dict[tuple, pd.DataFrame] = {}
        held = ctx.dataset.police_forces("street_crime") if "street_crime" in ctx.dataset.available() else {}
        own = police_months(held, ctx.forces(self.area.code))
        self.covered_months = own
        #: Comparators summed from the national aggregate: code → ``month, crime_type, count``.
        self.national: dict[str, pd.DataFrame] = {}
        self._national_population: dict[str, float] = {}
        self._residents_by_lsoa: set[str] = set()
        #: Comparators not shown: name → why.
        self.not_shown: dict[str, str] = {}
        if own:  # the aggregate first: a region's crimes are a few rows there, millions of rows by LSOA
            self._add_national(list(ctx.comparators), own)
        by_lsoa = [c for c in ctx.areas_shown()[1:] if c.code not in self.national
                   and own and set(own) <= set(police_months(held, ctx.forces(c.code)))]
        for comparator in by_lsoa:
            self.not_shown.pop(comparator.name, None)
        self.shown = [self.area] + [c for c in ctx.comparators if c in by_lsoa or c.code in self.national]
        try:
            self.lsoas = {a.code: ctx.lsoas(a.code) for a in [self.area, *by_lsoa]}
            self.coverage = self._police_coverage(held, own)
        except MissingDataError as exc:  # the lookup cannot place the area: no police record can be placed in it
            own = self.covered_months = []
            self.shown, self.lsoas, self.national = [self.area], {self.area.code: []}, {}
            self.coverage = Coverage.missing(
                f"{str(exc).rstrip('.')}, so no police record can be placed in it "
                f"({DATA_CHECKLIST_HINT.format(code=self.area.code)}).")
        if own:
            wanted = sorted(set().union(*self.lsoas.values()))
            crimes = ctx.dataset.street_crime(lsoa_codes=wanted, columns=["month", "lsoa_code", "crime_type"])
            covered = pd.DatetimeIndex(pd.to_datetime([f"{m}-01" for m in own]))
            self._crimes = crimes[crimes["month"].isin(covered)]
        else:
            self._crimes = pd.DataFrame(columns=["month", "lsoa_code", "crime_type"])

    def _add_national(self, candidates: list, own: list[str]) -> None:
        """Comparators the LSOA data does not cover, from the national aggregate when it covers ``own``.

        A comparator is summed only when the files of every force policing it are
        present for exactly the focus area's covered months, and shown only with
        residents from the population table's area-level rows.
        """
        if not candidates:
            return
        try:
            counts = self.ctx.dataset.police_counts()
        except MissingDataError:
            counts = None
        for comparator in candidates:
            frame = None if counts is None else comparator_counts(
                counts, self.ctx.registry, comparator.code, own, real_only=not self.area.is_demo)
            if frame is None:
                self.not_shown[comparator.name] = _NO_FILES
                continue
            residents = self._comparator_residents(comparator.code)
            if residents is None or not residents > 0:
                self.not_shown[comparator.name] = _NO_RESIDENTS
                continue
            self.national[comparator.code] = frame
            self._national_population[comparator.code] = residents

    def _comparator_residents(self, code: str) -> float | None:
        """A comparator's residents: from its LSOAs when the lookup holds all of it (as the area's own), else
        from the population table's area-level rows."""
        if self.ctx.covers(code):
            try:
                residents = self.ctx.population(code)
            except MissingDataError:
                residents = None
            if residents is not None and residents > 0:
                self._residents_by_lsoa.add(code)
                return residents
        return self.ctx.area_population(code)

    # coverage -----------------------------------------------------------------
    def _police_coverage(self, held: dict[str, set[str]], own: list[str]) -> Coverage:
        forces = self.ctx.forces(self.area.code)
        hint = DATA_CHECKLIST_HINT.format(code=self.area.code)
        if not forces:
            return Coverage.missing(
                f"The registry does not say which police force covers {self.area.name}, so police data "
                f"cannot be checked for it ({hint}).")
        if not own:
            names = narrative.join_words(self.ctx.registry.force_names(self.area.code))
            return Coverage.missing(
                f"The data has no police.uk street-level files from {names} (which polices "
                f"{self.area.name}), so no police figure is shown; download them from data.police.uk ({hint}).")
        first, last = own[0], own[-1]
        span = pd.period_range(first, last, freq="M").strftime("%Y-%m")
        gaps = [m for m in span if m not in set(own)]
        if gaps:
            return Coverage.partial(
                f"Police files are missing for {describe_months(gaps)}; those months are left blank, "
                "never counted as zero, and rates over them are annualised from the months held.")
        return COVERED

    def _needs(self, title: str, key: str, months: int = 1) -> Section | None:
        """A missing section when police coverage fails or is shorter than ``months``."""
        if not self.coverage.shown:
            return missing_section(title, self.coverage.note, key)
        if len(self.covered_months) < months:
            return missing_section(
                title, f"This section needs at least {months} months of police data for "
                f"{self.area.name}; the data covers {len(self.covered_months)}.", key)
        return None

    def _finish_section(self, title: str, key: str, items: list, messages: list[KeyMessage],
                        frames: dict[str, pd.DataFrame]) -> Section:
        """A section with the chapter's police coverage (partial coverage is labelled)."""
        return Section(title, items, messages, self.coverage, frames, key)

    # data -------------------------------------------------------------------
    @cached_property
    def population(self) -> dict[str, float]:
        """Residents of the area and of each comparator."""
        return {a.code: self._national_population[a.code] if a.code in self.national
                else self.ctx.population(a.code) for a in self.shown}

    @property
    def crimes(self) -> pd.DataFrame:
        """Street crime located in the area or a comparator in the covered months."""
        return self._crimes

    @cached_property
    def months(self) -> pd.DatetimeIndex:
        """The months the police data covers for the area (gaps are not months of zero)."""
        return pd.DatetimeIndex(pd.to_datetime([f"{m}-01" for m in self.covered_months]))

    @property
    def latest_window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The most recent twelve months."""
        end = self.months[-1]
        return end - pd.DateOffset(months=11), end

    @cached_property
    def rate_label(self) -> str:
        """How the time-series rates are built: rolling twelve months, or monthly annualised."""
        monthly = self.monthly(supply.DRUG_CRIME)
        return "rolling twelve months" if monthly["rolling_12m"].notna().any() else "each month, annualised"

    def names(self) -> dict[str, str]:
        """Area code → name, for the areas shown."""
        return {a.code: a.name for a in self.shown}

    def monthly(self, crime_types: tuple[str, ...]) -> pd.DataFrame:
        """Monthly counts with rolling twelve-month sums, per area shown (gaps NaN)."""
        key = ("monthly", *crime_types)
        if key not in self._memo:
            self._memo[key] = self._monthly(crime_types)
        return self._memo[key].copy()

    def _monthly(self, crime_types: tuple[str, ...]) -> pd.DataFrame:
        counts = supply.monthly_counts(self.crimes, self.lsoas, crime_types, self.months)
        counts = pd.concat([counts, *(self._national_monthly(c, crime_types) for c in self.national)],
                           ignore_index=True)
        counts = supply.add_rolling_12m(counts)
        counts["area"] = counts["area_code"].map(self.names())
        return supply.rates_per_1000(counts, self.population)

    def _national_monthly(self, code: str, crime_types: tuple[str, ...]) -> pd.DataFrame:
        """A national comparator's monthly counts, shaped as :func:`cdp_analysis.indicators.supply.monthly_counts`.

        Covered months without such a crime count 0; months the focus area's data
        lacks are ``NaN``, as for the comparators counted from LSOAs.
        """
        return supply.national_monthly(self.national[code], code, crime_types, self.months)

    def rates(self, crime_types: tuple[str, ...]) -> pd.DataFrame:
        """Twelve-month rates per 1,000 with 95% limits, per area shown."""
        key = ("rates", *crime_types)
        if key not in self._memo:
            self._memo[key] = self._rates(crime_types)
        return self._memo[key].copy()

    def _rates(self, crime_types: tuple[str, ...]) -> pd.DataFrame:
        rates = supply.twelve_month_rates(self.monthly(crime_types), self.population)
        rates["area"] = rates["area_code"].map(self.names())
        return rates

    def _monthly_publishable(self, crime_types: tuple[str, ...]) -> bool:
        """Monthly counts of the area can be shown (no month in the suppressed range)."""
        own = self.monthly(crime_types)
        return publishable_series(own.loc[own["area_code"] == self.area.code, "count"], self.policy)

    def comparison_table(self, crime_types: tuple[str, ...]) -> pd.DataFrame:
        """Latest twelve-month rate of each area shown, and how the focus area compares with it.

        One significance rule serves the chart, the table and the words: the focus
        area's 95% interval against each comparator's value (Fingertips). The column
        ``focus_compared`` says whether the focus area is ``Higher``, ``Similar`` or
        ``Lower`` than that area. A count in the suppressed range hides the row's
        count, rate and limits.
        """
        rates = self.rates(crime_types)
        latest = rates[rates["period_end"] == rates["period_end"].max()].copy()
        own = latest[latest["area_code"] == self.area.code].iloc[0]
        latest = suppress_table(latest, "count", policy=self.policy, derived_cols=("value", "lower_ci", "upper_ci"),
                                total_published=False)
        latest["focus_compared"] = supply.rate_comparisons(latest, self.area.code, own)
        latest["role"] = [base.ROLE_FOCUS if c == self.area.code else base.ROLE_COMPARATOR
                          for c in latest["area_code"]]
        latest["compared_with_partnership"] = "Not compared"
        members = self._member_latest(crime_types, rates["period_end"].max(), float(own["value"]))
        focus = latest["role"] == base.ROLE_FOCUS
        latest = pd.concat([latest[focus], members, latest[~focus]] if not members.empty
                           else [latest[focus], latest[~focus]], ignore_index=True)
        return latest[["area", "area_code", "role", "period", "months_with_data", "count", "population", "value",
                       "lower_ci", "upper_ci", "focus_compared", "compared_with_partnership",
                       "suppressed"]].reset_index(drop=True)

    @cached_property
    def members(self) -> list:
        """The partnership's member authorities whose LSOAs and residents the data holds (empty otherwise)."""
        found = []
        for member in base.partnership_members(self.area, self.ctx.registry):
            try:
                self.ctx.population(member.code)
            except MissingDataError:
                continue
            found.append(member)
        return found

    def _member_latest(self, crime_types: tuple[str, ...], period_end: pd.Timestamp, focus_value: float
                       ) -> pd.DataFrame:
        """Each member authority's rate over the same twelve months, from its own LSOAs (:func:`base.member_rows`)."""
        if not self.members:
            return pd.DataFrame()
        rates = supply.member_rates(
            self.crimes, {m.code: self.ctx.lsoas(m.code) for m in self.members},
            {m.code: self.ctx.population(m.code) for m in self.members}, {m.code: m.name for m in self.members},
            crime_types, self.months, period_end)
        return base.member_rows(rates, focus_value, self.policy)

    def _rate_message(self, table: pd.DataFrame, metric: str, decimals: int = 1) -> KeyMessage:
        """The focus area's rate against each comparator, from :meth:`comparison_table`'s rows."""
        own = table[table["area_code"] == self.area.code].iloc[0]
        if own["suppressed"]:
            return KeyMessage(f"The number of {metric} in {self.area.name} in {own['period']} is too small "
                              "to publish (disclosure control).", key=False)
        others = table[table["role"] == base.ROLE_COMPARATOR]
        comparisons = [(r["area"], r["focus_compared"], r["value"]) for _, r in others.iterrows()]
        text = narrative.rate_sentence("The", f"rate of {metric} in {self.area.name}", own["value"],
                                       "per 1,000 residents", own["period"], comparisons, decimals=decimals)
        # crime rates: higher is worse (police-recorded, so activity-driven: see the caveat)
        return KeyMessage(text, rank=narrative.judge(comparisons, own["value"], low_is_good=True))

    def _comparison_chart(self, table: pd.DataFrame, what: str, measure: str | None = None) -> str:
        """Bars of the comparison table: each comparator labelled from its own side.

        A comparator is ``Lower`` in the chart exactly when the words say the focus
        area is significantly higher than it (the same test, read the other way). With ``measure`` (its id in
        :meth:`neighbour_values`), the neighbours' own values are faint points on the neighbour average's bar.
        """
        shown = table[~table["suppressed"]].copy()
        shown["compared_with_focus"] = [
            "Focus area" if c == self.area.code else base.MEMBER_LABEL if role == base.ROLE_MEMBER
            else _INVERSE.get(label, "Not compared")
            for c, role, label in zip(shown["area_code"], shown["role"], shown["focus_compared"], strict=True)
        ]
        shown["note"] = [
            "focus area" if c == self.area.code else f"member of {self.area.name}" if role == base.ROLE_MEMBER else
            f"{label.lower()} than {self.area.name}" if label in ("Higher", "Lower") else label.lower()
            for c, role, label in zip(shown["area_code"], shown["role"], shown["compared_with_focus"], strict=True)
        ]
        chart = charts.rate_bars(
            shown[["area", "role", "count", "value", "lower_ci", "upper_ci", "focus_compared", "compared_with_focus",
                   "note"]],
            label="area", value="value", lower="lower_ci", upper="upper_ci", colour="compared_with_focus",
            note="note", title=f"{what} per 1,000 residents, {table['period'].iloc[0]}",
            xlabel=f"{what} per 1,000 residents (95% confidence interval)",
            source=POLICE_SOURCE, synthetic=self.synthetic, highlight=self.area.name,
            **base.neighbour_marks(shown, self.ctx.registry.neighbour_group(self.area.code), self.area,
                                   self.neighbour_values() if measure else None, measure=measure, policy=self.policy),
        )
        return render.chart_html(chart)

    # sections -----------------------------------------------------------------
    def headline(self) -> Section:
        """Latest drug offence rate against the comparators the data covers."""
        title = "Drug offences: latest rate"
        if (missing := self._needs(title, "headline")) is not None:
            return missing
        try:
            table = self.comparison_table(supply.DRUG_CRIME)
        except DataShortfallError as exc:  # too few months for a rate: the count of the months held
            return self._count_only(title, "headline", exc)
        table = base.with_neighbour_average(table, "drug_offences", self.area,
                                            self.ctx.registry.neighbour_group(self.area.code), self.neighbour_values(),
                                            policy=self.policy)
        message = self._rate_message(table, "drug offences")
        higher = table[(table["role"] == base.ROLE_COMPARATOR) & (table["focus_compared"] == "Higher")]["area"].tolist()
        if higher and message.key:
            message = replace(message, theme="Supply", recommendation=(
                f"Target partnership disruption at drug markets in {self.area.name}, where the rate is "
                f"significantly higher than {narrative.join_words(higher)}."))
        return self._finish_section(title, "headline", [self._comparison_chart(table, "Drug offences", "drug_offences")],
                                    [message, *self._comparator_notes()], {"comparison": table})

    #: The supply measures compared with the neighbours: id, crime types, label, words in a sentence.
    NEIGHBOUR_MEASURES = (("drug_offences", supply.DRUG_CRIME, "Drug offences per 1,000 residents", "drug offence rate"),
                          ("neighbourhood_crime", supply.NEIGHBOURHOOD_CRIME, "Neighbourhood crime per 1,000 residents",
                           "neighbourhood crime rate"))

    def neighbour_values(self) -> pd.DataFrame:
        """:attr:`_neighbour_frame` (computed once: the headline, neighbourhood crime and neighbour sections read it)."""
        return self._neighbour_frame.copy()

    @cached_property
    def _neighbour_frame(self) -> pd.DataFrame:
        """The latest twelve-month rates of the area and of each neighbour the data covers for the same months.

        A neighbour is counted from the national aggregate when every force policing it has
        files for exactly the area's months, with residents as for any comparator; one
        the data does not cover is left out (its value is not in the data).
        """
        group = self.ctx.registry.neighbour_group(self.area.code)
        try:
            counts = self.ctx.dataset.police_counts() if self.covered_months else None
        except MissingDataError:
            counts = None
        frames, residents = {}, {}
        for neighbour in group.areas:
            frame = None if counts is None else comparator_counts(
                counts, self.ctx.registry, neighbour.code, self.covered_months, real_only=not self.area.is_demo)
            people = self.ctx.area_population(neighbour.code) if frame is not None else None
            if frame is not None and people is not None and people > 0:
                frames[neighbour.code], residents[neighbour.code] = frame, people
        rows = []
        for measure, types, _, _ in self.NEIGHBOUR_MEASURES:
            table = self.comparison_table(types)
            own = table[table["role"] == base.ROLE_FOCUS].iloc[0]
            rows.append({"measure": measure, "area_code": self.area.code, "period": own["period"],
                         "value": own["value"], "lower_ci": own["lower_ci"], "upper_ci": own["upper_ci"],
                         "count": own["count"], "denominator": own["population"], "multiplier": 1000.0})
            if not frames:
                continue
            rates = supply.national_rates(frames, residents, types, self.months)
            for _, r in rates[rates["period"] == own["period"]].iterrows():
                rows.append({"measure": measure, "area_code": r["area_code"], "period": r["period"],
                             "value": r["value"], "lower_ci": r["lower_ci"], "upper_ci": r["upper_ci"],
                             "count": r["count"], "denominator": r["population"], "multiplier": 1000.0})
        return pd.DataFrame(rows)

    def neighbours(self) -> Section:
        """The drug offence and neighbourhood crime rates among the area's neighbour group."""
        title = base.NEIGHBOURS_TITLE
        if (missing := self._needs(title, "neighbours")) is not None:
            return missing
        group = self.ctx.registry.neighbour_group(self.area.code)
        values = self.neighbour_values()
        period = str(values["period"].iloc[0]) if not values.empty else ""
        measures = [base.NeighbourMeasure(m, label, what, "per 1,000 residents", "NoJudgement", period, "Supply")
                    for m, _, label, what in self.NEIGHBOUR_MEASURES]
        names = {a.code: a.name for a in [self.area, *group.areas]}
        return base.neighbour_section(self.area, group, values, measures, names=names, synthetic=self.synthetic,
                                      source=POLICE_SOURCE, policy=self.policy, decimals=2)

    def _count_only(self, title: str, key: str, why: DataShortfallError) -> Section:
        """Drug offences located in the area over the months held, when they are too few for a rate."""
        monthly = self.monthly(supply.DRUG_CRIME)
        own = monthly[(monthly["area_code"] == self.area.code) & monthly["count"].notna()]
        period = describe_months(f"{m:%Y-%m}" for m in own["month"])
        table = suppress_table(pd.DataFrame({"period": [period], "months_with_data": [len(own)],
                                             "count": [float(own["count"].sum())]}),
                               "count", policy=self.policy, total_published=False)
        note = (f"Only the count is shown: {str(why)}, so rates per 1,000 residents, comparisons with other "
                "areas and change over time are not.")
        if table["suppressed"].iloc[0]:
            text = f"The number of drug offences in {self.area.name} in {period} is too small to publish (disclosure control)."
        else:
            count = int(table["count"].iloc[0])
            text = (f"Police recorded {count:,} drug offence{'s' if count != 1 else ''} located in "
                    f"{self.area.name} in {period}.")
        shown = table.rename(columns={"period": "Months", "months_with_data": "Months of data",
                                      "count": "Drug offences"})
        item = render.table_html(shown.drop(columns="suppressed"), f"Drug offences, {self.area.name}",
                                 synthetic=self.synthetic, formats={"Drug offences": ",.0f"},
                                 suppressed_cols=("Drug offences",), suppressed_rows=table["suppressed"].tolist())
        return Section(title, [item], [KeyMessage(text, key=False)], Coverage.partial(note), {"counts": table}, key)

    def _comparator_notes(self) -> list[KeyMessage]:
        """Non-key notes: which comparators come from the national aggregate, and which are not shown, and why."""
        notes = []
        for by_lsoa, residents in ((False, "the population table's area-level estimates"),
                                   (True, "the small-area estimates of all its LSOAs")):
            names = narrative.join_words([a.name for a in self.shown if a.code in self.national
                                          and (a.code in self._residents_by_lsoa) == by_lsoa])
            if names:
                notes.append(KeyMessage(
                    f"{names}: crimes summed over every force's police.uk files (the national aggregate), "
                    f"residents from {residents}.", key=False))
        for reason in dict.fromkeys(self.not_shown.values()):
            names = narrative.join_words([n for n, r in self.not_shown.items() if r == reason])
            count = sum(r == reason for r in self.not_shown.values())
            verb = "is" if count == 1 else "are"
            notes.append(KeyMessage(f"{names} {verb} not shown for comparison: {reason}", key=False))
        return notes

    def trend(self) -> Section:
        """Monthly counts, rolling twelve-month rates against comparators, change and trend."""
        title = "Drug offences over time"
        if (missing := self._needs(title, "trend")) is not None:
            return missing
        rates = self.rates(supply.DRUG_CRIME)
        own_rates = rates[rates["area_code"] == self.area.code]
        table = self._twelve_month_table(own_rates)
        items: list[str] = []
        frames: dict[str, pd.DataFrame] = {"twelve_months": table}
        messages: list[KeyMessage] = []
        if self._monthly_publishable(supply.DRUG_CRIME):
            monthly = self.monthly(supply.DRUG_CRIME)
            own = monthly[monthly["area_code"] == self.area.code].copy()
            own["twelve_month_average"] = own["rolling_12m"] / 12
            bars = charts.monthly_bars(
                own[["month", "count", "twelve_month_average"]], x="month", y="count",
                smooth="twelve_month_average", title=f"Drug offences each month, {self.area.name}",
                ylabel="Drug offences", source=POLICE_SOURCE, synthetic=self.synthetic,
            )
            frames["monthly"] = bars.data
            items.append(render.chart_html(bars))
            points = int(monthly.loc[monthly["area_code"] == self.area.code, "rate"].notna().sum())
            if points >= 2:
                lines = charts.trend_lines(
                    monthly[["area", "month", "count", "rolling_12m", "rate"]],  # NaN months break the line
                    x="month", y="rate", series="area", order=[a.name for a in self.shown],
                    title=f"Drug offences per 1,000 residents a year, {self.rate_label}",
                    ylabel="Drug offences per 1,000 residents", source=POLICE_SOURCE, synthetic=self.synthetic,
                )
                frames["rates"] = lines.data
                items.append(render.chart_html(lines))
            else:
                messages.append(KeyMessage(
                    f"The rate over time is not charted: the {len(self.covered_months)} months of police data "
                    "give a single twelve-month rate (in the table below), and a line needs at least two, "
                    "so at least 13 consecutive months.", key=False))
            spc_items, spc_messages, spc_frame = self._spc(own)
            items += spc_items
            messages += spc_messages
            if spc_frame is not None:
                frames["xmr"] = spc_frame
        else:
            messages.append(KeyMessage(_SMALL_MONTHS.format(what="drug offences"), key=False))
        items.append(render.table_html(
            table.drop(columns="suppressed"), f"Drug offences per twelve months, {self.area.name}",
            synthetic=self.synthetic,
            formats={"Drug offences": ",.0f", "Residents": ",.0f", "Rate per 1,000": ".2f",
                     "Lower 95% CI": ".2f", "Upper 95% CI": ".2f", "Change on a year earlier (%)": ".0f",
                     "Change on five years earlier (%)": ".0f"},
            suppressed_cols=("Drug offences", "Rate per 1,000", "Lower 95% CI", "Upper 95% CI",
                             "Change on a year earlier (%)", "Change on five years earlier (%)"),
            suppressed_rows=table["suppressed"].tolist()))
        change_text = self._change_text(own_rates, table)
        messages.insert(0, KeyMessage(change_text) if change_text else KeyMessage(
            "The data does not yet hold a full twelve months a year or five years before the latest, so change "
            "is not measured.", key=False))
        return self._finish_section(title, "trend", items, messages, frames)

    def _twelve_month_table(self, own_rates: pd.DataFrame) -> pd.DataFrame:
        """The area's twelve-month windows (a year apart), with the change on the window before."""
        table = suppress_table(own_rates, "count", policy=self.policy,
                               derived_cols=("value", "lower_ci", "upper_ci"), total_published=False)
        table = supply.twelve_month_changes(table)  # like for like: between two full windows
        return table[["period", "count", "population", "value", "lower_ci", "upper_ci", "change_pct",
                      "change_5y_pct", "suppressed"]].rename(columns={
            "period": "Twelve months", "count": "Drug offences", "population": "Residents",
            "value": "Rate per 1,000", "lower_ci": "Lower 95% CI", "upper_ci": "Upper 95% CI",
            "change_pct": "Change on a year earlier (%)",
            "change_5y_pct": "Change on five years earlier (%)"}).reset_index(drop=True)

    def _change_text(self, own_rates: pd.DataFrame, table: pd.DataFrame) -> str:
        """Change on one and five years earlier, and the five-point trend, from the table's rows."""
        if table["suppressed"].any():
            return ("Change over time is not described: some twelve-month counts are too small to publish "
                    "(disclosure control).")
        change = supply.change_over_time(own_rates, self.area.code)
        text = narrative.change_sentence("drug offence rate", change)
        partial = list(dict.fromkeys(str(p) for p in (change.get("one_year_not_compared"),
                                                      change.get("five_year_not_compared")) if p))
        if change.get("one_year_pct") is None and change.get("five_year_pct") is None:
            if partial:
                return (f"Change is not measured: the twelve months {narrative.join_words(partial)} "
                        "do not hold every month, so they are shown apart in the table, not compared.")
            return ""
        if partial:
            text += (f" The twelve months {narrative.join_words(partial)} do not hold every month, so they are "
                     "shown apart, not compared.")
        own_rates = own_rates[own_rates["months_with_data"] == 12] if "months_with_data" in own_rates else own_rates
        result = stats.recent_trend(own_rates["value"], own_rates["lower_ci"], own_rates["upper_ci"],
                                    polarity="NoJudgement")
        label = str(getattr(result, "label", result)).lower()
        if len(own_rates) < 5 or label not in _TREND_WORDS:
            return text
        text += f" Over the last five twelve-month periods (the Fingertips recent-trend test) the rate shows {_TREND_WORDS[label]}"
        latest = change.get("one_year_pct")  # a float, or None when not measured
        turned = isinstance(latest, float) and ((label == "increasing" and latest < 0)
                                                or (label == "decreasing" and latest > 0))
        return text + (", although the latest twelve months moved the other way." if turned else ".")

    def _spc(self, own: pd.DataFrame, months: int = 36, *, render_chart: bool = True
             ) -> tuple[list[str], list[KeyMessage], pd.DataFrame | None]:
        """XmR chart of the latest unbroken run of up to 36 months (at least 12)."""
        run = supply.latest_unbroken_run(own.set_index("month")["count"], months)
        if len(run) < 12:
            return [], [], None
        table = stats.spc(run, improvement_direction="neutral").reset_index(names="month")
        if not render_chart:
            return [], [], table
        chart = charts.spc_chart(
            table, x="month", title=f"Drug offences each month with process limits, {self.area.name}",
            ylabel="Drug offences", source=POLICE_SOURCE, synthetic=self.synthetic,
        )
        unusual = table.iloc[-6:]
        unusual = unusual[unusual["special_cause_flag"].astype(bool)]
        if unusual.empty:
            text = ("In the last six months drug offences have varied within their usual range "
                    "(no special-cause variation on an XmR chart).")
        else:
            text = ("Special-cause variation on the XmR chart in the last six months ("
                    f"{', '.join(f'{m:%b %Y}' for m in unusual['month'])}): something has changed, "
                    "such as an operation or a change in recording.")
        return [render.chart_html(chart)], [KeyMessage(text)], chart.data

    def special_cause_months(self) -> set[pd.Timestamp]:
        """Months outside the process limits of the XmR chart the trend section shows.

        Single months beyond the limits (an operation, a recording change) would
        otherwise pose as a seasonal peak; runs and shifts are changes of level,
        which the seasonal index (a ratio to the mean) does not mistake for a season.
        """
        monthly = self.monthly(supply.DRUG_CRIME)
        own = monthly[monthly["area_code"] == self.area.code]
        _, _, table = self._spc(own, render_chart=False)
        if table is None:
            return set()
        return set(table.loc[table["rule_outside_limits"].astype(bool), "month"])

    def seasonality(self) -> Section:
        """Month × year heatmap and the seasonal pattern, excluding special-cause months."""
        title = "Seasonality"
        if (missing := self._needs(title, "seasonality", months=24)) is not None:
            return missing
        if not self._monthly_publishable(supply.DRUG_CRIME):
            return missing_section(title, _SMALL_MONTHS.format(what="drug offences"), "seasonality")
        monthly = self.monthly(supply.DRUG_CRIME)
        unusual = self.special_cause_months()
        table = supply.seasonality(monthly, self.area.code, exclude=unusual)
        chart = charts.seasonality_heatmap(
            table, title=f"Drug offences by month and year, {self.area.name}",
            source=POLICE_SOURCE, synthetic=self.synthetic,
        )
        index = table.loc["seasonal index"]
        messages = []
        if index.notna().all():
            excluded = (f", leaving out {narrative.join_words([f'{m:%b %Y}' for m in sorted(unusual)])} "
                        "(outside the XmR chart's process limits)" if unusual else "")
            messages.append(KeyMessage(
                f"Drug offences peak in {index.idxmax()} ({index.max():.2f} times an average month) "
                f"and are lowest in {index.idxmin()} ({index.min():.2f}), over the complete years held{excluded}."
            ))
        else:
            messages.append(KeyMessage("The data does not yet hold a complete year for every calendar month, so no "
                                       "seasonal pattern is described.", key=False))
        return self._finish_section(title, "seasonality", [render.chart_html(chart)], messages,
                                    {"heatmap": chart.data})

    def small_area_level(self, wanted: str = "ward") -> tuple[str, str]:
        """``(level, why)``: wards only when the lookup places (nearly) all LSOAs and residents in them.

        Wards are used when at least 98% of the area's LSOAs and residents have a
        ward, and at least 90% of the area's wards receive an LSOA (a ward with no
        LSOA would be a blank on the map and a false "no offences"). Otherwise LSOAs.
        """
        lookup = self.ctx.lookup[self.ctx.lookup["lsoa_code"].isin(self.lsoas[self.area.code])]
        if wanted != "ward" or "ward_code" not in lookup:
            return "lsoa", ""
        try:
            wards_in_area: int | None = len(self._in_area(self.ctx.dataset.boundaries("ward")))
        except MissingDataError:
            wards_in_area = None
        if not supply.wards_fit(lookup, self.ctx.lsoa_population, wards_in_area):
            return "lsoa", (f"Shown by LSOA: the lookup places the area's {len(lookup)} LSOAs in only "
                            f"{lookup['ward_code'].nunique()} of its wards, too few for a ward picture.")
        return "ward", ""

    def _in_area(self, geo):
        """The shapes of ``geo`` that lie inside the area (by representative point)."""
        outline = self._outline()
        if outline is None or outline.empty:
            return geo.iloc[0:0]
        points = geo.geometry.representative_point()
        return geo[points.within(outline.union_all())]

    def _small_area_groups(self, level: str) -> tuple[pd.DataFrame, dict[str, set[str]], dict[str, float]]:
        """The small-area table, and every aggregate published from the same LSOA counts.

        Groups: each small area, each deprivation quintile, and the area total. One
        disclosure decision over all of them (:func:`cdp_analysis.stats.sdc.protect_aggregates`)
        means no suppressed count can be recovered by adding or subtracting published ones.
        """
        start, end = self.latest_window
        area_rate = self.rates(supply.DRUG_CRIME)
        area_rate = area_rate[(area_rate["area_code"] == self.area.code)].iloc[-1]
        table = supply.small_area_rates(
            self.crimes, self.ctx.lookup, self.ctx.lsoa_population, level=level,
            lsoas=self.lsoas[self.area.code], crime_types=supply.DRUG_CRIME, start=start, end=end,
            benchmark_rate=float(area_rate["value"]), years=area_rate["months_with_data"] / 12,
        )
        gradient = self._gradient_raw()
        groups, counts = supply.aggregate_groups(
            table, self.ctx.lookup, level, self.lsoas[self.area.code], float(area_rate["count"]),
            gradient, self.ctx.dataset.imd() if gradient is not None else None)
        return table, groups, counts

    @cached_property
    def _disclosure(self) -> _Decision:
        """The chapter's one disclosure decision over the small-area and deprivation aggregates."""
        level, why = self.small_area_level(self._level_wanted)
        table, groups, counts = self._small_area_groups(level)
        hidden = protect_aggregates(groups, counts, self.policy, keep=("total",))
        return _Decision(level, why, table, hidden)

    _level_wanted = "ward"

    def small_areas(self, level: str = "ward") -> Section:
        """Ward (or LSOA) choropleth, top ten, hotspots, suppressed table: one set of hotspots."""
        title = "Where drug crime happens"
        if (missing := self._needs(title, "small_areas")) is not None:
            return missing
        self._level_wanted = level
        decision = self._disclosure
        level, table, hidden = decision.level, decision.table, decision.hidden
        start, end = self.latest_window
        area_rate = self.rates(supply.DRUG_CRIME)
        area_rate = float(area_rate[(area_rate["area_code"] == self.area.code)].iloc[-1]["value"])
        published = table.copy()
        published["suppressed"] = [f"small:{c}" in hidden for c in published["code"]]
        total = published["count"].sum()
        published["share_pct"] = published["count"] / total * 100 if total > 0 else float("nan")
        for column in ("count", "value", "lower_ci", "upper_ci", "share_pct"):
            published.loc[published["suppressed"], column] = float("nan")
        published.loc[published["suppressed"], "compared_to_area"] = "Not compared"
        if self.members:
            published.insert(2, "member", self._member_of(published["code"], level))
        hot = published[published["compared_to_area"] == "Higher"].sort_values("value", ascending=False)
        label = "wards" if level == "ward" else "LSOAs"
        period = f"{start:%b %Y} to {end:%b %Y}"
        items = []
        try:
            geo = self._in_area(self.ctx.dataset.boundaries(level))
        except MissingDataError:
            geo = None
        if geo is not None and not geo.empty:
            chart = maps.choropleth(
                geo, published[["code", "name", "count", "population", "value", "compared_to_area", "suppressed"]],
                value="value", title=f"Drug offences per 1,000 residents by {'ward' if level == 'ward' else 'LSOA'}, {period}",
                legend_title="Per 1,000 residents", source=POLICE_SOURCE, highlight=list(hot["code"]),
                outline=self._outline(), synthetic=self.synthetic,
            )
            items.append(render.chart_html(chart))
        top = published.dropna(subset=["value"]).head(10)
        bars = charts.ranked_bars(
            top[["name", "count", "value"]], label="name", value="value",
            title=f"{top_title(len(top), len(published), label)}, {period}",
            xlabel="Drug offences per 1,000 residents", source=POLICE_SOURCE, synthetic=self.synthetic,
            reference=area_rate, reference_label=f"{self.area.name} rate",
        )
        shown = published[["name", *(["member"] if self.members else []), "count", "share_pct", "population",
                           "value", "lower_ci", "upper_ci", "compared_to_area"]]
        shown = shown.rename(columns={
            "name": "Ward" if level == "ward" else "LSOA", "member": "Member authority", "count": "Drug offences",
            "share_pct": f"Share of {self.area.name} offences (%)",
            "population": "Residents", "value": "Rate per 1,000", "lower_ci": "Lower 95% CI",
            "upper_ci": "Upper 95% CI", "compared_to_area": f"Compared with {self.area.name}",
        })
        items += [
            render.chart_html(bars),
            render.table_html(
                shown, f"Drug offences by {'ward' if level == 'ward' else 'LSOA'}, {period}", synthetic=self.synthetic,
                formats={"Drug offences": ".0f", f"Share of {self.area.name} offences (%)": ".0f",
                         "Residents": ",.0f", "Rate per 1,000": ".2f",
                         "Lower 95% CI": ".2f", "Upper 95% CI": ".2f"},
                suppressed_cols=("Drug offences", f"Share of {self.area.name} offences (%)", "Rate per 1,000",
                                 "Lower 95% CI", "Upper 95% CI"),
                suppressed_rows=published["suppressed"].tolist(),
            ),
        ]
        frames = {"small_areas": published, "top_ten": bars.data}
        if not hot.empty:
            together = pd.DataFrame([{"hotspots": len(hot), "names": "; ".join(hot["name"]),
                                      "count": hot["count"].sum(), "share_pct": hot["share_pct"].sum()}])
            frames["hotspots"] = together
            items.append(render.table_html(
                together.rename(columns={"hotspots": "Hotspots", "names": "Names", "count": "Drug offences",
                                         "share_pct": f"Share of {self.area.name} offences (%)"}),
                f"Hotspots together, {period}", synthetic=self.synthetic,
                formats={"Drug offences": ",.0f", f"Share of {self.area.name} offences (%)": ".0f"}))
        station = self._police_station_point(hot, level)
        if station is not None:
            frames["police_station_point"] = station
        messages = self._hotspot_messages(published, hot, label, station)
        if decision.why:
            messages.insert(0, KeyMessage(decision.why, key=False))
        return self._finish_section(title, "small_areas", items, messages, frames)

    def _member_of(self, codes: pd.Series, level: str) -> list[str]:
        """The member authority (or authorities, ``;``-joined) each ward or LSOA lies in, from the lookup."""
        lookup = self.ctx.lookup[self.ctx.lookup["lsoa_code"].isin(self.lsoas[self.area.code])]
        return supply.member_of(codes, lookup, level, {m.code: m.name for m in self.members})

    def _police_station_point(self, hot: pd.DataFrame, level: str) -> pd.DataFrame | None:
        """Each hotspot's drug offences at police.uk's "On or near Police Station" point (None without hotspots).

        A count is published only when it and the hotspot's other offences are both outside
        the policy's suppressed range (either could be worked out from the other and the
        hotspot's published count); otherwise the row says ``suppressed``.
        """
        if hot.empty:
            return None
        start, end = self.latest_window
        column = "lsoa_code" if level == "lsoa" else "ward_code"
        lookup = self.ctx.lookup[self.ctx.lookup["lsoa_code"].isin(self.lsoas[self.area.code])]
        wanted = sorted(set(lookup.loc[lookup[column].isin(set(hot["code"])), "lsoa_code"]))
        crimes = self.ctx.dataset.street_crime(lsoa_codes=wanted, crime_types=supply.DRUG_CRIME,
                                               columns=["month", "lsoa_code", "crime_type", "location"])
        crimes = crimes[crimes["month"].isin(self.months)]
        table = supply.police_station_share(crimes, lookup, level=level, codes=hot["code"],
                                            crime_types=supply.DRUG_CRIME, start=start, end=end)
        table.insert(1, "name", list(hot["name"]))
        small = pd.Series(self.policy.primary(table["at_police_station"]) |
                          self.policy.primary(table["count"] - table["at_police_station"]))
        table["suppressed"] = small.to_numpy()
        table.loc[table["suppressed"], ["at_police_station", "share_pct"]] = float("nan")
        return table

    def _station_words(self, station: pd.DataFrame | None) -> str:
        """Hotspots with a material share of offences at the police-station point, as words ('' when none)."""
        if station is None:
            return ""
        material = station[(station["share_pct"] >= supply.POLICE_STATION_MATERIAL * 100) & ~station["suppressed"]]
        if material.empty:
            return ""
        parts = [f"{r['share_pct']:.0f}% of {r['name']}'s" for _, r in material.iterrows()]
        return (f"{narrative.join_words(parts)} drug offences are recorded at police.uk's anonymised map point "
                f'"{supply.POLICE_STATION_POINT}": offences recorded at a police station (such as drugs found on '
                "people brought into custody), not in the streets around it")

    def _hotspot_messages(self, published: pd.DataFrame, hot: pd.DataFrame, label: str,
                          station: pd.DataFrame | None = None) -> list[KeyMessage]:
        """Every hotspot the map outlines and the table marks, named from the same rows.

        Where a material share of a hotspot's offences sits at the police-station map
        point, the recommendation says so (a reader should know before sending patrols),
        and so does a note in the section.
        """
        if hot.empty:
            return [KeyMessage(f"No one of the {len(published)} {label} has a drug offence rate significantly "
                               f"above the {self.area.name} rate.")]
        names = list(hot["name"])
        share = float(hot["share_pct"].sum())
        count = narrative.count_words(len(names))
        verb = "has" if len(names) == 1 else "have"
        text = (f"{count} of the {len(published)} {label} ({narrative.join_words(names)}) {verb} a drug offence "
                f"rate significantly higher than the {self.area.name} rate; together they hold "
                f"{share:.0f}% of its drug offences.")
        rec = (f"Focus place-based enforcement and outreach on {narrative.join_words(names[:5])}, "
               "with treatment services' outreach alongside.")
        found = [KeyMessage(text, rec, "Supply", rank=narrative.RANK_CONCENTRATION)]
        station_words = self._station_words(station)
        if station_words:
            found[0] = replace(found[0], recommendation=rec[:-1] + "; before sending patrols, note that "
                               + station_words + ".")
            found.append(KeyMessage(station_words[0].upper() + station_words[1:] + ".", key=False))
        return found

    def _outline(self):
        try:
            lads = self.ctx.dataset.boundaries("lad")
        except MissingDataError:
            return None
        return lads[lads["code"].isin(self.ctx.lad_codes(self.area.code))]

    def _gradient_raw(self) -> pd.DataFrame | None:
        """Drug offence rates by IMD quintile before disclosure control (None without IMD data)."""
        return self._gradient

    @cached_property
    def _gradient(self) -> pd.DataFrame | None:
        try:
            imd = self.ctx.dataset.imd()
        except MissingDataError:
            return None
        start, end = self.latest_window
        latest = self.rates(supply.DRUG_CRIME)
        latest = latest[latest["area_code"] == self.area.code].iloc[-1]
        gradient = supply.deprivation_gradient(
            self.crimes, imd, self.ctx.lsoa_population, lsoas=self.lsoas[self.area.code],
            crime_types=supply.DRUG_CRIME, start=start, end=end, years=latest["months_with_data"] / 12,
        )
        return None if gradient.empty else gradient

    def deprivation(self) -> Section:
        """Drug offence rates by national IMD 2019 quintile, and the slope index of inequality."""
        title = "Drug offences and deprivation"
        if (missing := self._needs(title, "deprivation")) is not None:
            return missing
        gradient = self._gradient_raw()
        if gradient is None:
            return missing_section(title, "The data has no IMD 2019 decile for the area's LSOAs, so the "
                                   "deprivation gradient is not shown (add the IoD2019 File 7).", "deprivation")
        hidden = self._disclosure.hidden
        latest = self.rates(supply.DRUG_CRIME)
        latest = latest[latest["area_code"] == self.area.code].iloc[-1]
        published = gradient.copy()
        published["suppressed"] = [f"quintile:{q}" in hidden for q in published["quintile"]]
        for column in ("count", "value", "lower_ci", "upper_ci"):
            published.loc[published["suppressed"], column] = float("nan")
        published["compared"] = stats.compare_to_benchmark_series(
            published["lower_ci"].fillna(0), published["upper_ci"].fillna(0), float(latest["value"]),
            polarity="NoJudgement").where(~published["suppressed"], "Not compared")
        chart = charts.rate_bars(
            published[~published["suppressed"]].assign(
                label="Quintile " + published["label"],
                note=lambda d: [f"{c.lower()} than {self.area.name}" if c in ("Higher", "Lower") else c.lower()
                                for c in d["compared"]]),  # the quintile against the area's rate
            label="label", value="value", lower="lower_ci", upper="upper_ci", colour="compared", note="note",
            title=f"Drug offences per 1,000 residents by deprivation, {latest['period']}",
            xlabel="Drug offences per 1,000 residents a year (95% confidence interval)",
            source=f"{POLICE_SOURCE}; MHCLG English Indices of Deprivation 2019", synthetic=self.synthetic,
        )
        items = [render.chart_html(chart)]
        frames = {"gradient": published}
        shown = published[~published["suppressed"]]
        if published["suppressed"].any():
            note = KeyMessage("Some deprivation quintiles hold too few offences to publish (disclosure control) "
                              "and are left out of the chart.", key=False)
            messages = [note]
        else:
            messages = []
        if len(shown) >= 2:
            index = supply.slope_index(gradient) if not published["suppressed"].any() else None
            rec = ""
            if index is not None:
                sii = pd.DataFrame([{"measure": "Slope index of inequality (per 1,000 residents)",
                                     "value": index["sii"], "lower_ci": index["lower_ci"],
                                     "upper_ci": index["upper_ci"]}])
                frames["sii"] = sii
                items.append(render.table_html(
                    sii.rename(columns={"measure": "Measure", "value": "Value", "lower_ci": "Lower 95% CI",
                                        "upper_ci": "Upper 95% CI"}),
                    f"Slope index of inequality, {self.area.name}", synthetic=self.synthetic,
                    formats={"Value": ".1f", "Lower 95% CI": ".1f", "Upper 95% CI": ".1f"}))
            # the peak's share only when every quintile is published (a share of a total with a hidden cell
            # would give the hidden count back); published beside the counts it comes from
            whole = not published["suppressed"].any()
            if whole:
                published["share_pct"] = published["count"] / published["count"].sum() * 100
            text, direction = supply.describe_gradient(shown, index, self.area.name, share=whole)
            if direction == "rising":
                rec = ("Target prevention, treatment outreach and community safety work at the most deprived "
                       "neighbourhoods, where drug offences concentrate.")
            rank = narrative.RANK_CONCENTRATION if direction == "rising" else narrative.RANK_CONTEXT
            messages.append(KeyMessage(text, rec, "Supply", rank=rank))
        return self._finish_section(title, "deprivation", items, messages, frames)

    def weapons(self) -> Section:
        """Possession of weapons: rolling rate against comparators, latest comparison."""
        return self._simple_type_section(supply.WEAPONS, "possession of weapons offences", "Possession of weapons",
                                         "weapons")

    def _simple_type_section(self, crime_types: tuple[str, ...], what: str, title: str, key: str,
                             ylabel: str = "Offences per 1,000 residents") -> Section:
        if (missing := self._needs(title, key)) is not None:
            return missing
        table = self.comparison_table(crime_types)
        items, frames = [self._comparison_chart(table, title)], {"comparison": table}
        messages = [self._rate_message(table, what, decimals=2)]
        if self._monthly_publishable(crime_types):
            monthly = self.monthly(crime_types)
            lines = charts.trend_lines(
                monthly[["area", "month", "count", "rolling_12m", "rate"]],  # NaN months break the line
                x="month", y="rate", series="area", order=[a.name for a in self.shown],
                title=f"{title} per 1,000 residents a year, {self.rate_label}",
                ylabel=ylabel, source=POLICE_SOURCE, synthetic=self.synthetic,
            )
            items.append(render.chart_html(lines))
            frames["rates"] = lines.data
        else:
            messages.append(KeyMessage(_SMALL_MONTHS.format(what=what), key=False))
        return self._finish_section(title, key, items, messages, frames)

    def neighbourhood_crime(self) -> Section:
        """The CDOF neighbourhood-crime proxy, by type, against comparators."""
        title = "Neighbourhood crime"
        if (missing := self._needs(title, "neighbourhood")) is not None:
            return missing
        frames, tables = [], []
        for crime_type in (*supply.NEIGHBOURHOOD_CRIME, None):
            types = supply.NEIGHBOURHOOD_CRIME if crime_type is None else (crime_type,)
            table = self.comparison_table(types)
            if crime_type is None:
                table = base.with_neighbour_average(table, "neighbourhood_crime", self.area,
                                                    self.ctx.registry.neighbour_group(self.area.code),
                                                    self.neighbour_values(), policy=self.policy)
            table.insert(0, "crime_type", crime_type or "All four types")
            tables.append(table)
            if crime_type is not None and self._monthly_publishable(types):
                monthly = self.monthly(types)
                monthly["crime_type"] = crime_type
                frames.append(monthly[["crime_type", "area", "month", "count", "rolling_12m", "rate"]])
        table = pd.concat(tables, ignore_index=True)
        items = []
        result = {"comparison": table}
        if frames:
            chart = charts.small_multiples(
                pd.concat(frames), facet="crime_type", x="month", y="rate", series="area",
                order=[a.name for a in self.shown],
                title=f"Neighbourhood crime per 1,000 residents a year, {self.rate_label}",
                ylabel="Crimes per 1,000 residents", source=POLICE_SOURCE, synthetic=self.synthetic,
            )
            items.append(render.chart_html(chart))
            result["rates"] = chart.data
        shown = table[["crime_type", "area", "count", "value", "lower_ci", "upper_ci", "focus_compared"]].rename(
            columns={"crime_type": "Crime type", "area": "Area", "count": "Crimes", "value": "Rate per 1,000",
                     "lower_ci": "Lower 95% CI", "upper_ci": "Upper 95% CI",
                     "focus_compared": f"{self.area.name} compared with this area"})
        items.append(render.table_html(
            shown, f"Neighbourhood crime, {table['period'].iloc[0]}", synthetic=self.synthetic,
            formats={"Crimes": ",.0f", "Rate per 1,000": ".2f", "Lower 95% CI": ".2f", "Upper 95% CI": ".2f"},
            suppressed_cols=("Crimes", "Rate per 1,000", "Lower 95% CI", "Upper 95% CI"),
            suppressed_rows=table["suppressed"].tolist()))
        total = tables[-1].drop(columns="crime_type")
        message = self._rate_message(
            total, "neighbourhood crime (burglary, robbery, theft from the person and vehicle crime)")
        return self._finish_section(title, "neighbourhood", items, [message], result)

    def has_stop_search(self) -> bool:
        """Whether the data holds stop-and-search records."""
        return "stop_search" in self.ctx.dataset.available()

    def stop_and_search(self) -> Section:
        """Drug searches located in the area: volume, find rate, disproportionality.

        Only months whose stop-and-search files include the area's force count; a
        month missing from the archive is blank, never zero.
        """
        from cdp_analysis.indicators import stop_search

        title = "Stop and search for drugs"
        held = self.ctx.dataset.police_forces("stop_search")
        forces = self.ctx.forces(self.area.code)
        own = police_months(held, forces)
        hint = DATA_CHECKLIST_HINT.format(code=self.area.code)
        if not own:
            names = narrative.join_words(self.ctx.registry.force_names(self.area.code))
            return missing_section(title, f"The data has no stop-and-search files from "
                                   f"{names or 'the force that polices the area'}, so "
                                   f"searches in {self.area.name} are not shown ({hint}).", "stop_search")
        lads = self.ctx.dataset.boundaries("lad")
        lads = lads[lads["code"].isin(self.ctx.lad_codes(self.area.code))]
        box = lads.to_crs(4326).total_bounds if len(lads) and lads.crs is not None else None
        # every force's searches count where they lie in the area; only those in its box are read
        searches = self.ctx.dataset.stop_search(
            months=own, within=None if box is None else (box[0] - 0.01, box[1] - 0.01, box[2] + 0.01, box[3] + 0.01))
        located = stop_search.locate_in_area(searches, lads)
        drugs = stop_search.drug_searches(located[located["area_code"].notna()])
        span = pd.period_range(own[0], own[-1], freq="M").strftime("%Y-%m")
        gaps = [m for m in span if m not in set(own)]
        notes = [f"Stop-and-search files are missing for {describe_months(gaps)}; those months are left "
                 "blank, never counted as zero."] if gaps else []
        notes += [self._unplaced_note(forces, own)]
        coverage = Coverage.partial(" ".join(n for n in notes if n)) if any(notes) else COVERED
        if drugs.empty:
            return Section(title, [], [KeyMessage(f"No stop and search for drugs is located in {self.area.name} "
                                                  f"in {describe_months(own)}.")], coverage, {}, "stop_search")
        drugs = drugs.assign(area_code=self.area.code)
        monthly = stop_search.held_monthly(drugs, own)
        items: list[str] = []
        messages: list[KeyMessage] = []
        frames: dict[str, pd.DataFrame] = {}
        if publishable_series(monthly["searches"], self.policy):
            bars = charts.monthly_bars(
                monthly[["month", "searches", "twelve_month_average"]], x="month", y="searches",
                smooth="twelve_month_average", title=f"Searches for controlled drugs each month, {self.area.name}",
                ylabel="Searches", source=STOP_SEARCH_SOURCE, synthetic=self.synthetic,
            )
            items.append(render.chart_html(bars))
            frames["monthly"] = bars.data
        else:
            messages.append(KeyMessage(_SMALL_MONTHS.format(what="drug searches"), key=False))
        finds = stop_search.find_rate(drugs, period="financial_year")
        finds = finds[finds["searches"] > 0]
        if not finds.empty:
            table = self._find_table(finds)
            frames["find_rate"] = table
            items.append(render.table_html(
                table.drop(columns="suppressed"), f"Drug searches and what they found, {self.area.name}",
                synthetic=self.synthetic, formats={"Drug searches": ",.0f", "With outcome flag": ",.0f"},
                suppressed_cols=("Drug searches", "With outcome flag", "Found (%)", "Lower 95% CI", "Upper 95% CI"),
                suppressed_rows=table["suppressed"].tolist()))
            messages.append(self._find_message(table, finds.iloc[-1]))
        items_d, messages_d, frame_d = self._disproportionality(drugs)
        if frame_d is not None:
            frames["disproportionality"] = frame_d
        return Section(title, items + items_d, messages + messages_d, coverage, frames, "stop_search")

    def _unplaced_note(self, forces: list[str], months: list[str]) -> str:
        """One sentence on the forces' drug searches without a map point, which no area can hold ("" if none).

        They count in the forces' total, never in an area's figures. Counts in the
        policy's suppressed range are not written as numbers; counts are rounded as
        the policy rounds them, and the share is worked from the rounded counts.
        """
        from cdp_analysis.indicators import stop_search

        rows = self.ctx.dataset.stop_search(months=months, forces=forces,
                                            columns=["latitude", "longitude", "object_of_search", "legislation"])
        drugs = stop_search.drug_searches(rows)
        total, unplaced = len(drugs), int(stop_search.without_point(drugs).sum())
        if not unplaced:
            return ""
        names = [" ".join(w if w in ("of", "and") else w.capitalize() for w in f.split("-")) for f in forces]
        files = (f"the files of the {narrative.join_words(names)} force{'s' if len(names) > 1 else ''}"
                 if len(names) <= 4 else f"the files of the {len(names)} forces policing {self.area.name}")
        small = self.policy.primary(pd.Series([unplaced, total]))
        counted = self.policy.rounded(pd.Series([unplaced, total]))
        whose = (f"the {int(counted[1]):,} drug searches in {files} for {describe_months(months)}"
                 if not small[1] else f"the drug searches in {files} for {describe_months(months)}")
        part = ("Some" if small[1] else "A few" if small[0]
                else f"{int(counted[0]):,} ({narrative.number(100 * counted[0] / counted[1])}%)")
        return (f"{part} of {whose} have no map point, so they could not be placed in {self.area.name} "
                "and are not counted in the figures below.")

    def _find_table(self, finds: pd.DataFrame) -> pd.DataFrame:
        """Find rates by financial year; a year with a count (or its complement) in the suppressed range is hidden."""
        table = finds[["period", "months_with_data", "searches", "flag_recorded", "found", "find_rate",
                       "find_rate_lower", "find_rate_upper"]].copy()
        small = pd.DataFrame({c: self.policy.primary(s) for c, s in {
            "searches": table["searches"], "flag": table["flag_recorded"], "found": table["found"],
            "not_found": table["flag_recorded"] - table["found"]}.items()})
        rate_hidden = small[["flag", "found", "not_found"]].any(axis=1).to_numpy()
        for col in ("find_rate", "find_rate_lower", "find_rate_upper"):
            table[col] = table[col].round(1).where(~rate_hidden)
        table["searches"] = table["searches"].astype(float).where(~small["searches"].to_numpy())
        table["flag_recorded"] = table["flag_recorded"].astype(float).where(~small["flag"].to_numpy())
        table["suppressed"] = rate_hidden | small["searches"].to_numpy()
        return table.drop(columns="found").rename(columns={
            "period": "Financial year", "months_with_data": "Months of data", "searches": "Drug searches",
            "flag_recorded": "With outcome flag", "find_rate": "Found (%)", "find_rate_lower": "Lower 95% CI",
            "find_rate_upper": "Upper 95% CI"})

    def _find_message(self, table: pd.DataFrame, counts: pd.Series) -> KeyMessage:
        """The latest year's find rate in words; with none, the true reason: blank flags, or small counts.

        ``counts`` is the :func:`~cdp_analysis.indicators.stop_search.find_rate` row of that year
        (before disclosure control), used for the reason only, never written.
        """
        last = table.iloc[-1]
        months = int(last["Months of data"])
        when = f"In {last['Financial year']}" + (f" so far ({months} months)" if months < 12 else "")
        if last["Found (%)"] != last["Found (%)"]:
            if 2 * int(counts["flag_recorded"]) < int(counts["searches"]):  # blank for most: not recorded
                which = "every drug search" if int(counts["flag_recorded"]) == 0 else "most drug searches"
                return KeyMessage(f"{when}, the police.uk files leave \"Outcome linked to object of search\" blank "
                                  f"for {which} in {self.area.name}, so the data does not record how "
                                  "many found what was searched for and no find rate is given.", key=False)
            return KeyMessage(f"{when}, too few drug searches in {self.area.name} had a recorded outcome link to "
                              "publish a find rate (disclosure control).", key=False)
        return KeyMessage(
            f"{when}, {narrative.number(last['Found (%)'])}% of the {int(last['With outcome flag']):,} drug searches "
            f"in {self.area.name} with a recorded outcome link found what was searched for (95% CI "
            f"{narrative.number(last['Lower 95% CI'])}% to {narrative.number(last['Upper 95% CI'])}%).")

    def _disproportionality(self, drugs: pd.DataFrame) -> tuple[list, list[KeyMessage], pd.DataFrame | None]:
        from cdp_analysis.indicators import stop_search

        try:
            census = self.ctx.dataset.census()
        except MissingDataError:
            return [], [KeyMessage("Disproportionality needs Census 2021 ethnic group counts, which the data lacks.",
                                   key=False)], None
        census = census[census["area_code"].isin(self.ctx.lad_codes(self.area.code))]
        start, end, ratios = stop_search.recent_disproportionality(drugs, census)
        published = suppress_table(
            ratios, "searches", policy=self.policy,
            derived_cols=("value", "lower_ci", "upper_ci", "ratio", "ratio_lower_ci", "ratio_upper_ci"),
        )
        if published.loc[published["group"] == "White", "suppressed"].any():
            for col in ("ratio", "ratio_lower_ci", "ratio_upper_ci"):
                published[col] = float("nan")
        shown = published[["group", "searches", "residents", "value", "ratio", "ratio_lower_ci", "ratio_upper_ci", "note"]]
        table = render.table_html(
            shown.rename(columns={"group": "Ethnic group (Census 2021)", "searches": "Drug searches",
                                  "residents": "Residents", "value": "Searches per 1,000 residents",
                                  "ratio": "Ratio to White", "ratio_lower_ci": "Lower 95% CI",
                                  "ratio_upper_ci": "Upper 95% CI", "note": "Note"}),
            f"Drug searches by officer-defined ethnicity against residents, {start:%b %Y} to {end:%b %Y}",
            synthetic=self.synthetic,
            suppressed_cols=("Drug searches", "Searches per 1,000 residents", "Ratio to White",
                             "Lower 95% CI", "Upper 95% CI"),
            suppressed_rows=published["suppressed"].tolist(),
            formats={"Drug searches": ",.0f", "Residents": ",.0f", "Searches per 1,000 residents": ".2f",
                     "Ratio to White": ".1f",
                     "Lower 95% CI": ".1f", "Upper 95% CI": ".1f"},
        )
        messages = []
        significant = published[published["ratio_lower_ci"] > 1]
        for _, r in significant.sort_values("ratio", ascending=False).head(2).iterrows():
            messages.append(KeyMessage(
                f"{r['group']} residents of {self.area.name} were searched for drugs {r['ratio']:.1f} times as often "
                f"as White residents (95% CI {r['ratio_lower_ci']:.1f} to {r['ratio_upper_ci']:.1f}).",
                "Review the grounds and outcomes of drug searches with the police and crime panel and "
                "community scrutiny groups.", "Supply", rank=narrative.RANK_CONCENTRATION,
            ))
        return [table], messages, shown

    # what happens after a drug offence; anti-social behaviour; county lines ------------------------------
    def drug_outcomes(self) -> Section:
        """Drug offences by outcome group, by quarter; the settled twelve months against comparators.

        Outcomes lag (:mod:`cdp_analysis.indicators.crime_outcomes`): shares are compared
        only over quarters whose outcomes have settled, never over the latest ones.
        """
        title, key = "What happens after a drug offence", "outcomes"
        if (missing := self._needs(title, key)) is not None:
            return missing
        own = self.lsoas[self.area.code]
        crimes = self.ctx.dataset.street_crime(lsoa_codes=own, crime_types=list(supply.DRUG_CRIME),
                                               months=self.covered_months,
                                               columns=["month", "lsoa_code", "last_outcome"])
        monthly = crime_outcomes.outcome_counts(crimes, own, self.months)
        quarters = crime_outcomes.quarterly_shares(monthly)
        if quarters.empty:
            return Section(title, [], [KeyMessage(f"No drug offence is located in {self.area.name} in "
                                                  f"{describe_months(self.covered_months)}.", key=False)],
                           self.coverage, {}, key)
        window = crime_outcomes.settled_window(quarters)
        months = [m for m in self.months if window is not None and m.to_period("Q").start_time in window[2]
                  and window[0] <= m <= window[1]]
        label = "" if window is None else (f"{window[0]:%b %Y} to {window[1]:%b %Y}"
                                           + (f", {len(months)} months of data" if len(months) < 12 else ""))
        table = self._protected_outcomes(quarters, crime_outcomes.pooled_shares(monthly, months), label, window)
        by_quarter = table[table["period"] != label] if label else table
        pooled = table[table["period"] == label] if label else table.iloc[0:0]
        wide = self._outcome_wide(by_quarter)
        frames: dict[str, pd.DataFrame] = {"by_quarter": by_quarter, "by_quarter_wide": wide}
        shown = by_quarter.assign(outcome=by_quarter["outcome_group"].map(_OUTCOME_LABELS),
                                  not_settled=~by_quarter["settled"].astype(bool))
        every = pd.date_range(shown["quarter"].min(), shown["quarter"].max(), freq="QS")
        gaps = pd.DataFrame({"quarter": [q for q in every if q not in set(shown["quarter"])]})
        gaps["period"] = [f"{q:%b} to {q + pd.DateOffset(months=2):%b %Y}" for q in gaps["quarter"]]
        if not gaps.empty:
            shown = pd.concat([shown, gaps], ignore_index=True).sort_values("quarter", kind="stable")
        shown["tick"] = [f"{q:%b}-{q + pd.DateOffset(months=2):%b}\n{q:%Y}" for q in shown["quarter"]]
        bars = charts.stacked_shares(
            shown[["quarter", "period", "tick", "outcome", "count", "total", "value", "not_settled"]], period="period",
            part="outcome", value="value",
            order=[_OUTCOME_LABELS[g] for g in crime_outcomes.GROUP_ORDER if g in set(by_quarter["outcome_group"])],
            title=f"Drug offences by outcome, share of each quarter's offences, {self.area.name}",
            ylabel="Share of the quarter's drug offences (%)", source=POLICE_SOURCE, synthetic=self.synthetic,
            faded="not_settled", faded_label="outcomes not yet settled (more than a tenth still under investigation)",
            tick="tick")
        items = [render.chart_html(bars)]
        group_cols = tuple(c for c in wide.columns if c.endswith("(%)"))
        items.append(render.table_html(
            wide, f"Drug offences by outcome and quarter, {self.area.name}", synthetic=self.synthetic,
            formats={"Drug offences": ",.0f", "Months of data": ".0f", **dict.fromkeys(group_cols, ".0f")},
            suppressed_cols=("Drug offences", *group_cols)))
        messages = [self._lag_message(by_quarter)]
        if pooled.empty:
            messages.insert(0, KeyMessage(
                f"No quarter's outcomes have settled yet in {self.area.name} (in every quarter held, more than a "
                "tenth of drug offences are still under investigation), so outcomes are not compared.", key=False))
            return self._finish_section(title, key, items, messages, frames)
        comparison, not_compared = self._outcome_comparison(pooled, label, [f"{m:%Y-%m}" for m in months])
        frames["settled_twelve_months"] = pooled
        frames["charged_comparison"] = comparison
        items.append(render.table_html(
            pooled.assign(outcome=pooled["outcome_group"].map(_OUTCOME_LABELS))[
                ["outcome", "count", "value", "lower_ci", "upper_ci"]].rename(columns={
                    "outcome": "Outcome", "count": "Drug offences", "value": "Share (%)",
                    "lower_ci": "Lower 95% CI", "upper_ci": "Upper 95% CI"}),
            f"Drug offences by outcome, {label} (the latest twelve months whose outcomes have settled), "
            f"{self.area.name}", synthetic=self.synthetic,
            formats={"Drug offences": ",.0f", "Share (%)": ".1f", "Lower 95% CI": ".1f", "Upper 95% CI": ".1f"},
            suppressed_cols=("Drug offences", "Share (%)", "Lower 95% CI", "Upper 95% CI"),
            suppressed_rows=pooled["suppressed"].tolist()))
        if len(comparison) > 1:
            items.append(render.table_html(
                comparison[["area", "count", "total", "value", "lower_ci", "upper_ci", "focus_compared"]].rename(
                    columns={"area": "Area", "count": "Charged or summonsed", "total": "Drug offences",
                             "value": "Share (%)", "lower_ci": "Lower 95% CI", "upper_ci": "Upper 95% CI",
                             "focus_compared": f"{self.area.name} compared with this area"}),
                f"Drug offences charged or summonsed, {label}", synthetic=self.synthetic,
                formats={"Charged or summonsed": ",.0f", "Drug offences": ",.0f", "Share (%)": ".1f",
                         "Lower 95% CI": ".1f", "Upper 95% CI": ".1f"},
                suppressed_cols=("Charged or summonsed", "Share (%)", "Lower 95% CI", "Upper 95% CI"),
                suppressed_rows=comparison["suppressed"].tolist()))
        messages[:0] = [self._pooled_message(pooled, label), self._charged_message(comparison, label, not_compared)]
        messages.append(self._outcome_trend_message(quarters, by_quarter))
        return self._finish_section(title, key, items, messages, frames)

    def _protected_outcomes(self, quarters: pd.DataFrame, pooled: pd.DataFrame, label: str,
                            window: tuple | None) -> pd.DataFrame:
        """The quarters' and the settled twelve months' counts, disclosure-controlled together.

        Within each period the groups add up to its drug offences; the settled twelve
        months add up the settled quarters in them, group by group: no hidden count can
        be worked out from the others (:func:`cdp_analysis.stats.sdc.protect_shares`).
        """
        parts = quarters.drop(columns=["open_pct"])
        rows = [parts]
        relations = []
        if label and window is not None:
            whole = pooled.assign(quarter=pd.NaT, period=label, months_with_data=float("nan"), settled=True)
            rows.append(whole)
            inside = tuple(parts.loc[parts["quarter"].isin(window[2]), "period"].unique())
            relations.append(("period", label, inside, ["outcome_group"]))
        table = pd.concat(rows, ignore_index=True)
        return protect_shares(table, self.policy, count="count", denominator="total",
                              derived=("value", "lower_ci", "upper_ci"),
                              parts_of_denominator=(["period"], None, "outcome_group"), total_rows=relations)

    @staticmethod
    def _outcome_wide(by_quarter: pd.DataFrame) -> pd.DataFrame:
        """One row a quarter: its drug offences, each group's share, and whether its outcomes have settled."""
        wide = by_quarter.pivot(index="quarter", columns="outcome_group", values="value")
        wide = wide[[g for g in crime_outcomes.GROUP_ORDER if g in wide.columns]]
        wide.columns = [f"{_OUTCOME_LABELS[g]} (%)" for g in wide.columns]
        head = by_quarter.drop_duplicates("quarter").set_index("quarter")
        out = pd.concat([head[["period", "months_with_data", "total"]], wide], axis=1).reset_index(drop=True)
        out.insert(3, "Outcomes", ["settled" if s else "not yet settled"
                                   for s in head["settled"].to_numpy()])
        return out.rename(columns={"period": "Quarter", "months_with_data": "Months of data",
                                   "total": "Drug offences"})

    def _lag_message(self, by_quarter: pd.DataFrame) -> KeyMessage:
        """How many of the latest quarter's offences are still open, and from when quarters are not compared."""
        last = by_quarter[by_quarter["quarter"] == by_quarter["quarter"].max()]
        open_row = last[last["outcome_group"] == "under_investigation"].iloc[0]
        settled = by_quarter["settled"].astype(bool)
        quarters = by_quarter[~settled].drop_duplicates("quarter")
        if settled.any():
            quarters = quarters[quarters["quarter"] > by_quarter.loc[settled, "quarter"].max()]
        later = list(quarters["quarter"])
        if open_row["value"] != open_row["value"]:
            text = (f"Outcomes take months to be recorded; the number of drug offences of {open_row['period']} "
                    "still under investigation is too small to publish.")
        else:
            text = (f"Outcomes take months to be recorded: of the drug offences of {open_row['period']}, "
                    f"{narrative.number(open_row['value'], 0)}% are still under investigation.")
        if later:
            span = f"{later[0]:%b %Y} to {later[-1] + pd.DateOffset(months=2):%b %Y}"
            text += (f" The quarters from {span}, in which more than a tenth are still under investigation, are "
                     "shown but not compared.")
        return KeyMessage(text, key=False)

    def _pooled_message(self, pooled: pd.DataFrame, label: str) -> KeyMessage:
        """The settled twelve months in words: each group's share, the largest first."""
        total = pooled["total"].iloc[0]
        if total != total:
            return KeyMessage(f"Too few drug offences were recorded in {self.area.name} in {label} to publish "
                              "their outcomes (disclosure control).", key=False)
        phrases = {"charged": "were charged or summonsed", "out_of_court": "were dealt with out of court",
                   "no_further_action": "ended with no further action or no suspect identified",
                   "under_investigation": "are still under investigation",
                   "unavailable": "have no outcome available", UNMAPPED: "have an outcome the grouping does not know"}
        shown = pooled[pooled["value"].notna() & (pooled["count"] > 0)].sort_values("value", ascending=False)
        parts = [f"{narrative.number(r['value'], 0)}% {phrases[r['outcome_group']]}" for _, r in shown.iterrows()]
        text = (f"Of the {int(total):,} drug offences recorded in {self.area.name} in the latest twelve months whose "
                f"outcomes have settled ({label}), {narrative.join_words(parts)}.")
        unknown = pooled.loc[pooled["outcome_group"] == "unavailable", "value"]
        if len(unknown) and unknown.iloc[0] >= crime_outcomes.MAX_OPEN_PCT:
            text += (" With that many offences lacking an outcome in the police.uk files, each other share is a "
                     "floor: the true share may be higher.")
        if pooled["suppressed"].any():
            text += " The other outcomes are too few to publish (disclosure control)."
        rec = ""
        if not shown.empty and shown.iloc[0]["outcome_group"] == "out_of_court":
            rec = ("Drug offences end out of court more often than any other way: agree with the police that "
                   "drugs possession warnings, "
                   "cautions and community resolutions carry a referral to drug education or treatment, and "
                   "track the referrals (the out_of_court_disposals local return).")
        return KeyMessage(text, rec, "Supply" if rec else "", rank=narrative.RANK_CONTEXT)

    def _outcome_comparison(self, pooled: pd.DataFrame, label: str, months: list[str]
                            ) -> tuple[pd.DataFrame, dict[str, str]]:
        """The charged or summonsed share of the area and of each comparator over the same settled months,
        and the comparators not compared (name → why)."""
        own = pooled[pooled["outcome_group"] == "charged"].iloc[0]
        try:
            counts = self.ctx.dataset.police_counts() if self.national else None
        except MissingDataError:
            counts = None
        frames = []
        for comparator in self.shown[1:]:
            frame = None
            if comparator.code in self.national and counts is not None:
                frame = comparator_outcomes(counts, self.ctx.registry, comparator.code, months,
                                            real_only=not self.area.is_demo)
            elif comparator.code in self.lsoas:
                crimes = self.ctx.dataset.street_crime(
                    lsoa_codes=self.lsoas[comparator.code], crime_types=list(supply.DRUG_CRIME), months=months,
                    columns=["month", "lsoa_code", "last_outcome"])
                counted = crime_outcomes.outcome_counts(crimes, self.lsoas[comparator.code],
                                                         pd.to_datetime([f"{m}-01" for m in months]))
                frame = counted.assign(month=counted["month"].dt.strftime("%Y-%m"))
            frames.append((comparator.name, comparator.code, frame))
        table, missing = crime_outcomes.charged_comparison(own, (self.area.name, self.area.code), label, frames)
        not_compared = dict.fromkeys(missing, "the police.uk data does not hold its drug offences' outcomes for "
                                              "those months")
        for name, reason in self.not_shown.items():
            not_compared.setdefault(name, reason.rstrip("."))
        return table, not_compared

    def _charged_message(self, comparison: pd.DataFrame, label: str, missing: dict[str, str]) -> KeyMessage:
        """The charged or summonsed share against the comparators, or why it is not compared."""
        own = comparison.iloc[0]
        others = comparison[comparison["role"] == base.ROLE_COMPARATOR]
        why = "; ".join(f"{n}: {r}" for n, r in missing.items())
        if own["suppressed"] or own["value"] != own["value"]:
            return KeyMessage(f"Too few drug offences in {self.area.name} were charged or summonsed in {label} to "
                              "publish the share (disclosure control).", key=False)
        if others.empty:
            return KeyMessage(f"The share of drug offences charged or summonsed in {self.area.name} is not compared "
                              f"with other areas: {why or 'the data holds no comparator'}.", key=False)
        comparisons = [(r["area"], r["focus_compared"], r["value"]) for _, r in others.iterrows()]
        text = narrative.rate_sentence("The", f"share of drug offences charged or summonsed in {self.area.name}",
                                       own["value"], "%", label, comparisons, decimals=0)
        if why:
            text += f" Not compared with {why}."
        rank = narrative.judge(comparisons, own["value"], low_is_good=None)
        return KeyMessage(text, rank=rank, key=rank > narrative.RANK_CONTEXT)

    def _outcome_trend_message(self, quarters: pd.DataFrame, by_quarter: pd.DataFrame) -> KeyMessage:
        """The Fingertips test for trend over the latest five consecutive settled quarters' charged share."""
        run = crime_outcomes.trend_run(quarters)
        published = by_quarter[by_quarter["quarter"].isin(run) & (by_quarter["outcome_group"] == "charged")]
        if len(run) < 5:
            return KeyMessage("Change in the share charged or summonsed is not tested: that needs five consecutive "
                              "complete quarters whose outcomes have settled, and the data holds "
                              f"{narrative.count_words(len(run)).lower() if run else 'none'}.", key=False)
        if published["suppressed"].any():
            return KeyMessage("Change in the share charged or summonsed is not tested: some of the quarters hold too "
                              "few charges to publish (disclosure control).", key=False)
        charged = quarters[quarters["quarter"].isin(run) & (quarters["outcome_group"] == "charged")]
        result = stats.recent_trend_proportion(charged["count"], charged["total"], polarity="NoJudgement")
        label = str(result.label).lower()
        words = _TREND_WORDS.get(label)
        if words is None:
            return KeyMessage(f"Change in the share charged or summonsed cannot be tested: {result.message}.",
                              key=False)
        first, last = run[0], run[-1] + pd.DateOffset(months=2)
        return KeyMessage(f"Over the five latest settled quarters ({first:%b %Y} to {last:%b %Y}), the share of drug offences "
                          f"charged or summonsed shows {words} (Fingertips test for trend).",
                          rank=narrative.RANK_DIFFERS if result.significant else narrative.RANK_CONTEXT,
                          key=bool(result.significant))

    def anti_social_behaviour(self) -> Section:
        """Anti-social behaviour incidents: the latest rate against comparators, over time, and change."""
        title, key = "Anti-social behaviour", "asb"
        section = self._simple_type_section(_ASB, "anti-social behaviour incidents", title, key,
                                            ylabel="Incidents per 1,000 residents")
        if not section.shown:
            return section
        rates = self.rates(_ASB)
        own_rates = rates[rates["area_code"] == self.area.code]
        table = self._twelve_month_table(own_rates).rename(columns={"Drug offences": "Incidents"})
        section.frames["twelve_months"] = table
        section.items.append(render.table_html(
            table.drop(columns="suppressed"), f"Anti-social behaviour per twelve months, {self.area.name}",
            synthetic=self.synthetic,
            formats={"Incidents": ",.0f", "Residents": ",.0f", "Rate per 1,000": ".1f", "Lower 95% CI": ".1f",
                     "Upper 95% CI": ".1f", "Change on a year earlier (%)": ".0f",
                     "Change on five years earlier (%)": ".0f"},
            suppressed_cols=("Incidents", "Rate per 1,000", "Lower 95% CI", "Upper 95% CI",
                             "Change on a year earlier (%)", "Change on five years earlier (%)"),
            suppressed_rows=table["suppressed"].tolist()))
        if not table["suppressed"].any():
            change = supply.change_over_time(own_rates, self.area.code)
            if change.get("one_year_pct") is not None or change.get("five_year_pct") is not None:
                section.messages.append(KeyMessage(
                    narrative.change_sentence("anti-social behaviour rate", change), key=False))
        section.messages.append(KeyMessage(
            "Anti-social behaviour counts incidents reported to the police (not crimes, and not those reported "
            "only to the council or a housing provider); police.uk records no outcome for them.", key=False))
        return section

    def county_lines(self) -> Section:
        """County lines referrals and line closures from the partnership's local return."""
        title, key = "County lines and exploitation", "county_lines"
        how = ("the local return county_lines.csv (one row a period: people referred to support because of county "
               "lines exploitation, and lines closed by type, as the police force reports them) is not in the data "
               f"for {self.area.name}; `cdp templates` copies the template into the raw data's local folder")
        try:
            frame = self.ctx.dataset.local("county_lines")
        except MissingDataError:
            return missing_section(title, f"Not shown: {how}.", key)
        members = [m.code for m in base.partnership_members(self.area, self.ctx.registry)]
        columns = ["referrals", "closures_type_1", "closures_type_2"]
        rows = demand_indicators.local_series(frame, self.area.code, members, columns)
        if rows.empty:
            return missing_section(title, f"Not shown: {how} (the file holds other areas only).", key)
        table = supply.county_lines_table(rows, self.area.name)
        small = pd.DataFrame({c: self.policy.primary(table[c]) for c in [*columns, "closures"]})
        # the two closure types add up to the closures shown: one hidden type hides the other and the total
        both = small["closures_type_1"] | small["closures_type_2"]
        small.loc[both, ["closures_type_1", "closures_type_2"]] = True
        small.loc[both & ~small["closures"], "closures"] = False
        for column in [*columns, "closures"]:
            table[column] = table[column].astype(float).where(~small[column].to_numpy())
        table["suppressed"] = small.any(axis=1).to_numpy()
        shown = table.drop(columns="suppressed").rename(columns={
            "area": "Area", "period": "Period", "referrals": "People referred for support",
            "closures_type_1": "Lines closed, type 1", "closures_type_2": "Lines closed, type 2",
            "closures": "Lines closed"})
        counted = ("People referred for support", "Lines closed, type 1", "Lines closed, type 2", "Lines closed")
        item = render.table_html(shown, f"County lines referrals and closures, {self.area.name}",
                                 synthetic=self.synthetic, formats=dict.fromkeys(counted, ",.0f"),
                                 suppressed_cols=counted)
        last = table.iloc[-1]
        parts = []
        for column, words, hidden in (
                ("referrals", "people were referred for support because of county lines exploitation",
                 "the number of people referred for support is too small to publish"),
                ("closures", "county lines were closed", "the number of lines closed is too small to publish")):
            value = last[column]
            parts.append(f"{int(value):,} {words}" if value == value else hidden)
        text = f"In {last['period']}, as the partnership's local return reports, {narrative.join_words(parts)}."
        messages = [KeyMessage(text, rank=narrative.RANK_CONTEXT)]
        if len(table) > 1:
            first = table.iloc[0]
            if first["referrals"] == first["referrals"] and last["referrals"] == last["referrals"]:
                messages.append(KeyMessage(
                    f"Referrals for county lines exploitation went from {int(first['referrals']):,} in "
                    f"{first['period']} to {int(last['referrals']):,} in {last['period']} (counts, not rates: "
                    "they follow how actively exploitation is identified).", key=False))
        messages.append(KeyMessage("From the partnership's local return (management information, not a published "
                                   "statistic); small counts are not published (disclosure control).", key=False))
        return Section(title, [item], messages, COVERED, {"county_lines": table}, key)

    def headline_series(self) -> pd.DataFrame:
        """The area's twelve-month rates of drug offences, neighbourhood crime and possession of weapons,
        small counts hidden: the headline series "Since the last assessment" compares
        (:data:`cdp_analysis.indicators.change.SERIES_COLUMNS`)."""
        parts = []
        for indicator_id, name, types, polarity in _HEADLINE_SERIES:
            if not self.covered_months:
                break
            try:
                own = self.rates(types)
            except DataShortfallError:  # too few months for a twelve-month rate
                continue
            own = own[own["area_code"] == self.area.code].reset_index(drop=True)
            hidden = suppress_table(own, "count", policy=self.policy, derived_cols=("value", "lower_ci", "upper_ci"),
                                    total_published=False)["suppressed"]
            parts.append(change.police_series(own, indicator_id, name, polarity, "per 1,000 residents", hidden))
        return pd.concat(parts, ignore_index=True) if parts else change.series_table(
            pd.DataFrame(columns=change.SERIES_COLUMNS))

    def since_last_assessment(self) -> Section:
        """This edition's headline rates against the earlier edition's (:func:`base.since_last_assessment`)."""
        if not self.coverage.shown:  # the police data does not cover the area: the chapter's reason
            return missing_section(base.SINCE_TITLE, self.coverage.note, base.SINCE_KEY)
        return base.since_last_assessment(self.ctx, lambda ctx: SupplyChapter(ctx).headline_series(),
                                          what="police-recorded crime")

    def sections(self, small_area_level: str = "ward") -> dict[str, Section]:
        """Every section in reading order."""
        return base.build_sections([
            (base.SINCE_KEY, base.SINCE_TITLE, self.since_last_assessment),
            ("headline", "Drug offences: latest rate", self.headline),
            ("trend", "Drug offences over time", self.trend),
            ("seasonality", "Seasonality", self.seasonality),
            ("small_areas", "Where drug crime happens", lambda: self.small_areas(small_area_level)),
            ("deprivation", "Drug offences and deprivation", self.deprivation),
            ("weapons", "Possession of weapons", self.weapons),
            ("neighbourhood", "Neighbourhood crime", self.neighbourhood_crime),
            ("stop_search", "Stop and search for drugs",
             lambda: self.stop_and_search() if self.has_stop_search() else missing_section(
                 "Stop and search for drugs", "The data holds no stop-and-search records for this area.",
                 "stop_search")),
            ("outcomes", "What happens after a drug offence", self.drug_outcomes),
            ("asb", "Anti-social behaviour", self.anti_social_behaviour),
            ("county_lines", "County lines and exploitation", self.county_lines),
            ("neighbours", base.NEIGHBOURS_TITLE, self.neighbours),
        ], hint=DATA_CHECKLIST_HINT.format(code=self.area.code))

    def all_sections(self) -> list[Section]:
        """Every section in reading order (used by tests and the key-messages box)."""
        return list(self.sections().values())


#: The headline series compared between editions: (id, name, crime types, polarity). Drug offences and
#: possession of weapons rise with police activity, so their change is not judged better or worse.
_HEADLINE_SERIES = (
    ("police-drugs", "Drug offences per 1,000 residents", supply.DRUG_CRIME, "NoJudgement"),
    ("police-neighbourhood", "Neighbourhood crime per 1,000 residents", supply.NEIGHBOURHOOD_CRIME, "LowIsGood"),
    ("police-weapons", "Possession of weapons offences per 1,000 residents", supply.WEAPONS, "NoJudgement"),
)
_NO_FILES = ("the data lacks the police.uk files of some force that polices it for some of the months "
             "shown, and a partial sum would be wrong.")
_NO_RESIDENTS = "the data has no population for it."
_ASB = ("Anti-social behaviour",)
_OUTCOME_LABELS = {**OUTCOME_GROUPS, UNMAPPED: "Outcome category not grouped"}
_SMALL_MONTHS = ("Monthly figures of {what} are not shown: some months hold fewer than five, which disclosure "
                 "control does not publish (twelve-month totals are shown instead).")


def top_title(drawn: int, areas: int, label: str) -> str:
    """The ranked chart's title, saying how many bars it draws and why not ten.

    >>> top_title(10, 18, "wards"), top_title(4, 4, "wards"), top_title(4, 32, "LSOAs")
    ('Ten wards with the highest drug offence rates', 'The 4 wards by drug offence rate, highest first', 'The 4 LSOAs with published counts, highest drug offence rate first')
    """
    if drawn >= 10:
        return f"Ten {label} with the highest drug offence rates"
    if drawn == areas:
        return f"The {drawn} {label} by drug offence rate, highest first"
    return f"The {drawn} {label} with published counts, highest drug offence rate first"


"""Chapter 1, "Break drug supply chains": each section's figures, tables and words.

The notebook ``01_supply.ipynb`` only calls these methods and displays what they
return, so every number it shows is computed (and tested) here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from cdp_analysis import charts, maps, narrative, render, stats, supply
from cdp_analysis.context import ChapterContext
from cdp_analysis.errors import MissingDataError
from cdp_analysis.narrative import KeyMessage
from cdp_analysis.sdc import get_policy, suppress_table

__all__ = ["SupplyChapter", "POLICE_SOURCE", "POLICE_CAVEAT"]

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


@dataclass
class Section:
    """A titled result for the notebook: markdown, HTML items and messages."""

    title: str
    items: list
    messages: list[KeyMessage]


class SupplyChapter:
    """Computes the supply chapter for one area from a :class:`ChapterContext`."""

    def __init__(self, ctx: ChapterContext) -> None:
        self.ctx = ctx
        self.area = ctx.area
        self.synthetic = ctx.synthetic
        self.policy = get_policy(ctx.config.disclosure_policy)
        self._memo: dict[tuple, pd.DataFrame] = {}
        candidates = ctx.areas_shown()
        candidate_lsoas = {a.code: ctx.lsoas(a.code) for a in candidates}
        wanted = sorted(set().union(*candidate_lsoas.values()))
        # one scan of the crime table serves the coverage test and the whole chapter
        self._crimes = ctx.dataset.street_crime(lsoa_codes=wanted, columns=["month", "lsoa_code", "crime_type"])
        self.shown = [a for a in candidates if a is ctx.area or self._police_covers(a.code)]
        self.lsoas = {a.code: candidate_lsoas[a.code] for a in self.shown}

    # data -------------------------------------------------------------------
    def _police_covers(self, code: str) -> bool:
        """Whether police data holds crimes in every LA of a comparator.

        A force's files also hold crimes just over its border, so a region is only
        compared when each of its authorities has crimes in the data.
        """
        located = set(self._crimes["lsoa_code"].dropna().astype(str).unique())
        return all(located.intersection(self.ctx.lsoas(lad)) for lad in self.ctx.lad_codes(code))

    @cached_property
    def population(self) -> dict[str, float]:
        """Residents of the area and of each comparator."""
        return {a.code: self.ctx.population(a.code) for a in self.shown}

    @property
    def crimes(self) -> pd.DataFrame:
        """Street crime located in the area or a comparator (``month, lsoa_code, crime_type``)."""
        own = self._crimes["lsoa_code"].isin(self.lsoas[self.area.code])
        if not own.any():
            raise MissingDataError(f"No police.uk crimes are located in {self.area.label}")
        return self._crimes

    @cached_property
    def months(self) -> pd.DatetimeIndex:
        """The months the police data holds (gaps in the archive are not months of zero)."""
        return pd.DatetimeIndex(pd.to_datetime([f"{m}-01" for m in self.ctx.dataset.months()]))

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
        """Zero-filled monthly counts with rolling twelve-month sums, per area shown."""
        key = ("monthly", *crime_types)
        if key not in self._memo:
            self._memo[key] = self._monthly(crime_types)
        return self._memo[key].copy()

    def _monthly(self, crime_types: tuple[str, ...]) -> pd.DataFrame:
        counts = supply.monthly_counts(self.crimes, self.lsoas, crime_types, self.months)
        counts = supply.add_rolling_12m(counts)
        counts["area"] = counts["area_code"].map(self.names())
        residents = counts["area_code"].map(self.population)
        if counts["rolling_12m"].notna().any():
            counts["rate"] = counts["rolling_12m"] / residents * 1000
        else:  # no run of twelve months in the data: monthly rates, annualised
            counts["rate"] = counts["count"] / residents * 1000 * 12
        return counts

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

    def _comparisons(self, rates: pd.DataFrame) -> list[tuple[str, str, float]]:
        latest = rates[rates["period_end"] == rates["period_end"].max()].set_index("area_code")
        own = latest.loc[self.area.code]
        found = []
        for comp in self.shown[1:]:
            bench = float(latest.loc[comp.code, "value"])
            label = stats.compare_to_benchmark(own["lower_ci"], own["upper_ci"], bench, polarity="NoJudgement")
            found.append((comp.name, label, bench))
        return found

    # sections -----------------------------------------------------------------
    def headline(self) -> Section:
        """Latest drug offence rate against comparators and the region's other LAs."""
        rates = self.rates(supply.DRUG_CRIME)
        latest = rates[rates["period_end"] == rates["period_end"].max()]
        comparisons = self._comparisons(rates)
        own = latest[latest["area_code"] == self.area.code].iloc[0]
        bars = latest.copy()
        bars["compared"] = [
            "Focus area" if c == self.area.code else
            stats.compare_to_benchmark(r["lower_ci"], r["upper_ci"], float(own["value"]), polarity="NoJudgement")
            for c, (_, r) in zip(bars["area_code"], bars.iterrows(), strict=True)
        ]
        chart = charts.rate_bars(
            bars[["area", "count", "value", "lower_ci", "upper_ci", "compared"]],
            label="area", value="value", lower="lower_ci", upper="upper_ci", colour="compared",
            title=f"Drug offences per 1,000 residents, {own['period']}",
            xlabel="Drug offences per 1,000 residents (95% confidence interval)",
            source=POLICE_SOURCE, synthetic=self.synthetic, highlight=self.area.name,
        )
        text = narrative.rate_sentence(
            self.area.name, "drug offence rate", own["value"], "per 1,000 residents",
            own["period"], comparisons,
        )
        higher = [name for name, label, _ in comparisons if label == "Higher"]
        rec = (
            f"Target partnership disruption at drug markets in {self.area.name}, where the rate is "
            f"higher than {narrative.join_words(higher)}." if higher else ""
        )
        return Section("Drug offences: latest rate", [render.chart_html(chart)],
                       [KeyMessage(text, rec, "Supply")])

    def trend(self) -> Section:
        """Monthly counts, rolling twelve-month rates against comparators, change."""
        monthly = self.monthly(supply.DRUG_CRIME)
        own = monthly[monthly["area_code"] == self.area.code].copy()
        own["twelve_month_average"] = own["rolling_12m"] / 12
        bars = charts.monthly_bars(
            own[["month", "count", "twelve_month_average"]], x="month", y="count",
            smooth="twelve_month_average", title=f"Drug offences each month, {self.area.name}",
            ylabel="Drug offences", source=POLICE_SOURCE, synthetic=self.synthetic,
        )
        lines = charts.trend_lines(
            monthly[["area", "month", "count", "rolling_12m", "rate"]],  # NaN months break the line
            x="month", y="rate", series="area", order=[a.name for a in self.shown],
            title=f"Drug offences per 1,000 residents a year, {self.rate_label}",
            ylabel="Drug offences per 1,000 residents", source=POLICE_SOURCE, synthetic=self.synthetic,
        )
        rates = self.rates(supply.DRUG_CRIME)
        change = supply.change_over_time(rates, self.area.code)
        table = rates[rates["area_code"] == self.area.code][
            ["period", "count", "population", "value", "lower_ci", "upper_ci"]
        ].rename(columns={"period": "Twelve months", "count": "Drug offences", "population": "Residents",
                          "value": "Rate per 1,000", "lower_ci": "Lower 95% CI", "upper_ci": "Upper 95% CI"})
        trend = self._trend_marker(rates)
        spc_chart, spc_message = self._spc(own)
        items = [
            render.chart_html(bars), render.chart_html(lines), *spc_chart,
            render.table_html(table, f"Drug offences per twelve months, {self.area.name}",
                              synthetic=self.synthetic,
                              formats={"Drug offences": ",.0f", "Residents": ",.0f", "Rate per 1,000": ".2f",
                                       "Lower 95% CI": ".2f", "Upper 95% CI": ".2f"}),
        ]
        messages = [KeyMessage(narrative.change_sentence("drug offence rate", change) + f" {trend}")]
        messages += spc_message
        return Section("Drug offences over time", items, messages)

    def _spc(self, own: pd.DataFrame, months: int = 36) -> tuple[list[str], list[KeyMessage]]:
        """XmR chart of the latest unbroken run of up to 36 months (at least 12)."""
        series = own.set_index("month")["count"]
        gaps = series[series.isna()]
        run = series[series.index > gaps.index.max()] if not gaps.empty else series
        run = run.tail(months)
        if len(run) < 12:
            return [], []
        table = stats.spc(run, improvement_direction="neutral").reset_index(names="month")
        chart = charts.spc_chart(
            table, x="month", title=f"Drug offences each month with process limits, {self.area.name}",
            ylabel="Drug offences", source=POLICE_SOURCE, synthetic=self.synthetic,
        )
        latest = table.iloc[-6:]
        unusual = latest[latest["special_cause_flag"].astype(bool)]
        if unusual.empty:
            text = ("In the last six months drug offences have varied within their usual range "
                    "(no special-cause variation on an XmR chart).")
        else:
            text = (f"{len(unusual)} of the last six months show special-cause variation on an XmR chart "
                    f"({', '.join(f'{m:%b %Y}' for m in unusual['month'])}): something has changed, "
                    "such as an operation or a change in recording.")
        return [render.chart_html(chart)], [KeyMessage(text)]

    def _trend_marker(self, rates: pd.DataFrame) -> str:
        own = rates[rates["area_code"] == self.area.code].sort_values("period_end")
        result = stats.recent_trend(own["value"], own["lower_ci"], own["upper_ci"], polarity="NoJudgement")
        label = getattr(result, "label", result)
        return f"Recent trend over the last five twelve-month periods (Fingertips method): {str(label).lower()}."

    def seasonality(self) -> Section:
        """Month × year heatmap and the seasonal pattern."""
        monthly = self.monthly(supply.DRUG_CRIME)
        table = supply.seasonality(monthly, self.area.code)
        chart = charts.seasonality_heatmap(
            table, title=f"Drug offences by month and year, {self.area.name}",
            source=POLICE_SOURCE, synthetic=self.synthetic,
        )
        index = table.loc["seasonal index"]
        messages = []
        if index.notna().any():
            messages.append(KeyMessage(
                f"Drug offences peak in {index.idxmax()} ({index.max():.2f} times an average month) "
                f"and are lowest in {index.idxmin()} ({index.min():.2f})."
            ))
        return Section("Seasonality", [render.chart_html(chart)], messages)

    def small_areas(self, level: str = "ward") -> Section:
        """Ward (or LSOA) choropleth, top ten, hotspots, suppressed table.

        Falls back to LSOAs when the area has fewer than five wards (the City of
        London's 25 wards are one merged ward in most published boundaries).
        """
        wards = self.ctx.lookup.loc[self.ctx.lookup["lsoa_code"].isin(self.lsoas[self.area.code]), "ward_code"]
        if level == "ward" and wards.nunique() < 5:
            level = "lsoa"
        start, end = self.latest_window
        area_rate = self.rates(supply.DRUG_CRIME)
        area_rate = area_rate[(area_rate["area_code"] == self.area.code)].iloc[-1]
        table = supply.small_area_rates(
            self.crimes, self.ctx.lookup, self.ctx.lsoa_population, level=level,
            lsoas=self.lsoas[self.area.code], crime_types=supply.DRUG_CRIME, start=start, end=end,
            benchmark_rate=float(area_rate["value"]), years=area_rate["months_with_data"] / 12,
        )
        published = suppress_table(
            table, "count", policy=self.policy, derived_cols=("value", "lower_ci", "upper_ci"),
        )
        published.loc[published["suppressed"], "compared_to_area"] = "Not compared"
        hot = supply.hotspots(published)
        geo = self.ctx.dataset.boundaries(level)
        outline = self._outline()
        period = f"{start:%b %Y} to {end:%b %Y}"
        label = "wards" if level == "ward" else "LSOAs"
        chart = maps.choropleth(
            geo, published[["code", "name", "count", "population", "value", "compared_to_area"]],
            value="value", title=f"Drug offences per 1,000 residents by {level}, {period}",
            legend_title="Per 1,000 residents", source=POLICE_SOURCE, highlight=list(hot["code"]),
            outline=outline, synthetic=self.synthetic,
        )
        top = published.dropna(subset=["value"]).head(10)
        bars = charts.ranked_bars(
            top[["name", "count", "value"]], label="name", value="value",
            title=f"Ten {label} with the highest drug offence rates, {period}",
            xlabel="Drug offences per 1,000 residents", source=POLICE_SOURCE, synthetic=self.synthetic,
            reference=float(area_rate["value"]), reference_label=f"{self.area.name} rate",
        )
        shown = published[["name", "count", "population", "value", "lower_ci", "upper_ci", "compared_to_area"]]
        shown = shown.rename(columns={
            "name": level.capitalize() if level == "ward" else "LSOA", "count": "Drug offences",
            "population": "Residents", "value": "Rate per 1,000", "lower_ci": "Lower 95% CI",
            "upper_ci": "Upper 95% CI", "compared_to_area": f"Compared with {self.area.name}",
        })
        items = [
            render.chart_html(chart), render.chart_html(bars),
            render.table_html(
                shown, f"Drug offences by {level}, {period}", synthetic=self.synthetic,
                formats={"Drug offences": ".0f", "Residents": ",.0f", "Rate per 1,000": ".2f",
                         "Lower 95% CI": ".2f", "Upper 95% CI": ".2f"},
                suppressed_cols=("Drug offences", "Rate per 1,000", "Lower 95% CI", "Upper 95% CI"),
                suppressed_rows=published["suppressed"].tolist(),
            ),
        ]
        return Section("Where drug crime happens", items, self._hotspot_messages(table, hot, label))

    def _hotspot_messages(self, table: pd.DataFrame, hot: pd.DataFrame, label: str) -> list[KeyMessage]:
        total = table["count"].sum()
        if hot.empty or total == 0:
            return [KeyMessage(f"No {label[:-1]} has a drug offence rate significantly above the {self.area.name} rate.")]
        names = list(hot["name"].head(3))
        share = float(table.set_index("name").loc[names, "count"].sum() / total)
        text = narrative.share_sentence(names, share, len(table), "drug offences").replace("wards", label)
        rec = (f"Focus place-based enforcement and outreach on {narrative.join_words(names)}, "
               "with treatment services' outreach alongside.")
        return [KeyMessage(text, rec, "Supply")]

    def _outline(self):
        try:
            lads = self.ctx.dataset.boundaries("lad")
        except MissingDataError:
            return None
        return lads[lads["code"].isin(self.ctx.lad_codes(self.area.code))]

    def deprivation(self) -> Section:
        """Drug offence rates by national IMD 2019 quintile, and the slope index of inequality."""
        try:
            imd = self.ctx.dataset.imd()
        except MissingDataError:
            return Section("Drug offences and deprivation", [],
                           [KeyMessage("The data has no IMD 2019 file, so the deprivation gradient is not shown.",
                                       key=False)])
        start, end = self.latest_window
        latest = self.rates(supply.DRUG_CRIME)
        latest = latest[latest["area_code"] == self.area.code].iloc[-1]
        gradient = supply.deprivation_gradient(
            self.crimes, imd, self.ctx.lsoa_population, lsoas=self.lsoas[self.area.code],
            crime_types=supply.DRUG_CRIME, start=start, end=end, years=latest["months_with_data"] / 12,
        )
        if gradient.empty:
            return Section("Drug offences and deprivation", [],
                           [KeyMessage("No LSOA of the area has an IMD 2019 decile in the data.", key=False)])
        gradient["compared"] = stats.compare_to_benchmark_series(
            gradient["lower_ci"], gradient["upper_ci"], float(latest["value"]), polarity="NoJudgement")
        chart = charts.rate_bars(
            gradient.assign(label="Quintile " + gradient["label"]), label="label", value="value",
            lower="lower_ci", upper="upper_ci", colour="compared",
            title=f"Drug offences per 1,000 residents by deprivation, {latest['period']}",
            xlabel="Drug offences per 1,000 residents a year (95% confidence interval)",
            source=f"{POLICE_SOURCE}; MHCLG English Indices of Deprivation 2019", synthetic=self.synthetic,
        )
        first, last = gradient.iloc[0], gradient.iloc[-1]
        text = (f"In {self.area.name}, drug offences ran at {narrative.number(first['value'])} per 1,000 residents "
                f"in neighbourhoods of deprivation quintile {first['label']} and "
                f"{narrative.number(last['value'])} in quintile {last['label']} (national IMD 2019 quintiles).")
        index = supply.slope_index(gradient)
        if index is not None:
            text += (f" The slope index of inequality is {narrative.number(index['sii'])} per 1,000 "
                     f"(95% CI {narrative.number(index['lower_ci'])} to {narrative.number(index['upper_ci'])}): "
                     "the modelled difference between the least and the most deprived ends of the area.")
        rec = ("Target prevention, treatment outreach and community safety work at the most deprived "
               "neighbourhoods, where drug offences concentrate." if index and index["upper_ci"] < 0 else "")
        return Section("Drug offences and deprivation", [render.chart_html(chart)], [KeyMessage(text, rec, "Supply")])

    def weapons(self) -> Section:
        """Possession of weapons: rolling rate against comparators, latest comparison."""
        return self._simple_type_section(supply.WEAPONS, "possession of weapons offences", "Possession of weapons")

    def _simple_type_section(self, crime_types: tuple[str, ...], what: str, title: str) -> Section:
        monthly = self.monthly(crime_types)
        lines = charts.trend_lines(
            monthly[["area", "month", "count", "rolling_12m", "rate"]],  # NaN months break the line
            x="month", y="rate", series="area", order=[a.name for a in self.shown],
            title=f"{title} per 1,000 residents a year, {self.rate_label}",
            ylabel="Offences per 1,000 residents", source=POLICE_SOURCE, synthetic=self.synthetic,
        )
        rates = self.rates(crime_types)
        own = rates[rates["area_code"] == self.area.code].iloc[-1]
        text = narrative.rate_sentence(
            self.area.name, f"rate of {what}", own["value"], "per 1,000 residents", own["period"],
            self._comparisons(rates), decimals=2,
        )
        return Section(title, [render.chart_html(lines)], [KeyMessage(text)])

    def neighbourhood_crime(self) -> Section:
        """The CDOF neighbourhood-crime proxy, by type, against comparators."""
        frames, rows = [], []
        for crime_type in supply.NEIGHBOURHOOD_CRIME:
            monthly = self.monthly((crime_type,))
            monthly["crime_type"] = crime_type
            frames.append(monthly[["crime_type", "area", "month", "count", "rolling_12m", "rate"]])
            rates = self.rates((crime_type,))
            latest = rates[rates["period_end"] == rates["period_end"].max()]
            own = latest[latest["area_code"] == self.area.code].iloc[0]
            for name, label, value in self._comparisons(rates):
                rows.append({"Crime type": crime_type, "Rate per 1,000": own["value"],
                             "Comparator": name, "Comparator rate": value,
                             "Compared": label})
        chart = charts.small_multiples(
            pd.concat(frames), facet="crime_type", x="month", y="rate", series="area",
            order=[a.name for a in self.shown],
            title=f"Neighbourhood crime per 1,000 residents a year, {self.rate_label}",
            ylabel="Crimes per 1,000 residents", source=POLICE_SOURCE, synthetic=self.synthetic,
        )
        total = self.rates(supply.NEIGHBOURHOOD_CRIME)
        own = total[total["area_code"] == self.area.code].iloc[-1]
        text = narrative.rate_sentence(
            self.area.name, "neighbourhood crime rate (burglary, robbery, theft from the person and vehicle crime)",
            own["value"], "per 1,000 residents", own["period"], self._comparisons(total),
        )
        table = pd.DataFrame(rows)
        items = [render.chart_html(chart)]
        if not table.empty:
            items.append(render.table_html(
                table, "Neighbourhood crime, latest twelve months", synthetic=self.synthetic,
                formats={"Rate per 1,000": ".2f", "Comparator rate": ".2f"},
            ))
        return Section("Neighbourhood crime", items, [KeyMessage(text)])

    def has_stop_search(self) -> bool:
        """Whether the data holds stop-and-search records."""
        return "stop_search" in self.ctx.dataset.available()

    def stop_and_search(self) -> Section:
        """Drug searches located in the area: volume, find rate, disproportionality."""
        from cdp_analysis import stop_search

        searches = self.ctx.dataset.stop_search()
        lads = self.ctx.dataset.boundaries("lad")
        lads = lads[lads["code"].isin(self.ctx.lad_codes(self.area.code))]
        located = stop_search.locate_in_area(searches, lads)
        drugs = stop_search.drug_searches(located[located["area_code"].notna()])
        if drugs.empty:
            return Section("Stop and search for drugs", [],
                           [KeyMessage(f"No stop and search for drugs is located in {self.area.name} in the data.")])
        drugs = drugs.assign(area_code=self.area.code)
        monthly = stop_search.monthly_searches(drugs)
        monthly["twelve_month_average"] = monthly["searches"].rolling(12, min_periods=12).mean()
        bars = charts.monthly_bars(
            monthly[["month", "searches", "twelve_month_average"]], x="month", y="searches", smooth="twelve_month_average",
            title=f"Searches for controlled drugs each month, {self.area.name}", ylabel="Searches",
            source=STOP_SEARCH_SOURCE, synthetic=self.synthetic,
        )
        items, messages = [render.chart_html(bars)], []
        finds = stop_search.find_rate(drugs, period="financial_year")
        finds = finds[finds["flag_recorded"] > 0]
        if not finds.empty:
            items.append(render.table_html(self._find_table(finds), f"Drug searches and what they found, {self.area.name}",
                                           synthetic=self.synthetic,
                                           formats={"Drug searches": ",.0f", "With outcome flag": ",.0f"}))
            last = finds.iloc[-1]
            months = int(last["months_with_data"])
            when = f"In {last['period']}" + (f" so far ({months} months)" if months < 12 else "")
            messages.append(KeyMessage(
                f"{when}, {narrative.number(last['find_rate'])}% of {int(last['flag_recorded']):,} drug "
                f"searches in {self.area.name} found what was searched for (95% CI "
                f"{narrative.number(last['find_rate_lower'])}% to {narrative.number(last['find_rate_upper'])}%)."
            ))
        items_d, message_d = self._disproportionality(drugs)
        return Section("Stop and search for drugs", items + items_d, messages + message_d)

    def _find_table(self, finds: pd.DataFrame) -> pd.DataFrame:
        table = finds[["period", "months_with_data", "searches", "flag_recorded", "find_rate",
                       "find_rate_lower", "find_rate_upper"]].copy()
        for col in ("find_rate", "find_rate_lower", "find_rate_upper"):
            table[col] = table[col].round(1)
        return table.rename(columns={
            "period": "Financial year", "months_with_data": "Months of data", "searches": "Drug searches",
            "flag_recorded": "With outcome flag", "find_rate": "Found (%)", "find_rate_lower": "Lower 95% CI",
            "find_rate_upper": "Upper 95% CI"})

    def _disproportionality(self, drugs: pd.DataFrame) -> tuple[list, list[KeyMessage]]:
        from cdp_analysis import stop_search

        try:
            census = self.ctx.dataset.census()
        except MissingDataError:
            return [], [KeyMessage("Disproportionality needs Census 2021 ethnic group counts, which the data lacks.",
                                   key=False)]
        census = census[census["area_code"].isin(self.ctx.lad_codes(self.area.code))]
        start, end = self.latest_window
        recent = drugs[(drugs["month"] >= start) & (drugs["month"] <= end)]
        ratios = stop_search.disproportionality(recent, census)
        ratios = ratios[ratios["residents"] > 0]
        published = suppress_table(
            ratios, "searches", policy=self.policy,
            derived_cols=("value", "lower_ci", "upper_ci", "ratio", "ratio_lower_ci", "ratio_upper_ci"),
        )
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
                "community scrutiny groups.", "Supply",
            ))
        return [table], messages

    def sections(self, small_area_level: str = "ward") -> dict[str, Section]:
        """Every section in reading order; stop and search only when the data has it."""
        found = {
            "headline": self.headline(), "trend": self.trend(), "seasonality": self.seasonality(),
            "small_areas": self.small_areas(small_area_level), "deprivation": self.deprivation(),
            "weapons": self.weapons(),
            "neighbourhood": self.neighbourhood_crime(),
        }
        if self.has_stop_search():
            found["stop_search"] = self.stop_and_search()
        return found

    def all_sections(self) -> list[Section]:
        """Every section in reading order (used by tests and the key-messages box)."""
        return list(self.sections().values())


def key_messages(sections: list[Section], synthetic: bool) -> str:
    """The chapter's key messages and recommendations as Markdown."""
    messages = [m for s in sections for m in s.messages if m.key]
    return narrative.to_markdown(messages, synthetic=synthetic)

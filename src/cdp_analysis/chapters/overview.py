"""Chapter 0, the outcomes overview: the CDOF outcomes on one page.

For each Fingertips indicator the dataset holds, the latest value for the area
against its region and England, the Fingertips comparison and recent-trend
marker, plus a sparkline. A CDP made of several LAs gets its counts and
denominators summed and the statistic recomputed (never averaged rates);
standardised rates cannot be combined that way and are shown per member LA.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Literal, Protocol

import numpy as np
import pandas as pd

from cdp_analysis import stats
from cdp_analysis.chapters import base
from cdp_analysis.chapters.base import Section, missing_section, partnership_members
from cdp_analysis.chapters.context import ChapterContext
from cdp_analysis.errors import CdpError, MissingDataError
from cdp_analysis.indicators import ambitions, change, framework, spine, supply, supporting
from cdp_analysis.indicators.outcomes import (
    IndicatorInfo,
    OutcomeSeries,
    fingertips_link,
    indicator_catalogue,
    pooling_multiplier,
)
from cdp_analysis.report import charts, narrative, render, tables
from cdp_analysis.report.narrative import KeyMessage
from cdp_analysis.sources.local import LOCAL_METRICS
from cdp_analysis.stats.coerce import as_float
from cdp_analysis.stats.sdc import get_policy, protect_shares
from cdp_analysis.store.coverage import COVERED, DATA_CHECKLIST_HINT, Coverage
from cdp_analysis.vocabulary import ENGLAND_CODE, FINGERTIPS_SOURCE

__all__ = ["OverviewChapter", "IndicatorInfo", "indicator_catalogue", "fingertips_link", "NATIONAL_CONTEXT",
           "LOCAL_TILES"]


class PoliceComparison(Protocol):
    """What the overview reads from the supply chapter (:class:`~cdp_analysis.chapters.supply.SupplyChapter`)."""

    coverage: Coverage
    shown: list

    def comparison_table(self, crime_types: tuple[str, ...]) -> pd.DataFrame: ...


#: CDOF headline metrics published only nationally: shown grey, never RAG-coloured.
NATIONAL_CONTEXT = [
    ("Reduce drug use", "Last-year drug use, ages 16 to 24 and 16 to 59", "ONS Crime Survey for England and Wales"),
    ("Reduce drug-related crime", "Drug-related homicides", "Home Office Homicide Index"),
    ("Reduce drug supply", "County lines closed", "Home Office County Lines Programme"),
]
#: Local returns that fill a tile when their CSV is present (template name, tile title).
LOCAL_TILES = [
    ("disruptions", "Major and moderate disruptions of drug-related organised crime groups"),
    ("deaths_in_treatment", "Deaths in treatment"),
    ("treatment_progress", "Treatment progress (substantial progress)"),
    ("treatment_numbers", "Numbers in treatment"),
]

#: Local returns the framework table and the tiles read (each measured by :data:`framework.LOCAL_MEASURES`).
FRAMEWORK_RETURNS = ("disruptions", "county_lines", "treatment_numbers", "deaths_in_treatment", "treatment_progress",
                     "continuity_of_care", "community_sentence_treatment")
#: The title of the supporting metrics section.
SUPPORTING_TITLE = "The outcomes framework's supporting metrics"


#: The title of the local outcomes framework section.
LOCAL_FRAMEWORK = "Local outcomes framework: progress against local ambitions"


class OverviewChapter(OutcomeSeries, base.Chapter):
    """Computes the outcomes overview for one area.

    ``police`` is the supply chapter built for the same context: the crime tiles are its
    comparison tables (same coverage, disclosure control and comparison rule). It is passed
    in, never built here, as chapters do not import each other.
    """

    def __init__(self, ctx: ChapterContext, police: PoliceComparison | None = None) -> None:
        super().__init__(ctx.dataset, ctx.registry, ctx.area)
        self.ctx = ctx
        self._police = police

    def summary(self) -> pd.DataFrame:
        """One row per indicator: latest area value, comparators, comparison, trend."""
        rows = []
        for indicator_id, info in self.catalogue.items():
            own = self.series(indicator_id, self.area.code).dropna(subset=["value"])
            england = self.series(indicator_id, ENGLAND_CODE).dropna(subset=["value"])
            if own.empty:
                continue
            latest = own.iloc[-1]
            bench = england[england["period"] == latest["period"]]
            england_value = float(bench["value"].iloc[0]) if not bench.empty else np.nan
            region_value = np.nan
            if self.region is not None:
                reg = self.series(indicator_id, self.region.code)
                reg = reg[reg["period"] == latest["period"]]
                region_value = float(reg["value"].iloc[0]) if not reg.empty else np.nan
            compared = stats.compare_to_benchmark(
                as_float(latest["lower_ci"]), as_float(latest["upper_ci"]), None if np.isnan(england_value) else england_value,
                polarity=info.polarity,
            )
            rows.append({
                "outcome": info.outcome, "indicator": info.short_name, "indicator_id": indicator_id,
                "period": latest["period"], "count": as_float(latest.get("count")), "value": float(latest["value"]),
                "lower_ci": as_float(latest["lower_ci"]), "upper_ci": as_float(latest["upper_ci"]), "unit": info.unit,
                "region": region_value, "england": england_value, "compared": compared,
                "trend": self._trend(own, info), "unit_words": info.unit_words, "definition": info.definition,
                "link": fingertips_link(indicator_id),
            })
        return pd.DataFrame(rows, columns=_SUMMARY_COLUMNS)

    @cached_property
    def _summary_table(self) -> pd.DataFrame:
        return self.summary()

    def _trend(self, own: pd.DataFrame, info: IndicatorInfo) -> str:
        usable = own.dropna(subset=["lower_ci", "upper_ci"])
        if len(usable) < 5:
            return "Cannot be calculated"
        result = stats.recent_trend(usable["value"], usable["lower_ci"], usable["upper_ci"], polarity=info.polarity)
        return str(getattr(result, "label", result))

    def tartan_html(self, table: pd.DataFrame) -> str:
        """The indicator table, then the members' table, the definitions and the indicators lacking
        (rendered by :mod:`cdp_analysis.report.tables`)."""
        if table.empty:
            return tables.tartan_html(table, self.area.name, "", "")
        region = self.region.name if self.region else "Region"
        group = self.ctx.registry.neighbour_group(self.area.code).name
        return (tables.tartan_html(table, self.area.name, region, self._tartan_note(), group=group)
                + tables.members_html(self.member_table(table), self.area.name) + tables.definitions_html(table)
                + tables.needs_html(self.missing(), self.area.name))

    def _tartan_note(self) -> str:
        """What the indicator table's caption says after its first sentence."""
        note = " Synthetic demonstration data." if self.ctx.synthetic else ""
        if self.area.members:
            note += (" Counts and denominators of the member authorities are summed and the statistic "
                     "recomputed; standardised rates cannot be combined from published figures and are "
                     "shown on each member's page.")
        if self.joined:
            note += " " + " ".join(self.joined.values()) + " Its earlier figures are shown under this area."
        return note

    def missing(self) -> pd.DataFrame:
        """Each catalogued indicator with no value for the area, and what it needs.

        ``needs`` says which Fingertips indicator to fetch, or, for a partnership and a
        standardised rate, that it cannot be combined and is shown per member.
        """
        shown = set(self.summary()["indicator_id"])
        rows = []
        for indicator_id, info in self.catalogue.items():
            if indicator_id in shown:
                continue
            if self.area.members and info.combine != "sum":
                needs = (f"not combined for a partnership (a {info.value_type or 'statistic'} cannot be added up "
                         "from the members' published figures): each member authority's figure is shown beside it")
            else:
                needs = f"needs Fingertips indicator {indicator_id}: cdp fetch --area {self.area.code}"
            rows.append({"indicator_id": indicator_id, "indicator": info.short_name, "needs": needs,
                         "link": fingertips_link(indicator_id)})
        return pd.DataFrame(rows, columns=["indicator_id", "indicator", "needs", "link"])

    def member_table(self, table: pd.DataFrame) -> pd.DataFrame:
        """A partnership's indicators per member authority, latest period: one column per member.

        Rows are ``role`` ``focus`` (the partnership, where its figure can be combined)
        and ``member``; members are shown, never compared with the partnership in words.
        """
        members = partnership_members(self.area, self.ctx.registry)
        rows = []
        for indicator_id, info in self.catalogue.items():
            own = table[table["indicator_id"] == indicator_id]
            for role, area in [("focus", self.area)] * (not own.empty) + [("member", m) for m in members]:
                s = self.series(indicator_id, area.code).dropna(subset=["value"])
                if s.empty:
                    continue
                last = s.iloc[-1]
                rows.append({"indicator_id": indicator_id, "indicator": info.short_name, "unit": info.unit_words,
                             "area": area.name, "area_code": area.code, "role": role, "period": last["period"],
                             "value": float(last["value"]), "lower_ci": as_float(last["lower_ci"]),
                             "upper_ci": as_float(last["upper_ci"])})
        columns = ["indicator_id", "indicator", "unit", "area", "area_code", "role", "period", "value", "lower_ci",
                   "upper_ci"]
        return pd.DataFrame(rows, columns=columns) if members else pd.DataFrame(columns=columns)

    def spine_data(self) -> pd.DataFrame:
        """For each indicator with data, every peer area's latest-period value, for a spine chart.

        Peers are the areas of the same type in the registry (for a partnership, the
        type of its members) that the Fingertips table holds for the area's latest
        period, demo areas only with a demo area and real only with a real one.

        Returns
        -------
        DataFrame with ``indicator_id, indicator, period, polarity, area_code, value,
        area_value, england`` (one row per peer area; ``area_value`` and ``england``
        repeat on each row of an indicator).
        """
        summary = self.summary()
        peers = self.peer_codes()
        rows = []
        for _, r in summary.iterrows():
            chosen = self.headline[(self.headline["indicator_id"] == r["indicator_id"])
                                   & (self.headline["period"] == r["period"])
                                   & self.headline["area_code"].isin(peers)].dropna(subset=["value"])
            for code, value in zip(chosen["area_code"], chosen["value"], strict=True):
                rows.append({"indicator_id": r["indicator_id"], "indicator": r["indicator"], "period": r["period"],
                             "polarity": self.catalogue[r["indicator_id"]].polarity, "area_code": str(code),
                             "value": float(value), "area_value": float(r["value"]), "england": r["england"]})
        return pd.DataFrame(rows, columns=["indicator_id", "indicator", "period", "polarity", "area_code", "value",
                                           "area_value", "england"])

    def spine_chart(self) -> charts.Chart | None:
        """Fingertips-style spine chart: each indicator's range across areas of the same type,
        England at the centre and the area marked (None when no indicator has two peers)."""
        ids = [i for i in self.catalogue if not self.series(i, self.area.code).dropna(subset=["value"]).empty]
        if not ids:
            return None
        table = pd.concat([self.headline, *(self.series(i, self.area.code) for i in ids)], ignore_index=True)
        rows = spine.spine_rows(
            table.drop_duplicates(["indicator_id", "area_code", "period"], keep="last"), self.area.code,
            self.peer_codes() | {self.area.code}, indicators=ids,
            names={i: f"{self.catalogue[i].short_name} ({self.catalogue[i].unit})" for i in ids},
            polarity={i: self.catalogue[i].polarity for i in ids}, area_name=self.area.name)
        n_of_type = len(self.peer_codes())
        self._spine_most = int(rows["n_areas"].max()) if not rows.empty else 0
        rows = spine.complete_rows(rows, n_of_type)
        if rows.empty:
            return None
        return charts.spine_chart(
            rows, title=f"{self.area.name} among all {n_of_type:,} areas of its type, latest period",
            source=FINGERTIPS_SOURCE, synthetic=self.ctx.synthetic, area=self.area.name)

    def spine_note(self) -> str:
        """Why :meth:`spine_chart` drew nothing: one plain sentence, no number from the data's values."""
        most = getattr(self, "_spine_most", 0)
        return spine.incomplete_note(self.area.name, len(self.peer_codes()), most)

    def sparklines(self, table: pd.DataFrame) -> charts.Chart | None:
        """Small multiples of each indicator over time: area, region, England."""
        frames = []
        order = [self.area.name] + ([self.region.name] if self.region else []) + ["England"]
        codes = [self.area.code] + ([self.region.code] if self.region else []) + [ENGLAND_CODE]
        for _, r in table.iterrows():
            for name, code in zip(order, codes, strict=True):
                s = self.series(r["indicator_id"], code).dropna(subset=["value"])
                frames.append(pd.DataFrame({"indicator": r["indicator"], "area": name,
                                            "period_start": s["period_start"].astype(int), "value": s["value"]}))
        data = pd.concat(frames) if frames else pd.DataFrame()
        if data.empty:
            return None
        return charts.small_multiples(
            data, facet="indicator", x="period_start", y="value", series="area", order=order,
            title="Outcomes framework indicators over time", ylabel="Value (units as in the table)",
            source=FINGERTIPS_SOURCE, synthetic=self.ctx.synthetic,
        )

    @property
    def _supply(self) -> PoliceComparison:
        if self._police is None:
            raise TypeError("OverviewChapter(ctx, police=SupplyChapter(ctx)): the crime tiles are the supply "
                            "chapter's comparison tables, passed in")
        return self._police

    def crime_tiles(self) -> pd.DataFrame:
        """Police.uk proxies for supply and drug-related crime, latest twelve months.

        Built from the supply chapter's comparison tables (same coverage, same
        disclosure control, same comparison rule); empty when police data does not
        cover the area.
        """
        chapter = self._supply
        if not chapter.coverage.shown:
            return pd.DataFrame(columns=["Measure", "Period", "Rate per 1,000"])
        rows = []
        for title, types in (("Drug offences (supply proxy)", supply.DRUG_CRIME),
                             ("Neighbourhood crime (drug-related crime proxy)", supply.NEIGHBOURHOOD_CRIME)):
            table = chapter.comparison_table(types).set_index("area_code")
            own = table.loc[self.area.code]
            row = {"Measure": title, "Period": own["period"], "Rate per 1,000": round(float(own["value"]), 2)}
            for comp in chapter.shown[1:]:
                row[comp.name] = round(float(table.loc[comp.code, "value"]), 2)
                row[f"{self.area.name} compared with {comp.name}"] = table.loc[comp.code, "focus_compared"]
            rows.append(row)
        return pd.DataFrame(rows)

    def crime_section(self) -> Section:
        """The police proxies as a section: a table, or one sentence on what police data is missing."""
        chapter = self._supply
        if not chapter.coverage.shown:
            return missing_section("Police-recorded crime", chapter.coverage.note, "crime")
        table = self.crime_tiles()
        item = render.table_html(table, "Police-recorded crime per 1,000 residents, latest twelve months",
                                 synthetic=self.ctx.synthetic)
        return Section("Police-recorded crime", [item], [], chapter.coverage, {"crime": table}, "crime")

    def sections(self) -> dict[str, Section]:
        """The page's data sections in reading order (each through :func:`base.build_sections`)."""
        return base.build_sections([
            (base.SINCE_KEY, base.SINCE_TITLE, self.since_last_assessment),
            ("indicators", "Outcomes framework indicators", self.indicators_section),
            ("spine", "Where the area sits among areas of its type", self.spine_section),
            ("crime", "Police-recorded crime", self.crime_section),
            ("framework", "The outcomes framework's headline metrics", self.framework_section),
            ("supporting", SUPPORTING_TITLE, self.supporting_section),
            ("neighbours", base.NEIGHBOURS_TITLE, self.neighbours_section),
            ("ambitions", LOCAL_FRAMEWORK, self.local_framework),
        ], hint=DATA_CHECKLIST_HINT.format(code=self.area.code))

    def since_last_assessment(self) -> Section:
        """The outcomes framework indicators of this edition against the earlier edition's."""
        return base.since_last_assessment(
            self.ctx, lambda ctx: change.outcome_series(OutcomeSeries(ctx.dataset, ctx.registry, ctx.area)),
            what="the outcomes framework")

    def indicators_section(self) -> Section:
        """The indicator table (the tartan), with the indicators the data lacks listed; partial when some are."""
        title, key = "Outcomes framework indicators", "indicators"
        table = self._summary_table
        if table.empty:
            return missing_section(title, self.messages(table)[-1].text, key)
        table = base.with_neighbour_columns(table, "indicator_id", self.area, self.ctx.registry.neighbour_group(
            self.area.code), self.neighbour_values(), polarity={i: c.polarity for i, c in self.catalogue.items()})
        lacking = len(self.missing())
        coverage = COVERED if not lacking else Coverage.partial(
            f"{len(table)} of the {len(table) + lacking} outcomes framework indicators are in the data for "
            f"{self.area.name}; the others are listed below the table with what each needs.")
        return Section(title, [self.tartan_html(table)], [], coverage, {"indicators": table}, key)

    def spine_section(self) -> Section:
        """The spine chart and the indicators over time."""
        title, key = "Where the area sits among areas of its type", "spine"
        chart = self.spine_chart()
        sparklines = self.sparklines(self._summary_table)
        items = [render.chart_html(c) for c in (chart, sparklines) if c is not None]
        if not items:
            return missing_section(title, self.spine_note(), key)
        if chart is None:  # the indicators over time, and why no spine chart is drawn
            return Section(title, items, [], Coverage.partial(self.spine_note()), {}, key)
        return Section(title, items, [], COVERED, {"spine": chart.data}, key)

    def neighbour_values(self) -> pd.DataFrame:
        """Each shown indicator's value for the area and each neighbour, in the area's latest period.

        ``measure`` is the indicator id; ``count, denominator, multiplier`` let the
        neighbour average pool counts where the statistic allows it.
        """
        rows = []
        codes = [self.area.code, *self.ctx.registry.neighbour_group(self.area.code).codes]
        for _, r in self._summary_table.iterrows():
            info = self.catalogue[r["indicator_id"]]
            for code in codes:
                s = self.series(r["indicator_id"], code)
                s = s[(s["period"] == r["period"]) & s["value"].notna()]
                if s.empty:
                    continue
                last = s.iloc[-1]
                rows.append({"measure": r["indicator_id"], "area_code": code, "value": float(last["value"]),
                             "lower_ci": as_float(last.get("lower_ci")), "upper_ci": as_float(last.get("upper_ci")),
                             "count": as_float(last.get("count")), "denominator": as_float(last.get("denominator")),
                             "multiplier": pooling_multiplier(info)})
        return pd.DataFrame(rows, columns=["measure", "area_code", "value", "lower_ci", "upper_ci", "count",
                                           "denominator", "multiplier"])

    def neighbours_section(self) -> Section:
        """The outcomes framework indicators among the area's neighbour group (:func:`base.neighbour_section`)."""
        registry = self.ctx.registry
        group = registry.neighbour_group(self.area.code)
        measures = [base.NeighbourMeasure(r["indicator_id"], f"{r['indicator']} ({r['unit']})", r["indicator"].lower(),
                                          r["unit"], self.catalogue[r["indicator_id"]].polarity, str(r["period"]),
                                          r["outcome"]) for _, r in self._summary_table.iterrows()]
        names = {a.code: a.name for a in [self.area, *group.areas]}
        return base.neighbour_section(self.area, group, self.neighbour_values(), measures, names=names,
                                      synthetic=self.ctx.synthetic, source=FINGERTIPS_SOURCE)

    # local outcomes framework -----------------------------------------------------
    def _metric_series(self, metric: str) -> tuple[pd.DataFrame, str, str, str, str]:
        """A metric's series for the area (``period, period_end, value``, disclosure-controlled), its label,
        unit, polarity and source."""
        if metric in self.catalogue:
            info = self.catalogue[metric]
            s = self.series(metric, self.area.code).dropna(subset=["value"])
            s = s.assign(period_end=s["period"].map(ambitions.period_end))[["period", "period_end", "value"]]
            return s, info.short_name, info.unit, info.polarity, FINGERTIPS_SOURCE
        label, unit, polarity, template, numerator, denominator = LOCAL_METRICS[metric]
        try:
            frame = self.ctx.dataset.local(template)
        except MissingDataError:
            return pd.DataFrame(columns=["period", "period_end", "value"]), label, unit, polarity, "local return"
        s = ambitions.local_metric_series(frame, self.area.code, numerator, denominator, self.area.members)
        policy = get_policy(self.ctx.config.disclosure_policy)
        hidden = policy.primary(s["count"]) | policy.primary(s["denominator"] - s["count"])
        s.loc[hidden, "value"] = np.nan  # a share of a count of 1 to 4 (or all but 1 to 4) is not published
        return s[["period", "period_end", "value"]], label, unit, polarity, f"local return ({template}.csv)"

    def local_framework(self) -> Section:
        """Progress against the partnership's local ambitions: latest value, trajectory, SPC chart, status in words."""
        title, key = LOCAL_FRAMEWORK, "ambitions"
        try:
            frame = self.ctx.dataset.local("ambitions")
        except MissingDataError:
            return missing_section(title, "The data holds no local ambitions: fill in ambitions.csv (copied with "
                                          "`cdp templates`) with each metric's baseline, ambition, date and owner, "
                                          "and run `cdp prepare`.", key)
        own = frame[frame["area_code"] == self.area.code]
        if own.empty:
            return missing_section(title, f"The local ambitions file has no rows for {self.area.name} "
                                          f"({self.area.code}).", key)
        found = {m: self._metric_series(m) for m in dict.fromkeys(own["metric"].astype(str))}
        table = ambitions.progress(own, {m: f[0] for m, f in found.items()}, {m: f[3] for m, f in found.items()})
        if self.area.members:  # a standardised rate is not combined for a partnership: say so, not "no value"
            for i, r in table.iterrows():
                info = self.catalogue.get(r["metric"])
                if r["status"] == ambitions.NOT_KNOWN and info is not None and info.combine != "sum" \
                        and not r["points"]:
                    table.loc[i, "why"] = (f"a {info.value_type or 'standardised rate'} cannot be combined from the "
                                           "member authorities' published figures; it is on each member's page")
        frames = {"ambitions": table}
        items, messages = [render.table_html(self._framework_table(table, found),
                                             f"{self.area.name}: local outcomes framework, latest value against "
                                             "the trajectory to each ambition", synthetic=self.ctx.synthetic)], []
        for _, r in table.iterrows():
            series, label, unit, polarity, source = found[r["metric"]]
            messages.append(self._framework_message(r, label, unit))
            if r["status"] != ambitions.NOT_KNOWN:
                items.append(render.chart_html(charts.trajectory_chart(
                    series.dropna(subset=["value"]), title=f"{label}: trajectory to the ambition",
                    baseline=(ambitions.period_end(r["baseline_period"]), float(r["baseline_value"])),
                    ambition=(pd.Timestamp(r["ambition_date"]), float(r["ambition_value"])),
                    ylabel=unit, source=source, synthetic=self.ctx.synthetic)))
            usable = series.dropna(subset=["value"])
            if len(usable) >= ambitions.SPC_MIN_POINTS and len(usable) == len(series):
                chart, words = self._framework_spc(usable, label, unit, polarity, float(r["ambition_value"]), source)
                items.append(render.chart_html(chart))
                frames[f"spc_{r['metric']}"] = chart.data
                messages.append(KeyMessage(words, theme="Local outcomes framework", key=False,
                                           rank=narrative.RANK_CONTEXT))
        known = table[table["status"] != ambitions.NOT_KNOWN]
        coverage = COVERED if len(known) == len(table) else Coverage.partial(
            f"{len(table) - len(known)} of the {len(table)} ambitions cannot be judged yet; the table says why.")
        return Section(title, items, messages, coverage, frames, key)

    def _framework_spc(self, usable: pd.DataFrame, label: str, unit: str, polarity: str, ambition: float,
                       source: str) -> tuple[charts.Chart, str]:
        """The XmR chart of a metric with 15 or more points (special causes marked high and low) and its words:
        the special causes, and what the process limits say of reaching the ambition (Making Data Count)."""
        values = usable["value"].to_numpy(float)
        shown = stats.spc(values, improvement_direction="neutral")
        shown.insert(0, "period_end", usable["period_end"].to_numpy())
        chart = charts.spc_chart(shown, x="period_end", title=f"{label}: statistical process control", ylabel=unit,
                                 source=source, synthetic=self.ctx.synthetic, series_label="Value", per="a period",
                                 points="periods")
        directions: dict[str, Literal["increase", "decrease", "neutral"]] = {
            "HighIsGood": "increase", "LowIsGood": "decrease"}
        direction = directions.get(polarity, "neutral")
        judged = stats.spc(values, improvement_direction=direction, target=ambition)
        improving = int((judged["point_type"] == "special_cause_improvement").sum())
        concern = int((judged["point_type"] == "special_cause_concern").sum())
        assurance = {"consistent_pass": "the process limits lie on the ambition's side of it: the ambition will be "
                                        "met consistently if the process does not change",
                     "consistent_fail": "the ambition lies beyond the process limits: it will not be met without a "
                                        "change in the process",
                     "inconsistent": "the ambition lies within the process limits: it will be met in some periods "
                                     "and missed in others"}.get(str(judged["assurance_type"].iloc[-1]), "")
        words = (f"{label} over {len(values)} periods (SPC, Making Data Count rules): {improving} point"
                 f"{'s' if improving != 1 else ''} of special-cause improvement and {concern} of concern"
                 + (f"; {assurance}" if assurance else "") + ".")
        return chart, words

    def _framework_table(self, table: pd.DataFrame, found: dict) -> pd.DataFrame:
        def when(r: pd.Series) -> str:
            return f"{tables.fmt(r['ambition_value'])} by {pd.Timestamp(r['ambition_date']):%B %Y}"

        return pd.DataFrame({
            "Metric": [f"{found[m][1]} ({found[m][2]})" for m in table["metric"]],
            "Owner": table["owner"].fillna("not named"),
            "Baseline": [f"{tables.fmt(r['baseline_value'])} ({r['baseline_period']})" for _, r in table.iterrows()],
            "Latest": [f"{tables.fmt(r['latest_value'])} ({r['latest_period']})" if r["latest_period"] else "–"
                       for _, r in table.iterrows()],
            "Ambition": [when(r) for _, r in table.iterrows()],
            "Trajectory at the latest date": [tables.fmt(v) for v in table["trajectory_value"]],
            "Status": table["status"],
            "Why not yet known": table["why"].replace("", "–"),
        })

    def _framework_message(self, r: pd.Series, label: str, unit: str) -> KeyMessage:
        goal = (f"the ambition of {narrative.with_unit(tables.fmt(r['ambition_value']), unit)} by "
                f"{pd.Timestamp(r['ambition_date']):%B %Y} (owner: {r['owner'] or 'not named'})")
        if r["status"] == ambitions.NOT_KNOWN:
            return KeyMessage(f"{label}: progress toward {goal} is not yet known: {r['why']}.", key=False,
                              rank=narrative.RANK_CONTEXT)
        text = (f"{label} is {r['status'].lower()} toward {goal}: {narrative.with_unit(tables.fmt(r['latest_value']), unit)} "
                f"in {r['latest_period']} against {narrative.with_unit(tables.fmt(r['trajectory_value']), unit)} on the "
                f"straight line from the {r['baseline_period']} baseline of "
                f"{narrative.with_unit(tables.fmt(r['baseline_value']), unit)}.")
        if r["status"] == ambitions.OFF_TRACK:
            return KeyMessage(text, f"Ask the owner ({r['owner'] or 'not named'}) for a recovery plan for "
                                    f"{label.lower()}.", "Local outcomes framework", rank=narrative.RANK_WORSE)
        return KeyMessage(text, theme="Local outcomes framework", key=False, rank=narrative.RANK_BETTER)

    @cached_property
    def local_values(self) -> dict[str, pd.DataFrame]:
        """Each local return's latest values for the area (:func:`framework.local_values`), disclosure-controlled.

        A count of people in the suppressed range (and the percentage made from it, or a
        count whose complement is in that range) is hidden before anything shows it.
        """
        policy = get_policy(self.ctx.config.disclosure_policy)
        out = {}
        for name in FRAMEWORK_RETURNS:
            try:
                table = self.ctx.dataset.local(name)
            except MissingDataError:
                continue
            values = framework.local_values(framework.area_rows(table, self.area.code, self.area.members), name)
            people = values[values["people"].astype(bool)]
            if not people.empty:
                people = protect_shares(people, policy, derived=("value",))
                values = pd.concat([values[~values["people"].astype(bool)], people], ignore_index=True)
            out[name] = values.drop(columns=[c for c in ("suppressed", "denominator_suppressed") if c in values])
        return out

    def _ndtms_numbers(self) -> dict[str, pd.DataFrame]:
        """Adults in treatment from the public NDTMS export (latest year, all substances), when it holds the area."""
        try:
            rows = self.ctx.dataset.ndtms(["area_code", "period", "period_start", "count"], measure="in_treatment",
                                          breakdown="total", sex="total", age_group="total", substance_group="total")
        except MissingDataError:
            return {}
        codes = [self.area.code] if self.area.code in set(rows["area_code"]) else list(self.area.members)
        own = rows[rows["area_code"].isin(codes)].dropna(subset=["count"]).drop_duplicates(["area_code", "period"])
        if own.empty or not codes:
            return {}
        summed = own.groupby(["period", "period_start"], as_index=False).agg(
            count=("count", "sum"), areas=("area_code", "nunique"))
        summed = summed[summed["areas"] == len(codes)].sort_values("period_start")
        if summed.empty:
            return {}
        last = summed.iloc[-1]
        frame = pd.DataFrame([{"template": "treatment_numbers", "measure": "Adults in treatment",
                               "period": str(last["period"]), "count": float(last["count"]), "denominator": np.nan,
                               "value": float(last["count"]), "unit": "people (NDTMS, rounded to 5)", "people": True}])
        frame = protect_shares(frame, get_policy(self.ctx.config.disclosure_policy), denominator=None,
                               derived=("value",))
        return {"treatment_numbers": frame}

    def framework_table(self) -> pd.DataFrame:
        """Every headline metric of the outcomes framework: value and period where held, else its status."""
        police = None
        if self._police is not None:
            try:
                police = self.crime_tiles()
            except CdpError:  # the police data falls short: the crime section says why, this row is 'not held'
                police = None
        supplied = set(self.ctx.dataset.local_names()) if hasattr(self.ctx.dataset, "local_names") else set()
        per_member = {i for i, info in self.catalogue.items() if self.area.members and info.combine != "sum"}
        return framework.headline_table(self._summary_table, self.local_values, police, supplied,
                                        public=self._ndtms_numbers(), per_member=per_member)

    def framework_section(self) -> Section:
        """The framework's eleven headline metrics in one table, each with its source; partial when some are not held."""
        title, key = "The outcomes framework's headline metrics", "framework"
        table = self.framework_table()
        shown = table[table["value"].notna()]
        if shown.empty:
            return missing_section(title, f"The data holds none of the outcomes framework's headline metrics for "
                                          f"{self.area.name} ({DATA_CHECKLIST_HINT.format(code=self.area.code)}).",
                                   key)
        display = _metrics_display(table, "Headline metric")
        item = render.table_html(display, f"The outcomes framework's headline metrics for {self.area.name}: "
                                          "value and period where the data holds them",
                                 synthetic=self.ctx.synthetic)
        lacking = table[table["status"].isin([framework.LOCAL_NEEDED, framework.NOT_HELD])]
        coverage = COVERED if lacking.empty else Coverage.partial(
            f"{len(shown)} of the {len(table)} headline metrics {'has' if len(shown) == 1 else 'have'} a value for "
            f"{self.area.name}; {len(lacking)} {'needs' if len(lacking) == 1 else 'need'} data the workbench does "
            "not hold (the table says what each needs), and the others are published only nationally"
            + (" or shown on each member authority's page" if (table["status"] == framework.PER_MEMBER).any()
               else "") + ".")
        return Section(title, [item], [], coverage, {"framework": table}, key)

    def supporting_table(self) -> pd.DataFrame:
        """Every supporting metric of the framework (:data:`supporting.SUPPORTING_METRICS`): value and period
        where the data holds it (H-CLIC, proven reoffending, Fingertips, local returns), else its status.

        Counts of households and of people are disclosure-controlled before the shares are taken from them.
        """
        policy = get_policy(self.ctx.config.disclosure_policy)
        members = list(self.area.members)
        homeless = supporting.shares(None)
        try:
            source = self.ctx.dataset.homelessness()
            homeless = supporting.shares(supporting.latest(supporting.homelessness_series(
                source, self.area.code, members)))
        except MissingDataError:
            pass
        own_return = None
        try:
            rows = framework.area_rows(self.ctx.dataset.local("homelessness_support_needs"), self.area.code,
                                       members)
        except MissingDataError:
            rows = None
        if rows is not None:
            summed = rows.groupby("period", as_index=False)[["with_support_needs", "drug_dependency",
                                                             "alcohol_dependency"]].sum(min_count=1)
            own_return = protect_shares(supporting.shares(supporting.latest(summed), denominator="with_support_needs"),
                                        policy, derived=("value",))
        reoffending = supporting.reoffending_shares({})
        try:
            source = self.ctx.dataset.reoffending()
            reoffending = supporting.reoffending_shares(
                {k: supporting.reoffending_series(source, self.area.code, k, members) for k in ("adult", "juvenile")})
        except MissingDataError:
            pass
        supplied = set(self.ctx.dataset.local_names()) if hasattr(self.ctx.dataset, "local_names") else set()
        return supporting.supporting_table(
            self._summary_table, protect_shares(homeless, policy, derived=("value",)),
            protect_shares(reoffending, policy, derived=("value",)), self.local_values, supplied, own_return)

    def supporting_section(self) -> Section:
        """The framework's supporting metrics in one table: value and period where a public source or a local
        return holds them for the area, else what is needed or that only a national figure exists."""
        title, key = SUPPORTING_TITLE, "supporting"
        table = self.supporting_table()
        shown = table[table["value"].notna()]
        if shown.empty:
            return missing_section(title, f"The data holds none of the outcomes framework's supporting metrics for "
                                          f"{self.area.name} ({DATA_CHECKLIST_HINT.format(code=self.area.code)}).",
                                   key)
        display = _metrics_display(table, "Supporting metric")
        item = render.table_html(display, f"The outcomes framework's supporting metrics for {self.area.name}: "
                                          "value and period where the data holds them", synthetic=self.ctx.synthetic)
        national = table[table["status"] == framework.NATIONAL]
        lacking = table[table["status"].isin([framework.LOCAL_NEEDED, framework.NOT_HELD])]
        note = (f"{len(national)} of the supporting metrics are not published by local authority (only for England, "
                "England and Wales or the regions): the table names each one's national source and gives no local "
                "figure.")
        coverage = COVERED if lacking.empty else Coverage.partial(
            f"{len(shown)} of the {len(table)} supporting metrics {'has' if len(shown) == 1 else 'have'} a value for "
            f"{self.area.name}; {len(lacking)} {'needs' if len(lacking) == 1 else 'need'} data the workbench does not "
            "hold (the table says what each needs).")
        return Section(title, [item, render.method_note(note)], [], coverage, {"supporting": table}, key)

    def local_tiles(self) -> list[tuple[str, str]]:
        """``(title, text)`` for the metrics only a local return supplies: each value with its period (the NDTMS
        export's number in treatment where no return gives it), or 'local return needed'; never a count of rows."""
        tiles = []
        public = self._ndtms_numbers()
        for name, title in LOCAL_TILES:
            values = self.local_values.get(name)
            source = ""
            if (values is None or values.empty) and name in public:
                values, source = public[name], " (NDTMS)"
            if values is None or values.empty:
                text = "local return needed"
            else:
                text = "; ".join((f"{r['measure']}: " if r["measure"] != title else "")
                                 + f"{_tile_words(r)} ({r['period']})" for _, r in values.iterrows()) + source
            tiles.append((title, text))
        return tiles

    def local_section(self) -> Section:
        """The tiles of local returns (:meth:`local_tiles`)."""
        return Section("Local returns", [tables.tiles_html(self.local_tiles())], key="local")

    def national_section(self) -> Section:
        """The national-only metrics (:data:`NATIONAL_CONTEXT`): context, never compared."""
        return Section("National figures only", [tables.national_html(NATIONAL_CONTEXT)], key="national")

    def context_sections(self) -> dict[str, Section]:
        """What the page says beside the data: the local returns' tiles and the national-only metrics.

        Not among :meth:`sections` (they hold no figure of the area's data, so no coverage to report).
        """
        return base.build_sections([
            ("local", "Local returns", self.local_section),
            ("national", "National figures only", self.national_section),
        ])

    def key_messages(self, sections: Mapping[str, Section] | None = None) -> str:
        """The indicators that differ from England, worst first, as Markdown (:meth:`messages`).

        The overview's messages are about its indicator table, not its sections: ``sections`` is not read.
        """
        return narrative.to_markdown(self.messages(self._summary_table), self.ctx.synthetic)

    def messages(self, table: pd.DataFrame) -> list[KeyMessage]:
        """A sentence per indicator that differs significantly from England, worst first."""
        out = []
        for _, r in table.iterrows():
            if r["compared"] in ("Worse", "Better", "Higher", "Lower"):
                text = narrative.rate_sentence(
                    f"In {self.area.name},", r["indicator"].lower(), r["value"], r["unit"], r["period"],
                    [("England", r["compared"], r["england"])], verb="stood at",  # 'admissions ... stood at'
                ) + f" Recent trend: {r['trend'].lower()}."
                rec = (f"Review {r['indicator'].lower()} with partners: it is worse than England."
                       if r["compared"] == "Worse" else "")
                rank = narrative.judge([("England", r["compared"], r["england"])], r["value"], low_is_good=None)
                out.append(KeyMessage(text, rec, r["outcome"], rank=rank, subject=str(r["indicator_id"])))
        out.sort(key=lambda m: -narrative.priority(m))
        if not out and not table.empty:
            # scoped to the indicators of this table: the chapters compare further measures, which may differ
            held = table["indicator"].nunique()
            out.append(KeyMessage(
                f"None of the {held} outcomes framework indicator{'s' if held != 1 else ''} held for "
                f"{self.area.name} on this page differs significantly from England.", rank=narrative.RANK_CONTEXT))
        if table.empty:
            out.append(KeyMessage(
                f"The data holds none of the outcomes framework's Fingertips indicators for {self.area.name}: "
                "download them with the command cdp fetch or export them from Fingertips into the data folder.",
                "Add the Fingertips indicators to the data so the overview can compare them with England.",
                "Data", gap=True,
            ))
        return out


_SUMMARY_COLUMNS = ["outcome", "indicator", "indicator_id", "period", "count", "value", "lower_ci", "upper_ci",
                    "unit", "region", "england", "compared", "trend", "unit_words", "definition", "link"]


def _metrics_display(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The framework's metrics as shown: outcome, the metric (its column named ``metric``), its value in words,
    period, source and geography."""
    return pd.DataFrame({
        "Outcome": table["outcome"], metric: table["metric"],
        "Value": [_value_words(r) for _, r in table.iterrows()], "Period": table["period"].replace("", "–"),
        "Source": table["source"], "Geography": table["geography"]})


def _value_words(row: pd.Series) -> str:
    """A headline or local value as shown: a percentage, a count of people or a rate with its unit;
    ``*`` for a value hidden by disclosure control, what is needed when there is none."""
    status = row.get("status", framework.LOCAL)
    value = as_float(row["value"])
    if np.isnan(value):
        return {framework.LOCAL_NEEDED: "local return needed", framework.NATIONAL: "national figure only",
                framework.NOT_HELD: "not in the data", framework.PER_MEMBER: "on each member authority's page"
                }.get(status, "* (small number, not shown)")
    unit = str(row.get("unit", ""))
    if unit.startswith("%"):
        return f"{narrative.number(value, 1)}{unit}"
    decimals = 0 if unit.startswith(("people", "disruptions", "lines", "requirements")) else 1
    return f"{narrative.number(value, decimals)} {unit}".strip()


def _tile_words(row: pd.Series) -> str:
    """A local value in a tile: a share as 'count of denominator (percentage)', else the value with its unit."""
    denominator = as_float(row.get("denominator"))
    if np.isnan(denominator):
        return _value_words(row)
    count = as_float(row["count"])
    shown = "*" if np.isnan(count) else narrative.number(count, 0)
    share = "" if np.isnan(as_float(row["value"])) else f" ({narrative.number(as_float(row['value']), 1)}%)"
    return f"{shown} of {narrative.number(denominator, 0)}{share}"

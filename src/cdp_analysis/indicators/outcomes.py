"""The Fingertips outcome indicators of the outcomes framework: their catalogue and each area's series.

Shared by the chapters that show them (the overview, treatment's unmet need, demand's
Fingertips measures): one catalogue (``resources/indicators.csv``), one way to read an
area's series (retired codes joined, a partnership's counts summed and the statistic
recomputed where the indicator allows it).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis import stats
from cdp_analysis.errors import MissingDataError

__all__ = ["IndicatorInfo", "indicator_catalogue", "fingertips_link", "OutcomeSeries"]


@dataclass(frozen=True)
class IndicatorInfo:
    """What the workbench knows about an indicator: outcome, polarity, how to combine."""

    indicator_id: str
    short_name: str
    outcome: str
    polarity: str
    unit: str
    statistic: str
    combine: str
    population: str = ""
    value_type: str = ""
    definition: str = ""
    published_name: str = ""

    @property
    def matched_by_name(self) -> bool:
        """True when the Fingertips id is not verified, so rows are matched by the published name instead."""
        return not self.indicator_id.isdigit()

    @property
    def unit_words(self) -> str:
        """Unit and value type on one line, e.g. ``per 100,000 population, directly age-standardised rate``."""
        return ", ".join(p for p in (self.population or self.unit, self.value_type) if p)


#: The Fingertips profile holding the hospital admissions indicators added in September 2025.
CO_OCCURRING_PROFILE = "https://fingertips.phe.org.uk/profile-group/mental-health/profile/drugsandmentalhealth"


def fingertips_link(indicator_id: str) -> str:
    """The Fingertips search page of an indicator (its definition, data and metadata); for an indicator
    matched by name (its id not verified), the profile that publishes it."""
    if not indicator_id.isdigit():
        return CO_OCCURRING_PROFILE
    return f"https://fingertips.phe.org.uk/search/{indicator_id}"


def _name_key(name: object) -> str:
    return " ".join(str(name).split()).lower()


def indicator_catalogue() -> dict[str, IndicatorInfo]:
    """The indicators the overview shows, from ``resources/indicators.csv``."""
    text = resources.files("cdp_analysis.resources").joinpath("indicators.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {r["indicator_id"]: IndicatorInfo(**{k: r[k] for k in IndicatorInfo.__dataclass_fields__}) for r in rows}


class OutcomeSeries:
    """The catalogued indicators' series for ``area`` and any area shown beside it.

    Parameters
    ----------
    dataset
        The processed dataset (:class:`~cdp_analysis.store.dataset.Dataset`): its indicator table.
    registry
        The area registry: members of a partnership, retired codes, the region.
    area
        The focus area (a partnership's combined series are labelled with its code).
    """

    def __init__(self, dataset: Any, registry: Any, area: Any) -> None:
        self.dataset = dataset
        self.registry = registry
        self.area = area
        self.catalogue = indicator_catalogue()
        self.joined: dict[str, str] = {}  # retired code -> the sentence saying its data joins this area
        self._predecessors: dict[str, list] = {}
        region = registry.region_of(area.code)
        self.region = region if region is not None and region.code != area.code else None

    def peer_codes(self) -> set[str]:
        """Codes of the areas of the focus area's type (a partnership: its members' types), real or demo alike."""
        listed = self.registry.listed_members(self.area.code) if self.area.type == "cdp" and self.area.members else []
        types = {m.type for m in listed} if listed else {self.area.type}
        return {a.code for a in self.registry if a.type in types and a.is_demo == self.area.is_demo}

    @cached_property
    def headline(self) -> pd.DataFrame:
        """Headline rows (no category breakdown, persons) of the catalogued indicators."""
        try:
            table = self.dataset.indicators()
        except MissingDataError:
            from cdp_analysis.sources.schema import INDICATOR_COLUMNS

            return pd.DataFrame(columns=list(INDICATOR_COLUMNS))
        by_name = {_name_key(i.published_name): key for key, i in self.catalogue.items() if i.matched_by_name}
        if by_name and "indicator_name" in table:
            named = table["indicator_name"].map(_name_key).map(by_name)
            table = table.assign(indicator_id=named.where(named.notna(), table["indicator_id"]))
        table = table[table["indicator_id"].isin(list(self.catalogue))]
        table = table[table["category_type"].fillna("").eq("")]
        table = table[table["sex"].fillna("Persons").isin(["Persons", "Not applicable"])]
        return table.sort_values(["indicator_id", "period_start"])

    @cached_property
    def _series_rows(self) -> dict[tuple[str, str], np.ndarray]:
        """Positions of the headline rows of each (indicator, area): one pass, not a scan of the table per series."""
        keys = ["indicator_id", "area_code"]
        table = self.headline.reset_index(drop=True)[keys].astype(object)
        return {(str(i), str(a)): rows for (i, a), rows in table.groupby(keys, sort=False, dropna=True).indices.items()}

    def series(self, indicator_id: str, code: str) -> pd.DataFrame:
        """One area's time series of an indicator (combined for a CDP where allowed).

        Periods published under a retired code that the area replaced whole (a county
        become a unitary, a recoded authority) join the area's series, and
        :attr:`joined` keeps the sentence that says so; data of districts merged into
        a larger area, or of a county since split, is not joined (it predates the area).
        """
        rows = self.headline.iloc[self._series_rows.get((indicator_id, code), [])]
        older = self._same_area_predecessors(code)
        if older:
            before = self.headline[(self.headline["indicator_id"] == indicator_id)
                                   & self.headline["area_code"].isin([r.code for r in older])
                                   & ~self.headline["period"].isin(set(rows["period"]))]
            if not before.empty:
                for r in older:
                    if r.code in set(before["area_code"]):
                        self.joined[r.code] = r.note
                rows = pd.concat([before.assign(area_code=code), rows]).sort_values("period_start")
        if not rows.empty:
            return rows
        members = self.registry.get(code).members
        info = self.catalogue[indicator_id]
        if members and info.combine == "sum":
            return self._combined(indicator_id, list(members), info)
        return rows

    def _same_area_predecessors(self, code: str) -> list:
        """Retired codes whose data joins ``code`` one to one (same area, or only recoded)."""
        registry = self.registry
        if code not in self._predecessors:
            found = []
            for old in registry.legacy_codes():
                res = registry.resolve(old)
                if res.area is not None and res.area.code == code and (
                        res.relation == "recoded" or "covers the same area" in res.note):
                    found.append(res)
            self._predecessors[code] = found
        return self._predecessors[code]

    def _combined(self, indicator_id: str, members: list[str], info: IndicatorInfo) -> pd.DataFrame:
        rows = self.headline[(self.headline["indicator_id"] == indicator_id) & self.headline["area_code"].isin(members)]
        if rows.empty or rows.groupby("period")["area_code"].nunique().min() < len(members):
            return rows.iloc[0:0]
        summed = rows.groupby(["period", "period_start"], as_index=False)[["count", "denominator"]].sum()
        out = []
        for _, r in summed.iterrows():
            if info.statistic == "proportion":
                est = stats.proportion(float(r["count"]), float(r["denominator"]), multiplier=100)
            else:
                est = stats.crude_rate(float(r["count"]), float(r["denominator"]), multiplier=_multiplier(info.unit))
            out.append({**r.to_dict(), "indicator_id": indicator_id, "area_code": self.area.code,
                        "value": est.value, "lower_ci": est.lower_ci, "upper_ci": est.upper_ci})
        return pd.DataFrame(out)


def pooling_multiplier(info: IndicatorInfo) -> float:
    """What turns a pooled count over a pooled denominator into the indicator's value (100 for a
    percentage, 1,000 or 100,000 for a crude rate), or NaN when the statistic cannot be pooled
    (a standardised rate: its published counts do not add up to it)."""
    if info.combine != "sum":
        return float("nan")
    return 100.0 if info.statistic == "proportion" else float(_multiplier(info.unit))


def _multiplier(unit: str) -> float:
    if "1,000" in unit:
        return 1_000
    if "%" in unit:
        return 100
    return 100_000

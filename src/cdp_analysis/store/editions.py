"""Editions: the data as it was published by a date (``cdp build --as-of YYYY-MM``).

An *edition* is the needs assessment built from only the periods that had been
published by the end of a month. Every dated table of the store says which
period each row is about; :data:`PUBLICATION_RULES` says, per table, when such a
period counts as published: its last month plus a lag in months, read from the
one table of publication timing (:mod:`cdp_analysis.store.timing`); :class:`~cdp_analysis.store.dataset.Dataset`
applies them to every read when it is opened with ``as_of``, so no chapter
filters by date itself.

A period is published by the edition ``as_of`` (the end of that month) when

    last month of the period + lag (months) <= as_of

so police.uk month M is in the edition of the end of month M+2, and the
Fingertips period ``2019/20`` (April 2019 to March 2020) in the edition of March
2021 onwards.

Tables that carry no period (boundaries, the LSOA lookup, the small-area
population estimates, IMD 2019, Census 2021, local returns) are used as held:
an earlier edition reads today's denominators and geography. The page says so
(:data:`UNDATED_NOTE`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from cdp_analysis.errors import ConfigError
from cdp_analysis.store.timing import timing

__all__ = ["PublicationRule", "PUBLICATION_RULES", "UNDATED_NOTE", "parse_month", "month_label", "period_span",
           "published", "published_months", "earlier_edition", "is_published"]


@dataclass(frozen=True)
class PublicationRule:
    """When a table's period counts as published.

    Attributes
    ----------
    table
        The store's table name (:data:`~cdp_analysis.store.dataset.TABLES`).
    column
        The column holding the period.
    year_kind
        How ``YYYY/YY`` periods read: ``"financial"`` (April to March) or
        ``"academic"`` (September to August).
    lag_months
        Months after the period's last month by whose end it is published.
    basis
        Why that lag: the publisher's usual release timing.
    """

    table: str
    column: str
    year_kind: str
    lag_months: int
    basis: str


#: The publication lags, read from the one table of publication timing
#: (``resources/publication_timing.csv``, :mod:`cdp_analysis.store.timing`), which the release dates on pages
#: read too. Lags are the usual timing of each release, rounded up to a whole month so an edition never holds a
#: period before it was out.
PUBLICATION_RULES: dict[str, PublicationRule] = {
    t.source: PublicationRule(t.source, t.period_column, t.year_kind, t.lag_months, t.lag_basis)
    for t in timing().values() if t.lag_months is not None}

#: What a page says about the tables an edition cannot date.
UNDATED_NOTE = ("Boundaries, the small-area population estimates, IMD 2019, Census 2021 and local returns "
                "carry no publication date in the data, so every edition uses them as held today.")

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_YEAR = re.compile(r"^(\d{4})$")
_SPLIT_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
_YEAR_RANGE = re.compile(r"^(\d{4})\s*-\s*(\d{2}|\d{4})$")
_SPLIT_RANGE = re.compile(r"^(\d{4})/(\d{2})\s*-\s*(\d{2})/(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})/(\d{2})\s*Q([1-4])$")
_DFE_SPLIT = re.compile(r"^(\d{4})(\d{2})$")  # DfE time_period 201617
_MOST_YEARS = 10  # a pooled period longer than this is a misreading ("2019-13" is no period)


def parse_month(text: object, what: str = "--as-of") -> pd.Period:
    """A ``YYYY-MM`` month as a monthly :class:`pandas.Period`.

    Raises
    ------
    ConfigError
        ``text`` is not a month written ``YYYY-MM``.
    """
    value = str(text).strip()
    if not _MONTH.fullmatch(value):
        raise ConfigError(f"{what} {text!r} is not a month written YYYY-MM (e.g. 2023-03)")
    return pd.Period(value, freq="M")


def month_label(month: pd.Period | str) -> str:
    """``March 2023`` for ``2023-03``."""
    period = month if isinstance(month, pd.Period) else pd.Period(str(month), freq="M")
    return period.strftime("%B %Y")


def earlier_edition(as_of: pd.Period | str, years: int) -> pd.Period:
    """The edition ``years`` years before ``as_of`` (the same month of the year)."""
    month = as_of if isinstance(as_of, pd.Period) else parse_month(as_of)
    return month - 12 * years


def period_span(period: object, year_kind: str = "financial") -> tuple[pd.Period, int] | None:
    """The last month of a published period and its length in months, or None when it cannot be read.

    >>> period_span("2019/20")
    (Period('2020-03', 'M'), 12)
    >>> period_span("2018 - 20")
    (Period('2020-12', 'M'), 36)
    >>> period_span("2017/18 - 19/20")
    (Period('2020-03', 'M'), 36)
    >>> period_span("2016/17", "academic")
    (Period('2017-08', 'M'), 12)
    >>> period_span("2021/22 Q3")
    (Period('2021-12', 'M'), 3)
    >>> period_span("2023-01")
    (Period('2023-01', 'M'), 1)
    """
    text = str(period).strip()
    end_month = 3 if year_kind == "financial" else 8
    if _MONTH.fullmatch(text):
        return pd.Period(text, freq="M"), 1
    if m := _YEAR.match(text):
        return pd.Period(year=int(m[1]), month=12, freq="M"), 12
    if m := _SPLIT_YEAR.match(text) or _DFE_SPLIT.match(text):
        first = int(m[1])
        if (first + 1) % 100 != int(m[2]):
            return None
        return pd.Period(year=first + 1, month=end_month, freq="M"), 12
    if m := _YEAR_RANGE.match(text):
        first, last = int(m[1]), _full_year(int(m[1]), m[2])
        if not 0 < last - first <= _MOST_YEARS:
            return None
        return pd.Period(year=last, month=12, freq="M"), 12 * (last - first + 1)
    if m := _SPLIT_RANGE.match(text):
        first, last = int(m[1]), _full_year(int(m[1]), m[3]) + 1
        if not 1 < last - first <= _MOST_YEARS or (first + 1) % 100 != int(m[2]):
            return None
        return pd.Period(year=last, month=end_month, freq="M"), 12 * (last - first)
    if m := _QUARTER.match(text):
        start = pd.Period(year=int(m[1]), month=end_month, freq="M") + 1
        return start + 3 * int(m[3]) - 1, 3
    return None


def _full_year(first: int, short: str) -> int:
    if len(short) == 4:
        return int(short)
    year = first // 100 * 100 + int(short)
    return year + 100 if year < first else year


def is_published(table: str, period: object, as_of: pd.Period) -> bool:
    """Whether ``period`` of ``table`` had been published by the end of the month ``as_of``.

    A table without a rule is undated (always published); a period that cannot be
    read is treated as not published, so an edition never shows what it cannot date.
    """
    rule = PUBLICATION_RULES.get(table)
    if rule is None:
        return True
    span = period_span(period, rule.year_kind)
    return span is not None and span[0] + rule.lag_months <= as_of


def published_months(table: str, months: Iterable[str], as_of: pd.Period) -> list[str]:
    """The ``YYYY-MM`` months of a police table published by ``as_of``, in order."""
    return sorted(m for m in months if is_published(table, m, as_of))


def published(table: str, frame: pd.DataFrame, as_of: pd.Period) -> pd.DataFrame:
    """The rows of ``frame`` (a read of ``table``) published by ``as_of``.

    DfE tables that say which release a row comes from (``release``) also drop
    the rows of releases not out by then: a later release revises earlier years.
    """
    rule = PUBLICATION_RULES.get(table)
    if rule is None or frame.empty or rule.column not in frame:
        return frame
    keep = _published_mask(frame[rule.column], table, as_of)
    if "release" in frame:
        releases = frame["release"]
        keep &= releases.isna().to_numpy() | _published_mask(releases.fillna(""), table, as_of)
    return frame[keep].copy()


def _published_mask(values: pd.Series, table: str, as_of: pd.Period):
    verdict = {v: is_published(table, v, as_of) for v in pd.unique(values.astype(str))}
    return values.astype(str).map(verdict).to_numpy(dtype=bool)


#: The dated sources a page names, in order: (label, table, how its latest period is worded).
_HELD = (("police.uk", "street_crime", "month"), ("Fingertips", "indicators", "period"),
         ("NDTMS", "ndtms", "period"), ("DfE children in need", "children_in_need", "period"),
         ("DfE children looked after", "looked_after", "period"), ("DfE exclusions", "exclusions", "period"),
         ("Crime Survey", "csew", "year_ending"))


def latest_held(dataset) -> list[tuple[str, str]]:  # dataset: cdp_analysis.store.dataset.Dataset
    """The latest period each dated source of ``dataset`` holds (as the dataset reads it: an
    edition's only what was published by then): ``[("police.uk", "January 2023"), ...]``."""
    from cdp_analysis.errors import MissingDataError

    found = []
    available = set(dataset.available())
    for label, table, column in _HELD:
        if table not in available:
            continue
        try:
            if table == "street_crime":
                months = dataset.months(table)
                if months:
                    found.append((label, month_label(months[-1])))
                continue
            frame = dataset.ndtms(columns=["period"]) if table == "ndtms" else getattr(dataset, table)()
        except MissingDataError:
            continue
        rule = PUBLICATION_RULES[table]
        spans = {str(p): period_span(p, rule.year_kind) for p in pd.unique(frame[column].dropna().astype(str))}
        dated = {p: s for p, s in spans.items() if s is not None}
        if dated:
            last = max(dated, key=lambda p: (dated[p][0], -dated[p][1]))
            found.append((label, month_label(last) if column != "period" else last))
    return found

"""Publishers' release calendars: when each source's data was, or is expected to be, published.

The downloaded files do not hold their release dates (a file's date is when it was
saved, not when it was published). ``resources/release_calendar.csv`` records, per
source of the prepare manifest, what each publisher states, with its citation:

``fixed``
    a one-off release whose date is recorded (IoD 2019, Census 2021): "published <date>";
``police_monthly``
    police.uk's stated aim, each month published by the last working day of the following
    month: for the latest month held, "expected by the end of <next month>", labelled as
    expected (releases can come later), never as a date the files state;
``not_stated``
    a regular release whose date neither the files nor a fixed rule give: said plainly,
    with where the publisher lists it;
``derived``
    a table this workbench makes from other sources (the national police aggregate): their releases apply;
``none``
    no publisher (the partnership's own returns).

Synthetic demonstration data has no release at all, and says so. Nothing here invents a
date: a date is shown only when it is recorded in the calendar or follows from the
publisher's stated schedule, and then it is labelled "expected".
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from cdp_analysis.errors import DataFormatError

__all__ = ["Release", "RULES", "calendar", "release_words", "file_date_words"]

RULES = ("fixed", "police_monthly", "derived", "not_stated", "none")
_FILE = "release_calendar.csv"
_COLUMNS = ("source", "rule", "release", "schedule", "citation")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


@dataclass(frozen=True)
class Release:
    """One source's release calendar, as the publisher states it."""

    source: str
    rule: str
    release: str  # ISO date of a fixed release, else ""
    schedule: str  # the publisher's schedule in words
    citation: str  # where the publisher states it


def parse_calendar(text: str, name: str = _FILE) -> dict[str, Release]:
    """Read a release calendar CSV (``source,rule,release,schedule,citation``).

    Raises
    ------
    DataFormatError
        A column is missing, a rule is unknown, or a fixed release has no ISO date
        (naming the file, line and column).
    """
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DataFormatError("required column missing", path=name, line=1, column=missing[0],
                              expected=", ".join(_COLUMNS), found=", ".join(reader.fieldnames or []))
    found: dict[str, Release] = {}
    for line, row in enumerate(reader, start=2):
        rule = (row["rule"] or "").strip()
        if rule not in RULES:
            raise DataFormatError("unknown release rule", path=name, line=line, column="rule",
                                  expected=" or ".join(RULES), found=rule)
        release = (row["release"] or "").strip()
        if rule == "fixed":
            try:
                _dt.date.fromisoformat(release)
            except ValueError:
                raise DataFormatError("a fixed release needs its date", path=name, line=line, column="release",
                                      expected="YYYY-MM-DD", found=release or "nothing") from None
        found[row["source"].strip()] = Release(row["source"].strip(), rule, release, (row["schedule"] or "").strip(),
                                               (row["citation"] or "").strip())
    return found


@functools.lru_cache(maxsize=1)
def calendar() -> dict[str, Release]:
    """The package's release calendar (``resources/release_calendar.csv``), source → :class:`Release`."""
    text = resources.files("cdp_analysis.resources").joinpath(_FILE).read_text(encoding="utf-8")
    return parse_calendar(text)


def _month_words(month: str) -> str:
    year, number = month.split("-")[:2]
    return f"{_MONTHS[int(number) - 1]} {year}"


def _next_month(month: str) -> str:
    year, number = (int(x) for x in month.split("-")[:2])
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def release_words(source: Mapping, *, synthetic: bool = False,
                  known: Mapping[str, Release] | None = None) -> str:
    """What is known of a source's release, in words ("" never: an unknown release says so).

    ``source`` is a record of :func:`cdp_analysis.publishing.summary.data_sources`
    (``source``, ``months`` as ``[first, last, n]`` for police tables).

    >>> release_words({"source": "street_crime", "months": ["2024-01", "2025-12", 24]})
    'expected by the end of January 2026 for December 2025, the latest month held (police.uk aims to publish each month by the last working day of the next; not a recorded date)'
    >>> release_words({"source": "imd"})
    'published 2019-09-26'
    """
    if synthetic:
        return "none: synthetic demonstration data, generated by cdp demo, never published"
    entry = (known if known is not None else calendar()).get(str(source.get("source", "")))
    if entry is None:
        return "not known: this source has no entry in the release calendar"
    if entry.rule == "fixed":
        return f"published {entry.release}"
    if entry.rule == "police_monthly":
        months = source.get("months") or []
        if len(months) == 3:
            latest = str(months[1])
            return (f"expected by the end of {_month_words(_next_month(latest))} for {_month_words(latest)}, "
                    "the latest month held (police.uk aims to publish each month by the last working day of "
                    "the next; not a recorded date)")
        return "not known: the months held were not recorded"
    if entry.rule == "derived":
        return "derived here from other sources: their release dates apply"
    if entry.rule == "none":
        return "no publisher's release (the partnership's own figures)"
    return "not stated in the files; see the publisher's release calendar"


def file_date_words(source: Mapping) -> str:
    """The files' dates (when they were saved here, not a release date), or "not recorded"."""
    dates = source.get("file_dates") or []
    if not dates:
        return "not recorded"
    return dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"

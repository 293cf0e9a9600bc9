"""When each source publishes: the one table of publication timing.

``resources/publication_timing.csv`` holds, per source of the prepare manifest, both
facts that were written twice before (the editions' lags and the release calendar):

``source``
    the manifest's source name (the store's table name where the source is dated);
``rule``
    how its release date is known: ``fixed`` (a one-off release whose date the publisher
    stated, in ``release``), ``police_monthly`` (police.uk's stated aim, each month by the
    last working day of the next: a date shown from it is *expected*, never recorded),
    ``not_stated`` (a regular release whose date neither the files nor a stated rule give),
    ``derived`` (made here from other sources) or ``none`` (no publisher);
``release``, ``schedule``, ``citation``
    the publisher-stated date (``fixed`` only), the schedule in words and where it is stated;
``period_column``, ``year_kind``, ``lag_months``, ``lag_basis``
    for a dated table, the column holding its period, how ``YYYY/YY`` reads (``financial``
    or ``academic``), the months after a period's last month by whose end it counts as
    published in an edition (``cdp build --as-of``), and why that lag. Empty for an
    undated source, which every edition uses as held.

:mod:`cdp_analysis.store.editions` reads the lags, :mod:`cdp_analysis.publishing.releases`
the release dates; neither keeps its own copy.
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import io
from dataclasses import dataclass
from importlib import resources

from cdp_analysis.errors import DataFormatError

__all__ = ["Timing", "RULES", "YEAR_KINDS", "TIMING_FILE", "parse_timing", "timing"]

RULES = ("fixed", "police_monthly", "derived", "not_stated", "none")
YEAR_KINDS = ("financial", "academic")
TIMING_FILE = "publication_timing.csv"
_COLUMNS = ("source", "rule", "release", "schedule", "citation", "period_column", "year_kind", "lag_months",
            "lag_basis")


@dataclass(frozen=True)
class Timing:
    """One source's publication timing (see the module docstring for each field)."""

    source: str
    rule: str
    release: str  # ISO date of a fixed release, else ""
    schedule: str
    citation: str
    period_column: str = ""
    year_kind: str = ""
    lag_months: int | None = None
    lag_basis: str = ""

    @property
    def dated(self) -> bool:
        """Whether an edition filters this source by period (it has a lag)."""
        return self.lag_months is not None


def _cell(row: dict, column: str) -> str:
    return (row.get(column) or "").strip()


def parse_timing(text: str, name: str = TIMING_FILE) -> dict[str, Timing]:
    """Read a publication-timing CSV into source → :class:`Timing`.

    Raises
    ------
    DataFormatError
        A column is missing, a rule or year kind is unknown, a fixed release has no ISO
        date, a lag is not a whole number of months above zero, a dated row lacks its
        period column, year kind or basis, or a source is listed twice (naming the file,
        line and column).
    """
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DataFormatError("required column missing", path=name, line=1, column=missing[0],
                              expected=", ".join(_COLUMNS), found=", ".join(reader.fieldnames or []))
    found: dict[str, Timing] = {}
    for line, row in enumerate(reader, start=2):
        source, rule, release = _cell(row, "source"), _cell(row, "rule"), _cell(row, "release")

        def refuse(reason: str, column: str, expected: str, got: str, line: int = line) -> DataFormatError:
            return DataFormatError(reason, path=name, line=line, column=column, expected=expected,
                                   found=got or "nothing")

        if not source or source in found:
            raise refuse("each source needs one row", "source", "a source named once", source)
        if rule not in RULES:
            raise refuse("unknown release rule", "rule", " or ".join(RULES), rule)
        if rule == "fixed":
            try:
                _dt.date.fromisoformat(release)
            except ValueError:
                raise refuse("a fixed release needs its date", "release", "YYYY-MM-DD", release) from None
        lag_text = _cell(row, "lag_months")
        lag = None
        if lag_text:
            if not lag_text.isdigit() or int(lag_text) < 1:
                raise refuse("a publication lag is a whole number of months", "lag_months", "1, 2, 3, ...",
                             lag_text)
            lag = int(lag_text)
            for column, allowed in (("period_column", None), ("year_kind", YEAR_KINDS), ("lag_basis", None)):
                value = _cell(row, column)
                if not value or (allowed and value not in allowed):
                    raise refuse("a dated source needs its period column, year kind and the basis of its lag",
                                 column, " or ".join(allowed) if allowed else "text", value)
        found[source] = Timing(source, rule, release, _cell(row, "schedule"), _cell(row, "citation"),
                               _cell(row, "period_column"), _cell(row, "year_kind"), lag, _cell(row, "lag_basis"))
    return found


@functools.lru_cache(maxsize=1)
def timing() -> dict[str, Timing]:
    """The package's table (``resources/publication_timing.csv``), source → :class:`Timing`."""
    text = resources.files("cdp_analysis.resources").joinpath(TIMING_FILE).read_text(encoding="utf-8")
    return parse_timing(text)

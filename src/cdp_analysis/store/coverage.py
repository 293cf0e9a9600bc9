"""The coverage contract: does the data cover an area for the period a section shows?

Every section states the data it needs. Before computing, a chapter asks this
module whether the data covers the focus area (and each comparator) for the
period shown. The answer is a :class:`Coverage`:

``covered``
    the section is computed and shown;
``partial``
    it is computed over what the data holds, and the page says in one plain
    sentence what is missing (e.g. months without a force's files);
``missing``
    nothing is computed: the page says in one plain sentence what is missing
    and how to add it, shows no number, and makes no key message.

Police data is the subtle case. A police.uk file holds the crimes one force
recorded, including a few just over its border: the City of London Police
files place a handful of crimes in Westminster. So "crimes are located in the
area" is not coverage; coverage is "the files of every force that polices the
area's local authorities are present, with rows, for that month". A month with
a header and no rows is missing, not a month of zero crimes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

__all__ = ["Coverage", "COVERED", "police_months", "describe_months", "DATA_CHECKLIST_HINT"]

#: Where every "data missing" sentence points the reader.
DATA_CHECKLIST_HINT = "the command cdp data --area {code} lists the files to download"


@dataclass(frozen=True)
class Coverage:
    """Whether a section's data covers its area and period, in one plain sentence."""

    status: str = "covered"  # "covered" | "partial" | "missing"
    note: str = ""

    def __post_init__(self) -> None:
        if self.status not in ("covered", "partial", "missing"):
            raise ValueError(f"coverage status must be covered, partial or missing, got {self.status!r}")
        if self.status != "covered" and not self.note:
            raise ValueError("a partial or missing coverage needs a one-sentence note")

    @property
    def shown(self) -> bool:
        """True when the section has numbers to show (covered or partial)."""
        return self.status != "missing"

    @classmethod
    def missing(cls, note: str) -> Coverage:
        """Nothing to show: ``note`` says what is missing and how to add it."""
        return cls("missing", note)

    @classmethod
    def partial(cls, note: str) -> Coverage:
        """Shown, with ``note`` saying what part is missing."""
        return cls("partial", note)


COVERED = Coverage()


def police_months(
    forces_by_month: Mapping[str, Iterable[str]],
    forces_needed: Iterable[str],
) -> list[str]:
    """The months (``"YYYY-MM"``) whose files include every force in ``forces_needed``.

    ``forces_by_month`` maps each month the data holds to the police.uk force
    slugs whose files for that month have at least one row. With no force
    needed (an area the registry cannot place), no month is covered.
    """
    needed = set(forces_needed)
    if not needed:
        return []
    return sorted(m for m, forces in forces_by_month.items() if needed.issubset(set(forces)))


def describe_months(months: Iterable[str]) -> str:
    """``Jan 2019 to Dec 2020`` for a run; runs joined with commas when there are gaps.

    >>> describe_months(["2019-01", "2019-02", "2019-03", "2019-06"])
    'Jan 2019 to Mar 2019, Jun 2019'
    """
    stamps = sorted(pd.Timestamp(f"{m}-01") for m in months)
    if not stamps:
        return "no months"
    runs: list[list[pd.Timestamp]] = [[stamps[0]]]
    for stamp in stamps[1:]:
        if stamp == runs[-1][-1] + pd.DateOffset(months=1):
            runs[-1].append(stamp)
        else:
            runs.append([stamp])
    return ", ".join(f"{r[0]:%b %Y}" if len(r) == 1 else f"{r[0]:%b %Y} to {r[-1]:%b %Y}" for r in runs)

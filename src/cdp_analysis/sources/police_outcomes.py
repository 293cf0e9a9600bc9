"""What happened after a crime: police.uk "Last outcome category" values in five groups.

Every street-level crime in a police.uk file carries the latest outcome the force
has recorded for it (anti-social behaviour incidents carry none: they are not
crimes). The wording is police.uk's, some twenty-odd categories; a needs
assessment asks a simpler question: was anyone charged, dealt with out of court,
or did the case end without further action? The one mapping from category to
group lives in ``resources/police_outcomes.csv`` (category, group, a note on
each), tested over every category in the real files in ``../shared``:

``charged``
    charged or summonsed: awaiting court, a court result (sentence, discharge,
    acquittal, discontinuance) or "Court result unavailable" (the case went to
    court but the force has no result);
``out_of_court``
    a caution, a drugs possession warning (cannabis or khat), a community
    resolution ("Local resolution") or a penalty notice;
``no_further_action``
    no suspect identified, unable to prosecute, not in the public interest, or
    passed to another organisation;
``under_investigation``
    no outcome yet;
``unavailable``
    "Status update unavailable", or a crime row with no outcome at all.

A category the mapping does not know (police.uk adds one) falls in
``unmapped``, counted and named on the page, never silently put in a group.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import pandas as pd

__all__ = ["OUTCOME_GROUPS", "UNMAPPED", "NO_OUTCOME", "outcome_mapping", "outcome_group"]

#: Group key → the label a page shows, in reading order (most to least conclusive for the offender).
OUTCOME_GROUPS: dict[str, str] = {
    "charged": "Charged or summonsed",
    "out_of_court": "Out-of-court disposal",
    "no_further_action": "No further action or no suspect",
    "under_investigation": "Still under investigation",
    "unavailable": "Outcome not available",
}
#: The group of a category the mapping does not know.
UNMAPPED = "unmapped"
#: The group of a crime row whose outcome is blank (as in the files' anti-social behaviour rows).
NO_OUTCOME = "unavailable"


@cache
def outcome_mapping() -> dict[str, str]:
    """Outcome category (police.uk wording) → group key, from ``resources/police_outcomes.csv``."""
    text = resources.files("cdp_analysis").joinpath("resources", "police_outcomes.csv").read_text("utf-8")
    mapping = {}
    for row in csv.DictReader(text.splitlines()):
        group = row["group"].strip()
        if group not in OUTCOME_GROUPS:  # the package's own data: a programming error, not a data one
            raise ValueError(f"police_outcomes.csv: {row['outcome_category']!r} has unknown group {group!r}")
        mapping[row["outcome_category"].strip()] = group
    return mapping


def outcome_group(categories: pd.Series) -> pd.Series:
    """The group key of each outcome category (blank → ``unavailable``, unknown → ``unmapped``).

    >>> outcome_group(pd.Series(["Local resolution", None, "Something new"])).tolist()
    ['out_of_court', 'unavailable', 'unmapped']
    """
    text = categories.astype("string").str.strip()
    groups = text.map(outcome_mapping()).astype("string")
    groups = groups.mask(text.isna() | (text == ""), NO_OUTCOME)
    return groups.fillna(UNMAPPED).astype(str)

"""The outcome groups of police.uk's "Last outcome category", over every value in the real files.

The expected group of each category is written here by hand from police.uk's wording
(what the category says happened to the suspect), independently of the package's
``resources/police_outcomes.csv``.
"""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from cdp_analysis.sources.police_outcomes import OUTCOME_GROUPS, outcome_group, outcome_mapping
from tests.shared_data import require as require_shared

pytestmark = pytest.mark.real_data

BY_HAND = {
    # went to court: charged or summonsed
    "Awaiting court outcome": "charged", "Court result unavailable": "charged",
    "Defendant found not guilty": "charged", "Defendant sent to Crown Court": "charged",
    "Court case unable to proceed": "charged", "Offender sent to prison": "charged",
    "Offender given suspended prison sentence": "charged", "Offender given community sentence": "charged",
    "Offender fined": "charged", "Offender given conditional discharge": "charged",
    "Offender otherwise dealt with": "charged", "Offender deprived of property": "charged",
    # dealt with by the police without a court
    "Offender given a caution": "out_of_court", "Offender given a drugs possession warning": "out_of_court",
    "Local resolution": "out_of_court", "Offender given penalty notice": "out_of_court",
    # ended with no sanction
    "Investigation complete; no suspect identified": "no_further_action",
    "Unable to prosecute suspect": "no_further_action",
    "Formal action is not in the public interest": "no_further_action",
    "Further investigation is not in the public interest": "no_further_action",
    "Action to be taken by another organisation": "no_further_action",
    # not over, or not known
    "Under investigation": "under_investigation", "Status update unavailable": "unavailable",
}


def _real_categories() -> dict[str, int]:
    """Every "Last outcome category" of the real street files (City of London Police and the Met sample)."""
    real = require_shared("data/real/police_uk")
    files = sorted((real / "city-of-london").glob("*-street.csv")) + [real / "2023-01-metropolitan-street-sample.csv"]
    found: dict[str, int] = {}
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                found[row["Last outcome category"]] = found.get(row["Last outcome category"], 0) + 1
    return found


def test_every_category_in_the_real_files_has_its_group():
    found = _real_categories()
    categories = [c for c in found if c]
    assert len(categories) == 23 and "" in found  # blanks: the anti-social behaviour rows
    assert set(categories) <= set(BY_HAND), sorted(set(categories) - set(BY_HAND))
    groups = outcome_group(pd.Series(categories))
    assert dict(zip(categories, groups, strict=True)) == {c: BY_HAND[c] for c in categories}
    assert "unmapped" not in set(groups)


def test_mapping_file_agrees_with_the_hand_groups_and_knows_only_the_five_groups():
    mapping = outcome_mapping()
    assert set(mapping.values()) == set(OUTCOME_GROUPS)
    assert {c: g for c, g in mapping.items() if c in BY_HAND} == BY_HAND


def test_blank_is_unavailable_and_an_unknown_category_is_never_put_in_a_group():
    out = outcome_group(pd.Series(["", None, "  Local resolution ", "Offender given a hug"], dtype=object))
    assert out.tolist() == ["unavailable", "unavailable", "out_of_court", "unmapped"]

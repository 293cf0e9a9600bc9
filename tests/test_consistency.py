"""Every number and judgement in the key messages is in the section's downloadable data.

Runs over every section of the supply chapter for every demo area and the demo
partnership, and for the real City of London build from ``../shared`` (covered) and
Westminster from the same files (not covered: no number, no message).
"""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from cdp_analysis.chapters.base import MEMBER_LABEL
from cdp_analysis.chapters.context import load_context
from cdp_analysis.chapters.supply import SupplyChapter
from cdp_analysis.indicators import supply
from tests.consistency import hotspot_problems, problems

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo-data")]

DEMO_AREAS = ["Z09000001", "Z09000002", "Z09000003", "Z09000004", "Z95000001"]


def _check(ctx) -> int:
    chapter = SupplyChapter(ctx)
    names = {a.name for a in ctx.registry}
    found, checked = [], 0
    for section in chapter.all_sections():
        checked += 1
        found += problems(section, names) + hotspot_problems(section)
    assert not found, "\n".join(found)
    return checked


@pytest.mark.parametrize("code", DEMO_AREAS)
def test_demo_messages_agree_with_their_data(demo_config, code):
    assert _check(load_context(code, config=demo_config)) >= 7


def test_real_city_messages_agree_with_their_data(real_city_source, tmp_path):
    ctx = load_context("E09000001", data_dir=real_city_source, processed_dir=tmp_path)
    assert _check(ctx) >= 7


def test_real_uncovered_borough_says_so_without_numbers(real_city_source, tmp_path):
    ctx = load_context("E09000033", data_dir=real_city_source, processed_dir=tmp_path)
    sections = SupplyChapter(ctx).all_sections()
    assert sections and all(not s.shown for s in sections)
    for section in sections:
        assert not section.messages and not section.items
        assert "metropolitan" in section.coverage.note.lower()
        assert not any(ch.isdigit() for ch in section.coverage.note.replace("E09000033", ""))


# -- a partnership shown with its members ------------------------------------------------------------

PARTNERSHIP, MEMBERS = "Z95000001", {"Z09000001": "Brackenmoor", "Z09000002": "Castlewick"}


def _demo_lookup(config) -> dict[str, str]:
    """LSOA → LAD code, read from the generated lookup CSV with the csv module."""
    path = config.demo_dir / "lookups" / "LSOA21_WD22_LAD22_EW_LU.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {r["LSOA21CD"]: r["LAD22CD"] for r in csv.DictReader(handle)}


def _drug_crimes_by_lad(config, months: list[str]) -> dict[str, int]:
    """Drug crimes per LAD over ``months``, counted from the police.uk street CSVs by hand."""
    lad_of = _demo_lookup(config)
    found: dict[str, int] = {}
    for month in months:
        for path in (config.demo_dir / "police_uk" / month).glob("*-street.csv"):
            with path.open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    lad = lad_of.get(row["LSOA code"])
                    if row["Crime type"] == "Drugs" and lad:
                        found[lad] = found.get(lad, 0) + 1
    return found


@pytest.fixture(scope="module")
def partnership(demo_config):
    return SupplyChapter(load_context(PARTNERSHIP, config=demo_config))


def test_partnership_headline_has_a_labelled_row_per_member(partnership, demo_config):
    table = partnership.comparison_table(supply.DRUG_CRIME)
    assert table["role"].iloc[0] == "focus" and table["area_code"].iloc[0] == PARTNERSHIP
    members = table[table["role"] == "member"]
    assert dict(zip(members["area_code"], members["area"], strict=True)) == MEMBERS
    assert set(members["focus_compared"]) == {MEMBER_LABEL}
    assert set(table.loc[~table["area_code"].isin([PARTNERSHIP, *MEMBERS]), "role"]) == {"comparator"}
    # each member's count, by hand from the street CSVs over the same twelve months
    end = partnership.latest_window[1]
    months = [f"{m:%Y-%m}" for m in pd.date_range(end - pd.DateOffset(months=11), end, freq="MS")]
    assert set(months) <= set(partnership.covered_months)
    by_lad = _drug_crimes_by_lad(demo_config, months)
    for _, row in members.iterrows():
        if not row["suppressed"]:
            assert row["count"] == by_lad[row["area_code"]], row["area"]
            assert row["value"] == pytest.approx(row["count"] / row["population"] * 1000)
            assert row["compared_with_partnership"] in ("Higher", "Similar", "Lower")
    own = table.iloc[0]
    assert own["count"] == sum(by_lad[c] for c in MEMBERS)


def test_no_key_message_treats_a_member_as_a_comparator(partnership):
    own = partnership.area.name  # "Brackenmoor and Castlewick CDP" holds both members' names
    for section in partnership.all_sections():
        for message in section.messages:
            for text in (message.text.replace(own, "the partnership"),
                         message.recommendation.replace(own, "the partnership")):
                for name in MEMBERS.values():
                    assert not re.search(rf"(than|similar to|with) {name}\b", text), text


def test_small_area_member_column_is_the_lookup_s_authority(demo_config):
    lad_of = _demo_lookup(demo_config)
    section = SupplyChapter(load_context(PARTNERSHIP, config=demo_config)).small_areas("lsoa")  # level decided once
    table = section.frames["small_areas"]
    assert len(table) == sum(lad in MEMBERS for lad in lad_of.values())
    for code, member in zip(table["code"], table["member"], strict=True):
        assert member == MEMBERS[lad_of[code]], code
    assert "Member authority" in "".join(section.items)


def test_a_single_authority_has_no_member_rows_or_column(demo_config):
    chapter = SupplyChapter(load_context("Z09000001", config=demo_config))
    assert "member" not in set(chapter.comparison_table(supply.DRUG_CRIME)["role"])
    assert "member" not in chapter.small_areas("lsoa").frames["small_areas"]

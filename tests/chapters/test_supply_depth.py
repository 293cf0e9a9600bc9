"""The supply chapter's outcomes, anti-social behaviour and county lines sections.

Expected values are counted here from the raw CSVs with the csv module (outcome groups
from the hand-written table of ``tests/sources/test_police_outcomes.py``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from cdp_analysis.chapters.context import load_context
from cdp_analysis.chapters.supply import SupplyChapter
from cdp_analysis.config import load_config
from tests.conftest import ensure_demo, write_demo_config
from tests.consistency import problems
from tests.sources.test_police_outcomes import BY_HAND

pytestmark = [pytest.mark.slow]


def _city_drugs(folder: Path, months: list[str]) -> list[str]:
    """The outcome group of each drug offence located in the City of London in ``months``."""
    found = []
    for month in months:
        with (folder / f"{month}-city-of-london-street.csv").open(encoding="utf-8", newline="") as handle:
            found += [BY_HAND[r["Last outcome category"]] for r in csv.DictReader(handle)
                      if r["Crime type"] == "Drugs" and r["LSOA name"].startswith("City of London")]
    return found


def _nothing_recoverable(section) -> None:
    """No published outcome count is 1-4; no hidden count follows from its quarter's total or the settled window."""
    by_quarter, pooled = section.frames["by_quarter"], section.frames["settled_twelve_months"]
    for frame in (by_quarter, pooled):
        shown = frame["count"].dropna()
        assert not ((shown >= 1) & (shown <= 4)).any()
    for _, rows in by_quarter.groupby("period"):
        assert rows["count"].isna().sum() != 1 or rows["total"].isna().all()  # one hidden = total minus the rest
    window = by_quarter[by_quarter["quarter"].isin(
        by_quarter.loc[by_quarter["settled"].astype(bool), "quarter"].drop_duplicates().nlargest(4))]
    window = window[window["quarter"] >= window["quarter"].max() - pd.DateOffset(months=9)]
    for group, rows in window.groupby("outcome_group"):
        published = pooled.set_index("outcome_group").loc[group, "count"]
        assert published != published or rows["count"].isna().sum() != 1, group


@pytest.mark.real_data
def test_real_city_shows_what_happens_after_its_drug_offences(real_city_source, tmp_path):
    ctx = load_context("E09000001", data_dir=real_city_source, processed_dir=tmp_path)
    chapter = SupplyChapter(ctx)
    section = chapter.drug_outcomes()
    assert section.shown and not problems(section, {a.name for a in ctx.registry})
    _nothing_recoverable(section)
    folder = real_city_source / "police_uk" / "city-of-london"
    # Jul-Sep 2020 onward are a third or more under investigation; Jan-Jun 2020 are settled (2019 is not held)
    settled = _city_drugs(folder, [f"2020-0{m}" for m in range(1, 7)])
    pooled = section.frames["settled_twelve_months"].set_index("outcome_group")
    assert pooled["total"].iloc[0] == len(settled)
    for group in ("charged", "out_of_court", "no_further_action", "unavailable"):
        assert pooled.loc[group, "count"] == settled.count(group)
    text = " ".join(m.text for m in section.messages)
    charged = 100 * settled.count("charged") / len(settled)
    assert f"Of the {len(settled):,} drug offences recorded in City of London in the latest twelve months whose " \
           "outcomes have settled (Jul 2019 to Jun 2020, 6 months of data)" in text
    assert f"{charged:.0f}% were charged or summonsed" in text
    last = _city_drugs(folder, ["2020-10", "2020-11"])
    assert (f"of the drug offences of Oct to Dec 2020, {100 * last.count('under_investigation') / len(last):.0f}% "
            "are still under investigation") in text
    assert "The quarters from Jul 2020 to Dec 2020" in text
    # London and England need the Met's files for the same months: one plain sentence, no comparison
    comparison = [m for m in section.messages if "not compared with other areas" in m.text]
    assert comparison and "London" in comparison[0].text and "England" in comparison[0].text
    assert len(section.frames["charged_comparison"]) == 1
    quarters = section.frames["by_quarter_wide"]
    assert list(quarters["Outcomes"]) == ["settled"] * 5 + ["not yet settled"] * 2
    # anti-social behaviour: the rows with no outcome, counted where they lie
    asb = chapter.anti_social_behaviour()
    own = asb.frames["comparison"].iloc[0]
    months = ["2019-12"] + [f"2020-{m:02d}" for m in range(1, 12)]
    expected = 0
    for month in months:
        path = folder / f"{month}-city-of-london-street.csv"
        if path.exists():
            with path.open(encoding="utf-8", newline="") as handle:
                expected += sum(r["Crime type"] == "Anti-social behaviour" and r["LSOA name"].startswith("City of London")
                                for r in csv.DictReader(handle))
    assert own["count"] == expected and own["months_with_data"] == 11
    # no county lines return: one sentence saying how to supply it
    lines = chapter.county_lines()
    assert not lines.shown and "county_lines.csv" in lines.coverage.note and "cdp templates" in lines.coverage.note


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("depth-demo")
    return ensure_demo(load_config(write_demo_config(root)))


def _returned(config, code: str) -> dict[str, dict[str, int]]:
    with (config.demo_dir / "local" / "county_lines.csv").open(encoding="utf-8", newline="") as handle:
        return {r["period"]: {k: int(v) for k, v in r.items() if k not in ("area_code", "period")}
                for r in csv.DictReader(handle) if r["area_code"] == code}


@pytest.mark.parametrize("code, members", [("Z09000003", ["Z09000003"]), ("Z95000001", ["Z09000001", "Z09000002"])])
def test_demo_county_lines_show_the_return_with_small_counts_hidden(small_demo, code, members):
    section = SupplyChapter(load_context(code, config=small_demo)).county_lines()
    assert section.shown
    table = section.frames["county_lines"].set_index("period")
    returns = [_returned(small_demo, m) for m in members]
    for period in table.index:
        for column in ("referrals", "closures_type_1", "closures_type_2"):
            value = sum(r[period][column] for r in returns)
            shown = table.loc[period, column]
            if 1 <= value <= 4:
                assert shown != shown  # hidden
            else:
                assert shown == value or (shown != shown and column.startswith("closures"))
        closures = sum(r[period]["closures_type_1"] + r[period]["closures_type_2"] for r in returns)
        if not table.loc[period, "closures"] != table.loc[period, "closures"]:
            assert table.loc[period, "closures"] == closures
    assert not problems(section, set())


def test_demo_outcomes_are_compared_with_the_region_over_settled_months(small_demo):
    ctx = load_context("Z09000001", config=small_demo)
    section = SupplyChapter(ctx).drug_outcomes()
    assert section.shown and not problems(section, {a.name for a in ctx.registry})
    _nothing_recoverable(section)
    comparison = section.frames["charged_comparison"]
    assert list(comparison["role"]) == ["focus", "comparator"] and comparison["area"].iloc[1] == "Wyvern Vale"
    wide = section.frames["by_quarter_wide"]
    assert wide["Outcomes"].iloc[-1] == "not yet settled"  # the generator's outcome lag
    pooled = section.frames["settled_twelve_months"]
    assert pooled["count"].sum() == pooled["total"].iloc[0]
    # the region's charged share from the CSVs: every demo borough's drug offences in the settled months
    label = comparison["period"].iloc[0]
    start = pd.Timestamp(label.split(" to ")[0])
    end = pd.Timestamp(label.split(" to ")[1].split(",")[0])
    charged = total = 0
    for path in sorted((small_demo.demo_dir / "police_uk").rglob("*-street.csv")):
        month = pd.Timestamp(path.name[:7])
        if not start <= month <= end:
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for r in csv.DictReader(handle):
                if r["Crime type"] == "Drugs" and r["LSOA code"].startswith("Z"):
                    total += 1
                    charged += BY_HAND[r["Last outcome category"]] == "charged"
    assert comparison["total"].iloc[1] == total and comparison["count"].iloc[1] == charged

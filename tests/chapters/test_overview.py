"""Outcomes overview: CDP aggregation, comparisons and missing data, on the demo data."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

import cdp_analysis
from cdp_analysis.chapters.context import load_context
from cdp_analysis.chapters.overview import OverviewChapter, indicator_catalogue
from cdp_analysis.indicators.outcomes import CO_OCCURRING_PROFILE

pytestmark = pytest.mark.xdist_group("demo-data")


def _fingertips_rows(config, indicator_id: str) -> list[dict]:
    path = config.demo_dir / "fingertips" / "demo-indicators.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["Indicator ID"] == indicator_id and not r["Category Type"]]


def test_cdp_proportion_is_recomputed_from_summed_counts(demo_config):
    ctx = load_context("Z95000001", config=demo_config)
    summary = OverviewChapter(ctx).summary().set_index("indicator_id")
    row = summary.loc["90245"]
    raw = [r for r in _fingertips_rows(demo_config, "90245")
           if r["Area Code"] in ("Z09000001", "Z09000002") and r["Time period"] == row["period"]]
    assert len(raw) == 2
    x = sum(float(r["Count"]) for r in raw)
    n = sum(float(r["Denominator"]) for r in raw)
    assert row["value"] == pytest.approx(x / n * 100)
    # Wilson score interval, by hand (z for 95%)
    z, p = 1.959963985, x / n
    centre, half = 2 * x + z**2, z * math.sqrt(z**2 + 4 * x * (1 - p))
    assert row["lower_ci"] == pytest.approx((centre - half) / (2 * (n + z**2)) * 100, rel=1e-6)
    assert row["upper_ci"] == pytest.approx((centre + half) / (2 * (n + z**2)) * 100, rel=1e-6)
    # standardised rates cannot be summed: the CDP has no DSR rows
    assert "92432" not in summary.index


def test_borough_comparison_uses_its_interval_against_england_value(demo_config):
    ctx = load_context("Z09000001", config=demo_config)
    summary = OverviewChapter(ctx).summary()
    catalogue = indicator_catalogue()
    assert len(summary) == len(catalogue)  # every catalogued indicator is in the demo
    for _, r in summary.iterrows():
        polarity = catalogue[r["indicator_id"]].polarity
        if r["upper_ci"] < r["england"]:
            expected = "Better" if polarity == "LowIsGood" else "Worse"
        elif r["lower_ci"] > r["england"]:
            expected = "Worse" if polarity == "LowIsGood" else "Better"
        else:
            expected = "Similar"
        assert r["compared"] == expected, r["indicator"]


def test_every_row_has_its_unit_value_type_definition_and_link(demo_config):
    ctx = load_context("Z09000001", config=demo_config)
    chapter = OverviewChapter(ctx)
    summary = chapter.summary()
    with (Path(cdp_analysis.__file__).parent / "resources" / "indicators.csv").open(encoding="utf-8") as handle:
        catalogue = {r["indicator_id"]: r for r in csv.DictReader(handle)}
    html = chapter.tartan_html(summary)
    for _, r in summary.iterrows():
        row = catalogue[r["indicator_id"]]
        assert row["definition"] and row["value_type"] and row["population"]
        assert r["unit_words"] == f"{row['population']}, {row['value_type']}"
        expected = (f"https://fingertips.phe.org.uk/search/{r['indicator_id']}" if r["indicator_id"].isdigit()
                    else CO_OCCURRING_PROFILE)  # no verified id: the profile that publishes it (docs/indicators.md)
        assert r["link"] == expected
        assert f'href="{r["link"]}"' in html and row["definition"].replace("'", "&#x27;") in html
    assert chapter.missing().empty  # the demo holds every catalogued indicator for a borough


def test_partnership_missing_notes_and_member_columns(demo_config):
    chapter = OverviewChapter(load_context("Z95000001", config=demo_config))
    summary = chapter.summary()
    missing = chapter.missing().set_index("indicator_id")
    catalogue = indicator_catalogue()
    assert set(missing.index) == set(catalogue) - set(summary["indicator_id"])
    assert all(catalogue[i].combine != "sum" for i in missing.index)  # only what cannot be combined
    members = chapter.member_table(summary)
    assert set(members.loc[members["role"] == "member", "area_code"]) == {"Z09000001", "Z09000002"}
    raw = {(r["Area Code"], r["Time period"]): float(r["Value"]) for r in _fingertips_rows(demo_config, "92432")
           if r["Sex"] == "Persons" and r["Value"]}
    for _, r in members[members["indicator_id"] == "92432"].iterrows():
        assert r["value"] == pytest.approx(raw[(r["area_code"], r["period"])])
    assert "(member)" in chapter.tartan_html(summary)


def test_spine_data_holds_every_peer_of_the_same_type(demo_config):
    chapter = OverviewChapter(load_context("Z09000003", config=demo_config))
    spine = chapter.spine_data()
    assert set(spine["indicator_id"]) == set(chapter.summary()["indicator_id"])
    for indicator_id, group in spine.groupby("indicator_id"):
        period = group["period"].iloc[0]
        rows = [r for name in ("demo-indicators.csv", "demo-unmet-need.csv")
                for r in csv.DictReader((demo_config.demo_dir / "fingertips" / name).open(encoding="utf-8"))
                if (r["Indicator ID"] == indicator_id  # or, for an id not verified, its published name
                    or r["Indicator Name"] == chapter.catalogue[indicator_id].published_name
                    and chapter.catalogue[indicator_id].matched_by_name) and not r["Category Type"]]
        raw = {r["Area Code"]: float(r["Value"]) for r in rows
               if r["Time period"] == period and r["Area Type"] == "UA" and r["Sex"] == "Persons" and r["Value"]}
        assert dict(zip(group["area_code"], group["value"], strict=True)) == pytest.approx(raw)
        assert group["area_value"].iloc[0] == pytest.approx(raw["Z09000003"])


def test_overview_spine_chart_spans_every_borough_of_the_demo(demo_config):
    ctx = load_context("Z09000003", config=demo_config)
    chart = OverviewChapter(ctx).spine_chart()
    data = chart.data.set_index("indicator_id")
    chart.close()
    rows = [r for r in _fingertips_rows(demo_config, "92432") if r["Area Code"].startswith("Z09")]
    latest = max(r["Time period Sortable"] for r in rows)
    values = [float(r["Value"]) for r in rows if r["Time period Sortable"] == latest]
    own = next(float(r["Value"]) for r in rows if r["Time period Sortable"] == latest and r["Area Code"] == "Z09000003")
    assert data.loc["92432", "n_areas"] == len(values) == 4
    assert data.loc["92432", "min"] == pytest.approx(min(values)) and data.loc["92432", "max"] == pytest.approx(max(values))
    assert data.loc["92432", "value"] == pytest.approx(own)
    assert "Spine chart" in chart.alt_text


def test_partnership_spine_chart_places_the_partnership_among_member_type_areas(demo_config):
    chart = OverviewChapter(load_context("Z95000001", config=demo_config)).spine_chart()
    chart.close()
    assert not chart.data.empty and (chart.data["area"] == "Brackenmoor and Castlewick CDP").all()


def test_outcomes_among_the_neighbours_by_hand(demo_config):
    """Deaths from drug misuse (a DSR: the mean of the neighbours' values) and continuity of care (a proportion:
    pooled counts over pooled denominators) for Brackenmoor among the other demo boroughs, from the CSV."""
    ctx = load_context("Z09000001", config=demo_config)
    chapter = OverviewChapter(ctx)
    section = chapter.neighbours_section()
    summary = section.frames["neighbours"].set_index("Measure")
    peers = ("Z09000002", "Z09000003", "Z09000004")
    period = chapter.summary().set_index("indicator_id").loc["92432", "period"]
    deaths = {r["Area Code"]: float(r["Value"]) for r in _fingertips_rows(demo_config, "92432")
              if r["Time period"] == period and r["Area Code"].startswith("Z09")}
    row = summary.loc[[m for m in summary.index if m.startswith("Deaths from drug misuse")][0]]
    assert row["Neighbour average"] == pytest.approx(sum(deaths[c] for c in peers) / 3)
    assert row["How the average is formed"] == "mean of the neighbours' values"
    higher = sum(deaths[c] > deaths["Z09000001"] for c in peers)
    values = section.frames["neighbour_values"]
    own = values[(values["role"] == "focus") & values["measure"].str.startswith("Deaths from drug misuse")].iloc[0]
    assert (int(own["rank"]), int(own["n_ranked"])) == (higher + 1, 4)
    period = chapter.summary().set_index("indicator_id").loc["90947", "period"]
    care = [r for r in _fingertips_rows(demo_config, "90947") if r["Time period"] == period and r["Area Code"] in peers]
    pooled = sum(float(r["Count"]) for r in care) / sum(float(r["Denominator"]) for r in care) * 100
    row = summary.loc[[m for m in summary.index if m.startswith("Continuity of care after prison")][0]]
    assert row["Neighbour average"] == pytest.approx(pooled)
    assert row["How the average is formed"] == "pooled counts over pooled denominators"


def test_local_outcomes_framework_by_hand(demo_config):
    """The demo's quarterly continuity of care: baseline 2021/22 Q4, latest quarter, straight line to the ambition."""
    import pandas as pd

    ctx = load_context("Z09000001", config=demo_config)
    with (demo_config.demo_dir / "local" / "ambitions.csv").open(encoding="utf-8", newline="") as handle:
        ambition = next(r for r in csv.DictReader(handle)
                        if r["area_code"] == "Z09000001" and r["metric"] == "continuity_of_care")
    with (demo_config.demo_dir / "local" / "continuity_of_care.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["area_code"] == "Z09000001"]
    share = {r["period"]: int(r["engaged_within_3_weeks"]) / int(r["released_with_need"]) * 100 for r in rows}
    base, latest = share["2021/22 Q4"], share[rows[-1]["period"]]
    year, quarter = int(rows[-1]["period"][:4]), int(rows[-1]["period"][-1])
    latest_end = pd.Timestamp(year, 4, 1) + pd.DateOffset(months=3 * quarter) - pd.Timedelta(days=1)
    goal, goal_date = float(ambition["ambition_value"]), pd.Timestamp(ambition["ambition_date"])
    start = pd.Timestamp(2022, 3, 31)
    expected = base + (goal - base) * (min(latest_end, goal_date) - start) / (goal_date - start)
    section = OverviewChapter(ctx).local_framework()
    table = section.frames["ambitions"].set_index("metric")
    row = table.loc["continuity_of_care"]
    assert row["baseline_value"] == pytest.approx(base) and row["latest_value"] == pytest.approx(latest)
    assert row["trajectory_value"] == pytest.approx(expected)
    assert row["status"] == ("On track" if (latest - expected) * (goal - base) >= 0 else "Off track")
    assert row["points"] == len(rows) >= 15 and "spc_continuity_of_care" in section.frames
    assert any(row["status"].lower() in m.text for m in section.messages)

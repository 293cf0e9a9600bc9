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

from cdp_analysis.chapters.base import MEMBER_LABEL, Section, missing_section
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
        # police sections name the missing force; county lines (a local return) says how to supply it
        assert ("county_lines.csv" if section.key == "county_lines" else "metropolitan") in section.coverage.note.lower()
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


# -- figures agree with their words (issue 17) -------------------------------------------------------

TREATMENT_SECTIONS = ("numbers", "unmet_need", "completions", "outcomes", "access", "young_people", "reached",
                      "ethnicity", "circumstances", "harm")


@pytest.mark.parametrize("code", ["Z09000001", "Z95000001"])
def test_demo_treatment_figures_agree_with_their_words(demo_config, code):
    from cdp_analysis.chapters.treatment import TreatmentChapter
    from tests.consistency import captured_charts, figure_problems

    ctx = load_context(code, config=demo_config)
    chapter = TreatmentChapter(ctx)
    found, drawn, spines = [], 0, 0
    for name in TREATMENT_SECTIONS:
        with captured_charts() as seen:
            section = getattr(chapter, name)()
        drawn += len(seen)
        spines += sum(c.alt_text.startswith("Spine chart") for c in seen)
        found += figure_problems(section, seen, ctx.area.name)
    assert not found, "\n".join(found)
    assert drawn >= 8 and (spines == 1 or code == "Z95000001")


def test_demo_spine_charts_of_overview_and_treatment_agree(demo_config):
    from cdp_analysis.chapters.overview import OverviewChapter
    from cdp_analysis.chapters.treatment import TreatmentChapter
    from tests.consistency import figure_problems

    ctx = load_context("Z09000001", config=demo_config)
    overview = OverviewChapter(ctx).spine_chart()
    treatment = TreatmentChapter(ctx).spine()
    assert overview is not None and treatment is not None
    assert not figure_problems(missing_section("x", "y"), [overview, treatment], ctx.area.name)
    both = overview.data.merge(treatment.data, on="indicator_id", suffixes=("_o", "_t"))
    assert "92432" in set(both["indicator_id"])  # deaths from drug misuse on both
    assert (both["compared_o"] == both["compared_t"]).all() and (both["polarity_t"] == "LowIsGood").all()
    # all areas of the type: the four demo boroughs, and the title says how many
    assert (treatment.data["n_areas"] == 4).all() and "all 4 areas" in treatment.title


def _bar_chart(words_col: str, colour_label: str):
    from cdp_analysis.report import charts

    data = pd.DataFrame({"area": ["Barnet", "England"], "value": [8.5, 12.5], "lower_ci": [7.0, 12.3],
                         "upper_ci": [10.2, 12.7], "focus_compared": ["Focus area", colour_label],
                         "note": ["Barnet", words_col]})
    return charts.rate_bars(data, label="area", value="value", lower="lower_ci", upper="upper_ci",
                            colour="focus_compared", note="note", title="t", xlabel="x", source="s")


def test_figure_check_fails_on_a_bar_that_contradicts_its_sentence():
    from cdp_analysis.report.narrative import KeyMessage
    from tests.consistency import figure_problems

    section = Section("Access", messages=[KeyMessage(
        "The share referred by criminal justice in Barnet was 8.5% (2021/22), significantly lower than England (12.5).")])
    # the old label: "England (Lower)" beside England's longer bar
    assert figure_problems(section, [_bar_chart("Lower", "Lower")], "Barnet")
    # words and colour disagree
    assert figure_problems(section, [_bar_chart("Barnet significantly lower", "Higher")], "Barnet")
    # the sentence's reading, coloured by the same label: no problem
    assert not figure_problems(section, [_bar_chart("Barnet significantly lower", "Lower")], "Barnet")


def test_default_bar_words_read_as_the_sentence():
    from cdp_analysis.report import charts

    data = pd.DataFrame({"area": ["Barnet", "England"], "value": [8.5, 12.5], "lower_ci": [7.0, 12.3],
                         "upper_ci": [10.2, 12.7], "focus_compared": ["Focus area", "Lower"]})
    chart = charts.rate_bars(data, label="area", value="value", lower="lower_ci", upper="upper_ci",
                             colour="focus_compared", title="t", xlabel="x", source="s", focus="Barnet")
    labels = [" ".join(t.get_text().split()) for t in chart.figure.axes[0].get_yticklabels()]  # wrapped: one line
    assert "England (Barnet significantly lower)" in labels and not any("(Lower)" in t for t in labels)


def test_spine_axis_and_sides_follow_polarity():
    from cdp_analysis.report import charts
    from tests.consistency import figure_problems

    row = {"indicator_id": "92432", "indicator": "Deaths", "period": "2021 - 23", "unit": "per 100,000",
           "area": "A", "n_areas": 150, "min": 1.0, "q1": 3.0, "median": 4.0, "q3": 5.0, "max": 12.0,
           "england": 5.4, "value": 6.3, "lower_ci": 5.5, "upper_ci": 7.2}
    judged = charts.spine_chart(pd.DataFrame([{**row, "polarity": "LowIsGood", "compared": "Worse"}]),
                                title="t", source="s")
    x = float(judged.figure.axes[0].collections[0].get_offsets()[0][0])
    assert x < 0.5 and not figure_problems(missing_section("x", "y"), [judged], "A")  # 6.3 > 5.4: worse side
    plain = charts.spine_chart(pd.DataFrame([{**row, "polarity": "NoJudgement", "compared": "Higher"}]),
                               title="t", source="s")
    ticks = [t.get_text() for t in plain.figure.axes[0].get_xticklabels()]
    assert ticks == ["Lower", "England", "Higher"]


def test_every_demo_chart_keeps_its_text_inside_the_figure(demo_config):
    """Titles, axis and category labels, legends and source lines of every chart of every chapter of the
    partnership (the longest names) measured on the canvas: none reaches outside the figure."""
    from cdp_analysis.chapters.demand import DemandChapter
    from cdp_analysis.chapters.overview import OverviewChapter
    from cdp_analysis.chapters.treatment import TreatmentChapter
    from cdp_analysis.report import render
    from tests.consistency import captured_charts, chart_problems, texts_outside

    ctx = load_context(PARTNERSHIP, config=demo_config)
    with captured_charts() as seen:
        TreatmentChapter(ctx).sections()
        SupplyChapter(ctx).sections()
        DemandChapter(ctx).sections()
        overview = OverviewChapter(ctx)
        for chart in (overview.spine_chart(), overview.sparklines(overview.summary())):
            if chart is not None:
                render.chart_html(chart)
    assert len(seen) >= 30
    found = [problem for chart in seen for problem in texts_outside(chart) + chart_problems(chart)]
    assert not found, "\n".join(found)


def test_text_measure_catches_a_title_running_off_the_figure():
    from cdp_analysis.report import charts
    from tests.consistency import texts_outside

    data = pd.DataFrame({"area": ["A"], "value": [1.0], "lower_ci": [0.5], "upper_ci": [1.5],
                         "focus_compared": ["Focus area"]})
    chart = charts.rate_bars(data, label="area", value="value", lower="lower_ci", upper="upper_ci",
                             colour="focus_compared", title="t", xlabel="x", source="s")
    assert not texts_outside(chart)
    chart.figure.axes[0].set_title("A title far too long for any eight-inch figure " * 4, loc="left")
    assert texts_outside(chart)

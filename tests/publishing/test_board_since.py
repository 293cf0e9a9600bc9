"""The board summary (and so the front of the document and the PDF) opens with what changed since the last
assessment; the overview's headline table carries the neighbour columns the neighbour section agrees with.

The demo: this edition against the one three years earlier. Which indicators moved is read back from the
two editions' intervals in the chapters' records (non-overlap written out here), not from the summary code.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cdp_analysis.publishing import boardsummary, datapack

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo-data")]

TITLES = {"00_outcomes_overview": "Outcomes overview", "03_demand": "Demand"}


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace("&#x27;", "'")


@pytest.fixture(scope="module")
def demo_sections(demo_config):
    from cdp_analysis.chapters.context import load_context
    from cdp_analysis.chapters.demand import DemandChapter
    from cdp_analysis.chapters.overview import OverviewChapter

    ctx = load_context("Z09000001", config=demo_config)
    overview = OverviewChapter(ctx)
    return ctx, {"00_outcomes_overview": [overview.since_last_assessment(), overview.indicators_section(),
                                          overview.neighbours_section()],
                 "03_demand": [DemandChapter(ctx).since_last_assessment()]}


def test_demo_board_summary_leads_with_the_indicators_that_moved_in_three_years(demo_sections):
    ctx, sections = demo_sections
    assert ctx.earlier_month == ctx.edition_month - 36  # [assessment] previous_years = 3
    frames = {chapter: datapack.payload(chapter, found) for chapter, found in sections.items()}
    facts = boardsummary.board_facts("Brackenmoor", "Z09000001", synthetic=True, built="2026-12-07", records={},
                                      frames=frames, chapter_titles=TITLES)
    page = boardsummary.summary_html(facts)
    assert page.index('id="board-since"') < page.index('id="board-headline"') < page.index('id="board-findings"')
    since = _text(page[page.index('id="board-since"'):page.index('id="board-headline"')])

    tables = [s.frames["since_last_assessment"] for found in sections.values() for s in found
              if "since_last_assessment" in s.frames]
    assert tables, "the demo's current edition and the one three years earlier are both built"
    compared, moved = 0, []
    seen = set()
    for table in tables:
        for _, r in table.iterrows():
            if r["indicator"] in seen or r["status"] != "compared":
                continue
            seen.add(r["indicator"])
            compared += 1
            apart = r["current_lower_ci"] > r["earlier_upper_ci"] or r["current_upper_ci"] < r["earlier_lower_ci"]
            if apart:
                moved.append((r["indicator"], "rose" if r["current_value"] > r["earlier_value"] else "fell",
                              r["earlier_period"], r["current_period"]))
    # the earlier edition named by its month: three years before this edition's, written out here
    month = (ctx.edition_month - 36).strftime("%B %Y")
    assert facts.earlier_edition == month
    if moved:
        assert f"{len(moved)} of the {compared} headline indicators compared like for like with the edition of " \
               f"{month} moved significantly" in since
    else:
        assert f"None of the {compared} headline indicators compared like for like with the edition of {month}" \
               in since
    for name, verb, before, now in moved[:boardsummary.MAX_CHANGES]:
        line = re.search(rf"{re.escape(name[:1].upper() + name[1:])} (rose|fell) significantly, from [^()]+ "
                         rf"\({re.escape(str(before))}\) to [^()]+ \({re.escape(str(now))}\)", since)
        assert line is not None and line.group(1) == verb, name
    assert since.count("significantly, from") == min(len(moved), boardsummary.MAX_CHANGES)


def test_without_an_earlier_edition_one_plain_sentence_and_no_number():
    missing = {"sections": [{"title": boardsummary.SINCE_TITLE, "status": "missing", "frames": {},
                             "note": "The edition of March 2020 held none of the headline indicators of the "
                                     "outcomes framework for Hartlepool, so what changed since then cannot be said."}]}
    facts = boardsummary.board_facts("Hartlepool", "E06000001", synthetic=False, built="2026-12-07", records={},
                                     frames={"00_outcomes_overview": missing}, chapter_titles=TITLES)
    since = _text(boardsummary.since_html(facts, "Hartlepool")).strip()
    assert since == missing["sections"][0]["note"]
    nothing = boardsummary.board_facts("Hartlepool", "E06000001", synthetic=False, built="2026-12-07", records={},
                                       frames={}, chapter_titles=TITLES)
    text = _text(boardsummary.since_html(nothing, "Hartlepool"))
    assert "No earlier edition" in text and not re.search(r"\d", text)


def test_demo_overview_headline_table_agrees_with_its_neighbour_section(demo_sections):
    from tests.consistency import neighbour_column_problems

    _, sections = demo_sections
    indicators = sections["00_outcomes_overview"][1].frames["indicators"]
    neighbours = sections["00_outcomes_overview"][2].frames["neighbours"]
    assert {"neighbour_average", "neighbour_rank", "neighbour_compared"} <= set(indicators.columns)
    ranked = indicators[indicators["neighbour_rank"] != ""]
    assert not ranked.empty  # the demo's synthetic group: three other boroughs, so ranks "of 4"
    assert ranked["neighbour_rank"].str.endswith("of 4").all()
    assert neighbour_column_problems(indicators, neighbours) == []
    page = sections["00_outcomes_overview"][1].items[0]
    assert "Rank among the area and its neighbours" in page and "Compared with the neighbour average" in page


def test_the_earlier_editions_month_comes_from_the_since_sections_frame():
    """The month travels in the chapters' since frame (``earlier_edition``) into the summary's opening sentence;
    a frame without it (an older data pack) reads "the earlier edition", as before."""
    row = {"indicator_id": "x", "indicator": "drug offences per 1,000 residents", "unit": "per 1,000",
           "polarity": "NoJudgement", "status": "compared", "earlier_period": "2022", "earlier_value": 3.1,
           "current_period": "2025", "current_value": 3.4, "result": "No significant change", "judgement": ""}
    def frames(table: pd.DataFrame) -> dict:
        return {"01_supply": {"sections": [{"title": boardsummary.SINCE_TITLE, "status": "ok",
                                             "frames": {"since_last_assessment": {
                                                 "columns": list(table.columns), "data": table.to_numpy().tolist()}}}]}}

    table = pd.DataFrame([row]).assign(earlier_edition="December 2022")
    facts = boardsummary.board_facts("Brackenmoor", "Z09000001", synthetic=True, built="2026-12-07", records={},
                                     frames=frames(table), chapter_titles={})
    assert facts.earlier_edition == "December 2022"
    text = _text(boardsummary.since_html(facts, "Brackenmoor"))
    assert "None of the 1 headline indicators compared like for like with the edition of December 2022 moved" in text
    older = boardsummary.board_facts("Brackenmoor", "Z09000001", synthetic=True, built="2026-12-07", records={},
                                     frames=frames(pd.DataFrame([row])), chapter_titles={})
    assert older.earlier_edition == ""
    assert "compared like for like with the earlier edition" in _text(boardsummary.since_html(older, "Brackenmoor"))

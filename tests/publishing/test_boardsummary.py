"""The board summary's facts from chapter records made here (no build)."""

import pandas as pd

from cdp_analysis.publishing import boardsummary, datapack

HINT = " (the command cdp data --area E06000001 lists the files to download)"
POLICE = "The data has no police.uk street-level files from Cleveland, so no police figure is shown." + HINT


def _frames():
    headline = pd.DataFrame({"indicator": ["Deaths from drug misuse", "Opiate users not in treatment"],
                             "unit_words": ["per 100,000", "%"], "period": ["2021 - 23", "2023/24"],
                             "value": [9.04, 57.25], "england": [5.4, 51.9], "compared": ["Worse", "Similar"],
                             "trend": ["No significant change", "Cannot be calculated"]})
    return {
        "00_outcomes_overview": datapack.payload("00_outcomes_overview", {"Outcomes framework indicators": headline}),
        "01_supply": {"sections": [{"title": f"S{n}", "status": "missing", "note": POLICE, "frames": {}}
                                   for n in range(3)]},
        "02_treatment_recovery": {"sections": [{"title": f"T{n}", "status": "partial", "note": f"Reason {n}.",
                                                "frames": {}} for n in range(9)]},
    }


RECORDS = {"01_supply": {"messages": [{"text": f"Finding {n}.", "priority": n, "recommendation": "Act."}
                                      for n in range(7)],
                         "sources": [{"source": "street_crime", "months": ["2024-01", "2025-12", 24]}]}}


def _facts():
    return boardsummary.board_facts("Hartlepool", "E06000001", synthetic=False, built="2026-12-07",
                                    records=RECORDS, frames=_frames(),
                                    chapter_titles={"01_supply": "Supply", "02_treatment_recovery": "Treatment"})


def test_gaps_share_a_reason_once_without_the_checklist_hint_and_police_months_need_a_shown_section():
    facts = _facts()
    assert facts.gaps[0] == ("Supply: S0, S1, S2", "missing", POLICE.replace(HINT, ""))
    assert len(facts.gaps) == 10
    assert all("months held" not in what for what, _ in facts.periods)  # no police section shown
    assert facts.periods == [("Outcomes framework indicators (latest periods)", "2021 - 23 to 2023/24")]


def test_summary_shows_rag_in_words_on_fingertips_colours_top_five_findings_and_caps_gaps():
    page = boardsummary.summary_html(_facts())
    assert 'style="background:#D4351C;color:#ffffff">Worse</td>' in page  # Fingertips "Worse" (95%)
    assert 'style="background:#FFDD00;color:#0b0c0c">Similar</td>' in page
    assert "<td>9.0</td><td>5.4</td>" in page and "<td>57.2</td><td>51.9</td>" in page  # 1 decimal, as the overview
    assert [f"Finding {n}." in page for n in range(7)] == [False, False, True, True, True, True, True]
    assert page.count("<li><strong>") == boardsummary.MAX_GAPS
    assert "2 more gaps, each said where it applies in the chapters." in page
    assert "cdp data --area E06000001</code> lists the files to add." in page


def test_a_section_recorded_twice_makes_one_sheet():
    """The overview records its headline frame with its sections and again on its own: one sheet, not two."""
    frame = pd.DataFrame({"indicator": ["Deaths from drug misuse"], "value": [9.04]})
    with_sections = datapack.payload("00_outcomes_overview", {"indicators": frame})
    with_sections["sections"][0]["title"] = "Outcomes framework indicators"
    again = datapack.payload("00_outcomes_overview", {"Outcomes framework indicators": frame})
    other = datapack.payload("00_outcomes_overview", {"Outcomes framework indicators": frame.assign(value=5.4)})
    cells = [{"outputs": [{"data": {datapack.MIME: record}}]} for record in (with_sections, again, other)]
    merged = datapack.from_notebook({"cells": cells})
    assert [s["key"] for s in merged["sections"]] == ["indicators", "Outcomes framework indicators"]
    assert [datapack.frame_of(next(iter(s["frames"].values())))["value"].tolist()
            for s in merged["sections"]] == [[9.04], [5.4]]
    assert [name for name, *_ in datapack.workbook_frames({"00_outcomes_overview": merged})].count(
        "00_outcomes_overview") == 2  # two different frames stay two sheets


def test_the_neighbour_column_shows_the_comparison_and_rank_or_why_not_in_words():
    headline = pd.DataFrame({"indicator": ["Deaths from drug misuse", "Opiate users not in treatment"],
                             "unit_words": ["per 100,000", "%"], "period": ["2021 - 23", "2023/24"],
                             "value": [9.04, 57.25], "england": [5.4, 51.9], "compared": ["Worse", "Similar"],
                             "trend": ["No significant change", "Cannot be calculated"],
                             "neighbour_average": [7.1, float("nan")], "neighbour_rank": ["3rd highest of 11", ""],
                             "neighbour_compared": ["Worse", "Not compared"],
                             "neighbour_note": ["", "fewer than two neighbours hold a value"]})
    frames = {"00_outcomes_overview": datapack.payload("00_outcomes_overview",
                                                       {"Outcomes framework indicators": headline})}
    facts = boardsummary.board_facts("Hartlepool", "E06000001", synthetic=False, built="2026-12-07", records={},
                                     frames=frames, chapter_titles={})
    page = boardsummary.summary_html(facts)
    assert '<th scope="col">Among its neighbours</th>' in page
    assert ('<td class="cdp-rag" style="background:#D4351C;color:#ffffff">Worse<br><small style="color:inherit">'
            "3rd highest of 11</small></td>") in page
    assert "<td>Not compared: fewer than two neighbours hold a value</td>" in page
    # no earlier edition recorded: the summary still opens with one sentence saying so
    assert page.index('id="board-since"') < page.index('id="board-headline"')
    assert "No earlier edition of this assessment could be built" in page

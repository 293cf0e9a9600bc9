"""Sections fail alone: a data shortfall becomes a missing section saying why; a bug still fails.

And every document says what it lacks: the printable document's list of chapters and sections,
the executive summary's note of the chapters it could not read, the coverage summary lines.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cdp_analysis.chapters.base import Section, build_section, build_sections, data_error_sentence
from cdp_analysis.errors import ConfigError, DataFormatError, DataShortfallError, MissingDataError, StatsInputError
from cdp_analysis.store.coverage import Coverage


def _boom(exc: BaseException):
    def build():
        raise exc
    return build


def test_a_data_error_becomes_a_missing_section_with_its_reason_and_no_path():
    section = build_section("Drug offences", "headline",
                            _boom(MissingDataError("no police files in /home/ana/cdp/data/raw/real/police_uk")),
                            hint="cdp data lists the files")
    assert section.key == "headline" and section.title == "Drug offences"
    assert section.coverage.status == "missing" and not section.shown
    assert section.coverage.note == ("This section is not shown because the data falls short: no police files in "
                                     "…/police_uk (cdp data lists the files).")
    assert "/home" not in section.coverage.note and section.items == [] and section.key_messages() == []


def test_an_unreadable_file_is_named_by_file_line_and_column_never_by_folder():
    exc = DataFormatError("not a number", path="/tmp/x/y/returns.csv", line=7, column="count", expected="a count",
                          found="'abc'")
    note = data_error_sentence(exc)
    assert note == ("This section is not shown because an input file cannot be read: returns.csv, line 7, "
                    "column 'count': not a number; expected a count, found 'abc'.")


def test_programming_and_configuration_errors_still_fail_loudly():
    with pytest.raises(KeyError):
        build_section("T", "k", _boom(KeyError("column")))
    with pytest.raises(TypeError):
        build_section("T", "k", _boom(TypeError("bad call")))
    with pytest.raises(ConfigError):
        build_section("T", "k", _boom(ConfigError("unknown key")))


def test_sections_build_in_order_one_failing_alone():
    shown = Section("Shown", ["<p>x</p>"], key="a")
    found = build_sections([("a", "Shown", lambda: shown),
                            ("b", "Short", _boom(DataShortfallError("the data holds 1 month"))),
                            ("c", "Not applicable", lambda: None),
                            ("d", "Stats", _boom(StatsInputError("zero denominator")))])
    assert list(found) == ["a", "b", "d"]
    assert found["a"] is shown and found["b"].coverage.status == "missing"
    assert found["b"].coverage.note.endswith("the data holds 1 month.")
    assert found["d"].title == "Stats"


def test_shortfall_errors_stay_value_errors_for_older_callers():
    assert issubclass(DataShortfallError, MissingDataError) and issubclass(DataShortfallError, ValueError)


def test_twelve_month_rates_say_how_many_months_the_data_holds():
    from cdp_analysis.indicators import supply

    monthly = pd.DataFrame({"area_code": ["A"] * 3, "month": pd.to_datetime(["2023-01-01", "2023-02-01",
                                                                             "2023-03-01"]),
                            "count": [10.0, float("nan"), 12.0]})
    with pytest.raises(DataShortfallError, match="at least 6 months .* and the data holds 2 months"):
        supply.twelve_month_rates(monthly, {"A": 1000.0})


def test_survey_rates_without_single_year_ages_are_a_shortfall():
    from cdp_analysis.sources.csew import apply_survey_rates

    rates = pd.DataFrame({"sex": ["Male", "Female"], "age_min": [16, 16], "age_max": [59, 59],
                          "value": [9.0, 6.0], "lower_ci": [8.0, 5.0], "upper_ci": [10.0, 7.0]})
    banded = pd.DataFrame({"area_code": ["A", "A"], "sex": ["Male", "Female"], "age": [float("nan")] * 2,
                           "population": [500.0, 520.0]})  # "16-29" bands coerced to no age
    with pytest.raises(DataShortfallError, match="no residents by sex and single year of age .* 16 to 59"):
        apply_survey_rates(rates, banded)


def test_document_lists_every_chapter_and_section_with_what_it_lacks(tmp_path):
    from cdp_analysis.publishing.document import write_document
    from cdp_analysis.publishing.export import ChapterLink, standalone_page

    area = tmp_path / "A"
    area.mkdir()
    (area / "01_supply.html").write_text(standalone_page("Supply", "<h1>Break drug supply chains</h1><p>body</p>",
                                                         "cdp-report"), encoding="utf-8")
    sections = {"01_supply": [
        {"key": "headline", "title": "Drug offences: latest rate", "status": "partial", "note": "Only the count."},
        {"key": "trend", "title": "Drug offences over time", "status": "missing", "note": "Needs 6 months."},
        {"key": "weapons", "title": "Possession of weapons", "status": "covered", "note": ""}]}
    target = write_document(area, "Area", [ChapterLink("01_supply", "Break drug supply chains")], synthetic=False,
                            not_built={"03_demand": "MissingDataError: no population"}, sections=sections,
                            order=["00_outcomes_overview", "01_supply", "02_treatment_recovery", "03_demand"])
    page = target.read_text(encoding="utf-8")
    holds = page.split("What this document holds", 1)[1].split("</section>", 1)[0]
    assert "1 of 3 sections shown in full, 1 partial, 1 without data" in holds
    assert "Drug offences: latest rate: partial data (Only the count.)" in holds
    assert "Drug offences over time: no data (Needs 6 months.)" in holds
    assert "Possession of weapons: shown" in holds
    assert "<strong>not built</strong>: MissingDataError: no population" in holds
    # the chapter that was not built keeps its place, with the reason; the unasked ones are not listed
    assert page.index('id="01_supply"') < page.index('id="03_demand"')
    assert "This chapter is not built.</strong> Reason: MissingDataError: no population" in page
    assert 'id="00_outcomes_overview"' not in page


def test_executive_summary_names_the_chapters_it_could_not_read():
    from cdp_analysis.publishing.export import executive_summary_html

    message = {"text": "Rate higher than England.", "chapter": "01_supply", "section_title": "Rate"}
    full = executive_summary_html([message], {}, synthetic=False)
    assert "across the chapters" in full and "could not read" not in full
    part = executive_summary_html([message], {}, synthetic=False, unread=["Outcomes overview", "Demand"])
    assert "across the chapters" not in part and "of the chapters built" in part
    assert "could not read Outcomes overview and Demand, so their findings are not included" in part
    empty = executive_summary_html([], {}, synthetic=False, unread=["Demand"])
    assert "could not read Demand, so its findings are not included" in empty
    assert "hold no finding" in empty
    assert executive_summary_html([], {}, synthetic=False) == ""


def test_coverage_lines_count_sections_per_area_and_chapter(tmp_path):
    from cdp_analysis.config import load_config
    from cdp_analysis.publishing import batch, summary

    config = load_config(reports_dir=tmp_path / "reports", processed_dir=tmp_path / "processed")
    statuses = {"01_supply": ["covered", "partial", "missing", "missing"], "03_demand": ["covered"]}
    for chapter, listed in statuses.items():
        batch._write_status(config, "E09000002", chapter, {"ok": True})
        page = config.reports_dir / "E09000002" / f"{chapter}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("<html></html>", encoding="utf-8")
        record = {"messages": [], "sections": [{"key": str(n), "title": str(n), "status": s,
                                                "note": "" if s == "covered" else "why"}
                                               for n, s in enumerate(listed)]}
        target = summary.record_path(batch._status_dir(config), "E09000002", chapter)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(record), encoding="utf-8")
    batch._write_status(config, "E09000002", "02_treatment_recovery", {"ok": False, "error": "ValueError: x"})
    lines = batch.coverage_lines(config, ["E09000002"], ["01_supply", "02_treatment_recovery", "03_demand"])
    assert lines == ["Coverage (sections shown in full / partial / without data):",
                     "  E09000002: 01_supply 1/1/2, 02_treatment_recovery not built, 03_demand 1/0/0"]
    index = batch.rebuild_index(config, ["01_supply", "02_treatment_recovery", "03_demand"]).read_text(
        encoding="utf-8")
    assert "1 of 4 sections shown, 1 partial, 2 no data" in index and "Not built: ValueError: x" in index


def test_coverage_note_of_a_missing_section_is_one_sentence():
    note = data_error_sentence(MissingDataError("No police.uk months in the data"))
    assert note.count(". ") == 0 and note.endswith(".")
    assert Coverage.missing(note).shown is False


@pytest.mark.slow
def test_one_year_of_police_data_draws_no_empty_rolling_chart_and_says_why(tmp_path):
    """Twelve months give one rolling twelve-month value per area: no line to draw, so the section says
    why instead of drawing an empty chart (issue 15, item 6); the twelve-month rate is still shown."""
    from cdp_analysis.chapters.context import load_context
    from cdp_analysis.chapters.supply import SupplyChapter
    from cdp_analysis.config import load_config
    from tests.conftest import ensure_demo, write_demo_config

    config_file = write_demo_config(tmp_path)
    config_file.write_text(config_file.read_text(encoding="utf-8").replace("months = 30", "months = 12"),
                           encoding="utf-8")
    config = ensure_demo(load_config(config_file))
    chapter = SupplyChapter(load_context("Z09000001", config=config))
    assert len(chapter.covered_months) == 12
    trend = chapter.trend()
    own = chapter.monthly(("Drugs",))
    own = own[own["area_code"] == "Z09000001"]
    assert own["rolling_12m"].notna().sum() == 1  # the data holds one twelve-month window
    assert "rates" not in trend.frames and "twelve_months" in trend.frames
    assert not any("rolling twelve months" in item for item in trend.items)
    assert any(m.text.startswith("The rate over time is not charted: the 12 months of police data give a single "
                                 "twelve-month rate") for m in trend.messages)
    assert chapter.headline().coverage.status != "missing"

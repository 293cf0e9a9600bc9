"""Plain words on built pages (issue 17): no snake_case source or column names, no "in the export" or
"N rows supplied", no offset numbers on year axes; the methods page states the thresholds the code uses."""

from __future__ import annotations

import re

import pytest

from tests.plain_words import jargon, visible_text


def test_the_scan_finds_jargon_and_passes_plain_words():
    page = ('<p>significantly lower than All local authorities in the export (18.8)</p><ul><li>Deaths in '
            'treatment: 12 rows supplied</li></ul><table><tr><th>street_crime</th></tr></table>'
            '<img alt="x axis -1 0 +2.02e3"><script>var not_seen_here = 1;</script>')
    found = " ".join(jargon(visible_text(page)))
    for word in ("in the export", "12 rows supplied", "street_crime", "2.02e3"):
        assert word in found
    assert "not_seen_here" not in found
    plain = ("<p>Add the local return young_people_treatment.csv (cdp templates copies it); 1.5e-3 never "
             "appears, nor do years 2024/25; see reports/Z09000001/needs_assessment.html</p>")
    assert jargon(visible_text(plain.replace("1.5e-3 never appears, nor do", "nor"))) == []


def test_about_block_names_sources_as_a_reader_reads_them():
    from cdp_analysis.publishing.export import about_html

    records = [{"built": "2026-12-07", "sources": [
        {"source": "street_crime", "files": 3, "months": ["2025-01", "2025-12", 12], "file_dates": ["2026-12-07"]},
        {"source": "pupil_headcount", "files": 1, "file_dates": []},
        {"source": "children_in_need", "files": 1, "file_dates": []}]}]
    text = visible_text(about_html(records, policy="ndtms", policy_rule="counts 1 to 4 are suppressed",
                                   version="0.1.0"))
    assert jargon(text) == []
    assert "Police-recorded street crime (data.police.uk)" in text and "Children in need" in text


def test_local_tiles_say_what_a_return_holds_not_how_many_rows(demo_config):
    from cdp_analysis.chapters.context import load_context
    from cdp_analysis.chapters.overview import OverviewChapter

    ctx = load_context("Z09000001", config=demo_config)
    from cdp_analysis.report.tables import tiles_html

    tiles = visible_text(tiles_html(OverviewChapter(ctx).local_tiles())).replace(" :", ":")
    assert jargon(tiles) == [] and "rows" not in tiles
    frame = ctx.dataset.local("deaths_in_treatment")
    periods = sorted(set(frame.loc[frame["area_code"] == "Z09000001", "period"].astype(str)))
    # the latest value with its period (the outcomes framework's tiles), never a count of rows
    assert re.search(rf"Deaths in treatment: [^;]*\d[^;]*\({re.escape(periods[-1])}\)", tiles), tiles


def test_methods_page_states_the_new_thresholds(tmp_path):
    from cdp_analysis.indicators.supply import POLICE_STATION_MATERIAL, POLICE_STATION_POINT
    from cdp_analysis.publishing.export import write_methods_page
    from cdp_analysis.publishing.summary import MAX_PER_CHAPTER

    page = visible_text(write_methods_page(tmp_path, policy="ndtms", policy_rule="r").read_text())
    assert f"no more than {['zero', 'one', 'two', 'three'][MAX_PER_CHAPTER]} findings from one chapter" in page
    assert f"Where {POLICE_STATION_MATERIAL * 100:.0f}% or more of a hotspot's offences" in page
    assert f'"{POLICE_STATION_POINT}"' in page and "99.8% level" in page
    assert jargon(page) == []


@pytest.mark.slow
@pytest.mark.xdist_group("plain-words")
def test_every_built_demo_page_is_in_plain_words(tmp_path_factory):
    """The demo borough's four chapters, published (executive summary, about blocks, printable
    document), and the site pages: no jargon in any page's visible text or alt text."""
    from cdp_analysis.publishing.batch import build_chapter, publish_area, rebuild_index
    from tests.conftest import demo_config_env

    with demo_config_env(tmp_path_factory.mktemp("plain-words")) as config:
        for chapter in config.chapters:
            result = build_chapter("Z09000001", chapter, config)
            assert result.ok, result.error
        publish_area(config, "Z09000001", pdf=False)
        rebuild_index(config, config.chapters)
        pages = sorted(config.reports_dir.rglob("*.html"))
        assert len(pages) >= 7
        found = [f"{page.name}: {problem}" for page in pages
                 for problem in jargon(visible_text(page.read_text(encoding="utf-8")))]
    assert not found, "\n".join(found[:40])

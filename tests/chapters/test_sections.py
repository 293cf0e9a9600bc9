"""The shared chapter anatomy: coverage, gathered key messages, maps that say 'No data'."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from cdp_analysis.chapters.base import Section, key_messages, missing_section, unique_messages
from cdp_analysis.report import maps
from cdp_analysis.report.narrative import KeyMessage
from cdp_analysis.store.coverage import Coverage, describe_months, police_months


def test_a_recommendation_is_given_once():
    messages = [KeyMessage("A.", "Do X.", "Supply"), KeyMessage("B.", "Do X.", "Supply"), KeyMessage("A.", "Do X.")]
    out = unique_messages(messages)
    assert [m.text for m in out] == ["A.", "B."]
    assert [m.recommendation for m in out] == ["Do X.", ""]
    assert key_messages([Section("s", messages=messages)], synthetic=False).count("Do X.") == 1


def test_missing_section_has_no_message_and_says_why_once():
    note = "The data has no police.uk street-level files from Metropolitan Police."
    sections = [missing_section("One", note), missing_section("Two", note)]
    text = key_messages(sections, synthetic=False)
    assert text.count("Metropolitan Police") == 1 and not any(ch.isdigit() for ch in text)
    assert all(not s.key_messages() for s in sections)


def test_coverage_needs_a_note_unless_covered():
    with pytest.raises(ValueError):
        Coverage("partial")
    assert not Coverage.missing("x").shown and Coverage.partial("y").shown


def test_police_months_need_every_force():
    held = {"2020-01": {"metropolitan", "city-of-london"}, "2020-02": {"city-of-london"}}
    assert police_months(held, ["city-of-london"]) == ["2020-01", "2020-02"]
    assert police_months(held, ["metropolitan", "city-of-london"]) == ["2020-01"]
    assert police_months(held, []) == []
    assert describe_months(["2020-01", "2020-02", "2020-05"]) == "Jan 2020 to Feb 2020, May 2020"


def test_map_keys_areas_without_data_and_suppressed_ones_apart():
    geo = gpd.GeoDataFrame({"code": ["a", "b", "c"], "name": ["A", "B", "C"]},
                           geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs="EPSG:27700")
    rates = pd.DataFrame({"code": ["a", "b"], "name": ["A", "B"], "value": [3.0, float("nan")],
                          "suppressed": [False, True]})
    chart = maps.choropleth(geo, rates, value="value", title="t", legend_title="l", source="s")
    labels = [t.get_text() for t in chart.figure.axes[0].get_legend().get_texts()]
    chart.close()
    assert "Suppressed" in labels and "No data" in labels
    assert "1 areas have no data" in chart.alt_text and len(chart.data) == 3

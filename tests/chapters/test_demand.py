"""The demand chapter: indicator functions by hand, every demo area and the partnership, real DfE files, a build.

Expected figures are read from the generated demo CSVs (and the real DfE CSVs) with
the csv module, never from the chapter's own output.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.chapters.context import load_context
from cdp_analysis.chapters.demand import DemandChapter
from cdp_analysis.config import load_config
from cdp_analysis.indicators import demand
from tests.conftest import _link_all, ensure_demo, require_shared, write_demo_config
from tests.consistency import problems

DEMO_AREAS = ["Z09000001", "Z09000002", "Z09000003", "Z09000004", "Z95000001"]
SECTIONS = ["since", "children", "parents", "looked_after", "schools", "young_people", "prevalence", "wider",
            "neighbours"]
C3 = "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv"


# -- pure functions, worked by hand ---------------------------------------------------------------

def _tidy(rows):
    return pd.DataFrame(rows, columns=["area_code", "period", "measure", "category", "count", "denominator",
                                       "marker", "note"])


def test_partnership_sums_counts_and_denominators_and_keeps_withheld_years_missing():
    frame = _tidy([
        ("A", "2023/24", "drug_misuse", "parent", 10.0, 100.0, None, None),
        ("B", "2023/24", "drug_misuse", "parent", 30.0, 300.0, None, None),
        ("A", "2024/25", "drug_misuse", "parent", 20.0, 100.0, None, None),
        ("B", "2024/25", "drug_misuse", "parent", np.nan, 300.0, "c", "confidential"),
    ])
    out = demand.area_series(frame, "P", ("A", "B"), measure="drug_misuse", category="parent")
    assert out["period"].tolist() == ["2023/24", "2024/25"]
    assert out["count"].iloc[0] == 40 and out["denominator"].iloc[0] == 400
    assert math.isnan(out["count"].iloc[1])  # a member withheld: missing, never 20
    assert out["marker"].iloc[1] == "c"
    est = demand.add_estimates(out, "proportion", 100)
    assert est["value"].iloc[0] == pytest.approx(10.0)  # 40/400, not the mean of 10% and 10%
    assert est["lower_ci"].iloc[0] < 10 < est["upper_ci"].iloc[0]
    assert math.isnan(est["value"].iloc[1])


def test_area_series_prefers_the_area_s_own_rows_and_is_empty_without_members():
    frame = _tidy([("P", "2024/25", "drug_misuse", "parent", 5.0, 50.0, None, None)])
    assert demand.area_series(frame, "P", ("A",), measure="drug_misuse", category="parent")["count"].tolist() == [5]
    assert demand.area_series(frame, "Q", (), measure="drug_misuse", category="parent").empty


def test_comparison_uses_the_focus_interval_against_each_value():
    table = pd.DataFrame({"area_code": ["F", "R", "E"], "value": [20.0, 19.0, 10.0],
                          "lower_ci": [18.0, 18.5, 9.9], "upper_ci": [22.0, 19.5, 10.1]})
    assert demand.compare_with_focus(table, "F").tolist() == ["Focus area", "Similar", "Higher"]


def test_local_series_sums_members_only_when_every_member_reports():
    frame = pd.DataFrame({"area_code": ["A", "B", "A"], "period": ["2022/23", "2022/23", "2023/24"],
                          "tests": [10, 20, 30]})
    out = demand.local_series(frame, "P", ("A", "B"), ["tests"])
    assert out["period"].tolist() == ["2022/23"] and out["tests"].tolist() == [30]


# -- demo areas -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chapters(demo_config):
    return {code: DemandChapter(load_context(code, config=demo_config)) for code in DEMO_AREAS}


@pytest.fixture(scope="module")
def sections(chapters):
    return {code: chapter.sections() for code, chapter in chapters.items()}


@pytest.mark.parametrize("code", DEMO_AREAS)
def test_every_section_is_consistent_and_covered_or_says_why(chapters, sections, code):
    names = {a.name for a in chapters[code].ctx.registry}
    assert list(sections[code]) == SECTIONS
    found = []
    for section in sections[code].values():
        found += problems(section, names)
        if section.coverage.status != "covered":
            assert section.coverage.note
        if not section.shown:
            assert not re.search(r"\d", section.coverage.note.replace("`cdp data --area", "")
                                 .split("`")[0]), section.coverage.note
            assert not section.items and not section.frames
        else:
            assert section.items and section.frames and section.messages
    assert not found, "\n".join(found)


def _c3_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _cin_parent_drug(rows, codes: list[str], level: str = "Local authority") -> tuple[str, float, float]:
    """Latest year, summed Drug_Misuse_parent and episodes of ``codes`` (LA rows by new_la_code)."""
    column = "new_la_code" if level == "Local authority" else "region_code"
    mine = [r for r in rows if r["geographic_level"] == level and r[column] in codes]
    latest = max(r["time_period"] for r in mine)
    latest_rows = [r for r in mine if r["time_period"] == latest]
    count = sum(float(r["Drug_Misuse_parent"]) for r in latest_rows)
    episodes = sum(float(r["Episodes_with_assessment_factor"]) for r in latest_rows)
    return latest, count, episodes


def _parent_row(section, area_name: str) -> pd.Series:
    table = section.frames["comparison"]
    rows = table[(table["what"] == "Drug misuse: parent") & (table["area"] == area_name)]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.parametrize("code, members", [("Z09000001", ["Z09000001"]),
                                           ("Z95000001", ["Z09000001", "Z09000002"])])
def test_cin_parent_drug_misuse_matches_the_demo_csv(demo_config, chapters, sections, code, members):
    rows = _c3_rows(demo_config.demo_dir / "dfe_children" / C3)
    year, count, episodes = _cin_parent_drug(rows, members)
    row = _parent_row(sections[code]["children"], chapters[code].area.name)
    assert row["period"] == f"{int(year) - 1}/{year[2:]}"
    assert row["count"] == count and row["denominator"] == episodes
    assert row["value"] == pytest.approx(count / episodes * 100)
    england = [r for r in rows if r["geographic_level"] == "National" and r["time_period"] == year][0]
    eng = _parent_row(sections[code]["children"], "England")
    assert eng["value"] == pytest.approx(float(england["Drug_Misuse_parent"])
                                         / float(england["Episodes_with_assessment_factor"]) * 100)
    expected = ("Higher" if row["lower_ci"] > eng["value"] else "Lower" if row["upper_ci"] < eng["value"]
                else "Similar")
    assert eng["focus_compared"] == expected


def test_dfe_markers_stay_missing_with_their_meaning(demo_config, sections):
    rows = _c3_rows(demo_config.demo_dir / "dfe_children" / C3)
    marked = {(r["time_period"], r["Drug_Misuse_parent"]) for r in rows
              if r["new_la_code"] == "Z09000001" and r["Drug_Misuse_parent"] in ("c", "x", "u", "z")}
    assert marked, "the demo marks at least one year of Z09000001"
    trend = sections["Z09000001"]["children"].frames["trend"]
    markers = sections["Z09000001"]["children"].frames["markers"]
    for year, symbol in marked:
        period = f"{int(year) - 1}/{year[2:]}"
        cell = trend[(trend["area_code"] == "Z09000001") & (trend["period"] == period)
                     & (trend["what"] == "Drug misuse: parent")].iloc[0]
        assert math.isnan(cell["count"]) and math.isnan(cell["value"]) and cell["marker"] == symbol
        assert ((markers["period"] == period) & (markers["marker"] == symbol)).any()


def test_exclusion_rates_and_small_counts_suppressed(demo_config, sections):
    """Suspensions per 1,000 pupils of Z09000001 from the reasons and headcount CSVs; counts 1-4 hidden."""
    folder = demo_config.demo_dir / "dfe_exclusions"
    with (folder / "reasons.csv").open(newline="", encoding="utf-8-sig") as handle:
        reasons = [r for r in csv.DictReader(handle) if r["new_la_code"] == "Z09000001"
                   and r["school_type"] == "Total"]
    with (folder / "SFR35_2017_national_region_la_school_data.csv").open(newline="", encoding="utf-8-sig") as h:
        pupils = {r["year"]: float(r["headcount"]) for r in csv.DictReader(h)
                  if r["new_la_code"] == "Z09000001" and r["school_type"] == "Total"}
    table = sections["Z09000001"]["schools"].frames["comparison"]
    own = table[table["area_code"] == "Z09000001"].set_index("what")
    year = max(r["year"] for r in reasons if r["year"] in pupils)
    row = next(r for r in reasons if r["year"] == year)
    suspensions = own.loc["Suspensions"]
    assert suspensions["period"] == f"{year[:4]}/{year[4:]}"
    assert suspensions["value"] == pytest.approx(float(row["fixed_drug_alcohol"]) / pupils[year] * 1000)
    permanent = float(row["perm_drug_alcohol"]) if row["perm_drug_alcohol"] != "x" else None
    if permanent is not None and 1 <= permanent <= 4:
        assert own.loc["Permanent exclusions", "suppressed"]
        assert math.isnan(own.loc["Permanent exclusions", "value"])


def test_prevalence_states_its_method_and_adds_up(sections):
    section = sections["Z09000001"]["prevalence"]
    table = section.frames["estimates"]
    assert {"Any drug", "Cannabis", "Any cocaine"} <= set(table["drug"])
    assert (table["lower"] <= table["estimate"]).all() and (table["estimate"] <= table["upper"]).all()
    any_drug = table.set_index("drug").loc["Any drug"]
    assert any_drug["estimate"] == pytest.approx(any_drug["population"] * any_drug["national_rate"] / 100, rel=0.02)
    assert any("assumes" in item for item in section.items)


def test_partnership_prevalence_is_the_sum_of_its_members(sections):
    def estimate(code):
        t = sections[code]["prevalence"].frames["estimates"].set_index("drug")
        return t.loc["Any drug", "population"]
    assert estimate("Z95000001") == estimate("Z09000001") + estimate("Z09000002")


def test_missing_local_return_is_one_sentence_naming_it(demo_config, tmp_path):
    ctx = load_context("Z09000001", config=demo_config)
    original = ctx.dataset.local

    def without(name):
        if name == "drug_testing_on_arrest":
            from cdp_analysis.errors import MissingDataError
            raise MissingDataError("absent")
        return original(name)

    ctx.dataset.local = without
    section = DemandChapter(ctx).wider_demand()
    assert section.coverage.status == "partial"
    assert "drug_testing_on_arrest" in section.coverage.note and "cdp templates" in section.coverage.note
    assert "drug_testing_on_arrest" not in section.frames


# -- real DfE files ----------------------------------------------------------------------------------

BARNET = "E09000003"


@pytest.fixture(scope="module")
def real_dfe(tmp_path_factory):
    real = require_shared("data/real")
    root = tmp_path_factory.mktemp("real-dfe")
    _link_all(sorted((real / "dfe_children").iterdir()), root / "dfe_children")
    _link_all(sorted((real / "dfe_exclusions").iterdir()), root / "dfe_exclusions")
    ctx = load_context(BARNET, data_dir=root, processed_dir=tmp_path_factory.mktemp("processed-dfe"))
    return real, DemandChapter(ctx)


def test_real_barnet_parent_drug_misuse_matches_the_csv(real_dfe):
    real, chapter = real_dfe
    rows = _c3_rows(real / "dfe_children" / C3)
    year, count, episodes = _cin_parent_drug(rows, [BARNET])
    section = chapter.children_in_need()
    row = _parent_row(section, chapter.area.name)
    assert row["period"] == f"{int(year) - 1}/{year[2:]}"
    assert row["value"] == pytest.approx(count / episodes * 100)
    london = _parent_row(section, "London")
    _, lcount, lepisodes = _cin_parent_drug(rows, ["E12000007"], level="Regional")
    assert london["value"] == pytest.approx(lcount / lepisodes * 100)
    assert not problems(section, {a.name for a in chapter.ctx.registry})


def test_real_barnet_schools_and_missing_sections_say_why(real_dfe):
    _, chapter = real_dfe
    schools = chapter.schools()
    assert schools.shown and schools.frames
    assert not problems(schools, {a.name for a in chapter.ctx.registry})
    prevalence = chapter.prevalence()  # no survey or population linked: says what to add, no number
    assert not prevalence.shown and "cdp data --area E09000003" in prevalence.coverage.note


# -- the notebook ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_notebook_builds_for_a_demo_area(tmp_path, monkeypatch):
    from cdp_analysis.publishing.batch import build_chapter

    monkeypatch.setenv("CDP_CONFIG", str(write_demo_config(tmp_path)))  # inherited by the papermill kernel
    config = ensure_demo(load_config())
    result = build_chapter("Z09000001", "03_demand", config)
    assert result.ok, result.error
    page = (config.reports_dir / "Z09000001" / "03_demand.html").read_text(encoding="utf-8")
    assert "Children and families" in page and "Key messages" in page
    assert "Synthetic demonstration data" in page
    assert "Traceback" not in page


# -- a partnership beside its members; parents in treatment -------------------------------------------

def _csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_partnership_tables_carry_labelled_member_rows_never_compared_in_words(demo_config):
    chapter = DemandChapter(load_context("Z95000001", config=demo_config))
    section = chapter.children_in_need()
    table = section.frames["comparison"]
    raw = {(r["new_la_code"], r["time_period"]): r for r in _csv_rows(demo_config.demo_dir / "dfe_children" / C3)}
    parent = table[table["what"] == "Drug misuse: parent"]
    assert parent["role"].tolist()[:3] == ["focus", "member", "member"]
    assert set(parent.loc[parent["role"] == "member", "focus_compared"]) == {"Member authority"}
    members = parent[(parent["role"] == "member") & ~parent["suppressed"]]
    assert not members.empty
    for _, r in members.iterrows():
        row = raw[(r["area_code"], "20" + r["period"][-2:])]
        assert r["count"] == float(row["Drug_Misuse_parent"])
        assert r["denominator"] == float(row["Episodes_with_assessment_factor"])
    for message in section.messages:
        text = message.text.replace(chapter.area.name, "the partnership")
        assert "than Brackenmoor" not in text and "than Castlewick" not in text


def test_parents_in_treatment_from_the_ndtms_export(demo_config):
    chapter = DemandChapter(load_context("Z09000002", config=demo_config))
    section = chapter.parents()
    assert section.shown and problems(section, {a.name for a in chapter.ctx.registry}) == []
    table = section.frames["parents"].set_index("what")
    period = table["period"].iloc[0]
    raw = [r for r in _csv_rows(demo_config.demo_dir / "ndtms" / "ViewIt Export Data_LAs.csv")
           if r["Area"] == "Castlewick" and r["ReportingPeriod"] == period
           and r["sex"].lower() == r["age_group"].lower() == r["drug_group"].lower() == "total"]
    assert len(raw) == 1
    parents = table.loc["parents living with children"]
    assert parents["count"] == float(raw[0]["safeguarding_parentlivingwithchildren_allintx"])
    assert parents["denominator"] == float(raw[0]["intreatment_allintx"])
    assert table.loc["children living with adults in treatment", "count"] == float(
        raw[0]["safeguarding_num_of_children_allintx"])
    assert parents["value"] == pytest.approx(parents["count"] / parents["denominator"] * 100)
    assert "need" in section.frames or section.coverage.status == "partial"

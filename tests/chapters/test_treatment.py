"""The treatment and recovery chapter (02) on the demo data: every section's words agree with its
published frames, numbers agree with the generated NDTMS export read independently, and the
notebook builds."""

from __future__ import annotations

import csv
import re

import pytest

from cdp_analysis.chapters.context import load_context
from cdp_analysis.chapters.treatment import POOLED, RESIDENTS, TreatmentChapter
from cdp_analysis.config import load_config
from tests.conftest import ensure_demo, require_shared, write_demo_config
from tests.consistency import problems

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo-data")]

DEMO_AREAS = ["Z09000001", "Z09000002", "Z09000003", "Z09000004", "Z95000001"]
SECTIONS = {"numbers", "unmet_need", "completions", "outcomes", "access", "young_people", "reached", "ethnicity",
            "deprivation", "circumstances", "harm", "alcohol", "justice", "provision", "neighbours", "since"}
#: The demo export has no Fingertips rows by deprivation decile: the section says what it needs.
NOT_IN_DEMO = {"deprivation"}


@pytest.fixture(scope="module")
def built(demo_config):
    return {code: TreatmentChapter(load_context(code, config=demo_config)) for code in DEMO_AREAS}


def _viewit(config) -> list[dict[str, str]]:
    path = config.demo_dir / "ndtms" / "ViewIt Export Data_LAs.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _all(value: str) -> bool:
    return value.lower() == "total"


def _sum(rows, area_names, period, group, column) -> float:
    return sum(float(r[column]) for r in rows if r["Area"] in area_names and r["ReportingPeriod"] == period
               and r["drug_group"] == group and _all(r["sex"]) and _all(r["age_group"]))


@pytest.mark.parametrize("code", DEMO_AREAS)
def test_every_section_shown_and_consistent(built, code):
    chapter = built[code]
    sections = chapter.sections()
    assert set(sections) == SECTIONS
    names = {a.name for a in chapter.ctx.registry} | {POOLED}
    found = [p for s in sections.values() for p in problems(s, names)]
    assert not found, "\n".join(found)
    for section in sections.values():
        if section.key in NOT_IN_DEMO:
            assert not section.shown and not section.items and "cdp data --area" in section.coverage.note
            continue
        assert section.shown, section.coverage.note
        assert section.items and section.messages
        for frame in section.frames.values():
            published = frame.filter(regex="^count$|^in_treatment$|^new_presentations$")
            for column in published:
                values = published[column].dropna()
                assert not ((values >= 1) & (values <= 4)).any(), f"{section.key}: a count under 5 is published"


@pytest.mark.parametrize("code", ["Z09000002", "Z95000001"])
def test_numbers_and_completions_match_the_export(built, demo_config, code):
    chapter = built[code]
    rows = _viewit(demo_config)
    members = [chapter.ctx.registry.get(m).name for m in (chapter.area.members or (code,))]
    period = max(r["ReportingPeriod"] for r in rows)
    sections = chapter.sections()
    latest = sections["numbers"].frames["latest"].set_index("substance_group")
    expected = _sum(rows, members, period, "Opiate", "intreatment_allintx")
    assert latest.loc["opiate", "in_treatment"] == pytest.approx(expected)
    total = _sum(rows, members, period, "Total", "intreatment_allintx")
    completions = _sum(rows, members, period, "Total", "exits_successfulcompletion_allintx")
    table = sections["completions"].frames["completions"]
    own = table[(table["area"] == chapter.area.name) & (table["substance_group"] == "total")].iloc[0]
    assert own["value"] == pytest.approx(completions / total * 100)
    assert own["lower_ci"] < own["value"] < own["upper_ci"]


def _local(config, name) -> list[dict[str, str]]:
    with (config.demo_dir / "local" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("code", ["Z09000002", "Z95000001"])
def test_new_sections_match_the_demo_files(built, demo_config, code):
    """One value per new section, recomputed from the generated files with the csv module."""
    chapter = built[code]
    sections = chapter.sections()
    members = list(chapter.area.members or (code,))
    names = [chapter.ctx.registry.get(m).name for m in members]
    rows = _viewit(demo_config)
    period = max(r["ReportingPeriod"] for r in rows)
    # re-presentations: the latest year with scnr counts, all substances
    held = [r for r in rows if r["scnr_representation_allintx"] != "NULL"]
    scnr_period = max(r["ReportingPeriod"] for r in held)
    again = _sum(held, names, scnr_period, "Total", "scnr_representation_allintx")
    done = _sum(held, names, scnr_period, "Total", "scnr_completion_allintx")
    rep = sections["outcomes"].frames["representations"]
    own = rep[(rep["area"] == chapter.area.name) & (rep["category"] == "all substances")].iloc[0]
    assert own["period"] == scnr_period and own["value"] == pytest.approx(again / done * 100)
    # housing: urgent housing problem among new presentations
    urgent = _sum(rows, names, period, "Total", "housingsituation_urgentproblem_newtx")
    new = _sum(rows, names, period, "Total", "newpresentation_newtx")
    circ = sections["circumstances"].frames["circumstances"]
    own = circ[(circ["area"] == chapter.area.name) & (circ["category"] == "urgent housing problem")].iloc[0]
    assert own["value"] == pytest.approx(urgent / new * 100)
    # ethnicity: share of recorded ethnicities, and residents from the Census rows
    eth = {e: _sum(rows, names, period, "Total", f"eth_{e.lower()}_allintx") for e in ("White", "Mixed", "Asian",
                                                                                      "Black", "Other")}
    frame = sections["ethnicity"].frames["ethnicity"]
    own = frame[(frame["area"] == chapter.area.name) & (frame["category"] == "Asian")].iloc[0]
    assert own["value"] == pytest.approx(eth["Asian"] / sum(eth.values()) * 100)
    census = {}
    for path in (demo_config.demo_dir / "census").glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for r in csv.reader(handle):
                if r and r[0] in members and r[-1].isdigit() and r[3].startswith("Asian"):
                    census[r[0]] = census.get(r[0], 0) + int(r[-1])
    residents = frame[(frame["area"] == RESIDENTS) & (frame["category"] == "Asian")].iloc[0]
    assert residents["count"] == sum(census.values())
    assert own["ratio_to_residents"] == pytest.approx(own["value"] / residents["value"])
    # young people: the latest period's main substances, summed over members
    young = [r for r in _local(demo_config, "young_people_treatment") if r["area_code"] in members
             and r["breakdown"] == "main substance"]
    latest = max(r["period"] for r in young)
    total = sum(int(r["count"]) for r in young if r["period"] == latest)
    cannabis = sum(int(r["count"]) for r in young if r["period"] == latest and r["category"] == "Cannabis")
    yp = sections["young_people"].frames["young_people"]
    own = yp[yp["category"] == "Cannabis"].iloc[0]
    assert own["denominator"] == total and own["value"] == pytest.approx(cannabis / total * 100)
    # deaths in treatment, all substances, latest period
    deaths = [r for r in _local(demo_config, "deaths_in_treatment") if r["area_code"] in members]
    latest = max(r["period"] for r in deaths)
    died = sum(int(r["deaths"]) for r in deaths if r["period"] == latest)
    treated = sum(int(r["in_treatment"]) for r in deaths if r["period"] == latest)
    dit = sections["harm"].frames["deaths_in_treatment"].set_index("substance_group")
    assert dit.loc["total", "denominator"] == treated
    assert dit.loc["total", "value"] == pytest.approx(died / treated * 100)


def test_spine_chart_places_a_borough_among_its_peers(built, demo_config):
    chapter = built["Z09000002"]
    spine = chapter.sections()["harm"].frames["spine"].set_index("indicator_id")
    values = {}
    for path in (demo_config.demo_dir / "fingertips").glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for r in csv.DictReader(handle):
                if r["Indicator ID"] == "92906" and r["Time period"] == spine.loc["92906", "period"] \
                        and not r["Category Type"]:
                    values[r["Area Code"]] = float(r["Value"])
    boroughs = [v for k, v in values.items() if k.startswith("Z09")]
    assert spine.loc["92906", "min"] == pytest.approx(min(boroughs))
    assert spine.loc["92906", "max"] == pytest.approx(max(boroughs))
    assert spine.loc["92906", "england"] == pytest.approx(values["E92000001"])
    assert spine.loc["92906", "value"] == pytest.approx(values["Z09000002"])


def test_funnel_has_every_authority(built, demo_config):
    funnel = built["Z09000001"].sections()["completions"].frames["funnel"]
    areas = {r["Area"] for r in _viewit(demo_config)}
    assert set(funnel["area"]) == areas


def test_missing_ndtms_says_so_without_numbers(tmp_path):
    config = ensure_demo(load_config(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed"))
    ctx = load_context("Z09000001", config=config)
    (ctx.dataset.root / "ndtms.parquet").unlink()  # prepared without an NDTMS export
    chapter = TreatmentChapter(ctx)
    sections = chapter.sections()
    for key in ("numbers", "completions", "access"):
        section = sections[key]
        assert not section.shown and not section.messages and not section.items
        assert "cdp data --area Z09000001" in section.coverage.note
        assert not any(ch.isdigit() for ch in section.coverage.note.replace("Z09000001", ""))


def test_notebook_builds(tmp_path, monkeypatch):
    from cdp_analysis.publishing.batch import build_chapter

    monkeypatch.setenv("CDP_CONFIG", str(write_demo_config(tmp_path)))  # inherited by the papermill kernel
    config = ensure_demo(load_config())
    result = build_chapter("Z09000001", "02_treatment_recovery", config)
    assert result.ok, result.error
    page = (config.reports_dir / "Z09000001" / "02_treatment_recovery.html").read_text(encoding="utf-8")
    assert "Key messages" in page and "adults were in treatment" in page
    assert "Funnel plot" in page and "Synthetic demonstration data" in page
    assert "load_context(" not in page


GROUP_NAMES = {"Opiate": "opiate", "Non-opiate only": "non-opiate only", "Alcohol only": "alcohol only",
               "Non-opiate & alcohol": "non-opiate and alcohol", "Total": "total"}


def test_real_barnet_numbers_and_completions(tmp_path):
    """Barnet's real ViewIt export: numbers in treatment and successful completions by substance group
    for its latest year, recomputed from the file with the csv module."""
    ndtms = require_shared("data/real/ndtms/ViewIt Export Data_LAs.csv").parent
    source = tmp_path / "raw" / "ndtms"
    source.mkdir(parents=True)
    for path in ndtms.iterdir():
        if path.suffix == ".csv":
            (source / path.name).symlink_to(path)
    with (ndtms / "ViewIt Export Data_LAs.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if _all(r["sex"]) and _all(r["age_group"])]
    period = max(r["ReportingPeriod"] for r in rows)
    ctx = load_context("E09000003", data_dir=tmp_path / "raw", processed_dir=tmp_path / "processed")
    chapter = TreatmentChapter(ctx)
    sections = chapter.sections()
    assert chapter.latest_period == period
    latest = sections["numbers"].frames["latest"].set_index("substance_group")
    completions = sections["completions"].frames["completions"]
    own = completions[completions["area"] == "Barnet"].set_index("substance_group")
    for row in (r for r in rows if r["ReportingPeriod"] == period):
        group = GROUP_NAMES[row["drug_group"]]
        assert latest.loc[group, "in_treatment"] == float(row["intreatment_allintx"])
        expected = float(row["exits_successfulcompletion_allintx"]) / float(row["intreatment_allintx"]) * 100
        assert own.loc[group, "value"] == pytest.approx(expected)
    names = {a.name for a in ctx.registry} | {POOLED}
    found = [p for s in sections.values() for p in problems(s, names)]
    assert not found, "\n".join(found)
    # the export holds Barnet alone: its comparator is England from the adult table, never Barnet itself
    assert POOLED not in set(completions["area"])
    unmet = sections["unmet_need"]  # no Fingertips files in this folder: one plain sentence, no number
    assert not unmet.shown and not unmet.messages and "cdp data --area E09000003" in unmet.coverage.note
    assert not any(ch.isdigit() for ch in unmet.coverage.note.replace("E09000003", ""))


def test_partnership_members_side_by_side_never_compared_in_words(built):
    chapter = built["Z95000001"]
    data = chapter.completions().frames["completions"]
    members = data[data["role"] == "member"]
    assert set(members["area"]) == {"Brackenmoor", "Castlewick"}
    assert (members["focus_compared"] == "Member authority").all()
    total = data[(data["substance_group"] == "total")]
    focus = total.loc[total["role"] == "focus", "count"].iloc[0]
    assert focus == total.loc[total["role"] == "member", "count"].sum()
    for section in chapter.sections().values():
        for message in section.messages:
            assert "than Brackenmoor (" not in message.text and "to Brackenmoor (" not in message.text
            assert "than Castlewick (" not in message.text and "to Castlewick (" not in message.text


def test_real_area_without_treatment_data_says_so_in_every_section(real_city_source, tmp_path):
    """A real borough built from police and boundary files only: no NDTMS, no Fingertips."""
    ctx = load_context("E09000001", data_dir=real_city_source, processed_dir=tmp_path)
    sections = TreatmentChapter(ctx).sections()
    assert sections and all(not s.shown for s in sections.values())
    for section in sections.values():
        assert not section.messages and not section.items
        # no number drawn from data: the area's code and the earlier edition's month are not data
        note = re.sub(r"(January|February|March|April|May|June|July|August|September|October|November|December) "
                      r"\d{4}", "", section.coverage.note.replace("E09000001", ""))
        assert not any(ch.isdigit() for ch in note), note


def test_completions_among_the_neighbours_by_hand(built, demo_config):
    """Brackenmoor's neighbours are the three other demo boroughs: their completion rates, the pooled average and
    Brackenmoor's rank, recomputed from the ViewIt CSV with the csv module."""
    chapter = built["Z09000001"]
    rows = _viewit(demo_config)
    period = chapter.latest_period
    names = {"Z09000001": "Brackenmoor", "Z09000002": "Castlewick", "Z09000003": "Dunmere", "Z09000004": "Elmsworth"}
    done = {c: _sum(rows, [n], period, "Total", "exits_successfulcompletion_allintx") for c, n in names.items()}
    total = {c: _sum(rows, [n], period, "Total", "intreatment_allintx") for c, n in names.items()}
    rate = {c: done[c] / total[c] * 100 for c in names}
    peers = [c for c in names if c != "Z09000001"]
    pooled = sum(done[c] for c in peers) / sum(total[c] for c in peers) * 100
    rank = 1 + sum(rate[c] > rate["Z09000001"] for c in peers)
    section = chapter.sections()["neighbours"]
    summary = section.frames["neighbours"]
    row = summary[summary["Measure"].str.startswith("Successful completions, all substances")].iloc[0]
    assert row["Neighbour average"] == pytest.approx(pooled)
    assert row["How the average is formed"] == "pooled counts over pooled denominators"
    assert row["Neighbours with a value"] == "3 of 3"
    assert row["Rank"].endswith("of 4") and (row["Rank"].startswith(("highest", "lowest")) or str(rank) in row["Rank"]
                                              or str(4 - rank + 1) in row["Rank"])
    values = section.frames["neighbour_values"]
    total_rows = values[values["measure"].str.startswith("Successful completions, all substances")]
    assert dict(zip(total_rows["area_code"], total_rows["value"], strict=True)) == pytest.approx(rate)
    assert int(total_rows.loc[total_rows["role"] == "focus", "rank"].iloc[0]) == rank


def test_completions_chart_draws_the_neighbours_as_faint_points(built, demo_config):
    """Issue 19: the completions chart names the neighbour average briefly on its axis and draws each neighbour's
    own rate as a faint point on its bar; the alt text lists them, recomputed here from the ViewIt CSV."""
    import html

    chapter = built["Z09000001"]
    rows, period = _viewit(demo_config), chapter.latest_period
    rates = sorted(_sum(rows, [n], period, "Total", "exits_successfulcompletion_allintx")
                   / _sum(rows, [n], period, "Total", "intreatment_allintx") * 100
                   for n in ("Castlewick", "Dunmere", "Elmsworth"))
    page = html.unescape(" ".join(chapter.sections()["completions"].items))
    said = re.search(r"total: the average of its statistical neighbours [\d.]+, Brackenmoor [a-z ]+ \(faint points, "
                     r"each neighbour's value: ([\d., ]+)\)", page)
    assert said is not None
    assert [float(v) for v in said.group(1).split(", ")] == pytest.approx(rates, abs=0.05)

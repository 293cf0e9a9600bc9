"""'Since the last assessment': two editions' headline indicators compared like for like.

Expected values come from the inputs: intervals written by hand, police months
counted from the raw CSVs, the raw lookup and the raw population file.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from cdp_analysis.chapters import base
from cdp_analysis.indicators import change


def _row(indicator_id, end, value, lo, hi, *, months=12, complete=True, polarity="LowIsGood", suppressed=False,
         period=None):
    return {"indicator_id": indicator_id, "indicator": f"Indicator {indicator_id}", "period": period or f"to {end}",
            "period_end": end, "period_months": months, "complete": complete, "value": value, "lower_ci": lo,
            "upper_ci": hi, "polarity": polarity, "unit": "per 1,000 residents", "suppressed": suppressed}


def _by_id(table):
    return table.set_index("indicator_id")


def test_like_for_like_picks_the_earlier_window_ending_in_the_same_month():
    current = change.series_table([_row("a", "2025-09", 4.0, 3.5, 4.5), _row("a", "2025-10", 6.0, 5.5, 6.5)])
    earlier = change.series_table([_row("a", "2022-10", 3.0, 2.5, 3.5),     # same months of the year
                                   _row("a", "2022-12", 9.0, 8.5, 9.5)])    # later, but to December
    row = _by_id(change.compare_editions(current, earlier)).loc["a"]
    assert (row["status"], row["earlier_period"], row["current_period"]) == ("compared", "to 2022-10", "to 2025-10")
    assert row["change"] == pytest.approx(3.0)
    # 5.5 > 3.5: the intervals do not overlap; higher is worse
    assert (row["result"], row["judgement"]) == ("Increased", "worse")


def test_overlapping_intervals_are_no_significant_change():
    current = change.series_table([_row("a", "2024-03", 5.0, 4.0, 6.0, polarity="HighIsGood")])
    earlier = change.series_table([_row("a", "2021-03", 3.5, 2.5, 4.1, polarity="HighIsGood")])
    row = _by_id(change.compare_editions(current, earlier)).loc["a"]
    assert (row["result"], row["judgement"]) == ("No significant change", "")


def test_an_incomplete_latest_window_falls_back_to_the_latest_complete_one():
    current = change.series_table([_row("a", "2025-09", 5.0, 4.0, 6.0),
                                   _row("a", "2025-10", 9.0, 8.0, 10.0, complete=False)])
    earlier = change.series_table([_row("a", "2022-09", 1.0, 0.5, 1.5)])
    row = _by_id(change.compare_editions(current, earlier)).loc["a"]
    assert (row["status"], row["current_period"], row["result"]) == ("compared", "to 2025-09", "Increased")


def test_windows_that_cannot_be_matched_are_not_comparable_with_the_reason():
    current = change.series_table([_row("a", "2020-11", 9.0, 8.0, 10.0, complete=False),
                                   _row("b", "2025-10", 9.0, 8.0, 10.0)])
    earlier = change.series_table([_row("a", "2018-12", 5.0, 4.0, 6.0, complete=False),
                                   _row("b", "2022-12", 5.0, 4.0, 6.0)])
    table = _by_id(change.compare_editions(current, earlier))
    assert table.loc["a", "status"] == "not comparable"
    assert "does not hold every month" in table.loc["a", "reason"]
    assert table.loc["b", "status"] == "not comparable"
    assert "same months of the year" in table.loc["b", "reason"]


def test_new_retired_and_not_updated_indicators():
    current = change.series_table([_row("kept", "2024-03", 5.0, 4.0, 6.0), _row("new", "2024-03", 1.0, 0.5, 1.5),
                                   _row("same", "2020-03", 2.0, 1.0, 3.0)])
    earlier = change.series_table([_row("kept", "2021-03", 5.0, 4.0, 6.0), _row("gone", "2020-03", 1.0, 0.5, 1.5),
                                   _row("same", "2020-03", 2.0, 1.0, 3.0)])
    table = _by_id(change.compare_editions(current, earlier))
    assert table["status"].to_dict() == {"kept": "compared", "new": "new", "same": "not updated", "gone": "retired"}
    assert list(table.index) == ["kept", "new", "same", "gone"]


def test_a_suppressed_earlier_value_is_never_compared_or_shown():
    current = change.series_table([_row("a", "2024-03", 5.0, 4.0, 6.0)])
    earlier = change.series_table([_row("a", "2021-03", math.nan, math.nan, math.nan, suppressed=True)])
    row = _by_id(change.compare_editions(current, earlier)).loc["a"]
    assert row["status"] == "not comparable" and math.isnan(row["earlier_value"])
    assert "small numbers" in row["reason"]


# -- the section -----------------------------------------------------------------------------------

def _ctx(earlier_ctx=None):
    ctx = SimpleNamespace(area=SimpleNamespace(name="Testborough"), synthetic=False,
                          edition_month=pd.Period("2025-12", freq="M"), earlier_month=pd.Period("2022-12", freq="M"))
    ctx.earlier = earlier_ctx or SimpleNamespace(area=ctx.area, synthetic=False)
    return ctx


def test_the_section_says_in_one_sentence_when_the_earlier_edition_held_nothing():
    ctx = _ctx()
    series = {id(ctx): change.series_table([_row("a", "2025-10", 6.0, 5.5, 6.5)]),
              id(ctx.earlier): change.series_table(pd.DataFrame(columns=change.SERIES_COLUMNS))}
    section = base.since_last_assessment(ctx, lambda c: series[id(c)], what="crime")
    assert section.coverage.status == "missing"
    assert section.coverage.note == ("The edition of December 2022 held none of the headline indicators of crime "
                                     "for Testborough, so what changed since then cannot be said.")
    assert not any(ch.isdigit() for ch in section.coverage.note.replace("2022", ""))


def test_the_section_words_a_significant_change_with_its_direction():
    ctx = _ctx()
    series = {id(ctx): change.series_table([_row("a", "2025-10", 6.0, 5.5, 6.5)]),
              id(ctx.earlier): change.series_table([_row("a", "2022-10", 3.0, 2.5, 3.5, period="Nov 2021 to Oct 2022")])}
    section = base.since_last_assessment(ctx, lambda c: series[id(c)], what="crime")
    assert section.key == "since" and section.shown
    first = section.messages[0]
    assert first.text == ("Since the edition of December 2022, indicator a in Testborough rose significantly, from "
                          "3.0 per 1,000 residents (Nov 2021 to Oct 2022) to 6.0 per 1,000 residents (to 2025-10), "
                          "a change for the worse.")
    assert first.key and first.recommendation
    assert section.frames["since_last_assessment"].loc[0, "result"] == "Increased"


# -- the demo: two windows of police months counted by hand --------------------------------------------

def _byars(count: float) -> tuple[float, float]:
    """Byar's 95% limits of a count (Breslow and Day), written out independently of the package."""
    z = 1.959963984540054
    lower = count * (1 - 1 / (9 * count) - z / (3 * math.sqrt(count))) ** 3
    upper = (count + 1) * (1 - 1 / (9 * (count + 1)) + z / (3 * math.sqrt(count + 1))) ** 3
    return lower, upper


def _demo_window(raw: Path, lsoas: set[str], months: list[str]) -> int:
    total = 0
    for month in months:
        for path in (raw / "police_uk" / month).glob("*-street.csv"):
            with path.open(encoding="utf-8-sig", newline="") as handle:
                total += sum(1 for r in csv.DictReader(handle)
                             if r["Crime type"] == "Drugs" and r["LSOA code"] in lsoas)
    return total


def test_demo_borough_drug_offences_three_years_apart_match_a_hand_count(demo_config):
    from cdp_analysis.chapters.context import load_context
    from cdp_analysis.chapters.supply import SupplyChapter

    raw = demo_config.demo_dir
    with (raw / "lookups" / "LSOA21_WD22_LAD22_EW_LU.csv").open(encoding="utf-8-sig", newline="") as handle:
        lsoas = {r["LSOA21CD"] for r in csv.DictReader(handle) if r["LAD22CD"] == "Z09000001"}
    with (raw / "population" / "sapelsoasyoa-demo.csv").open(encoding="utf-8-sig", newline="") as handle:
        residents = sum(float(r["Total"]) for r in csv.DictReader(handle) if r["LSOA 2021 Code"] in lsoas)
    held = sorted(p.name for p in (raw / "police_uk").iterdir() if p.is_dir())
    edition = pd.Period(held[-1], freq="M") + 2          # the edition in which the last month held appears
    earlier = edition - 36
    latest = [str(pd.Period(held[-1], freq="M") - k) for k in range(11, -1, -1)]
    before = [str(pd.Period(m, freq="M") - 36) for m in latest]  # same months, three years before
    assert all(m in held for m in before)

    ctx = load_context("Z09000001", config=demo_config, as_of=str(edition))
    assert ctx.earlier.dataset.months()[-1] == str(earlier - 2)
    section = SupplyChapter(ctx).since_last_assessment()
    row = section.frames["since_last_assessment"].set_index("indicator_id").loc["police-drugs"]

    for side, months in (("current", latest), ("earlier", before)):
        count = _demo_window(raw, lsoas, months)
        lower, upper = _byars(count)
        assert row[f"{side}_value"] == pytest.approx(count / residents * 1000, rel=1e-9)
        assert row[f"{side}_lower_ci"] == pytest.approx(lower / residents * 1000, rel=1e-6)
        assert row[f"{side}_upper_ci"] == pytest.approx(upper / residents * 1000, rel=1e-6)
    overlap = not (row["current_lower_ci"] > row["earlier_upper_ci"] or row["current_upper_ci"] < row["earlier_lower_ci"])
    assert row["result"] == ("No significant change" if overlap else
                             "Increased" if row["current_value"] > row["earlier_value"] else "Decreased")
    assert row["judgement"] == ""  # drug offences follow police activity: never judged


# -- real City of London: police months 2018-04..12 and 2020-01..11 ---------------------------------------

def test_city_of_london_editions_hold_the_months_published_and_say_why_not_comparable(real_city_source, tmp_path):
    from cdp_analysis.chapters.context import load_context
    from cdp_analysis.chapters.supply import SupplyChapter
    from cdp_analysis.config import load_config

    files = sorted((real_city_source / "police_uk" / "city-of-london").glob("*-street.csv"))
    months = sorted({f.name[:7] for f in files})
    config = load_config(processed_dir=tmp_path / "processed", reports_dir=tmp_path / "reports")
    ctx = load_context("E09000001", data_dir=real_city_source, config=config, as_of="2021-01", since="2019-03")
    # by hand: months to November 2020 are out by January 2021, months to January 2019 by March 2019
    assert ctx.dataset.months() == [m for m in months if m <= "2020-11"]
    assert ctx.earlier.dataset.months() == [m for m in months if m <= "2019-01"] == [f"2018-{m:02d}" for m in range(4, 13)]
    section = SupplyChapter(ctx).since_last_assessment()
    table = section.frames["since_last_assessment"].set_index("indicator_id")
    assert (table["status"] == "not comparable").all()
    assert table.loc["police-drugs", "reason"] == ("the latest period (Dec 2019 to Nov 2020, 11 months of data) "
                                                   "does not hold every month")
    assert ("Drug offences per 1,000 residents, Neighbourhood crime per 1,000 residents and Possession of weapons "
            "offences per 1,000 residents are not compared: the latest period (Dec 2019 to Nov 2020, 11 months of "
            "data) does not hold every month.") in [m.text for m in section.messages]


# -- settings, command and executive summary ---------------------------------------------------------------

def test_config_reads_the_edition_and_the_comparison(tmp_path):
    from cdp_analysis.config import load_config
    from cdp_analysis.errors import ConfigError

    cfg = tmp_path / "cdp.toml"
    cfg.write_text('[build]\nas_of = "2023-03"\n[assessment]\nprevious_years = 5\nsince = "2019-03"\n', encoding="utf-8")
    config = load_config(cfg)
    assert (config.as_of, config.previous_years, config.since) == ("2023-03", 5, "2019-03")
    for bad in ('[build]\nas_of = "March 2023"\n', "[assessment]\nprevious_years = 0\n",
                "[assessment]\nprevious_yeras = 3\n"):
        cfg.write_text(bad, encoding="utf-8")
        with pytest.raises(ConfigError):
            load_config(cfg)


def test_an_edition_is_built_into_its_own_reports_folder(tmp_path):
    from cdp_analysis.cli import _edition
    from cdp_analysis.config import load_config
    from cdp_analysis.errors import ConfigError

    config = load_config(reports_dir=tmp_path / "reports")
    edition = _edition(config, "2023-03", None)
    assert edition.reports_dir == tmp_path / "reports" / "editions" / "2023-03"
    assert _edition(config, None, None).reports_dir == tmp_path / "reports"  # the current build is untouched
    with pytest.raises(ConfigError, match="before the edition"):
        _edition(config, "2023-03", "2023-03")


def test_the_command_refuses_a_month_that_is_not_yyyy_mm(capsys):
    from cdp_analysis.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["build", "--area", "Z09000001", "--as-of", "2023-13"])
    assert exit_.value.code == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_the_executive_summary_leads_with_what_changed():
    from cdp_analysis.publishing import summary
    from cdp_analysis.publishing.export import executive_summary_html

    def message(text, key, priority):
        return {"text": text, "section_key": key, "section_title": "t", "priority": priority, "recommendation": ""}

    records = {"00_outcomes_overview": {"messages": [message("Worse than England.", "indicators", 6),
                                                     message("No significant change since X: a.", "since", 0)]},
               "01_supply": {"messages": [message("Rate fell, a change for the better.", "since", 1),
                                          message("Rate rose, a change for the worse.", "since", 5)]}}
    changed = summary.changes(records)
    assert [m["text"] for m in changed] == ["Rate rose, a change for the worse.", "Rate fell, a change for the better."]
    page = executive_summary_html([message("Worse than England.", "indicators", 6)], {}, synthetic=False,
                                  changed=changed)
    assert page.index("What changed since the last assessment") < page.index("Rate rose") < page.index("Main findings") \
        < page.index("Worse than England.")
    # nothing moved significantly: each chapter's sentence saying so leads instead
    quiet = {"00_outcomes_overview": records["00_outcomes_overview"]}
    assert [m["text"] for m in summary.changes(quiet)] == ["No significant change since X: a."]


def test_when_no_section_could_compare_the_summary_leads_with_why():
    from cdp_analysis.publishing import summary

    note = "The edition of March 2019 held none of the headline indicators of demand for X, so what changed cannot be said."
    records = {"03_demand": {"messages": [], "sections": [
        {"key": "since", "title": "Since the last assessment", "status": "missing", "note": note},
        {"key": "schools", "title": "Schools", "status": "missing", "note": "Not this one."}]}}
    assert [m["text"] for m in summary.changes(records)] == [note]


def test_a_section_that_compares_nothing_says_so_in_a_key_sentence():
    ctx = _ctx()
    series = {id(ctx): change.series_table([_row("a", "2020-11", 6.0, 5.5, 6.5, complete=False)]),
              id(ctx.earlier): change.series_table([_row("a", "2018-12", 3.0, 2.5, 3.5, complete=False)])}
    section = base.since_last_assessment(ctx, lambda c: series[id(c)], what="crime")
    keys = [m.text for m in section.key_messages()]
    assert keys == ["None of the headline indicators held for Testborough can be compared like for like with the "
                    "edition of December 2022: each is listed below with the reason."]
    assert "Indicator a is not compared: the latest period (to 2020-11) does not hold every month." in \
        [m.text for m in section.messages]


def _wilson(x: float, n: float) -> tuple[float, float]:
    """Wilson 95% limits of a proportion, in %, written out independently of the package."""
    z = 1.959963984540054
    p = x / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return 100 * (centre - half) / (1 + z * z / n), 100 * (centre + half) / (1 + z * z / n)


def test_real_hartlepool_children_in_need_since_2019_match_the_dfe_file(shared_dir, tmp_path):
    """Hartlepool, the edition of December 2023 against December 2019: DfE children in need (C3) for the
    years to March 2023 and March 2019, read from the published CSV with the csv module."""
    from cdp_analysis.chapters.context import load_context
    from cdp_analysis.chapters.demand import DemandChapter
    from cdp_analysis.config import load_config

    source = tmp_path / "raw"
    (source / "dfe_children").mkdir(parents=True)
    c3 = shared_dir / "data" / "real" / "dfe_children" / "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv"
    (source / "dfe_children" / c3.name).symlink_to(c3)
    with c3.open(encoding="utf-8-sig", newline="") as handle:
        rows = {r["time_period"]: r for r in csv.DictReader(handle)
                if r["new_la_code"] == "E06000001" and r["geographic_level"] == "Local authority"}
    config = load_config(processed_dir=tmp_path / "processed", reports_dir=tmp_path / "reports")
    ctx = load_context("E06000001", data_dir=source, config=config, as_of="2023-12", since="2019-12")
    table = DemandChapter(ctx).since_last_assessment().frames["since_last_assessment"]
    child = table[table["indicator"].str.endswith("drug misuse by the child")].iloc[0]
    # December 2023 holds the year to March 2023 (out in November 2023), not the year to March 2024;
    # December 2019 holds the year to March 2019
    assert (child["earlier_period"], child["current_period"]) == ("2018/19", "2022/23")
    for side, year in (("earlier", "2019"), ("current", "2023")):
        x, n = float(rows[year]["Drug_Misuse_child"]), float(rows[year]["Episodes_with_assessment_factor"])
        assert child[f"{side}_value"] == pytest.approx(100 * x / n, rel=1e-9)
        lower, upper = _wilson(x, n)
        assert (child[f"{side}_lower_ci"], child[f"{side}_upper_ci"]) == (pytest.approx(lower), pytest.approx(upper))
    assert child["current_lower_ci"] > child["earlier_upper_ci"] and child["result"] == "Increased"


def test_build_batch_and_print_take_the_edition():
    from cdp_analysis.cli import _parser

    parser = _parser()
    for argv in (["build", "--area", "Z09000001"], ["batch", "--areas", "all"], ["print", "--area", "Z09000001"]):
        assert parser.parse_args([*argv, "--as-of", "2023-03"]).as_of == "2023-03"
    assert parser.parse_args(["batch", "--areas", "all", "--since", "2020-03"]).since == "2020-03"

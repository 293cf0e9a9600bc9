"""The outcomes framework's headline metrics, the local returns' values, and the alcohol, criminal-justice and
service-provision computations (indicators.framework, indicators.pathways), with the catalogue's id check.

Expected values are worked out here from the inputs (by hand or from the real CSVs read with the csv module),
never copied from the functions' output.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import DataFormatError
from cdp_analysis.indicators import framework, pathways
from cdp_analysis.indicators.outcomes import OutcomeSeries, indicator_catalogue
from cdp_analysis.sources.local import read_local_return
from cdp_analysis.sources.ndtms import read_ndtms
from tests.shared_data import REAL_DIR, REPO, require

NDTMS = REAL_DIR / "ndtms"


# -- the catalogue and its check --------------------------------------------------------------------------------------
def test_every_catalogued_indicator_has_its_check_recorded() -> None:
    docs = (REPO / "docs" / "indicators.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().split()[0] for line in docs.splitlines()
            if line.startswith("| ") and not line.startswith("| id") and not line.startswith("|---")}
    catalogue = indicator_catalogue()
    assert set(catalogue) <= rows
    assert "90947" not in catalogue and "90246" not in catalogue  # ids found nowhere, replaced
    assert {"92544", "92447", "91380", "drug-poisoning-admissions", "drug-mbd-admissions"} <= set(catalogue)
    for key, info in catalogue.items():
        assert info.published_name, key  # the name the id was checked against (or the rows are matched by)
        assert info.matched_by_name == (not key.isdigit())


def test_indicators_without_a_verified_id_are_matched_by_published_name() -> None:
    base = {"area_name": "A", "period": "2023/24", "period_start": 2023, "sex": "Persons", "age": "All ages",
            "category_type": "", "category": "", "count": 40.0, "denominator": 100_000.0, "lower_ci": 20.0,
            "upper_ci": 40.0, "value": 30.0}
    table = pd.DataFrame([
        {**base, "area_code": "E06000001", "indicator_id": "93001", "indicator_name": "Admissions for  poisoning by "
         "drug MISUSE"},  # spacing and case as an export might give them
        {**base, "area_code": "E06000001", "indicator_id": "93002", "indicator_name": "Some other indicator"},
    ])

    class Dataset:
        def indicators(self) -> pd.DataFrame:
            return table

    from cdp_analysis.areas import AreaRegistry

    registry = AreaRegistry.builtin()
    series = OutcomeSeries(Dataset(), registry, registry.get("E06000001"))
    held = series.series("drug-poisoning-admissions", "E06000001")
    assert list(held["value"]) == [30.0]
    assert "93002" not in set(series.headline["indicator_id"])


# -- local returns' values ----------------------------------------------------------------------------------------------
def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def test_local_values_are_the_latest_period_summed_never_a_row_count() -> None:
    rows = _frame([
        {"area_code": "E09000003", "period": "2022/23", "major": 9, "moderate": 30},
        {"area_code": "E09000003", "period": "2023/24", "major": 3, "moderate": 11},
        {"area_code": "E09000003", "period": "2023/24 Q1", "major": 1, "moderate": 2},
    ])
    values = framework.local_values(rows, "disruptions").set_index("measure")
    # the whole year 2023/24 wins over its first quarter; 3 + 11 = 14
    assert values.loc["Major and moderate disruptions", "period"] == "2023/24"
    assert values.loc["Major and moderate disruptions", "value"] == 14
    assert values.loc["Major disruptions", "value"] == 3


def test_local_shares_and_a_cell_suppressed_at_source() -> None:
    rows = _frame([
        {"area_code": "X", "period": "2023/24", "substance_group": "opiate", "in_treatment": 800, "deaths": 12},
        {"area_code": "X", "period": "2023/24", "substance_group": "alcohol only", "in_treatment": 400, "deaths": 3},
    ])
    deaths = framework.local_values(rows, "deaths_in_treatment").iloc[0]
    assert (deaths["count"], deaths["denominator"]) == (15, 1200)
    assert deaths["value"] == pytest.approx(100 * 15 / 1200)
    rows.loc[1, "deaths"] = pd.NA  # '*' in the return: the total is not known, so it is not shown
    assert math.isnan(framework.local_values(rows, "deaths_in_treatment").iloc[0]["count"])


def test_area_rows_of_a_partnership_need_every_member() -> None:
    table = _frame([{"area_code": "A", "period": "2023/24"}, {"area_code": "B", "period": "2023/24"}])
    assert len(framework.area_rows(table, "P", ("A", "B"))) == 2
    assert framework.area_rows(table, "P", ("A", "C")) is None
    assert framework.area_rows(table, "Z", ()) is None


def test_headline_table_has_the_eleven_metrics_with_values_or_status() -> None:
    summary = pd.DataFrame([{"indicator_id": "92432", "period": "2021 - 23", "value": 6.2, "unit": "per 100,000"}])
    local = {"disruptions": framework.local_values(
        _frame([{"area_code": "A", "period": "2023/24", "major": 2, "moderate": 5}]), "disruptions")}
    crime = pd.DataFrame([{"Measure": "Neighbourhood crime (drug-related crime proxy)", "Period": "2025",
                           "Rate per 1,000": 14.2}])
    table = framework.headline_table(summary, local, crime, supplied={"disruptions"}).set_index("metric")
    assert len(table) == 11 == len(framework.HEADLINE_METRICS)
    assert table.loc["Deaths related to drug misuse", ["status", "value"]].tolist() == [framework.SHOWN, 6.2]
    disruptions = table.loc["Major and moderate disruptions of drug-related organised crime groups"]
    assert (disruptions["status"], disruptions["value"], disruptions["period"]) == (framework.LOCAL, 7, "2023/24")
    assert table.loc["Neighbourhood crime", "value"] == 14.2
    assert table.loc["Drug-related homicides", "status"] == framework.NATIONAL
    assert table.loc["Treatment progress (substantial progress)", "status"] == framework.LOCAL_NEEDED
    assert table.loc["Hospital admissions for drug poisoning", "status"] == framework.NOT_HELD
    partnership = framework.headline_table(summary.iloc[0:0], {}, per_member={"92432"}).set_index("metric")
    assert partnership.loc["Deaths related to drug misuse", "status"] == framework.PER_MEMBER


# -- alcohol -------------------------------------------------------------------------------------------------------------
def test_alcohol_unmet_need_for_barnet_from_the_real_files() -> None:
    estimates_file = require(NDTMS / "Estimates_of_Alcohol_Dependent_Adults_in_England_for_R.csv")
    viewit_file = require(NDTMS / "ViewIt Export Data_LAs.csv")
    with estimates_file.open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Area_Code_GSS"] == "E09000003" and r["Year"] == "2017/18")
    estimate, lower, upper = (float(row[c]) for c in ("Alcohol_dependent", "Alcohol_lower_CI", "Alcohol_upper_CI"))
    with viewit_file.open(encoding="utf-8") as handle:
        treated = sum(float(r["intreatment_allintx"]) for r in csv.DictReader(handle)
                      if r["ReportingPeriod"] == "2017/18" and r["Area"] == "Barnet" and r["sex"].lower() == "total"
                      and r["age_group"].lower() == "total" and r["drug_group"] in ("Alcohol only",
                                                                                     "Non-opiate & alcohol"))
    est = read_ndtms(estimates_file)
    est = est[(est["area_code"] == "E09000003") & (est["measure"] == "alcohol_dependent_adults")]
    tx = read_ndtms(viewit_file)
    tx = tx[(tx["area_code"] == "E09000003") & (tx["measure"] == "in_treatment") & (tx["breakdown"] == "total")
            & (tx["sex"] == "total") & (tx["age_group"] == "total")]
    result = pathways.alcohol_unmet_need(est[["period", "value", "lower_ci", "upper_ci"]],
                                         tx[["period", "substance_group", "count"]]).set_index("period")
    got = result.loc["2017/18"]
    assert got["estimate"] == estimate and got["in_treatment"] == treated
    assert got["not_in_treatment_pct"] == pytest.approx(100 * (1 - treated / estimate))
    assert got["not_in_treatment_lower"] == pytest.approx(100 * (1 - treated / lower))
    assert got["not_in_treatment_upper"] == pytest.approx(100 * (1 - treated / upper))
    assert got["not_in_treatment_lower"] < got["not_in_treatment_pct"] < got["not_in_treatment_upper"]


def test_alcohol_unmet_need_without_treatment_counts_keeps_the_estimate() -> None:
    est = pd.DataFrame({"period": ["2017/18"], "value": [1372.0], "lower_ci": [1025.0], "upper_ci": [1921.0]})
    result = pathways.alcohol_unmet_need(est, pd.DataFrame(columns=["period", "substance_group", "count"]))
    assert result["estimate"].tolist() == [1372.0]
    assert result["not_in_treatment_pct"].isna().all()


# -- the criminal-justice pathway ----------------------------------------------------------------------------------------
def test_community_sentence_requirements_completion() -> None:
    rows = _frame([
        {"area_code": "A", "period": "2022/23", "requirement": "drug rehabilitation requirement", "made": 50,
         "ended": 40, "completed": 10},
        {"area_code": "A", "period": "2023/24", "requirement": "alcohol treatment requirement", "made": 30,
         "ended": 20, "completed": 13},
        {"area_code": "A", "period": "2023/24", "requirement": "drug rehabilitation requirement", "made": 96,
         "ended": 88, "completed": 51},
    ])
    result = pathways.requirement_rows(rows).set_index("short")
    assert list(result.index) == ["DRR", "ATR"]  # the reporting order, latest period only
    assert result.loc["DRR", "value"] == pytest.approx(100 * 51 / 88)
    assert result.loc["ATR", ["made", "count", "denominator"]].tolist() == [30, 13, 20]


def test_community_sentence_template_reads_and_refuses_completed_above_ended(tmp_path: Path) -> None:
    good = tmp_path / "community_sentence_treatment.csv"
    good.write_text("area_code,period,requirement,made,ended,completed\n"
                    "E09000003,2023/24,Drug Rehabilitation Requirement,96,88,51\n", encoding="utf-8")
    frame = read_local_return(good)
    assert frame.attrs["template"] == "community_sentence_treatment"
    assert frame["requirement"].tolist() == ["drug rehabilitation requirement"]
    bad = tmp_path / "bad.csv"
    bad.write_text("area_code,period,requirement,made,ended,completed\n"
                   "E09000003,2023/24,alcohol treatment requirement,10,8,9\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as error:
        read_local_return(bad)
    assert error.value.line == 2 and error.value.column == "completed"


# -- service provision ---------------------------------------------------------------------------------------------------
def test_spend_by_stream_and_per_adult() -> None:
    rows = _frame([
        {"area_code": "A", "period": "2023/24", "funding_stream": "public health grant", "allocated_gbp": 2_450_000.0,
         "spent_gbp": 2_390_500.0},
        {"area_code": "A", "period": "2023/24", "funding_stream": "SSMTR grant", "allocated_gbp": 800_000.0,
         "spent_gbp": 640_000.0},
        {"area_code": "A", "period": "2022/23", "funding_stream": "public health grant", "allocated_gbp": 1.0,
         "spent_gbp": 1.0},
    ])
    result = pathways.spend_rows(rows, adults_in_treatment=1_500).set_index("funding_stream")
    assert result.loc["total", "spent_gbp"] == 2_390_500 + 640_000
    assert result.loc["total", "allocated_gbp"] == 2_450_000 + 800_000
    assert result.loc["SSMTR grant", "spent_pct"] == pytest.approx(80.0)
    assert result.loc["total", "spend_per_adult"] == pytest.approx((2_390_500 + 640_000) / 1_500)
    rows.loc[1, "allocated_gbp"] = np.nan  # a stream without its allocation: the total allocation is unknown
    assert math.isnan(pathways.spend_rows(rows).set_index("funding_stream").loc["total", "allocated_gbp"])


# -- on the demo: the overview's table and the treatment chapter's new sections against the generated CSVs ------------
def _latest_rows(path: Path, code: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["area_code"] == code]
    latest = max(r["period"] for r in rows)  # the demo writes financial years only
    return [r for r in rows if r["period"] == latest]


@pytest.mark.slow
@pytest.mark.xdist_group("demo-data")
def test_demo_overview_framework_values_are_the_returns(demo_config) -> None:
    from cdp_analysis.chapters.context import load_context
    from cdp_analysis.chapters.overview import OverviewChapter

    overview = OverviewChapter(load_context("Z09000001", config=demo_config))
    table = overview.framework_table().set_index("metric")
    local = demo_config.demo_dir / "local"
    disruptions = _latest_rows(local / "disruptions.csv", "Z09000001")
    row = table.loc["Major and moderate disruptions of drug-related organised crime groups"]
    assert row["value"] == sum(int(r["major"]) + int(r["moderate"]) for r in disruptions)
    assert row["period"] == disruptions[0]["period"] and row["status"] == framework.LOCAL
    progress = _latest_rows(local / "treatment_progress.csv", "Z09000001")
    expected = 100 * sum(int(r["substantial_progress"]) for r in progress) / sum(int(r["in_treatment"])
                                                                               for r in progress)
    assert table.loc["Treatment progress (substantial progress)", "value"] == pytest.approx(expected)
    tiles = dict(overview.local_tiles())
    assert not any("rows supplied" in text for text in tiles.values())
    assert (f"Major and moderate disruptions: {row['value']:.0f} disruptions ({disruptions[0]['period']})"
            in tiles["Major and moderate disruptions of drug-related organised crime groups"])


@pytest.mark.slow
@pytest.mark.xdist_group("demo-data")
def test_demo_justice_and_provision_are_the_returns(demo_config) -> None:
    from cdp_analysis.chapters.context import load_context
    from cdp_analysis.chapters.treatment import TreatmentChapter

    sections = TreatmentChapter(load_context("Z09000002", config=demo_config)).sections()
    local = demo_config.demo_dir / "local"
    budgets = _latest_rows(local / "budgets.csv", "Z09000002")
    total = sections["provision"].frames["provision"].set_index("funding_stream").loc["total"]
    assert total["spent_gbp"] == sum(float(r["spent_gbp"]) for r in budgets)
    assert total["allocated_gbp"] == sum(float(r["allocated_gbp"]) for r in budgets)
    drr = next(r for r in _latest_rows(local / "community_sentence_treatment.csv", "Z09000002")
               if r["requirement"] == "drug rehabilitation requirement")
    shown = sections["justice"].frames["treatment_requirements"].set_index("short").loc["DRR"]
    assert shown["value"] == pytest.approx(100 * int(drr["completed"]) / int(drr["ended"]))
    assert sections["alcohol"].shown and "alcohol_dependence" in sections["alcohol"].frames


def test_alcohol_need_by_area_sums_a_partnerships_estimates_without_an_interval():
    estimates = pd.DataFrame({"area_code": ["M1", "M2", "M1", "E"], "period": ["2023", "2023", "2022", "2023"],
                              "value": [100, 300, 90, 1000], "lower_ci": [80, 250, 70, 800],
                              "upper_ci": [120, 350, 110, 1250]})
    treated = pd.DataFrame({"area": ["P", "P", "P", "England", "England", "Q"], "period": ["2023"] * 6,
                            "substance_group": ["alcohol only", "non-opiate and alcohol", "opiate", "alcohol only",
                                                "non-opiate and alcohol", "alcohol only"],
                            "count": [20, 20, 500, 150, 50, 5]})
    rows = pathways.alcohol_need_by_area(estimates, treated, [("P", ["M1", "M2"]), ("Q", ["M1", "M3"]),
                                                              ("England", ["E"])])
    assert [r["area"].iloc[0] for r in rows] == ["P", "England"]  # Q lacks M3's estimate: left out
    partnership = rows[0].set_index("period")
    assert list(partnership.index) == ["2023"]  # 2022 lacks M2: not summed
    assert partnership.loc["2023", "estimate"] == 400 and partnership.loc["2023", "in_treatment"] == 40
    assert partnership.loc["2023", "not_in_treatment_pct"] == pytest.approx(90.0)
    assert np.isnan(partnership.loc["2023", "estimate_lower"])
    england = rows[1].iloc[0]
    assert england["not_in_treatment_pct"] == pytest.approx(80.0)
    assert england["not_in_treatment_lower"] == pytest.approx(75.0)
    assert england["not_in_treatment_upper"] == pytest.approx(84.0)

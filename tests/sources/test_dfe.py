"""DfE readers: real files checked against the CSV read independently with the csv module."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import DataFormatError
from cdp_analysis.sources import dfe
from tests.conftest import require_shared

C3 = "data/real/dfe_children/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv"
CLA = "data/real/dfe_children/la_conviction_health_outcome_cla.csv"
REASONS = "data/real/dfe_exclusions/reasons.csv"
SFR35 = "data/real/dfe_exclusions/SFR35_2017_reason_for_exclusion.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def c3() -> pd.DataFrame:
    return dfe.read_children_in_need(require_shared(C3))


# -- children in need --------------------------------------------------------------------------------


def test_barnet_parental_drug_misuse_latest_year_matches_the_csv(c3):
    rows = _rows(require_shared(C3))
    latest = max(r["time_period"] for r in rows)
    row = next(r for r in rows if r["la_name"] == "Barnet" and r["time_period"] == latest)
    got = c3[(c3["area_code"] == "E09000003") & (c3["time_period"] == latest)
             & (c3["measure"] == "drug_misuse") & (c3["category"] == "parent")].iloc[0]
    count, episodes = float(row["Drug_Misuse_parent"]), float(row["Episodes_with_assessment_factor"])
    assert got["count"] == count and got["denominator"] == episodes
    assert got["value"] == pytest.approx(count / episodes * 100)
    assert got["period"] == f"{int(latest) - 1}/{latest[2:]}"
    assert got["geographic_level"] == "Local authority" and got["old_la_code"] == row["old_la_code"]


def test_england_and_regions_come_from_the_same_file(c3):
    rows = _rows(require_shared(C3))
    national = [r for r in rows if r["geographic_level"] == "National"]
    regions = {r["region_code"] for r in rows if r["geographic_level"] == "Regional"}
    england = c3[(c3["area_code"] == "E92000001") & (c3["measure"] == "drug_misuse") & (c3["category"] == "child")]
    assert len(england) == len(national)
    assert set(c3.loc[c3["geographic_level"] == "Regional", "area_code"]) == regions


@pytest.mark.parametrize("marker", ["x", "c", "u", "z"])
def test_each_marker_is_missing_with_its_meaning(c3, marker):
    rows = _rows(require_shared(C3))
    cells = [(r["new_la_code"] or r["region_code"] or r["country_code"], r["time_period"], column)
             for r in rows for column in dfe.CIN_FACTORS if r[column] == marker]
    assert cells, f"the real file has {marker!r} in a drug or alcohol column"
    area, year, column = cells[0]
    measure, category = dfe.CIN_FACTORS[column]
    got = c3[(c3["area_code"] == area) & (c3["time_period"] == year) & (c3["measure"] == measure)
             & (c3["category"] == category)].iloc[0]
    assert np.isnan(got["count"]) and np.isnan(got["value"])
    assert got["marker"] == marker and got["note"] == dfe.EES_MARKERS[marker]
    marked = c3[c3["marker"] == marker]
    assert marked["value"].isna().all()
    own = marked["note"] == dfe.EES_MARKERS[marker]  # else the denominator was withheld
    assert marked.loc[own, "count"].isna().all()
    assert (marked.loc[~own, "note"] == "denominator " + dfe.EES_MARKERS[marker]).all()


def test_marker_meanings_differ():
    meanings = [dfe.EES_MARKERS[m] for m in ("x", "c", "u", "z")]
    assert len(set(meanings)) == 4
    assert "confidential" in dfe.EES_MARKERS["c"] and "reliab" in dfe.EES_MARKERS["u"]


def test_sniffers_tell_the_files_apart():
    c3, cla, reasons = (require_shared(p) for p in (C3, CLA, REASONS))
    assert dfe.is_children_in_need(c3) and not dfe.is_children_in_need(cla)
    assert dfe.is_looked_after(cla) and not dfe.is_looked_after(c3)
    assert dfe.is_exclusions(reasons) and not dfe.is_exclusions(c3)
    assert not dfe.is_pupil_headcount(reasons)


# -- looked after -------------------------------------------------------------------------------------


def test_looked_after_national_substance_misuse_matches_the_csv():
    path = require_shared(CLA)
    rows = [r for r in _rows(path) if r["characteristic"] == "Substance misuse: Children looked after all ages"
            and r["geographic_level"] == "National"]
    latest = max(r["time_period"] for r in rows)
    by = {r["breakdown"]: r for r in rows if r["time_period"] == latest}
    frame = dfe.read_looked_after(path)
    got = frame[(frame["area_code"] == "E92000001") & (frame["time_period"] == latest)].set_index("category")
    identified = float(by["Identified as having a substance misuse problem"]["children_count"])
    assert got.loc["identified", "count"] == identified
    assert got.loc["identified", "denominator"] == float(by["Total all ages"]["children_count"])
    assert got.loc["identified", "value"] == float(by["Identified as having a substance misuse problem"]
                                                   ["children_percent"])
    assert got.loc["refused intervention", "denominator"] == identified
    marked = frame[frame["marker"].isin(["c", "z"]) & (frame["category"] != "looked after 12 months")]
    assert len(marked) and marked["value"].isna().all()  # the count may be published with its % withheld


# -- exclusions ---------------------------------------------------------------------------------------


def test_years_and_levels_of_both_layouts():
    old = dfe.read_exclusions(require_shared(SFR35))
    new = dfe.read_exclusions(require_shared(REASONS))
    assert "2015/16" in set(old["period"]) and old["time_period"].str.fullmatch(r"\d{6}").all()
    assert set(old["geographic_level"]) == set(new["geographic_level"]) == {"National", "Regional",
                                                                              "Local authority"}
    assert set(old["category"]) == set(new["category"]) == set(dfe.SCHOOL_TYPES)
    assert dfe.academic_year("201516") == "2015/16"


def test_barnet_drug_and_alcohol_exclusions_in_both_layouts_agree_with_the_csv():
    for relative in (REASONS, SFR35):
        path = require_shared(relative)
        row = next(r for r in _rows(path) if r["la_name"] == "Barnet" and r["year"] == "201516"
                   and r["school_type"] == "Total")
        frame = dfe.read_exclusions(path)
        got = frame[(frame["area_code"] == "E09000003") & (frame["period"] == "2015/16")
                    & (frame["category"] == "Total")].set_index("measure")["count"]
        assert got["permanent_exclusions_drug_alcohol"] == float(row["perm_drug_alcohol"])
        assert got["suspensions_drug_alcohol"] == float(row["fixed_drug_alcohol"])


def test_layouts_agree_where_they_overlap_and_combine_to_one_series():
    old = dfe.read_exclusions(require_shared(SFR35))
    new = dfe.read_exclusions(require_shared(REASONS))
    key = ["geographic_level", "area_code", "old_la_code", "area_name", "period", "measure", "category"]
    both = old.merge(new, on=key, suffixes=("_old", "_new"))
    assert len(both) == len(old)  # every 2006/07-2015/16 row is in the 2018 release too
    same = (both["count_old"] == both["count_new"]) | (both["count_old"].isna() & both["count_new"].isna())
    assert same.all()
    combined = dfe.combine_exclusions([old, new])
    assert len(combined) == len(new) and not combined.duplicated(key).any()
    assert (combined["release"] == "2016/17").all()


def test_suppression_and_fractional_counts():
    path = require_shared(SFR35)
    rows = _rows(path)
    fraction = next(r for r in rows if "." in r["perm_drug_alcohol"])
    suppressed = next(r for r in rows if r["fixed_drug_alcohol"] == "x" and r["new_la_code"].startswith("E"))
    frame = dfe.read_exclusions(path)
    perm = frame[frame["measure"] == "permanent_exclusions_drug_alcohol"]
    got = perm[(perm["old_la_code"] == fraction["old_la_code"]) & (perm["time_period"] == fraction["year"])
               & (perm["category"] == dfe.SCHOOL_TYPES[[t.lower() for t in dfe.SCHOOL_TYPES].index(
                   fraction["school_type"].lower().replace(" school", ""))])].iloc[0]
    assert got["count"] == pytest.approx(float(fraction["perm_drug_alcohol"]))
    assert "fractional" in got["note"]
    fixed = frame[(frame["measure"] == "suspensions_drug_alcohol") & (frame["area_code"] == suppressed["new_la_code"])
                  & (frame["time_period"] == suppressed["year"]) & frame["marker"].eq("x")]
    assert len(fixed) and fixed["count"].isna().all()
    assert (fixed["note"] == dfe.EXCLUSION_MARKERS["x"]).all()


def test_pre_2009_authorities_keep_their_old_code():
    frame = dfe.read_exclusions(require_shared(REASONS))
    old = frame[frame["area_name"].str.contains("Pre LGR 2009", na=False)]
    assert len(old) and old["area_code"].isna().all() and old["old_la_code"].notna().all()


def test_rate_per_1000_pupils_from_a_headcount_table(tmp_path):
    reasons = ("year,level,country_code,country_name,region_code,region_name,old_la_code,new_la_code,la_name,"
               "school_type,perm_drug_alcohol,fixed_drug_alcohol\n"
               "201516,National,E92000001,England,,,,,,Total,525,8725\n"
               "201516,Local authority,E92000001,England,E13000002,Outer London,302,E09000003,Barnet,Total,8,x\n")
    heads = ("year,level,country_code,country_name,region_code,region_name,old_la_code,new_la_code,la_name,"
             "school_type,num_schools,headcount,perm_excl,perm_excl_rate\n"
             "201516,National,E92000001,England,,,,,,Total,21245,7916225,6685,0.08\n"
             "201516,Local authority,E92000001,England,E13000002,Outer London,302,E09000003,Barnet,Total,118,"
             "55921,29,0.05\n")
    (tmp_path / "r.csv").write_text(reasons)
    (tmp_path / "h.csv").write_text(heads)
    assert dfe.is_pupil_headcount(tmp_path / "h.csv") and not dfe.is_exclusions(tmp_path / "h.csv")
    frame = dfe.add_pupil_denominators(dfe.read_exclusions(tmp_path / "r.csv"),
                                       dfe.read_pupil_headcount(tmp_path / "h.csv"))
    perm = frame[frame["measure"] == "permanent_exclusions_drug_alcohol"].set_index("area_name")
    assert perm.loc["England", "value"] == pytest.approx(525 / 7916225 * 1000)
    assert perm.loc["Barnet", "value"] == pytest.approx(8 / 55921 * 1000)
    fixed = frame[frame["measure"] == "suspensions_drug_alcohol"].set_index("area_name")
    assert np.isnan(fixed.loc["Barnet", "value"]) and fixed.loc["Barnet", "denominator"] == 55921


# -- bad input ----------------------------------------------------------------------------------------


def test_bad_cell_names_file_line_and_column(tmp_path):
    header = ",".join(["time_period", "time_identifier", "geographic_level", "country_code", "country_name",
                       "region_code", "region_name", "old_la_code", "new_la_code", "la_name", "category",
                       "Episodes_with_assessment_factor", *dfe.CIN_FACTORS])
    good = "2025,Reporting year,National,E92000001,England,,,,,,F,100," + ",".join(["1"] * 6)
    bad = "2025,Reporting year,National,E92000001,England,,,,,,F,100,1,1,1,1,lots,1"
    path = tmp_path / "c3.csv"
    path.write_text("\n".join([header, good, bad]) + "\n")
    with pytest.raises(DataFormatError) as info:
        dfe.read_children_in_need(path)
    err = info.value
    assert err.line == 3 and err.path == path
    assert err.column == list(dfe.CIN_FACTORS)[4]


def test_bad_year_is_an_error(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("year,level,country_code,country_name,region_code,region_name,old_la_code,new_la_code,"
                    "la_name,school_type,perm_drug_alcohol,fixed_drug_alcohol\n"
                    "2015-16,National,E92000001,England,,,,,,Total,1,2\n")
    with pytest.raises(DataFormatError, match="time_period") as info:
        dfe.read_exclusions(path)
    assert info.value.line == 2


# -- demo ---------------------------------------------------------------------------------------------


def test_demo_files_read_back(tmp_path):
    from cdp_demo.demand import write_demand_files
    from cdp_demo.geography import build_geography
    from cdp_demo.region import _imd_scores, _population, _rng  # noqa: F401  (building blocks of the demo)

    geo = build_geography(_rng(7, "geo"))
    imd = _imd_scores(7, geo)
    population = _population(_rng(7, "population"), geo.lsoas, imd["dep"].to_numpy())
    write_demand_files(tmp_path, 7, geo, population)
    c3 = dfe.read_children_in_need(tmp_path / "dfe_children" / Path(C3).name)
    boroughs = {b.code for b in geo.boroughs}
    assert boroughs | {geo.region_code, "E92000001"} == set(c3["area_code"])
    assert {"x", "u"} <= set(c3["marker"].dropna())
    cla = dfe.read_looked_after(tmp_path / "dfe_children" / Path(CLA).name)
    assert set(cla["category"]) == {v[0] for v in dfe.CLA_CATEGORIES.values()}
    old = dfe.read_exclusions(tmp_path / "dfe_exclusions" / Path(SFR35).name)
    new = dfe.read_exclusions(tmp_path / "dfe_exclusions" / Path(REASONS).name)
    key = ["area_code", "period", "measure", "category"]
    both = old.merge(new, on=key)
    assert len(both) and ((both["count_x"] == both["count_y"]) | both["count_x"].isna()).all()
    assert (old["note"] == "fractional count as published (DfE apportioned early LA figures)").any()
    heads = dfe.read_pupil_headcount(tmp_path / "dfe_exclusions" / "SFR35_2017_national_region_la_school_data.csv")
    rates = dfe.add_pupil_denominators(dfe.combine_exclusions([old, new]), heads)
    assert rates["denominator"].notna().all() and rates["value"].notna().any()

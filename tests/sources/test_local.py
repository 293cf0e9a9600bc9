"""Local-return templates: the shipped files, and one small bad file per validation rule."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cdp_analysis.errors import DataFormatError
from cdp_analysis.sources import local

EXPECTED = {
    "treatment_numbers": "area_code,period,substance_group,age_group,count",
    "ambitions": "area_code,metric,baseline_period,baseline_value,ambition_value,ambition_date,owner",
    "continuity_of_care": "area_code,period,released_with_need,engaged_within_3_weeks",
    "naloxone": "area_code,period,setting,kits_supplied,people_supplied",
    "county_lines": "area_code,period,referrals,closures_type_1,closures_type_2",
    "disruptions": "area_code,period,major,moderate",
    "young_people_treatment": "area_code,period,breakdown,category,count",
    "budgets": "area_code,period,funding_stream,allocated_gbp,spent_gbp",
    "deaths_in_treatment": "area_code,period,substance_group,in_treatment,deaths",
    "treatment_progress": "area_code,period,substance_group,in_treatment,substantial_progress,successful_completions",
    "homelessness_support_needs": "area_code,period,households_assessed,with_support_needs,drug_dependency,"
                                  "alcohol_dependency",
    "out_of_court_disposals": "area_code,period,disposal,offence,count,referred_to_treatment",
    "drug_testing_on_arrest": "area_code,period,tests,positive,required_assessments,assessments_attended",
    "community_sentence_treatment": "area_code,period,requirement,made,ended,completed",
}


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(path) -> DataFormatError:
    with pytest.raises(DataFormatError) as info:
        local.read_local_return(path)
    assert path.name in str(info.value)
    return info.value


# -- the shipped templates ------------------------------------------------------------------------


def test_list_templates():
    assert local.list_templates() == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_template_files_are_header_only_and_match_the_spec(name):
    path = local.template_path(name)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == [EXPECTED[name]]
    assert ",".join(local.TEMPLATES[name].header) == EXPECTED[name]
    assert local.is_local_return(path)
    frame = local.read_local_return(path)  # header only: an empty, typed frame
    assert len(frame) == 0 and frame.attrs["template"] == name


def test_readme_documents_every_column_and_its_examples_are_valid(tmp_path):
    readme = (local.template_path("naloxone").parent / "README.md").read_text(encoding="utf-8")
    assert "suppress" in readme and "`*`" in readme  # the disclosure rule
    for name, template in local.TEMPLATES.items():
        assert f"`{name}.csv`" in readme
        for column in template.header:
            assert f"`{column}`" in readme, (name, column)
    examples = re.findall(r"## `(\w+)\.csv`.*?```\n(.*?)```", readme, flags=re.S)
    assert sorted(name for name, _ in examples) == sorted(EXPECTED)
    for name, block in examples:
        frame = local.read_local_return(_write(tmp_path, f"{name}.csv", block))
        assert frame.attrs["template"] == name and len(frame) >= 1
        assert frame["area_code"].str.startswith("Z").all()  # made-up demo codes only


def test_copy_templates_does_not_overwrite_by_default(tmp_path):
    dest = tmp_path / "local"
    written = local.copy_templates(dest)
    assert sorted(p.name for p in written) == sorted([f"{n}.csv" for n in EXPECTED] + ["README.md"])
    filled = dest / "naloxone.csv"
    filled.write_text(EXPECTED["naloxone"] + "\nE09000003,2023/24,pharmacy,10,8\n")
    assert local.copy_templates(dest) == []
    assert "E09000003" in filled.read_text()
    again = local.copy_templates(dest, overwrite=True)
    assert filled in again and filled.read_text().strip() == EXPECTED["naloxone"]


# -- reading a valid return -----------------------------------------------------------------------


def test_valid_return_is_typed_and_normalised(tmp_path):
    text = ("area_code,period,substance_group,age_group,count\r\n"
            "E09000003,2023/24,Opiate,adult,812\r\n"
            "e09000003,2023/24,  Non-opiate   ONLY ,Young Person,*\r\n"
            "\r\n"
            "E09000003,2023/24 Q1,alcohol only,adult,0\r\n")
    frame = local.read_local_return(_write(tmp_path, "numbers.csv", text))
    assert frame.attrs["template"] == "treatment_numbers"
    assert frame.index.tolist() == [2, 3, 5]  # editor lines; the blank line 4 is skipped
    assert frame["area_code"].tolist() == ["E09000003"] * 3
    assert frame["substance_group"].tolist() == ["opiate", "non-opiate only", "alcohol only"]
    assert frame["age_group"].tolist() == ["adult", "young person", "adult"]
    assert frame["count"].dtype == "Int64"
    assert frame["count"].iloc[0] == 812 and pd.isna(frame["count"].iloc[1]) and frame["count"].iloc[2] == 0
    assert frame["count__note"].iloc[1] == "suppressed (small number)"  # never 0


def test_columns_in_any_order_and_cp1252(tmp_path):
    path = tmp_path / "yp.csv"
    path.write_bytes("count,category,breakdown,period,area_code\r\n7,Children’s social care,referral source,"
                     "2023,E09000003\r\n".encode("cp1252"))
    frame = local.read_local_return(path)
    assert list(frame.columns) == ["area_code", "period", "breakdown", "category", "count"]
    assert frame["category"].tolist() == ["Children\u2019s social care"]


def test_budgets_amounts_may_be_empty_but_not_both(tmp_path):
    ok = "area_code,period,funding_stream,allocated_gbp,spent_gbp\nE09000003,2023/24,public health grant,\"2,450,000\",\n"
    frame = local.read_local_return(_write(tmp_path, "budgets.csv", ok))
    assert frame["allocated_gbp"].iloc[0] == 2450000 and pd.isna(frame["spent_gbp"].iloc[0])
    bad = "area_code,period,funding_stream,allocated_gbp,spent_gbp\nE09000003,2023/24,other,,\n"
    error = _error(_write(tmp_path, "budgets.csv", bad))
    assert (error.line, error.column) == (2, "allocated_gbp") and "no value given" in str(error)


# -- one rule per test ----------------------------------------------------------------------------

COC = "area_code,period,released_with_need,engaged_within_3_weeks\n"


def test_engaged_not_above_released(tmp_path):
    error = _error(_write(tmp_path, "coc.csv", COC + "E09000003,2022/23,10,4\nE09000003,2023/24,10,12\n"))
    assert (error.line, error.column) == (3, "engaged_within_3_weeks")
    assert "larger than released_with_need" in str(error)


@pytest.mark.parametrize(("name", "row", "column"), [
    ("naloxone", "E09000003,2023/24,pharmacy,5,6", "people_supplied"),
    ("deaths_in_treatment", "E09000003,2023/24,opiate,10,11", "deaths"),
    ("treatment_progress", "E09000003,2023/24,opiate,10,11,3", "substantial_progress"),
    ("treatment_progress", "E09000003,2023/24,opiate,10,3,11", "successful_completions"),
])
def test_other_cross_field_rules(tmp_path, name, row, column):
    error = _error(_write(tmp_path, f"{name}.csv", EXPECTED[name] + "\n" + row + "\n"))
    assert (error.line, error.column) == (2, column) and "is larger than" in str(error)


def test_negative_count(tmp_path):
    error = _error(_write(tmp_path, "coc.csv", COC + "E09000003,2023/24,-1,0\n"))
    assert (error.line, error.column) == (2, "released_with_need") and "negative" in str(error)


def test_fractional_count(tmp_path):
    error = _error(_write(tmp_path, "coc.csv", COC + "E09000003,2023/24,10.5,3\n"))
    assert (error.line, error.column) == (2, "released_with_need") and "whole number" in str(error)


def test_text_in_a_count(tmp_path):
    error = _error(_write(tmp_path, "coc.csv", COC + "E09000003,2023/24,ten,3\n"))
    assert (error.line, error.column) == (2, "released_with_need") and "'ten'" in str(error)


def test_empty_count(tmp_path):
    error = _error(_write(tmp_path, "coc.csv", COC + "E09000003,2023/24,10,\n"))
    assert (error.line, error.column) == (2, "engaged_within_3_weeks") and "missing value" in str(error)


def test_bad_area_code(tmp_path):
    error = _error(_write(tmp_path, "coc.csv", COC + "E09000003,2023/24,10,3\nBarnet,2023/24,10,3\n"))
    assert (error.line, error.column) == (3, "area_code") and "not an area code" in str(error)


@pytest.mark.parametrize("period", ["2023/25", "23/24", "2023-24", "2023/24 Q5", "FY2023"])
def test_bad_period(tmp_path, period):
    error = _error(_write(tmp_path, "coc.csv", COC + f"E09000003,{period},10,3\n"))
    assert (error.line, error.column) == (2, "period") and "not a period" in str(error)


def test_value_not_allowed(tmp_path):
    text = EXPECTED["treatment_numbers"] + "\nE09000003,2023/24,cocaine,adult,3\n"
    error = _error(_write(tmp_path, "tn.csv", text))
    assert (error.line, error.column) == (2, "substance_group")
    assert "'opiate'" in str(error) and "'cocaine'" in str(error)


def test_missing_choice(tmp_path):
    text = EXPECTED["naloxone"] + "\nE09000003,2023/24,,5,4\n"
    error = _error(_write(tmp_path, "nal.csv", text))
    assert (error.line, error.column) == (2, "setting") and "missing value" in str(error)


def test_duplicate_rows(tmp_path):
    text = COC + "E09000003,2023/24,10,3\nE09000030,2023/24,10,3\nE09000003,2023/24,12,3\n"
    error = _error(_write(tmp_path, "coc.csv", text))
    assert error.line == 4 and "duplicate row" in str(error) and "line 2" in str(error)


def test_header_matches_no_template(tmp_path):
    error = _error(_write(tmp_path, "continuity_of_care.csv",
                          "area_code,period,released_with_need,engaged_3wk\nE09000003,2023/24,10,3\n"))
    assert error.line == 1 and error.column == "engaged_within_3_weeks"
    assert "closest: continuity_of_care" in str(error) and "unexpected engaged_3wk" in str(error)


def test_wrong_delimiter(tmp_path):
    error = _error(_write(tmp_path, "coc.csv", COC.replace(",", ";") + "E09000003;2023/24;10;3\n"))
    assert error.line == 1 and "delimiter" in str(error)


def test_wrong_number_of_fields(tmp_path):
    error = _error(_write(tmp_path, "coc.csv", COC + "E09000003,2023/24,10\n"))
    assert (error.line, error.column) == (2, "engaged_within_3_weeks") and "wrong number of fields" in str(error)


def test_line_numbers_count_quoted_newlines(tmp_path):
    text = ("area_code,period,breakdown,category,count\n"
            'E09000003,2023/24,referral source,"Children\'s\nsocial care",4\n'
            "E09000003,2023/24,referral source,Education,-2\n")
    error = _error(_write(tmp_path, "yp.csv", text))
    assert (error.line, error.column) == (4, "count")


def test_empty_file(tmp_path):
    error = _error(_write(tmp_path, "empty.csv", ""))
    assert error.line == 1 and "empty" in str(error)


def test_excel_trailing_empty_columns_are_tolerated(tmp_path):
    frame = local.read_local_return(_write(tmp_path, "coc.csv", COC.strip() + ",,\nE09000003,2023/24,10,3,,\n"))
    assert frame["released_with_need"].tolist() == [10]


def test_is_local_return(tmp_path):
    assert local.is_local_return(_write(tmp_path, "a.csv", COC))
    assert not local.is_local_return(_write(tmp_path, "b.csv", "Indicator ID,Indicator Name\n"))
    assert not local.is_local_return(tmp_path / "missing.csv")

"""sources/homelessness.py: the MHCLG H-CLIC detailed local authority table A3 (support needs).

The fixture ``fixtures/hclic_A3_2023-24.csv`` is a generated copy of the published layout (see
``fixtures/README.md``); the expected values below are read off its cells by eye.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from cdp_analysis.errors import DataFormatError, MissingDataError
from cdp_analysis.sources.homelessness import hclic_period, is_hclic_support_needs, read_hclic_support_needs

FIXTURE = Path(__file__).parent / "fixtures" / "hclic_A3_2023-24.csv"


def test_reads_the_authorities_england_and_the_region_by_label() -> None:
    frame = read_hclic_support_needs(FIXTURE)
    assert list(frame["area_code"]) == ["E92000001", "E12000001", "E06000001", "E06000002", "E09000001"]
    hartlepool = frame.set_index("area_code").loc["E06000001"]
    # columns E, G, M, N of the Hartlepool row: 612 owed a duty, 362 with needs, 58 drug, 41 alcohol
    assert (hartlepool["owed_duty"], hartlepool["with_support_needs"], hartlepool["drug_dependency"],
            hartlepool["alcohol_dependency"]) == (612, 362, 58, 41)
    assert hartlepool["period"] == "2023/24" and hartlepool["area_name"] == "Hartlepool"
    england = frame.set_index("area_code").loc["E92000001"]
    assert england["owed_duty"] == 317990 and england["drug_dependency"] == 23040  # "317,990" with a separator


def test_markers_are_missing_with_their_meaning_never_zero() -> None:
    frame = read_hclic_support_needs(FIXTURE).set_index("area_code")
    assert np.isnan(frame.loc["E06000002", "alcohol_dependency"])  # ".."
    assert "suppressed" in frame.loc["E06000002", "note"]
    assert np.isnan(frame.loc["E09000001", "alcohol_dependency"])  # "[c]"
    assert frame.loc["E09000001", "drug_dependency"] == 3  # a published small count is read as published


def test_the_same_sheet_in_a_workbook(tmp_path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    import csv

    book = openpyxl.Workbook()
    book.active.title = "Cover"
    sheet = book.create_sheet("A3")
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append([int(c) if c.isdigit() else (c or None) for c in row])
    path = tmp_path / "Detailed_LA_2023-24.xlsx"
    book.save(path)
    assert is_hclic_support_needs(path)
    frame = read_hclic_support_needs(path)
    assert frame.set_index("area_code").loc["E06000001", "drug_dependency"] == 58
    assert len(frame) == 5


def test_the_classifier_claims_only_the_table() -> None:
    assert is_hclic_support_needs(FIXTURE)
    assert not is_hclic_support_needs(FIXTURE.with_name("proven_reoffending_la_2022-23.csv"))
    assert not is_hclic_support_needs(FIXTURE.with_name("nothing.csv"))


@pytest.mark.parametrize(("title", "period"), [
    ("England, April 2023 to March 2024", "2023/24"),
    ("April to June 2024", "2024/25 Q1"),
    ("October to December 2024", "2024/25 Q3"),
    ("January to March 2025", "2024/25 Q4"),
    ("Detailed LA 2022-23", "2022/23"),
    ("no period here", None),
])
def test_periods_are_written_as_the_local_returns_write_them(title, period) -> None:
    assert hclic_period(title) == period


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / FIXTURE.name
    shutil.copy(FIXTURE, path)
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return path


def test_a_cell_that_is_not_a_count_names_file_line_and_column(tmp_path) -> None:
    path = _edited(tmp_path, "E06000001,Hartlepool,North East,E12000001,612,250,362,160,110,92,190,95,58,",
                   "E06000001,Hartlepool,North East,E12000001,612,250,362,160,110,92,190,95,fifty-eight,")
    with pytest.raises(DataFormatError) as err:
        read_hclic_support_needs(path)
    assert err.value.line == 7 and err.value.path == path  # the Hartlepool row is the file's 7th line
    assert "Drug dependency needs" in str(err.value.column) and "fifty-eight" in str(err.value)


def test_a_missing_need_column_is_named(tmp_path) -> None:
    path = _edited(tmp_path, "Alcohol dependency needs", "Alcohol needs")
    with pytest.raises(DataFormatError) as err:
        read_hclic_support_needs(path)
    assert err.value.column == "alcohol_dependency" and err.value.line == 4


def test_a_title_without_a_period_is_an_error(tmp_path) -> None:
    path = _edited(tmp_path, "England, April 2023 to March 2024", "England")
    path = path.rename(tmp_path / "a3.csv")
    with pytest.raises(DataFormatError, match="names no period"):
        read_hclic_support_needs(path)


def test_a_missing_file() -> None:
    with pytest.raises(MissingDataError):
        read_hclic_support_needs(FIXTURE.with_name("absent.csv"))

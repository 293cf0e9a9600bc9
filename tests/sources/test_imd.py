"""sources.imd: IoD2019 files as published (File 1, File 11, GLA London workbook and CSV).

Values were read from the files by eye (sheet and row given). Cross-checks use
independent publications: File 1 (MHCLG) against the GLA London workbook, the
rounded CSV against the workbook, and deciles against the IoD definition
(decile d holds national ranks ((d-1)·N/10, d·N/10]).
"""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cdp_analysis.errors import DataFormatError, MissingDataError
from cdp_analysis.sources.imd import (
    IMD_COLUMNS,
    decile_within_area,
    is_imd,
    read_imd,
    read_imd_upper_tier,
)

try:  # tests/sources as a package or as a plain folder on sys.path
    from ._real import REAL, need
except ImportError:
    from _real import REAL, need

IMD = REAL / "imd"
LONDON_XLSX = IMD / "ID 2019 for London.xlsx"
LONDON_CSV = IMD / "IMD2019forLondon.csv"
FILE_1 = IMD / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
FILE_11 = IMD / "File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx"

FILE_7_HEADER = [
    "LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)",
    "Local Authority District name (2019)", "Index of Multiple Deprivation (IMD) Score",
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
    "Income Score (rate)",
]
GOOD_ROWS = [
    ["E01000001", "City of London 001A", "E09000001", "City of London", "6.208", "29199", "9", "0.007"],
    ["E01000002", "City of London 001B", "E09000001", "City of London", "5.143", "30379", "10", "0.034"],
    ["E01000003", "City of London 001C", "E09000001", "City of London", "19.402", "14915", "5", "0.086"],
]


@pytest.fixture(scope="module")
def london_xlsx():
    return read_imd(need(LONDON_XLSX))


@pytest.fixture(scope="module")
def london_csv():
    return read_imd(need(LONDON_CSV))


@pytest.fixture(scope="module")
def file_1():
    return read_imd(need(FILE_1))


def _csv(tmp_path, rows, header=FILE_7_HEADER, name="File_7.csv"):
    import csv

    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _with(row_index, column_index, value):
    rows = [list(r) for r in GOOD_ROWS]
    rows[row_index][column_index] = value
    return rows


# -- real files -----------------------------------------------------------------------------------


@pytest.mark.real_data
def test_london_workbook(london_xlsx):
    assert list(london_xlsx.columns) == list(IMD_COLUMNS)
    assert len(london_xlsx) == 4835
    assert london_xlsx.attrs["sheet"] == "IMD 2019"  # first header 'geography code'
    assert london_xlsx.attrs["has_score"] and london_xlsx.attrs["lsoa_vintage"] == "2011"
    # sheet 'IMD 2019', row 2
    first = london_xlsx.iloc[0]
    assert first[["lsoa_code", "lsoa_name", "lad_code", "lad_name"]].tolist() == [
        "E01000001", "City of London 001A", "E09000001", "City of London",
    ]
    assert first["imd_score"] == pytest.approx(6.208)
    assert (first["imd_rank"], first["imd_decile"]) == (29199, 9)
    # row 4: E01000003 score 19.402, rank 14915, decile 5
    third = london_xlsx.set_index("lsoa_code").loc["E01000003"]
    assert (third["imd_score"], third["imd_rank"], third["imd_decile"]) == (pytest.approx(19.402), 14915, 5)
    assert str(london_xlsx.imd_rank.dtype) == "Int64" and str(london_xlsx.imd_decile.dtype) == "Int64"
    assert (london_xlsx.lad_code == "E09000003").sum() == 211  # Barnet, 211 LSOAs (2011)


@pytest.mark.real_data
def test_london_csv_is_the_rounded_workbook(london_csv, london_xlsx):
    assert need(LONDON_CSV).read_bytes()[:3] == b"\xef\xbb\xbf"  # UTF-8 BOM before 'geography code'
    assert london_csv.iloc[0]["imd_score"] == pytest.approx(6.2)  # line 2: 6.2 where the xlsx has 6.208
    assert london_csv.lsoa_code.tolist() == london_xlsx.lsoa_code.tolist()
    assert (london_csv.imd_rank == london_xlsx.imd_rank).all()
    assert (london_csv.imd_decile == london_xlsx.imd_decile).all()
    assert np.abs(london_csv.imd_score - london_xlsx.imd_score).max() <= 0.05 + 1e-9


@pytest.mark.real_data
def test_file_1_rank_and_decile_only(file_1, london_xlsx):
    assert len(file_1) == 32844
    assert file_1.attrs["sheet"] == "IMD2019" and not file_1.attrs["has_score"]
    assert file_1.imd_score.isna().all()
    assert (file_1.imd_rank.min(), file_1.imd_rank.max()) == (1, 32844)
    # ranks are 'min' ranks of the score: File 1 has 26 tied pairs (e.g. rank 2852 for both
    # Leicester 011A and Eastbourne 010C, and no 2853), so 32,818 distinct ranks
    assert file_1.imd_rank.nunique() == 32844 - 26
    # IoD deciles: decile d holds ranks ((d-1)*N/10, d*N/10]
    expected = [math.ceil(r * 10 / 32844) for r in file_1.imd_rank]
    assert file_1.imd_decile.tolist() == expected
    # MHCLG's File 1 and the GLA workbook agree on every London LSOA
    london = file_1.set_index("lsoa_code").loc[london_xlsx.lsoa_code]
    assert (london.imd_rank.to_numpy() == london_xlsx.imd_rank.to_numpy()).all()
    assert (london.imd_decile.to_numpy() == london_xlsx.imd_decile.to_numpy()).all()


@pytest.mark.real_data
def test_file_11_upper_tier():
    utla = read_imd_upper_tier(need(FILE_11))
    assert len(utla) == 151  # PROVENANCE.md: 151 UTLAs
    assert utla.attrs["domain"] == "IMD" and utla.attrs["area_type"] == "utla"
    # sheet IMD, row 2: Hartlepool 22581.98, 21, 35.037, 9, 0.3621, 9, 0.4973, 13, 32560.44, 8
    hartlepool = utla.set_index("area_code").loc["E06000001"]
    assert hartlepool["area_name"] == "Hartlepool"
    assert hartlepool["average_rank"] == pytest.approx(22581.98)  # header 'IMD - Average rank ' (trailing space)
    assert hartlepool["average_score"] == pytest.approx(35.037)
    assert hartlepool["rank_of_average_score"] == 9
    assert hartlepool["proportion_most_deprived_10pct"] == pytest.approx(0.3621)
    assert hartlepool["rank_of_local_concentration"] == 8
    # row 3: Middlesbrough has the highest proportion of LSOAs in the most deprived 10%
    assert utla.set_index("area_code").loc["E06000002", "rank_of_proportion_most_deprived_10pct"] == 1
    assert sorted(utla.rank_of_average_score) == list(range(1, 152))
    income = read_imd_upper_tier(FILE_11, sheet="Income")
    assert income.attrs["domain"] == "Income"
    # sheet Income, row 2: Hartlepool 'Income scale' 21084, 'Rank of Income Scale' 128
    assert income.iloc[0][["scale", "rank_of_scale"]].tolist() == [21084, 128]


@pytest.mark.real_data
def test_is_imd():
    assert is_imd(need(LONDON_CSV)) and is_imd(need(LONDON_XLSX))
    assert not is_imd(need(FILE_11))
    assert not is_imd(need(REAL / "other" / "Local_Authority_District_to_Region_(April_2019)_Lookup_in_England.csv"))


def test_is_imd_never_raises(tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    assert not is_imd(junk)
    assert not is_imd(tmp_path / "missing.csv")
    assert is_imd(_csv(tmp_path, GOOD_ROWS))


# -- small files ----------------------------------------------------------------------------------


def test_file_7_csv(tmp_path):
    imd = read_imd(_csv(tmp_path, GOOD_ROWS))
    assert imd.imd_score.tolist() == pytest.approx([6.208, 5.143, 19.402])
    assert imd.imd_decile.tolist() == [9, 10, 5]


def test_cp1252_csv(tmp_path):
    path = tmp_path / "imd.csv"
    rows = _with(0, 1, "St Mary\u2019s 001A")
    text = ",".join(FILE_7_HEADER) + "\r\n" + "\r\n".join(",".join(r) for r in rows) + "\r\n"
    path.write_bytes(text.encode("cp1252"))
    assert read_imd(path).lsoa_name.iloc[0] == "St Mary\u2019s 001A"


@pytest.mark.parametrize(
    ("rows", "line", "column", "message"),
    [
        (_with(1, 6, "11"), 3, FILE_7_HEADER[6], "out of range"),
        (_with(0, 6, "0"), 2, FILE_7_HEADER[6], "out of range"),
        (_with(2, 6, "5.5"), 4, FILE_7_HEADER[6], "out of range"),
        (_with(1, 5, "0"), 3, FILE_7_HEADER[5], "out of range"),
        (_with(2, 5, "32845"), 4, FILE_7_HEADER[5], "out of range"),
        (_with(1, 4, "abc"), 3, FILE_7_HEADER[4], "not a number"),
        (_with(2, 4, ""), 4, FILE_7_HEADER[4], "missing value"),
        (_with(2, 0, "E01000001"), 4, FILE_7_HEADER[0], "duplicate code"),
        (_with(1, 0, ""), 3, FILE_7_HEADER[0], "empty code"),
    ],
)
def test_bad_values_name_line_and_column(tmp_path, rows, line, column, message):
    path = _csv(tmp_path, rows)
    with pytest.raises(DataFormatError, match=message) as info:
        read_imd(path)
    assert (info.value.line, info.value.column) == (line, column)
    assert info.value.path == path


def test_missing_column(tmp_path):
    header = [h for h in FILE_7_HEADER if "Decile" not in h]
    rows = [r[:6] + r[7:] for r in GOOD_ROWS]
    with pytest.raises(DataFormatError, match="required column missing") as info:
        read_imd(_csv(tmp_path, rows, header=header))
    assert info.value.column == "Index of Multiple Deprivation (IMD) Decile" and info.value.line == 1


def test_not_an_imd_file(tmp_path):
    path = _csv(tmp_path, [["1", "2"]], header=["a", "b"])
    with pytest.raises(DataFormatError, match="required column missing") as info:
        read_imd(path)
    assert info.value.column == "LSOA code (2011)"
    with pytest.raises(MissingDataError):
        read_imd(tmp_path / "missing.csv")


def test_workbook_with_preamble_reports_spreadsheet_rows(tmp_path):
    path = tmp_path / "imd.xlsx"
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes.append(["English Indices of Deprivation 2019"])
    sheet = workbook.create_sheet("IMD2019")
    sheet.append(["File 1: Index of Multiple Deprivation"])
    sheet.append([])
    sheet.append([h + " " for h in FILE_7_HEADER])  # trailing spaces, as in the GLA workbook
    for row in _with(1, 6, 12):
        sheet.append(row)
    workbook.save(path)
    with pytest.raises(DataFormatError, match="sheet 'IMD2019': value out of range") as info:
        read_imd(path)
    assert info.value.line == 5  # header on row 3, second data row on row 5
    good = tmp_path / "good.xlsx"
    sheet.cell(row=5, column=7, value=10)
    workbook.save(good)
    assert read_imd(good).imd_decile.tolist() == [9, 10, 5]
    with pytest.raises(DataFormatError, match="sheet not in the workbook"):
        read_imd(good, sheet="IMD 2019")


# -- local deciles --------------------------------------------------------------------------------


def _imd(ranks):
    n = len(ranks)
    return pd.DataFrame({
        "lsoa_code": [f"Z0100{i:04d}" for i in range(n)], "lsoa_name": [f"Demo {i}" for i in range(n)],
        "lad_code": ["Z09000001"] * n, "lad_name": ["Demo"] * n, "imd_score": np.nan,
        "imd_rank": pd.array(ranks, dtype="Int64"), "imd_decile": pd.array([1] * n, dtype="Int64"),
    })


def test_decile_within_area_by_hand():
    # 12 LSOAs: worked by hand with floor(11 - ceil((13 - r) / 1.2)) for r = 1..12
    imd = _imd([500, 100, 1200, 300, 900, 700, 1100, 200, 800, 400, 1000, 600])
    out = decile_within_area(imd, "Z09000001").sort_values("imd_rank")
    assert out.local_rank.tolist() == list(range(1, 13))
    assert out.local_decile.tolist() == [1, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10]
    # quintiles: floor(6 - ceil((13 - r) / 2.4))
    assert out.local_quintile.tolist() == [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5]
    assert "phe_quantile" in out.attrs["method"]


def test_decile_within_area_small_and_missing():
    imd = _imd([10, 20, 30, 40, 50, 60])
    out = decile_within_area(imd, imd.lsoa_code[:6])
    assert out.local_decile.isna().all()  # fewer LSOAs than deciles
    # floor(6 - ceil((7 - r) / 1.2)) for r = 1..6
    assert out.local_quintile.tolist() == [1, 1, 2, 3, 4, 5]
    with pytest.raises(MissingDataError, match="E01000001"):
        decile_within_area(imd, ["Z01000000", "E01000001"])
    with pytest.raises(MissingDataError):
        decile_within_area(imd, "E09000003")


@pytest.mark.real_data
def test_decile_within_barnet(london_xlsx):
    barnet = decile_within_area(london_xlsx, "E09000003")
    assert len(barnet) == 211
    sizes = barnet.local_decile.value_counts()
    assert set(sizes.index) == set(range(1, 11)) and set(sizes) <= {21, 22}
    ordered = barnet.sort_values("imd_rank")
    assert ordered.local_decile.is_monotonic_increasing
    assert ordered.local_decile.iloc[0] == 1 and ordered.local_decile.iloc[-1] == 10

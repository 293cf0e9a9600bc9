"""sources.population: ONS MYE2 (.xls), the London broad-band LSOA CSV, SAPE layouts, errors.

Real values were read from the files by eye (sheet, row and column given).
Cross-checks use independent tables: MYE1's UK age groups against our ESP bands
of MYE2, and the published Persons = Males + Females identity.
"""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest

from cdp_analysis.errors import DataFormatError, MissingDataError
from cdp_analysis.sources.population import (
    is_population,
    read_population,
    to_esp_bands,
)
from cdp_analysis.stats import ESP2013_AGEBANDS

try:  # tests/sources as a package or as a plain folder on sys.path
    from ._real import REAL, need
except ImportError:
    from _real import REAL, need

MYE = REAL / "population" / "ukpopestimatesmid2020on2021geography.xls"
BROAD = REAL / "population" / "london-mid2019-pop.csv"

SAPE_HEADER = (["LAD 2021 Code", "LAD 2021 Name", "LSOA 2021 Code", "LSOA 2021 Name", "Total"]
               + [f"F{a}" for a in range(91)] + [f"M{a}" for a in range(91)])
OLD_HEADER = (["LSOA Code", "LSOA Name", "LA Code (2019 boundaries)", "LA name (2019 boundaries)",
               "LA Code (2020 boundaries)", "LA name (2020 boundaries)", "All Ages"]
              + [str(a) for a in range(90)] + ["90+"])


@pytest.fixture(scope="module")
def mye():
    return read_population(need(MYE))


@pytest.fixture(scope="module")
def broad():
    return read_population(need(BROAD))


def _sape_rows():
    """Two LSOAs: female age a = a + 1, male age a = 2 (LSOA 1) or 0 (LSOA 2)."""
    rows = []
    for i, male in ((1, 2), (2, 0)):
        females = [a + 1 for a in range(91)]
        males = [male] * 91
        rows.append(["Z09000001", "Demo Borough", f"Z0100000{i}", f"Demo 001{'AB'[i - 1]}",
                     sum(females) + sum(males), *females, *males])
    return rows


def _write_csv(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _sape_csv(tmp_path, rows=None, header=SAPE_HEADER, name="sapelsoasyoa-demo.csv"):
    return _write_csv(tmp_path / name, header, _sape_rows() if rows is None else rows)


# -- real files -----------------------------------------------------------------------------------


@pytest.mark.real_data
def test_mye2_sheets(mye):
    assert mye.attrs["sheets"] == ["MYE2 - Persons", "MYE2 - Males", "MYE2 - Females"]
    assert list(mye.columns) == ["area_code", "area_name", "geography", "sex", "age", "population"]
    assert set(mye.sex) == {"Persons", "Male", "Female"}
    assert sorted(mye.age.unique()) == list(range(91))
    assert len(mye) == 3 * 420 * 91  # 428 rows per sheet, header on row 8: 420 areas
    barnet = mye[mye.area_code == "E09000003"]
    assert set(barnet.geography) == {"London Borough"} and set(barnet.area_name) == {"Barnet"}
    by_sex = barnet.groupby("sex").population.sum()
    # row 238, column 'All ages', of each MYE2 sheet
    assert by_sex.to_dict() == {"Persons": 399007, "Male": 198961, "Female": 200046}
    persons = barnet[barnet.sex == "Persons"].set_index("age").population
    assert persons[0] == 5012 and persons[90] == 3652  # row 238, columns '0' and '90+'
    england = mye[(mye.area_code == "E92000001") & (mye.sex == "Persons")]
    assert england.population.sum() == 56550138  # row 12


@pytest.mark.real_data
def test_mye2_persons_is_males_plus_females(mye):
    wide = mye.pivot_table(index=["area_code", "age"], columns="sex", values="population", aggfunc="sum")
    assert ((wide["Male"] + wide["Female"] - wide["Persons"]).abs() <= 0.5).all()


@pytest.mark.real_data
def test_esp_bands_of_mye2_match_mye1(mye):
    bands = to_esp_bands(mye)
    assert list(bands.columns) == ["area_code", "area_name", "geography", "sex", "age_band", "population"]
    uk = bands[(bands.area_code == "K02000001") & (bands.sex == "Persons")].set_index("age_band").population
    assert list(uk.index) == list(ESP2013_AGEBANDS)
    # sheet MYE1, column 'United Kingdom': row 13 '0 to 4', row 30 '85 to 89', row 31 '90 and over'
    assert (uk["0-4"], uk["85-89"], uk["90+"]) == (3782330, 1049866, 609503)
    barnet = bands[(bands.area_code == "E09000003") & (bands.sex == "Persons")].set_index("age_band").population
    assert barnet["0-4"] == 5012 + 4944 + 5298 + 5454 + 5395  # MYE2 - Persons row 238, columns '0'..'4'
    assert barnet.sum() == 399007
    assert bands.groupby(["area_code", "sex"]).size().eq(19).all()


@pytest.mark.real_data
def test_london_broad_bands(broad):
    assert broad.attrs["layout"] == "broad_bands"
    assert list(broad.columns) == ["area_code", "area_name", "sex", "age_band", "population"]
    assert broad.area_code.nunique() == 4835
    assert set(broad.age_band) == {"0-15", "16-29", "30-44", "45-64", "65+"}
    first = broad[broad.area_code == "E01000001"].set_index(["sex", "age_band"]).population
    # line 2: Persons_0-15 258, Persons_65+ 451, Males_0-15 139, Females_65+ 233
    assert (first["Persons", "0-15"], first["Persons", "65+"]) == (258, 451)
    assert (first["Male", "0-15"], first["Female", "65+"]) == (139, 233)
    # ONS mid-2019 estimate for London (E12000007): 8,961,989
    assert broad[broad.sex == "Persons"].population.sum() == 8961989
    wide = broad.pivot_table(index=["area_code", "age_band"], columns="sex", values="population")
    assert (wide["Male"] + wide["Female"] == wide["Persons"]).all()


@pytest.mark.real_data
def test_is_population():
    assert is_population(need(MYE)) and is_population(need(BROAD))
    assert not is_population(need(REAL / "imd" / "IMD2019forLondon.csv"))
    assert not is_population(REAL / "nowhere.csv")


def test_broad_bands_cannot_be_esp_banded(tmp_path):
    header = ["LSOA11CD", "LSOA11NM", "Persons_All-Ages", "Persons_0-15", "Persons_16+"]
    pop = read_population(_write_csv(tmp_path / "b.csv", header, [["E01000001", "A", 10, 4, 6]]))
    with pytest.raises(DataFormatError) as info:
        to_esp_bands(pop)
    assert info.value.column == "age"


# -- SAPE layouts ---------------------------------------------------------------------------------


def test_sape_2021_csv(tmp_path):
    path = _sape_csv(tmp_path)
    pop = read_population(path)
    assert list(pop.columns) == ["area_code", "area_name", "sex", "age", "population"]
    assert len(pop) == 2 * 182
    assert set(pop.area_code) == {"Z01000001", "Z01000002"}  # the LSOA, not the LAD column
    first = pop[pop.area_code == "Z01000001"].set_index(["sex", "age"]).population
    assert (first["Female", 0], first["Female", 90], first["Male", 45]) == (1, 91, 2)
    assert pop.groupby("area_code").population.sum().tolist() == [sum(range(1, 92)) + 182, sum(range(1, 92))]
    assert pop.age.dtype == "int64" and pop.population.dtype == "float64"
    bands = to_esp_bands(pop)
    one = bands[(bands.area_code == "Z01000001") & (bands.sex == "Female")].set_index("age_band").population
    assert one["0-4"] == 1 + 2 + 3 + 4 + 5 and one["85-89"] == 86 + 87 + 88 + 89 + 90 and one["90+"] == 91


def test_sape_2021_xlsx_with_title_rows(tmp_path):
    path = tmp_path / "sapelsoasyoatablefinal.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Contents"
    workbook.active.append(["Lower layer Super Output Area population estimates"])
    sheet = workbook.create_sheet("Mid-2022 LSOA 2021")
    sheet.append(["Mid-2022 population estimates for LSOAs in England and Wales"])
    sheet.append(["This worksheet contains one table."])
    sheet.append([])
    sheet.append(SAPE_HEADER)
    for row in _sape_rows():
        sheet.append(row)
    sheet.append([])
    sheet.append(["Source: Office for National Statistics"])  # a footnote is not data
    workbook.save(path)
    pop = read_population(path)
    assert pop.attrs["sheets"] == ["Mid-2022 LSOA 2021"]
    assert len(pop) == 364 and pop.population.sum() == sum(r[4] for r in _sape_rows())
    # a bad total is reported on its spreadsheet row: header on row 4, second LSOA on row 6
    sheet.cell(row=6, column=5, value=1)
    workbook.save(path)
    with pytest.raises(DataFormatError, match="total is not the sum") as info:
        read_population(path)
    assert (info.value.line, info.value.column) == (6, "Total")


def test_older_sape_one_sheet_per_sex(tmp_path):
    path = tmp_path / "SAPE22DT2-mid-2019-lsoa-syoa-estimates-unformatted.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Contents"
    for sheet_name, value in (("Mid-2019 Persons", 3), ("Mid-2019 Males", 1), ("Mid-2019 Females", 2)):
        sheet = workbook.create_sheet(sheet_name)
        for line in ("Mid-2019 Population Estimates for LSOAs", "", "", ""):
            sheet.append([line])
        sheet.append(OLD_HEADER)
        sheet.append(["E01011949", "Hartlepool 001A", "E06000001", "Hartlepool", "E06000001", "Hartlepool",
                      91 * value] + [value] * 91)
    workbook.save(path)
    pop = read_population(path)
    assert pop.attrs["sheets"] == ["Mid-2019 Persons", "Mid-2019 Males", "Mid-2019 Females"]
    assert pop.groupby("sex").population.sum().to_dict() == {"Female": 182, "Male": 91, "Persons": 273}
    assert set(pop.area_code) == {"E01011949"} and set(pop.area_name) == {"Hartlepool 001A"}
    assert pop[pop.sex == "Male"].age.tolist() == list(range(91))
    only = read_population(path, sheet="Mid-2019 Males")
    assert set(only.sex) == {"Male"} and len(only) == 91


def test_sex_from_file_name_or_argument(tmp_path):
    header = ["LSOA Code", "LSOA Name", "All Ages"] + [str(a) for a in range(90)] + ["90+"]
    row = ["E01000001", "City of London 001A", 91] + [1] * 91
    males = _write_csv(tmp_path / "lsoa-syoa-males.csv", header, [row])
    assert set(read_population(males).sex) == {"Male"}
    unnamed = _write_csv(tmp_path / "lsoa-syoa.csv", header, [row])
    with pytest.raises(DataFormatError, match="cannot tell the sex"):
        read_population(unnamed)
    assert set(read_population(unnamed, sex="Female").sex) == {"Female"}


# -- errors ---------------------------------------------------------------------------------------


def _sape_with(column, value, row=1):
    rows = _sape_rows()
    rows[row][SAPE_HEADER.index(column)] = value
    return rows


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("F3", -1, "negative count"),
        ("M10", "12a", "not a number"),
        ("M90", "", "missing count"),
        ("Total", 274, "total is not the sum"),
        ("LSOA 2021 Code", "", "empty area code"),
        ("LSOA 2021 Code", "Z01000001", "duplicate area code"),
    ],
)
def test_bad_values_name_line_and_column(tmp_path, column, value, message):
    path = _sape_csv(tmp_path, _sape_with(column, value))
    with pytest.raises(DataFormatError, match=message) as info:
        read_population(path)
    assert (info.value.line, info.value.column) == (3, column)
    assert info.value.path == path


def test_area_without_numbers_is_an_error(tmp_path):
    rows = _sape_rows() + [["Z09000001", "Demo Borough", "Z01000003", "Demo 001C"] + [""] * 183]
    with pytest.raises(DataFormatError, match="missing count") as info:
        read_population(_sape_csv(tmp_path, rows))
    assert (info.value.line, info.value.column) == (4, "F0")


def test_total_within_rounding_is_accepted(tmp_path):
    rows = _sape_rows()
    rows[0][4] += 0.4
    assert len(read_population(_sape_csv(tmp_path, rows))) == 364


def test_missing_age_column(tmp_path):
    drop = SAPE_HEADER.index("F45")
    header = SAPE_HEADER[:drop] + SAPE_HEADER[drop + 1:]
    rows = [r[:drop] + r[drop + 1:] for r in _sape_rows()]
    for r in rows:
        r[4] -= 46
    with pytest.raises(DataFormatError, match="required column missing") as info:
        read_population(_sape_csv(tmp_path, rows, header=header))
    assert (info.value.line, info.value.column) == (1, "F45")


def test_missing_code_column(tmp_path):
    header = ["Total"] + SAPE_HEADER[5:]
    rows = [r[4:] for r in _sape_rows()]
    with pytest.raises(DataFormatError, match="required column missing") as info:
        read_population(_sape_csv(tmp_path, rows, header=header))
    assert info.value.column == "LSOA Code / Code" and info.value.line == 1


def test_not_a_population_file(tmp_path):
    path = _write_csv(tmp_path / "other.csv", ["a", "b"], [[1, 2]])
    with pytest.raises(DataFormatError, match="required column missing"):
        read_population(path)
    assert not is_population(path)
    with pytest.raises(MissingDataError):
        read_population(tmp_path / "missing.csv")


def test_esp_bands_need_every_single_year(tmp_path):
    pop = read_population(_sape_csv(tmp_path))
    gap = pop[~((pop.area_code == "Z01000002") & (pop.sex == "Male") & (pop.age == 45))]
    with pytest.raises(DataFormatError, match="incomplete") as info:
        to_esp_bands(gap)
    assert info.value.column == "age" and "Z01000002" in str(info.value)
    assert isinstance(to_esp_bands(pop), pd.DataFrame)

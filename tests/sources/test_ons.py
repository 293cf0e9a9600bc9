"""ONS-style spreadsheets: the real workbooks in ../shared and small made-up ones.

Expected values were read by hand from the workbooks; the sheet and cell are
given next to each (``2021localauthorities.xlsx`` 'Table 2'!E6 = 3060 …).
``test_hand_read_cells_are_where_the_comments_say`` opens the cells with
openpyxl to show where every number comes from.
"""

from __future__ import annotations

import math

import openpyxl
import pandas as pd
import pytest

from cdp_analysis.errors import DataFormatError
from cdp_analysis.sources import ons
from cdp_analysis.sources.schema import INDICATOR_COLUMNS

LA = "ons_drug_deaths/2021localauthorities.xlsx"
CSV = "ons_drug_deaths/drug_poisoning_registrations_by_LA.csv"
CSEW = "other/drugsmisusetablesjune22.xlsx"
MYE = "population/ukpopestimatesmid2020on2021geography.xls"

# (file, sheet, cell, value read by hand)
HAND_READ = [
    (LA, "Table 2", "A6", "K04000001"),
    (LA, "Table 2", "E4", 2021),
    (LA, "Table 2", "E6", 3060),        # England and Wales, drug misuse deaths registered in 2021
    (LA, "Table 1", "F6", 4561),        # England and Wales, drug poisoning deaths registered in 2020
    (LA, "Table 6", "C13", "Hartlepool"),
    (LA, "Table 6", "E4", "2019–21"),
    (LA, "Table 6", "E13", 46),         # Hartlepool, misuse, persons, 2019–21: deaths
    (LA, "Table 6", "F13", 17.7),       # rate per 100,000
    (LA, "Table 6", "H13", 12.9),       # lower 95% limit
    (LA, "Table 6", "I13", 23.7),       # upper 95% limit
    (LA, "Table 8", "C12", "Darlington"),
    (LA, "Table 8", "K4", "2018–20"),
    (LA, "Table 8", "K12", 9),          # Darlington, misuse, females, 2018–20: 9 deaths …
    (LA, "Table 8", "L12", ":"),        # … so no rate
    (LA, "Table 8", "E12", 13),         # 2019–21: 13 deaths
    (LA, "Table 8", "F12", 8.1),        # rate 8.1 …
    (LA, "Table 8", "G12", "U"),        # … flagged unreliable in its own column
    (CSEW, "1.01", "A19", "Any amphetamine"),
    (CSEW, "1.01", "B19", "[x]"),       # not asked in 1995
    (CSEW, "1.01", "A22", "Cannabis"),
    (CSEW, "1.01", "X8", "Oct 2021 to Jun 2022"),
    (CSEW, "1.01", "X22", 31.1802367666264),
    (CSEW, "3.01", "B37", "Widowed"),
    (CSEW, "3.01", "C37", "[c]"),       # cannabis, last year: suppressed
    (CSEW, "3.01", "E37", 5.347780264430605),
]


@pytest.fixture(scope="module")
def deaths(real_file):
    return ons.read_drug_deaths_by_la(real_file(LA))


def _one(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    rows = frame[mask]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# -- the real workbooks ---------------------------------------------------------------------------


@pytest.mark.real_data
def test_hand_read_cells_are_where_the_comments_say(real_file):
    books: dict[str, openpyxl.Workbook] = {}
    for file, sheet, cell, value in HAND_READ:
        if file not in books:
            books[file] = openpyxl.load_workbook(real_file(file), read_only=True, data_only=True)
        found = books[file][sheet][cell].value
        assert (found.strip() if isinstance(found, str) else found) == value, (file, sheet, cell)


@pytest.mark.real_data
def test_england_and_wales_misuse_deaths_in_2021(deaths):
    row = _one(deaths, area_code="K04000001", measure="misuse", period="2021")
    assert row["deaths"] == 3060  # 'Table 2'!E6
    assert row["area_name"] == "ENGLAND AND WALES" and row["geography_level"] == "england_and_wales"
    assert pd.isna(row["rate"]) and row["sex"] == "Persons"


@pytest.mark.real_data
def test_hartlepool_misuse_rate_and_ci_2019_21(deaths):
    row = _one(deaths, area_code="E06000001", measure="misuse", sex="Persons", period="2019-21")
    assert row["area_name"] == "Hartlepool" and row["geography_level"] == "unitary_authority"
    assert row["deaths"] == 46           # 'Table 6'!E13
    assert row["rate"] == pytest.approx(17.7)       # F13
    assert row["lower_ci"] == pytest.approx(12.9)   # H13
    assert row["upper_ci"] == pytest.approx(23.7)   # I13
    assert pd.isna(row["rate_note"])


@pytest.mark.real_data
def test_colon_rate_is_nan_with_reason_never_zero(deaths):
    row = _one(deaths, area_code="E06000005", measure="misuse", sex="Female", period="2018-20")
    assert row["deaths"] == 9            # 'Table 8'!K12
    assert pd.isna(row["rate"]) and pd.isna(row["lower_ci"]) and pd.isna(row["upper_ci"])  # L12, N12, O12 = ":"
    assert row["rate_note"] == "rate not calculated (too few deaths)"
    assert not (deaths["rate"] == 0).any()


@pytest.mark.real_data
def test_u_flag_keeps_the_rate_and_notes_it(deaths):
    row = _one(deaths, area_code="E06000005", measure="misuse", sex="Female", period="2019-21")
    assert row["deaths"] == 13 and row["rate"] == pytest.approx(8.1)  # 'Table 8'!E12, F12
    assert row["rate_note"] == "unreliable (fewer than 20 deaths)"     # G12 = "U"


@pytest.mark.real_data
def test_tables_measures_sexes_and_periods(deaths):
    combos = deaths.groupby(["table", "measure", "sex"]).size().index.tolist()
    assert combos == [
        ("Table 1", "poisoning", "Persons"), ("Table 2", "misuse", "Persons"),
        ("Table 3", "poisoning", "Persons"), ("Table 4", "poisoning", "Male"), ("Table 5", "poisoning", "Female"),
        ("Table 6", "misuse", "Persons"), ("Table 7", "misuse", "Male"), ("Table 8", "misuse", "Female"),
    ]
    three_year = deaths[deaths["table"] == "Table 3"]["period"].unique().tolist()
    assert three_year[0] == "2019-21" and three_year[-1] == "2001-03" and len(three_year) == 19
    annual = deaths[deaths["table"] == "Table 1"]["period"].unique().tolist()
    assert annual[0] == "2021" and annual[-1] == "1993" and len(annual) == 29
    assert list(deaths.columns) == list(ons.DRUG_DEATH_COLUMNS)
    assert deaths["area_code"].str.fullmatch(r"[EWK]\d{8}").all()
    assert deaths["area_name"].notna().all() and not deaths["area_name"].str.endswith(" ").any()


@pytest.mark.real_data
def test_drug_deaths_indicator_table(deaths):
    table = ons.to_indicator_table(deaths)
    assert list(table.columns) == list(INDICATOR_COLUMNS)
    row = _one(table, area_code="E06000001", indicator_id="ONS-drug-misuse-deaths-3yr", sex="Persons",
               period="2019-21")
    assert (row["value"], row["count"], row["lower_ci"], row["upper_ci"]) == (17.7, 46, 12.9, 23.7)
    assert (row["period_start"], row["unit"], row["polarity"], row["source"]) == (2019, "per 100,000",
                                                                                   "LowIsGood", "ONS")
    annual = _one(table, area_code="K04000001", indicator_id="ONS-drug-misuse-deaths-annual", period="2021")
    assert annual["value"] == 3060 and annual["unit"] == "deaths"


@pytest.mark.real_data
def test_poisoning_csv_cp1252_names_and_counts(real_file):
    frame = ons.read_drug_poisoning_csv(real_file(CSV))
    names = set(frame["area_name"])
    assert "King\u2019s Lynn and West Norfolk" in names   # byte 0x92 in the file
    assert "Isle of Anglesey / Ynys M\u00f4n" in names     # byte 0xF4
    assert _one(frame, area_code="E07000146", period="2020")["deaths"] == 11   # line 203
    assert _one(frame, area_code="W06000001", period="1993")["deaths"] == 3    # line 355, last column
    # line 2: ENGLAND AND WALES, 2020 = 4561, the same as the ONS workbook's 'Table 1'!F6
    assert _one(frame, area_code="K04000001", period="2020")["deaths"] == 4561
    assert len(frame) == 375 * 28
    assert set(frame["measure"]) == {"poisoning"} and frame["rate"].isna().all()
    assert len(ons.to_indicator_table(frame)) == len(frame)


@pytest.mark.real_data
def test_csew_x_markers_are_nan_with_reason(real_file):
    table = ons.read_ons_table(real_file(CSEW), "1.01")
    assert table.attrs["header_rows"] == [8]
    assert table.attrs["title"].startswith("Table 1.01: Proportion of 16 to 59 year olds")
    amphetamine = table[table["Drug type"] == "Any amphetamine"].iloc[0]
    assert math.isnan(amphetamine["Jan 1995 to Dec 1995"])               # B19 = "[x]"
    assert amphetamine["Jan 1995 to Dec 1995__note"] == "not available"
    cannabis = table[table["Drug type"] == "Cannabis"]
    assert cannabis.index.tolist() == [22]                              # source row
    assert cannabis["Oct 2021 to Jun 2022"].iloc[0] == pytest.approx(31.1802367666264)  # X22
    # "[s]" (significant change) is not a suppression marker: the column stays text.
    assert table["Jan 1995 to Dec 1995 Significance"].dtype == "string"
    assert table.loc[9, "Jan 1995 to Dec 1995 Significance"] == "[s]"
    assert "Any drug" in set(table["Drug type"])  # "[note 3]" removed from the label


@pytest.mark.real_data
def test_csew_c_marker_and_second_table(real_file):
    table = ons.read_ons_table(real_file(CSEW), "3.01")
    widowed = table[(table["Personal characteristics"] == "Marital status")
                    & (table["Characteristics breakdown"] == "Widowed")].iloc[0]
    assert math.isnan(widowed["Cannabis"]) and widowed["Cannabis__note"] == "confidential (suppressed)"  # C37
    assert widowed["Any drug"] == pytest.approx(5.347780264430605)                                      # E37
    assert "Any Class A drug" in table.columns  # header "Any Class A\n drug [note 3]"
    second = ons.read_ons_table(real_file(CSEW), "5.01", table=1)
    assert second.attrs["title"].startswith("Table 5.01b")
    assert second.columns[0] == "NPS or Nitrous Oxide" and len(second) == 7


@pytest.mark.real_data
def test_generic_reader_on_the_la_workbook_headers(real_file):
    table = ons.read_ons_table(real_file(LA), "Table 6", code_column="Area Codes")
    assert table.attrs["header_rows"] == [4, 5]
    assert "2019–21 | Rate" in table.columns and "2019–21 | Rate__note" in table.columns  # "Rate 1" → "Rate"
    assert "2019–21 | Lower Confidence Limit" in table.columns                          # "… Limit 2"
    assert not any(c.startswith("2019–21 |") and c.endswith(("1", "2")) for c in table.columns)
    assert table.loc[13, "2019–21 | Deaths"] == 46  # index = Excel row
    assert "Footnotes" not in set(table["Area Codes"])


@pytest.mark.real_data
def test_legacy_xls_population_sheet(real_file):
    table = ons.read_ons_table(real_file(MYE), "MYE2 - Persons", code_column="Code")
    assert table.attrs["header_rows"] == [8]
    uk = table[table["Code"] == "K02000001"].iloc[0]
    assert uk["All ages"] == 67081234  # 'MYE2 - Persons'!D9
    assert {"0", "1", "89", "90+"} <= set(table.columns)  # ages kept: not footnote numbers


# -- made-up workbooks: each rule on its own ------------------------------------------------------


def _book(tmp_path, rows: list[list], merges: tuple[str, ...] = (), name: str = "t.xlsx", sheet: str = "Table 1"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for merge in merges:
        ws.merge_cells(merge)
    path = tmp_path / name
    wb.save(path)
    return path


def _deaths_like(tmp_path, extra_rows: list[list] | None = None):
    rows = [
        ["Back to contents"],
        ["Number of deaths by local authority 1,2"],
        [],
        ["Area Codes", "Area Names", None, "2020–22", None, None, None, None, None, "2019–21"],
        [None, None, None, "Deaths", "Rate 1", None, "Lower Confidence Limit 2 [note 3]", "Upper", None, "Deaths"],
        [],
        ["E09000003", "Barnet", None, 40, 12.5, None, 8.9, 17.0, None, 35],
        ["E09000030", None, "Tower Hamlets", 12, 4.1, "U", 2.1, 7.2, None, 11],
        [None, " ", None, None, None, None, None, None, None, None],
        ["E09000001", None, "City of London", 2, ":", None, ":", ":", None, "*"],
        [None, None, None, None, ":", None, None, None, None, None],  # a stray marker, as in 'Table 6' row 142
        *(extra_rows or []),
        [],
        ["Footnotes"],
        ["1 Age-standardised rates per 100,000 population, standardised to the 2013 ESP."],
        ["2 Rates are not calculated when the number of deaths are fewer than ten."],
        ["Source: Office for National Statistics"],
    ]
    return _book(tmp_path, rows, merges=("A4:A5", "B4:C5", "D4:H4", "J4:J4"))


def test_made_up_table_headers_markers_and_flags(tmp_path):
    table = ons.read_ons_table(_deaths_like(tmp_path), "Table 1")
    assert table.attrs["header_rows"] == [4, 5]
    assert table.attrs["title"] == "Number of deaths by local authority"
    assert list(table.columns) == [
        "Area Codes", "Area Names", "Area Names.1", "2020–22 | Deaths", "2020–22 | Rate", "2020–22 | Rate__note",
        "2020–22 | Lower Confidence Limit", "2020–22 | Lower Confidence Limit__note", "2020–22 | Upper",
        "2020–22 | Upper__note", "2019–21 | Deaths", "2019–21 | Deaths__note",
    ]
    assert table.index.tolist() == [7, 8, 10, 11]  # spacer row 9 and footnotes dropped
    assert table.loc[11, "Area Codes"] == "E09000001"  # without code_column the first column is filled down
    assert table.loc[8, "2020–22 | Rate"] == 4.1 and table.loc[8, "2020–22 | Rate__note"] == "unreliable"
    assert math.isnan(table.loc[10, "2020–22 | Rate"])
    assert table.loc[10, "2020–22 | Rate__note"] == "not available"
    assert math.isnan(table.loc[10, "2019–21 | Deaths"])
    assert table.loc[10, "2019–21 | Deaths__note"] == "suppressed (small number)"
    assert pd.isna(table.loc[7, "2020–22 | Rate__note"])


@pytest.mark.parametrize(("marker", "reason"), [
    ("*", "suppressed (small number)"), ("x", "not available"), (":", "not available"), ("..", "not available"),
    ("[c]", "confidential (suppressed)"), ("[x]", "not available"), ("[z]", "not applicable"),
    ("[u]", "unreliable"), ("[low]", "low reliability"),
])
def test_each_marker_is_nan_with_its_reason(tmp_path, marker, reason):
    path = _book(tmp_path, [["Title"], ["Area", "Value"], ["A", 1.5], ["B", marker]])
    table = ons.read_ons_table(path, 0)
    assert table["Value"].tolist()[0] == 1.5 and math.isnan(table["Value"].tolist()[1])
    assert table["Value__note"].tolist()[1] == reason


def test_number_with_flag_suffix_keeps_the_number(tmp_path):
    path = _book(tmp_path, [["Title"], ["Age", "Rate"], ["10-14", "0.9*"], ["15-19", 15.8]])
    table = ons.read_ons_table(path, "Table 1")
    assert table["Rate"].tolist() == [0.9, 15.8]
    assert table["Rate__note"].tolist()[0] == "low reliability (marked *)"


def test_text_in_a_numeric_column_names_the_cell(tmp_path):
    path = _deaths_like(tmp_path, extra_rows=[["E09000002", "Barking", None, "forty", 1, None, 1, 2, None, 3],
                                              ["E09000004", "Bexley", None, 50, 1, None, 1, 2, None, 3]])
    with pytest.raises(DataFormatError) as info:
        ons.read_ons_table(path, "Table 1")
    error = info.value
    assert (error.line, error.column) == (12, "2020–22 | Deaths")
    assert "cell D12" in str(error) and "'forty'" in str(error) and "t.xlsx" in str(error)


def test_code_column_drops_rows_without_code_and_rejects_bad_codes(tmp_path):
    table = ons.read_ons_table(_deaths_like(tmp_path), "Table 1", code_column="A")
    assert table["Area Codes"].tolist() == ["E09000003", "E09000030", "E09000001"]  # the stray row 11 dropped
    bad = _deaths_like(tmp_path, extra_rows=[["Barnet!", "x", None, 1, 1, None, 1, 2, None, 3]])
    with pytest.raises(DataFormatError) as info:
        ons.read_ons_table(bad, "Table 1", code_column="Area Codes")
    assert (info.value.line, info.value.column) == (12, "Area Codes") and "not an area code" in str(info.value)


def test_explicit_header_rows(tmp_path):
    path = _book(tmp_path, [["A note", "with two cells"], ["Region", "Count"], ["North", 3], ["South", 4]])
    fooled = ons.read_ons_table(path, "Table 1")  # the note row is taken for a header row …
    assert list(fooled.columns) == ["Region", "with two cells | Count"]
    table = ons.read_ons_table(path, "Table 1", header_rows=2)  # … which header_rows fixes
    assert list(table.columns) == ["Region", "Count"] and table["Count"].tolist() == [3, 4]


def test_section_labels_fill_the_first_column_down(tmp_path):
    rows = [["Table 1"], ["Deaths by sex 1"], [],
            ["Sex", "Year", "Deaths"], ["Persons"], [None, 2021, 10], [None, 2020, 12],
            ["Males"], [None, 2021, 6], [None, 2020, 7], [], ["1 Figures are for deaths registered in the year shown."]]
    table = ons.read_ons_table(_book(tmp_path, rows), "Table 1")
    assert table["Sex"].tolist() == ["Persons", "Persons", "Males", "Males"]
    assert table["Year"].tolist() == [2021, 2020, 2021, 2020]
    assert table.index.tolist() == [6, 7, 9, 10]


def test_unknown_sheet_and_not_a_workbook(tmp_path):
    path = _book(tmp_path, [["Area", "Value"], ["A", 1]])
    with pytest.raises(DataFormatError, match="no such sheet"):
        ons.read_ons_table(path, "Table 9")
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    with pytest.raises(DataFormatError, match="cannot open the workbook"):
        ons.read_ons_table(junk, 0)


def test_drug_deaths_reader_rejects_another_workbook(tmp_path):
    path = _book(tmp_path, [["Area", "Value"], ["A", 1]])
    with pytest.raises(DataFormatError, match="no drug-deaths-by-local-authority tables"):
        ons.read_drug_deaths_by_la(path)


def test_poisoning_csv_errors(tmp_path):
    path = tmp_path / "deaths.csv"
    path.write_text("code,name,2020,2019\nE09000003,Barnet,4,-1\n")
    with pytest.raises(DataFormatError) as info:
        ons.read_drug_poisoning_csv(path)
    assert (info.value.line, info.value.column) == (2, "2019") and "negative" in str(info.value)
    path.write_text("code,nom,2020\nE09000003,Barnet,4\n")
    with pytest.raises(DataFormatError) as info:
        ons.read_drug_poisoning_csv(path)
    assert (info.value.line, info.value.column) == (1, "name")

"""Fingertips export reader: the real files in ../shared and one bad file per error.

Expected values were read from the files by hand (``grep``/a text editor), not
from this reader's output:

* ``indicator-93495-all-areas.csv`` line 2 is the England row:
  ``…,2017,16.91715193,16.16617826,18.04165377,,,7609581.758,44981459,…``;
  ``grep -c ",<Area Type>,Persons,"`` gives the rows per Area Type.
* ``indicators-CountyUA.data.csv``: every record spans two lines (the quoted
  Indicator Name ends with a bare LF), so record *n* starts on line ``2n``; the
  England 2015 headline record is lines 2–3; Hackney 2015 "All ages" starts on
  line 270 (``grep -n`` shows its second line, 271); the last record starts on
  line 1704; ``grep -c "deprivation deciles"`` gives 60.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cdp_analysis.errors import DataFormatError
from cdp_analysis.sources import fingertips as ft
from cdp_analysis.sources.schema import INDICATOR_COLUMNS

pytestmark = pytest.mark.real_data

MODERN = "indicator-93495-all-areas.csv"
OLDER = "indicators-CountyUA.data.csv"


@pytest.fixture(scope="module")
def modern(real_file):
    return ft.read_export(real_file(f"fingertips/{MODERN}"))


@pytest.fixture(scope="module")
def older(real_file):
    return ft.read_export(real_file(f"fingertips/{OLDER}"))


# -- real files -----------------------------------------------------------------------------------


def test_is_export_recognises_both_real_header_variants(real_file):
    assert ft.is_export(real_file(f"fingertips/{MODERN}"))
    assert ft.is_export(real_file(f"fingertips/{OLDER}"))


def test_modern_export_england_row(modern):
    england = modern[modern["Area Code"] == "E92000001"]
    assert len(england) == 1
    row = england.iloc[0]
    assert row["Value"] == pytest.approx(16.91715193, abs=1e-12)
    assert row["Count"] == pytest.approx(7609581.758, abs=1e-9)  # modelled: not a whole number
    assert row["Denominator"] == 44981459
    assert row["Lower CI 95.0 limit"] == pytest.approx(16.16617826, abs=1e-12)
    assert row["Upper CI 95.0 limit"] == pytest.approx(18.04165377, abs=1e-12)
    assert math.isnan(row["Lower CI 99.8 limit"])
    assert england.index[0] == 2  # editor line


def test_modern_export_rows_per_area_type(modern):
    expected = {"England": 1, "Region": 9, "County": 27, "UA": 126, "District": 201,
                "CCG": 195, "STP": 42, "ICBs": 29, "ICB sub-locations": 74}
    assert modern["Area Type"].value_counts().to_dict() == expected
    assert len(modern) == 704


def test_modern_export_columns_typed_and_column_not_used_dropped(modern):
    assert "Column not used" not in modern.columns
    assert "Time period range" in modern.columns and set(modern["Time period range"]) == {"1y"}
    assert modern["Indicator ID"].dtype == "Int64" and set(modern["Indicator ID"]) == {93495}
    assert modern["Time period Sortable"].dtype == "Int64"
    assert set(modern["Value note"]) == {"Value is modelled or synthetic estimate"}
    assert modern["is_headline"].all()
    assert len(modern.columns) == 27 - 1 + 1  # 27 published, one dropped, is_headline added


def test_older_export_line_numbers_follow_embedded_newlines(older):
    assert len(older) == 852
    assert older.index[0] == 2 and older.index[1] == 4
    assert older.index[-1] == 1704
    hackney = older[(older["Area Name"] == "Hackney") & (older["Age"] == "All ages")
                    & (older["Time period"] == "2015")]
    assert list(hackney.index) == [270]
    assert hackney["Value"].iloc[0] == pytest.approx(59.4018770993163)


def test_older_export_england_2015_headline(older):
    row = older.loc[2]
    assert (row["Area Code"], row["Time period"], row["Sex"], row["Age"]) == ("E92000001", "2015", "Persons",
                                                                           "All ages")
    assert row["Value"] == pytest.approx(94.7261896202678)
    assert (row["Count"], row["Denominator"]) == (51897, 54786327)
    assert row["is_headline"]


def test_combined_area_notes_give_nan_values_never_zero(older):
    note = "Value for Hackney and City of London combined"
    noted = older[older["Value note"] == note]
    assert len(noted) == 10
    city = noted[noted["Area Name"] == "City of London"]
    hackney = noted[noted["Area Name"] == "Hackney"]
    assert len(city) == 5 and len(hackney) == 5
    assert city["Value"].isna().all() and city["Count"].isna().all()
    assert (hackney["Value"] > 0).all()
    # Every empty Value in the file (City of London, Isles of Scilly) is NaN, none is 0.
    assert older["Value"].isna().sum() == 10
    assert not (older["Value"] == 0).any()
    empty = older[older["Value"].isna()]
    assert set(empty["Area Name"]) == {"City of London", "Isles of Scilly"}


def test_deprivation_decile_rows_are_not_headline(older):
    deciles = older[~older["is_headline"]]
    assert len(deciles) == 60
    assert deciles["Category Type"].str.contains("deprivation deciles").all()
    assert "Most deprived decile (IMD2015)" in set(deciles["Category"])


def test_indicator_table_from_both_exports(modern, older):
    for frame, ident, start, unit in ((modern, "93495", 2017, "%"), (older, "93356", 2015, "per 100,000")):
        table = ft.to_indicator_table(frame)
        assert list(table.columns) == list(INDICATOR_COLUMNS)
        assert len(table) == len(frame)
        assert set(table["indicator_id"]) == {ident}
        assert table["period_start"].min() == start
        assert set(table["unit"]) == {unit}
        assert set(table["source"]) == {"Fingertips"}
    table = ft.to_indicator_table(older)
    assert set(table["indicator_name"]) == {"Campylobacter incidence rate/100,000"}  # no trailing newline
    headline = table[table["category_type"] == ""]
    assert len(headline) == 792
    assert table["value"].isna().sum() == 10


def test_indicator_table_polarity_and_unit_from_metadata(modern):
    metadata = pd.DataFrame({"Indicator ID": [93495], "Unit": ["per cent"], "Polarity": ["RAG - Low is good   "]})
    table = ft.to_indicator_table(modern, metadata=metadata)
    assert set(table["polarity"]) == {"LowIsGood"}
    assert set(table["unit"]) == {"per cent"}


# -- period labels --------------------------------------------------------------------------------


def test_period_sort_key_orders_three_year_periods_by_end_year():
    periods = ["2019 - 21", "2020", "2017 - 19", "2018 - 20", "2021"]
    assert sorted(periods, key=ft.period_sort_key) == ["2017 - 19", "2018 - 20", "2020", "2019 - 21", "2021"]


@pytest.mark.parametrize(("earlier", "later"), [
    ("2015/16", "2016"),          # financial year ends in March
    ("2016", "2016/17"),
    ("2016/17 - 18/19", "2019"),
    ("2019/20 Q1", "2019/20 Q2"),
    ("2017 Q4", "2018 Q1"),
    ("Aug 2014", "Sep 2014"),
    ("2019–21", "2020 - 22"),      # ONS en dash
    ("2011 - 2016", "2012 - 2017"),
    ("2021", "not a period"),     # unreadable labels sort last
])
def test_period_sort_key_pairs(earlier, later):
    assert ft.period_sort_key(earlier) < ft.period_sort_key(later)


# -- bad input: one small file per error ----------------------------------------------------------

HEADER = ("Indicator ID,Indicator Name,Parent Code,Parent Name,Area Code,Area Name,Area Type,Sex,Age,"
          "Category Type,Category,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,"
          "Lower CI 99.8 limit,Upper CI 99.8 limit,Count,Denominator,Value note,Recent Trend,"
          "Compared to England value or percentiles,Column not used,Time period Sortable,New data,"
          "Compared to goal,Time period range")
COLUMNS = HEADER.split(",")


def _row(**changes: str) -> str:
    values = {
        "Indicator ID": "92432", "Indicator Name": "Deaths from drug misuse", "Parent Code": "E12000007",
        "Parent Name": "London region", "Area Code": "E09000003", "Area Name": "Barnet", "Area Type": "UA",
        "Sex": "Persons", "Age": "All ages", "Time period": "2019 - 21", "Value": "2.5",
        "Lower CI 95.0 limit": "1.7", "Upper CI 95.0 limit": "3.4", "Count": "27", "Denominator": "1190000",
        "Compared to England value or percentiles": "Better", "Column not used": "Not compared",
        "Time period Sortable": "20190000", "Time period range": "3y",
    }
    values.update(changes)
    fields = []
    for column in COLUMNS:
        value = values.get(column, "")
        fields.append(f'"{value}"' if any(ch in value for ch in ',"\n') else value)
    return ",".join(fields)


def _write(tmp_path, name: str, lines: list[str], newline: str = "\r\n", encoding: str = "utf-8") -> object:
    path = tmp_path / name
    path.write_bytes(newline.join(lines).encode(encoding))
    return path


def _error(path) -> DataFormatError:
    with pytest.raises(DataFormatError) as info:
        ft.read_export(path)
    error = info.value
    assert path.name in str(error)
    return error


def test_small_valid_file(tmp_path):
    path = _write(tmp_path, "ok.csv", [HEADER, _row(), _row(**{"Area Code": "E09000030"})])
    frame = ft.read_export(path)
    assert list(frame.index) == [2, 3]
    assert frame["Value"].tolist() == [2.5, 2.5]
    assert ft.to_indicator_table(frame)["period_start"].tolist() == [2019, 2019]


def test_missing_required_column(tmp_path):
    lines = [HEADER.replace(",Value,", ",Valeur,"), _row()]
    error = _error(_write(tmp_path, "nocol.csv", lines))
    assert (error.line, error.column) == (1, "Value")
    assert "required column missing" in str(error)


@pytest.mark.parametrize("column", ["Value", "Count", "Denominator", "Lower CI 95.0 limit"])
def test_non_numeric_value(tmp_path, column):
    lines = [HEADER, _row(), _row(**{column: "twelve"})]
    error = _error(_write(tmp_path, "text.csv", lines))
    assert (error.line, error.column) == (3, column)
    assert "not a number" in str(error) and "'twelve'" in str(error)


@pytest.mark.parametrize("column", ["Count", "Denominator"])
def test_negative_count(tmp_path, column):
    error = _error(_write(tmp_path, "neg.csv", [HEADER, _row(), _row(), _row(**{column: "-3"})]))
    assert (error.line, error.column) == (4, column)
    assert "negative" in str(error)


def test_lower_ci_above_upper(tmp_path):
    row = _row(**{"Lower CI 95.0 limit": "3.9", "Upper CI 95.0 limit": "1.2"})
    error = _error(_write(tmp_path, "ci.csv", [HEADER, row]))
    assert (error.line, error.column) == (2, "Lower CI 95.0 limit")
    assert "lower confidence limit above the upper" in str(error)


def test_wrong_delimiter(tmp_path):
    lines = [HEADER.replace(",", ";"), _row().replace(",", ";")]
    error = _error(_write(tmp_path, "semicolon.csv", lines))
    assert error.line == 1 and error.column == "Indicator ID"
    assert "delimiter" in str(error)


def test_truncated_file_cut_mid_row(tmp_path):
    last = _row(**{"Area Code": "E09000030"})
    cut = last[: last.index("1190000")]  # stops inside the Denominator field
    error = _error(_write(tmp_path, "cut.csv", [HEADER, _row(), cut]))
    assert "truncated" in str(error)
    assert error.line == 3 and error.column == "Value note"


def test_truncated_inside_quoted_field(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_bytes((HEADER + "\r\n" + _row() + "\r\n" + '92432,"Deaths from dr').encode())
    error = _error(path)
    assert "quoted field" in str(error) and error.line == 3


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    error = _error(path)
    assert "empty" in str(error) and error.line == 1


def test_wrong_number_of_fields_in_the_middle(tmp_path):
    lines = [HEADER, _row(), _row() + ",extra", _row()]
    error = _error(_write(tmp_path, "wide.csv", lines))
    assert error.line == 3 and "wrong number of fields" in str(error)


def test_missing_area_code(tmp_path):
    error = _error(_write(tmp_path, "noarea.csv", [HEADER, _row(**{"Area Code": ""})]))
    assert (error.line, error.column) == (2, "Area Code")


def test_error_line_counts_embedded_newlines(tmp_path):
    """Record 2 spans lines 4–5; its Value is on line 5, after the name's newline."""
    name = "Deaths from drug misuse\n"
    lines = [HEADER, _row(**{"Indicator Name": name}), _row(**{"Indicator Name": name, "Value": "n/a"})]
    error = _error(_write(tmp_path, "multiline.csv", lines))
    assert (error.line, error.column) == (5, "Value")


def test_bom_and_cp1252_are_decoded(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (HEADER + "\r\n" + _row()).encode())
    assert ft.is_export(bom)
    assert ft.read_export(bom)["Area Name"].tolist() == ["Barnet"]
    cp = _write(tmp_path, "cp1252.csv", [HEADER, _row(**{"Area Name": "Ynys Môn", "Area Code": "W06000001"})],
                encoding="cp1252")
    assert ft.read_export(cp)["Area Name"].tolist() == ["Ynys Môn"]


def test_unknown_extra_column_is_kept(tmp_path):
    lines = [HEADER + ",Something new", _row() + ",hello"]
    frame = ft.read_export(_write(tmp_path, "extra.csv", lines))
    assert frame["Something new"].tolist() == ["hello"]


def test_is_export_is_false_for_other_files(tmp_path):
    other = tmp_path / "meta.csv"
    other.write_text("Indicator ID,Indicator,Definition\n1,x,y\n")
    assert not ft.is_export(other)
    assert not ft.is_export(tmp_path / "does-not-exist.csv")


# -- the third header variant, unmet need, deprivation deciles --------------------------------------

THIRD = "la_hospital_admissions_2324.csv"
_VARIANTS = {MODERN: "Column not used", OLDER: "Compared to Region value or percentiles",
             THIRD: "Compared to percentiles", "unmet_opiates.csv": "Column not used",
             "unmet_alcohol.csv": "Column not used"}


def _csv_records(path):
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("name", sorted(_VARIANTS))
def test_every_real_header_variant_reads_into_the_indicator_table(real_file, name):
    path = real_file(f"fingertips/{name}")
    records = _csv_records(path)
    header = [h.strip() for h in records[0]]
    assert header[22] == _VARIANTS[name]  # column 23, as published
    assert ft.is_export(path)
    frame = ft.read_export(path)
    assert "Column not used" not in frame.columns
    assert len(frame) == len(records) - 1
    table = ft.to_indicator_table(frame)
    assert len(table) == len(records) - 1
    ids = {r[header.index("Indicator ID")] for r in records[1:]}
    assert set(table["indicator_id"]) == ids
    values = [float(r[header.index("Value")]) if r[header.index("Value")] else math.nan for r in records[1:]]
    assert table["value"].astype("float64").tolist() == pytest.approx(values, nan_ok=True)


def test_unmet_need_exports_are_93517_and_93532(real_file):
    for name, ident in (("unmet_opiates.csv", "93517"), ("unmet_alcohol.csv", "93532")):
        records = _csv_records(real_file(f"fingertips/{name}"))
        header = records[0]
        england = [r for r in records[1:] if r[header.index("Area Code")] == "E92000001"]
        table = ft.to_indicator_table(ft.read_export(real_file(f"fingertips/{name}")))
        assert set(table["indicator_id"]) == {ident}
        got = table[table["area_code"].eq("E92000001")].sort_values("period")
        england.sort(key=lambda r: r[header.index("Time period")])
        assert got["value"].astype(float).tolist() == pytest.approx(
            [float(r[header.index("Value")]) for r in england])
        assert got["count"].astype(float).tolist() == pytest.approx(
            [float(r[header.index("Count")]) for r in england])  # 3-year averages: not whole


def test_deprivation_decile_rows_reach_the_indicator_table(real_file):
    path = real_file(f"fingertips/{THIRD}")
    records = _csv_records(path)
    header = records[0]
    kinds = [r[header.index("Category Type")] for r in records[1:]]
    expected = sum("deprivation deciles" in k for k in kinds)
    table = ft.to_indicator_table(ft.read_export(path))
    deciles = ft.deprivation_rows(table)
    assert len(deciles) == expected > 0
    wanted = "County & UA deprivation deciles in England (IMD2019, 4/23 geography)"
    latest = deciles[deciles["category_type"].eq(wanted)]
    assert sorted(latest["decile"].unique()) == list(range(1, 11))
    most = [r for r in records[1:] if r[header.index("Category Type")] == wanted
            and r[header.index("Category")] == "Most deprived decile (IMD2019)"
            and r[header.index("Time period")] == "2022/23" and r[header.index("Sex")] == "Persons"]
    got = latest[latest["decile"].eq(1) & latest["period"].eq("2022/23") & latest["sex"].eq("Persons")]
    assert got["value"].astype(float).tolist() == pytest.approx(
        [float(r[header.index("Value")]) for r in most])


@pytest.mark.parametrize(("category", "decile"), [
    ("Most deprived decile (IMD2019)", 1), ("Second most deprived decile (IMD2019)", 2),
    ("Third more deprived decile (IMD2019)", 3), ("Fourth more deprived decile (IMD2019)", 4),
    ("Fifth more deprived decile (IMD2019)", 5), ("Fifth less deprived decile (IMD2019)", 6),
    ("Fourth less deprived decile (IMD2019)", 7), ("Third less deprived decile (IMD2019)", 8),
    ("Second least deprived decile (IMD2019)", 9), ("Least deprived decile (IMD2015)", 10),
    ("Persons", None), ("", None), (None, None),
])
def test_deprivation_decile_names(category, decile):
    assert ft.deprivation_decile(category) == decile

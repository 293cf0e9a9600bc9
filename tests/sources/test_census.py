"""Tests of the Census 2021 ethnic group reader (``cdp_analysis.sources.census``).

The sample files are small and written here, in the published layouts: the ONS
"create a custom dataset" CSV (6 and 20 categories) and the Nomis bulk TS021 CSV.
The counts are invented; the totals in the comments are worked by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cdp_analysis.errors import DataFormatError, MissingDataError
from cdp_analysis.sources.census import (
    CENSUS_COLUMNS,
    CENSUS_ETHNIC_GROUPS,
    is_census_ethnicity,
    read_census_ethnicity,
)

ASIAN, BLACK, MIXED, WHITE, OTHER = CENSUS_ETHNIC_GROUPS
HEADER_6 = ("Lower tier local authorities Code,Lower tier local authorities,"
            "Ethnic group (6 categories) Code,Ethnic group (6 categories),Observation")
SIX = f"""{HEADER_6}
E09000001,City of London,-8,Does not apply,0
E09000001,City of London,1,"Asian, Asian British or Asian Welsh",1500
E09000001,City of London,2,"Black, Black British, Black Welsh, Caribbean or African",250
E09000001,City of London,3,Mixed or Multiple ethnic groups,400
E09000001,City of London,4,White,6300
E09000001,City of London,5,Other ethnic group,200
E09000033,Westminster,-8,Does not apply,0
E09000033,Westminster,1,"Asian, Asian British or Asian Welsh",36000
E09000033,Westminster,2,"Black, Black British, Black Welsh, Caribbean or African",15000
E09000033,Westminster,3,Mixed or Multiple ethnic groups,11000
E09000033,Westminster,4,White,116000
E09000033,Westminster,5,Other ethnic group,27000
"""
_DETAIL = [
    ("Asian, Asian British or Asian Welsh: Bangladeshi", 10), ("Asian, Asian British or Asian Welsh: Chinese", 20),
    ("Asian, Asian British or Asian Welsh: Indian", 30), ("Asian, Asian British or Asian Welsh: Pakistani", 40),
    ("Asian, Asian British or Asian Welsh: Other Asian", 50),
    ("Black, Black British, Black Welsh, Caribbean or African: African", 60),
    ("Black, Black British, Black Welsh, Caribbean or African: Caribbean", 70),
    ("Black, Black British, Black Welsh, Caribbean or African: Other Black", 80),
    ("Mixed or Multiple ethnic groups: White and Asian", 1),
    ("Mixed or Multiple ethnic groups: White and Black African", 2),
    ("Mixed or Multiple ethnic groups: White and Black Caribbean", 3),
    ("Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups", 4),
    ("White: English, Welsh, Scottish, Northern Irish or British", 1000), ("White: Irish", 100),
    ("White: Gypsy or Irish Traveller", 5), ("White: Roma", 6), ("White: Other White", 200),
    ("Other ethnic group: Arab", 7), ("Other ethnic group: Any other ethnic group", 8),
]


def _twenty(lines: list[tuple[str, int]] | None = None) -> str:
    header = ("Lower layer Super Output Areas Code,Lower layer Super Output Areas,"
              "Ethnic group (20 categories) Code,Ethnic group (20 categories),Observation")
    rows = ["E01000001,City of London 001A,-8,Does not apply,0"]
    rows += [f'E01000001,City of London 001A,{k},"{label}",{n}' for k, (label, n) in
             enumerate(lines if lines is not None else _DETAIL, start=1)]
    return header + "\n" + "\n".join(rows) + "\n"


def _write(tmp_path: Path, text: str, name: str = "census.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# reading ---------------------------------------------------------------------------------------------
def test_six_categories(tmp_path: Path) -> None:
    out = read_census_ethnicity(_write(tmp_path, SIX))
    assert list(out.columns) == list(CENSUS_COLUMNS)
    assert len(out) == 10  # 2 areas × 5 groups; "Does not apply" dropped
    assert list(out["area_code"].unique()) == ["E09000001", "E09000033"]
    city = out[out["area_code"] == "E09000001"].set_index("ethnic_group")["population"]
    assert list(city.index) == list(CENSUS_ETHNIC_GROUPS)
    assert city.to_dict() == {ASIAN: 1500, BLACK: 250, MIXED: 400, WHITE: 6300, OTHER: 200}
    assert city.sum() == 8650  # 1500 + 250 + 400 + 6300 + 200
    assert set(out.loc[out["area_code"] == "E09000033", "area_name"]) == {"Westminster"}
    assert str(out["population"].dtype) == "int64" and str(out["area_code"].dtype) == "string"
    assert out.attrs["layout"] == "long" and out.attrs["categories"] == 6
    assert out.attrs["area_type"] == "Lower tier local authorities"


def test_twenty_categories_roll_up_into_the_five_groups(tmp_path: Path) -> None:
    out = read_census_ethnicity(_write(tmp_path, _twenty()))
    groups = out.set_index("ethnic_group")["population"]
    # Asian 10+20+30+40+50 = 150; Black 60+70+80 = 210; Mixed 1+2+3+4 = 10;
    # White 1000+100+5+6+200 = 1311; Other 7+8 = 15
    assert groups.to_dict() == {ASIAN: 150, BLACK: 210, MIXED: 10, WHITE: 1311, OTHER: 15}
    assert out.attrs["categories"] == 20
    assert out.attrs["area_type"] == "Lower layer Super Output Areas"
    assert set(out["area_name"]) == {"City of London 001A"}


def test_does_not_apply_is_dropped_even_when_not_zero(tmp_path: Path) -> None:
    out = read_census_ethnicity(_write(tmp_path, SIX.replace("Does not apply,0", "Does not apply,9")))
    assert out["population"].sum() == 8650 + 205_000


def test_other_area_types_case_bom_windows_text_and_crlf(tmp_path: Path) -> None:
    text = SIX.replace("Lower tier local authorities", "Upper Tier Local Authorities").replace(
        "City of London", "Cité of London").replace("\n", "\r\n")
    out = read_census_ethnicity(_write(tmp_path, "\ufeff" + text, encoding="utf-8"))
    assert out.attrs["area_type"] == "Upper Tier Local Authorities"
    assert "Cité of London" in set(out["area_name"])
    windows = read_census_ethnicity(_write(tmp_path, text, "cp1252.csv", encoding="cp1252"))
    assert "Cité of London" in set(windows["area_name"])


def test_wide_bulk_layout(tmp_path: Path) -> None:
    detail = [f'"Ethnic group: {label}; measures: Value"' for label, _ in _DETAIL]
    broad = [f'"Ethnic group: {g}; measures: Value"' for g in CENSUS_ETHNIC_GROUPS]
    header = ",".join(["date", "geography", "geography code",
                       '"Ethnic group: Total: All usual residents; measures: Value"', *broad, *detail])
    values = [str(n) for _, n in _DETAIL]
    # broad columns deliberately differ from the sum of their details: the broad ones are used
    row = ",".join(["2021", "City of London 001A", "E01000001", "1711", "150", "210", "10", "1311", "30", *values])
    out = read_census_ethnicity(_write(tmp_path, header + "\n" + row + "\n", "census2021-ts021-lsoa.csv"))
    assert out.set_index("ethnic_group")["population"].to_dict() == {
        ASIAN: 150, BLACK: 210, MIXED: 10, WHITE: 1311, OTHER: 30}
    assert out.attrs["layout"] == "wide" and out.attrs["categories"] is None
    # without the broad columns the details are summed (Other: 7 + 8 = 15)
    header_detail = ",".join(["date", "geography", "geography code", *detail])
    row_detail = ",".join(["2021", "City of London 001A", "E01000001", *values])
    out = read_census_ethnicity(_write(tmp_path, header_detail + "\n" + row_detail + "\n", "detail.csv"))
    assert out.set_index("ethnic_group")["population"].to_dict() == {
        ASIAN: 150, BLACK: 210, MIXED: 10, WHITE: 1311, OTHER: 15}


# recognising -------------------------------------------------------------------------------------------
def test_is_census_ethnicity(tmp_path: Path) -> None:
    assert is_census_ethnicity(_write(tmp_path, SIX))
    assert is_census_ethnicity(_write(tmp_path, _twenty(), "twenty.csv"))
    assert not is_census_ethnicity(_write(tmp_path, "LSOA21CD,LSOA21NM\nE01000001,x\n", "lookup.csv"))
    assert not is_census_ethnicity(_write(tmp_path, "", "empty.csv"))
    assert not is_census_ethnicity(tmp_path / "missing.csv")
    (tmp_path / "binary.csv").write_bytes(b"\x00\xff\xfe\x00" * 10)
    assert not is_census_ethnicity(tmp_path / "binary.csv")
    assert not is_census_ethnicity(_write(tmp_path, SIX, "census.txt"))


# errors ------------------------------------------------------------------------------------------------
def _error(tmp_path: Path, text: str) -> DataFormatError:
    with pytest.raises(DataFormatError) as info:
        read_census_ethnicity(_write(tmp_path, text, "bad.csv"))
    assert info.value.path == tmp_path / "bad.csv"
    return info.value


@pytest.mark.parametrize(("bad", "message", "found"), [
    ("2x0", "not a number", "'2x0'"),
    ("-250", "negative count", "'-250'"),
    ("", "empty count", "''"),
    ("250.5", "not a whole number", "'250.5'"),
    ("inf", "not a number", "'inf'"),
])
def test_bad_observation(tmp_path: Path, bad: str, message: str, found: str) -> None:
    text = SIX.replace("Caribbean or African\",250", f"Caribbean or African\",{bad}")
    error = _error(tmp_path, text)
    assert (error.line, error.column) == (4, "Observation")  # header line 1, "Does not apply" 2, Asian 3
    assert message in str(error) and found in str(error)


def test_blank_lines_do_not_shift_line_numbers(tmp_path: Path) -> None:
    lines = SIX.splitlines()
    lines.insert(2, "")
    lines[4] = lines[4].replace(",250", ",x")
    error = _error(tmp_path, "\n".join(lines) + "\n")
    assert error.line == 5


def test_missing_columns(tmp_path: Path) -> None:
    no_observation = SIX.replace(",Observation", ",Count")
    error = _error(tmp_path, no_observation)
    assert error.line == 1 and "not a Census 2021 ethnic group table" in str(error)
    no_area = "\n".join(",".join(line.split(",")[2:]) for line in SIX.replace(
        '"Asian, Asian British or Asian Welsh"', "Asian").replace(
        '"Black, Black British, Black Welsh, Caribbean or African"', "Black").splitlines())
    error = _error(tmp_path, no_area + "\n")
    assert error.line == 1 and error.column == "<area type> Code"
    wide = "date,geography,geography code,Ethnic group: White\n2021,x,E01000001,5\n"
    error = _error(tmp_path, wide)
    assert error.line == 1 and error.column == f"Ethnic group: {ASIAN}"


def test_unknown_category(tmp_path: Path) -> None:
    error = _error(tmp_path, SIX.replace("Mixed or Multiple ethnic groups,400", "Mixed,400"))
    assert (error.line, error.column) == (5, "Ethnic group (6 categories)")
    assert "unknown ethnic group category" in str(error) and "'Mixed'" in str(error)
    # a 20-category label in a 6-category file is unknown too
    error = _error(tmp_path, SIX.replace("4,White,6300", "4,White: Irish,6300"))
    assert error.line == 6


def test_repeated_and_missing_categories_and_short_rows(tmp_path: Path) -> None:
    lines = SIX.splitlines()
    repeated = "\n".join([*lines, lines[5]]) + "\n"
    error = _error(tmp_path, repeated)
    assert error.line == 14 and "twice" in str(error)
    cut = "\n".join(lines[:5]) + "\n"  # City of London without White and Other
    error = _error(tmp_path, cut)
    assert error.line == 2 and "lacks categories" in str(error) and "'White'" in str(error)
    short = "\n".join([*lines[:3], "E09000001,City of London,2"]) + "\n"
    error = _error(tmp_path, short)
    assert error.line == 4 and "too few fields" in str(error)
    error = _error(tmp_path, SIX.replace("E09000033,Westminster,4", ",Westminster,4"))
    assert error.line == 12 and "empty area code" in str(error)  # Westminster White: 1 + 6 + 5


def test_header_only_is_an_error(tmp_path: Path) -> None:
    error = _error(tmp_path, HEADER_6 + "\n")
    assert error.line == 2 and "no data rows" in str(error)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError):
        read_census_ethnicity(tmp_path / "nope.csv")

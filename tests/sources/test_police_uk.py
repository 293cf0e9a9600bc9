"""sources.police_uk: the real data.police.uk files in ../shared, and bad inputs.

Expected values are counted in the raw files with the csv module, independently
of the reader; bad inputs are small files made in ``tmp_path`` from real rows.
"""

from __future__ import annotations

import csv
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdp_analysis.errors import DataFormatError, MissingDataError, SchemaError
from cdp_analysis.sources.police_uk import (
    OUTCOMES_COLUMNS,
    STOP_SEARCH_COLUMNS,
    STREET_COLUMNS,
    crimes_in_lsoas,
    find_police_files,
    missing_months,
    parse_police_name,
    read_outcomes,
    read_stop_and_search,
    read_street_crime,
)

POLICE = Path("data/real/police_uk")
CITY = POLICE / "city-of-london"
APRIL = CITY / "2018-04-city-of-london-street.csv"
MET_SAMPLE = POLICE / "2023-01-metropolitan-street-sample.csv"
# The City of London's LSOAs (2011) as the brief lists them; E01000004 does not exist.
CITY_LSOAS = ["E01000001", "E01000002", "E01000003", "E01000004", "E01000005", "E01032739", "E01032740"]


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def city(require_shared) -> Path:
    return require_shared(CITY)


@pytest.fixture(scope="module")
def april(require_shared) -> Path:
    return require_shared(APRIL)


@pytest.fixture(scope="module")
def city_frame(city: Path) -> pd.DataFrame:
    return read_street_crime(city)


# --------------------------------------------------------------------------- real files
def test_city_lsoa_codes_are_those_named_city_of_london(city: Path) -> None:
    named = {r["LSOA code"] for f in city.glob("*-street.csv") for r in rows_of(f)
             if r["LSOA name"].startswith("City of London")}
    assert named == set(CITY_LSOAS) - {"E01000004"}


def test_drugs_in_city_lsoas_april_2018(april: Path, city: Path) -> None:
    expected = sum(1 for r in rows_of(april)
                   if r["LSOA name"].startswith("City of London ") and r["Crime type"] == "Drugs")
    assert expected == 30  # by hand: grep -c ",City of London 00[0-9][A-Z],Drugs,"
    frame = read_street_crime(april)
    drugs = crimes_in_lsoas(frame, CITY_LSOAS)
    assert (drugs["crime_type"] == "Drugs").sum() == expected
    # the same through the reader's own filters, from the whole folder
    filtered = read_street_crime(city, months="2018-04", lsoa_codes=CITY_LSOAS)
    assert (filtered["crime_type"] == "Drugs").sum() == expected
    assert set(filtered["lsoa_code"].astype(str)) <= set(CITY_LSOAS)


def test_rows_without_location(april: Path) -> None:
    raw = rows_of(april)
    expected = sum(1 for r in raw if r["Longitude"] == "")
    assert expected == 36
    frame = read_street_crime(april)
    nowhere = frame["longitude"].isna()
    assert nowhere.sum() == expected
    assert frame.loc[nowhere, "latitude"].isna().all()
    assert frame.loc[nowhere, "lsoa_code"].isna().all() and frame.loc[nowhere, "lsoa_name"].isna().all()
    assert (frame.loc[nowhere, "location"] == "No Location").all()


def test_asb_rows_with_empty_crime_id_are_kept(april: Path) -> None:
    raw = rows_of(april)
    empty = [r for r in raw if r["Crime ID"] == ""]
    assert len(empty) == 113 and {r["Crime type"] for r in empty} == {"Anti-social behaviour"}
    frame = read_street_crime(april)
    assert len(frame) == len(raw) == 663
    assert frame["crime_id"].isna().sum() == len(empty)
    assert (frame.loc[frame["crime_id"].isna(), "crime_type"] == "Anti-social behaviour").all()
    assert frame.loc[frame["crime_id"].isna(), "last_outcome"].isna().all()


def test_lsoas_outside_the_force_area_are_kept_and_area_selects_by_lsoa(april: Path) -> None:
    raw = rows_of(april)
    outside = Counter(r["LSOA name"].rsplit(" ", 1)[0] for r in raw
                      if r["LSOA name"] and not r["LSOA name"].startswith("City of London"))
    assert outside["Camden"] > 0 and outside["Westminster"] > 0  # City Police crimes elsewhere
    frame = read_street_crime(april)
    assert (frame["falls_within"] == "City of London Police").all()
    in_city = crimes_in_lsoas(frame, CITY_LSOAS)
    assert len(in_city) == sum(1 for r in raw if r["LSOA name"].startswith("City of London"))
    assert len(frame) - len(in_city) == sum(outside.values()) + 36  # + the no-location rows


def test_every_month_of_the_folder(city: Path, city_frame: pd.DataFrame) -> None:
    files = sorted(city.glob("*-street.csv"))
    assert len(files) == 20
    expected = {f.name[:7]: len(rows_of(f)) for f in files}
    got = city_frame.groupby(city_frame["month"].dt.strftime("%Y-%m")).size().to_dict()
    assert got == expected
    assert sum(expected.values()) == 12079  # PROVENANCE.md


def test_crime_id_repeated_within_one_file_is_kept(city: Path) -> None:
    june = city / "2018-06-city-of-london-street.csv"
    ids = Counter(r["Crime ID"] for r in rows_of(june) if r["Crime ID"])
    repeated = {i for i, n in ids.items() if n > 1}
    assert len(repeated) == 6  # six IDs on two rows each, with different locations/outcomes
    frame = read_street_crime(june)
    counts = frame["crime_id"].value_counts()
    assert set(counts[counts > 1].index) == repeated


def test_dtypes_follow_the_contract(city_frame: pd.DataFrame) -> None:
    assert tuple(city_frame.columns) == STREET_COLUMNS
    for column in ("reported_by", "falls_within", "location", "lsoa_code", "lsoa_name",
                   "crime_type", "last_outcome"):
        assert isinstance(city_frame[column].dtype, pd.CategoricalDtype), column
    for column in ("crime_id", "context"):
        assert city_frame[column].dtype == "string", column
    assert city_frame["longitude"].dtype == np.float32 and city_frame["latitude"].dtype == np.float32
    assert city_frame["month"].dtype == "datetime64[ns]"
    assert (city_frame["month"].dt.day == 1).all()
    assert city_frame["context"].isna().all()  # Context is empty in these files


def test_coordinates_match_the_file(april: Path) -> None:
    first = rows_of(april)[0]
    frame = read_street_crime(april)
    assert frame.loc[0, "longitude"] == pytest.approx(float(first["Longitude"]), abs=1e-6)
    assert frame.loc[0, "latitude"] == pytest.approx(float(first["Latitude"]), abs=1e-5)
    assert frame.loc[0, "crime_id"] == first["Crime ID"]
    assert frame.loc[0, "location"] == first["Location"]


def test_missing_months_of_the_folder(city_frame: pd.DataFrame) -> None:
    gap = [f"2019-{m:02d}" for m in range(1, 13)]
    assert missing_months(city_frame) == gap
    assert city_frame.attrs["missing_months"] == gap


def test_met_sample_file_named_otherwise(shared_dir: Path, require_shared) -> None:
    path = require_shared(shared_dir / MET_SAMPLE)
    raw = rows_of(path)
    frame = read_street_crime(path)  # an explicit file is read whatever its name
    assert len(frame) == len(raw) == 4000
    assert (frame["month"] == pd.Timestamp("2023-01-01")).all()  # from the Month column
    assert frame["crime_id"].isna().sum() == sum(1 for r in raw if not r["Crime ID"])
    barking = {r["LSOA code"] for r in raw if r["LSOA name"].startswith("Barking and Dagenham")}
    area = crimes_in_lsoas(frame, barking)
    assert len(area) == 2002  # PROVENANCE.md
    assert (area["reported_by"] == "Metropolitan Police Service").all()


def test_months_filter_and_list_of_files(city: Path) -> None:
    files = [city / "2018-05-city-of-london-street.csv", city / "2020-02-city-of-london-street.csv"]
    frame = read_street_crime(files)
    assert len(frame) == sum(len(rows_of(f)) for f in files)
    only = read_street_crime(city, months=[pd.Timestamp("2020-02-01"), pd.Period("2018-05", "M")])
    assert len(only) == len(frame)
    assert missing_months(only)[0] == "2018-06"


def test_zip_archive_and_force_month_read_once(city: Path, tmp_path: Path) -> None:
    months = ["2018-04", "2018-05", "2018-06"]
    archive = tmp_path / "2018-06.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for m in months:
            zf.write(city / f"{m}-city-of-london-street.csv", f"{m}/{m}-city-of-london-street.csv")
            zf.write(city / f"{m}-city-of-london-stop-and-search.csv",
                     f"{m}/{m}-city-of-london-stop-and-search.csv")
    expected = sum(len(rows_of(city / f"{m}-city-of-london-street.csv")) for m in months)
    assert len(read_street_crime(archive)) == expected
    # the same force and month loose beside the archive is read once
    (tmp_path / "2018-04-city-of-london-street.csv").write_bytes(
        (city / "2018-04-city-of-london-street.csv").read_bytes())
    assert len(read_street_crime(tmp_path)) == expected
    assert len(find_police_files(tmp_path, "street")) == 3
    assert len(read_stop_and_search(archive, months="2018-05")) == len(
        rows_of(city / "2018-05-city-of-london-stop-and-search.csv"))


def test_duplicate_crime_across_force_files_kept_once(april: Path, tmp_path: Path) -> None:
    raw = rows_of(april)
    (tmp_path / april.name).write_bytes(april.read_bytes())
    # another force's file of the same month repeating 10 crimes and 5 ASB reports
    extra = [r for r in raw if r["Crime ID"]][:10] + [r for r in raw if not r["Crime ID"]][:5]
    with (tmp_path / "2018-04-btp-street.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(raw[0]), lineterminator="\n")
        writer.writeheader()
        for r in extra:
            writer.writerow({**r, "Reported by": "British Transport Police",
                             "Falls within": "British Transport Police"})
    frame = read_street_crime(tmp_path)
    assert len(frame) == len(raw) + 5  # the 10 repeated IDs kept once, the ASB rows all kept
    # the file sorted first ("btp" < "city-of-london") keeps the repeated crimes
    assert (frame["reported_by"] == "British Transport Police").sum() == 15
    assert (frame["reported_by"] == "City of London Police").sum() == len(raw) - 10


# --------------------------------------------------------------------------- stop and search
def test_stop_and_search_city(city: Path) -> None:
    path = city / "2018-09-city-of-london-stop-and-search.csv"
    raw = rows_of(path)
    frame = read_stop_and_search(path)
    assert tuple(frame.columns) == STOP_SEARCH_COLUMNS
    assert len(frame) == len(raw) == 148
    assert str(frame["datetime"].dt.tz) == "UTC"
    assert frame["outcome_linked_to_object"].dtype == "boolean"
    for column, header in (("outcome_linked_to_object", "Outcome linked to object of search"),
                           ("removal_of_more_than_outer_clothing",
                            "Removal of more than just outer clothing")):
        counts = Counter(r[header] for r in raw)
        assert frame[column].sum() == counts["True"]
        assert (frame[column] == False).sum() == counts["False"]  # noqa: E712
        assert frame[column].isna().sum() == counts[""]
    assert frame["latitude"].isna().sum() == sum(1 for r in raw if not r["Latitude"])
    # a search at 23:13 UTC on 31 August (00:13 BST on 1 September) is in the September file
    late = frame[frame["datetime"] == pd.Timestamp("2018-08-31T23:13:35Z")]
    assert len(late) == 1 and late["month"].iloc[0] == pd.Timestamp("2018-09-01")
    assert (frame["force"] == "city-of-london").all()


def test_stop_and_search_met(require_shared) -> None:
    folder = require_shared(POLICE / "metropolitan-stop-and-search")
    frame = read_stop_and_search(folder)
    assert len(frame) == 15196 + 15521  # PROVENANCE.md
    assert set(frame["force"]) == {"metropolitan"}
    first = rows_of(folder / "2018-11-metropolitan-stop-and-search.csv")[0]
    assert frame.loc[0, "latitude"] == pytest.approx(float(first["Latitude"]), abs=1e-5)
    assert frame.loc[0, "longitude"] == pytest.approx(float(first["Longitude"]), abs=1e-6)


# --------------------------------------------------------------------------- outcomes
def test_outcomes(tmp_path: Path) -> None:
    path = tmp_path / "2019-01-city-of-london-outcomes.csv"
    path.write_text(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type\n"
        "abc1,2019-01,City of London Police,City of London Police,-0.09,51.51,On or near Bow Lane,"
        "E01032739,City of London 001F,Investigation complete; no suspect identified\n"
        "abc1,2019-01,City of London Police,City of London Police,,,No Location,,,Court result unavailable\n",
        encoding="utf-8")
    frame = read_outcomes(tmp_path)
    assert tuple(frame.columns) == OUTCOMES_COLUMNS
    assert len(frame) == 2 and frame["crime_id"].tolist() == ["abc1", "abc1"]
    assert frame["lsoa_code"].isna().tolist() == [False, True]


# --------------------------------------------------------------------------- bad inputs
HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context")


@pytest.fixture(scope="module")
def sample(april: Path) -> list[str]:
    """Header and the first six data lines of the real April 2018 file."""
    return april.read_text("utf-8").splitlines()[:7]


def write(tmp_path: Path, text: str | bytes, name: str = "2018-04-city-of-london-street.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def replace_field(line: str, index: int, value: str) -> str:
    fields = line.split(",")
    fields[index] = value
    return ",".join(fields)


BAD_CASES = {
    # name: (make the file from the sample lines, line, column, words in the message)
    "missing column": (lambda s: "\n".join([s[0].replace(",Context", "")] + s[1:]) + "\n",
                       1, "Context", "missing"),
    "renamed column": (lambda s: "\n".join([s[0].replace("Latitude", "Lat")] + s[1:]) + "\n",
                       1, "Latitude", "missing"),
    "extra column": (lambda s: "\n".join([s[0] + ",Notes"] + s[1:]) + "\n", 1, "Notes", "header"),
    "semicolons": (lambda s: "\n".join(x.replace(",", ";") for x in s) + "\n", 1, "Crime ID",
                   "delimiter"),
    "empty file": (lambda s: "", 1, "Crime ID", "empty"),
    "truncated": (lambda s: "\n".join(s[:6]) + "\n" + s[6][:70], 7, "Location", "truncated"),
    "non-numeric latitude": (lambda s: "\n".join(s[:3] + [replace_field(s[3], 5, "51.5l8632")] + s[4:]) + "\n",
                             4, "Latitude", "not a number"),
    "latitude out of range": (lambda s: "\n".join(s[:5] + [replace_field(s[5], 5, "151.5")] + s[6:]) + "\n",
                              6, "Latitude", "range"),
    "month mismatch": (lambda s: "\n".join(s[:4] + [replace_field(s[4], 1, "2018-05")] + s[5:]) + "\n",
                       5, "Month", "file name"),
    "month not a month": (lambda s: "\n".join(s[:2] + [replace_field(s[2], 1, "April 2018")] + s[3:]) + "\n",
                          3, "Month", "not a month"),
    "unquoted comma": (lambda s: "\n".join(s[:2] + [s[2].replace("On or near ", "On, or near ")] + s[3:]) + "\n",
                       3, "Context", "too many fields"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_street_file(case: str, sample: list[str], tmp_path: Path) -> None:
    make, line, column, words = BAD_CASES[case]
    path = write(tmp_path, make(sample))
    with pytest.raises(DataFormatError) as info:
        read_street_crime(path)
    error, message = info.value, str(info.value)
    assert (error.line, error.column) == (line, column)
    assert path.name in message and f"line {line}" in message and repr(column) in message
    assert words in message


def test_bad_line_found_after_a_quoted_line_break(sample: list[str], tmp_path: Path) -> None:
    lines = list(sample)
    lines[1] = lines[1].replace("On or near Charterhouse Street", '"On or near\nCharterhouse Street"')
    lines[5] = replace_field(lines[5], 4, "west")
    with pytest.raises(DataFormatError) as info:
        read_street_crime(write(tmp_path, "\n".join(lines) + "\n"))
    assert (info.value.line, info.value.column) == (7, "Longitude")  # line 2 spans two lines


def test_quoted_line_break_is_read(sample: list[str], tmp_path: Path) -> None:
    lines = list(sample)
    lines[1] = lines[1].replace("On or near Charterhouse Street", '"On or near\nCharterhouse Street"')
    frame = read_street_crime(write(tmp_path, "\n".join(lines) + "\n"))
    assert len(frame) == 6 and frame.loc[0, "location"] == "On or near\nCharterhouse Street"


def test_cp1252_file_is_decoded(sample: list[str], tmp_path: Path) -> None:
    lines = list(sample)
    lines[2] = replace_field(lines[2], 8, "King’s Lynn and West Norfolk 001A")
    path = write(tmp_path, ("\r\n".join(lines) + "\r\n").encode("cp1252"))
    assert b"\x92" in path.read_bytes()
    frame = read_street_crime(path)
    assert len(frame) == 6
    assert frame.loc[1, "lsoa_name"] == "King’s Lynn and West Norfolk 001A"


def test_undecodable_byte_names_the_line(sample: list[str], tmp_path: Path) -> None:
    lines = [x.encode() for x in sample]
    lines[3] = lines[3].replace(b"Camden", b"Cam\x81den")  # 0x81: neither UTF-8 nor cp1252
    with pytest.raises(DataFormatError) as info:
        read_street_crime(write(tmp_path, b"\n".join(lines) + b"\n"))
    assert info.value.line == 4 and info.value.column == "LSOA name"


def test_bom_is_tolerated(sample: list[str], tmp_path: Path) -> None:
    frame = read_street_crime(write(tmp_path, b"\xef\xbb\xbf" + ("\n".join(sample) + "\n").encode()))
    assert len(frame) == 6 and frame.loc[0, "crime_id"] == sample[1].split(",")[0]


def test_header_only_file_gives_no_rows(tmp_path: Path) -> None:
    frame = read_street_crime(write(tmp_path, HEADER + "\n"))
    assert len(frame) == 0 and tuple(frame.columns) == STREET_COLUMNS
    assert isinstance(frame["crime_type"].dtype, pd.CategoricalDtype)


def test_bad_stop_and_search_values(city: Path, tmp_path: Path) -> None:
    lines = (city / "2018-04-city-of-london-stop-and-search.csv").read_text("utf-8").splitlines()[:5]
    name = "2018-04-city-of-london-stop-and-search.csv"
    bad_bool = lines[:3] + [lines[3].rsplit(",", 1)[0] + ",Yes"] + lines[4:]
    with pytest.raises(DataFormatError) as info:
        read_stop_and_search(write(tmp_path, "\n".join(bad_bool) + "\n", name))
    assert (info.value.line, info.value.column) == (4, "Removal of more than just outer clothing")
    bad_date = lines[:2] + [replace_field(lines[2], 1, "01/04/2018 01:53")] + lines[3:]
    with pytest.raises(DataFormatError) as info:
        read_stop_and_search(write(tmp_path, "\n".join(bad_date) + "\n", name))
    assert (info.value.line, info.value.column) == (3, "Date")
    swapped = [lines[0].replace("Latitude,Longitude", "Longitude,Latitude")] + lines[1:]
    with pytest.raises(DataFormatError) as info:
        read_stop_and_search(write(tmp_path, "\n".join(swapped) + "\n", name))
    assert info.value.line == 1 and info.value.column == "Latitude"


def test_nothing_to_read(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match="No police.uk street files"):
        read_street_crime(tmp_path)
    with pytest.raises(MissingDataError, match="No such file"):
        read_street_crime(tmp_path / "absent")


# --------------------------------------------------------------------------- helpers
def test_parse_police_name() -> None:
    assert parse_police_name("2018-04-city-of-london-street.csv") == ("2018-04", "city-of-london", "street")
    assert parse_police_name("2018-12/2018-12-btp-stop-and-search.csv") == ("2018-12", "btp", "stop-and-search")
    assert parse_police_name("2023-01-metropolitan-street-sample.csv") == ("2023-01", "metropolitan", "street")
    assert parse_police_name("2018-13-kent-street.csv") is None


def test_crimes_in_lsoas_needs_lsoa_codes() -> None:
    frame = pd.DataFrame({"lsoa_code": pd.Categorical(["E01000001", None, "E01000916"])})
    assert len(crimes_in_lsoas(frame, "E01000001")) == 1
    assert len(crimes_in_lsoas(frame, [])) == 0
    with pytest.raises(SchemaError, match="lsoa_code"):
        crimes_in_lsoas(pd.DataFrame({"x": [1]}), ["E01000001"])


def test_missing_months_examples() -> None:
    assert missing_months(["2019-11", "2020-02", "2019-12"]) == ["2020-01"]
    assert missing_months(pd.Series(pd.to_datetime(["2020-01-01", "2020-03-01"]))) == ["2020-02"]
    assert missing_months([]) == []


@given(st.sets(st.integers(min_value=0, max_value=120), min_size=1, max_size=40))
def test_missing_months_fill_the_span(offsets: set[int]) -> None:
    months = [pd.Period("2015-01", "M") + k for k in offsets]
    gaps = missing_months(months)
    present = {m.strftime("%Y-%m") for m in months}
    assert not present & set(gaps)
    assert len(present) + len(gaps) == max(offsets) - min(offsets) + 1
    assert gaps == sorted(gaps)


def test_crime_id_that_looks_like_a_huge_float(sample: list[str], tmp_path: Path) -> None:
    # pandas 2.3's C parser segfaults inferring this ID as a float (pandas-dev/pandas#62617);
    # the reader types Crime ID as text and keeps it exactly.
    crime_id = "913e5495936174550227054f60047fb48348300662f42c46aeed3749209e1cbe"
    lines = [sample[0], replace_field(sample[1], 0, crime_id)] + sample[2:]
    frame = read_street_crime(write(tmp_path, "\n".join(lines) + "\n"))
    assert frame.loc[0, "crime_id"] == crime_id

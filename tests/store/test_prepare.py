"""prepare: raw folder → processed tables; idempotent, incremental, atomic.

Runs on copies (in tmp_path) of the real City of London police.uk files, so
inputs can be touched, changed and removed. Expected row counts come from the
raw CSVs read with the csv module.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sys
import types
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from cdp_analysis.errors import ConfigError, DataFormatError, MissingDataError
from cdp_analysis.sources import police_uk
from cdp_analysis.store.dataset import Dataset
from cdp_analysis.store.prepare import MANIFEST_NAME, prepare

CITY = Path("data/real/police_uk/city-of-london")


def count_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` (hidden ones too): content hash and mtime."""
    return {
        p.relative_to(folder).as_posix(): (hashlib.sha1(p.read_bytes()).digest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def partition(processed: Path, table: str, month: str) -> Path:
    return processed / table / f"month={month}" / "part-0.parquet"


@pytest.fixture
def source(require_shared, tmp_path: Path) -> Path:
    """A writable copy of the City of London folder (street and stop-and-search, 20 months)."""
    city = require_shared(CITY)
    out = tmp_path / "raw" / "city"
    out.mkdir(parents=True)
    for path in sorted(city.glob("*.csv")):
        shutil.copy2(path, out / path.name)
    return out


@pytest.fixture
def processed(tmp_path: Path) -> Path:
    return tmp_path / "processed" / "city"


def test_one_partition_per_month_with_the_raw_row_counts(source: Path, processed: Path) -> None:
    report = prepare(source, processed, progress=False)
    assert report.processed == ["street_crime", "stop_search"] and report.skipped == []
    street = sorted(source.glob("*-street.csv"))
    stops = sorted(source.glob("*-stop-and-search.csv"))
    for path in street:
        assert pq.read_metadata(partition(processed, "street_crime", path.name[:7])).num_rows == count_rows(path)
    for path in stops:
        assert pq.read_metadata(partition(processed, "stop_search", path.name[:7])).num_rows == count_rows(path)
    assert report.rows == {"street_crime": sum(map(count_rows, street)),
                           "stop_search": sum(map(count_rows, stops))}
    assert report.rows["street_crime"] == 12079  # PROVENANCE.md
    assert report.missing_months["street_crime"] == [f"2019-{m:02d}" for m in range(1, 13)]
    manifest = json.loads((processed / MANIFEST_NAME).read_text())
    record = manifest["inputs"]["2018-04-city-of-london-street.csv"]
    raw = (source / "2018-04-city-of-london-street.csv")
    assert record["size"] == raw.stat().st_size
    assert record["sha1"] == hashlib.sha1(raw.read_bytes()).hexdigest()
    assert manifest["units"]["street_crime/2018-04"]["outputs"] == [
        "street_crime/month=2018-04/part-0.parquet"]
    assert not [p for p in processed.iterdir() if p.name.startswith(".staging")]


def test_second_run_skips_everything_and_writes_nothing(source: Path, processed: Path) -> None:
    prepare(source, processed, progress=False)
    before = snapshot(processed)
    report = prepare(source, processed, progress=False)
    assert report.processed == [] and report.skipped == ["street_crime", "stop_search"]
    assert not report.changed and report.rows == {}
    assert snapshot(processed) == before


def test_touched_input_is_rehashed_not_rebuilt(source: Path, processed: Path) -> None:
    prepare(source, processed, progress=False)
    tables = {k: v for k, v in snapshot(processed).items() if k.endswith(".parquet")}
    touched = source / "2018-05-city-of-london-street.csv"
    stat = touched.stat()
    os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    report = prepare(source, processed, progress=False)
    assert report.processed == []  # same content (sha1), nothing rebuilt
    assert {k: v for k, v in snapshot(processed).items() if k.endswith(".parquet")} == tables
    manifest = json.loads((processed / MANIFEST_NAME).read_text())
    assert manifest["inputs"][touched.name]["mtime"] == touched.stat().st_mtime


def test_modified_input_rebuilds_only_its_month(source: Path, processed: Path) -> None:
    prepare(source, processed, progress=False)
    before = snapshot(processed)
    changed = source / "2018-05-city-of-london-street.csv"
    lines = changed.read_bytes().splitlines(keepends=True)
    changed.write_bytes(b"".join(lines[:-1]))  # drop the last crime
    report = prepare(source, processed, progress=False)
    assert report.units == {"street_crime": ["street_crime/2018-05"]}
    assert report.processed == ["street_crime"] and report.skipped == ["stop_search"]
    assert pq.read_metadata(partition(processed, "street_crime", "2018-05")).num_rows == len(lines) - 2
    after = snapshot(processed)
    rebuilt = {k for k in after if after[k] != before.get(k)}
    # the national aggregate is derived from every month, so it is rebuilt too
    assert rebuilt == {"street_crime/month=2018-05/part-0.parquet", "police_counts.parquet", MANIFEST_NAME}


def test_new_month_and_removed_month(source: Path, processed: Path) -> None:
    prepare(source, processed, progress=False)
    april = (source / "2018-04-city-of-london-street.csv").read_text("utf-8")
    (source / "2019-01-city-of-london-street.csv").write_text(april.replace(",2018-04,", ",2019-01,"), "utf-8")
    (source / "2020-11-city-of-london-street.csv").unlink()
    report = prepare(source, processed, progress=False)
    assert report.units == {"street_crime": ["street_crime/2019-01"]}
    assert report.removed == ["street_crime/2020-11"]
    assert not (processed / "street_crime" / "month=2020-11").exists()
    assert partition(processed, "stop_search", "2020-11").is_file()  # its stop-and-search stays
    assert pq.read_metadata(partition(processed, "street_crime", "2019-01")).num_rows == count_rows(
        source / "2018-04-city-of-london-street.csv")
    assert "2019-01" not in report.missing_months["street_crime"]
    assert "street_crime/2020-11" not in json.loads((processed / MANIFEST_NAME).read_text())["units"]


def test_failure_mid_run_leaves_processed_byte_identical(
        source: Path, processed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepare(source, processed, progress=False)
    before = snapshot(processed)
    for name in ("2018-05-city-of-london-street.csv", "2020-05-city-of-london-street.csv"):
        path = source / name
        path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:-1]))
    parse = police_uk.parse_police_file
    calls = []

    def failing(pf, data=None, **kwargs):
        calls.append(pf.name)
        if len(calls) == 15:
            raise RuntimeError("reader broke mid-way")
        return parse(pf, data, **kwargs)

    monkeypatch.setattr(police_uk, "parse_police_file", failing)
    with pytest.raises(RuntimeError, match="mid-way"):
        prepare(source, processed, progress=False, force=True, workers=1)
    assert len(calls) >= 15
    assert snapshot(processed) == before


def test_bad_input_fails_and_leaves_processed_unchanged(source: Path, processed: Path) -> None:
    prepare(source, processed, progress=False)
    before = snapshot(processed)
    bad = source / "2020-02-city-of-london-street.csv"
    text = bad.read_text("utf-8")
    bad.write_text(text[: text.rindex(",2020-02,") + 20], "utf-8")  # cut the last line short
    with pytest.raises(DataFormatError) as info:
        prepare(source, processed, progress=False)
    assert bad.name in str(info.value) and info.value.line == count_rows(bad) + 1
    assert snapshot(processed) == before


def test_failed_first_run_leaves_no_folder(source: Path, processed: Path) -> None:
    (source / "2018-06-city-of-london-street.csv").write_bytes(b"")
    with pytest.raises(DataFormatError, match="empty"):
        prepare(source, processed, progress=False)
    assert not processed.exists()


def test_archive_source_rebuilds_only_the_changed_member(source: Path, tmp_path: Path) -> None:
    raw = tmp_path / "zipped"
    raw.mkdir()
    months = ("2020-01", "2020-02", "2020-03")

    def build(last_row_of_march: bool) -> None:
        with zipfile.ZipFile(raw / "2020-03.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for month in months:
                data = (source / f"{month}-city-of-london-street.csv").read_bytes()
                if month == "2020-03" and not last_row_of_march:
                    data = b"".join(data.splitlines(keepends=True)[:-1])
                archive.writestr(f"{month}/{month}-city-of-london-street.csv", data)

    build(True)
    out = tmp_path / "processed" / "zipped"
    report = prepare(raw, out, progress=False)
    assert report.units == {"street_crime": [f"street_crime/{m}" for m in months]}
    for month in months:
        assert pq.read_metadata(partition(out, "street_crime", month)).num_rows == count_rows(
            source / f"{month}-city-of-london-street.csv")
    assert prepare(raw, out, progress=False).processed == []
    build(False)
    report = prepare(raw, out, progress=False)
    assert report.units == {"street_crime": ["street_crime/2020-03"]}


def test_lookup_derived_from_boundaries(require_shared, tmp_path: Path) -> None:
    pytest.importorskip("cdp_analysis.sources.boundaries")
    lookups = pytest.importorskip("cdp_analysis.sources.lookups")
    if not hasattr(lookups, "lookup_from_boundaries"):
        pytest.skip("sources.lookups.lookup_from_boundaries not there yet")
    base = require_shared("data/real/boundaries/uk-geojson_martinjc")
    raw = tmp_path / "raw" / "geo" / "boundaries"
    raw.mkdir(parents=True)
    shutil.copy(base / "lsoa_by_lad" / "E09000001.json", raw / "city_lsoa.json")
    shutil.copy(base / "wards_by_lad" / "E09000001.json", raw / "city_wards.json")
    out = tmp_path / "processed" / "geo"
    report = prepare(raw.parent, out, progress=False)
    assert report.processed == ["boundaries", "lookup"]
    lsoas = {f["properties"]["LSOA11CD"] for f in json.loads((raw / "city_lsoa.json").read_text())["features"]}
    wards = {f["properties"]["WD13CD"] for f in json.loads((raw / "city_wards.json").read_text())["features"]}
    data = Dataset(out)
    assert set(data.boundaries("lsoa")["code"]) == lsoas and len(lsoas) == 6
    assert set(data.boundaries("ward")["code"]) == wards
    lookup = data.lookup()
    assert set(lookup["lsoa_code"]) == lsoas
    assert set(lookup["ward_code"].dropna()) <= wards
    assert prepare(raw.parent, out, progress=False).processed == []


def test_reader_of_another_engineer_is_called(source: Path, processed: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A local return goes through sources.local (a stand-in module here)."""
    local = source / "local"
    local.mkdir()
    (local / "drug_seizures.csv").write_text("area_code,period,seizures\nE09000001,2024,7\n", "utf-8")
    fake = types.ModuleType("cdp_analysis.sources.local")
    fake.is_local_return = lambda path: Path(path).parent.name == "local"
    fake.read_local_return = lambda path: pd.read_csv(path, dtype={"area_code": "string"})
    monkeypatch.setitem(sys.modules, "cdp_analysis.sources.local", fake)
    report = prepare(source, processed, progress=False)
    assert report.units["local"] == ["local/drug_seizures"]
    frame = Dataset(processed).local("drug_seizures")
    assert frame.to_dict("records") == [{"area_code": "E09000001", "period": 2024, "seizures": 7}]


def test_missing_reader_modules_are_skipped_with_a_warning(source: Path, processed: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (source / "indicators.csv").write_text("Indicator ID,Indicator Name\n1,x\n", "utf-8")
    monkeypatch.setattr("cdp_analysis.store.prepare._module", lambda name: None)
    report = prepare(source, processed, progress=False)
    assert report.processed == ["street_crime", "stop_search"]
    assert "readers" in report.unavailable
    assert any("indicators.csv" in w and "not available" in w for w in report.warnings)


def test_no_progress_bar_off_a_terminal(source: Path, processed: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    prepare(source, processed, progress=True)
    err = capsys.readouterr().err
    assert "part/s" not in err and "prepare:" not in err


def test_bad_folders(source: Path, tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match="not found"):
        prepare(tmp_path / "absent", tmp_path / "out", progress=False)
    with pytest.raises(ConfigError, match="outside"):
        prepare(source, source / "processed", progress=False)


def test_summary_names_what_was_done(source: Path, processed: Path) -> None:
    text = prepare(source, processed, progress=False).summary()
    assert "street_crime: 20 part(s), 12,079 rows" in text
    assert "2019-01" in text  # the missing months are reported


def test_reader_rejecting_a_recognised_file_fails_with_context(
        source: Path, processed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (source / "imd.csv").write_text("LSOA code (2011),IMD rank\nE01000001,29199\n", "utf-8")
    fake = types.ModuleType("cdp_analysis.sources.imd")
    fake.is_imd = lambda path: Path(path).name == "imd.csv"

    def read_imd(path):
        raise DataFormatError("required column missing", path=path, line=1, column="IMD decile")

    fake.read_imd = read_imd
    monkeypatch.setitem(sys.modules, "cdp_analysis.sources.imd", fake)
    with pytest.raises(DataFormatError) as info:
        prepare(source, processed, progress=False)
    assert "imd.is_imd recognised this file" in str(info.value)
    assert (info.value.line, info.value.column) == (1, "IMD decile")
    assert not processed.exists()


# --------------------------------------------------------------------------- unreadable inputs
FINGERTIPS = Path("data/real/fingertips/indicator-93495-all-areas.csv")


def _as_excel_unicode_text(csv_path: Path, target: Path) -> None:
    """What Excel's "Save as Unicode text" makes: UTF-16 LE with a BOM, tab-separated."""
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    text = "\r\n".join("\t".join(row) for row in rows) + "\r\n"
    target.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))


def test_utf16_export_is_reported_and_the_processed_indicators_are_kept(
        require_shared, source: Path, processed: Path) -> None:
    export = require_shared(FINGERTIPS)
    (source / "fingertips").mkdir()
    shutil.copy2(export, source / "fingertips" / export.name)
    first = prepare(source, processed, progress=False)
    assert "indicators" in first.processed
    with export.open(encoding="utf-8-sig", newline="") as handle:
        expected_ids = {r["Indicator ID"].strip() for r in csv.DictReader(handle)}
    before = (processed / "indicators.parquet").read_bytes()

    (source / "fingertips" / export.name).unlink()  # the analyst re-saved it as "Unicode text"
    _as_excel_unicode_text(export, source / "fingertips" / "indicators-unicode.csv")
    (source / "junk.csv").write_bytes(bytes(range(256)) * 64)
    (source / "notes.csv").write_text("note,by\nchecked,ana\n", encoding="utf-8")
    report = prepare(source, processed, progress=False)

    assert report.removed == [] and "indicators" in report.kept
    assert (processed / "indicators.parquet").read_bytes() == before
    assert {str(i) for i in pd.read_parquet(processed / "indicators.parquet")["indicator_id"]} == expected_ids
    text = report.summary()  # the normal output, not only a -v log
    assert "could not read fingertips/indicators-unicode.csv: UTF-16" in text
    assert "could not read junk.csv: binary data" in text
    assert "not recognised by any reader" in text and "notes.csv" in text
    assert "removed" not in text


def test_header_only_police_month_is_missing_not_zero(source: Path, processed: Path) -> None:
    months = sorted(p.name[:7] for p in source.glob("*-street.csv"))
    middle = months[len(months) // 2]
    street = next(source.glob(f"{middle}-*-street.csv"))
    header = street.read_text(encoding="utf-8-sig").splitlines()[0]
    street.write_text(header + "\n", encoding="utf-8")
    report = prepare(source, processed, progress=False)
    assert not partition(processed, "street_crime", middle).exists()
    assert middle not in Dataset(processed).months("street_crime")
    present = [m for m in months if m != middle]
    every = [str(p) for p in pd.period_range(min(months), max(months), freq="M")]
    expected = [m for m in every if m not in present]
    assert middle in expected and report.missing_months["street_crime"] == expected
    assert any(street.name in w and "missing, not as zero" in w for w in report.warnings)
    assert street.name in report.summary()
    again = prepare(source, processed, progress=False)  # still reported when nothing changed
    assert again.missing_months["street_crime"] == expected


def test_a_60_mb_line_is_a_clear_error_naming_the_file(source: Path, processed: Path) -> None:
    street = next(source.glob("*-street.csv"))
    street.write_bytes(b"x" * (60 * 1024 * 1024))
    with pytest.raises(DataFormatError) as info:
        prepare(source, processed, progress=False)
    assert street.name in str(info.value) and "line 1" in str(info.value)


def test_a_huge_field_after_the_header_names_file_and_line(source: Path, processed: Path) -> None:
    street = next(source.glob("*-street.csv"))
    lines = street.read_text(encoding="utf-8-sig").splitlines()
    street.write_text("\n".join([*lines[:3], '"' + "y" * 3_000_000 + '",x', *lines[3:]]) + "\n",
                      encoding="utf-8")
    with pytest.raises(DataFormatError) as info:
        prepare(source, processed, progress=False)
    assert street.name in str(info.value) and "line 4" in str(info.value)


def test_a_single_huge_line_among_other_inputs_is_reported_unreadable(source: Path, processed: Path) -> None:
    (source / "dump.csv").write_bytes(b"z" * (3 * 1024 * 1024))
    report = prepare(source, processed, progress=False)
    assert "dump.csv" in report.unreadable and "longer than" in report.unreadable["dump.csv"]

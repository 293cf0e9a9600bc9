"""prepare's fast path: nothing is classified or hashed when the source tree is unchanged.

Runs on copies (in tmp_path) of the real City of London police.uk files and a
real Fingertips export, so inputs can be touched, added and removed. Whether a
call took the full path is seen by counting calls of the classifier guard
(``prepare._safe_check``, through which every reader's ``is_…`` check runs) and
of the content hash; expected rows come from the raw CSVs read with the csv module.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import sys
import threading
import types
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from cdp_analysis.errors import DataFormatError
from cdp_analysis.store import prepare as prepare_module
from cdp_analysis.store.prepare import MANIFEST_NAME, PrepareReport, prepare

CITY = Path("data/real/police_uk/city-of-london")
FINGERTIPS = Path("data/real/fingertips/indicator-93495-all-areas.csv")


def count_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def tables(processed: Path) -> dict[str, pd.DataFrame]:
    """Every processed Parquet table, read back."""
    return {p.relative_to(processed).as_posix(): pd.read_parquet(p)
            for p in sorted(processed.rglob("*.parquet"))}


def assert_same_tables(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    assert sorted(after) == sorted(before)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame, obj=name)


@pytest.fixture
def source(require_shared, tmp_path: Path) -> Path:
    """City of London police files and a Fingertips export (a file the classifiers must sniff)."""
    city = require_shared(CITY)
    out = tmp_path / "raw" / "city"
    (out / "fingertips").mkdir(parents=True)
    for path in sorted(city.glob("*.csv")):
        shutil.copy2(path, out / path.name)
    shutil.copy2(require_shared(FINGERTIPS), out / "fingertips" / FINGERTIPS.name)
    return out


@pytest.fixture
def processed(tmp_path: Path) -> Path:
    return tmp_path / "processed" / "city"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts classifier checks (``check``) and files hashed (``hash``) from now on."""
    counter: Counter = Counter()
    check, sha1 = prepare_module._safe_check, prepare_module._sha1_file

    def counting_check(fn, path):
        counter["check"] += 1
        return check(fn, path)

    def counting_sha1(path):
        counter["hash"] += 1
        return sha1(path)

    monkeypatch.setattr(prepare_module, "_safe_check", counting_check)
    monkeypatch.setattr(prepare_module, "_sha1_file", counting_sha1)
    return counter


def without_fast_path(monkeypatch: pytest.MonkeyPatch, *args, **kwargs) -> PrepareReport:
    """A prepare call forced onto the full path (the reference for the fast one)."""
    with monkeypatch.context() as patch:
        patch.setattr(prepare_module, "_take_fast_path", lambda *a: False)
        return prepare(*args, **kwargs)


def comparable(report: PrepareReport) -> dict:
    fields = dataclasses.asdict(report)
    del fields["seconds"], fields["fast"]
    return fields


def test_second_call_classifies_and_hashes_nothing(source: Path, processed: Path, calls: Counter) -> None:
    first = prepare(source, processed, progress=False)
    assert calls["check"] > 0 and calls["hash"] > 0 and not first.fast  # the counters see the full path
    assert first.processed == ["indicators", "street_crime", "stop_search"]
    manifest = (processed / MANIFEST_NAME).read_bytes()
    calls.clear()
    second = prepare(source, processed, progress=False)
    assert calls == Counter()
    assert second.fast and not second.changed
    assert second.processed == [] and second.rows == {} and second.units == {}
    assert second.skipped == first.processed
    assert (processed / MANIFEST_NAME).read_bytes() == manifest
    assert "nothing to do" in second.summary()


def test_fast_report_is_what_the_full_path_reports(
        source: Path, processed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unreadable, unrecognised, kept, header-only months: repeated exactly on the fast path."""
    prepare(source, processed, progress=False)
    export = source / "fingertips" / FINGERTIPS.name
    rows = list(csv.reader(export.open(encoding="utf-8-sig", newline="")))
    export.unlink()  # re-saved by Excel as "Unicode text": UTF-16 LE with a BOM, tab-separated
    text = "\r\n".join("\t".join(row) for row in rows) + "\r\n"
    (source / "fingertips" / "indicators-unicode.csv").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    (source / "notes.csv").write_text("note,by\nchecked,ana\n", encoding="utf-8")
    street = source / "2020-03-city-of-london-street.csv"
    street.write_text(street.read_text(encoding="utf-8-sig").splitlines()[0] + "\n", encoding="utf-8")
    prepare(source, processed, progress=False)

    full = without_fast_path(monkeypatch, source, processed, progress=False)
    fast = prepare(source, processed, progress=False)
    assert fast.fast and not full.fast
    assert comparable(fast) == comparable(full)
    assert "UTF-16" in fast.unreadable["fingertips/indicators-unicode.csv"]
    assert fast.unrecognised == ["notes.csv"] and "indicators" in fast.kept
    assert "2020-03" in fast.missing_months["street_crime"]


def test_utf16_file_is_still_reported_on_the_second_call(source: Path, processed: Path, calls: Counter) -> None:
    (source / "fingertips" / FINGERTIPS.name).unlink()
    (source / "fingertips" / "unicode.csv").write_bytes("Indicator ID\tValue\r\n1\t2\r\n".encode("utf-16"))
    first = prepare(source, processed, progress=False)
    calls.clear()
    second = prepare(source, processed, progress=False)
    assert second.fast and calls["check"] == 0
    for report in (first, second):
        assert list(report.unreadable) == ["fingertips/unicode.csv"]
        assert "UTF-16" in report.unreadable["fingertips/unicode.csv"]
        assert "could not read fingertips/unicode.csv: UTF-16" in report.summary()


def test_touched_file_takes_the_full_path_and_changes_nothing(
        source: Path, processed: Path, calls: Counter) -> None:
    prepare(source, processed, progress=False)
    before = tables(processed)
    touched = source / "2018-05-city-of-london-street.csv"
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    calls.clear()
    report = prepare(source, processed, progress=False)
    assert not report.fast and calls["check"] > 0 and calls["hash"] == 1  # the touched file only
    assert report.processed == []
    assert_same_tables(before, tables(processed))
    calls.clear()
    assert prepare(source, processed, progress=False).fast and calls == Counter()


def test_added_files_take_the_full_path(source: Path, processed: Path, calls: Counter) -> None:
    prepare(source, processed, progress=False)
    april = (source / "2018-04-city-of-london-street.csv").read_text("utf-8")
    new = source / "2019-01-city-of-london-street.csv"
    new.write_text(april.replace(",2018-04,", ",2019-01,"), "utf-8")
    calls.clear()
    report = prepare(source, processed, progress=False)
    assert not report.fast and calls["check"] > 0
    assert report.units == {"street_crime": ["street_crime/2019-01"]}
    month = pd.read_parquet(processed / "street_crime" / "month=2019-01" / "part-0.parquet")
    assert len(month) == count_rows(new)

    (source / ".hidden").mkdir()  # a file no reader sees still counts as a change
    (source / ".hidden" / "x.txt").write_text("x", "utf-8")
    assert not prepare(source, processed, progress=False).fast
    assert prepare(source, processed, progress=False).fast


def test_deleted_output_is_rebuilt_with_the_same_table(source: Path, processed: Path, calls: Counter) -> None:
    prepare(source, processed, progress=False)
    before = tables(processed)
    (processed / "street_crime" / "month=2018-05" / "part-0.parquet").unlink()
    calls.clear()
    report = prepare(source, processed, progress=False)
    assert not report.fast and calls["check"] > 0
    assert report.units == {"street_crime": ["street_crime/2018-05"]}
    assert report.rows == {"street_crime": count_rows(source / "2018-05-city-of-london-street.csv")}
    assert_same_tables(before, tables(processed))


def test_force_takes_the_full_path_and_rebuilds_the_same_tables(
        source: Path, processed: Path, calls: Counter) -> None:
    first = prepare(source, processed, progress=False)
    before = tables(processed)
    calls.clear()
    report = prepare(source, processed, progress=False, force=True)
    assert not report.fast and calls["check"] > 0
    assert report.processed == first.processed and report.rows == first.rows
    assert_same_tables(before, tables(processed))


def test_another_package_version_takes_the_full_path(
        source: Path, processed: Path, calls: Counter, monkeypatch: pytest.MonkeyPatch) -> None:
    prepare(source, processed, progress=False)
    monkeypatch.setattr(prepare_module, "__version__", "999.0")
    calls.clear()
    assert not prepare(source, processed, progress=False).fast and calls["check"] > 0
    assert prepare(source, processed, progress=False).fast


def test_a_stand_in_reader_takes_the_full_path(
        source: Path, processed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (source / "local").mkdir()
    (source / "local" / "seizures.csv").write_text("area_code,period,seizures\nE09000001,2024,7\n", "utf-8")
    blind = types.ModuleType("cdp_analysis.sources.local")
    blind.is_local_return = lambda path: False
    blind.read_local_return = lambda path: pd.read_csv(path)
    monkeypatch.setitem(sys.modules, "cdp_analysis.sources.local", blind)
    assert prepare(source, processed, progress=False).unrecognised == ["local/seizures.csv"]

    seeing = types.ModuleType("cdp_analysis.sources.local")
    seeing.is_local_return = lambda path: Path(path).parent.name == "local"
    seeing.read_local_return = lambda path: pd.read_csv(path, dtype={"area_code": "string"})
    monkeypatch.setitem(sys.modules, "cdp_analysis.sources.local", seeing)
    report = prepare(source, processed, progress=False)
    assert not report.fast and report.units["local"] == ["local/seizures"]
    assert pd.read_parquet(processed / "local" / "seizures.parquet")["seizures"].tolist() == [7]


def test_a_failed_run_is_not_taken_for_a_complete_one(source: Path, processed: Path) -> None:
    prepare(source, processed, progress=False)
    bad = source / "2020-02-city-of-london-street.csv"
    text = bad.read_text("utf-8")
    bad.write_text(text[: text.rindex(",2020-02,") + 20], "utf-8")  # cut the last line short
    for _ in range(2):  # the error is raised again, never skipped
        with pytest.raises(DataFormatError):
            prepare(source, processed, progress=False)


def test_a_rewritten_manifest_is_read_again(source: Path, processed: Path) -> None:
    prepare(source, processed, progress=False)
    assert prepare(source, processed, progress=False).fast  # the manifest is now held in memory
    path = processed / MANIFEST_NAME
    manifest = json.loads(path.read_text("utf-8"))
    manifest["fast"]["fingerprint"] = "written by another run"
    path.write_text(json.dumps(manifest), "utf-8")
    assert not prepare(source, processed, progress=False).fast


@pytest.mark.skipif(sys.platform == "win32", reason="no lock on Windows")
def test_fast_path_does_not_wait_for_the_lock(source: Path, processed: Path) -> None:
    import fcntl

    prepare(source, processed, progress=False)
    results: list[PrepareReport] = []
    with open(processed / ".prepare.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # a long run holds the folder
        worker = threading.Thread(target=lambda: results.append(prepare(source, processed, progress=False)))
        worker.start()
        worker.join(timeout=60)
        finished = not worker.is_alive()
        fcntl.flock(handle, fcntl.LOCK_UN)
    worker.join()
    assert finished and results[0].fast

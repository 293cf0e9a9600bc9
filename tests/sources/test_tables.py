"""Tables in workbooks: the classifiers' header reads open each workbook once (per version of the file)."""

from __future__ import annotations

import os

import pytest

from cdp_analysis.errors import DataFormatError
from cdp_analysis.sources import _tables

openpyxl = pytest.importorskip("openpyxl")


def _book(path, header):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["A title row"])
    sheet.append(header)
    sheet.append(["E01000001", 12])
    book.save(path)


def test_header_reads_open_a_workbook_once_and_again_when_it_changes(tmp_path, monkeypatch):
    path = tmp_path / "table.xlsx"
    _book(path, ["LSOA code", "Score"])
    opened = []
    original = _tables.Workbook.__init__

    def counting(self, where):
        opened.append(where)
        original(self, where)

    monkeypatch.setattr(_tables.Workbook, "__init__", counting)
    _tables._heads.cache_clear()
    wants_score = lambda header: "score" in header  # noqa: E731
    wants_rank = lambda header: "rank" in header  # noqa: E731
    assert _tables.has_table(path, wants_score, "scores")
    assert not _tables.has_table(path, wants_rank, "ranks")  # another classifier, same file: no new open
    assert len(opened) == 1
    tables = _tables.read_tables(path, None, wants_score, "scores", header_only=True)
    assert (tables[0].sheet, tables[0].header_index, tables[0].header) == ("Data", 1, ["LSOA code", "Score"])
    with pytest.raises(DataFormatError, match=r"table\.xlsx.*no ranks header"):
        _tables.read_tables(path, None, wants_rank, "ranks", header_only=True)
    assert len(opened) == 1
    _book(path, ["LSOA code", "Rank"])  # the file changes: read again
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert _tables.has_table(path, wants_rank, "ranks")
    assert len(opened) == 2
    full = _tables.read_tables(path, None, wants_rank, "ranks")  # a full read still opens the file itself
    assert full[0].body.iloc[0].tolist() == ["E01000001", 12] and len(opened) == 3

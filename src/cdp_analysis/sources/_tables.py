"""Tables in CSVs and workbooks, shared by the readers of ONS/MHCLG files.

Published tables sit below title and note rows, in CSV, .xlsx or legacy .xls,
with headers that differ in case and spacing between editions. :func:`read_tables`
finds the header row an ``accept`` test recognises and returns the rows below it
with editor line numbers, so readers can name the line and column of bad input.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cdp_analysis.errors import DataFormatError, MissingDataError
from cdp_analysis.sources._common import detect_encoding

SCAN_ROWS = 30  # header rows searched below a title or preamble

# -- tables --------------------------------------------------------------------


def norm(header: object) -> str:
    """``'IMD - Average rank '`` -> ``'imd - average rank'``."""
    if header is None:
        return ""
    if isinstance(header, float) and header.is_integer():
        header = int(header)
    return " ".join(str(header).split()).lower()


class Workbook:
    """One open workbook (.xlsx via openpyxl read-only, .xls via xlrd), read row by row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._xls = path.suffix.lower() == ".xls"
        if self._xls:
            import xlrd

            self._book = xlrd.open_workbook(path, on_demand=True)
            self.names = list(self._book.sheet_names())
        else:
            import openpyxl

            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            self.names = list(self._book.sheetnames)

    def rows(self, sheet: str) -> Iterator[list[object]]:
        """Cell values row by row, ``None`` for an empty cell."""
        if self._xls:
            worksheet = self._book.sheet_by_name(sheet)
            for r in range(worksheet.nrows):
                yield [None if v == "" else v for v in worksheet.row_values(r)]
        else:
            for row in self._book[sheet].iter_rows(values_only=True):
                yield list(row)

    def close(self) -> None:
        if self._xls:
            self._book.release_resources()
        else:
            self._book.close()


@dataclass
class Table:
    """A table found in a CSV or on a worksheet: header row and the rows below it."""

    sheet: str | None
    header_index: int  # 0-based row of the header in the file or sheet
    header: list[str]
    body: pd.DataFrame  # columns by position; strings (CSV) or cell values (workbook)

    @property
    def header_lines(self) -> int:
        """Lines up to and including the header: data row ``i`` is on line ``i + header_lines + 1``."""
        return self.header_index + 1

    def line(self, position: int) -> int:
        return int(position) + self.header_lines + 1


def csv_rows(path: Path, limit: int | None = None) -> Iterator[list[str]]:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        for i, row in enumerate(csv.reader(handle)):
            if limit is not None and i >= limit:
                return
            yield row


def header_of(row: Sequence[object]) -> list[str]:
    return ["" if v is None else str(int(v) if isinstance(v, float) and v.is_integer() else v) for v in row]


def find_header(rows: Iterable[Sequence[object]], accept) -> tuple[int, list[str]] | None:
    """0-based index and header of the first of the first rows that ``accept`` likes."""
    for index, row in enumerate(rows):
        if index >= SCAN_ROWS:
            return None
        header = header_of(row)
        if accept([norm(h) for h in header]):
            return index, header
    return None


def body_frame(rows: list[list[object]], width: int) -> pd.DataFrame:
    while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
        rows.pop()  # trailing empty rows (formatting) are not data
    rows = [(r + [None] * width)[:width] for r in rows]
    return pd.DataFrame(rows, columns=range(width), dtype=object)


def read_tables(
    path: Path,
    sheet: str | None,
    accept,
    what: str,
    *,
    first_only: bool = True,
    header_only: bool = False,
    missing=None,
) -> list[Table]:
    """The table(s) whose header ``accept`` likes, from a CSV or a workbook (opened once).

    ``missing(header)`` names the column a rejected header lacks, for the error message.
    """
    if not path.exists():
        raise MissingDataError(f"{what} file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        found = find_header(csv_rows(path, SCAN_ROWS), accept)
        if found is None:
            raise missing_header(path, None, next(csv_rows(path, 1), []), what, missing=missing)
        index, header = found
        if header_only:
            body = pd.DataFrame(columns=range(len(header)))
        else:
            body = pd.read_csv(
                path, encoding=detect_encoding(path), dtype=str, keep_default_na=False, header=None,
                skiprows=index + 1, names=range(len(header)), skip_blank_lines=False,
            )
        return [Table(None, index, header, body)]
    if suffix not in (".xlsx", ".xlsm", ".xls"):
        raise DataFormatError(f"not a {what} file type", path=path, expected=".csv, .xlsx or .xls", found=suffix)
    if header_only:  # a classifier asking: the first rows of each sheet, read once per file
        names, heads = _workbook_heads(path)
        if sheet is not None and sheet not in names:
            raise DataFormatError(
                "sheet not in the workbook", path=path, expected=f"a sheet {sheet!r}",
                found="sheets " + ", ".join(repr(n) for n in names),
            )
        for name in [sheet] if sheet is not None else names:
            found = find_header(heads[name], accept)
            if found is not None:
                return [Table(name, found[0], found[1], body_frame([], len(found[1])))]
        first = heads[sheet][0] if sheet is not None and heads[sheet] else []
        raise missing_header(path, sheet, first, what, sheets=names, missing=missing)
    book = _open_workbook(path)
    try:
        if sheet is not None and sheet not in book.names:
            raise DataFormatError(
                "sheet not in the workbook", path=path, expected=f"a sheet {sheet!r}",
                found="sheets " + ", ".join(repr(n) for n in book.names),
            )
        tables: list[Table] = []
        first_rows: list[object] = []
        for name in [sheet] if sheet is not None else book.names:
            rows = book.rows(name)
            scanned: list[list[object]] = []
            found = None
            for index, row in enumerate(rows):
                scanned.append(row)
                header = header_of(row)
                if accept([norm(h) for h in header]):
                    found = (index, header)
                    break
                if index + 1 >= SCAN_ROWS:
                    break
            if sheet is not None and scanned:
                first_rows = scanned[0]
            if found is None:
                continue
            index, header = found
            body = body_frame([] if header_only else list(rows), len(header))
            tables.append(Table(name, index, header, body))
            if first_only:
                break
    finally:
        book.close()
    if not tables:
        raise missing_header(path, sheet, first_rows, what, sheets=book.names, missing=missing)
    return tables


def _open_workbook(path: Path) -> Workbook:
    try:
        return Workbook(path)
    except Exception as exc:
        raise DataFormatError(
            "cannot open the workbook", path=path, expected="an Excel workbook",
            found=f"{type(exc).__name__}: {exc}",
        ) from exc


def _workbook_heads(path: Path) -> tuple[list[str], dict[str, list[list[object]]]]:
    """Sheet names and the first :data:`SCAN_ROWS` rows of each sheet of a workbook.

    Kept per file (path, size, modification time) for the process: preparing a folder asks
    every reader's classifier about every workbook, and opening one parses its whole
    shared-strings table (seconds for the IMD workbook), so each file is opened once.
    """
    stat = path.stat()
    return _heads(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _heads(path: str, size: int, mtime_ns: int) -> tuple[list[str], dict[str, list[list[object]]]]:
    book = _open_workbook(Path(path))
    try:
        heads: dict[str, list[list[object]]] = {}
        for name in book.names:
            rows: list[list[object]] = []
            for row in book.rows(name):
                rows.append(row)
                if len(rows) >= SCAN_ROWS:
                    break
            heads[name] = rows
        return list(book.names), heads
    finally:
        book.close()


def match_columns(header: Sequence[str], patterns: dict[str, re.Pattern[str]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for position, raw in enumerate(header):
        text = norm(raw)
        for key, pattern in patterns.items():
            if key not in found and pattern.search(text):
                found[key] = position
                break
    return found


def missing_header(path: Path, sheet, header, what: str, sheets=None, missing=None) -> DataFormatError:
    """No row looked like the table's header: say which column the first row lacks."""
    where = f"sheet {sheet!r}: " if sheet else ""
    header = header_of(header or [])
    found = ", ".join(repr(h) for h in header[:8] if h) + (" …" if len(header) > 8 else "")
    if sheets is not None and sheet is None:
        found = "no such header on sheets " + ", ".join(repr(n) for n in sheets)
    column = missing(header) if (missing is not None and header) else None
    return DataFormatError(
        where + ("required column missing" if column else f"no {what} header found"), path=path,
        line=1 if header else None, column=column,
        expected=f"the {what} header within the first {SCAN_ROWS} rows", found=found or "nothing recognisable",
    )


def has_table(path: str | Path, accept, what: str) -> bool:
    """Whether ``path`` holds a table whose header ``accept`` recognises. Never raises."""
    try:
        read_tables(Path(path), None, accept, what, header_only=True)
        return True
    except Exception:  # a classifier must never stop a run
        return False

"""ONS, OHID and NDTMS-style spreadsheets: title rows, merged headers, markers.

Statistical workbooks put a title, notes and links above each table, spread
their column headers over several merged rows (``2019–21`` above ``Deaths``,
``Rate 1``, ``Lower Confidence Limit 2``), leave blank spacer rows and columns,
mark unpublished cells with ``:``, ``[x]``, ``[c]``…, flag unreliable values in
a column of their own (``U``) and finish with footnotes.

:func:`read_ons_table` reads one such table into a flat frame; everything else
here builds on it:

* :func:`read_drug_deaths_by_la`: the ONS workbook "Deaths related to drug
  poisoning by local authority, England and Wales" (``2021localauthorities.xlsx``)
  as one long table of annual counts (Tables 1–2) and 3-year counts with
  age-standardised rates (Tables 3–8);
* :func:`read_drug_poisoning_csv`: a re-tabulated CSV of Table 1
  (``code,name,2020,…,1993``, Windows-1252);
* :func:`to_indicator_table`: either of those as the tidy indicator table.

Markers are never turned into zero: a marked cell is NaN and its meaning goes
in a parallel ``<column>__note`` column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis.errors import DataFormatError
from cdp_analysis.sources._common import SUPPRESSION_MARKERS, check_columns, detect_encoding, to_count
from cdp_analysis.sources.schema import indicator_table

__all__ = [
    "FLAG_MARKERS",
    "GEOGRAPHY_LEVELS",
    "DRUG_DEATH_COLUMNS",
    "read_ons_table",
    "read_drug_deaths_by_la",
    "read_drug_poisoning_csv",
    "to_indicator_table",
]

#: Flags published in a column of their own, right of the value they qualify.
FLAG_MARKERS: dict[str, str] = {
    "u": "unreliable",
    "[u]": "unreliable",
    "[low]": "low reliability",
    "*": "low reliability",
}
#: GSS code prefix → geography level (ONS drug deaths workbooks).
GEOGRAPHY_LEVELS: dict[str, str] = {
    "K04": "england_and_wales",
    "E92": "country",
    "W92": "country",
    "E12": "region",
    "E13": "inner_outer_london",
    "E10": "county",
    "E11": "metropolitan_county",
    "E06": "unitary_authority",
    "W06": "unitary_authority",
    "E07": "district",
    "E08": "metropolitan_district",
    "E09": "london_borough",
}
#: Columns of :func:`read_drug_deaths_by_la` and :func:`read_drug_poisoning_csv`.
DRUG_DEATH_COLUMNS: dict[str, str] = {
    "area_code": "string",
    "area_name": "string",
    "geography_level": "string",
    "measure": "string",
    "sex": "string",
    "period": "string",
    "deaths": "Int64",
    "rate": "Float64",
    "lower_ci": "Float64",
    "upper_ci": "Float64",
    "rate_note": "string",
    "table": "string",
}

_CODE = re.compile(r"^[A-Z]\d{8}$")
_MANTISSA = r"[-+]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)"
_NUMBER = re.compile(rf"^{_MANTISSA}(?:[eE][-+]?\d+)?$")
_FLAGGED_NUMBER = re.compile(rf"^({_MANTISSA})\s*(\*|\[[a-z]+\]|u)$", re.IGNORECASE)
_SUFFIX_MEANING = {"*": "low reliability (marked *)", "u": "unreliable", "[u]": "unreliable",
                   "[low]": "low reliability"}
_NOTE_REF = re.compile(r"\s*\[notes?\s*[\d,\s and]+\]", re.IGNORECASE)
_TRAILING_REFS = re.compile(r"^(.*?[A-Za-z)\]])\s+(\d{1,2}(?:\s*,\s*\d{1,2})*)$")
_FOOTER = re.compile(r"^(footnotes?|notes?|source|table\s+\d|worksheet\s+\d|https?://|www\.)\b", re.IGNORECASE)
_NUMBERED_NOTE = re.compile(r"^\s*(\d{1,2})\s+[A-Za-z]")
# A number after these words is part of the header ("Under 20", "Quintile 2"), not a footnote.
_KEEP_NUMBER_AFTER = frozenset(
    "under over aged age ages to and than from group groups quintile decile quartile table year years "
    "wave q quarter top bottom tier type class level band week weeks month months day days phase step "
    "stage round part section column grade area zone hour hours score rank no no. number option".split()
)


# -- workbooks ------------------------------------------------------------------------------------


@dataclass
class _Sheet:
    """One worksheet as plain values (0-based rows and columns) plus its merged ranges."""

    name: str
    rows: list[list[Any]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 inclusive
    _origin: dict[tuple[int, int], tuple[int, int]] | None = field(default=None, repr=False)

    def merge_origin(self) -> dict[tuple[int, int], tuple[int, int]]:
        """(row, col) of every merged cell → (row, col) of its range's top-left cell."""
        if self._origin is None:
            self._origin = {}
            for r0, c0, r1, c1 in self.merged:
                for r in range(r0, r1 + 1):
                    for c in range(c0, c1 + 1):
                        self._origin[(r, c)] = (r0, c0)
        return self._origin


class _Book:
    """A workbook opened once (``.xlsx`` with openpyxl, ``.xls`` with xlrd)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise DataFormatError("file not found", path=path)
        self._xls = path.suffix.lower() == ".xls"
        try:
            if self._xls:
                import xlrd

                self._book = xlrd.open_workbook(str(path), formatting_info=True)
                self.names = list(self._book.sheet_names())
            else:
                import openpyxl

                # Read-only mode is several times faster; merged ranges are read from the XML.
                self._book = openpyxl.load_workbook(path, data_only=True, read_only=True)
                self.names = list(self._book.sheetnames)
        except DataFormatError:
            raise
        except Exception as exc:  # zipfile.BadZipFile, xlrd.XLRDError, KeyError…
            raise DataFormatError(f"cannot open the workbook ({type(exc).__name__}: {exc})", path=path,
                                  expected="an Excel workbook (.xlsx or .xls)") from exc
        self._cache: dict[str, _Sheet] = {}

    def sheet(self, sheet: str | int) -> _Sheet:
        name = self._name(sheet)
        if name not in self._cache:
            self._cache[name] = self._read_xls(name) if self._xls else self._read_xlsx(name)
        return self._cache[name]

    def _name(self, sheet: str | int) -> str:
        if isinstance(sheet, int):
            if 0 <= sheet < len(self.names):
                return self.names[sheet]
        else:
            if sheet in self.names:
                return sheet
            folded = {n.strip().lower(): n for n in self.names}
            if str(sheet).strip().lower() in folded:
                return folded[str(sheet).strip().lower()]
        raise DataFormatError("no such sheet", path=self.path, column=None, expected=f"one of {self.names}",
                              found=repr(sheet))

    def _read_xlsx(self, name: str) -> _Sheet:
        from openpyxl.utils.cell import range_boundaries

        ws = self._book[name]
        ws.reset_dimensions()  # the stored <dimension> can be wrong; read every row
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        merged = []
        for ref in self._merge_refs(ws):
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            merged.append((min_row - 1, min_col - 1, max_row - 1, max_col - 1))
        return _Sheet(name, rows, merged)

    def _merge_refs(self, ws: Any) -> list[str]:
        """``<mergeCell ref="A4:A5"/>`` entries of a worksheet's XML."""
        import zipfile

        part = getattr(ws, "_worksheet_path", None)
        if part is None:  # pragma: no cover - other openpyxl versions: load the sheet fully
            import openpyxl

            full = openpyxl.load_workbook(self.path, data_only=True)[ws.title]
            return [str(m) for m in full.merged_cells.ranges]
        with zipfile.ZipFile(self.path) as archive:
            xml = archive.read(part).decode("utf-8", errors="replace")
        return re.findall(r'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+\d+(?::[A-Z]+\d+)?)"', xml)

    def close(self) -> None:
        """Release the file (read-only workbooks keep it open)."""
        close = getattr(self._book, "close", None) or getattr(self._book, "release_resources", None)
        if close is not None:
            close()

    def _read_xls(self, name: str) -> _Sheet:
        import xlrd

        sh = self._book.sheet_by_name(name)
        rows = []
        for r in range(sh.nrows):
            row: list[Any] = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    row.append(None)
                else:
                    row.append(cell.value)
            rows.append(row)
        merged = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in sh.merged_cells]
        return _Sheet(name, rows, merged)


# -- reading one table ----------------------------------------------------------------------------


def read_ons_table(
    path: str | Path,
    sheet: str | int,
    *,
    header_rows: int | Sequence[int] | None = None,
    code_column: str | None = None,
    table: int = 0,
    markers: dict[str, str] | None = None,
    flags: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Read one table of an ONS-style worksheet into a flat, typed frame.

    The header is found after the title and notes rows (the first row with two
    or more filled cells, plus the rows of a merged header above and below it).
    Header rows are flattened with ``" | "`` (``"2019–21 | Rate"``) after
    removing footnote references (``"Rate 1"`` → ``"Rate"``, ``"[note 3]"``).
    Blank spacer rows and columns are dropped; the table ends at its footnotes,
    a ``Source:`` line or the next table's title. A label in the first column
    that heads a block (``Persons`` above a run of years) is filled down.

    Numeric columns are ``float64``. Suppression markers (``:``, ``..``, ``x``,
    ``*``, ``[c]``, ``[x]``, ``[z]``, ``[u]``, ``[low]``…) become NaN — never
    0 — with their meaning in ``<column>__note`` (added when a column has any).
    A flag column with no header of its own holding ``U``/``[u]``/``[low]``
    keeps the value it qualifies and adds the flag's meaning to that value's
    ``__note``; a number with a flag suffix (``"1.2*"``) keeps the number.
    Other columns are text (``string``).

    Parameters
    ----------
    path
        ``.xlsx`` (or legacy ``.xls``) workbook.
    sheet
        Sheet name (case-insensitive) or 0-based position.
    header_rows
        Excel row number(s) (1-based, as Excel shows) of the header when the
        automatic search gets it wrong; data start on the next row.
    code_column
        Column (flattened name or Excel letter) holding GSS area codes: rows
        without a code are dropped, a cell that is not a code raises.
    table
        Which table of the sheet (0 = the first) when a sheet holds several.
    markers, flags
        Override the meaning of markers (default
        :data:`~cdp_analysis.sources._common.SUPPRESSION_MARKERS`) and of
        flag-column values (default :data:`FLAG_MARKERS`); keys lower case.

    Returns
    -------
    pandas.DataFrame
        Index ``source_row``: the Excel row number of each data row.
        ``attrs``: ``path``, ``sheet``, ``title``, ``header_rows`` (Excel rows).

    Raises
    ------
    DataFormatError
        No table found, or a cell of a numeric column that is neither a
        number nor a marker; the message names the file, the row, the column
        and the cell (``F12``).
    """
    path = Path(path)
    book = _Book(path)
    try:
        return _read_table(book, sheet, header_rows=header_rows, code_column=code_column, table=table,
                           markers=markers, flags=flags)
    finally:
        book.close()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _filled(row: Sequence[Any]) -> list[int]:
    return [j for j, v in enumerate(row) if not _blank(v)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _year_like(value: Any) -> bool:
    return _is_number(value) and float(value).is_integer() and 1900 <= float(value) <= 2100


def _data_like(row: Sequence[Any], markers: dict[str, str], flags: dict[str, str]) -> bool:
    """A row holding values (numbers that are not years, markers or area codes)."""
    for v in row:
        if _is_number(v) and not _year_like(v):
            return True
        if isinstance(v, str):
            s = v.strip()
            low = s.lower()
            if not s:
                continue
            if low in markers or low in flags or _CODE.match(s) or _FLAGGED_NUMBER.match(s):
                return True
            if _NUMBER.match(s) and not re.fullmatch(r"(19|20)\d\d", s):
                return True
    return False


def _is_footer(row: Sequence[Any], filled: list[int]) -> bool:
    if len(filled) != 1:
        return False
    text = str(row[filled[0]]).strip()
    if _FOOTER.match(text) or len(text) >= 100:
        return True
    return bool(_NUMBERED_NOTE.match(text)) and len(text) >= 40


def _cell_ref(row: int, col: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col + 1)}{row + 1}"


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col + 1)


@dataclass
class _Layout:
    title: str
    header: list[int]     # 0-based rows of the header
    data: list[int]       # 0-based rows of data
    first_col: int
    columns: list[int]    # 0-based columns of the table
    end: int              # first row after the table
    note_count: int       # highest footnote number seen after the table


def _layout(sheet: _Sheet, path: Path, start: int, header_rows: int | Sequence[int] | None,
            markers: dict[str, str], flags: dict[str, str]) -> _Layout:
    rows, n = sheet.rows, len(sheet.rows)
    title_rows: list[int] = []
    if header_rows is not None:
        wanted = [header_rows] if isinstance(header_rows, int) else list(header_rows)
        header = sorted(int(r) - 1 for r in wanted)
        if not header or header[0] < 0 or header[-1] >= n:
            raise DataFormatError("header rows outside the sheet", path=path, column=None,
                                  expected=f"rows 1 to {n}", found=str(list(wanted)))
        i = header[-1] + 1
        title_rows = [r for r in range(start, header[0]) if _filled(rows[r])]
    else:
        i = start
        while i < n and len(_filled(rows[i])) <= 1:
            if _filled(rows[i]):
                title_rows.append(i)
            i += 1
        if i >= n:
            raise DataFormatError(f"no table found in sheet {sheet.name!r}", path=path,
                                  expected="a header row with two or more filled cells", found="none")
        h0 = i
        first = min(_filled(rows[h0]))
        # Group labels on their own above the first header row ("Persons" over E:O).
        above: list[int] = []
        r = h0 - 1
        spans = {(r0, c0): c1 - c0 for r0, c0, r1, c1 in sheet.merged}
        while r >= start:
            f = _filled(rows[r])
            if len(f) != 1 or f[0] <= first or not spans.get((r, f[0])) or len(str(rows[r][f[0]]).strip()) > 60:
                break
            above.insert(0, r)
            r -= 1
        title_rows = [t for t in title_rows if t not in above]
        header = above + [h0]
        i = h0 + 1
        while i < n:
            f = _filled(rows[i])
            if not f or _data_like(rows[i], markers, flags):
                break
            if len(f) == 1 and f[0] <= first:
                break  # a section label ("Persons") heading the data
            header.append(i)
            i += 1
    first_col = min(min(_filled(rows[r]) or [10**6]) for r in header)
    data: list[int] = []
    end = n
    for r in range(i, n):
        f = _filled(rows[r])
        if not f:
            continue
        if _is_footer(rows[r], f):
            end = r
            break
        data.append(r)
    used: set[int] = set()
    for r in header + data:
        used.update(_filled(rows[r]))
    columns = sorted(c for c in used if c >= first_col)
    note_count = 0
    for r in range(end, n):
        f = _filled(rows[r])
        m = _NUMBERED_NOTE.match(str(rows[r][f[0]])) if f else None
        if m:
            note_count = max(note_count, int(m.group(1)))
    titles = [" ".join(str(rows[r][_filled(rows[r])[0]]).split()) for r in title_rows]
    for text in titles:  # "… registered between 2001 and 2021 1,2,3,4,5,6,7"
        refs = re.search(r"\s(\d{1,2}(?:\s*,\s*\d{1,2})+)$", text)
        if refs:
            note_count = max(note_count, *(int(x) for x in re.split(r"\s*,\s*", refs.group(1))))
    title_text = next((t for t in titles if not t.lower().startswith(("back to", "link to"))
                       and not re.fullmatch(r"(table|worksheet)\s+[\w.]+:?", t, re.IGNORECASE)), "")
    title_text = re.sub(r"(?<=\d{4})\s+\d{1,2}(?:,\d{1,2})*$|\s+\d{1,2}(?:,\d{1,2})+$", "", title_text)
    title_text = _NOTE_REF.sub("", title_text).strip()
    return _Layout(title_text, header, data, first_col, columns, end, note_count)


def _clean_header(value: Any, note_count: int) -> str:
    if _blank(value):
        return ""
    if _is_number(value):
        text = str(int(value)) if float(value).is_integer() else str(value)
    else:
        text = " ".join(str(value).split())
    text = _NOTE_REF.sub("", text).strip()
    m = _TRAILING_REFS.match(text)
    if m and note_count:
        refs = [int(x) for x in re.split(r"\s*,\s*", m.group(2))]
        last_word = m.group(1).split()[-1].lower().strip("()[]")
        if all(1 <= x <= note_count for x in refs) and last_word not in _KEEP_NUMBER_AFTER:
            text = m.group(1).strip()
    return text


def _header_names(sheet: _Sheet, layout: _Layout) -> dict[int, str]:
    rows = sheet.rows
    origin = sheet.merge_origin()

    def raw(r: int, c: int) -> Any:
        o_r, o_c = origin.get((r, c), (r, c))
        row = rows[o_r]
        return row[o_c] if o_c < len(row) else None

    def source_col(r: int, c: int) -> int:
        return origin.get((r, c), (r, c))[1]

    last = layout.header[-1]
    own = {c: _clean_header(raw(last, c), layout.note_count) for c in layout.columns}
    parts: dict[int, list[str]] = {c: [] for c in layout.columns}
    for r in layout.header:
        left: int | None = None
        for c in layout.columns:
            text = _clean_header(raw(r, c), layout.note_count)
            if r != last:
                # An upper-row caption in the stub names the column dimension, not the column.
                if text and source_col(r, c) == layout.first_col and own[c]:
                    text = ""
                # An unmerged group label spans the columns to its right that have their own header.
                if (not text and (r, c) not in origin and left == c - 1 and parts[left][-1] and own[c]
                        and parts[c] == parts[left][:-1]):
                    text = parts[left][-1]
            parts[c].append(text)
            left = c
    names: dict[int, str] = {}
    seen: dict[str, int] = {}
    for c in layout.columns:
        kept: list[str] = []
        for p in parts[c]:
            if p and (not kept or kept[-1] != p):
                kept.append(p)
        name = " | ".join(kept)
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names[c] = name
    return names


def _read_table(
    book: _Book,
    sheet_id: str | int,
    *,
    header_rows: int | Sequence[int] | None = None,
    code_column: str | None = None,
    table: int = 0,
    markers: dict[str, str] | None = None,
    flags: dict[str, str] | None = None,
) -> pd.DataFrame:
    path = book.path
    sheet = book.sheet(sheet_id)
    markers = {k.lower(): v for k, v in (SUPPRESSION_MARKERS if markers is None else markers).items()}
    flags = {k.lower(): v for k, v in (FLAG_MARKERS if flags is None else flags).items()}
    start = 0
    for _ in range(table):
        start = _layout(sheet, path, start, None, markers, flags).end
    layout = _layout(sheet, path, start, header_rows, markers, flags)
    names = _header_names(sheet, layout)
    rows = sheet.rows

    def cell(r: int, c: int) -> Any:
        row = rows[r]
        return row[c] if c < len(row) else None

    # Fill the first column down over blocks ("Persons" then years; 2021 then regions),
    # unless it holds the area codes: a row without a code is then not an area's row.
    fill = code_column is None or code_column not in (names[layout.first_col], _letter(layout.first_col))
    data_rows: list[int] = []
    values: dict[int, list[Any]] = {c: [] for c in layout.columns}
    carry: Any = None
    for r in layout.data:
        filled = [c for c in _filled(rows[r]) if c in values]
        if not filled:
            continue
        first = cell(r, layout.first_col)
        if filled == [layout.first_col] and not _data_like(rows[r], markers, flags):
            carry = first  # a section label heading the rows below
            continue
        if _blank(first):
            first = carry if fill else first
        else:
            carry = first
        data_rows.append(r)
        for c in layout.columns:
            values[c].append(first if c == layout.first_col else cell(r, c))

    out: dict[str, pd.Series] = {}
    index = pd.Index([r + 1 for r in data_rows], name="source_row")
    previous_numeric: str | None = None
    for c in layout.columns:
        name = names[c]
        column = values[c]
        header_own = _own_header(sheet, layout, c)
        non_blank = [v for v in column if not _blank(v)]
        if not non_blank and not name:
            continue  # spacer column
        if (non_blank and not header_own and previous_numeric is not None
                and all(isinstance(v, str) and v.strip().lower() in flags for v in non_blank)):
            reasons = pd.Series([flags[v.strip().lower()] if not _blank(v) else pd.NA for v in column],
                                index=index, dtype="string")
            note_name = f"{previous_numeric}__note"
            if note_name in out:
                old = out[note_name]
                both = old.notna() & reasons.notna()
                out[note_name] = old.where(~both, old + "; " + reasons).fillna(reasons)
            else:
                out[note_name] = reasons
            continue
        if not name:
            name = f"column {_letter(c)}"
        parsed = _parse_column(column, data_rows, c, name, path, markers)
        if parsed is None:
            out[name] = pd.Series([_as_text(v) for v in column], index=index, dtype="string")
            previous_numeric = None
        else:
            numbers, notes = parsed
            out[name] = pd.Series(numbers, index=index, dtype="float64")
            if any(n is not None for n in notes):
                out[f"{name}__note"] = pd.Series([pd.NA if n is None else n for n in notes], index=index,
                                                 dtype="string")
            previous_numeric = name
    frame = pd.DataFrame(out, index=index)
    if code_column is not None:
        frame = _keep_coded_rows(frame, code_column, layout, names, path)
    frame.attrs.update({
        "path": str(path),
        "sheet": sheet.name,
        "title": layout.title,
        "header_rows": [r + 1 for r in layout.header],
    })
    return frame


def _own_header(sheet: _Sheet, layout: _Layout, c: int) -> str:
    """The text in the last header row at column ``c`` (a merged cell counts)."""
    origin = sheet.merge_origin()
    r = layout.header[-1]
    o_r, o_c = origin.get((r, c), (r, c))
    row = sheet.rows[o_r]
    return _clean_header(row[o_c] if o_c < len(row) else None, layout.note_count)


def _as_text(value: Any) -> Any:
    if _blank(value):
        return pd.NA
    if _is_number(value):
        return str(int(value)) if float(value).is_integer() else str(value)
    return _NOTE_REF.sub("", " ".join(str(value).split())).strip() or pd.NA


def _parse_column(column: list[Any], data_rows: list[int], c: int, name: str, path: Path,
                  markers: dict[str, str]) -> tuple[list[float], list[str | None]] | None:
    """Numbers and notes of a numeric column, or None for a text column."""
    numbers: list[float] = []
    notes: list[str | None] = []
    bad: list[int] = []
    count = 0
    for i, v in enumerate(column):
        if _blank(v):
            numbers.append(np.nan)
            notes.append(None)
        elif _is_number(v):
            numbers.append(float(v))
            notes.append(None)
            count += 1
        elif isinstance(v, str):
            s = v.strip()
            low = s.lower()
            flagged = _FLAGGED_NUMBER.match(s)
            if low in markers:
                numbers.append(np.nan)
                notes.append(markers[low])
                count += 1
            elif _NUMBER.match(s):
                numbers.append(float(s.replace(",", "")))
                notes.append(None)
                count += 1
            elif flagged:
                numbers.append(float(flagged.group(1).replace(",", "")))
                suffix = flagged.group(2).lower()
                notes.append(_SUFFIX_MEANING.get(suffix) or markers.get(suffix) or f"flagged {suffix}")
                count += 1
            else:
                numbers.append(np.nan)
                notes.append(None)
                bad.append(i)
        else:  # dates, booleans: a text column
            bad.append(i)
            numbers.append(np.nan)
            notes.append(None)
    numeric_values = sum(1 for v in column if _is_number(v) or (isinstance(v, str) and _NUMBER.match(v.strip())))
    if not bad:
        return (numbers, notes) if count else None
    if numeric_values > len(bad):
        i = bad[0]
        r = data_rows[i]
        raise DataFormatError(
            f"cell {_cell_ref(r, c)}: not a number", path=path, line=r + 1, column=name,
            expected="a number or a suppression marker (" + ", ".join(sorted(markers)) + ")",
            found=repr(column[i]),
        )
    return None


def _keep_coded_rows(frame: pd.DataFrame, code_column: str, layout: _Layout, names: dict[int, str],
                     path: Path) -> pd.DataFrame:
    column = code_column
    if column not in frame.columns:
        by_letter = {_letter(c): n for c, n in names.items()}
        column = by_letter.get(code_column.upper(), code_column)
    if column not in frame.columns:
        check_columns(path, list(frame.columns), [code_column], line=layout.header[-1] + 1)
    codes = frame[column].astype("string").str.strip()
    frame = frame[codes.notna()].copy()
    codes = codes[codes.notna()]
    bad = ~codes.str.fullmatch(_CODE.pattern).fillna(False)
    if bad.any():
        row = int(codes.index[np.flatnonzero(bad.to_numpy())[0]])
        raise DataFormatError("not an area code", path=path, line=row, column=column,
                              expected="a GSS code such as E09000003", found=repr(codes.loc[row]))
    frame[column] = codes
    return frame


# -- ONS drug-related deaths by local authority --------------------------------------------------

_DEATHS_MARKERS = {**SUPPRESSION_MARKERS, ":": "rate not calculated (too few deaths)"}
_DEATHS_FLAGS = {**FLAG_MARKERS, "u": "unreliable (fewer than 20 deaths)"}
_SEX = {"persons": "Persons", "males": "Male", "females": "Female"}
_GROUP = re.compile(r"^(\d{4})\s*[–—-]\s*(\d{2}) \| (Deaths|Rate|Lower Confidence Limit|Upper Confidence Limit)$")


def read_drug_deaths_by_la(path: str | Path) -> pd.DataFrame:
    """The ONS workbook of drug-related deaths by local authority as one long table.

    Reads every ``Table N`` sheet whose title says what it holds: Tables 1–2
    (deaths registered in each year, persons) and Tables 3–8 (deaths and
    age-standardised rates per 100,000 with 95% confidence limits, 3 years
    pooled, persons/males/females). The measure (``"poisoning"`` or
    ``"misuse"``) and sex come from each table's title.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DRUG_DEATH_COLUMNS`: ``area_code``, ``area_name`` (from
        whichever of columns B/C/D holds it), ``geography_level``
        (:data:`GEOGRAPHY_LEVELS`), ``measure``, ``sex`` (``Persons``/``Male``/
        ``Female``), ``period`` (``"2021"`` or ``"2019-21"``), ``deaths``,
        ``rate``, ``lower_ci``, ``upper_ci`` (NaN for annual rows and where the
        rate is ``:``), ``rate_note`` (why a rate is missing or unreliable) and
        ``table`` (the sheet). Cells left blank by ONS (areas not published
        for a period) give no row.

    Raises
    ------
    DataFormatError
        Not that workbook, or a cell that is not a number or marker.
    """
    path = Path(path)
    book = _Book(path)
    try:
        parts = _drug_death_tables(book, path)
    finally:
        book.close()
    if not parts:
        raise DataFormatError(
            "no drug-deaths-by-local-authority tables found", path=path,
            expected="sheets 'Table 1'… titled 'Number of deaths related to drug poisoning/misuse … by local "
                     "authority'", found=", ".join(book.names))
    long = pd.concat(parts, ignore_index=True)
    keep = long["deaths"].notna() | long["rate"].notna() | long["rate_note"].notna()
    return _typed_deaths(long[keep])


def _drug_death_tables(book: _Book, path: Path) -> list[pd.DataFrame]:
    parts: list[pd.DataFrame] = []
    for name in book.names:
        if not re.fullmatch(r"Table \d+", name.strip()):
            continue
        sheet = book.sheet(name)
        title = " ".join(" ".join(str(v) for v in row if not _blank(v)) for row in sheet.rows[:4]).lower()
        measure = "misuse" if "drug misuse" in title else "poisoning" if "drug poisoning" in title else None
        sex_match = re.search(r"\b(persons|males|females)\b", title)
        if measure is None or sex_match is None or "local authority" not in title:
            continue
        sex = _SEX[sex_match.group(1)]
        frame = _read_table(book, name, code_column="Area Codes", markers=_DEATHS_MARKERS, flags=_DEATHS_FLAGS)
        if "age-standardised" in title:
            parts.append(_three_year(frame, measure, sex, name, path))
        elif "in each year" in title:
            parts.append(_annual(frame, measure, sex, name, path))
    return parts


def _area_columns(frame: pd.DataFrame, path: Path) -> tuple[pd.Series, pd.Series]:
    code_col = frame.columns[0]
    name_cols = [c for c in frame.columns if str(c).startswith("Area Name")]
    if not name_cols:
        raise DataFormatError("no 'Area Names' column", path=path, column="Area Names",
                              found=", ".join(map(str, frame.columns[:6])))
    names = frame[name_cols[0]].astype("string")
    for col in name_cols[1:]:
        names = names.fillna(frame[col].astype("string"))
    return frame[code_col].astype("string"), names.str.strip()


def _three_year(frame: pd.DataFrame, measure: str, sex: str, table: str, path: Path) -> pd.DataFrame:
    codes, names = _area_columns(frame, path)
    groups: dict[str, dict[str, str]] = {}
    for column in frame.columns:
        m = _GROUP.match(str(column))
        if m:
            groups.setdefault(f"{m.group(1)}-{m.group(2)}", {})[m.group(3)] = column
    if not groups:
        raise DataFormatError("no '2019–21 | Deaths / Rate' column groups", path=path,
                              found=", ".join(map(str, frame.columns[:8])))
    pieces = []
    for period, cols in groups.items():
        rate_col = cols.get("Rate")

        def get(key: str) -> Any:
            return frame[cols[key]] if key in cols else np.nan

        note = frame.get(f"{rate_col}__note") if rate_col else None
        pieces.append(pd.DataFrame({
            "area_code": codes.values, "area_name": names.values,
            "measure": measure, "sex": sex, "period": period,
            "deaths": _checked_deaths(frame, cols.get("Deaths"), path),
            "rate": np.asarray(get("Rate"), dtype="float64") if rate_col else np.nan,
            "lower_ci": np.asarray(get("Lower Confidence Limit"), dtype="float64") * np.ones(len(frame)),
            "upper_ci": np.asarray(get("Upper Confidence Limit"), dtype="float64") * np.ones(len(frame)),
            "rate_note": note.values if note is not None else pd.NA,
            "table": table,
        }))
    return _piece_types(pd.concat(pieces, ignore_index=True))


def _annual(frame: pd.DataFrame, measure: str, sex: str, table: str, path: Path) -> pd.DataFrame:
    codes, names = _area_columns(frame, path)
    years = [c for c in frame.columns if re.fullmatch(r"\d{4}", str(c))]
    if not years:
        raise DataFormatError("no year columns", path=path, found=", ".join(map(str, frame.columns[:8])))
    pieces = [pd.DataFrame({
        "area_code": codes.values, "area_name": names.values, "measure": measure, "sex": sex,
        "period": year, "deaths": _checked_deaths(frame, year, path), "rate": np.nan,
        "lower_ci": np.nan, "upper_ci": np.nan, "rate_note": pd.NA, "table": table,
    }) for year in years]
    return _piece_types(pd.concat(pieces, ignore_index=True))


def _piece_types(piece: pd.DataFrame) -> pd.DataFrame:
    """Give a piece the final dtypes so that concatenating pieces keeps them."""
    for column, dtype in DRUG_DEATH_COLUMNS.items():
        if column in piece:
            piece[column] = piece[column].astype(dtype)
    return piece


def _checked_deaths(frame: pd.DataFrame, column: str | None, path: Path) -> np.ndarray:
    if column is None:
        return np.full(len(frame), np.nan)
    values = frame[column].to_numpy(dtype="float64")
    bad = (values < 0) | (np.isfinite(values) & (values != np.floor(values)))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataFormatError("not a count of deaths", path=path, line=int(frame.index[i]), column=column,
                              expected="a whole number of 0 or more", found=repr(values[i]))
    return values


def _typed_deaths(long: pd.DataFrame) -> pd.DataFrame:
    long = long.copy()
    long["geography_level"] = long["area_code"].str[:3].map(GEOGRAPHY_LEVELS).fillna("other")
    long = long[list(DRUG_DEATH_COLUMNS)]
    for column, dtype in DRUG_DEATH_COLUMNS.items():
        long[column] = long[column].astype(dtype)
    return long.reset_index(drop=True)


def read_drug_poisoning_csv(path: str | Path) -> pd.DataFrame:
    """A re-tabulated CSV of ONS Table 1 (``code,name,2020,…,1993``) as a long table.

    Decodes UTF-8 or Windows-1252 (``King’s Lynn and West Norfolk``,
    ``Ynys Môn``). Returns the columns of :func:`read_drug_deaths_by_la` with
    ``measure="poisoning"``, ``sex="Persons"``, annual periods and no rates.

    Raises
    ------
    DataFormatError
        Missing ``code``/``name``, an unexpected column, or a count that is not
        a whole number of 0 or more.
    """
    path = Path(path)
    encoding = detect_encoding(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    raw.columns = [str(c).strip() for c in raw.columns]
    check_columns(path, list(raw.columns), ("code", "name"))
    years = [c for c in raw.columns if re.fullmatch(r"\d{4}", c)]
    other = [c for c in raw.columns if c not in years and c not in ("code", "name")]
    if other or not years:
        raise DataFormatError("unexpected column" if other else "no year columns", path=path, line=1,
                              column=other[0] if other else None, expected="code, name and year columns (2020…)",
                              found=", ".join(raw.columns[:8]))
    codes = raw["code"].str.strip()
    bad = ~codes.str.fullmatch(_CODE.pattern)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError("not an area code", path=path, line=i + 2, column="code",
                              expected="a GSS code such as E09000003", found=repr(raw["code"].iloc[i]))
    pieces = []
    for year in years:
        deaths, _reasons = to_count(raw[year], path=path, column=year)
        fractional = deaths.notna() & (deaths != np.floor(deaths))
        if fractional.any():
            i = int(np.flatnonzero(fractional.to_numpy())[0])
            raise DataFormatError("not a whole number", path=path, line=i + 2, column=year,
                                  expected="a count of deaths", found=repr(raw[year].iloc[i]))
        pieces.append(pd.DataFrame({
            "area_code": codes, "area_name": raw["name"].str.strip(), "measure": "poisoning", "sex": "Persons",
            "period": year, "deaths": deaths, "rate": np.nan, "lower_ci": np.nan, "upper_ci": np.nan,
            "rate_note": pd.NA, "table": path.name,
        }))
    long = pd.concat([_piece_types(p) for p in pieces], ignore_index=True)
    return _typed_deaths(long[long["deaths"].notna()])


# -- the indicator table --------------------------------------------------------------------------

_NAMES = {
    ("misuse", "3yr"): "Deaths related to drug misuse: age-standardised rate per 100,000, 3 years pooled",
    ("poisoning", "3yr"): "Deaths related to drug poisoning: age-standardised rate per 100,000, 3 years pooled",
    ("misuse", "annual"): "Deaths related to drug misuse registered in the year",
    ("poisoning", "annual"): "Deaths related to drug poisoning registered in the year",
}


def to_indicator_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Drug-death rows (:func:`read_drug_deaths_by_la`, :func:`read_drug_poisoning_csv`) as indicators.

    3-year rows become ``ONS-drug-<measure>-deaths-3yr`` (value = the
    age-standardised rate per 100,000, count = deaths, 95% CI, polarity
    ``LowIsGood``); annual rows become ``ONS-drug-<measure>-deaths-annual``
    (value = count = deaths, unit ``"deaths"``). ``source="ONS"``.
    """
    frame = frame.reset_index(drop=True)
    pooled = frame["period"].astype("string").str.contains("-", regex=False).fillna(False).to_numpy()
    kind = np.where(pooled, "3yr", "annual")
    measure = frame["measure"].astype("string").to_numpy()
    deaths = frame["deaths"].astype("Float64")
    table = pd.DataFrame({
        "area_code": frame["area_code"],
        "area_name": frame["area_name"].fillna(""),
        "indicator_id": [f"ONS-drug-{m}-deaths-{k}" for m, k in zip(measure, kind)],
        "indicator_name": [_NAMES.get((m, k), "") for m, k in zip(measure, kind)],
        "period": frame["period"],
        "period_start": frame["period"].astype("string").str[:4].astype("Int64"),
        "sex": frame["sex"],
        "age": "All ages",
        "category_type": "",
        "category": "",
        "count": deaths,
        "denominator": pd.NA,
        "value": np.where(pooled, frame["rate"].astype("float64"), deaths.astype("float64")),
        "lower_ci": frame["lower_ci"],
        "upper_ci": frame["upper_ci"],
        "value_note": frame["rate_note"].fillna(""),
        "unit": np.where(pooled, "per 100,000", "deaths"),
        "polarity": np.where(pooled, "LowIsGood", ""),
        "source": "ONS",
    })
    return indicator_table(table, source="ONS drug-related deaths")

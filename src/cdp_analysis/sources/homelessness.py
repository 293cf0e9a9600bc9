"""MHCLG statutory homelessness (H-CLIC): households owed a duty by support need, table A3.

MHCLG publishes "Statutory homelessness: detailed local authority-level tables" each quarter and
for each financial year (``Detailed_LA_<period>.ods``, some editions ``.xlsx``; GOV.UK, "Live
tables on homelessness"). Sheet ``A3`` is "Number of households owed a homelessness duty by
support needs of household": one row per lower-tier authority (with England and the regions),
the authority's ONS code in the first column, below a title row (which names the period) and one
to three header rows whose labels MHCLG splits across merged cells and moves between editions.

:func:`read_hclic_support_needs` finds the header by its content (the code column and a column
naming drug dependency), joins each column's labels over the header rows, and matches columns by
label, never by position (the offsets differ between quarters). It reads:

``owed_duty``
    households owed a prevention or relief duty (the column "Total number of households owed a
    prevention or relief duty", or "Number of households owed a prevention or relief duty");
``with_support_needs``
    "Households with one or more support needs owed a duty";
``drug_dependency`` / ``alcohol_dependency``
    "Drug dependency needs" / "Alcohol dependency needs" (from the 2025 edition prefixed
    "Support need ...").

A household may have several needs, so the need columns do not add up to the total. Markers
(GSS and MHCLG conventions) are never zero: ``..``, ``[c]``, ``c`` (suppressed, small numbers or
an incomplete return), ``-``, ``[x]``, ``x`` (not available), ``[z]`` (not applicable) give a
missing count with the marker's meaning in ``note``. Anything else that is not a count raises a
:class:`~cdp_analysis.errors.DataFormatError` naming the file, line (the spreadsheet's row) and
column.

Periods: a financial year ("April 2023 to March 2024", "2023-24") is written ``"2023/24"``; a
quarter ("April to June 2024") ``"2024/25 Q1"`` (January to March 2025 is ``"2024/25 Q4"``),
the forms of the local returns.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.errors import DataFormatError, MissingDataError
from cdp_analysis.sources._tables import SCAN_ROWS, Workbook, _workbook_heads, csv_rows, norm

__all__ = ["HCLIC_COLUMNS", "HCLIC_MARKERS", "HCLIC_SHEET", "is_hclic_support_needs", "read_hclic_support_needs",
           "hclic_period"]

#: The sheet read.
HCLIC_SHEET = "A3"
#: Columns of :func:`read_hclic_support_needs`.
HCLIC_COLUMNS: dict[str, str] = {
    "area_code": "string",
    "area_name": "string",
    "period": "string",  # "2023/24" or "2024/25 Q1"
    "owed_duty": "float64",
    "with_support_needs": "float64",
    "drug_dependency": "float64",
    "alcohol_dependency": "float64",
    "note": "string",  # the meaning of any marker in the row's cells
}
#: Markers of the detailed tables and their meaning (never zero).
HCLIC_MARKERS: dict[str, str] = {
    "..": "suppressed (small number or incomplete return)",
    "[c]": "suppressed (small number)",
    "c": "suppressed (small number)",
    "-": "not available",
    "[x]": "not available",
    "x": "not available",
    "[z]": "not applicable",
    "z": "not applicable",
    "*": "suppressed (small number)",
}
_CODE = re.compile(r"^[EZ](0[6-9]\d{6}|12\d{6})$|^E92000001$")  # Z: the synthetic demo's codes
_CODE_HEADER = re.compile(r"^(current )?(ons|gss|la|local authority|area) ?(geography )?code$|^ons code$")
_NAME_HEADER = re.compile(r"^(local authority|area|la name|local authority name|area name)$")
# measure -> label patterns (searched in the joined, lower-case, footnote-free label)
_LABELS: dict[str, tuple[re.Pattern[str], ...]] = {
    "owed_duty": (re.compile(r"(total )?(number of )?households owed an? (prevention or relief|homelessness) duty"
                             r"( total)?$"),
                  re.compile(r"^total number of households owed"),),
    "with_support_needs": (re.compile(r"households with one or more support needs"),),
    "drug_dependency": (re.compile(r"(^| )drug dependency( needs?)?$"),),
    "alcohol_dependency": (re.compile(r"(^| )alcohol dependency( needs?)?$"),),
}
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


def _clean(label: object) -> str:
    """A header cell without footnote markers: ``'Drug dependency needs[note 4]'`` -> ``'drug dependency needs'``."""
    text = norm(label)
    text = re.sub(r"\[note ?\d+\]|\(note ?\d+\)", " ", text)
    text = re.sub(r"(?<=[a-z)])\d+(,\d+)*$", "", text.strip())  # trailing footnote digits: 'duty1,2'
    text = text.replace("of which:", " ").replace("(number)", " ")
    return " ".join(text.split())


def hclic_period(title: str) -> str | None:
    """The period a title names, in the local returns' form; None when it names none.

    >>> hclic_period("Table A3: ... England, April 2023 to March 2024")
    '2023/24'
    >>> hclic_period("... April to June 2024")
    '2024/25 Q1'
    >>> hclic_period("... January to March 2025")
    '2024/25 Q4'
    """
    text = norm(title)
    years = re.search(r"\b(20\d\d)\s*[-/]\s*(\d\d)\b", text)
    full = re.search(r"april (20\d\d) to march (20\d\d)", text)
    if full and int(full.group(2)) == int(full.group(1)) + 1:
        start = int(full.group(1))
        return f"{start}/{(start + 1) % 100:02d}"
    quarter = re.search(r"(" + "|".join(_MONTHS) + r") to (" + "|".join(_MONTHS) + r") (20\d\d)", text)
    if quarter:
        first, last, year = _MONTHS.index(quarter.group(1)), _MONTHS.index(quarter.group(2)), int(quarter.group(3))
        if last - first == 2 and first % 3 == 0:
            start = year if first >= 3 else year - 1  # the financial year starts in April
            q = {3: 1, 6: 2, 9: 3, 0: 4}[first]
            return f"{start}/{(start + 1) % 100:02d} Q{q}"
    if years and (int(years.group(1)) + 1) % 100 == int(years.group(2)):
        start = int(years.group(1))
        return f"{start}/{(start + 1) % 100:02d}"
    return None


def _rows(path: Path, limit: int | None = None) -> list[list[object]]:
    if path.suffix.lower() == ".csv":
        return [list(r) for r in csv_rows(path, limit)]
    book = Workbook(path)
    try:
        if HCLIC_SHEET not in book.names:
            raise DataFormatError("sheet not in the workbook", path=path, expected=f"a sheet {HCLIC_SHEET!r} "
                                  "(households owed a duty by support needs)",
                                  found="sheets " + ", ".join(repr(n) for n in book.names))
        out = []
        for row in book.rows(HCLIC_SHEET):
            out.append(row)
            if limit is not None and len(out) >= limit:
                break
        return out
    finally:
        book.close()


def _header(rows: list[list[object]]) -> tuple[int, list[str]] | None:
    """0-based index of the lowest header row and each column's labels joined over the header rows.

    The header is the first row (of the first :data:`SCAN_ROWS`) with a code column such that it
    or one of the two rows above names drug dependency.
    """
    for index, row in enumerate(rows[:SCAN_ROWS]):
        if not any(_CODE_HEADER.match(_clean(c)) for c in row):
            continue
        width = max(len(r) for r in rows[max(0, index - 2):index + 1])
        joined = []
        for j in range(width):
            parts = [_clean(r[j]) for r in rows[max(0, index - 2):index + 1] if j < len(r) and _clean(r[j])]
            joined.append(" ".join(dict.fromkeys(parts)))
        if any("drug dependency" in label for label in joined):
            return index, joined
    return None


def is_hclic_support_needs(path: str | Path) -> bool:
    """Whether ``path`` is an H-CLIC detailed local authority table A3 (a workbook with sheet
    ``A3`` or a CSV saved from it). Never raises."""
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm", ".csv") or not path.is_file():
        return False
    try:
        if path.suffix.lower() == ".csv":
            rows = _rows(path, SCAN_ROWS)
        else:  # the first rows of each sheet, read once per file for every classifier (_tables)
            _, heads = _workbook_heads(path)
            rows = [list(r) for r in heads.get(HCLIC_SHEET, [])]
        title = " ".join(norm(c) for c in (rows[0] if rows else []) if c is not None)
        return _header(rows) is not None and "support need" in title
    except Exception:  # a classifier must never stop a run
        return False


def read_hclic_support_needs(path: str | Path) -> pd.DataFrame:
    """Households owed a homelessness duty with a drug or alcohol dependency support need, by area.

    Returns
    -------
    DataFrame with :data:`HCLIC_COLUMNS`: one row per authority (and England and region rows where
    the table has them) for the table's period.

    Raises
    ------
    MissingDataError
        The file does not exist.
    DataFormatError
        No A3 sheet or header, a measure's column is missing, the title names no period, or a
        cell is neither a count nor a marker (file, line and column named).
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"H-CLIC detailed local authority table not found: {path}")
    rows = _rows(path)
    found = _header(rows)
    if found is None:
        raise DataFormatError(
            "no table A3 header found (a code column with 'Drug dependency needs' beside it)", path=path,
            line=1, expected=f"the A3 header within the first {SCAN_ROWS} rows",
            found=", ".join(repr(str(c)) for c in (rows[0] if rows else [])[:4] if c is not None) or "nothing")
    index, labels = found
    code_col = next(j for j, cell in enumerate(rows[index]) if _CODE_HEADER.match(_clean(cell)))
    name_col = next((j for j, cell in enumerate(rows[index]) if j != code_col and _NAME_HEADER.match(_clean(cell))),
                    None)
    columns: dict[str, int] = {}
    for measure, patterns in _LABELS.items():
        hits = [j for j, lab in enumerate(labels) if not _is_rate(lab) and any(p.search(lab) for p in patterns)]
        if len(hits) != 1:
            raise DataFormatError(
                "required column missing" if not hits else "column named twice", path=path, line=index + 1,
                column=measure, expected=f"one column labelled like {patterns[0].pattern!r}",
                found=(", ".join(repr(labels[j]) for j in hits) if hits
                       else ", ".join(repr(lab) for lab in labels[:12] if lab) + " …"))
        columns[measure] = hits[0]
    title = " ".join(" ".join(str(c) for c in r if c is not None) for r in rows[:max(1, index)])
    period = hclic_period(title) or hclic_period(path.stem.replace("_", " "))
    if period is None:
        raise DataFormatError("the title names no period", path=path, line=1,
                              expected="a title naming the quarter or financial year (e.g. 'April to June 2024' "
                                       "or 'April 2023 to March 2024') or a file name with '2023-24'",
                              found=repr(title[:120]))
    out = []
    for position in range(index + 1, len(rows)):
        row = rows[position]
        code = str(row[code_col]).strip() if code_col < len(row) and row[code_col] is not None else ""
        if not _CODE.match(code):
            continue  # notes, blank lines, 'Rest of England'
        record: dict[str, object] = {"area_code": code, "period": period,
                                     "area_name": str(row[name_col]).strip() if name_col is not None
                                     and name_col < len(row) and row[name_col] is not None else ""}
        notes = []
        for measure, j in columns.items():
            value, note = _count(row[j] if j < len(row) else None, path, position + 1, rows[index][j]
                                 if j < len(rows[index]) and rows[index][j] else labels[j])
            record[measure] = value
            if note:
                notes.append(f"{measure.replace('_', ' ')}: {note}")
        record["note"] = "; ".join(notes)
        out.append(record)
    if not out:
        raise DataFormatError("no authority rows below the header", path=path, line=index + 2, column=labels[code_col],
                              expected="rows with an ONS code (E06…, E07…, E08…, E09…)", found="none")
    frame = pd.DataFrame(out, columns=list(HCLIC_COLUMNS))
    return frame.astype(HCLIC_COLUMNS)


def _is_rate(label: str) -> bool:
    return "per thousand" in label or "per (000s)" in label or "(000s)" in label or "%" in label or "per 1,000" in label


def _count(cell: object, path: Path, line: int, column: object) -> tuple[float, str]:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return np.nan, "blank"
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        value = float(cell)
    else:
        text = str(cell).strip().lower()
        if text in HCLIC_MARKERS:
            return np.nan, HCLIC_MARKERS[text]
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            raise DataFormatError("not a count", path=path, line=line, column=str(column),
                                  expected="a count or a marker (.., [c], [x], -)", found=repr(cell)) from None
    if value < 0 or value != value or not float(value).is_integer():
        raise DataFormatError("not a count", path=path, line=line, column=str(column),
                              expected="a whole number of households, 0 or more", found=repr(cell))
    return value, ""

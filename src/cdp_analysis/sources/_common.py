"""Helpers shared by the source readers: text decoding, header checks, numbers.

Every helper raises :class:`~cdp_analysis.errors.DataFormatError` naming the file,
the line and the column. Line numbers are 1-based as an editor shows them, the
header being line 1 (``line = row_index + header_lines + 1``).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.errors import DataFormatError

__all__ = [
    "SUPPRESSION_MARKERS",
    "detect_encoding",
    "sniff_text",
    "MAX_LINE_BYTES",
    "check_columns",
    "to_number",
    "to_count",
    "line_of",
    "decode_bytes",
    "csv_records",
    "csv_header",
]

#: The NDTMS substance groups (adult treatment), shared by the NDTMS reader and the local returns.
SUBSTANCE_GROUPS = ("opiate", "non-opiate only", "non-opiate and alcohol", "alcohol only")

#: Markers publishers use for a value that is not shown, with their reason.
SUPPRESSION_MARKERS: dict[str, str] = {
    "*": "suppressed (small number)",
    "x": "not available",
    "[x]": "not available",
    ":": "not available",
    "..": "not available",
    "[c]": "confidential (suppressed)",
    "[z]": "not applicable",
    "-": "not applicable",
    "u": "unreliable",
    "[u]": "unreliable",
    "[low]": "low reliability",
}


def detect_encoding(path: Path, sample_bytes: int = 1 << 20) -> str:
    """``utf-8-sig`` for UTF-8 text (with or without BOM), else ``cp1252``.

    Windows-1252 is what ONS and councils' Excel "Save as CSV" produce; any byte
    sequence that is not UTF-8 is read as such rather than failing.
    """
    with path.open("rb") as handle:
        head = handle.read(sample_bytes)
    if not head:
        raise DataFormatError("file is empty", path=path, line=1, expected="a header row", found="0 bytes")
    try:
        decoder = codecs.getincrementaldecoder("utf-8")()
        decoder.decode(head, final=len(head) < sample_bytes)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "cp1252"


#: The longest line a text input may have (the longest real line is a few kB).
MAX_LINE_BYTES = 1 << 20
_UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)
_BINARY_MAGIC = {b"PK\x03\x04": "a ZIP archive or Excel workbook", b"\xd0\xcf\x11\xe0": "an old Excel (.xls) workbook",
                 b"%PDF": "a PDF document", b"PAR1": "a Parquet file", b"\x1f\x8b": "a gzip archive"}


def sniff_text(path: Path, max_line: int = MAX_LINE_BYTES) -> str | None:
    """Why ``path`` cannot be read as a text table, or None if it looks like one.

    Looks at the first bytes only: a UTF-16/UTF-32 byte-order mark (Excel's
    "Unicode text"), a known binary signature, NUL bytes, or no line break within
    ``max_line`` bytes (a runaway line). Never raises for an unreadable file: the
    reason says so.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(max_line + 1)
    except OSError as exc:
        return f"cannot be opened ({exc.strerror or exc})"
    for bom, name in _UNICODE_BOMS:
        if head.startswith(bom):
            return (f'{name} text (Excel\'s "Unicode text"); save it as "CSV UTF-8 (Comma delimited)" '
                    "and run again")
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            return f"binary data ({what}), not comma-separated text"
    if b"\x00" in head[:65536]:
        return f"binary data, not text (a NUL byte at byte {head.index(bytes(1)) + 1})"
    if len(head) > max_line and b"\n" not in head and b"\r" not in head:
        return f"line 1 is longer than {max_line // (1 << 20)} MiB (no line break): not a table"
    return None


def check_columns(
    path: Path,
    found: Sequence[str],
    required: Iterable[str],
    *,
    line: int = 1,
) -> None:
    """Raise if a required column is absent, suggesting a delimiter or rename problem."""
    found = [str(c).strip() for c in found]
    for column in required:
        if column not in found:
            hint = "a comma-separated header"
            if len(found) == 1 and any(d in found[0] for d in (";", "\t", "|")):
                hint = "comma-separated values (the file seems to use another delimiter)"
            raise DataFormatError(
                "required column missing", path=path, line=line, column=column,
                expected=hint + f" with {column!r}",
                found=", ".join(repr(c) for c in found[:12]) + (" …" if len(found) > 12 else ""),
            )


def line_of(position: int, header_lines: int = 1) -> int:
    """Editor line number of the data row at 0-based ``position``."""
    return int(position) + header_lines + 1


def to_number(
    series: pd.Series,
    *,
    path: Path,
    column: str,
    header_lines: int = 1,
    markers: dict[str, str] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Parse numbers, turning suppression markers into NaN with a reason.

    Returns ``(values, reasons)``: ``reasons`` holds the marker's meaning where a
    marker stood, else ``<NA>``. Anything else that is not a number raises.
    Markers are never turned into zero.
    """
    markers = SUPPRESSION_MARKERS if markers is None else markers
    text = series.astype("string").str.strip()
    text = text.str.replace(",", "", regex=False)  # "1,234" thousands separators
    lowered = text.str.lower()
    reasons = lowered.map(lambda v: markers.get(v) if isinstance(v, str) else None).astype("string")
    values = pd.to_numeric(text.where(reasons.isna()), errors="coerce")
    bad = values.isna() & text.notna() & (text != "") & reasons.isna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError(
            "not a number", path=path, line=line_of(position, header_lines), column=column,
            expected="a number or a suppression marker", found=repr(series.iloc[position]),
        )
    return values.astype("float64"), reasons


def to_count(
    series: pd.Series,
    *,
    path: Path,
    column: str,
    header_lines: int = 1,
    markers: dict[str, str] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Like :func:`to_number` but rejects negative values."""
    values, reasons = to_number(series, path=path, column=column, header_lines=header_lines, markers=markers)
    negative = values < 0
    if negative.any():
        position = int(np.flatnonzero(negative.to_numpy())[0])
        raise DataFormatError(
            "negative count", path=path, line=line_of(position, header_lines), column=column,
            expected="a count of 0 or more", found=repr(series.iloc[position]),
        )
    return values, reasons


def decode_bytes(data: bytes) -> str:
    """UTF-8 text (BOM stripped) when it decodes, else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def csv_records(text: str, path: Path) -> tuple[list[list[str]], list[int]]:
    """Non-blank CSV records and the editor line each starts on (quoted newlines counted)."""
    rows: list[list[str]] = []
    starts: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    end = 0
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            if any(cell.strip() for cell in row):
                rows.append(row)
                starts.append(start)
    except csv.Error as exc:
        raise DataFormatError(f"malformed CSV ({exc})", path=path, line=end + 1,
                              expected="comma-separated values") from None
    return rows, starts


def csv_header(path: Path, sample_bytes: int = 16384) -> list[str] | None:
    """The stripped names of a CSV file's first line, or None if it cannot be read. Never raises."""
    try:
        with path.open("rb") as handle:
            head = handle.read(sample_bytes)
    except OSError:
        return None
    lines = decode_bytes(head).splitlines()
    if not lines:
        return None
    try:
        return [h.strip() for h in next(csv.reader([lines[0]]))]
    except (csv.Error, StopIteration):
        return None

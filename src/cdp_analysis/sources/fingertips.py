"""OHID Fingertips: "Export data" CSV files and the public API.

A Fingertips export is a CSV whose header begins ``Indicator ID,Indicator Name``.
Three published header variants are read (all real, see ``shared/data/real``);
they differ in column 23:

* the 26-column header ending ``…, Compared to England value or percentiles,
  Compared to Region value or percentiles, Time period Sortable, New data,
  Compared to goal`` (``indicators-CountyUA.data.csv``);
* the 27-column header where the 23rd column is literally ``Column not used`` and
  a final ``Time period range`` column follows (``indicator-93495-all-areas.csv``,
  ``unmet_opiates.csv``, ``unmet_alcohol.csv``);
* the 28-column header where the 23rd column is ``Compared to percentiles``
  (``la_hospital_admissions_2324.csv``).

Deprivation-decile rows (``Category Type`` such as ``County & UA deprivation
deciles in England (IMD2019, 4/21 geography)``, ``Category`` such as ``Most
deprived decile (IMD2019)``) are kept: they reach the indicator table with their
``category_type``/``category``; :func:`deprivation_decile` reads the decile number
and :func:`deprivation_rows` selects them for inequality analysis.

:func:`read_export` keeps every published column (unknown extra ones too, as
text), drops ``Column not used``, types the numbers and adds ``is_headline``
(no Category Type). Its index holds the editor line number of each record, so
a record whose quoted Indicator Name contains a newline is still placed right.
:func:`to_indicator_table` maps the frame into :func:`cdp_analysis.sources.schema.indicator_table`.

:class:`FingertipsClient` downloads the same CSV from ``fingertips.phe.org.uk/api``
with a timeout, retries and an on-disk cache of the raw response bytes.

References
----------
fingertipsR (rOpenSci) ``R/retrieve_data.R`` and ``R/indicator_metadata.R``;
fingertips_py (DHSC) ``api_calls.py``. See ``shared/METHODS.md`` section C.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import numpy as np
import pandas as pd

from cdp_analysis.errors import DataFormatError, FetchError, OfflineError
from cdp_analysis.sources._common import check_columns, decode_bytes, to_count, to_number
from cdp_analysis.sources.schema import indicator_table

__all__ = [
    "DEFAULT_BASE_URL",
    "EXPORT_HEADER",
    "REQUIRED_COLUMNS",
    "NUMBER_COLUMNS",
    "COUNT_COLUMNS",
    "is_export",
    "read_export",
    "read_metadata",
    "to_indicator_table",
    "period_sort_key",
    "deprivation_decile",
    "deprivation_rows",
    "FingertipsClient",
    "RELEASE_DATES_FILE",
    "parse_update_dates",
    "write_release_dates",
    "read_release_dates",
]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://fingertips.phe.org.uk/api/"
#: Beside the fetched exports: each indicator's latest data upload as the API states it (``cdp fetch``).
RELEASE_DATES_FILE = "indicator_release_dates.json"

#: The header of a Fingertips data export (the API's ``all_data/csv`` and the site's download),
#: in its published order.
EXPORT_HEADER: tuple[str, ...] = (
    "Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type",
    "Sex", "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit",
    "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator",
    "Value note", "Recent Trend", "Compared to England value or percentiles", "Column not used",
    "Time period Sortable", "New data", "Compared to goal", "Time period range",
)
#: Columns every export must have (both header variants carry them).
REQUIRED_COLUMNS: tuple[str, ...] = (
    "Indicator ID", "Indicator Name", "Area Code", "Area Name", "Sex", "Age",
    "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit",
    "Upper CI 95.0 limit", "Count", "Denominator", "Value note", "Time period Sortable",
)
#: Published numbers that may be negative (values and confidence limits).
NUMBER_COLUMNS: tuple[str, ...] = (
    "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit",
)
#: Published numbers that must not be negative.
COUNT_COLUMNS: tuple[str, ...] = ("Count", "Denominator")
_INTEGER_COLUMNS = ("Indicator ID", "Time period Sortable")
_NOT_EMPTY = ("Indicator ID", "Area Code", "Time period", "Time period Sortable")
_DROPPED = ("Column not used",)
_CI_PAIRS = (("Lower CI 95.0 limit", "Upper CI 95.0 limit"), ("Lower CI 99.8 limit", "Upper CI 99.8 limit"))
_HEADER_START = ("Indicator ID", "Indicator Name")
_NEWLINE = re.compile(r"\r\n|\r|\n")


# -- reading exports ------------------------------------------------------------------------------


def is_export(path: str | Path) -> bool:
    """Whether ``path`` is a Fingertips export (header begins ``Indicator ID,Indicator Name``).

    A UTF-8 byte-order mark and quoted header names are tolerated. Never raises:
    anything unreadable is simply not an export.
    """
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    first = decode_bytes(head.split(b"\n", 1)[0]).strip()
    try:
        names = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return False
    return [n.strip() for n in names[:2]] == list(_HEADER_START)


def read_export(path: str | Path) -> pd.DataFrame:
    """Read a Fingertips export CSV into a typed frame.

    Parameters
    ----------
    path
        The CSV file (UTF-8 with or without BOM, or Windows-1252).

    Returns
    -------
    pandas.DataFrame
        Every published column under its published name (``Column not used``
        dropped; unknown extra columns kept as text). ``Indicator ID`` and
        ``Time period Sortable`` are ``Int64``; values, confidence limits,
        ``Count`` and ``Denominator`` are ``float64`` (NaN where empty, never 0);
        text columns are ``string`` with ``<NA>`` where empty. ``is_headline``
        is True where Category Type is empty. The index (``line``) is the editor
        line on which each record starts. ``attrs["path"]`` names the file.

    Raises
    ------
    DataFormatError
        Empty or truncated file, wrong delimiter, missing required column,
        wrong number of fields, a value that is not a number, a negative count
        or denominator, a lower confidence limit above the upper one. The
        message names the file, the line and the column.
    """
    path = Path(path)
    return _parse_export(path.read_bytes(), path)


class _Records:
    """CSV records with the editor line on which each one, and each field, starts."""

    def __init__(self, text: str, path: Path) -> None:
        self.path = path
        self.rows: list[list[str]] = []
        self.starts: list[int] = []
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        end = 0
        try:
            for row in reader:
                start, end = end + 1, reader.line_num
                if row:  # blank lines are skipped but still counted
                    self.rows.append(row)
                    self.starts.append(start)
        except csv.Error as exc:
            truncated = "end of data" in str(exc) or "EOF" in str(exc)
            raise DataFormatError(
                "the file ends inside a quoted field (truncated download?)" if truncated
                else f"malformed CSV ({exc})",
                path=path, line=end + 1, expected="well-formed comma-separated values",
                found="an unterminated quote" if truncated else None,
            ) from None

    def field_line(self, record: int, field: int) -> int:
        """Editor line of field ``field`` (0-based) of record ``record`` (0 = header)."""
        row = self.rows[record]
        return self.starts[record] + sum(len(_NEWLINE.findall(f)) for f in row[: min(field, len(row))])


def _parse_export(data: bytes, path: Path) -> pd.DataFrame:
    if not data.strip():
        raise DataFormatError("file is empty", path=path, line=1,
                              expected="a header beginning 'Indicator ID,Indicator Name'",
                              found=f"{len(data)} bytes")
    records = _Records(decode_bytes(data), path)
    header = [h.strip() for h in records.rows[0]]
    check_columns(path, header, REQUIRED_COLUMNS)
    duplicated = [h for i, h in enumerate(header) if h in header[:i]]
    if duplicated:
        raise DataFormatError("column named twice", path=path, line=1, column=duplicated[0],
                              expected="each column once")
    _check_field_counts(records, header)

    frame = pd.DataFrame(records.rows[1:], columns=header, dtype=object)
    frame = frame.drop(columns=[c for c in _DROPPED if c in frame.columns])
    out: dict[str, pd.Series] = {}
    for column in frame.columns:
        raw = frame[column]
        if column in NUMBER_COLUMNS or column in COUNT_COLUMNS or column in _INTEGER_COLUMNS:
            out[column] = _numbers(raw, column, records, header)
        else:
            text = raw.astype("string").str.strip()
            out[column] = text.mask(text == "")
    typed = pd.DataFrame(out)
    for column in _NOT_EMPTY:
        missing = typed[column].isna().to_numpy()
        if missing.any():
            _raise_at(records, header, int(np.flatnonzero(missing)[0]), column,
                      "missing value", expected="a value", found="an empty field")
    for lower, upper in _CI_PAIRS:
        if lower in typed and upper in typed:
            bad = (typed[lower] > typed[upper]).to_numpy()
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                _raise_at(records, header, i, lower, "lower confidence limit above the upper one",
                          expected=f"{lower} <= {upper}",
                          found=f"{typed[lower].iloc[i]!r} > {typed[upper].iloc[i]!r}")
    typed["is_headline"] = typed["Category Type"].isna()
    typed.index = pd.Index(records.starts[1:], name="line")
    typed.attrs["path"] = str(path)
    return typed


def _check_field_counts(records: _Records, header: list[str]) -> None:
    """Every record has as many fields as the header, or as the usual record.

    Some real exports (``indicators-CountyUA.data.csv``) omit the empty last
    field on every record: 25 fields under a 26-name header. When most records
    are one field short, such records are padded with an empty field; what
    stays an error is a record whose length differs from both the header and
    the usual record, and above all a last record shorter than the others (a
    truncated file).
    """
    width = len(header)
    counts = [len(r) for r in records.rows[1:]]
    if not counts:
        return
    usual = max(set(counts), key=lambda n: (counts.count(n), n))
    # Only a missing empty last field is tolerated, so a record cut short is still caught.
    allowed = {width, usual} if usual == width - 1 else {width}
    shortest = min(allowed)
    last = len(records.rows) - 1
    for i in range(1, len(records.rows)):
        n = len(records.rows[i])
        if n in allowed:
            if n < width:
                records.rows[i] = records.rows[i] + [""] * (width - n)
            continue
        if i == last and n < shortest:
            raise DataFormatError(
                f"truncated file: the last record stops after {n} of {shortest} fields",
                path=records.path, line=records.field_line(i, n - 1), column=header[n],
                expected=f"{shortest} fields", found=f"{n}",
            )
        raise DataFormatError(
            "wrong number of fields", path=records.path, line=records.starts[i],
            column=header[n] if n < width else None,
            expected=f"{width} fields as in the header", found=f"{n}",
        )


def _raise_at(records: _Records, header: list[str], position: int, column: str, message: str,
              *, expected: str | None = None, found: str | None = None) -> None:
    line = records.field_line(position + 1, header.index(column))
    raise DataFormatError(message, path=records.path, line=line, column=column, expected=expected, found=found)


def _numbers(raw: pd.Series, column: str, records: _Records, header: list[str]) -> pd.Series:
    parse = to_count if column in COUNT_COLUMNS else to_number
    try:
        values, _reasons = parse(raw, path=records.path, column=column)
    except DataFormatError as exc:
        # The shared helper counts one line per record; re-place it on the real line.
        position = (exc.line or 2) - 2
        _raise_at(records, header, position, column, exc.reason, expected=exc.expected, found=exc.found)
        raise  # pragma: no cover - _raise_at always raises
    if column in _INTEGER_COLUMNS:
        fractional = (values.notna() & (values != np.floor(values))).to_numpy()
        if fractional.any():
            i = int(np.flatnonzero(fractional)[0])
            _raise_at(records, header, i, column, "not a whole number", expected="an integer",
                      found=repr(raw.iloc[i]))
        return values.astype("Int64")
    return values


# -- the indicator table --------------------------------------------------------------------------


def to_indicator_table(frame: pd.DataFrame, metadata: pd.DataFrame | None = None) -> pd.DataFrame:
    """Map a frame from :func:`read_export` into the tidy indicator table.

    Parameters
    ----------
    frame
        As returned by :func:`read_export` (or :meth:`FingertipsClient.data_by_indicator_id`).
    metadata
        Optional indicator metadata (:func:`read_metadata`): its ``Unit`` and
        ``Polarity`` columns win over what can be derived from the name.

    Returns
    -------
    pandas.DataFrame
        :func:`cdp_analysis.sources.schema.indicator_table` rows, ``source="Fingertips"``.
        ``indicator_name`` has its whitespace and newlines collapsed;
        ``period_start`` is ``Time period Sortable // 10000`` (the start year);
        ``lower_ci``/``upper_ci`` are the 95% limits; empty text is ``""``;
        ``unit`` is ``"per 100,000"``, ``"%"``… when the name makes it obvious,
        else ``""``; ``polarity`` comes from the metadata, else ``""``.

    Raises
    ------
    SchemaError
        A row breaks the indicator-table rules (e.g. a value outside its CI).
    """
    def col(name: str) -> pd.Series:
        if name in frame:
            return frame[name]
        return pd.Series(pd.NA, index=frame.index, dtype="object")

    def text(name: str) -> pd.Series:
        return col(name).astype("string").fillna("")

    name = col("Indicator Name").astype("string").str.split().str.join(" ").fillna("")
    ids = col("Indicator ID").astype("Int64").astype("string")
    units, polarities = _unit_and_polarity(ids, name, metadata)
    table = pd.DataFrame({
        "area_code": col("Area Code").astype("string"),
        "area_name": text("Area Name"),
        "indicator_id": ids,
        "indicator_name": name,
        "period": col("Time period").astype("string"),
        "period_start": (col("Time period Sortable").astype("Int64") // 10000),
        "sex": text("Sex"),
        "age": text("Age"),
        "category_type": text("Category Type"),
        "category": text("Category"),
        "count": col("Count"),
        "denominator": col("Denominator"),
        "value": col("Value"),
        "lower_ci": col("Lower CI 95.0 limit"),
        "upper_ci": col("Upper CI 95.0 limit"),
        "lower_ci_998": col("Lower CI 99.8 limit"),
        "upper_ci_998": col("Upper CI 99.8 limit"),
        "value_note": text("Value note"),
        "unit": units,
        "polarity": polarities,
        "source": "Fingertips",
    })
    return indicator_table(table.reset_index(drop=True), source=str(frame.attrs.get("path", "Fingertips")))


def _unit_and_polarity(ids: pd.Series, names: pd.Series, metadata: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    units = names.map(_unit_from_name).astype("string")
    polarity = pd.Series("", index=names.index, dtype="string")
    if metadata is not None and len(metadata) and "Indicator ID" in metadata:
        meta = metadata.copy()
        meta["_id"] = meta["Indicator ID"].astype("Int64").astype("string")
        meta = meta.drop_duplicates("_id").set_index("_id")
        if "Unit" in meta:
            known = ids.map(meta["Unit"].astype("string").str.strip()).astype("string")
            units = known.where(known.notna() & (known != ""), units)
        if "Polarity" in meta:
            polarity = ids.map(meta["Polarity"].map(_polarity)).astype("string").fillna("")
    return units.fillna(""), polarity


_PER = re.compile(r"(\bper\b|/)\s*(\d{1,3}(?:,\d{3})+|\d+)(?![\d/])", re.IGNORECASE)


def _unit_from_name(name: str) -> str:
    """``"per 100,000"``, ``"per 1,000"``, ``"%"``… when the name says so, else ``""``.

    ``"rate/100,000"`` counts only for powers of ten, so ``"2015/16"`` is no unit.
    """
    if not isinstance(name, str):
        return ""
    for match in _PER.finditer(name):
        number = int(match.group(2).replace(",", ""))
        if match.group(1) != "/" or (number >= 100 and str(number).strip("0") == "1"):
            return f"per {number:,}"
    if "%" in name or re.search(r"\b(percentage|per cent|percent)\b", name, re.IGNORECASE):
        return "%"
    return ""


def _polarity(text: Any) -> str:
    """Fingertips metadata polarity (``"RAG - Low is good   "``…) → schema polarity."""
    if not isinstance(text, str):
        return ""
    t = " ".join(text.lower().split())
    if "low is good" in t:
        return "LowIsGood"
    if "high is good" in t:
        return "HighIsGood"
    if "blue orange blue" in t or "not applicable" in t or "no judgement" in t:
        return "NoJudgement"
    return ""


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_DASH = r"\s*[-–—]\s*"


def _century(start: int, short: str) -> int:
    """Expand a two-digit end year relative to ``start`` (``2019``, ``"21"`` → 2021)."""
    end = int(short)
    if len(short) >= 4:
        return end
    full = start - start % 100 + end
    return full + 100 if full < start else full


def _period_bounds(period: str) -> tuple[int, int, int, int] | None:
    """(start year, start month, end year, end month) of a Fingertips/ONS period label."""
    p = " ".join(str(period).split())
    m = re.fullmatch(r"(\d{4})", p)
    if m:
        y = int(m[1])
        return y, 1, y, 12
    m = re.fullmatch(r"(\d{4})/(\d{2}|\d{4})", p)  # financial year 2015/16
    if m:
        y = int(m[1])
        return y, 4, _century(y, m[2]), 3
    m = re.fullmatch(rf"(\d{{4}})/(\d{{2}}){_DASH}(\d{{2}}|\d{{4}})/(\d{{2}})", p)  # 2016/17 - 18/19
    if m:
        y = int(m[1])
        end_start = _century(y, m[3])
        return y, 4, _century(end_start, m[4]), 3
    m = re.fullmatch(rf"(\d{{4}}){_DASH}(\d{{2}}|\d{{4}})", p)  # 2019 - 21, 2011 - 2016, 2019–21
    if m:
        y = int(m[1])
        return y, 1, _century(y, m[2]), 12
    m = re.fullmatch(r"(\d{4})/(\d{2})\s*Q([1-4])", p)  # financial quarter 2019/20 Q2
    if m:
        y, q = int(m[1]), int(m[3])
        first = 4 + 3 * (q - 1)
        year = y if first <= 12 else y + 1
        first = first if first <= 12 else first - 12
        return year, first, year, first + 2
    m = re.fullmatch(r"(\d{4})\s*Q([1-4])", p)  # calendar quarter 2017 Q1
    if m:
        y, q = int(m[1]), int(m[2])
        return y, 3 * q - 2, y, 3 * q
    m = re.fullmatch(r"([A-Za-z]{3})[a-z]*\s+(\d{4})", p)  # Aug 2014
    if m and m[1].lower() in _MONTHS:
        y, mo = int(m[2]), _MONTHS[m[1].lower()]
        return y, mo, y, mo
    return None


def period_sort_key(period: str) -> tuple[int, int, int, int, int, str]:
    """A key that sorts period labels in time order, by their **end**.

    ``"2019 - 21"`` (3 years pooled) sorts by 2021, after ``"2018 - 20"`` and
    ``"2020"``; ``"2015/16"`` ends in March 2016. Labels it cannot read sort
    after all others, alphabetically.

    Examples
    --------
    >>> sorted(["2019 - 21", "2017 - 19", "2018 - 20"], key=period_sort_key)
    ['2017 - 19', '2018 - 20', '2019 - 21']
    >>> sorted(["2016/17", "2015/16", "2016"], key=period_sort_key)
    ['2015/16', '2016', '2016/17']
    """
    bounds = _period_bounds(period)
    if bounds is None:
        return (1, 0, 0, 0, 0, str(period))
    start_year, start_month, end_year, end_month = bounds
    return (0, end_year, end_month, start_year, start_month, "")


# -- deprivation deciles ---------------------------------------------------------------------------

_ORDINALS = {"most": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_DECILE = re.compile(r"^\s*(?:(?P<extreme>most|least)|(?P<nth>second|third|fourth|fifth)\s+"
                     r"(?P<side>most|more|least|less))\s+deprived\s+decile", re.IGNORECASE)


def deprivation_decile(category: str | None) -> int | None:
    """The decile (1 = most deprived … 10 = least deprived) a Fingertips Category names, else None.

    Fingertips counts from both ends: ``Most``, ``Second most``, ``Third more``,
    ``Fourth more``, ``Fifth more`` deprived are deciles 1-5; ``Fifth less`` …
    ``Second least``, ``Least`` deprived are 6-10.

    Examples
    --------
    >>> [deprivation_decile(c) for c in ("Most deprived decile (IMD2019)",
    ...  "Fourth more deprived decile (IMD2019)", "Fifth less deprived decile (IMD2019)",
    ...  "Least deprived decile (IMD2015)", "Persons")]
    [1, 4, 6, 10, None]
    """
    if not isinstance(category, str):
        return None
    m = _DECILE.match(category)
    if m is None:
        return None
    if m["extreme"]:
        return 1 if m["extreme"].lower() == "most" else 10
    n = _ORDINALS[m["nth"].lower()]
    return n if m["side"].lower() in ("most", "more") else 11 - n


def deprivation_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The deprivation-decile rows of an indicator table, with a ``decile`` column (1 = most deprived).

    Rows whose ``category_type`` mentions deprivation deciles and whose
    ``category`` names a decile; several Category Type vintages (IMD2015,
    IMD2019 on 4/19, 4/20, 4/21, 4/23 geographies) stay apart in ``category_type``.
    """
    kind = table["category_type"].fillna("").str.contains("deprivation decile", case=False)
    rows = table[kind].copy()
    rows["decile"] = rows["category"].map(deprivation_decile).astype("Int64")
    return rows[rows["decile"].notna()]


# -- metadata -------------------------------------------------------------------------------------


def read_metadata(path: str | Path) -> pd.DataFrame:
    """Read an ``indicator_metadata/csv`` file (``Indicator ID``, ``Indicator``, …, ``Unit``, ``Polarity``).

    Raises
    ------
    DataFormatError
        Empty or truncated file, or no ``Indicator ID`` column.
    """
    path = Path(path)
    return _parse_metadata(path.read_bytes(), path)


def _parse_metadata(data: bytes, path: Path) -> pd.DataFrame:
    if not data.strip():
        raise DataFormatError("file is empty", path=path, line=1, expected="a metadata header",
                              found=f"{len(data)} bytes")
    records = _Records(decode_bytes(data), path)
    header = [h.strip() for h in records.rows[0]]
    check_columns(path, header, ("Indicator ID",))
    _check_field_counts(records, header)
    frame = pd.DataFrame(records.rows[1:], columns=header, dtype=object).astype("string")
    try:
        ids, _ = to_number(frame["Indicator ID"], path=path, column="Indicator ID")
    except DataFormatError as exc:
        _raise_at(records, header, (exc.line or 2) - 2, "Indicator ID", exc.reason,
                  expected=exc.expected, found=exc.found)
    frame["Indicator ID"] = ids.astype("Int64")
    frame.index = pd.Index(records.starts[1:], name="line")
    frame.attrs["path"] = str(path)
    return frame


# -- the API client -------------------------------------------------------------------------------


class FingertipsClient:
    """Download Fingertips CSVs with a timeout, retries and an on-disk cache.

    Parameters
    ----------
    base_url
        The API root (``https://fingertips.phe.org.uk/api/``).
    cache_dir
        Where raw responses are kept (``cdp fetch`` passes ``<raw_dir>/real/fingertips``
        of the project configuration: a reader never reads the configuration). Each response is saved byte for byte under a
        name derived from the endpoint and parameters, with a JSON sidecar
        (``<name>.json``: URL, fetch time, size, SHA-256). A cached response is
        used without any request unless ``refresh=True``.
    timeout
        Seconds to wait to connect and between bytes received.
    retries
        Further attempts after the first on a timeout, a connection error, a
        5xx (or 408/429) status or an incomplete body; another 4xx status is
        not retried.
    backoff
        Seconds before the first retry, doubled for each further one.
    session
        A :class:`requests.Session` to use (default: a new one).

    Examples
    --------
    >>> client = FingertipsClient(cache_dir="data/raw/real/fingertips")  # doctest: +SKIP
    >>> frame = client.data_by_indicator_id([92432], child_area_type_id=502)  # doctest: +SKIP
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        cache_dir: str | Path,
        timeout: float = 30,
        retries: int = 3,
        backoff: float = 1.0,
        session: Any = None,
    ) -> None:
        import requests

        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.cache_dir = Path(cache_dir).expanduser()
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.backoff = float(backoff)
        self._own_session = session is None
        self.session = session if session is not None else requests.Session()
        if self._own_session:
            self.session.headers["User-Agent"] = "cdp_analysis (Combating Drugs Partnership needs assessment)"

    # context manager so a script can close the session it did not pass in
    def __enter__(self) -> FingertipsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._own_session:
            self.session.close()

    # -- endpoints --------------------------------------------------------------------------------

    def data_by_indicator_id(
        self,
        indicator_ids: int | str | Iterable[int | str],
        child_area_type_id: int,
        parent_area_type_id: int = 15,
        profile_id: int | None = None,
        *,
        refresh: bool = False,
    ) -> pd.DataFrame:
        """All data for indicators at one area type (``all_data/csv/by_indicator_id``).

        Returns the frame of :func:`read_export`. ``child_area_type_id`` is e.g.
        502 (counties & UAs) or 501 (districts & UAs); ``parent_area_type_id``
        15 = England, 6 = region.

        Raises
        ------
        OfflineError
            The host cannot be reached and nothing is cached.
        FetchError
            The download failed after its retries (or a 4xx status).
        """
        params: dict[str, Any] = {
            "indicator_ids": _id_list(indicator_ids),
            "child_area_type_id": int(child_area_type_id),
            "parent_area_type_id": int(parent_area_type_id),
        }
        if profile_id is not None:
            params["profile_id"] = int(profile_id)
        path = self.fetch("all_data/csv/by_indicator_id", params, refresh=refresh, validate=_parse_export)
        return read_export(path)

    def indicator_metadata(self, indicator_ids: int | str | Iterable[int | str], *,
                           refresh: bool = False) -> pd.DataFrame:
        """Metadata of indicators (``indicator_metadata/csv/by_indicator_id``); see :func:`read_metadata`."""
        params = {"indicator_ids": _id_list(indicator_ids)}
        path = self.fetch("indicator_metadata/csv/by_indicator_id", params, refresh=refresh,
                          validate=_parse_metadata)
        return read_metadata(path)

    def indicator_update_dates(self, indicator_ids: int | str | Iterable[int | str], *,
                               refresh: bool = False) -> dict[int, str]:
        """When Fingertips last uploaded each indicator's data (``indicator_metadata/by_indicator_id``, JSON).

        The publisher's own date (``DataChange.LastUploadedAt``, as fingertipsR's
        ``indicator_update_information`` reads it), indicator id → ``YYYY-MM-DD``; an
        indicator the API gives no upload date for is left out. See :func:`parse_update_dates`.
        """
        params = {"indicator_ids": _id_list(indicator_ids)}
        path = self.fetch("indicator_metadata/by_indicator_id", params, refresh=refresh, validate=parse_update_dates)
        wanted = {int(i) for i in params["indicator_ids"].split(",") if i.strip().isdigit()}
        return {i: d for i, d in parse_update_dates(path.read_bytes(), path).items() if i in wanted}

    # -- cache and download -----------------------------------------------------------------------

    def url(self, endpoint: str, params: dict[str, Any]) -> str:
        """The full URL of an endpoint with its parameters."""
        return f"{self.base_url}{endpoint.lstrip('/')}?{urlencode(params, safe=',')}"

    def cache_path(self, endpoint: str, params: dict[str, Any]) -> Path:
        """Where the response for ``endpoint`` + ``params`` is (or would be) cached."""
        query = urlencode(sorted((k, str(v)) for k, v in params.items()), safe=",")
        digest = hashlib.sha1(f"{endpoint}?{query}".encode()).hexdigest()[:10]
        slug = re.sub(r"[^A-Za-z0-9]+", "-", endpoint.replace("/csv/", "/")).strip("-")
        described = re.sub(r"[^A-Za-z0-9]+", "-", query).strip("-")[:80]
        suffix = ".csv" if "/csv/" in f"/{endpoint}/" else ".response.json"  # the JSON endpoints answer JSON
        return self.cache_dir / f"{slug}_{described}_{digest}{suffix}"

    def fetch(
        self,
        endpoint: str,
        params: dict[str, Any],
        *,
        refresh: bool = False,
        validate: Callable[[bytes, Path], object] | None = None,
    ) -> Path:
        """Return the cached response file, downloading it first if needed.

        ``validate(body, path)`` must raise :class:`DataFormatError` for an
        incomplete body; the download is then retried.
        """
        target = self.cache_path(endpoint, params)
        if target.is_file() and not refresh:
            log.debug("cache hit %s", target)
            return target
        url = self.url(endpoint, params)
        try:
            body = self._download(url, target, validate)
        except FetchError as exc:
            if target.is_file():
                warnings.warn(f"{exc}; using the copy cached on "
                              f"{_fetched_at(target) or 'an unknown date'}: {target}", stacklevel=2)
                return target
            raise
        self._save(target, body, url)
        return target

    def _download(self, url: str, target: Path, validate: Callable[[bytes, Path], object] | None) -> bytes:
        import requests

        attempts = self.retries + 1
        problems: list[str] = []
        unreachable = 0
        for attempt in range(attempts):
            if attempt:
                delay = self.backoff * 2 ** (attempt - 1)
                log.info("retrying %s in %.1fs (%s)", url, delay, problems[-1])
                time.sleep(delay)
            try:
                response = self.session.get(url, timeout=(self.timeout, self.timeout), stream=True)
            except requests.exceptions.RequestException as exc:
                if _is_unreachable(exc):
                    unreachable += 1
                    problems.append(f"cannot connect ({_short(exc)})")
                elif isinstance(exc, requests.exceptions.Timeout):
                    problems.append(f"no response within {self.timeout:g}s")
                else:
                    problems.append(f"connection failed ({_short(exc)})")
                continue
            try:
                status = response.status_code
                if 400 <= status < 500 and status not in (408, 429):  # timeout / too many requests: retry
                    raise FetchError(f"{url} answered HTTP {status} {response.reason}; not retried "
                                     f"(check the indicator and area type ids)")
                if status != 200:  # 5xx, 408, 429, or an unexpected 1xx/2xx/3xx
                    problems.append(f"HTTP {status} {response.reason}")
                    continue
                try:
                    body = response.content
                except requests.exceptions.RequestException as exc:
                    problems.append(f"incomplete body ({_short(exc)})")
                    continue
                expected = response.headers.get("Content-Length")
                if expected and not response.headers.get("Content-Encoding") and len(body) != int(expected):
                    problems.append(f"incomplete body ({len(body)} of {expected} bytes)")
                    continue
                if validate is not None:
                    try:
                        validate(body, target)
                    except DataFormatError as exc:
                        problems.append(f"incomplete or malformed CSV ({exc.reason})")
                        continue
                return body
            finally:
                response.close()
        if unreachable == attempts:
            host = urlparse(self.base_url).netloc or self.base_url
            raise OfflineError(
                f"cannot reach {host} and nothing is cached for {url}; download the CSV by hand "
                f"from {url} and put it in {self.cache_dir}/ (readers find Fingertips exports "
                f"there by their header)"
            )
        raise FetchError(f"could not download {url} after {attempts} attempt(s): " + "; ".join(problems))

    def _save(self, target: Path, body: bytes, url: str) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(target, body)
        sidecar = {
            "url": url,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "bytes": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        _atomic_write(_sidecar(target), (json.dumps(sidecar, indent=2) + "\n").encode())


def parse_update_dates(data: bytes, path: str | Path) -> dict[int, str]:
    """Each indicator's latest data upload from an ``indicator_metadata/by_indicator_id`` JSON response.

    The response is an object keyed by indicator id whose values carry ``IID`` and
    ``DataChange`` (``{"LastUploadedAt": "2025-11-04T09:30:00", ...}``); an indicator whose
    ``DataChange`` or ``LastUploadedAt`` is null has no date (left out).

    Raises
    ------
    DataFormatError
        The body is not a JSON object of indicators, or an ``IID`` or ``LastUploadedAt`` cannot
        be read (naming the file and the indicator's key as the column).
    """
    where = str(path)
    try:
        body = json.loads(decode_bytes(data))
    except ValueError as exc:
        raise DataFormatError("the response is not JSON", path=where, line=getattr(exc, "lineno", 1) or 1,
                              expected="a JSON object of indicators", found=str(exc)[:80]) from None
    if not isinstance(body, dict):
        raise DataFormatError("the response is not an object of indicators", path=where, line=1,
                              expected="{\"<indicator id>\": {\"IID\": ..., \"DataChange\": ...}}",
                              found=type(body).__name__)
    dates: dict[int, str] = {}
    for key, entry in body.items():
        iid = entry.get("IID", key) if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not str(iid).strip().isdigit():
            raise DataFormatError("an indicator entry has no readable IID", path=where, line=1, column=str(key),
                                  expected="an object with IID (a number)", found=repr(entry)[:60])
        uploaded = (entry.get("DataChange") or {}).get("LastUploadedAt")
        if uploaded in (None, ""):
            continue
        try:
            dates[int(str(iid).strip())] = datetime.fromisoformat(str(uploaded).strip()).date().isoformat()
        except ValueError:
            raise DataFormatError("LastUploadedAt is not a date", path=where, line=1,
                                  column=f"{key}.DataChange.LastUploadedAt", expected="an ISO date and time",
                                  found=str(uploaded)[:40]) from None
    return dates


def write_release_dates(folder: str | Path, dates: dict[int, str], url: str) -> Path:
    """Record the API's upload dates beside the exports (merged with those recorded before), atomically."""
    target = Path(folder) / RELEASE_DATES_FILE
    held = read_release_dates(folder)
    held.update({int(k): v for k, v in dates.items()})
    record = {"source": url, "field": "DataChange.LastUploadedAt",
              "indicators": {str(k): held[k] for k in sorted(held)}}
    _atomic_write(target, (json.dumps(record, indent=1) + "\n").encode("utf-8"))
    return target


def read_release_dates(folder: str | Path) -> dict[int, str]:
    """The upload dates :func:`write_release_dates` recorded in ``folder`` (empty when none were)."""
    target = Path(folder) / RELEASE_DATES_FILE
    if not target.is_file():
        return {}
    try:
        record = json.loads(target.read_text(encoding="utf-8"))
        return {int(k): str(v) for k, v in (record.get("indicators") or {}).items()}
    except (ValueError, AttributeError, TypeError):
        raise DataFormatError("the recorded release dates cannot be read", path=str(target), line=1,
                              expected="the JSON cdp fetch writes", found="something else") from None


def _id_list(ids: int | str | Iterable[int | str]) -> str:
    if isinstance(ids, (int, np.integer)):
        items: Sequence[Any] = [ids]
    elif isinstance(ids, str):
        items = [i for i in re.split(r"[,\s]+", ids) if i]
    else:
        items = list(ids)
    if not items:
        raise ValueError("no indicator ids given")
    out = []
    for item in items:
        text = str(item).strip()
        if not text.isdigit():
            raise ValueError(f"indicator ids are whole numbers, got {item!r}")
        out.append(str(int(text)))
    return ",".join(out)


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".json")


def _fetched_at(target: Path) -> str | None:
    try:
        return json.loads(_sidecar(target).read_text(encoding="utf-8")).get("fetched_at")
    except (OSError, ValueError):
        return None


def _atomic_write(target: Path, data: bytes) -> None:
    handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", suffix=".part",
                                         delete=False)
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _is_unreachable(exc: BaseException) -> bool:
    """True for failures to open a connection (refused, DNS, no route, connect timeout)."""
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (NewConnectionError, ConnectTimeoutError, ConnectionRefusedError)):
            return True
        if isinstance(item, BaseException):
            stack.extend([getattr(item, "reason", None), item.__cause__, item.__context__, *item.args])
    return False


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 160 else text[:157] + "…"

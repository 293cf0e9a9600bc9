"""data.police.uk downloads: street-level crime, stop and search, outcomes.

The published files are one CSV per force and month, named
``YYYY-MM-<force>-street.csv`` (``-stop-and-search.csv``, ``-outcomes.csv``),
either loose or inside the archive ``.zip`` of the download page (members named
``YYYY-MM/YYYY-MM-<force>-street.csv``). Every reader accepts a folder (searched
recursively, archives included), one file, one archive or a list of them, for any
number of forces and months.

Quirks of the real files the readers handle:

* rows with no location: empty Longitude, Latitude, LSOA code and name, and
  Location ``"No Location"``; kept, with NaN coordinates and ``<NA>`` LSOA;
* anti-social behaviour rows have an empty Crime ID and Last outcome; kept;
* a force's file holds crimes in LSOAs outside its area (City of London Police
  records crimes in Camden and Westminster LSOAs, the Met some in Arun): select an
  area's crimes by LSOA with :func:`crimes_in_lsoas`, whichever force reported them;
* the same Crime ID can appear on several rows **of one file** (different
  locations or outcomes of one crime record); such rows are all kept, as
  police.uk counts them. The same non-empty Crime ID found in **another file of
  the same month** (another force's file, a second copy) is dropped;
* the same force and month found twice (a loose file and an archive, or two
  overlapping archives) is read once: the copy sorted last by path wins;
* months can be missing from a download: :func:`missing_months` lists the gaps;
* the Context column is empty in recent files;
* stop-and-search ``Date`` is ISO 8601 with an offset, in UTC; a search at
  23:13 UTC on 31 August during summer time is in the September file (local
  time), so ``month`` comes from the file name, not from the date.

Parsing uses the pyarrow CSV reader with explicit column types (repeated strings
dictionary-encoded), files in parallel threads. Only when that fast path fails
does a slower line-by-line pass run, to name the file, line and column at fault.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import math
import os
import re
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cdp_analysis.errors import DataFormatError, MissingDataError, SchemaError
from cdp_analysis.sources._common import check_columns

__all__ = [
    "STREET_HEADER",
    "STOP_SEARCH_HEADER",
    "OUTCOMES_HEADER",
    "STREET_COLUMNS",
    "STOP_SEARCH_COLUMNS",
    "OUTCOMES_COLUMNS",
    "CATEGORY_COLUMNS",
    "PoliceFile",
    "parse_police_name",
    "find_police_files",
    "read_police_month",
    "header_only",
    "walk_files",
    "parse_police_file",
    "combine_police_tables",
    "police_table_to_frame",
    "read_street_crime",
    "read_stop_and_search",
    "read_outcomes",
    "crimes_in_lsoas",
    "missing_months",
    "month_set",
    "MAX_FILE_BYTES",
    "MAX_FILE_ROWS",
    "MAX_COMPRESSION_RATIO",
]

log = logging.getLogger(__name__)

#: Bounds on one police.uk monthly CSV, loose or in an archive. The largest real ones
#: (the Metropolitan Police's street crime) hold about 100,000 rows in about 30 MB;
#: anything far beyond is not a police.uk file (or is a zip bomb) and is refused
#: before it is decompressed or parsed.
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_FILE_ROWS = 2_000_000
#: A CSV compresses about 5-15 times; a member claiming far more is a zip bomb.
MAX_COMPRESSION_RATIO = 100
_RATIO_FROM_BYTES = 1024 * 1024  # small members may compress better (repeated headers)

STREET = "street"
STOP_SEARCH = "stop-and-search"
OUTCOMES = "outcomes"
KINDS = (STREET, STOP_SEARCH, OUTCOMES)

#: The published headers, exactly.
STREET_HEADER = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
    "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)
STOP_SEARCH_HEADER = (
    "Type", "Date", "Part of a policing operation", "Policing operation", "Latitude",
    "Longitude", "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity",
    "Legislation", "Object of search", "Outcome", "Outcome linked to object of search",
    "Removal of more than just outer clothing",
)
OUTCOMES_HEADER = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
    "Location", "LSOA code", "LSOA name", "Outcome type",
)

#: Normalised columns, in order (data_contract.md).
STREET_COLUMNS = (
    "crime_id", "month", "reported_by", "falls_within", "longitude", "latitude",
    "location", "lsoa_code", "lsoa_name", "crime_type", "last_outcome", "context",
)
STOP_SEARCH_COLUMNS = (
    "force", "type", "datetime", "month", "latitude", "longitude", "gender", "age_range",
    "self_defined_ethnicity", "officer_defined_ethnicity", "legislation", "object_of_search",
    "outcome", "outcome_linked_to_object", "removal_of_more_than_outer_clothing",
)
OUTCOMES_COLUMNS = (
    "crime_id", "month", "reported_by", "falls_within", "longitude", "latitude",
    "location", "lsoa_code", "lsoa_name", "outcome_type",
)

_DICT = pa.dictionary(pa.int32(), pa.string())
_MONTH_TYPE = pa.timestamp("ns")
_DATETIME_TYPE = pa.timestamp("ns", tz="UTC")
_NAME_RE = re.compile(
    r"^(?P<month>\d{4}-(?:0[1-9]|1[0-2]))-(?P<force>.+?)-(?P<kind>street|stop-and-search|outcomes)"
    r"(?:[-_][^/\\]*)?\.csv$",
    re.IGNORECASE,
)
_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_TRUE, _FALSE = ("True", "true", "TRUE"), ("False", "false", "FALSE")
_BLOCK_MIN, _BLOCK_MAX = 1 << 20, 1 << 28


@dataclass(frozen=True)
class _Spec:
    """How one kind of police.uk file is laid out and typed."""

    kind: str
    header: tuple[str, ...]
    names: tuple[str, ...]  # internal name of each header column
    types: dict[str, pa.DataType]  # internal name -> type; columns not listed are not read
    output: tuple[str, ...]
    coords: tuple[str, ...] = ("Longitude", "Latitude")
    month_column: str | None = "Month"
    date_column: str | None = None
    bool_columns: tuple[str, ...] = ()

    def internal(self, column: str) -> str:
        return self.names[self.header.index(column)]


_STREET_SPEC = _Spec(
    kind=STREET,
    header=STREET_HEADER,
    names=STREET_COLUMNS,
    types={
        "crime_id": pa.string(), "month": _DICT, "reported_by": _DICT,
        "falls_within": _DICT, "longitude": pa.float32(), "latitude": pa.float32(),
        "location": _DICT, "lsoa_code": _DICT, "lsoa_name": _DICT, "crime_type": _DICT,
        "last_outcome": _DICT, "context": pa.string(),
    },
    output=STREET_COLUMNS,
)
_OUTCOMES_SPEC = _Spec(
    kind=OUTCOMES,
    header=OUTCOMES_HEADER,
    names=OUTCOMES_COLUMNS,
    types={
        "crime_id": pa.string(), "month": _DICT, "reported_by": _DICT,
        "falls_within": _DICT, "longitude": pa.float32(), "latitude": pa.float32(),
        "location": _DICT, "lsoa_code": _DICT, "lsoa_name": _DICT, "outcome_type": _DICT,
    },
    output=OUTCOMES_COLUMNS,
)
_STOP_SEARCH_SPEC = _Spec(
    kind=STOP_SEARCH,
    header=STOP_SEARCH_HEADER,
    names=(
        "type", "datetime", "part_of_policing_operation", "policing_operation", "latitude",
        "longitude", "gender", "age_range", "self_defined_ethnicity",
        "officer_defined_ethnicity", "legislation", "object_of_search", "outcome",
        "outcome_linked_to_object", "removal_of_more_than_outer_clothing",
    ),
    types={
        # float64: a search is placed in an area by its point, and float32 moves a latitude
        # in England by up to 0.21 m (it moved a Mansell Street search out of the City)
        "type": _DICT, "datetime": pa.timestamp("s", tz="UTC"), "latitude": pa.float64(),
        "longitude": pa.float64(), "gender": _DICT, "age_range": _DICT,
        "self_defined_ethnicity": _DICT, "officer_defined_ethnicity": _DICT,
        "legislation": _DICT, "object_of_search": _DICT, "outcome": _DICT,
        "outcome_linked_to_object": pa.bool_(), "removal_of_more_than_outer_clothing": pa.bool_(),
    },
    output=STOP_SEARCH_COLUMNS,
    coords=("Latitude", "Longitude"),
    month_column=None,
    date_column="Date",
    bool_columns=("Outcome linked to object of search", "Removal of more than just outer clothing"),
)
_SPECS = {STREET: _STREET_SPEC, STOP_SEARCH: _STOP_SEARCH_SPEC, OUTCOMES: _OUTCOMES_SPEC}
#: Columns that are categorical in the normalised frames, by kind.
CATEGORY_COLUMNS: dict[str, tuple[str, ...]] = {
    kind: tuple(c for c in spec.output if spec.types.get(c) == _DICT or c == "force")
    for kind, spec in _SPECS.items()
}


def _column_types(spec: _Spec, dictionaries: bool) -> dict[str, pa.DataType]:
    if dictionaries:
        return spec.types
    return {k: pa.string() if v == _DICT and k != "month" else v for k, v in spec.types.items()}


# --------------------------------------------------------------------------- files
@dataclass(frozen=True)
class PoliceFile:
    """One police.uk CSV: a file on disk, or a member of a ``.zip`` archive.

    ``month`` (``"YYYY-MM"``) and ``force`` (the slug, e.g. ``city-of-london``) come
    from the file name and are ``None`` when the name does not follow the pattern.
    For archive members ``size`` and ``crc`` come from the archive's directory.
    """

    path: Path
    member: str | None
    kind: str
    month: str | None
    force: str | None
    size: int = 0
    crc: int | None = None

    @property
    def name(self) -> str:
        """The CSV's own file name."""
        return (self.member or self.path.name).rsplit("/", 1)[-1]

    @property
    def error_path(self) -> Path:
        """The path errors show: the archive path joined with the member name."""
        return self.path / self.member if self.member else self.path

    def read_bytes(self, zips: _ZipReaders | None = None) -> bytes:
        """The raw bytes of the CSV (decompressed for an archive member)."""
        if self.member is None:
            return self.path.read_bytes()
        if zips is not None:
            return zips.get(self.path).read(self.member)
        with zipfile.ZipFile(self.path) as archive:
            return archive.read(self.member)


class _ZipReaders:
    """One open :class:`zipfile.ZipFile` per thread and archive, closed on exit.

    Opening a national archive parses a directory of thousands of members; doing it
    once per thread instead of once per member saves seconds.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._opened: list[zipfile.ZipFile] = []
        self._lock = threading.Lock()

    def get(self, path: Path) -> zipfile.ZipFile:
        cache = self._local.__dict__.setdefault("cache", {})
        archive = cache.get(path)
        if archive is None:
            archive = cache[path] = zipfile.ZipFile(path)
            with self._lock:
                self._opened.append(archive)
        return archive

    def __enter__(self) -> _ZipReaders:
        return self

    def __exit__(self, *exc: object) -> None:
        for archive in self._opened:
            archive.close()


def parse_police_name(name: str) -> tuple[str, str, str] | None:
    """``(month, force, kind)`` of a police.uk file name, or None.

    Anything after the kind (``-sample``, ``_v2``) is allowed, so a cut-down copy
    keeps its month and force:

    >>> parse_police_name("2018-04-city-of-london-street.csv")
    ('2018-04', 'city-of-london', 'street')
    >>> parse_police_name("2023-01-metropolitan-street-sample.csv")
    ('2023-01', 'metropolitan', 'street')
    """
    match = _NAME_RE.match(name.rsplit("/", 1)[-1])
    if match is None:
        return None
    return match["month"], match["force"].lower(), match["kind"].lower()


def find_police_files(
    source: str | os.PathLike | Iterable[str | os.PathLike],
    kind: str = STREET,
    *,
    months: Iterable[object] | object | None = None,
) -> list[PoliceFile]:
    """The police.uk CSVs of one kind found in ``source``, sorted by month and force.

    Parameters
    ----------
    source
        A folder (searched recursively, hidden folders skipped, ``.zip`` archives
        opened), a CSV, an archive, or a list of these. An explicitly named CSV is
        taken whatever its name; in folders and archives only names matching
        ``YYYY-MM-<force>-<kind>.csv`` (or ``…-<kind>-<anything>.csv``) count.
    kind
        ``"street"``, ``"stop-and-search"`` or ``"outcomes"``.
    months
        Keep only these months (``"2018-04"``, a Timestamp or a Period; one or many).

    Raises
    ------
    MissingDataError
        A named file or folder does not exist.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    wanted = month_set(months)
    found: list[PoliceFile] = []
    for item in _as_paths(source):
        if item.is_dir():
            for path in walk_files(item):
                if path.suffix.lower() == ".zip":
                    found.extend(_archive_members(path, kind))
                else:
                    match = _NAME_RE.match(path.name)
                    if match and match["kind"].lower() == kind:
                        found.append(_loose(path, kind, match))
        elif item.is_file():
            if item.suffix.lower() == ".zip":
                found.extend(_archive_members(item, kind))
            else:
                found.append(_loose(item, kind, _NAME_RE.match(item.name)))
        else:
            raise MissingDataError(f"No such file or folder: {item}")
    if wanted is not None:
        found = [f for f in found if f.month is None or f.month in wanted]
    return _one_per_force_month(found)


def walk_files(folder: Path) -> list[Path]:
    """Files under ``folder``, sorted, following symbolic links (each folder once).

    Hidden files and folders (``.…``), ``__MACOSX``-style folders and Office lock
    files (``~$…``) are skipped.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for root, dirs, names in os.walk(folder, followlinks=True):
        real = Path(root).resolve()
        if real in seen:  # a link loop, or a folder linked twice
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        found.extend(Path(root) / n for n in sorted(names) if not n.startswith((".", "~$")))
    return sorted(found)


def _as_paths(source: object) -> list[Path]:
    if isinstance(source, (str, os.PathLike)):
        return [Path(source)]
    if isinstance(source, Iterable):
        return [Path(s) for s in source]
    raise TypeError(f"source should be a path or a list of paths, got {type(source).__name__}")


def _loose(path: Path, kind: str, match: re.Match[str] | None) -> PoliceFile:
    month, force = (match["month"], match["force"].lower()) if match else (None, None)
    size = path.stat().st_size
    _check_size(path, size)
    return PoliceFile(path=path, member=None, kind=kind, month=month, force=force, size=size)


def _check_size(path: Path, size: int, packed: int | None = None) -> None:
    """Refuse a file (or an archive member) too large for a police.uk monthly CSV."""
    if size > MAX_FILE_BYTES:
        raise DataFormatError(
            "file too large for a police.uk monthly CSV (the largest real ones are about 30 MB)",
            path=path, expected=f"at most {MAX_FILE_BYTES / 1e6:,.0f} MB",
            found=f"{size / 1e6:,.0f} MB" + (" once decompressed" if packed is not None else ""),
        )
    if packed is not None and size > _RATIO_FROM_BYTES and size > MAX_COMPRESSION_RATIO * max(packed, 1):
        raise DataFormatError(
            "archive member decompresses far beyond what a CSV compresses to (a zip bomb?)",
            path=path, expected=f"at most {MAX_COMPRESSION_RATIO} times its compressed size",
            found=f"{packed:,} bytes becoming {size:,} bytes ({size / max(packed, 1):,.0f} times)",
        )


def _archive_members(path: Path, kind: str) -> list[PoliceFile]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise DataFormatError(
            "not a readable zip archive", path=path, expected="a police.uk download archive",
            found=str(exc),
        ) from exc
    members = []
    for info in infos:
        match = _NAME_RE.match(info.filename.rsplit("/", 1)[-1])
        if not info.is_dir() and match and match["kind"].lower() == kind:
            _check_size(path / info.filename, info.file_size, info.compress_size)
            members.append(PoliceFile(
                path=path, member=info.filename, kind=kind, month=match["month"],
                force=match["force"].lower(), size=info.file_size, crc=info.CRC,
            ))
    return members


def _one_per_force_month(files: list[PoliceFile]) -> list[PoliceFile]:
    """One file per force and month.

    Identical copies (a CSV beside the archive it came from) are read once. Two
    archives holding the same force-month (overlapping police.uk downloads) give the
    later archive's copy. A loose CSV whose content differs from another copy of the
    same force-month is refused, naming both: which one is right is the user's call.
    """
    chosen: dict[object, PoliceFile] = {}
    for pf in sorted(files, key=lambda f: (str(f.path), f.member or "")):
        key = (pf.month, pf.force) if pf.month and pf.force else (pf.path, pf.member)
        other = chosen.get(key)
        if other is not None:
            if _same_content(other, pf):
                log.info("%s %s %s: %s is a copy of %s; read once", pf.kind, *key, pf.error_path,
                         other.error_path)
                if other.member is None:
                    continue  # keep the loose file
            elif other.member is None or pf.member is None:
                raise DataFormatError(
                    f"two different copies of {pf.kind} for {key[1]} {key[0]}: {other.error_path} "
                    f"({_rows_hint(other)}) and {pf.error_path} ({_rows_hint(pf)}); keep one of them "
                    "(move the other out of the data folder)",
                    path=pf.error_path, expected="one file per force and month", found="two that differ",
                )
            else:
                log.info("%s %s %s is in both %s and %s; reading the latter", pf.kind, *key,
                         other.error_path, pf.error_path)
        chosen[key] = pf
    return sorted(chosen.values(), key=lambda f: (f.month or "", f.force or "", str(f.error_path)))


def _crc(pf: PoliceFile) -> int:
    """CRC-32 of a file's content (an archive member's from the archive's directory)."""
    if pf.member is not None:
        return pf.crc or 0
    value = 0
    with pf.path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            value = zlib.crc32(chunk, value)
    return value


def _same_content(a: PoliceFile, b: PoliceFile) -> bool:
    return a.size == b.size and _crc(a) == _crc(b)


def _rows_hint(pf: PoliceFile) -> str:
    """``N lines`` of a copy (for the message telling two copies apart), or its size."""
    try:
        lines = pf.read_bytes().count(b"\n")
    except (OSError, zipfile.BadZipFile):
        return f"{pf.size:,} bytes"
    return f"{max(lines - 1, 0):,} rows"


def month_set(months: object) -> set[str] | None:
    """``{"YYYY-MM", …}`` from one or many months (strings, Timestamps, Periods); None stays None."""
    if months is None:
        return None
    if isinstance(months, (str, pd.Timestamp, pd.Period, datetime, np.datetime64)):
        return {_month_text(months)}
    if not isinstance(months, Iterable):
        raise ValueError(f"not a month or a list of months: {months!r} (use 'YYYY-MM')")
    return {_month_text(m) for m in months}


def _month_text(value: object) -> str:
    try:
        return pd.Period(value, freq="M").strftime("%Y-%m")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a month: {value!r} (use 'YYYY-MM')") from exc


# --------------------------------------------------------------------------- parsing
_MAX_HEADER_BYTES = 64 * 1024  # the real headers are under 300 bytes


class _NeedsDiagnosis(Exception):
    """The fast path saw something wrong; the slow pass will say where."""


def parse_police_file(pf: PoliceFile, data: bytes | None = None, *, dictionaries: bool = True
                      ) -> pa.Table:
    """Parse one police.uk CSV into a normalised Arrow table.

    Columns are :data:`STREET_COLUMNS` (or the stop-and-search / outcomes ones);
    the :data:`CATEGORY_COLUMNS` are dictionary-encoded unless ``dictionaries`` is
    False (plain strings are cheaper to write to Parquet, which encodes them
    itself). ``data`` is the file's bytes if the caller has already read them.

    Raises
    ------
    DataFormatError
        Naming the file, the line and the column: empty file, wrong header or
        delimiter, a row with too few or too many fields (truncated file), a
        coordinate that is not a number, a Month unlike the file name's, etc.
    """
    spec = _SPECS[pf.kind]
    raw = pf.read_bytes() if data is None else data
    body = raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw
    _check_header(body, pf, spec)
    _check_nul(body, pf)
    types = _column_types(spec, dictionaries)
    try:
        if spec.month_column and pf.month:
            # The file name gives the month: check it on the bytes and skip parsing the
            # column (a quarter of the parse time); _finish sets it from the name.
            table = _parse_fast(body, spec, {k: v for k, v in types.items() if k != "month"})
            _check_month_bytes(body, table.num_rows, pf.month)
        else:
            table = _parse_fast(body, spec, types)
        _check_values(table, pf, spec)
    except (pa.ArrowInvalid, _NeedsDiagnosis) as exc:
        table = _parse_slow(body, pf, spec, types, exc)
    if table.num_rows > MAX_FILE_ROWS:
        raise DataFormatError(
            "too many rows for a police.uk monthly CSV (the largest real ones hold about 100,000)",
            path=pf.error_path, expected=f"at most {MAX_FILE_ROWS:,} rows", found=f"{table.num_rows:,} rows",
        )
    return _finish(table, pf, spec, dictionaries)


def _check_nul(body: bytes, pf: PoliceFile) -> None:
    """A NUL byte is never part of police.uk text (it would make "Drugs\\0" a new crime
    type): refuse the file at the first one, naming its line and column."""
    at = body.find(b"\x00")
    if at >= 0:
        line_start = body.rfind(b"\n", 0, at)
        raise DataFormatError(
            "NUL byte inside a value (a damaged or binary file)", path=pf.error_path,
            line=body.count(b"\n", 0, at) + 1, column=_column_at(body, at, pf.kind),
            expected="text without NUL (0x00) bytes", found=f"a NUL byte at character {at - line_start}",
        )


def _check_month_bytes(body: bytes, rows: int, month: str) -> None:
    """Every data row holds ``,YYYY-MM,`` right after the Crime ID; fewer means a bad Month."""
    if body.count(f",{month},".encode("ascii")) < rows:
        raise _NeedsDiagnosis("Month differs from the file name")


def _check_header(body: bytes, pf: PoliceFile, spec: _Spec) -> None:
    path = pf.error_path
    if not body or body.isspace():
        raise DataFormatError(
            "file is empty", path=path, line=1, column=spec.header[0],
            expected="the police.uk header " + ",".join(spec.header), found="no text",
        )
    end = body.find(b"\n")
    if (end if end >= 0 else len(body)) > _MAX_HEADER_BYTES:
        raise DataFormatError(
            "line 1 is far too long for a header (no line break in the first "
            f"{_MAX_HEADER_BYTES:,} bytes)", path=path, line=1, column=spec.header[0],
            expected="the police.uk header " + ",".join(spec.header),
            found=f"{end if end >= 0 else len(body):,} bytes on line 1",
        )
    first = body[: end if end >= 0 else len(body)].decode("utf-8", errors="replace").rstrip("\r")
    found = [c.strip() for c in next(csv.reader([first]))]
    check_columns(path, found, spec.header)
    if tuple(found) != spec.header:
        position = next((i for i, (a, b) in enumerate(zip(found, spec.header)) if a != b), None)
        column = spec.header[position] if position is not None else found[len(spec.header)]
        raise DataFormatError(
            "header differs from the police.uk layout (order or extra columns)", path=path,
            line=1, column=column, expected=",".join(spec.header), found=",".join(found),
        )


def header_only(data: bytes) -> bool:
    """Whether a police.uk file holds its header and no data row.

    Such a file is a month the force did not publish (or a failed download): its
    month is missing, never a month of zero crimes.
    """
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    end = body.find(b"\n")
    return end < 0 or not body[end + 1:].strip()


def _parse_fast(body: bytes, spec: _Spec, types: dict[str, pa.DataType], *,
                newlines_in_values: bool = False) -> pa.Table:
    block = min(max(len(body) + 1, _BLOCK_MIN), _BLOCK_MAX)
    return pacsv.read_csv(
        pa.py_buffer(body),
        read_options=pacsv.ReadOptions(
            skip_rows=1, column_names=list(spec.names), use_threads=False, block_size=block,
        ),
        parse_options=pacsv.ParseOptions(newlines_in_values=newlines_in_values),
        convert_options=pacsv.ConvertOptions(
            column_types=types, include_columns=list(types),
            null_values=[""], strings_can_be_null=True, true_values=list(_TRUE),
            false_values=list(_FALSE),
        ),
    )


def _check_values(table: pa.Table, pf: PoliceFile, spec: _Spec) -> None:
    """Cheap whole-column checks; raise :class:`_NeedsDiagnosis` if any fails."""
    if spec.month_column and table.num_rows and "month" in table.column_names:
        months = pc.unique(table.column("month")).to_pylist()
        expected = [pf.month] if pf.month else None
        if expected and months != expected:
            raise _NeedsDiagnosis("Month differs from the file name")
        if any(m is None or not _MONTH_RE.match(m) for m in months):
            raise _NeedsDiagnosis("Month is not YYYY-MM")
    for column, limit in zip(("longitude", "latitude"), (180.0, 90.0)):
        values = table.column(column)
        if values.null_count == len(values):
            continue
        if pc.any(pc.invert(pc.is_finite(values))).as_py():
            raise _NeedsDiagnosis(f"{column} not finite")
        bounds = pc.min_max(values)
        if bounds["min"].as_py() < -limit or bounds["max"].as_py() > limit:
            raise _NeedsDiagnosis(f"{column} out of range")


def _parse_slow(body: bytes, pf: PoliceFile, spec: _Spec, types: dict[str, pa.DataType],
                cause: Exception) -> pa.Table:
    """Decode, find the first bad line; if none, re-parse the repaired text."""
    try:
        text, encoding = body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = _decode_cp1252(body, pf), "cp1252"
    _diagnose(text, pf, spec)
    # No bad line: the fast path failed on the encoding or on a quoted line break.
    try:
        table = _parse_fast(text.encode("utf-8"), spec, types, newlines_in_values=True)
        _check_values(table, pf, spec)
    except (pa.ArrowInvalid, _NeedsDiagnosis) as exc:
        raise DataFormatError(
            "cannot parse the file", path=pf.error_path, expected="a police.uk CSV",
            found=str(exc).splitlines()[0],
        ) from cause
    if encoding != "utf-8":
        log.info("%s: decoded as Windows-1252 (not UTF-8)", pf.error_path)
    return table


def _decode_cp1252(body: bytes, pf: PoliceFile) -> str:
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise DataFormatError(
            "text is neither UTF-8 nor Windows-1252", path=pf.error_path, line=line,
            column=_column_at(body, exc.start, pf.kind), expected="UTF-8 or Windows-1252 text",
            found=f"byte 0x{body[exc.start]:02x}",
        ) from exc


def _column_at(body: bytes, offset: int, kind: str) -> str:
    start = body.rfind(b"\n", 0, offset) + 1
    index = body.count(b",", start, offset)
    header = _SPECS[kind].header
    return header[min(index, len(header) - 1)]


def _diagnose(text: str, pf: PoliceFile, spec: _Spec) -> None:
    """Check every line; raise :class:`DataFormatError` at the first bad one."""
    path, header = pf.error_path, spec.header
    for row, line, is_last in _records(text, path):
        if len(row) != len(header):
            few = len(row) < len(header)
            raise DataFormatError(
                ("the last line is cut short: the file seems truncated" if few and is_last
                 else f"row has {'too few' if few else 'too many'} fields"),
                path=path, line=line, column=header[len(row)] if few else header[-1],
                expected=f"{len(header)} comma-separated fields", found=f"{len(row)} fields",
            )
        values = dict(zip(header, row))
        if spec.month_column:
            month = values[spec.month_column].strip()
            if not _MONTH_RE.match(month):
                _fail(path, line, spec.month_column, "Month is not a month", "YYYY-MM", month)
            if pf.month and month != pf.month:
                _fail(path, line, spec.month_column, "Month differs from the file name's month",
                      f"{pf.month} (from {pf.name})", month)
        for column in spec.coords:
            _check_coordinate(values[column], 180.0 if column == "Longitude" else 90.0,
                              path, line, column)
        if spec.date_column and values[spec.date_column].strip():
            try:
                datetime.fromisoformat(values[spec.date_column].strip())
            except ValueError:
                _fail(path, line, spec.date_column, "not a date and time",
                      "ISO 8601 such as 2018-04-01T00:08:42+00:00", values[spec.date_column])
        for column in spec.bool_columns:
            if values[column].strip() not in ("", *_TRUE, *_FALSE):
                _fail(path, line, column, "not a boolean", "True, False or empty", values[column])


def _records(text: str, path: Path) -> Iterator[tuple[list[str], int, bool]]:
    """Data records with the editor line each starts on, and whether it is the last."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)  # header
    pending: tuple[list[str], int] | None = None
    end = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field over the csv module's size limit
            raise DataFormatError(f"malformed CSV ({exc})", path=path, line=end + 1,
                                  expected="police.uk comma-separated lines") from None
        start, end = end + 1, reader.line_num
        if not row:  # blank line
            continue
        if pending is not None:
            yield pending[0], pending[1], False
        pending = (row, start)
    if pending is not None:
        yield pending[0], pending[1], True


def _check_coordinate(value: str, limit: float, path: Path, line: int, column: str) -> None:
    text = value.strip()
    if not text:
        return
    try:
        number = float(text)
    except ValueError:
        _fail(path, line, column, "not a number", "decimal degrees or empty", value)
    if not math.isfinite(number) or abs(number) > limit:
        _fail(path, line, column, "coordinate out of range", f"between -{limit:g} and {limit:g}",
              value)


def _fail(path: Path, line: int, column: str, message: str, expected: str, found: str) -> None:
    raise DataFormatError(message, path=path, line=line, column=column, expected=expected,
                          found=repr(found))


def _finish(table: pa.Table, pf: PoliceFile, spec: _Spec, dictionaries: bool) -> pa.Table:
    """Add the columns the file name gives and put columns in contract order."""
    n = table.num_rows
    columns: dict[str, pa.ChunkedArray | pa.Array] = {}
    if spec.kind == STOP_SEARCH:
        force = _constant_dictionary(pf.force, n)
        columns["force"] = force if dictionaries else force.dictionary_decode()
        when = table.column("datetime").cast(_DATETIME_TYPE)
        columns["datetime"] = when
        columns["month"] = _constant_month(pf.month, n) if pf.month else _local_month(when)
    else:
        columns["month"] = (_constant_month(pf.month, n) if pf.month
                            else pc.strptime(table.column("month").cast(pa.string()),
                                             format="%Y-%m", unit="ns"))
    for name in spec.output:
        if name not in columns:
            columns[name] = table.column(name)
    return pa.table({name: columns[name] for name in spec.output})


def _constant_month(month: str, n: int) -> pa.Array:
    return pa.array(np.full(n, np.datetime64(f"{month}-01", "ns")), type=_MONTH_TYPE)


def _local_month(when: pa.ChunkedArray) -> pa.Array:
    # police.uk months are UK local months (see the module notes).
    local = pd.DatetimeIndex(when.to_pandas()).tz_convert("Europe/London").tz_localize(None)
    return pa.array(local.to_period("M").to_timestamp().values.astype("datetime64[ns]"),
                    type=_MONTH_TYPE)


def _constant_dictionary(value: str | None, n: int) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(n, dtype=np.int32) if value else np.full(n, None), type=pa.int32()),
        pa.array([value or ""], type=pa.string()),
    )


# --------------------------------------------------------------------------- combining
def combine_police_tables(tables: Sequence[pa.Table], kind: str = STREET) -> pa.Table:
    """Concatenate parsed files; for street crime drop cross-file duplicates.

    A non-empty Crime ID already present in an earlier file of ``tables`` is
    dropped; repeats within one file and empty IDs (ASB) are kept. Pass the files
    of one month (the dedup key is the Crime ID alone).
    """
    if not tables:
        return _empty_table(kind)
    if kind == STREET and len(tables) > 1:
        tables = _drop_cross_file_duplicates(tables)
    return pa.concat_tables(tables)


def read_police_month(
    files: Sequence[PoliceFile],
    kind: str = STREET,
    *,
    on_bytes: Callable[[PoliceFile, bytes], None] | None = None,
    dictionaries: bool = True,
) -> pa.Table:
    """Read the files of one month one after another and combine them.

    ``on_bytes(file, data)`` sees each file's raw bytes before parsing (prepare
    hashes them, so inputs are read once). For many months at once, call this in
    parallel threads, one month per thread.
    """
    tables = []
    with _ZipReaders() as zips:
        for pf in files:
            data = pf.read_bytes(zips)
            if on_bytes is not None:
                on_bytes(pf, data)
            tables.append(parse_police_file(pf, data, dictionaries=dictionaries))
            del data
    return combine_police_tables(tables, kind)


def _drop_cross_file_duplicates(tables: Sequence[pa.Table]) -> list[pa.Table]:
    lengths = np.array([t.num_rows for t in tables])
    ids = pa.chunked_array([c for t in tables for c in t.column("crime_id").chunks], type=pa.string())
    encoded = pc.dictionary_encode(ids.combine_chunks())
    codes = pc.fill_null(encoded.indices, -1).to_numpy()
    file_of_row = np.repeat(np.arange(len(tables), dtype=np.int32), lengths)
    has_id = codes >= 0
    first_file = np.full(len(encoded.dictionary), len(tables), dtype=np.int32)
    np.minimum.at(first_file, codes[has_id], file_of_row[has_id])
    keep = ~has_id | (file_of_row == first_file[np.where(has_id, codes, 0)])
    if keep.all():
        return list(tables)
    log.info("street crime: %d rows repeat a Crime ID from another file; dropped",
             int((~keep).sum()))
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    return [_without_rows(t, np.flatnonzero(~keep[a:b])) for t, a, b in zip(tables, bounds[:-1], bounds[1:])]


def _without_rows(table: pa.Table, drop: np.ndarray) -> pa.Table:
    """``table`` minus the rows at positions ``drop``; zero-copy slices when they are few."""
    if len(drop) == 0:
        return table
    if len(drop) > 256:
        mask = np.ones(table.num_rows, dtype=bool)
        mask[drop] = False
        return table.filter(pa.array(mask))
    starts = np.concatenate([[0], drop + 1])
    ends = np.concatenate([drop, [table.num_rows]])
    return pa.concat_tables([table.slice(s, e - s) for s, e in zip(starts, ends) if e > s]
                            or [table.slice(0, 0)])


def _empty_table(kind: str) -> pa.Table:
    spec = _SPECS[kind]
    types = dict(spec.types)
    types.update(month=_MONTH_TYPE, datetime=_DATETIME_TYPE, force=_DICT)
    return pa.table({c: pa.array([], type=types[c]) for c in spec.output})


def _pandas_type(arrow_type: pa.DataType) -> object:
    if arrow_type in (pa.string(), pa.large_string()):
        return pd.StringDtype("pyarrow")
    if arrow_type == pa.bool_():
        return pd.BooleanDtype()
    return None


def police_table_to_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table of police rows as pandas: categoricals, ``string``, ``boolean``."""
    return table.to_pandas(types_mapper=_pandas_type, split_blocks=True)


# --------------------------------------------------------------------------- readers
def read_street_crime(
    source: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    months: Iterable[object] | object | None = None,
    lsoa_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Read police.uk street-level crime for any number of forces and months.

    Parameters
    ----------
    source
        Folder, CSV, ``.zip`` archive, or a list of these (see :func:`find_police_files`).
    months
        Only these months (``"YYYY-MM"``, Timestamps or Periods).
    lsoa_codes
        Only crimes located in these LSOAs, whichever force reported them.

    Returns
    -------
    pandas.DataFrame
        :data:`STREET_COLUMNS` as in ``docs/data_contract.md``, sorted by month and
        force. ``frame.attrs["missing_months"]`` lists months absent between the
        first and the last one read.

    Raises
    ------
    MissingDataError
        No street-crime file in ``source``.
    DataFormatError
        A file is malformed; the message names the file, line and column.
    """
    table = _read(source, STREET, months, lsoa_codes)
    frame = police_table_to_frame(table)
    frame.attrs["missing_months"] = missing_months(frame)
    if frame.attrs["missing_months"]:
        log.info("street crime: no data for %d month(s) between the first and last: %s",
                    len(frame.attrs["missing_months"]), ", ".join(frame.attrs["missing_months"]))
    return frame


def read_stop_and_search(
    source: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    months: Iterable[object] | object | None = None,
) -> pd.DataFrame:
    """Read police.uk stop-and-search files (:data:`STOP_SEARCH_COLUMNS`).

    ``force`` is the force slug of the file name; ``datetime`` is tz-aware UTC;
    ``month`` is the file's month; the two outcome flags are ``boolean`` with
    ``<NA>`` for blanks. The file's "Part of a policing operation" and "Policing
    operation" columns are not kept (not in the data contract).

    Raises
    ------
    MissingDataError, DataFormatError
        As :func:`read_street_crime`.
    """
    return police_table_to_frame(_read(source, STOP_SEARCH, months, None))


def read_outcomes(
    source: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    months: Iterable[object] | object | None = None,
) -> pd.DataFrame:
    """Read police.uk outcomes files (:data:`OUTCOMES_COLUMNS`; one row per outcome).

    Raises
    ------
    MissingDataError, DataFormatError
        As :func:`read_street_crime`.
    """
    return police_table_to_frame(_read(source, OUTCOMES, months, None))


def _read(source: object, kind: str, months: object, lsoa_codes: Iterable[str] | None) -> pa.Table:
    files = find_police_files(source, kind, months=months)  # type: ignore[arg-type]
    if not files:
        raise MissingDataError(
            f"No police.uk {kind} files (YYYY-MM-<force>-{kind}.csv, or .zip archives "
            f"holding them) found in {source}"
        )
    keep_rows = _row_filter(lsoa_codes, month_set(months))
    tables = read_police_files(files, transform=keep_rows)
    by_month: dict[str | None, list[pa.Table]] = {}
    for pf, table in zip(files, tables):
        by_month.setdefault(pf.month, []).append(table)
    return pa.concat_tables([combine_police_tables(group, kind) for group in by_month.values()])


def read_police_files(
    files: Sequence[PoliceFile],
    *,
    transform: Callable[[pa.Table], pa.Table] | None = None,
    workers: int | None = None,
) -> list[pa.Table]:
    """Parse files in parallel threads (pyarrow releases the GIL); order is kept."""
    workers = workers or min(len(files), os.cpu_count() or 1) or 1
    with _ZipReaders() as zips:
        def one(pf: PoliceFile) -> pa.Table:
            table = parse_police_file(pf, pf.read_bytes(zips))
            return transform(table) if transform else table

        if workers == 1:
            return [one(pf) for pf in files]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(one, files))


def _row_filter(lsoa_codes: Iterable[str] | None, months: set[str] | None
                ) -> Callable[[pa.Table], pa.Table] | None:
    if lsoa_codes is None and months is None:
        return None
    codes = pa.array(sorted(_code_set(lsoa_codes)), type=pa.string()) if lsoa_codes is not None else None
    stamps = (pa.array(sorted(np.datetime64(f"{m}-01", "ns") for m in months), type=_MONTH_TYPE)
              if months is not None else None)

    def keep(table: pa.Table) -> pa.Table:
        mask = None
        if codes is not None:
            mask = pc.is_in(table.column("lsoa_code"), value_set=codes)
        if stamps is not None:  # for files whose name gave no month
            in_months = pc.is_in(table.column("month"), value_set=stamps)
            mask = in_months if mask is None else pc.and_(mask, in_months)
        return table.filter(pc.fill_null(mask, False))

    return keep


def _code_set(codes: Iterable[str] | str) -> set[str]:
    if isinstance(codes, str):
        return {codes.strip()}
    return {str(c).strip() for c in codes}


# --------------------------------------------------------------------------- helpers
def crimes_in_lsoas(frame: pd.DataFrame, lsoa_codes: Iterable[str] | str) -> pd.DataFrame:
    """The crimes located in these LSOAs, whichever force reported them.

    An area's crimes are those whose LSOA lies in it: a force's file also holds
    crimes in neighbouring forces' LSOAs, and misses the crimes other forces (e.g.
    British Transport Police) recorded in its area. Rows without an LSOA are never
    in an area.
    """
    if "lsoa_code" not in frame.columns:
        raise SchemaError("frame has no 'lsoa_code' column", column="lsoa_code", found=f"{list(frame.columns)}")
    return frame[frame["lsoa_code"].isin(_code_set(lsoa_codes)).to_numpy(dtype=bool)].reset_index(drop=True)


def missing_months(frame_or_months: pd.DataFrame | pd.Series | Iterable[object]) -> list[str]:
    """Months (``"YYYY-MM"``) absent between the first and the last month present.

    Accepts a frame with a ``month`` column, or months as strings, Timestamps or
    Periods. An archive missing a month, or a gap between downloads, shows here.

    >>> missing_months(["2019-11", "2020-02", "2019-12"])
    ['2020-01']
    """
    values = frame_or_months["month"] if isinstance(frame_or_months, pd.DataFrame) else frame_or_months
    present = {_month_text(v) for v in pd.Series(list(values) if not isinstance(values, pd.Series)
                                                    else values).dropna().unique()}
    if not present:
        return []
    span = pd.period_range(min(present), max(present), freq="M").strftime("%Y-%m")
    return [m for m in span if m not in present]

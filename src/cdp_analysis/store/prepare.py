"""Raw sources → ``data/processed/<dataset>/`` Parquet tables: idempotent, atomic, incremental.

:func:`prepare` finds every input under a raw source folder (police.uk files by
name, other sources by their readers' ``is_…`` checks, boundaries by the
``boundaries/`` folder), and writes the processed layout of
``docs/data_contract.md``.

*Idempotent.* ``manifest.json`` records every input (path relative to the source
folder, size, mtime, sha1) and every output unit with a fingerprint of its
inputs. A unit is rebuilt only when its inputs' content changed (a file whose
size and mtime are unchanged is not even read; a touched file is hashed and, if
its content is the same, skipped), when an output is missing, or with
``force=True``. Police data is processed month by month, so a new month or a
corrected file rebuilds one partition. A run with nothing to do writes nothing.

*Atomic.* Every output of a run is first written into a staging folder inside the
processed folder; only when every unit has succeeded are the files moved into
place with :func:`os.replace`, stale outputs removed, and the manifest replaced.
A run that fails leaves the processed folder as it was. A lock file serialises
concurrent runs on one folder.

*Nearly free when nothing changed.* After a complete run the manifest also keeps
a fingerprint of the source tree (every file's relative path, size and
``st_mtime_ns``, hidden files too; the source folder's path; the package's files,
version, step versions and reader registry) and what a run with nothing to do
would report. A later call whose fingerprint is the same, and whose outputs all
exist, returns that report (``PrepareReport.fast``) without classifying, hashing
or even taking the lock: the manifest is replaced atomically and only after every
output is in place, so it is never read half-written or ahead of its tables. Any
difference, an output gone or ``force=True`` takes the full path, which stays the
authority. Unreadable and unrecognised files are repeated from the manifest on
the fast path, so they are reported on every call, as before.

*Fast.* Police months are parsed with pyarrow and written as dictionary-encoded
Parquet, several months at once in threads; at most a few months are in memory.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import importlib
import json
import logging
import os
import shutil
import stat
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from cdp_analysis import __version__
from cdp_analysis.errors import CdpError, ConfigError, DataFormatError, MissingDataError
from cdp_analysis.sources import police_uk
from cdp_analysis.sources._common import sniff_text
from cdp_analysis.store import vintages
from cdp_analysis.store.source import BOUNDARY_SUFFIXES, TABULAR_SUFFIXES

__all__ = ["PrepareReport", "prepare", "vintage_reports", "MANIFEST_NAME", "SOURCES"]

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
_MANIFEST_FORMAT = 1
#: Processed sources, in build order; the number is the version of the step
#: (bump it when the step's output changes for the same input).
SOURCES: dict[str, int] = {
    "boundaries": 2, "lookup": 1, "indicators": 1, "population": 3, "imd": 2,
    "census": 1, "local": 1, "street_crime": 3, "stop_search": 2, "outcomes": 3,
    "children_in_need": 1, "looked_after": 1, "exclusions": 1, "pupil_headcount": 1, "csew": 1, "ndtms": 2,
    "homelessness": 1, "reoffending": 1, "police_counts": 3,
}
#: Sources whose LSOA codes are brought to the lookup's vintage (cdp_analysis.store.vintages);
#: their units depend on the lookup and the boundaries.
_RECONCILED = ("population", "imd", "street_crime", "outcomes")
_CHANGES_OUT = "lsoa_changes.parquet"
_POLICE_KINDS = {"street_crime": police_uk.STREET, "stop_search": police_uk.STOP_SEARCH,
                 "outcomes": police_uk.OUTCOMES}
# source -> (module under cdp_analysis.sources, classifier, functions the step calls)
_READERS: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "indicators": ("fingertips", "is_export", ("read_export", "to_indicator_table")),
    "lookup": ("lookups", "is_lookup", ("read_lsoa_lookup",)),
    "population": ("population", "is_population", ("read_population",)),
    "imd": ("imd", "is_imd", ("read_imd",)),
    "census": ("census", "is_census_ethnicity", ("read_census_ethnicity",)),
    "local": ("local", "is_local_return", ("read_local_return",)),
    "boundaries": ("boundaries", None, ("read_boundaries",)),
    "children_in_need": ("dfe", "is_children_in_need", ("read_children_in_need",)),
    "looked_after": ("dfe", "is_looked_after", ("read_looked_after",)),
    "exclusions": ("dfe", "is_exclusions", ("read_exclusions",)),
    "pupil_headcount": ("dfe", "is_pupil_headcount", ("read_pupil_headcount",)),
    "csew": ("csew", "is_csew", ("read_csew",)),
    "ndtms": ("ndtms", "is_ndtms", ("read_ndtms",)),
    "homelessness": ("homelessness", "is_hclic_support_needs", ("read_hclic_support_needs",)),
    "reoffending": ("reoffending", "is_proven_reoffending", ("read_proven_reoffending",)),
}
# sources whose step is one call of their reader on each file
_ONE_CALL = ("children_in_need", "looked_after", "exclusions", "pupil_headcount", "csew", "ndtms", "homelessness",
             "reoffending")
_CLASSIFIED = ("indicators", "lookup", "population", "imd", "census", "local", *_ONE_CALL)  # order of the is_… checks
_TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
_SIDECARS = {
    ".shp": {".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".qix", ".xml"},
    ".tab": {".map", ".dat", ".id", ".ind"},
}
_GEO_LEVELS = ("lsoa", "ward", "lad")
_IMD_COLUMNS = ("lsoa_code", "imd_score", "imd_rank", "imd_decile")
_ROW_GROUP_ROWS = 128 * 1024
_LSOA_ROW_GROUP_ROWS = 16 * 1024  # police tables sorted by LSOA: ~30 groups a national month
_NDTMS_ROW_GROUP_ROWS = 16 * 1024  # a national NDTMS table: ~1,000 groups, one or two measures each
_NOT_REPEATED = {"crime_id", "context", "longitude", "latitude", "datetime"}
_LOCK_NAME = ".prepare.lock"
#: Beside the local tables: a malformed local return's error, in place of its table.
LOCAL_ERROR_SUFFIX = ".error.json"
_STAGING_PREFIX = ".staging-"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_FAST_KEY = "fast"  # manifest entry: source-tree fingerprint and the report of a run with nothing to do
_NOOP_FIELDS = ("skipped", "unavailable", "warnings", "unreadable", "unrecognised", "kept", "missing_months")
_fast_memo: dict[str, tuple[tuple[int, int, int], dict]] = {}  # manifest path -> (its stat, parsed)


@dataclass
class PrepareReport:
    """What a :func:`prepare` run did.

    ``processed`` and ``skipped`` name sources (``street_crime``, ``indicators`` …);
    a source is processed when at least one of its units (a police month, a local
    return) was rebuilt. ``units`` lists the rebuilt units by source, ``rows`` the
    rows written this run by source. ``fast`` is true when no file of the source
    folder (nor the package) changed since the last complete run, so nothing was
    planned or hashed and the rest repeats what that run left to report.
    """

    source_dir: Path
    processed_dir: Path
    processed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    units: dict[str, list[str]] = field(default_factory=dict)
    missing_months: dict[str, list[str]] = field(default_factory=dict)
    vintages: dict[str, vintages.ReconcileReport] = field(default_factory=dict)
    derived: dict[str, int] = field(default_factory=dict)  # derived tables rebuilt -> rows
    warnings: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    unrecognised: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    fast: bool = False
    seconds: float = 0.0

    def __str__(self) -> str:
        return self.summary()

    @property
    def changed(self) -> bool:
        """Whether the run changed any table."""
        return bool(self.processed or self.removed)

    def summary(self) -> str:
        """A few plain lines for a log or a terminal."""
        lines = [f"prepare {self.source_dir} -> {self.processed_dir} in {self.seconds:.1f} s"]
        if self.fast:
            lines.append("  nothing to do: no source file changed (size, time) since the last run")
        for name in self.processed:
            lines.append(f"  processed {name}: {len(self.units.get(name, []))} part(s), "
                         f"{self.rows.get(name, 0):,} rows")
        if self.skipped:
            lines.append("  unchanged: " + ", ".join(self.skipped))
        lines.extend(f"  derived {name}: {rows:,} rows" for name, rows in self.derived.items())
        if self.removed:
            lines.append("  removed (inputs gone): " + ", ".join(self.removed))
        for rel, why in self.unreadable.items():
            lines.append(f"  could not read {rel}: {why}")
        if self.unrecognised:
            lines.append(f"  not recognised by any reader, ignored ({len(self.unrecognised)}): "
                         + ", ".join(self.unrecognised))
        if self.kept:
            lines.append("  kept as processed before (an input could not be read or recognised): "
                         + ", ".join(self.kept))
        lines.extend(f"  LSOA vintage: {r.summary()}" for r in self.vintages.values()
                     if r.moved or r.dropped)
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)


# --------------------------------------------------------------------------- plan
@dataclass
class _Input:
    """One file of the source folder, as the manifest records it."""

    rel: str
    path: Path
    size: int
    mtime: float
    sha1: str | None = None

    def record(self) -> dict[str, Any]:
        return {"size": self.size, "mtime": self.mtime, "sha1": self.sha1}


@dataclass
class _Built:
    outputs: list[str]
    rows: int
    notes: list[str] = field(default_factory=list)  # what the data lacks (reported every run)
    empty: bool = False  # a police month whose files hold a header and no row: missing
    vintages: vintages.ReconcileReport | None = None


@dataclass
class _Unit:
    """One thing to build: a police month, a whole small source, a local return."""

    name: str
    source: str
    refs: list[str]  # input references: "rel" or "rel!member" (archive member)
    content: dict[str, str | None]  # ref -> content id (sha1 or archive CRC); None = unknown
    build: Callable[[_Stage], _Built]
    police: bool = False
    salt: str = ""  # anything else the output depends on
    derived: bool = False  # built from other units' outputs, after them

    def fingerprint(self, inputs: dict[str, _Input]) -> str | None:
        """Hash of the step version and the inputs' content; None while a hash is unknown."""
        ids = []
        for ref in self.refs:
            cid = self.content.get(ref) or inputs[ref.split("!", 1)[0]].sha1
            if cid is None:
                return None
            ids.append((ref, cid))
        payload = json.dumps([self.source, SOURCES[self.source], self.salt, sorted(ids)])
        return hashlib.sha1(payload.encode()).hexdigest()


@dataclass
class _Plan:
    inputs: dict[str, _Input]
    units: list[_Unit]
    complete: set[str]  # sources whose inputs were all recognised (vanished units can go)
    unavailable: dict[str, str]
    missing_months: dict[str, list[str]]
    boundary_refs: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # rel -> why it cannot be read
    unrecognised: list[Path] = field(default_factory=list)  # tabular files no reader claimed


class _Stage:
    """The staging folder of a run, inside the processed folder (same file system)."""

    def __init__(self, processed_dir: Path) -> None:
        self.final = processed_dir
        self.root = processed_dir / f"{_STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
        self._lock = threading.Lock()

    def path(self, rel: str) -> Path:
        """Where to write output ``rel`` during the run."""
        target = self.root / rel
        with self._lock:
            target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def current(self, rel: str) -> Path:
        """Output ``rel`` as it will be after the run (staged if rebuilt, else final)."""
        staged = self.root / rel
        return staged if staged.exists() else self.final / rel

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


# --------------------------------------------------------------------------- prepare
def prepare(
    source_dir: str | os.PathLike,
    processed_dir: str | os.PathLike,
    *,
    progress: bool = True,
    force: bool = False,
    workers: int | None = None,
) -> PrepareReport:
    """Turn everything found under ``source_dir`` into the processed tables.

    Parameters
    ----------
    source_dir
        Raw source folder (``data/raw/<dataset>/``); never written to.
    processed_dir
        Output folder (``data/processed/<dataset>/``); created if needed.
    progress
        Show a progress bar (only on a terminal).
    force
        Rebuild every unit even if its inputs are unchanged.
    workers
        Threads for police months (default: the number of CPUs).

    Returns
    -------
    PrepareReport

    Raises
    ------
    MissingDataError
        ``source_dir`` does not exist.
    DataFormatError
        An input is malformed (the processed folder is left unchanged).
    """
    started = time.perf_counter()
    source = Path(source_dir).resolve()
    target = Path(processed_dir).resolve()
    if not source.is_dir():
        raise MissingDataError(f"Source folder not found: {source}")
    if target == source or source in target.parents:
        raise ConfigError(f"processed_dir must lie outside the source folder: {target}")
    report = PrepareReport(source_dir=source, processed_dir=target)
    # Lock-free: the manifest is replaced atomically, after the outputs it lists.
    if not force and _take_fast_path(target, report, _source_fingerprint(source)):
        return _finish(report, started)
    created = not target.exists()
    try:
        with _locked(target):
            _clean_leftovers(target)
            _run(source, target, report, progress=progress, force=force, workers=workers)
    except OSError as exc:  # a file that cannot be read, a full disk, a read-only folder
        if created:
            _remove_new_folder(target)
        raise _os_error(exc, source, target) from exc
    except BaseException:
        if created:  # leave no empty folder behind (but never remove another run's files)
            _remove_new_folder(target)
        raise
    return _finish(report, started)


def _remove_new_folder(target: Path) -> None:
    with contextlib.suppress(OSError):
        (target / _LOCK_NAME).unlink(missing_ok=True)
        target.rmdir()


def _os_error(exc: OSError, source: Path, target: Path) -> CdpError:
    """A plain message for an operating-system error met while preparing: which file or
    folder, what happened, what to change; the processed folder is as it was."""
    name = Path(exc.filename) if exc.filename else None
    what = exc.strerror or str(exc)
    kept = f"the processed folder {target} was left as it was"
    if name is not None and (name == source or source in name.parents):
        return DataFormatError(
            f"cannot read the file ({what}); make it readable (e.g. chmod a+r) or move it out of "
            f"the data folder; {kept}", path=name)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return CdpError(f"No space left to write the processed tables in {target} ({what}): free some "
                        f"space or choose another folder with --processed-dir; {kept}")
    where = name or target
    return CdpError(f"Cannot write the processed tables: {where}: {what}; choose another folder with "
                    f"--processed-dir or fix its permissions; {kept}")


def _finish(report: PrepareReport, started: float) -> PrepareReport:
    report.seconds = time.perf_counter() - started
    log.info("%s", report.summary())
    return report


def _run(source: Path, target: Path, report: PrepareReport, *, progress: bool, force: bool,
         workers: int | None) -> None:
    tree = _source_fingerprint(source)  # before planning: a change during the run is seen next time
    # again under the lock: another process may have just prepared the same tree
    if not force and _take_fast_path(target, report, tree):
        return
    old = _read_manifest(target)
    # Fingerprints hold relative paths and content hashes only, so a moved source
    # folder with the same files rebuilds nothing.
    old_units: dict[str, dict] = old.get("units", {})
    old_inputs: dict[str, dict] = old.get("inputs", {})
    plan = _plan(source, old_inputs, report)
    kept = _keep_doubtful(plan, old_units, source)
    _hash_changed(plan, old_inputs)

    dirty: list[_Unit] = []
    for unit in plan.units:
        before = old_units.get(unit.name)
        fingerprint = unit.fingerprint(plan.inputs)
        if (force or before is None or fingerprint is None or before.get("fingerprint") != fingerprint
                or not all((target / o).is_file() for o in before.get("outputs", []))):
            dirty.append(unit)

    stage = _Stage(target)
    built: dict[str, _Built] = {}
    try:
        if dirty:
            stage.root.mkdir(parents=True)
            built = _build_all(dirty, stage, progress=progress, workers=workers)
        new_units = _new_unit_records(plan, old_units, built)
        gone = [name for name in old_units if name not in new_units]
        _commit(stage, target, built, old_units, gone)
    finally:
        stage.discard()

    new_manifest = {
        "format": _MANIFEST_FORMAT,
        "source_dir": str(source),
        "inputs": _input_records(plan, new_units, old_inputs),
        "units": new_units,
    }
    _fill_report(report, plan, built, dirty, gone, new_units)
    report.kept = kept
    report.vintages = vintage_reports(new_units)
    new_manifest[_FAST_KEY] = {"fingerprint": tree, "report": _noop_record(report)}
    if new_manifest != old:
        _write_json(target / MANIFEST_NAME, new_manifest)


# --------------------------------------------------------------------------- fast path
def _take_fast_path(target: Path, report: PrepareReport, fingerprint: str) -> bool:
    """Fill ``report`` from the manifest if nothing changed since its run; False otherwise."""
    manifest = _manifest_memo(target)
    record = manifest.get(_FAST_KEY)
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint:
        return False
    units: dict[str, dict] = manifest.get("units", {})
    root = str(target)
    outputs = (os.path.join(root, out) for unit in units.values() for out in unit.get("outputs", []))
    if not all(map(os.path.isfile, outputs)):
        return False
    saved = record.get("report")
    if not isinstance(saved, dict) or any(name not in saved for name in _NOOP_FIELDS):
        return False
    saved = json.loads(json.dumps(saved))  # a copy: the memo is shared
    for name in _NOOP_FIELDS:
        setattr(report, name, saved[name])
    report.vintages = vintage_reports(units)
    report.fast = True
    for message in report.warnings:
        log.warning("%s", message)
    return True


def _noop_record(report: PrepareReport) -> dict[str, Any]:
    """What a run with nothing to do would report after ``report``'s run (kept in the manifest)."""
    done = set(report.processed) | set(report.skipped)
    record: dict[str, Any] = {name: getattr(report, name) for name in _NOOP_FIELDS}
    record["skipped"] = [s for s in SOURCES if s in done]
    return json.loads(json.dumps(record))  # a copy, as it will read back


def _manifest_memo(target: Path) -> dict:
    """The manifest of ``target``, parsed once per version of the file in this process."""
    path = target / MANIFEST_NAME
    try:
        st = os.stat(path)
    except OSError:
        return {}
    key = (st.st_ino, st.st_mtime_ns, st.st_size)
    held = _fast_memo.get(str(path))
    if held is None or held[0] != key:
        held = (key, _read_manifest(target))
        _fast_memo[str(path)] = held
    return held[1]


def _source_fingerprint(source: Path) -> str:
    """Hash of everything that decides what :func:`prepare` does with ``source``.

    Every file under ``source`` (relative path, size, ``st_mtime_ns``; hidden files
    too, links followed once), the source path, and the code: the package's files
    and version, the step versions, the reader registry and any reader replaced in
    this process.
    """
    payload = [
        str(source), _scan_tree(str(source)),
        __version__, _MANIFEST_FORMAT, SOURCES, _READERS, _CLASSIFIED,
        _scan_tree(_PACKAGE_DIR, skip_dirs=frozenset({"__pycache__"})), _replaced_readers(),
    ]
    return hashlib.sha1(json.dumps(payload).encode()).hexdigest()


def _scan_tree(root: str, skip_dirs: frozenset[str] = frozenset()) -> list[tuple[str, int, int]]:
    """``(relative path, size, mtime_ns)`` of every file under ``root``, sorted.

    One :func:`os.scandir` per folder; symbolic links are followed, each folder
    once; a broken link has size and time -1, an unreadable folder -2.
    """
    found: list[tuple[str, int, int]] = []
    seen = {(st.st_dev, st.st_ino) for st in [os.stat(root)]}
    pending = [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:  # an unreadable folder (the full path skips it too)
            found.append((prefix, -2, -2))
            continue
        for entry in entries:
            rel = prefix + entry.name
            try:
                st = entry.stat()
            except OSError:
                found.append((rel, -1, -1))
                continue
            if not stat.S_ISDIR(st.st_mode):
                found.append((rel, st.st_size, st.st_mtime_ns))
            elif entry.name not in skip_dirs and (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                pending.append((entry.path, rel + "/"))
    found.sort()
    return found


def _replaced_readers() -> list[list[Any]]:
    """Reader modules or functions in this process that do not come from the package's files.

    Empty in normal use (a module not imported yet will be imported from the
    files :func:`_source_fingerprint` already covers); a stand-in module or
    function (a test, a notebook) changes the fingerprint.
    """
    def foreign(path: object) -> bool:
        return not (isinstance(path, str) and os.path.abspath(path).startswith(_PACKAGE_DIR + os.sep))

    found: list[list[Any]] = []
    if getattr(_module, "__module__", None) != __name__:
        found.append(["_module", repr(_module)])
    wanted: dict[str, set[str]] = {}
    for module_name, classifier, functions in _READERS.values():
        wanted.setdefault(module_name, set()).update(f for f in (classifier, *functions) if f)
    wanted["lookups"].add("lookup_from_boundaries")
    for module_name, names in sorted(wanted.items()):
        module = sys.modules.get(f"cdp_analysis.sources.{module_name}")
        if module is None:
            continue
        if foreign(getattr(module, "__file__", None)):
            found.append([module_name, repr(getattr(module, "__file__", None))])
        for name in sorted(names):
            code = getattr(getattr(module, name, None), "__code__", None)
            if code is not None and foreign(code.co_filename):
                found.append([module_name, name, code.co_filename, code.co_firstlineno])
    return found


def vintage_reports(units: dict[str, dict]) -> dict[str, vintages.ReconcileReport]:
    """The vintage reports of every current unit (rebuilt or not), added up by source."""
    totals: dict[str, vintages.ReconcileReport] = {}
    for record in units.values():
        if record.get("vintages"):
            one = vintages.ReconcileReport.from_dict(record["vintages"])
            source = record.get("source", one.table)
            totals[source] = totals[source].merge(one) if source in totals else one
    return totals


def _fill_report(report: PrepareReport, plan: _Plan, built: dict[str, _Built], dirty: list[_Unit],
                 gone: list[str], records: dict[str, dict]) -> None:
    sources = {u.source for u in plan.units if not u.derived}
    for unit in dirty:
        if unit.derived:  # reported apart: the raw sources' lists stay about raw sources
            report.derived[unit.name] = built[unit.name].rows
            continue
        report.units.setdefault(unit.source, []).append(unit.name)
        report.rows[unit.source] = report.rows.get(unit.source, 0) + built[unit.name].rows
    report.processed = [s for s in SOURCES if s in report.units]
    report.skipped = [s for s in SOURCES if s in sources and s not in report.units]
    report.removed = sorted(gone)
    report.unavailable = sorted(plan.unavailable)
    report.warnings.extend(f"{s}: {why}" for s, why in sorted(plan.unavailable.items()))
    report.unreadable = dict(sorted(plan.unreadable.items()))
    report.unrecognised = sorted(f.relative_to(report.source_dir).as_posix() for f in plan.unrecognised)
    _header_only_months(plan, records)
    report.missing_months = {k: v for k, v in plan.missing_months.items() if v}
    report.warnings.extend(note for unit in plan.units for note in records.get(unit.name, {}).get("notes", []))
    for name, months in report.missing_months.items():
        report.warnings.append(f"{name}: no data for {len(months)} month(s) between the first "
                               f"and the last: {', '.join(months)}")
    for message in report.warnings:
        log.warning("%s", message)


def _header_only_months(plan: _Plan, records: dict[str, dict]) -> None:
    """Police months whose files hold only a header are missing months, never zero."""
    for name in _POLICE_KINDS:
        months = {u.name.split("/", 1)[1]: records.get(u.name, {}).get("empty", False)
                  for u in plan.units if u.source == name}
        empty = {m for m, is_empty in months.items() if is_empty}
        if empty:
            present = [m for m in months if m not in empty]
            plan.missing_months[name] = sorted(set(police_uk.missing_months(present)) | empty)


# --------------------------------------------------------------------------- finding inputs
def _plan(source: Path, old_inputs: dict[str, dict], report: PrepareReport) -> _Plan:
    files = police_uk.walk_files(source)
    inputs: dict[str, _Input] = {}

    def use(path: Path) -> str:
        rel = path.relative_to(source).as_posix()
        if rel not in inputs:
            st = path.stat()
            inp = _Input(rel, path, st.st_size, st.st_mtime)
            before = old_inputs.get(rel)
            if before and before.get("size") == inp.size and before.get("mtime") == inp.mtime:
                inp.sha1 = before.get("sha1")
            inputs[rel] = inp
        return rel

    plan = _Plan(inputs=inputs, units=[], complete=set(), unavailable={}, missing_months={})
    claimed: set[Path] = set()
    _plan_police(source, files, plan, use, claimed)
    _plan_boundaries(source, files, plan, use, claimed)
    _sniff_unreadable(source, files, plan, claimed)
    _plan_tabular(files, plan, use, claimed, report)
    _depend_on_geography(plan)
    _plan_police_counts(plan, source)
    plan.units.sort(key=lambda u: (list(SOURCES).index(u.source), u.name))
    return plan


def _depend_on_geography(plan: _Plan) -> None:
    """Units whose LSOAs are reconciled are rebuilt when the lookup or boundaries change."""
    geography = sorted({ref for u in plan.units if u.source in ("boundaries", "lookup") for ref in u.refs})
    for unit in plan.units:
        if unit.source in _RECONCILED:
            unit.refs = [*unit.refs, *(ref for ref in geography if ref not in unit.refs)]


def _plan_police(source: Path, files: list[Path], plan: _Plan, use: Callable[[Path], str],
                 claimed: set[Path]) -> None:
    zips = [f for f in files if f.suffix.lower() == ".zip"]
    for name, kind in _POLICE_KINDS.items():
        named = [f for f in files if (police_uk.parse_police_name(f.name) or (0, 0, ""))[2] == kind]
        found = police_uk.find_police_files(named + zips, kind) if (named or zips) else []
        by_month: dict[str, list[police_uk.PoliceFile]] = {}
        for pf in found:
            by_month.setdefault(pf.month, []).append(pf)  # type: ignore[arg-type]
            claimed.add(pf.path)
        for month, group in by_month.items():
            content: dict[str, str | None] = {}
            refs = []
            for pf in group:
                rel = use(pf.path)
                ref = f"{rel}!{pf.member}" if pf.member else rel
                refs.append(ref)
                if pf.member:
                    content[ref] = f"crc32:{pf.crc:08x}:{pf.size}"
            plan.units.append(_Unit(
                name=f"{name}/{month}", source=name, refs=refs, content=content, police=True,
                build=_police_builder(name, kind, month, group, plan.inputs, source),
            ))
        plan.complete.add(name)
        plan.missing_months[name] = police_uk.missing_months(list(by_month))


def _plan_police_counts(plan: _Plan, source: Path) -> None:
    """The national aggregate, derived from every street-crime month (and the lookup)."""
    plan.complete.add("police_counts")
    streets = [u for u in plan.units if u.source == "street_crime"]
    if not streets:
        return
    lookups = [u for u in plan.units if u.source == "lookup"]
    refs = [r for u in streets + lookups for r in u.refs]
    content = {k: v for u in streets + lookups for k, v in u.content.items()}
    months = {u.name.split("/", 1)[1]: [r.rsplit("!", 1)[-1] for r in u.refs] for u in streets}
    # an area file in the source folder (a national-scale demo's extra areas) places their LSOAs too
    areas = source / "areas.csv"
    listed = hashlib.sha1(areas.read_bytes()).hexdigest()[:12] if areas.is_file() else ""
    plan.units.append(_Unit("police_counts", "police_counts", refs, content,
                            _police_counts_builder(months, source if listed else None), derived=True,
                            salt=("lookup" if lookups else "") + (f" areas {listed}" if listed else "")))


def _plan_boundaries(source: Path, files: list[Path], plan: _Plan, use: Callable[[Path], str],
                     claimed: set[Path]) -> None:
    main = [f for f in files if f.suffix.lower() in BOUNDARY_SUFFIXES and f not in claimed
            and any(p.lower() == "boundaries" for p in f.relative_to(source).parts[:-1])]
    if not main:
        return
    groups = {f: [f, *_sidecars(f, files)] for f in main}
    for group in groups.values():
        claimed.update(group)
    if not _reader_ready("boundaries", plan):
        return
    refs = [use(f) for group in groups.values() for f in group]
    plan.units.append(_Unit("boundaries", "boundaries", refs, {}, _boundaries_builder(main)))
    plan.complete.add("boundaries")
    plan.boundary_refs = refs


def _sidecars(main: Path, files: list[Path]) -> list[Path]:
    """The files a shapefile or MapInfo table is made of besides ``main`` (same stem)."""
    extras = _SIDECARS.get(main.suffix.lower(), set())
    stem = main.name[: -len(main.suffix)].lower() + "."
    return [f for f in files if f.parent == main.parent and f != main
            and f.name.lower().startswith(stem) and f.suffix.lower() in extras]


def _plan_tabular(files: list[Path], plan: _Plan, use: Callable[[Path], str], claimed: set[Path],
                  report: PrepareReport) -> None:
    candidates = [f for f in files if f not in claimed and f.suffix.lower() in TABULAR_SUFFIXES]
    if not candidates:
        plan.complete.update(_CLASSIFIED)  # nothing any reader could claim
        _plan_lookup(plan)
        return
    checks: list[tuple[str, Callable[[Path], bool]]] = []
    missing = []
    for name in _CLASSIFIED:
        module_name, classifier, _ = _READERS[name]
        module = _module(module_name)
        check = getattr(module, classifier, None) if module and classifier else None
        if check is None:
            missing.append(name)
        else:
            checks.append((name, check))
    found: dict[str, list[Path]] = {}
    unrecognised = []
    for f in candidates:
        for name, check in checks:
            if _safe_check(check, f):
                found.setdefault(name, []).append(f)
                break
        else:
            unrecognised.append(f)
    for name, paths in found.items():
        if not _reader_ready(name, plan):
            continue
        plan.complete.add(name)
        if name == "local":
            stems: dict[str, Path] = {}
            for p in paths:
                if p.stem in stems:
                    report.warnings.append(f"local: {p} ignored, it has the same name as "
                                           f"{stems[p.stem]}")
                    continue
                stems[p.stem] = p
                plan.units.append(_Unit(f"local/{p.stem}", "local", [use(p)], {}, _local_builder(p, report.source_dir)))
        else:
            refs = [use(p) for p in paths]
            plan.units.append(_Unit(name, name, refs, {}, _table_builder(name, paths)))
    if "lookup" not in found:
        _plan_lookup(plan)
    for name in _CLASSIFIED:
        if name not in missing and name not in found:
            plan.complete.add(name)  # its reader saw every file and claimed none
    if unrecognised:
        shown = ", ".join(str(p.name) for p in unrecognised[:5]) + (" …" if len(unrecognised) > 5 else "")
        if missing:
            plan.unavailable.setdefault(
                "readers", f"{len(unrecognised)} file(s) not recognised ({shown}); readers not "
                f"available yet: {', '.join(missing)}")
    plan.unrecognised = unrecognised


def _sniff_unreadable(source: Path, files: list[Path], plan: _Plan, claimed: set[Path]) -> None:
    """Set aside text inputs that are not text: UTF-16, binary, a runaway line.

    They are reported by name; no reader sees them, and no table they may have
    fed is removed (:func:`_keep_doubtful`).
    """
    for f in files:
        if f in claimed or f.suffix.lower() not in _TEXT_SUFFIXES:
            continue
        why = sniff_text(f)
        if why is not None:
            plan.unreadable[f.relative_to(source).as_posix()] = why
            claimed.add(f)


def _keep_doubtful(plan: _Plan, old_units: dict[str, dict], source: Path) -> list[str]:
    """Keep tables whose inputs may be among the files that could not be read or recognised.

    A unit that used such a file before is not rebuilt from fewer inputs, and a
    source with no unit this time is not removed, while any file is in doubt.
    Returns the names of the units kept as they were.
    """
    doubtful = set(plan.unreadable) | {f.relative_to(source).as_posix() for f in plan.unrecognised}
    if not doubtful:
        return []
    kept = []
    for unit in list(plan.units):
        used = {ref.split("!", 1)[0] for ref in old_units.get(unit.name, {}).get("inputs", [])}
        if used & doubtful:
            plan.units.remove(unit)
            plan.complete.discard(unit.source)
            kept.append(unit.name)
    with_units = {u.source for u in plan.units}
    for name, record in old_units.items():
        if record.get("source") in _CLASSIFIED and record.get("source") not in with_units:
            plan.complete.discard(record["source"])
            kept.append(name)
    return sorted(set(kept))


def _plan_lookup(plan: _Plan) -> None:
    """No lookup file: derive one from LSOA and ward boundaries, if there are some."""
    if not plan.boundary_refs or not _reader_ready("lookup", plan,
                                                   functions=("lookup_from_boundaries",)):
        return
    plan.units.append(_Unit("lookup", "lookup", list(plan.boundary_refs), {},
                            _derived_lookup_builder(), salt="derived from boundaries"))


def _safe_check(check: Callable[[Path], bool], path: Path) -> bool:
    try:
        return bool(check(path))
    except Exception as exc:  # a classifier must never stop the run
        log.debug("%s: %s failed: %s", path, getattr(check, "__name__", check), exc)
        return False


def _module(name: str) -> ModuleType | None:
    full = f"cdp_analysis.sources.{name}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name == full:
            return None
        raise


def _reader_ready(source: str, plan: _Plan, functions: tuple[str, ...] | None = None) -> bool:
    module_name, _, needed = _READERS[source]
    module = _module(module_name)
    needed = functions or needed
    absent = [f for f in needed if module is None or not callable(getattr(module, f, None))]
    if absent:
        where = f"cdp_analysis.sources.{module_name}"
        plan.unavailable[source] = (f"{where} is not available yet" if module is None
                                    else f"{where} lacks {', '.join(absent)}") + "; skipped"
        return False
    return True


def _hash_changed(plan: _Plan, old_inputs: dict[str, dict]) -> None:
    """Hash inputs whose size or mtime changed (or that are new), in parallel.

    New loose police CSVs are left for the month builder, which hashes the bytes
    it reads anyway.
    """
    geography = {ref for u in plan.units if not u.police for ref in u.refs}
    police_loose = {ref for u in plan.units if u.police for ref in u.refs if "!" not in ref} - geography
    todo = [inp for rel, inp in plan.inputs.items()
            if inp.sha1 is None and not (rel in police_loose and rel not in old_inputs)]
    if not todo:
        return
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for inp, digest in zip(todo, pool.map(lambda i: _sha1_file(i.path), todo)):
            inp.sha1 = digest


def _sha1_file(path: Path) -> str:
    digest = hashlib.sha1()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- builders
def _police_builder(name: str, kind: str, month: str, files: list[police_uk.PoliceFile],
                    inputs: dict[str, _Input], source: Path) -> Callable[[_Stage], _Built]:
    def hash_new(pf: police_uk.PoliceFile, data: bytes) -> None:
        if pf.member is None:
            inp = inputs[pf.path.relative_to(source).as_posix()]
            if inp.sha1 is None:  # a new file: hashed from the bytes read anyway
                inp.sha1 = hashlib.sha1(data).hexdigest()

    empty: list[str] = []

    def look(pf: police_uk.PoliceFile, data: bytes) -> None:
        hash_new(pf, data)
        if police_uk.header_only(data):
            empty.append(pf.name)

    def build(stage: _Stage) -> _Built:
        empty.clear()
        table = police_uk.read_police_month(files, kind, on_bytes=look, dictionaries=False)
        if empty and table.num_rows == 0:  # no partition: the month is missing, not zero
            return _Built([], 0, [f"{name} {month}: {', '.join(empty)} hold(s) a header and no "
                                  "rows; the month is treated as missing, not as zero"], empty=True)
        notes = [f"{name} {month}: {', '.join(empty)} hold(s) a header and no rows; that force's "
                 "data is missing for the month"] if empty else []
        report = None
        if "lsoa_code" in table.column_names:
            table, report = _reconcile_police(table, name, stage)
        out = f"{name}/month={month}/part-0.parquet"
        _write_police(table.drop_columns(["month"]), stage.path(out))
        return _Built([out], table.num_rows, notes, vintages=report)

    return build


def _geography(stage: _Stage) -> tuple[pd.DataFrame | None, pd.DataFrame | None, Any]:
    """The lookup, the LSOA 2011 -> 2021 links and the LSOA boundaries of this run (None if absent)."""
    lookup, changes, lsoas = (stage.current(rel) for rel in
                              ("lsoa_lookup.parquet", _CHANGES_OUT, "geo_lsoa.parquet"))
    if not lookup.is_file():
        return None, None, None
    boundaries = None
    if lsoas.is_file():
        import geopandas as gpd

        boundaries = gpd.read_parquet(lsoas)
    return (pd.read_parquet(lookup, columns=["lsoa_code", "lsoa_name"]),
            pd.read_parquet(changes) if changes.is_file() else None, boundaries)


def _reconcile_police(table: pa.Table, name: str, stage: _Stage
                      ) -> tuple[pa.Table, vintages.ReconcileReport | None]:
    """LSOA codes of a police month on the lookup's vintage, published codes in ``lsoa_code_original``."""
    lookup, changes, boundaries = _geography(stage)
    if lookup is None:  # nothing to reconcile to: codes as published
        return table.append_column("lsoa_code_original", table.column("lsoa_code")), None
    columns = [c for c in ("lsoa_code", "lsoa_name", "longitude", "latitude") if c in table.column_names]
    frame, report = vintages.reconcile_crimes(table.select(columns).to_pandas(), lookup, changes,
                                              boundaries, table=name)
    for column in ("lsoa_code", "lsoa_name"):
        if column in columns:
            kind = table.schema.field(column).type
            values = pa.array(frame[column].astype(object).where(frame[column].notna(), None), type=pa.string())
            table = table.set_column(table.schema.get_field_index(column), column, values.cast(kind))
    original = pa.array(frame["lsoa_code_original"].astype(object).where(frame["lsoa_code_original"].notna(), None),
                        type=pa.string())
    return table.append_column("lsoa_code_original", original.cast(table.schema.field("lsoa_code").type)), report


def _write_police(table: pa.Table, path: Path) -> None:
    # Parquet dictionary pages only where values repeat: unique Crime IDs, free text and
    # coordinates would only fill a dictionary and fall back to plain pages.
    repeated = [c for c in table.column_names if c not in _NOT_REPEATED]
    rows = _ROW_GROUP_ROWS
    if "lsoa_code" in table.column_names:
        # sorted by LSOA (stable: a file's order within an LSOA) in small row groups, an area's
        # read skips the row groups of other areas by their statistics (Dataset.street_crime)
        table = table.sort_by([("lsoa_code", "ascending")])
        rows = _LSOA_ROW_GROUP_ROWS
    pq.write_table(table, path, compression="zstd", use_dictionary=repeated, row_group_size=rows)


class _LazyMonths(Mapping):
    """Month → table, read only when asked for (one month in memory at a time)."""

    def __init__(self, paths: dict[str, Path], read: Callable[[Path], Any]) -> None:
        self._paths, self._read = paths, read

    def __getitem__(self, month: str) -> Any:
        return self._read(self._paths[month])

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def _police_counts_builder(months: dict[str, list[str]], areas_dir: Path | None = None
                           ) -> Callable[[_Stage], _Built]:
    def build(stage: _Stage) -> _Built:
        from cdp_analysis.areas import AreaRegistry
        from cdp_analysis.store.police_counts import build_police_counts, count_month, write_police_counts

        columns = ["lsoa_code", "lsoa_name", "crime_type", "last_outcome"]  # outcome groups of drug offences
        parts = {m: stage.current(f"street_crime/month={m}/part-0.parquet") for m in months}
        held = {m: p for m, p in parts.items() if p.is_file()}  # a header-only month has no partition
        tables = _LazyMonths(held, lambda path: count_month(pq.read_table(path, columns=columns)))
        forces = {m: {n[1] for n in map(police_uk.parse_police_name, months[m]) if n} for m in held}
        lookup_path = stage.current("lsoa_lookup.parquet")
        lookup = pd.read_parquet(lookup_path, columns=["lsoa_code", "lad_code"]) if lookup_path.is_file() else None
        registry = AreaRegistry.load(areas_dir) if areas_dir is not None else AreaRegistry.builtin()
        counts = build_police_counts(tables, forces, registry, lookup)
        out = "police_counts.parquet"
        write_police_counts(counts, stage.path(out))
        return _Built([out], len(counts.counts))

    return build


def _boundaries_builder(paths: list[Path]) -> Callable[[_Stage], _Built]:
    def build(stage: _Stage) -> _Built:
        import geopandas as gpd

        module = _module("boundaries")
        by_level: dict[str, list[gpd.GeoDataFrame]] = {}
        for path in paths:
            gdf = module.read_boundaries(path)  # type: ignore[union-attr]
            level = gdf.attrs.get("level")
            if level in _GEO_LEVELS:
                by_level.setdefault(level, []).append(gdf)
            else:
                log.info("%s: %s boundaries are not part of the processed layout; ignored", path, level)
        outputs, rows = [], 0
        if "lsoa" in by_level:
            by_level["lsoa"], changes = _one_lsoa_vintage(by_level["lsoa"])
            if changes is not None:
                _write_frame(changes, stage.path(_CHANGES_OUT))
                outputs.append(_CHANGES_OUT)
        for level, gdfs in by_level.items():
            found = sorted({str(g.attrs.get("vintage")) for g in gdfs})
            if len(found) > 1:
                log.warning("%s boundaries mix vintages %s; the first file holding a code wins",
                            level, ", ".join(found))
            merged = gpd.GeoDataFrame(pd.concat(gdfs, ignore_index=True), geometry="geometry",
                                      crs=gdfs[0].crs)
            merged = merged.drop_duplicates("code", ignore_index=True)
            out = f"geo_{level}.parquet"
            merged.to_parquet(stage.path(out), index=False, compression="zstd")
            outputs.append(out)
            rows += len(merged)
        return _Built(outputs, rows)

    return build


def _one_lsoa_vintage(gdfs: list) -> tuple[list, pd.DataFrame | None]:
    """LSOA boundaries of the newest vintage only, and the 2011 -> 2021 links if both are there.

    No ONS "LSOA (2011) to LSOA (2021)" lookup is read yet: with LSOA 2011 and 2021
    boundaries, the links are derived from them by area overlap
    (:func:`cdp_analysis.sources.lookups.lsoa_changes`).
    """
    by_vintage: dict[str, list] = {}
    for gdf in gdfs:
        by_vintage.setdefault(str(gdf.attrs.get("vintage")), []).append(gdf)
    if len(by_vintage) < 2:
        return gdfs, None
    newest = max(by_vintage)
    log.info("LSOA boundaries of vintages %s: the map uses %s", ", ".join(sorted(by_vintage)), newest)
    changes = None
    if {"2011", "2021"} <= set(by_vintage):
        import geopandas as gpd

        lookups = _module("lookups")
        old, new = (gpd.GeoDataFrame(pd.concat(by_vintage[v], ignore_index=True), geometry="geometry",
                                     crs=by_vintage[v][0].crs) for v in ("2011", "2021"))
        changes = lookups.lsoa_changes(old, new)  # type: ignore[union-attr]
    return by_vintage[newest], changes


def _derived_lookup_builder() -> Callable[[_Stage], _Built]:
    def build(stage: _Stage) -> _Built:
        import geopandas as gpd

        levels = {lvl: stage.current(f"geo_{lvl}.parquet") for lvl in _GEO_LEVELS}
        if not (levels["lsoa"].is_file() and levels["ward"].is_file()):
            log.warning("lookup: no lookup file, and no LSOA and ward boundaries to derive one")
            return _Built([], 0)
        frames = {lvl: gpd.read_parquet(p) for lvl, p in levels.items() if p.is_file()}
        lookups = _module("lookups")
        frame = lookups.lookup_from_boundaries(  # type: ignore[union-attr]
            frames["lsoa"], frames["ward"], frames.get("lad"))
        out = "lsoa_lookup.parquet"
        _write_frame(frame, stage.path(out))
        return _Built([out], len(frame))

    return build


# source -> (output, column whose duplicates are dropped; None: drop repeated rows)
_TABLE_OUTPUTS = {
    "indicators": ("indicators.parquet", None),
    "lookup": ("lsoa_lookup.parquet", "lsoa_code"),
    "population": ("population.parquet", None),
    "imd": ("imd_lsoa.parquet", "lsoa_code"),
    "census": ("census_ethnicity.parquet", None),
    **{name: (f"{name}.parquet", None) for name in _ONE_CALL},
}


def _read_table(source: str, path: Path) -> pd.DataFrame:
    """One file through its source's reader (the module of another engineer)."""
    module_name, classifier, _ = _READERS[source]
    module: Any = _module(module_name)
    try:
        if source == "indicators":
            return module.to_indicator_table(module.read_export(path))
        if source == "lookup":
            return module.read_lsoa_lookup(path)
        if source == "population":
            return module.read_population(path)
        if source == "imd":
            return module.read_imd(path).reindex(columns=list(_IMD_COLUMNS))
        if source == "census":
            return module.read_census_ethnicity(path)
        if source in _ONE_CALL:
            return getattr(module, _READERS[source][2][0])(path)
        return module.read_local_return(path)
    except DataFormatError as exc:  # say why this reader was given this file
        raise DataFormatError(
            f"{source}: {module_name}.{classifier} recognised this file, but the reader "
            f"rejects it: {exc.reason}", path=exc.path or path, line=exc.line, column=exc.column,
            expected=exc.expected, found=exc.found,
        ) from exc


def _table_builder(source: str, paths: list[Path]) -> Callable[[_Stage], _Built]:
    def build(stage: _Stage) -> _Built:
        out, key = _TABLE_OUTPUTS[source]
        frame = pd.concat([_read_table(source, p) for p in paths], ignore_index=True)
        frame = (frame.drop_duplicates(key, ignore_index=True) if key
                 else _unique_rows(frame) if source == "ndtms"  # millions of rows nationally
                 else frame.drop_duplicates(ignore_index=True))
        report = None
        lookup, changes, _ = _geography(stage) if source in _RECONCILED else (None, None, None)
        if lookup is not None and source == "population":
            frame, report = vintages.reconcile_population(frame, lookup, changes)
        elif lookup is not None and source == "imd":
            frame, report = vintages.reconcile_imd(frame, lookup, changes)
        if source == "ndtms":
            _write_ndtms(frame, stage.path(out))
        elif source == "population":  # sorted by area: an area's rows are read alone (Dataset.population)
            _write_frame(frame.sort_values("area_code", kind="stable", ignore_index=True), stage.path(out),
                         row_group_size=_LSOA_ROW_GROUP_ROWS * 4)
        else:
            _write_frame(frame, stage.path(out))
        return _Built([out], len(frame), vintages=report)

    return build


def _local_builder(path: Path, source: Path) -> Callable[[_Stage], _Built]:
    """A local return is optional: a malformed one fails only what reads it. Its error
    (file, line, column) is kept as ``local/<name>.error.json`` in place of the table,
    reported as a warning, and raised again by :meth:`Dataset.local` when a chapter
    asks for it; prepare and every other table carry on."""
    def build(stage: _Stage) -> _Built:
        try:
            frame = _read_table("local", path)
        except DataFormatError as exc:
            out = f"local/{path.stem}{LOCAL_ERROR_SUFFIX}"
            record = {"reason": exc.reason, "file": path.relative_to(source).as_posix(), "line": exc.line,
                      "column": exc.column, "expected": exc.expected, "found": exc.found}
            target = stage.path(out)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(record, indent=1, sort_keys=True), "utf-8")
            return _Built([out], 0, [f"local: {record['file']} not used, it is malformed: {exc}"])
        out = f"local/{path.stem}.parquet"
        _write_frame(frame, stage.path(out))
        return _Built([out], len(frame))

    return build


def _write_frame(frame: pd.DataFrame, path: Path, row_group_size: int | None = None) -> None:
    frame = frame.copy()
    frame.attrs = {}  # attrs may hold objects Parquet metadata cannot store
    frame.to_parquet(path, index=False, compression="zstd", row_group_size=row_group_size)


def _write_ndtms(frame: pd.DataFrame, path: Path) -> None:
    """The NDTMS table sorted by :data:`~cdp_analysis.sources.ndtms.NDTMS_SORT` in small row groups.

    A national export is millions of rows; sorted, each row group holds one or a
    few measures, breakdowns, sexes and ages, and a chapter's filtered read
    (:meth:`cdp_analysis.store.dataset.Dataset.ndtms`) skips every other group by its
    statistics. Text columns go to Arrow as dictionaries (codes and the distinct
    values) and rows are ordered by their sorted codes; the strings of one row
    group at a time are made, so preparing a national table stays within a few GB.
    """
    from cdp_analysis.sources.ndtms import NDTMS_SORT

    arrays, keys = {}, {}
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.StringDtype):
            codes, values = pd.factorize(column, sort=True)
            codes = codes.astype(np.int32)
            missing = codes < 0
            if name in NDTMS_SORT:
                keys[name] = np.where(missing, len(values), codes)  # missing last, as Arrow sorts
            arrays[name] = pa.DictionaryArray.from_arrays(
                pa.array(codes, mask=missing), pa.array(values.to_numpy(dtype=object), type=pa.string()))
        else:
            arrays[name] = pa.array(column)
    order = np.lexsort([keys[name] for name in reversed(NDTMS_SORT)]) if len(frame) else np.arange(0)
    schema = pa.Table.from_pandas(frame.iloc[:0], preserve_index=False).schema  # types and pandas dtypes
    step = _NDTMS_ROW_GROUP_ROWS
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for start in range(0, max(len(order), 1), step):  # one row group at a time: its strings only
            rows = pa.array(order[start:start + step])
            writer.write_table(pa.table({name: arrays[name].take(rows).cast(schema.field(name).type)
                                         for name in schema.names}, schema=schema), row_group_size=step)


def _unique_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without repeated rows (the first kept), as ``drop_duplicates`` but in a fraction of its memory.

    Rows are hashed; only rows sharing a hash are compared in full, so a hash
    collision never drops a row.
    """
    hashes = pd.util.hash_pandas_object(frame, index=False)
    shared = hashes.duplicated(keep=False).to_numpy()
    if not shared.any():
        return frame.reset_index(drop=True)
    repeated = np.zeros(len(frame), dtype=bool)
    repeated[np.flatnonzero(shared)] = frame[shared].duplicated().to_numpy()
    return frame[~repeated].reset_index(drop=True)


def _build_all(units: list[_Unit], stage: _Stage, *, progress: bool, workers: int | None
               ) -> dict[str, _Built]:
    """Build the units; police months in parallel threads, the rest in order."""
    built: dict[str, _Built] = {}
    show = progress and sys.stderr.isatty()
    with tqdm(total=len(units), desc="prepare", unit="part", disable=not show, leave=False) as bar:
        for unit in (u for u in units if not u.police and not u.derived):
            bar.set_postfix_str(unit.name)
            built[unit.name] = unit.build(stage)
            bar.update()
        police = [u for u in units if u.police]
        if police:
            pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1)
            try:
                futures = {pool.submit(u.build, stage): u for u in police}
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                    for future in done:
                        unit = futures[future]
                        built[unit.name] = future.result()  # re-raises a builder's error
                        bar.set_postfix_str(unit.name)
                        bar.update()
            finally:  # on error or Ctrl-C, start nothing new; wait for what is running
                pool.shutdown(wait=True, cancel_futures=True)
        for unit in (u for u in units if u.derived):
            bar.set_postfix_str(unit.name)
            built[unit.name] = unit.build(stage)
            bar.update()
    return built


# --------------------------------------------------------------------------- commit
def _new_unit_records(plan: _Plan, old_units: dict[str, dict], built: dict[str, _Built]
                      ) -> dict[str, dict]:
    records: dict[str, dict] = {}
    for unit in plan.units:
        if unit.name in built:
            b = built[unit.name]
            records[unit.name] = {"source": unit.source, "inputs": unit.refs,
                                  "fingerprint": unit.fingerprint(plan.inputs),
                                  "outputs": b.outputs, "rows": b.rows}
            if b.notes or b.empty:
                records[unit.name].update(notes=b.notes, empty=b.empty)
            if b.vintages is not None:
                records[unit.name]["vintages"] = b.vintages.to_dict()
        else:
            records[unit.name] = old_units[unit.name]
    for name, record in old_units.items():  # sources we could not look at this time stay
        if name not in records and record.get("source") not in plan.complete:
            records[name] = record
    return dict(sorted(records.items()))


def _input_records(plan: _Plan, units: dict[str, dict], old_inputs: dict[str, dict]) -> dict:
    used = {ref.split("!", 1)[0] for rec in units.values() for ref in rec.get("inputs", [])}
    records = {}
    for rel in sorted(used):
        if rel in plan.inputs:
            records[rel] = plan.inputs[rel].record()
        elif rel in old_inputs:
            records[rel] = old_inputs[rel]
    return records


def _commit(stage: _Stage, target: Path, built: dict[str, _Built], old_units: dict[str, dict],
            gone: list[str]) -> None:
    """Move staged outputs into place; remove outputs no unit produces any more."""
    produced = {out for b in built.values() for out in b.outputs}
    for out in sorted(produced):
        final = target / out
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage.root / out, final)
    stale = set()
    for name in [*built, *gone]:
        stale.update(set(old_units.get(name, {}).get("outputs", [])) - produced)
    for out in sorted(stale):
        path = target / out
        path.unlink(missing_ok=True)
        if path.parent != target and path.parent.is_dir() and not any(path.parent.iterdir()):
            path.parent.rmdir()  # an emptied partition folder


def _read_manifest(target: Path) -> dict:
    path = target / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        log.warning("%s is unreadable; everything is rebuilt", path)
        return {}
    return data if data.get("format") == _MANIFEST_FORMAT else {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", "utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    target.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        yield
        return
    with open(target / _LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _clean_leftovers(target: Path) -> None:
    """Staging folders of runs that were killed (we hold the lock, so none is live)."""
    for leftover in target.glob(f"{_STAGING_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in target.glob(f".{MANIFEST_NAME}.*.tmp"):
        leftover.unlink(missing_ok=True)

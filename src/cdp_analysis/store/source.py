"""The raw data folder an area is read from, and the checks a command makes before preparing it.

Light on purpose (the standard library and the core only): ``cdp build`` and ``cdp batch`` check
the folder here before they import the chapters' machinery or start a kernel, so a mistyped
``--data-dir`` comes back in a second, not after every chapter has failed on it.
"""

from __future__ import annotations

import os
from pathlib import Path

from cdp_analysis.areas import Area
from cdp_analysis.config import Config
from cdp_analysis.errors import ConfigError, MissingDataError

__all__ = ["TABULAR_SUFFIXES", "BOUNDARY_SUFFIXES", "default_source", "check_source"]

#: Tables the readers recognise by their content (CSV and Excel).
TABULAR_SUFFIXES = frozenset({".csv", ".xlsx", ".xls", ".xlsm"})
#: Boundary files (read when they sit under a ``boundaries`` folder).
BOUNDARY_SUFFIXES = frozenset({".gpkg", ".geojson", ".json", ".shp", ".tab"})


def default_source(area: Area, config: Config) -> Path:
    """The folder ``area`` is read from when no data folder is given: the generated demo for a
    demo area, ``<raw>/real`` otherwise.

    Raises
    ------
    MissingDataError
        That folder is not there (saying how to make it, or to pass ``--data-dir``).
    """
    if area.is_demo:
        if not (config.demo_dir / "manifest.json").is_file():
            raise MissingDataError(
                f"The demo data of {area.label} is not generated yet in {config.demo_dir}: run "
                "`cdp demo --data-only` (or `make demo`), or `cdp build`, which generates it."
            )
        return config.demo_dir
    real = config.raw_dir / "real"
    if not real.is_dir():
        raise MissingDataError(
            f"No data folder for {area.label}: put the downloaded files in {real} "
            "or pass data_dir (command line: --data-dir)."
        )
    return real


def check_source(source: Path, processed_dir: Path, *, what: str = "--data-dir") -> None:
    """``source`` is a data folder the processed tables can be prepared from, else an error naming it.

    A data folder exists, is a folder, holds at least one file a reader may take (a CSV or Excel
    table, a police.uk zip, a boundary file; hidden files and folders aside, as the preparation
    skips them) and does not hold the processed folder (the preparation never writes into its
    source). Only the folder's listing is read, up to the first data file.

    Raises
    ------
    MissingDataError
        ``source`` does not exist, or holds no data file.
    ConfigError
        ``source`` is a file, or the processed folder lies inside it.
    """
    source = source.expanduser()
    if not source.exists():
        raise MissingDataError(f"{what} {source}: no such folder; give the folder that holds the downloaded files")
    if not source.is_dir():
        raise ConfigError(f"{what} {source} is a file, not a folder; give the folder that holds the downloaded files")
    source = source.resolve()
    processed = processed_dir.expanduser().resolve()
    if processed == source or source in processed.parents:
        raise ConfigError(f"The processed folder {processed} lies inside the data folder {source}, which is never "
                          "written to: choose another with --processed-dir")
    if not _holds_data(source):
        raise MissingDataError(
            f"{what} {source} holds no data file (no CSV or Excel table, police.uk zip or boundary file, "
            f"hidden files aside): give the folder that holds the downloaded files")


def _holds_data(folder: Path) -> bool:
    """True at the first file under ``folder`` the preparation may read: a table or zip anywhere,
    a boundary file under a ``boundaries`` folder (links followed, each folder once)."""
    pending = [(str(folder), False)]
    seen: set[tuple[int, int]] = set()
    while pending:
        where, boundaries = pending.pop()
        try:
            with os.scandir(where) as listing:
                entries = list(listing)
        except OSError:  # an unreadable folder: the preparation skips it too
            continue
        for entry in entries:
            if entry.name.startswith((".", "~$")):
                continue
            try:
                if entry.is_dir():
                    st = entry.stat()
                    if not entry.name.startswith("__") and (st.st_dev, st.st_ino) not in seen:
                        seen.add((st.st_dev, st.st_ino))
                        pending.append((entry.path, boundaries or entry.name.lower() == "boundaries"))
                    continue
            except OSError:  # a broken link
                continue
            suffix = os.path.splitext(entry.name)[1].lower()
            if suffix in TABULAR_SUFFIXES or suffix == ".zip" or (boundaries and suffix in BOUNDARY_SUFFIXES):
                return True
    return False

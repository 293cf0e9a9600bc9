"""Shared fixtures for the statistics tests: where the reference workbooks are.

The reference data are the published test workbooks of the R package
PHEindicatormethods 2.1.0, kept in the ``shared`` folder beside the
repository (``<repo>/../shared/data/reference``; see its PROVENANCE.md). They
are read in place, never copied.

Tests that need a reference table ask for the ``phe_table`` fixture and can
be parametrised one case per table row with the ``reference_rows`` marker::

    @pytest.mark.reference_rows("testdata_Rate.xlsx", "testdata_Rate", label=["Area"])
    def test_rates(row, phe_table): ...

If the folder is missing the test is skipped with a reason, or fails when the
environment variable ``CI`` is ``"true"`` (a CI run must not pass silently).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.shared_data import REFERENCE_DIR, unavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
PHE_DIR = REFERENCE_DIR / "PHEindicatormethods"


def _missing_reason() -> str:
    return (
        f"reference data folder not found: {PHE_DIR} (expected the shared folder beside "
        f"the repository root {REPO_ROOT}; see shared/data/reference/PROVENANCE.md)"
    )


@functools.cache
def _load(file: str, sheet: str | None) -> pd.DataFrame:
    path = PHE_DIR / file
    if path.suffix == ".csv":
        table = pd.read_csv(path, encoding="utf-8-sig")
    else:
        table = pd.read_excel(path, sheet_name=0 if sheet is None else sheet)
    # drop the blank rows some sheets carry below their data
    return table.dropna(how="all").reset_index(drop=True)


def _require_reference() -> None:
    """Skip the calling test, or fail it when ``CI`` is ``"true"``, if the data are absent."""
    if not PHE_DIR.is_dir():
        unavailable(_missing_reason())


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The ``shared/data/reference`` folder; skip (or fail under CI) if absent."""
    _require_reference()
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def phe_table() -> Callable[..., pd.DataFrame]:
    """Return a loader ``phe_table(file, sheet=None)`` giving a fresh copy of a table.

    The availability check runs when the loader is called, inside the test, so a
    missing folder under ``CI=true`` is reported as a failed test (not a setup error).
    """

    def load(file: str, sheet: str | None = None) -> pd.DataFrame:
        _require_reference()
        return _load(file, sheet).copy()

    return load


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "reference_rows(file, sheet=None, label=None, where=None): parametrise the "
        "'row' argument over the rows of a PHEindicatormethods reference table",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``row`` over reference-table rows, so each row is its own test."""
    marker = metafunc.definition.get_closest_marker("reference_rows")
    if marker is None or "row" not in metafunc.fixturenames:
        return
    file = marker.args[0]
    sheet = marker.args[1] if len(marker.args) > 1 else marker.kwargs.get("sheet")
    label = marker.kwargs.get("label")
    where = marker.kwargs.get("where")
    if not PHE_DIR.is_dir():
        # one placeholder case; the test's reference fixture then skips or fails
        metafunc.parametrize("row", [pytest.param(None, id="reference-missing")])
        return
    table = _load(file, sheet)
    rows = table.index if where is None else table.index[where(table)]
    ids = []
    for position in rows:
        tag = f"r{position + 2}"  # spreadsheet row (header is row 1)
        if label:
            tag += "-" + "-".join(str(table.at[position, column]) for column in label)
        ids.append(tag)
    metafunc.parametrize("row", list(rows), ids=ids)

"""Fixtures for the Fingertips, ONS and local-return reader tests.

``real_dir`` points at ``../shared/data/real`` beside the repository (the real
public files, read in place, never copied). When it or a file a test needs is
missing the test is skipped, or fails on CI (``CI=true``) where the data must be
there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shared_data import REAL_DIR
from tests.shared_data import unavailable as _missing


@pytest.fixture(scope="session")
def real_dir() -> Path:
    """The shared real-data folder (skip, or fail on CI, when it is absent)."""
    if not REAL_DIR.is_dir():
        _missing(f"real data folder not found: {REAL_DIR} (expected ../shared/data/real beside the repository)")
    return REAL_DIR


@pytest.fixture(scope="session")
def real_file(real_dir: Path):
    """``real_file("fingertips/x.csv")``: a path under ``real_dir`` that must exist."""

    def get(relative: str) -> Path:
        path = real_dir / relative
        if not path.is_file():
            _missing(f"real data file not found: {path}")
        return path

    return get

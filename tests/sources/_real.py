"""Where the real public test files live (``../shared/data/real``), and how to ask for one.

Tests read the files in place (never copied into the project). A missing file
skips the test on a developer's machine and fails it in CI (``CI=true``), so CI
can never go green by silently skipping the real-data checks.
"""

from __future__ import annotations

from pathlib import Path

from tests.shared_data import REAL_DIR, require

#: ``shared/data/real`` (see tests/shared_data.py for where ``shared/`` is found)
REAL = REAL_DIR


def need(path: Path) -> Path:
    """Return ``path`` if it exists; else skip the test (fail it when ``CI`` is ``"true"``)."""
    return require(path, "real data file")

"""Where the real public test files live (``../shared/data/real``), and how to ask for one.

Tests read the files in place (never copied into the project). A missing file
skips the test on a developer's machine and fails it in CI (``CI=true``), so CI
can never go green by silently skipping the real-data checks.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: ``<project>/../shared/data/real``
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"


def need(path: Path) -> Path:
    """Return ``path`` if it exists; else skip the test (fail it when ``CI`` is ``"true"``)."""
    path = Path(path)
    if not path.exists():
        reason = f"real data file not found: {path} (see ../shared/data/real/PROVENANCE.md)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path

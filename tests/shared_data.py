"""Where the shared test data live, and the one way a test asks for them.

The real public files (``shared/data/real``) and the reference tables
(``shared/data/reference``) are read in place, never copied into the project. A test
asks for what it needs with :func:`require`; when it is missing the test is skipped on a
developer's machine and fails under ``CI=true``, so a CI run cannot go green by skipping
the real-data checks.

``shared/`` is found as ``$CDP_SHARED_DIR``, else the first ``shared/`` folder holding
``data/`` beside the repository or beside one of its parent folders (a git worktree in
``work/wt/<branch>`` finds ``work/shared``), else ``<repository>/../shared`` (and tests skip).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

__all__ = ["REPO", "SHARED_DIR", "REAL_DIR", "REFERENCE_DIR", "unavailable", "require"]

#: the repository
REPO = Path(__file__).resolve().parents[1]


def _find_shared() -> Path:
    env = os.environ.get("CDP_SHARED_DIR")
    if env:
        return Path(env).expanduser().resolve()
    for parent in REPO.parents:
        candidate = parent / "shared"
        if (candidate / "data").is_dir():
            return candidate
    return REPO.parent / "shared"


SHARED_DIR = _find_shared()
REAL_DIR = SHARED_DIR / "data" / "real"
REFERENCE_DIR = SHARED_DIR / "data" / "reference"


def unavailable(reason: str) -> NoReturn:
    """Skip the calling test with ``reason``, or fail it when ``CI`` is ``"true"``."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def require(path: str | os.PathLike, what: str = "shared test data") -> Path:
    """``path`` (absolute, or relative to ``shared/``) if it exists, else :func:`unavailable`."""
    path = Path(path)
    full = path if path.is_absolute() else SHARED_DIR / path
    if not full.exists():
        unavailable(f"{what} not found: {full} (expected the shared folder beside the repository or "
                    "one of its parent folders, or CDP_SHARED_DIR; see shared/data/real/PROVENANCE.md)")
    return full

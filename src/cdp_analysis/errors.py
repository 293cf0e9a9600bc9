"""One exception hierarchy for everything a user can get wrong.

Every error the package raises on bad input derives from :class:`CdpError`, so a
batch runner or a notebook can catch one type and report it plainly.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "redact_paths",
    "CdpError",
    "ConfigError",
    "DataFormatError",
    "SchemaError",
    "InconsistentDataError",
    "UnknownAreaError",
    "MissingDataError",
    "DataShortfallError",
    "FetchError",
    "OfflineError",
    "StatsInputError",
    "BuildError",
]


class CdpError(Exception):
    """Base class of every error raised by ``cdp_analysis`` on bad input."""


class ConfigError(CdpError):
    """The project configuration is missing, unreadable or inconsistent."""


class DataFormatError(CdpError):
    """An input file is not in the format its reader expects.

    The message names the file, the line (1-based, as an editor shows it, the
    header being line 1), the column, what was expected and what was found.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: str | None = None,
        expected: str | None = None,
        found: str | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.column = column
        self.expected = expected
        self.found = found
        self.reason = message
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = []
        if self.path is not None:
            where.append(f"{self.path.name}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where) + ": " if where else ""
        text += self.reason
        if self.expected is not None:
            text += f"; expected {self.expected}"
        if self.found is not None:
            text += f", found {self.found}"
        if self.path is not None:
            text += f" (file: {self.path})"
        return text


class SchemaError(DataFormatError):
    """A table fails validation; the message lists the failing rows."""


class InconsistentDataError(DataFormatError):
    """An input's numbers contradict each other (a part larger than its total); names file, line, column."""


class MissingDataError(CdpError):
    """Data a chapter or command needs is not there (file or area not covered)."""


class DataShortfallError(MissingDataError, ValueError):
    """The data is there but falls short of what a figure needs (too few months, a breakdown it lacks).

    A chapter turns it into a missing or partial section saying so (see
    :func:`cdp_analysis.chapters.base.build_section`); it is also a ``ValueError``
    for callers that checked for one before it existed.
    """


class UnknownAreaError(CdpError):
    """An area code or name is not in the registry; suggests close matches."""

    def __init__(self, name: str, known: Iterable[str] = (), hint: str = "") -> None:
        self.name = name
        self.suggestions = suggest(name, known)
        text = f"Unknown area {name!r}"
        if self.suggestions:
            text += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        if hint:
            text += f" {hint}"
        super().__init__(text)


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def suggest(name: str, known: Iterable[str], n: int = 5) -> list[str]:
    """Known names closest to ``name``: within two edits first, then by similarity.

    >>> suggest("E0900003", ["E09000003", "E09000030", "E12000007"])
    ['E09000003', 'E09000030']
    """
    known = list(dict.fromkeys(known))
    key = name.casefold()
    near = sorted(
        (d, k) for k in known if (d := _edit_distance(key, k.casefold())) <= 2
    )
    found = [k for _, k in near]
    for k in difflib.get_close_matches(name, known, n=n, cutoff=0.6):
        if k not in found:
            found.append(k)
    return found[:n]


class FetchError(CdpError):
    """A download from a public API failed after its retries."""


class OfflineError(FetchError):
    """The network cannot be reached and nothing usable is cached."""


class StatsInputError(CdpError, ValueError):
    """Invalid input to a statistical method (negative count, zero denominator…)."""


class BuildError(CdpError):
    """A report build failed; names the area and chapter."""


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s\\/:,;'\"()]+){2,}[\\/]?")


def redact_paths(text: str) -> str:
    """Replace absolute file paths in a message by their last part (pages show no local paths).

    >>> redact_paths("put the files in /home/ana/cdp/data/raw/real or pass --data-dir")
    'put the files in …/real or pass --data-dir'
    """
    return _PATH.sub(lambda m: "…/" + Path(m.group().rstrip("/\\")).name, text)

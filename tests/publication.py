"""One demo partnership built once per test process (pages, printable document, index).

Shared by tests/publishing/test_document.py and tests/test_a11y.py (both in the xdist group
"publication", so one worker builds it once). The partnership exercises the member
navigation; a real borough with no data is tried too, so the index has a real row.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AREA = "Z95000001"  # the demo partnership (Brackenmoor and Castlewick CDP)
MEMBER = "Z09000001"  # one of its members
REAL = "E09000001"  # City of London: no real data configured, so it fails cleanly


@functools.lru_cache(maxsize=1)
def built(root: Path):
    """Build the demo partnership and one member into ``root``; return the config."""
    from cdp_analysis.publishing.batch import build_chapter, run_batch
    from tests.conftest import demo_config_env

    with demo_config_env(root, '[publish]\naccessibility_contact = "cdp-team@example.org"\n') as config:
        results = run_batch([AREA, MEMBER], config)
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        build_chapter(REAL, config.chapters[-1], config)  # fails: a real area with no data
    return config


class Links(HTMLParser):
    """Every href and id on a page, and the text of each h1."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.h1: list[str] = []
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1[-1] += data


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def pages(reports: Path) -> list[Path]:
    """Every published HTML page under ``reports`` (not the scratch folder)."""
    return sorted(p for p in reports.rglob("*.html") if not any(part.startswith(".") for part in p.parts[-2:]))


def local_target(page: Path, href: str) -> tuple[Path, str] | None:
    """(file, fragment) a relative link points to, or None for external / data links."""
    if re.match(r"^[a-z]+:", href):
        return None
    target, _, fragment = href.partition("#")
    return (page.parent / target).resolve() if target else page, fragment


#: Scan findings about disclosure control in CSV downloads (issue 15 item 3): asserted in their own tests.
CSV_FINDINGS = ("count-1-4-in-csv", "recoverable-in-csv")
#: The scan's other serious findings (its own list, less the CSV ones).
SERIOUS = ("local-path", "traceback", "crime-id-like", "latlon-pair", "external-request", "count-1-4-in-table",
           "small-count-in-alt", "small-count-in-text")


def scan(reports: Path) -> tuple[int, list[tuple[str, str]]]:
    """``../shared/tools/scan_published.py`` on ``reports``: its exit status and findings as (kind, detail)."""
    import subprocess
    import sys

    from tests.conftest import require_shared

    tool = require_shared("tools/scan_published.py")
    run = subprocess.run([sys.executable, str(tool), str(reports)], capture_output=True, text=True, timeout=900)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    found = [tuple(part.strip() for part in line.split(" | ", 2)[::2])
             for line in run.stdout.splitlines() if line.count(" | ") >= 2]
    return run.returncode, found

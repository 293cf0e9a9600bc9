"""axe-core finds no WCAG 2.2 AA violation on any page of a demo area, nor on the index.

Runs in ``make test`` (whose ``a11y-deps`` target installs Debian's chromium, nodejs and
npm and the npm packages when missing). Without them the test skips, or fails under CI=true.
"""

import os
import shutil
import subprocess

import pytest

from tests.publication import AREA, MEMBER, REPO, built, pages
from tests.shared_data import unavailable as _unavailable

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("publication")]
AXE = REPO / "tools" / "a11y"




def _browser() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(found, os.X_OK):
        _unavailable("chromium is not installed (make a11y-deps installs it as root)")
    return found


def test_every_page_of_a_demo_area_and_the_index_pass_axe(tmp_path_factory):
    if not shutil.which("node"):
        _unavailable("node is not installed (make a11y-deps installs nodejs and npm)")
    if not (AXE / "node_modules" / "axe-core").is_dir():
        _unavailable("tools/a11y/node_modules is missing (make a11y-deps runs npm install)")
    browser = _browser()
    config = built(tmp_path_factory.getbasetemp() / "publication")
    checked = [p for p in pages(config.reports_dir) if p.parent.name in (AREA, MEMBER) or p.parent == config.reports_dir]
    names = {p.relative_to(config.reports_dir).as_posix() for p in checked}
    assert {"index.html", "methods.html", "accessibility.html", f"{AREA}/needs_assessment.html"} <= names
    assert {f"{AREA}/{c}.html" for c in config.chapters} <= names
    run = subprocess.run(["node", str(AXE / "axe.js"), *map(str, checked)], capture_output=True, text=True,
                         timeout=600, env={**os.environ, "CHROMIUM": browser})
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    assert report.count("violations: 0") == len(checked), report

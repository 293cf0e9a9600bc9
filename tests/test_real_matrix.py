"""The real-data matrix: every chapter builds from whatever part of the shared real data an area has.

Four areas (Barnet, Hartlepool, City of London, and Barking and Dagenham with one month of
Met street crime: the 2023-01 sample file placed as ``police_uk/2023-01/2023-01-metropolitan-
street.csv``) are built with every shared source folder, then with each folder that a reader
takes removed in turn (one ``cdp batch`` per configuration, in the warm-kernel runner). Each
build must exit 0 with every chapter built, no traceback on any page, and every section the
data does not support named, with its reason, on its page and in the printable document; the
published-output scan (``../shared/tools/scan_published.py``) must pass on every build.

Size: with every folder, all 4 chapters × 4 areas; with a folder removed, the chapters that read
a table prepared from it × 4 areas. ``make test`` removes each of the nine folders a reader takes
(10 batches, 108 pages, about 1,000 s of CPU); ``CDP_REAL_MATRIX=quick`` only the five that feed the
most sections (:data:`QUICK`: 6 batches, 76 pages, about 600 s of CPU). Folders no
reader takes (the prepare report lists their files as not recognised: geography, ons_drug_deaths)
cannot change a page: the test checks that no prepared table comes from them.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import SHARED_DIR, require_shared
from tests.publication import CSV_FINDINGS, SERIOUS, scan

pytestmark = [pytest.mark.slow, pytest.mark.real_data, pytest.mark.xdist_group("real-matrix")]

REPO = Path(__file__).resolve().parents[1]
AREAS = ["E09000003", "E06000001", "E09000001", "E09000002"]  # Barnet, Hartlepool, City, Barking and Dagenham
CHAPTERS = ["00_outcomes_overview", "01_supply", "02_treatment_recovery", "03_demand"]
#: The chapters that read a table prepared from each shared folder (what removing it can change).
READ_BY = {
    "police_uk": ["00_outcomes_overview", "01_supply"],
    "boundaries": CHAPTERS,  # maps, and the LSOA vintage of police, population and IMD rows
    "population": CHAPTERS,
    "other": CHAPTERS,  # the LSOA to ward lookup, the Crime Survey tables
    "imd": ["01_supply", "02_treatment_recovery"],
    "ndtms": ["02_treatment_recovery", "03_demand"],
    "fingertips": ["00_outcomes_overview", "02_treatment_recovery", "03_demand"],
    "dfe_children": ["03_demand"],
    "dfe_exclusions": ["03_demand"],
}
#: ``CDP_REAL_MATRIX=quick`` removes only these (the folders feeding the most sections: about 5 minutes on
#: 2 cores); ``make test`` removes every folder of ``READ_BY`` in turn (about 4 minutes more).
QUICK = ("police_uk", "population", "other", "ndtms", "fingertips")


def _removals() -> dict[str, list[str]]:
    """The folders removed in turn: every one (the default, ``make test``), :data:`QUICK`
    (``CDP_REAL_MATRIX=quick``) or those listed (``CDP_REAL_MATRIX=ndtms,imd``)."""
    chosen = os.environ.get("CDP_REAL_MATRIX", "").strip().lower()
    if chosen in ("", "full"):
        wanted = set(READ_BY)
    elif chosen == "quick":
        wanted = set(QUICK)
    else:
        wanted = {f.strip() for f in chosen.split(",") if f.strip()}
    assert wanted <= set(READ_BY), f"CDP_REAL_MATRIX: unknown folders {wanted - set(READ_BY)}"
    return {folder: chapters for folder, chapters in READ_BY.items() if folder in wanted}


def _source(root: Path, real: Path, without: str | None) -> Path:
    """A raw folder of links to the shared folders (nothing copied), ``without`` one of them; the Met
    January 2023 sample file linked under the name of a full police.uk month."""
    root.mkdir(parents=True)
    for folder in sorted(p for p in real.iterdir() if p.is_dir()):
        if folder.name == without:
            continue
        if folder.name != "police_uk":
            (root / folder.name).symlink_to(folder)
            continue
        police = root / "police_uk"
        (police / "2023-01").mkdir(parents=True)
        for item in folder.iterdir():
            if item.is_dir():
                (police / item.name).symlink_to(item)
        sample = folder / "2023-01-metropolitan-street-sample.csv"
        (police / "2023-01" / "2023-01-metropolitan-street.csv").symlink_to(sample)
    return root


def _batch(root: Path, name: str, source: Path, chapters: list[str]) -> dict:
    """One ``cdp batch`` of the four areas: its exit status, output and folders."""
    reports, processed = root / f"reports-{name}", root / f"processed-{name}"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    for key in ("CDP_REPORTS_DIR", "CDP_PROCESSED_DIR", "CDP_RAW_DIR", "CDP_CONFIG"):
        env.pop(key, None)
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "cdp_analysis.cli", "--reports-dir", str(reports), "--processed-dir", str(processed),
         "batch", "--areas", ",".join(AREAS), "--data-dir", str(source), "--chapters", ",".join(chapters),
         "--workers", "1", "--no-progress"],
        capture_output=True, text=True, env=env, timeout=900)
    return {"name": name, "code": run.returncode, "out": run.stdout + run.stderr, "reports": reports,
            "processed": processed, "chapters": chapters, "seconds": time.perf_counter() - started}


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (the batches and their kernels)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _records(processed: Path, area: str) -> dict[str, dict]:
    """Chapter id → the summary record the chapter wrote (its sections' coverage)."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in processed.glob(f".build/*/summary/{area}/*.json")}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> list[dict]:
    real = require_shared("data/real")
    require_shared("tools/scan_published.py")
    root = tmp_path_factory.mktemp("real-matrix")
    configs = [("all", None, CHAPTERS)] + [(f"no-{folder}", folder, chapters) for folder, chapters in _removals().items()]
    jobs = [(name, _source(root / f"raw-{name}", real, without), chapters) for name, without, chapters in configs]
    started, cpu = time.perf_counter(), _children_cpu()
    with ThreadPoolExecutor(max_workers=2) as pool:  # one batch prepares while the other builds
        runs = list(pool.map(lambda job: _batch(root, *job), jobs))
        scans = list(pool.map(lambda run: scan(run["reports"]), runs))
    for run, found in zip(runs, scans, strict=True):
        run["scan"] = found
    pages = sum(len(r["chapters"]) * len(AREAS) for r in runs)
    print(f"\nreal-data matrix: {len(runs)} configurations, {pages} pages in {time.perf_counter() - started:.0f} s "
          f"({_children_cpu() - cpu:.0f} s of CPU): " + ", ".join(f"{r['name']} {r['seconds']:.0f} s" for r in runs))
    return runs


def test_every_folder_a_reader_takes_is_in_the_matrix(matrix):
    """A folder left out of ``READ_BY`` must feed no prepared table (so removing it changes no page)."""
    full = next(r for r in matrix if r["name"] == "all")
    manifests = list(full["processed"].glob("*/manifest.json"))
    assert len(manifests) == 1
    units = json.loads(manifests[0].read_text(encoding="utf-8"))["units"]
    read = {str(i).split("/")[0] for unit in units.values() for i in unit.get("inputs", [])}
    assert read <= set(READ_BY), f"folders feeding prepared tables but not removed in the matrix: {read - set(READ_BY)}"
    assert {"police_uk", "ndtms", "population", "fingertips"} <= read


def test_every_chapter_builds_without_a_traceback(matrix):
    for run in matrix:
        assert run["code"] == 0, f"{run['name']}: {run['out'][-3000:]}"
        assert f"{len(run['chapters']) * len(AREAS)} built, 0 up to date, 0 failed" in run["out"], run["out"][-2000:]
        assert "Coverage (sections shown in full / partial / without data):" in run["out"]
        for area in AREAS:
            for chapter in run["chapters"]:
                page = (run["reports"] / area / f"{chapter}.html").read_text(encoding="utf-8")
                assert "Traceback" not in page, f"{run['name']} {area} {chapter}"


def test_every_missing_part_is_named_on_its_page_and_in_the_document(matrix):
    for run in matrix:
        for area in AREAS:
            records = _records(run["processed"], area)
            assert set(run["chapters"]) <= set(records), f"{run['name']} {area}: no record for some chapter"
            document = html.unescape((run["reports"] / area / "needs_assessment.html").read_text(encoding="utf-8"))
            assert "What this document holds" in document
            for chapter in run["chapters"]:
                page = html.unescape((run["reports"] / area / f"{chapter}.html").read_text(encoding="utf-8"))
                sections = records[chapter]["sections"]
                assert sections, f"{run['name']} {area} {chapter}: no section recorded"
                for section in sections:
                    if section["status"] == "covered":
                        continue
                    note = section["note"]
                    assert note in page, f"{run['name']} {area} {chapter}: {section['title']} not named on the page"
                    assert note in document, f"{run['name']} {area} {chapter}: {section['title']} not in the document"
                    assert section["title"] in document
            for chapter in CHAPTERS:
                if chapter not in run["chapters"]:  # not asked for in this run: the document says so
                    assert re.search(rf'id="{chapter}"[^>]*>.*?not built', document, re.S)


def test_one_police_month_publishes_its_count_and_says_why_rates_need_more(matrix):
    """Barking and Dagenham, January 2023 only: the count of drug offences located in the borough,
    counted here from the raw file, is published; rates and trends say why they are not."""
    import csv

    sample = SHARED_DIR / "data" / "real" / "police_uk" / "2023-01-metropolitan-street-sample.csv"
    with sample.open(encoding="utf-8", newline="") as handle:
        expected = sum(1 for row in csv.DictReader(handle)
                       if row["Crime type"] == "Drugs" and row["LSOA name"].startswith("Barking and Dagenham "))
    assert expected > 4
    full = next(r for r in matrix if r["name"] == "all")
    page = (full["reports"] / "E09000002" / "01_supply.html").read_text(encoding="utf-8")
    assert f"Police recorded {expected:,} drug offences located in Barking and Dagenham in Jan 2023." in page
    assert "need at least 6 months of police data within a twelve-month window, and the data holds 1 month" in page
    records = _records(full["processed"], "E09000002")["01_supply"]["sections"]
    status = {s["key"]: s["status"] for s in records}
    assert status["headline"] == "partial" and status["trend"] == "missing"


def test_published_output_scan_passes_on_every_build(matrix):
    """No path, traceback, record-level row or small count on any page (CSV downloads: see the next test)."""
    for run in matrix:
        code, found = run["scan"]
        serious = [f for f in found if f[0] in SERIOUS]
        assert not serious, f"{run['name']}: {serious[:10]}"


def test_published_output_scan_finds_no_small_count_in_csv_downloads(matrix):
    for run in matrix:
        code, found = run["scan"]
        assert code == 0, f"{run['name']}: {[f for f in found if f[0] in CSV_FINDINGS][:10]}"

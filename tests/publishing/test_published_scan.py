"""The published-output scan (../shared/tools/scan_published.py) on a demo build and on a real build with small counts.

The real build uses the shared NDTMS ViewIt export for Barnet with a few cells made small (a
modified copy in a temporary folder): adults in treatment 4 (opiate) and 2 (non-opiate only) with
1 successful completion each, and a re-presentation cohort of 2 and 2. Before protect_shares the
completions and re-presentations downloads published those denominators and counts while the
table showed ``*``.
"""

import base64
import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cdp_analysis.config import load_config
from cdp_analysis.publishing.batch import build_chapter
from tests.conftest import demo_config_env
from tests.shared_data import REPO

SCAN = REPO.parent / "shared" / "tools" / "scan_published.py"
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("scan")]
BARNET = "E09000003"


def _scan(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCAN), str(folder)], capture_output=True, text=True)


def _downloads(page: str) -> dict[str, list[dict[str, str]]]:
    out = {}
    for name, payload in re.findall(r'download="([^"]+)" href="data:text/csv[^,"]*;base64,([^"]+)"', page):
        out[name] = list(csv.DictReader(io.StringIO(base64.b64decode(payload).decode("utf-8"))))
    return out


def test_demo_treatment_pages_pass_the_scan(tmp_path_factory, require_shared):
    require_shared(SCAN)
    with demo_config_env(tmp_path_factory.mktemp("scan-demo")) as config:
        for area in ("Z09000001", "Z95000001"):
            result = build_chapter(area, "02_treatment_recovery", config)
            assert result.ok, result.error
        scan = _scan(config.reports_dir)
    assert scan.returncode == 0, scan.stdout[-3000:]


def _small_counts_copy(shared: Path, folder: Path) -> Path:
    """The real NDTMS folder with Barnet's cells made small, counts and totals kept consistent."""
    ndtms = folder / "ndtms"
    ndtms.mkdir(parents=True)
    for f in (shared / "ndtms").iterdir():
        if f.name != "ViewIt Export Data_LAs.csv":
            (ndtms / f.name).symlink_to(f)
    with (shared / "ndtms" / "ViewIt Export Data_LAs.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    head = rows[0]
    col = {name: i for i, name in enumerate(head)}
    changes = {
        ("2021/22", "Opiate"): {"intreatment_allintx": 4, "exits_successfulcompletion_allintx": 1},
        ("2021/22", "Non-opiate only"): {"intreatment_allintx": 2, "exits_successfulcompletion_allintx": 1},
        ("2020/21", "Opiate"): {"scnr_completion_allintx": 2, "scnr_representation_allintx": 2},
        ("2020/21", "Non-opiate only"): {"scnr_completion_allintx": 2, "scnr_representation_allintx": 0},
    }
    for row in rows[1:]:
        headline = row[col["sex"]].lower() == "total" and row[col["age_group"]].lower() == "total"
        for column, value in changes.get((row[col["ReportingPeriod"]], row[col["drug_group"]]), {}).items():
            # the men, women and age bands of a changed cell are withheld (NULL), so none exceeds it
            row[col[column]] = str(value) if headline else "NULL"
    for period in ("2021/22", "2020/21"):  # the Total row: the sum of the four groups again
        group_rows = [r for r in rows[1:] if r[col["ReportingPeriod"]] == period
                      and r[col["sex"]].lower() == "total" and r[col["age_group"]].lower() == "total"]
        total = next(r for r in group_rows if r[col["drug_group"]] == "Total")
        for column in {c for (p, _), cs in changes.items() if p == period for c in cs}:
            total[col[column]] = str(sum(int(r[col[column]]) for r in group_rows if r is not total))
            for row in rows[1:]:
                if (row[col["ReportingPeriod"]], row[col["drug_group"]]) == (period, "Total") and row is not total:
                    row[col[column]] = "NULL"
    # a breakdown of the adults in treatment larger than the new, smaller total would be refused by the
    # reader (a part larger than its total): those cells become NULL, as OHID leaves cells it withholds
    breakdowns = [c for c in head[5:] if c.endswith("_allintx") and not c.startswith(("scnr_", "intreatment_"))
                  and not c.startswith("waits")]
    for row in rows[1:]:
        if (row[col["ReportingPeriod"]] == "2021/22" and row[col["sex"]].lower() == "total"
                and row[col["age_group"]].lower() == "total"):
            whole = int(row[col["intreatment_allintx"]])
            for column in breakdowns:
                if row[col[column]].isdigit() and int(row[col[column]]) > whole:
                    row[col[column]] = "NULL"
    with (ndtms / "ViewIt Export Data_LAs.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return folder


@pytest.mark.real_data
def test_real_build_with_small_ndtms_counts_passes_the_scan(tmp_path_factory, shared_dir, require_shared,
                                                            monkeypatch):
    require_shared(SCAN)
    source = _small_counts_copy(shared_dir / "data" / "real", tmp_path_factory.mktemp("small-ndtms"))
    out = tmp_path_factory.mktemp("small-reports")
    monkeypatch.setenv("CDP_REPORTS_DIR", str(out))  # the kernels inherit it
    result = build_chapter(BARNET, "02_treatment_recovery", load_config(), data_dir=str(source),
                           processed_dir=str(tmp_path_factory.mktemp("small-processed")))
    assert result.ok, result.error
    scan = _scan(out)
    assert scan.returncode == 0, scan.stdout[-3000:]
    page = (out / BARNET / "02_treatment_recovery.html").read_text(encoding="utf-8")
    downloads = _downloads(page)
    completions = next(rows for name, rows in downloads.items() if name.startswith("successful-completions-as"))
    barnet = {r["substance_group"]: r for r in completions if r["area"] == "Barnet"}
    # the small cells and the denominators 4 and 2 are empty; the total 676 (4 + 2 + 440 + 230) stays
    for group in ("opiate", "non-opiate only"):
        assert barnet[group]["count"] == "" and barnet[group]["denominator"] == ""
    assert float(barnet["total"]["denominator"]) == 676
    # 1 + 1 hidden would be 212 - 140 - 70 = 2: a third group is hidden as well
    published = [float(barnet[g]["count"]) for g in ("opiate", "non-opiate only", "alcohol only",
                                                     "non-opiate and alcohol") if barnet[g]["count"]]
    assert not 1 <= float(barnet["total"]["count"]) - sum(published) <= 4

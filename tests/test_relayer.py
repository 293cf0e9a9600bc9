"""tools/relayer.py on a small made-up repository: moves, rewrites every kind of reference, and a
second run changes nothing."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _relayer():
    spec = importlib.util.spec_from_file_location("relayer", REPO / "tools" / "relayer.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    pkg = tmp_path / "src" / "cdp_analysis"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "errors.py").write_text("class CdpError(Exception):\n    pass\n")
    (pkg / "sdc.py").write_text('"""Disclosure control."""\nPOLICIES = {}\n')
    (pkg / "publish.py").write_text("def export_html():\n    return ''\n")
    (pkg / "batch.py").write_text(
        "from pathlib import Path\n\n"
        "from cdp_analysis import errors, sdc\n"
        "from cdp_analysis.publish import export_html\n\n\n"
        "def run():\n"
        "    from cdp_analysis import (  # lazy\n"
        "        publish,\n"
        "        demo_treatment as treatment,\n"
        "    )\n"
        "    package = Path(__file__).resolve().parent\n"
        "    return package, publish, treatment, sdc.POLICIES\n")
    (pkg / "demo.py").write_text("def generate_demo():\n    pass\n")
    (pkg / "demo_treatment.py").write_text("X = 1\n")
    (pkg / "newcomer.py").write_text("")  # a module no layer claims
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_x.py").write_text(
        'import cdp_analysis.sdc as sdc_module\n'
        'from unittest import mock\n\n'
        'PATCH = mock.patch("cdp_analysis.batch.export_html")\n'
        'NAME = "cdp_analysis.demo.generate_demo"\n'
        'DEMO_TREATMENT = "cdp_analysis.demo_treatment"\n')
    (tmp_path / "notebooks").mkdir()
    cell = {"cell_type": "code", "execution_count": None, "id": "a", "metadata": {}, "outputs": [],
            "source": ["from cdp_analysis import sdc\n", "from cdp_analysis.errors import CdpError\n"]}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "notebooks" / "01.ipynb").write_text(json.dumps(notebook, indent=1) + "\n")
    (tmp_path / "README.md").write_text("See `src/cdp_analysis/sdc.py`.\n\n| module | one job |\n|---|---|\n"
                                        "| `sdc.py` | old |\n\nAfter the table.\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "start")
    return tmp_path


def test_relayer_moves_rewrites_and_is_idempotent(repo: Path):
    relayer = _relayer()
    outcome = relayer.relayer(repo, relayer.MOVES, apply=True)
    assert ("src/cdp_analysis/sdc.py", "src/cdp_analysis/stats/sdc.py") in outcome.moved
    assert ("src/cdp_analysis/demo.py", "src/cdp_demo/region.py") in outcome.moved
    assert outcome.unclaimed == ["src/cdp_analysis/newcomer.py"] and not outcome.conflicts
    src = repo / "src"
    assert not (src / "cdp_analysis" / "sdc.py").exists() and (src / "cdp_analysis" / "stats" / "sdc.py").is_file()
    assert (src / "cdp_demo" / "__init__.py").is_file()
    batch = (src / "cdp_analysis" / "publishing" / "batch.py").read_text()
    assert "from cdp_analysis import errors\nfrom cdp_analysis.stats import sdc\n" in batch
    assert "from cdp_analysis.publishing.export import export_html\n" in batch
    assert "    from cdp_analysis.publishing import export as publish  # lazy\n" in batch
    assert "    from cdp_demo import treatment\n" in batch
    assert "package = Path(__file__).resolve().parents[1]" in batch
    test = (repo / "tests" / "test_x.py").read_text()
    assert "import cdp_analysis.stats.sdc as sdc_module" in test
    assert 'mock.patch("cdp_analysis.publishing.batch.export_html")' in test
    assert '"cdp_demo.region.generate_demo"' in test and '"cdp_demo.treatment"' in test
    cell = json.loads((repo / "notebooks" / "01.ipynb").read_text())["cells"][0]["source"]
    assert cell == ["from cdp_analysis.errors import CdpError\n", "from cdp_analysis.stats import sdc\n"]
    readme = (repo / "README.md").read_text()
    assert "See `src/cdp_analysis/stats/sdc.py`." in readme and "| `sdc.py` | old |" not in readme
    assert "| `stats/` |" in readme and readme.endswith("\n\nAfter the table.\n")
    status = _git(repo, "status", "--porcelain")
    assert "R  src/cdp_analysis/sdc.py -> src/cdp_analysis/stats/sdc.py" in status  # git mv: history kept

    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    again = relayer.relayer(repo, relayer.MOVES, apply=True)
    assert not again.changed
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts} == before


def test_a_module_at_both_places_is_a_conflict(repo: Path):
    relayer = _relayer()
    (repo / "src" / "cdp_analysis" / "stats").mkdir()
    (repo / "src" / "cdp_analysis" / "stats" / "sdc.py").write_text("")
    outcome = relayer.relayer(repo, relayer.MOVES, apply=False)
    assert any("sdc.py" in c and "both exist" in c for c in outcome.conflicts)

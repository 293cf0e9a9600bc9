"""Progress of the long steps: ``cdp build`` (each page started and finished with its time, each
area's publishing), ``cdp data`` (each source checked); on a terminal only, never with --quiet,
and always in the run log. Pages are faked here (no kernel): the lines are what is tested."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cdp_analysis import cli
from cdp_analysis.config import load_config
from cdp_analysis.publishing import batch
from cdp_analysis.publishing.export import standalone_page

REPO = Path(__file__).resolve().parents[1]
CHAPTERS = ["01_supply", "03_demand"]


@pytest.fixture
def config(tmp_path, monkeypatch):
    config = load_config(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed",
                         reports_dir=tmp_path / "reports")
    (tmp_path / "raw").mkdir()

    def fake(notebook, parameters, config, area_code, chapter):
        return standalone_page(f"{chapter}: {area_code}", f"<h1>{chapter}</h1><p>Words.</p>", "cdp-report")

    monkeypatch.setattr(batch, "_execute_and_export", fake)
    return config


def test_build_reports_each_page_started_and_finished_and_each_area_published(config):
    lines: list[str] = []
    results = batch.run_batch(["Z09000001"], config, chapters=CHAPTERS, prepare_first=False, report=lines.append)
    assert all(r.ok for r in results)
    for chapter in CHAPTERS:
        started = lines.index(f"Z09000001 {chapter}: started")
        finished = next(i for i, line in enumerate(lines) if line.startswith(f"Z09000001 {chapter}: built in "))
        assert started < finished
    assert [line.split("(")[-1] for line in lines if ": built in " in line] == ["1 of 2 pages)", "2 of 2 pages)"]
    publishing = [line for line in lines if "publishing" in line]
    assert publishing[0].startswith("Z09000001 publishing: pages, document, board summary, data pack")
    assert "PDF" not in publishing[0]  # [publish] pdf is off
    assert any(line.startswith("Z09000001 publishing: done in ") for line in publishing)
    # the run log holds the same lines
    log = max((config.processed_dir / ".build" / "logs").glob("batch-*.log"), key=lambda p: p.stat().st_mtime)
    text = log.read_text(encoding="utf-8")
    assert all(line in text for line in lines if "publishing" not in line)
    # a second run: every page up to date, said so
    again: list[str] = []
    batch.run_batch(["Z09000001"], config, chapters=CHAPTERS, prepare_first=False, report=again.append)
    assert sum(": up to date in " in line for line in again) == 2


def test_progress_lines_only_on_a_terminal_and_never_with_quiet(monkeypatch, capsys):
    seen: list[str] = []

    class Terminal:
        def isatty(self):
            return True

        def write(self, text):
            seen.append(text)

        def flush(self):
            pass

    assert cli._reporter(argparse.Namespace(quiet=False)) is None  # pytest's stderr is not a terminal
    monkeypatch.setattr(cli.sys, "stderr", Terminal())
    assert cli._reporter(argparse.Namespace(quiet=True)) is None
    report = cli._reporter(argparse.Namespace(quiet=False))
    assert report is not None
    report("Z09000001 01_supply: started")
    assert any(text.endswith("s] Z09000001 01_supply: started") for text in seen), seen
    assert capsys.readouterr().out == ""  # never on stdout, which holds the command's results


def test_an_up_to_date_demo_is_checked_without_importing_the_generator(tmp_path):
    """``cdp data``/``build`` of a demo area: the manifest check alone (the generator's imports took seconds)."""
    from cdp_demo.manifest import GENERATOR_VERSION, demo_is_current
    from cdp_demo.region import GENERATOR_VERSION as REGION_VERSION

    assert GENERATOR_VERSION == REGION_VERSION  # one version, re-exported
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "a.csv").write_text("x\n1\n", encoding="utf-8")
    manifest = {"seed": 3, "months": 2, "end_month": "2024-02", "generator_version": GENERATOR_VERSION,
                "files": [{"path": "a.csv", "bytes": 4}]}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert demo_is_current(folder, seed=3, months=2, end_month="2024-02")
    assert not demo_is_current(folder, seed=3, months=3, end_month="2024-02")
    (folder / "a.csv").write_text("x\n10\n", encoding="utf-8")  # a file changed size
    assert not demo_is_current(folder, seed=3, months=2, end_month="2024-02")
    (folder / "a.csv").write_text("x\n1\n", encoding="utf-8")
    code = f"""
import sys
from cdp_analysis.cli import _ensure_demo
from cdp_analysis.areas import AreaRegistry
from cdp_analysis.config import load_config
config = load_config(raw_dir=r"{tmp_path}")
import dataclasses
config = dataclasses.replace(config, demo_seed=3, demo_months=2, demo_end_month="2024-02", demo_areas=4)
_ensure_demo(config, [AreaRegistry.builtin().get("Z09000001")], None)
print("cdp_demo.region" in sys.modules, "scipy" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True,
                         env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}).stdout
    assert out.split() == ["False", "False"]

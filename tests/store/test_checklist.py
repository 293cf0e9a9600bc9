"""``cdp data --area``: the data checklist, and ``cdp fetch --area`` against a local replay server."""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from cdp_analysis.areas import AreaRegistry
from cdp_analysis.cli import main
from cdp_analysis.sources.local import list_templates
from cdp_analysis.store.checklist import (
    LOCAL_READERS,
    data_checklist,
    fingertips_area_type,
    fingertips_indicator_ids,
    fingertips_named_indicators,
)
from cdp_analysis.store.dataset import Dataset
from cdp_analysis.store.prepare import prepare
from cdp_demo.region import generate_demo
from tests.conftest import require_shared
from tests.shared_data import REPO

REGISTRY = AreaRegistry.builtin()


def _by(checklist, source: str, area: str):
    return next(i for i in checklist.items if i.source == source and i.area == area)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Dataset]:
    root = tmp_path_factory.mktemp("checklist-demo")
    generate_demo(root / "demo", seed=11, months=3, end_month="2024-03")
    prepare(root / "demo", root / "processed", progress=False)
    return root / "demo", Dataset(root / "processed")


def test_demo_area_everything_it_generates_is_found(demo) -> None:
    folder, dataset = demo
    checklist = data_checklist(dataset, REGISTRY, "Z09000002")
    assert [a.code for a in checklist.comparators] == ["Z12000001", "E92000001"]
    months = sorted({m[0] for m in (re.match(r"(\d{4}-\d{2})-", p.name) for p in folder.rglob("*-street.csv"))
                     if m})
    street = _by(checklist, "police.uk street crime", "Z09000002")
    assert street.status == "found" and f"({len(months)} months" in street.detail
    generated_local = {p.stem for p in (folder / "local").glob("*.csv")}
    for item in checklist.items:
        if item.source.startswith("local return"):
            name = item.source.removeprefix("local return ")
            read = name in LOCAL_READERS
            assert item.status == ("not read yet" if not read else "found" if name in generated_local
                                   else "missing"), item
            assert item.status == "found" or f"local/{name}.csv" in item.get
        elif item.status == "not read yet":
            assert item.source == "ONS deaths related to drug poisoning" and item.get.startswith("https://")
        elif item.source.startswith("police.uk") and item.area == "E92000001":
            # England needs every real force too: the demo has only its own
            assert item.status == "missing" and "data.police.uk/data/archive" in item.get
        else:
            assert item.status == "found", item
    wanted = len(fingertips_indicator_ids()) + len(fingertips_named_indicators())  # the demo has both kinds
    assert _by(checklist, "Fingertips indicators", "Z09000002").detail.startswith(f"{wanted} of {wanted}")
    assert {i.source.removeprefix("local return ") for i in checklist.items
            if i.source.startswith("local return")} == set(list_templates())


@pytest.fixture(scope="module")
def london(tmp_path_factory, real_city_source) -> Dataset:
    """The real City of London Police files and London boundaries, no Metropolitan Police file."""
    root = tmp_path_factory.mktemp("checklist-london") / "raw"
    root.mkdir()
    for entry in real_city_source.iterdir():
        os.symlink(entry, root / entry.name)
    prepare(root, root.parent / "processed", progress=False)
    return Dataset(root.parent / "processed")


def test_borough_without_met_files_is_told_what_to_download(london) -> None:
    checklist = data_checklist(london, REGISTRY, "E09000033")  # Westminster: Metropolitan Police
    street = _by(checklist, "police.uk street crime", "E09000033")
    assert street.status == "missing"
    assert street.get.startswith("https://data.police.uk/data/ → custom download → force: Metropolitan Police")
    assert "include crime data" in street.get
    search = _by(checklist, "police.uk stop and search", "E09000033")
    assert search.status == "missing" and "include stop and search data" in search.get
    # London needs both London forces: only one is there
    assert _by(checklist, "police.uk street crime", "E12000007").status == "missing"
    assert _by(checklist, "LSOA boundaries", "E09000033").detail.startswith("LSOA 2011 codes")
    assert _by(checklist, "Fingertips indicators", "E09000033").get.startswith("`cdp fetch --area E09000033`")


def test_gap_in_months_is_partial(london) -> None:
    city = require_shared("data/real/police_uk/city-of-london")
    months = sorted(p.name[:7] for p in city.glob("*-city-of-london-street.csv"))
    span = [str(p) for p in pd.period_range(months[0], months[-1], freq="M")]
    gaps = [m for m in span if m not in months]
    assert gaps  # the real files skip 2019
    street = _by(data_checklist(london, REGISTRY, "E09000001"), "police.uk street crime", "E09000001")
    assert street.status == "partial"
    gap_text = f"{pd.Timestamp(gaps[0] + '-01'):%b %Y} to {pd.Timestamp(gaps[-1] + '-01'):%b %Y}"
    assert f"missing {gap_text}" in street.detail and f"{len(months)} months" in street.detail


def test_cli_data_json_and_markdown(demo, capsys) -> None:
    folder, _ = demo
    assert main(["data", "--area", "Z09000001", "--data-dir", str(folder), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["area"]["code"] == "Z09000001" and payload["counts"]["found"] > 0
    assert main(["data", "--area", "Z09000001", "--data-dir", str(folder), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Data checklist for Brackenmoor (Z09000001)") and "| found |" in out
    assert main(["data", "--area", "Z09000001", "--data-dir", str(folder)]) == 0
    assert "police.uk street crime" in capsys.readouterr().out


def test_fingertips_area_types() -> None:
    assert fingertips_area_type(REGISTRY.get("E10000003")) == 502  # Cambridgeshire (county)
    assert fingertips_area_type(REGISTRY.get("E09000033")) == 502  # London borough
    assert fingertips_area_type(REGISTRY.get("E07000008")) == 501  # Cambridge (district)
    assert fingertips_area_type(REGISTRY.get("E12000007")) == 6
    assert fingertips_area_type(REGISTRY.get("E92000001")) == 15


@pytest.mark.real_data
def test_fetch_area_against_recorded_response(tmp_path, capsys) -> None:
    from tests.sources.test_fingertips_api import FakeFingertips

    export = require_shared("data/real/fingertips/indicator-93495-all-areas.csv")
    body = export.read_bytes()
    with export.open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Area Code"] == "E10000003"]
    assert rows
    server = FakeFingertips({"93495": body})
    try:
        code = main(["--raw-dir", str(tmp_path / "raw"), "fetch", "--area", "E10000003",
                     "--indicators", "93495", "--base-url", server.base_url])
    finally:
        server.close()
    assert code == 0
    assert server.requests == [{"path": "/api/all_data/csv/by_indicator_id",
                                "query": {"indicator_ids": "93495", "child_area_type_id": "502",
                                          "parent_area_type_id": "6"}},
                               # then the publisher's update date of each indicator fetched (issue 18)
                               {"path": "/api/indicator_metadata/by_indicator_id", "query": {"indicator_ids": "93495"}}]
    out = capsys.readouterr().out
    assert "Cambridgeshire (E10000003) has 1 of them" in out
    assert "Fingertips upload dates of 1 of 1 indicators (2025-11-04 to 2025-11-04) recorded" in out
    folder = tmp_path / "raw" / "real" / "fingertips"
    cached = list(folder.glob("*.csv"))
    assert len(cached) == 1 and cached[0].read_bytes() == body
    from cdp_analysis.sources.fingertips import read_release_dates

    assert read_release_dates(folder) == {93495: "2025-11-04"}  # the made-up response's LastUploadedAt


def test_fetch_refuses_a_demo_area(tmp_path, capsys) -> None:
    assert main(["--raw-dir", str(tmp_path), "fetch", "--area", "Z09000001", "--base-url",
                 "http://127.0.0.1:9/api/"]) == 2
    assert "synthetic demo area" in capsys.readouterr().err


# every entry is true: what the checklist lists is what the chapters read ------------------------
_CHAPTERS = REPO / "src" / "cdp_analysis" / "chapters"


def _chapter_code() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in _CHAPTERS.glob("*.py") if p.stem not in ("__init__", "base")}


def test_local_returns_said_to_be_read_are_the_ones_the_chapters_read() -> None:
    read: dict[str, set[str]] = {}
    for chapter, code in _chapter_code().items():
        for name in list_templates():
            if re.search(rf"[\"']{name}[\"']", code):
                read.setdefault(name, set()).add(chapter)
    assert {n: ", ".join(sorted(c)) for n, c in read.items()} == LOCAL_READERS


def test_ndtms_is_found_where_the_treatment_chapter_reads_it(demo) -> None:
    folder, dataset = demo
    code = _chapter_code()
    assert "self.ctx.dataset.ndtms(" in code["treatment"]  # the chapter reads the NDTMS table
    checklist = data_checklist(dataset, REGISTRY, "Z09000002")
    assert not [i for i in checklist.items if "NDTMS" in i.source and i.status == "not read yet"]
    held = pd.read_parquet(dataset.root / "ndtms.parquet", columns=["area_code", "period", "sex", "age_group"])
    own = held[(held["area_code"] == "Z09000002") & (held["sex"] == "total") & (held["age_group"] == "total")]
    periods = sorted(own["period"].astype(str).unique())
    item = _by(checklist, "NDTMS treatment statistics (ViewIt exports)", "Z09000002")
    assert item.status == "found" and item.detail == f"{len(periods)} periods, {periods[0]} … {periods[-1]}"
    assert _by(checklist, "NDTMS treatment statistics (ViewIt exports)", "E92000001").area == "E92000001"


def test_a_partnership_is_checked_through_its_members(demo, tmp_path) -> None:
    """DfE and NDTMS rows of a partnership are its members' rows, as the chapters sum them."""
    _, dataset = demo
    (tmp_path / "areas.csv").write_text("code,name,type,parent,members,comparators,override\n"
                                        "Z95000009,Test CDP,cdp,Z12000001,Z09000001;Z09000002,,\n"
                                        "Z95000010,Half CDP,cdp,Z12000001,Z09000001;E09000001,,\n", encoding="utf-8")
    registry = AreaRegistry.load(tmp_path)
    both = data_checklist(dataset, registry, "Z95000009")
    for source in ("NDTMS treatment statistics (ViewIt exports)", "DfE children in need (C3 factors)"):
        assert _by(both, source, "Z95000009").status == "found"
        half = _by(data_checklist(dataset, registry, "Z95000010"), source, "Z95000010")
        assert half.status == "partial" and "no rows for E09000001" in half.detail


def test_fingertips_of_a_partnership_are_its_members_indicators(demo, tmp_path) -> None:
    _, dataset = demo
    (tmp_path / "areas.csv").write_text("code,name,type,parent,members,comparators,override\n"
                                        "Z95000009,Test CDP,cdp,Z12000001,Z09000001;Z09000002,,\n", encoding="utf-8")
    item = _by(data_checklist(dataset, AreaRegistry.load(tmp_path), "Z95000009"), "Fingertips indicators", "Z95000009")
    ids = fingertips_indicator_ids()
    frame = pd.read_parquet(dataset.root / "indicators.parquet", columns=["area_code", "indicator_id"])
    both = set.intersection(*({int(i) for i in frame.loc[frame["area_code"] == c, "indicator_id"]}
                              for c in ("Z09000001", "Z09000002")))
    named = fingertips_named_indicators()  # matched by name; the demo writes both for every borough
    assert item.detail.startswith(f"{len(both & set(ids)) + len(named)} of {len(ids) + len(named)} indicators")
    assert "for every member authority" in item.detail and item.status != "missing"


def test_checklist_reports_each_source_as_it_is_checked(demo) -> None:
    """``cdp data`` on a terminal: a line per source, whose counts are the checklist's own items."""
    _, dataset = demo
    lines: list[str] = []
    checklist = data_checklist(dataset, REGISTRY, "Z09000002", report=lines.append)
    assert checklist.items == data_checklist(dataset, REGISTRY, "Z09000002").items  # reporting changes nothing
    counted = sum(int(n) for line in lines
                  for n in re.findall(r"(\d+) (?:found|partial|missing|not read yet)", line))
    listed = [i for i in checklist.items if i.source != "ONS deaths related to drug poisoning"]  # not checked
    assert counted == len(listed)
    assert "data: LSOA boundaries: 1 found" in [line.split(" (")[0] for line in lines]
    assert all(re.search(r"\(\d+\.\d s\)$", line) for line in lines)

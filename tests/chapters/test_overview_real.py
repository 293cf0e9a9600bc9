"""The outcomes overview outside London, from real Fingertips exports in ``../shared`` (read in place).

Values, intervals and the England comparison must be those Fingertips published, read
here independently with the csv module; a county replaced by a unitary of the same area
keeps its earlier figures, and the page says so.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cdp_analysis.chapters.context import load_context
from cdp_analysis.chapters.overview import IndicatorInfo, OverviewChapter

pytestmark = [pytest.mark.real_data]


def _source(tmp_path: Path, shared_dir: Path, *names: str) -> Path:
    folder = tmp_path / "raw" / "fingertips"
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).symlink_to(shared_dir / "data" / "real" / "fingertips" / name)
    return folder.parent


def _rows(shared_dir: Path, name: str) -> list[dict]:
    with (shared_dir / "data" / "real" / "fingertips" / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("code", ["E06000002", "E10000031", "E06000001"])  # a UA, a county, a UA
def test_unmet_need_as_published_for_counties_and_unitaries(code, tmp_path, shared_dir):
    raw = _source(tmp_path, shared_dir, "unmet_opiates.csv")
    ctx = load_context(code, data_dir=raw, processed_dir=tmp_path / "processed")
    row = OverviewChapter(ctx).summary().set_index("indicator_id").loc["93517"]
    published = [r for r in _rows(shared_dir, "unmet_opiates.csv") if r["Area Code"] == code and not r["Category Type"]]
    latest = max(published, key=lambda r: r["Time period Sortable"])
    england = next(r for r in _rows(shared_dir, "unmet_opiates.csv")
                   if r["Area Code"] == "E92000001" and r["Time period"] == latest["Time period"])
    assert row["period"] == latest["Time period"]
    assert row["value"] == pytest.approx(float(latest["Value"]))
    assert row["lower_ci"] == pytest.approx(float(latest["Lower CI 95.0 limit"]))
    assert row["upper_ci"] == pytest.approx(float(latest["Upper CI 95.0 limit"]))
    assert row["england"] == pytest.approx(float(england["Value"]))
    assert row["compared"] == latest["Compared to England value or percentiles"]


def test_county_figures_join_the_unitary_that_replaced_it(tmp_path, shared_dir):
    raw = _source(tmp_path, shared_dir, "indicators-CountyUA.data.csv")
    ctx = load_context("E06000065", data_dir=raw, processed_dir=tmp_path / "processed")  # North Yorkshire (2023)
    overview = OverviewChapter(ctx)
    overview.catalogue = {"93356": IndicatorInfo("93356", "Campylobacter", "Other", "LowIsGood", "per 100,000",
                                                 "rate", "none")}
    series = overview.series("93356", "E06000065")
    published = [r for r in _rows(shared_dir, "indicators-CountyUA.data.csv")
                 if r["Area Code"] == "E10000023" and not r["Category Type"]]
    assert sorted(series["period"]) == sorted(r["Time period"] for r in published)
    assert sorted(series["value"].round(6)) == sorted(round(float(r["Value"]), 6) for r in published)
    assert "E10000023" in overview.joined and "same area" in overview.joined["E10000023"]
    assert "E10000023" in overview.tartan_html(overview.summary())
    # a county that was split joins nothing
    overview.joined.clear()
    assert overview.series("93356", "E06000061").empty and not overview.joined  # North Northamptonshire

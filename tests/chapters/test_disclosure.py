"""Disclosure control across every view: no suppressed count can be worked out from published ones.

Unit tests of the rank-based audit on hand-made groups, and the real City of London
build (police.uk files, LSOA population, IMD 2019 for London, all from ``../shared``):
the small-area table, the deprivation quintiles and the area total are published
together; whatever they show, a suppressed LSOA's count must not follow from them.
Memberships and counts are rebuilt here from the raw files, independently of the code.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from cdp_analysis.chapters.context import load_context
from cdp_analysis.chapters.supply import SupplyChapter
from cdp_analysis.stats.sdc import get_policy, protect_aggregates, publishable_series, recoverable

NDTMS = get_policy("ndtms")


def test_single_suppressed_cell_is_protected_by_a_second():
    groups = {"total": {"a", "b", "c"}, "a": {"a"}, "b": {"b"}, "c": {"c"}}
    hidden = protect_aggregates(groups, {"total": 30, "a": 3, "b": 12, "c": 15}, NDTMS, keep=("total",))
    assert hidden == {"a", "b"}  # b is the smallest cell whose hiding closes total - b - c


def test_differencing_through_an_overlapping_group_is_closed():
    # quintile q = {a, b}: hiding a alone would leave a = q - b
    groups = {"total": {"a", "b", "c", "d"}, "a": {"a"}, "b": {"b"}, "c": {"c"}, "d": {"d"},
              "q": {"a", "b"}, "r": {"c", "d"}}
    counts = {"total": 40, "a": 3, "b": 9, "c": 12, "d": 16, "q": 12, "r": 28}
    hidden = protect_aggregates(groups, counts, NDTMS, keep=("total",))
    published = set(groups) - hidden
    assert "a" in hidden and "total" not in hidden
    assert not any(recoverable(groups, published, h) for h in hidden)


def test_recoverable_is_rank_based():
    groups = {"t": {"a", "b"}, "a": {"a"}, "b": {"b"}}
    assert recoverable(groups, {"t", "b"}, "a")
    assert not recoverable(groups, {"t"}, "a")


def test_series_with_a_small_month_is_not_publishable_cell_by_cell():
    import pandas as pd

    assert publishable_series(pd.Series([0, 5, 12, float("nan")]), NDTMS)
    assert not publishable_series(pd.Series([7, 3, 12]), NDTMS)


@pytest.fixture(scope="module")
def city_with_imd(real_city_source, shared_dir, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("city-imd")
    for item in real_city_source.iterdir():
        (root / item.name).symlink_to(item)
    (root / "imd").mkdir()
    (root / "imd" / "IMD2019forLondon.csv").symlink_to(shared_dir / "data" / "real" / "imd" / "IMD2019forLondon.csv")
    return root


def _raw_counts(folder: Path, months: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for month in months:
        with (folder / f"{month}-city-of-london-street.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["Crime type"] == "Drugs" and row["LSOA name"].startswith("City of London "):
                    counts[row["LSOA code"]] = counts.get(row["LSOA code"], 0) + 1
    return counts


def _quintiles(path: Path) -> dict[str, int]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    decile = next(c for c in rows[0] if c.startswith("Index of Multiple Deprivation (IMD) Decile"))
    return {r["geography code"]: (int(r[decile]) + 1) // 2 for r in rows
            if r["Local Authority District code (2019)"] == "E09000001"}


def test_real_city_suppressed_lsoas_cannot_be_recovered(city_with_imd, shared_dir, tmp_path):
    ctx = load_context("E09000001", data_dir=city_with_imd, processed_dir=tmp_path)
    sections = SupplyChapter(ctx).sections(small_area_level="lsoa")
    small = sections["small_areas"].frames["small_areas"]
    gradient = sections["deprivation"].frames["gradient"]
    total = float(sections["headline"].frames["comparison"].iloc[0]["count"])
    months = [f"2020-{m:02d}" for m in range(1, 12)]
    raw = _raw_counts(shared_dir / "data" / "real" / "police_uk" / "city-of-london", months)
    quintile = _quintiles(shared_dir / "data" / "real" / "imd" / "IMD2019forLondon.csv")
    lsoas = sorted(quintile)
    assert sorted(small["code"]) == lsoas
    # the raw files hold a count of 1-4 in some LSOA: the policy must hide it
    assert any(1 <= raw.get(c, 0) <= 4 for c in lsoas)
    published_rows, values = [], []
    for _, row in small.iterrows():
        if row["count"] == row["count"]:
            published_rows.append([1.0 if c == row["code"] else 0.0 for c in lsoas])
            values.append(row["count"])
            assert row["count"] == 0 or row["count"] >= 5
            assert row["count"] == raw.get(row["code"], 0)
    for _, row in gradient.iterrows():
        if row["count"] == row["count"]:
            published_rows.append([1.0 if quintile[c] == row["quintile"] else 0.0 for c in lsoas])
            values.append(row["count"])
            assert row["count"] == 0 or row["count"] >= 5
    published_rows.append([1.0] * len(lsoas))
    assert total == sum(raw.get(c, 0) for c in lsoas)
    matrix = np.array(published_rows)
    hidden = [c for c, flag in zip(small["code"], small["suppressed"], strict=True) if flag]
    assert hidden, "City of London holds a small LSOA count that must be suppressed"
    for code in hidden:
        unit = np.array([[1.0 if c == code else 0.0 for c in lsoas]])
        assert np.linalg.matrix_rank(np.vstack([matrix, unit])) > np.linalg.matrix_rank(matrix), \
            f"{code} can be worked out from the published figures"

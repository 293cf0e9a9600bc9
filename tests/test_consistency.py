"""Every number and judgement in the key messages is in the section's downloadable data.

Runs over every section of the supply chapter for every demo area and the demo
partnership, and for the real City of London build from ``../shared`` (covered) and
Westminster from the same files (not covered: no number, no message).
"""

from __future__ import annotations

import pytest

from cdp_analysis.chapters.supply import SupplyChapter
from cdp_analysis.config import load_config
from cdp_analysis.context import load_context
from tests.consistency import hotspot_problems, problems

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo-data")]

DEMO_AREAS = ["Z09000001", "Z09000002", "Z09000003", "Z09000004", "Z95000001"]


@pytest.fixture(scope="module")
def demo_config(tmp_path_factory):
    root = tmp_path_factory.mktemp("consistency")
    return load_config(raw_dir=root / "raw", processed_dir=root / "processed", reports_dir=root / "reports")


def _check(ctx) -> int:
    chapter = SupplyChapter(ctx)
    names = {a.name for a in ctx.registry}
    found, checked = [], 0
    for section in chapter.all_sections():
        checked += 1
        found += problems(section, names) + hotspot_problems(section)
    assert not found, "\n".join(found)
    return checked


@pytest.mark.parametrize("code", DEMO_AREAS)
def test_demo_messages_agree_with_their_data(demo_config, code):
    assert _check(load_context(code, config=demo_config)) >= 7


def test_real_city_messages_agree_with_their_data(real_city_source, tmp_path):
    ctx = load_context("E09000001", data_dir=real_city_source, processed_dir=tmp_path)
    assert _check(ctx) >= 7


def test_real_uncovered_borough_says_so_without_numbers(real_city_source, tmp_path):
    ctx = load_context("E09000033", data_dir=real_city_source, processed_dir=tmp_path)
    sections = SupplyChapter(ctx).all_sections()
    assert sections and all(not s.shown for s in sections)
    for section in sections:
        assert not section.messages and not section.items
        assert "metropolitan" in section.coverage.note.lower()
        assert not any(ch.isdigit() for ch in section.coverage.note.replace("E09000033", ""))

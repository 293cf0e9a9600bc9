"""The supporting metrics on the pages: proven reoffending in the treatment chapter's criminal-justice
pathway, H-CLIC homelessness in the demand chapter, the overview's supporting-metrics table.

The raw folder holds only the two generated fixtures (``tests/sources/fixtures``, made-up figures in
the published layouts) for real area codes; expected sentences are worked out by hand from their rows.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from cdp_analysis.chapters.context import load_context
from cdp_analysis.chapters.demand import DemandChapter
from cdp_analysis.chapters.overview import OverviewChapter
from cdp_analysis.chapters.treatment import TreatmentChapter
from cdp_analysis.indicators import framework

FIXTURES = Path(__file__).parents[1] / "sources" / "fixtures"


def _wilson(x: float, n: float, z: float = 1.959964) -> tuple[float, float]:
    p = x / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return 100 * (centre - half) / (1 + z * z / n), 100 * (centre + half) / (1 + z * z / n)


def _raw(root: Path, reoffending_edit: tuple[str, str] | None = None) -> Path:
    raw = root / "raw"
    (raw / "homelessness").mkdir(parents=True)
    (raw / "reoffending").mkdir(parents=True)
    shutil.copy(FIXTURES / "hclic_A3_2023-24.csv", raw / "homelessness")
    text = (FIXTURES / "proven_reoffending_la_2022-23.csv").read_text(encoding="utf-8")
    if reoffending_edit:
        assert reoffending_edit[0] in text
        text = text.replace(*reoffending_edit)
    (raw / "reoffending" / "proven_reoffending_la_2022-23.csv").write_text(text, encoding="utf-8")
    return raw


@pytest.fixture(scope="module")
def fixtures_dir(tmp_path_factory) -> Path:
    return _raw(tmp_path_factory.mktemp("supporting"))


def _ctx(raw: Path, code: str):
    return load_context(code, data_dir=raw, processed_dir=raw.parent / "processed")


def test_hartlepool_reoffending_against_england(fixtures_dir) -> None:
    section = TreatmentChapter(_ctx(fixtures_dir, "E06000001")).justice()
    frame = section.frames["proven_reoffending"]
    adults = frame[frame["offender_type"] == "adult"]
    assert list(adults["period"]) == ["2021/22", "2022/23"]  # the quarterly cohort is not a year
    low, high = _wilson(412, 1288)  # 32.0%, England 93,210 of 361,950 = 25.8%
    text = next(m.text for m in section.messages if "adult offenders" in m.text)
    assert text == (f"Of the 1,288 adult offenders in Hartlepool's 2022/23 cohorts, 412 (32.0%, 95% CI "
                    f"{low:.1f}% to {high:.1f}%) reoffended within a year, significantly higher than England's 25.8%.")
    juvenile = next(m.text for m in section.messages if "juvenile offenders" in m.text)
    assert juvenile.startswith("Of the 66 juvenile offenders in Hartlepool's 2022/23 cohorts, 21 (31.8%")
    assert "similar to England's 31.0%" in juvenile  # 3,805 of 12,260
    assert section.coverage.status == "partial"  # no continuity of care, no local returns here


def test_hartlepool_homelessness_from_the_published_table(fixtures_dir) -> None:
    section = DemandChapter(_ctx(fixtures_dir, "E06000001")).wider_demand()
    low, high = _wilson(58, 612)
    text = next(m.text for m in section.messages if "homelessness duty" in m.text)
    assert text == (f"In 2023/24, 58 of the 612 households owed a homelessness duty in Hartlepool had a drug "
                    f"dependency support need (9.5%, 95% CI {low:.1f}% to {high:.1f}%; England 7.2%), and 41 (6.7%) "
                    "an alcohol dependency need.")


def test_the_city_small_counts_are_hidden_everywhere(tmp_path) -> None:
    # the City's 2022/23 adult cohort edited to 3 reoffenders of 198: in the range disclosure control hides
    raw = _raw(tmp_path, ("City of London,198,27,83,13.6,3.07", "City of London,198,3,9,1.5,3.00"))
    ctx = _ctx(raw, "E09000001")
    justice = TreatmentChapter(ctx).justice()
    frame = justice.frames["proven_reoffending"]
    row = frame[(frame["offender_type"] == "adult") & (frame["period"] == "2022/23")].iloc[0]
    assert math.isnan(row["count"]) and math.isnan(row["value"]) and row["compared"] == "Not compared"
    html = "".join(justice.items)
    assert "<td>1.5</td>" not in html and ">3<" not in html
    # the message falls back to the latest year it may show: 2021/22, 31 of 212
    text = next(m.text for m in justice.messages if "adult offenders" in m.text)
    assert text.startswith("Of the 212 adult offenders in City of London's 2021/22 cohorts, 31 (14.6%")
    assert not any("juvenile offenders" in m.text for m in justice.messages)  # '*' at source both years
    # H-CLIC: the City's 3 households with a drug dependency need are too few to publish
    wider = DemandChapter(ctx).wider_demand()
    assert any(m.text == "Homelessness with a drug dependency need in City of London, 2023/24: too few "
                         "households to publish." for m in wider.messages)
    table = wider.frames["homelessness_support_needs"]
    assert math.isnan(table.loc[(table["period"] == "2023/24") & (table["need"] == "drug_dependency"),
                                "count"].iloc[0])
    supporting = OverviewChapter(ctx).supporting_table().set_index("metric")
    drug = supporting.loc["Households owed a homelessness duty with a drug dependency need"]
    assert drug["status"] == framework.SHOWN and math.isnan(drug["value"]) and math.isnan(drug["count"])
    assert supporting.loc["Proven reoffending: adult offenders", "period"] == "2022/23"
    assert math.isnan(supporting.loc["Proven reoffending: adult offenders", "value"])


def test_overview_lists_every_supporting_metric_with_value_or_status(fixtures_dir) -> None:
    section = OverviewChapter(_ctx(fixtures_dir, "E06000001")).supporting_section()
    table = section.frames["supporting"].set_index("metric")
    assert table.loc["Proven reoffending: adult offenders", "value"] == pytest.approx(100 * 412 / 1288)
    assert table.loc["Households owed a homelessness duty with an alcohol dependency need", "value"] == \
        pytest.approx(100 * 41 / 612)
    assert table.loc["Drug use among 11 to 15 year olds", "status"] == framework.NATIONAL
    assert table.loc["Deaths in treatment", "status"] == framework.LOCAL_NEEDED
    html = "".join(section.items)
    assert "32.0% of offenders reoffending" in html and "national figure only" in html
    assert section.coverage.status == "partial"

"""The treatment chapter's alcohol section on the real NDTMS files (nothing copied: links in a temporary folder).

Barnet has the ViewIt export and the dependence estimates, so its share of dependent drinkers not in treatment
is worked out by hand from the two CSVs; the City of London has only the estimate, so its table shows the
estimate and no count of adults in treatment (a dash, never the '*' that means a number was hidden).
"""

from __future__ import annotations

import csv
import os
import re

import pytest

from cdp_analysis.chapters.context import load_context
from cdp_analysis.chapters.treatment import TreatmentChapter
from tests.shared_data import REAL_DIR, require

pytestmark = pytest.mark.slow

FILES = ("Estimates_of_Alcohol_Dependent_Adults_in_England_for_R.csv", "ViewIt Export Data_LAs.csv")


@pytest.fixture(scope="module")
def ndtms_only(tmp_path_factory):
    root = tmp_path_factory.mktemp("real-ndtms")
    (root / "raw" / "ndtms").mkdir(parents=True)
    for name in FILES:
        os.symlink(require(REAL_DIR / "ndtms" / name), root / "raw" / "ndtms" / name)
    return root


def _estimate(code: str) -> dict[str, str]:
    with (REAL_DIR / "ndtms" / FILES[0]).open(encoding="utf-8") as handle:
        return next(r for r in csv.DictReader(handle) if r["Area_Code_GSS"] == code and r["Year"] == "2017/18")


def test_barnet_dependent_drinkers_not_in_treatment(ndtms_only) -> None:
    ctx = load_context("E09000003", data_dir=ndtms_only / "raw", processed_dir=ndtms_only / "processed")
    section = TreatmentChapter(ctx).alcohol()
    est = _estimate("E09000003")
    with (REAL_DIR / "ndtms" / FILES[1]).open(encoding="utf-8") as handle:
        treated = sum(int(r["intreatment_allintx"]) for r in csv.DictReader(handle)
                      if r["Area"] == "Barnet" and r["ReportingPeriod"] == "2017/18" and r["sex"].lower() == "total"
                      and r["age_group"].lower() == "total"
                      and r["drug_group"] in ("Alcohol only", "Non-opiate & alcohol"))
    share = round(100 * (1 - treated / int(est["Alcohol_dependent"])))
    text = section.messages[0].text
    assert f"an estimated {int(est['Alcohol_dependent']):,} adults in Barnet" in text
    assert f"{treated} adults were in treatment for alcohol, so about {share}% were not in treatment" in text
    assert section.coverage.status == "partial"  # the Fingertips alcohol indicators are not in these files


def test_city_shows_its_estimate_and_no_hidden_count(ndtms_only) -> None:
    ctx = load_context("E09000001", data_dir=ndtms_only / "raw", processed_dir=ndtms_only / "processed")
    section = TreatmentChapter(ctx).alcohol()
    est = _estimate("E09000001")
    assert section.shown and section.messages[0].text.startswith(
        f"In 2017/18, an estimated {est['Alcohol_dependent']} adults in City of London")
    row = re.search(r"<tr><td>City of London</td>(.*?)</tr>", section.items[-1]).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[2] == "–" and "*" not in cells

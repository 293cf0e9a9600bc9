"""The demand chapter judges each measure by its own polarity (issue 17): DfE's children's social care and
exclusion measures have no better or worse direction (higher or lower only, never ranked as worse); a
Fingertips indicator takes its polarity from resources/indicators.csv."""

from __future__ import annotations

import csv
from importlib import resources
from types import SimpleNamespace

import pandas as pd
import pytest

from cdp_analysis.chapters import demand as chapter
from cdp_analysis.report import narrative


def _catalogue() -> dict[str, str]:
    text = resources.files("cdp_analysis.resources").joinpath("indicators.csv").read_text("utf-8")
    return {r["indicator_id"]: r["polarity"] for r in csv.DictReader(text.splitlines())}


def _messages(measure, focus_label: str, trend: str = "No significant change"):
    own = SimpleNamespace(code="A1", name="Area")
    demand = chapter.DemandChapter.__new__(chapter.DemandChapter)
    demand.area = own
    latest = pd.DataFrame([
        {"area": "Area", "area_code": "A1", "role": "focus", "period": "2024/25", "value": 20.0, "lower_ci": 18.0,
         "upper_ci": 22.0, "focus_compared": "Focus area", "suppressed": False, "marker": None, "note": None},
        {"area": "England", "area_code": "E92000001", "role": "comparator", "period": "2024/25", "value": 14.0,
         "lower_ci": 13.9, "upper_ci": 14.1, "focus_compared": focus_label, "suppressed": False, "marker": None,
         "note": None}])
    return demand._measure_messages(measure, latest, trend, "%", lambda m, vs, tr: "")


def test_a_dfe_measure_higher_than_england_differs_but_is_not_worse():
    measure = chapter._Measure("drug_misuse", "parent", "Drug misuse: parent", "drug misuse by a parent")
    assert measure.polarity == "NoJudgement"
    [message] = _messages(measure, "Higher")
    assert message.rank == narrative.RANK_DIFFERS
    assert "worse" not in message.text and "better" not in message.text
    [rising] = _messages(measure, "Similar", trend="Increasing")
    assert rising.rank == narrative.RANK_DIFFERS  # a rising share identified: a change, not getting worse


@pytest.mark.parametrize("indicator_id", ["90808", "92904"])
def test_a_fingertips_measure_takes_the_catalogue_s_polarity(indicator_id):
    polarity = _catalogue()[indicator_id]
    assert chapter._catalogue_polarity(indicator_id) == polarity
    measure = chapter._Measure("", "", "Admissions", "admissions", polarity=polarity)
    [message] = _messages(measure, "Higher")
    # 20.0 against England's 14.0 is more than 10% apart: worse than England by a margin that matters
    expected = narrative.RANK_WORSE_ENGLAND if polarity == "LowIsGood" else narrative.RANK_BETTER
    assert message.rank == expected
    [rising] = _messages(measure, "Similar", trend="Increasing")
    assert rising.rank == (narrative.RANK_GETTING_WORSE if polarity == "LowIsGood" else narrative.RANK_CONTEXT)


def test_an_uncatalogued_indicator_has_no_direction():
    assert chapter._catalogue_polarity("no-such-indicator") == "NoJudgement"

"""The treatment chapter's computation as pure functions (indicators/treatment.py).

Each expected value is worked out by hand (Wilson intervals from the formula) from the small inputs here.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cdp_analysis.indicators import treatment


def _wilson(count: float, n: float, z: float = 1.959963984540054) -> tuple[float, float, float]:
    p = count / n
    centre = (2 * count + z * z) / (2 * (n + z * z))
    half = z * math.sqrt(z * z + 4 * count * (1 - p)) / (2 * (n + z * z))
    return 100 * p, 100 * (centre - half), 100 * (centre + half)


def _rows(code, count, denominator, category="all"):
    return {"area_code": code, "period": "2023-24", "period_start": 2023, "substance_group": "opiate",
            "category": category, "count": count, "denominator": denominator}


def test_area_rows_sum_a_partnership_show_members_england_and_the_pool():
    data = pd.DataFrame([_rows("A", 10, 40), _rows("B", 5, 20), _rows("C", 7, 70), _rows("E92000001", 30, 100),
                         _rows("E92000001", 99, 999)])  # a repeated England row: the first is kept
    out = treatment.area_rows(data, ["A", "B"], "Partnership", {"A": "Avon", "B": "Brent"}, "All authorities")
    got = {(r["area"], r["role"]): (r["count"], r["denominator"]) for _, r in out.iterrows()}
    assert got == {("Partnership", "focus"): (15, 60), ("Avon", "member"): (10, 40), ("Brent", "member"): (5, 20),
                   ("England", "comparator"): (30, 100), ("All authorities", "comparator"): (22, 130)}
    # one member without the count: the partnership's sum is unknown, never a part passed off as the whole
    gap = pd.DataFrame([_rows("A", 10, 40), _rows("B", float("nan"), 20)])
    own = treatment.area_rows(gap, ["A", "B"], "Partnership", {}, "Pool")
    assert math.isnan(own.loc[own["role"] == "focus", "count"].iloc[0])
    assert "Pool" not in set(own["area"])  # no authority besides the area's own


def test_with_proportions_are_percentages_with_wilson_limits_and_nan_when_impossible():
    table = pd.DataFrame({"area": ["X", "Y", "Z", "W"], "count": [12.0, 5.0, float("nan"), 0.0],
                          "denominator": [48.0, 4.0, 10.0, 0.0]})
    out = treatment.with_proportions(table)
    value, lower, upper = _wilson(12, 48)
    assert out.loc[0, ["value", "lower_ci", "upper_ci"]].tolist() == pytest.approx([value, lower, upper], rel=1e-6)
    assert out.loc[0, "value"] == pytest.approx(25.0)
    assert out.loc[1:, "value"].isna().all()  # a count above its denominator, a missing count, no denominator


def test_focus_comparisons_judge_the_focus_interval_against_each_value():
    data = pd.DataFrame({
        "area": ["Here", "England", "Pool", "Member", "Here", "England"],
        "group": ["a", "a", "a", "a", "b", "b"],
        "role": ["focus", "comparator", "comparator", "member", "focus", "comparator"],
        "value": [30.0, 20.0, 31.0, 50.0, 10.0, 12.0], "lower_ci": [25.0, 19.0, 29.0, 40.0, float("nan"), 11.0],
        "upper_ci": [35.0, 21.0, 33.0, 60.0, float("nan"), 13.0], "suppressed": [False, False, False, False, True,
                                                                                 False]})
    got = treatment.focus_comparisons(data, "Here", "group", "Member authority")
    # group a: the focus interval 25-35 lies above England's 20 and holds the pool's 31
    assert got == ["Focus area", "Higher", "Similar", "Member authority", "Focus area", "Not compared"]

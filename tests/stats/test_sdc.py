"""Disclosure control: primary and secondary suppression, rounding, derived values."""

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import ConfigError
from cdp_analysis.stats.sdc import get_policy, suppress_table


def test_ndtms_suppresses_one_to_four_and_their_rates():
    table = pd.DataFrame({"ward": list("ABCDE"), "count": [0, 3, 5, 12, 30], "rate": [0.0, 1.1, 2.0, 4.0, 9.0]})
    out = suppress_table(table, "count", policy=get_policy("ndtms"), derived_cols=("rate",),
                         total_published=False)
    assert out["suppressed"].tolist() == [False, True, False, False, False]
    assert np.isnan(out.loc[1, "count"]) and np.isnan(out.loc[1, "rate"])
    assert out.loc[0, "count"] == 0  # zero is not disclosive and stays


def test_single_suppressed_cell_triggers_secondary_suppression_of_next_smallest():
    # total 50 is published; without secondary suppression B = 50 - (5 + 12 + 30) = 3
    table = pd.DataFrame({"ward": list("ABCDE"), "count": [0, 3, 5, 12, 30]})
    out = suppress_table(table, "count", policy=get_policy("ndtms"))
    assert out["suppressed"].tolist() == [False, True, True, False, False]


def test_secondary_suppression_is_per_group():
    table = pd.DataFrame({"la": ["x"] * 3 + ["y"] * 3, "count": [2, 10, 20, 6, 7, 8]})
    out = suppress_table(table, "count", policy=get_policy("ndtms"), group_cols=("la",))
    assert out["suppressed"].tolist() == [True, True, False, False, False, False]


def test_nhsd_suppresses_one_to_seven_and_rounds_to_five():
    table = pd.DataFrame({"count": [0, 7, 8, 12, 13, 1234]})
    out = suppress_table(table, "count", policy=get_policy("nhsd"), total_published=False)
    assert out["suppressed"].tolist() == [False, True, False, False, False, False]
    assert out["count"].tolist()[2:] == [10, 10, 15, 1235]


def test_unknown_policy():
    with pytest.raises(ConfigError, match="ndtms"):
        get_policy("strict")


# -- protect_shares: one decision over a table of shares (count of denominator) -------------------
from cdp_analysis.stats.sdc import protect_shares  # noqa: E402

NDTMS = get_policy("ndtms")


def _shares(counts, denominators, **extra):
    table = pd.DataFrame({"count": counts, "denominator": denominators, **extra})
    table["value"] = table["count"] / table["denominator"] * 100
    return table


def test_a_hidden_category_is_not_the_denominator_minus_the_published_ones():
    # the demo's young people by referral source: the denominator 57 is the sum of the categories,
    # so hiding only the 2 would leave 57 - (30 + 12 + 8 + 5) = 2 for anyone to work out
    counts = [30, 12, 8, 5, 2]
    table = _shares(counts, [sum(counts)] * 5, category=list("ABCDE"), breakdown="referral source")
    out = protect_shares(table, NDTMS, derived=("value",), parts_of_denominator=(["breakdown"], None, "category"))
    assert out["suppressed"].tolist() == [False, False, False, True, True]
    published = out["count"].dropna().sum()
    left = out["denominator"].iloc[0] - published
    assert left == 7  # what a reader can work out is the sum of two cells, 5 + 2, outside 1-4
    assert out.loc[out["suppressed"], "value"].isna().all()


def test_a_share_whose_complement_is_small_is_hidden():
    out = protect_shares(_shares([55, 10], [57, 40]), NDTMS, derived=("value",))
    assert out["suppressed"].tolist() == [True, False]  # 57 - 55 = 2 did not
    assert np.isnan(out.loc[0, "value"]) and out.loc[0, "denominator"] == 57


def test_a_small_denominator_hides_itself_its_count_and_its_share():
    # the completions CSV published denominators 4 and 2 beside counts shown as *
    out = protect_shares(_shares([1, 0, 30], [4, 2, 600]), NDTMS, derived=("value",))
    assert out["denominator_suppressed"].tolist() == [True, True, False]
    assert out["suppressed"].tolist() == [True, True, False]
    assert out["denominator"].isna().tolist() == [True, True, False]
    assert out["count"].isna().tolist() == [True, True, False]


def test_a_total_row_protects_its_parts_in_counts_and_denominators():
    # substance groups and their total, counts and denominators both adding up
    groups = ["total", "opiate", "non-opiate only", "alcohol only", "non-opiate and alcohol"]
    counts = [1 + 1 + 140 + 70, 1, 1, 140, 70]
    dens = [4 + 2 + 440 + 230, 4, 2, 440, 230]
    table = _shares(counts, dens, area="X", period="2021/22", substance_group=groups)
    out = protect_shares(table, NDTMS, derived=("value",),
                         total_rows=[("substance_group", "total", None, ["area", "period"])])
    # counts: 1 and 1 are hidden and add up to 2, which the total minus the rest would give: 70 goes too
    assert out["suppressed"].tolist() == [False, True, True, False, True]
    assert counts[0] - out["count"].iloc[1:].sum() == 72
    # denominators: 4 and 2 hidden, adding up to 6 (outside 1-4): no further denominator hidden
    assert out["denominator_suppressed"].tolist() == [False, True, True, False, False]


def test_a_hidden_total_is_not_the_sum_of_published_parts():
    # the total's complement is small (598 of 600 did), so the total is hidden; its parts must not add up to it
    table = _shares([598, 300, 200, 98], [600, 300, 250, 150], g=["total", "a", "b", "c"], k=1)
    out = protect_shares(table, NDTMS, derived=("value",), total_rows=[("g", "total", None, ["k"])])
    assert out["suppressed"].tolist() == [True, False, False, True]  # 300 + 200 + 98 would give 598


def test_members_of_a_partnership_are_protected_against_the_partnership_total():
    table = _shares([23, 3, 20], [100, 40, 60], area=["P", "M1", "M2"], role=["focus", "member", "member"],
                    category="x", period="y")
    out = protect_shares(table, NDTMS, derived=("value",), total_rows=[("role", "focus", ("member",), ["category", "period"])])
    assert out["suppressed"].tolist() == [False, True, True]


def test_protect_shares_rounds_what_it_publishes_under_nhsd():
    out = protect_shares(_shares([12, 6], [103, 50]), get_policy("nhsd"), derived=("value",))
    assert out["count"].tolist()[0] == 10 and out["denominator"].tolist()[0] == 105
    assert out["suppressed"].tolist() == [False, True]

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

"""Outcome shares by quarter, the outcome lag and the settled window, on small frames worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cdp_analysis.indicators import crime_outcomes


def _crimes(rows):
    """rows: (month 'YYYY-MM', lsoa, last outcome, how many)."""
    return pd.DataFrame([{"month": pd.Timestamp(f"{m}-01"), "lsoa_code": lsoa, "last_outcome": outcome}
                         for m, lsoa, outcome, n in rows for _ in range(n)])


def _wilson(x: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    centre, spread = 2 * x + z * z, z * math.sqrt(z * z + 4 * x * (1 - x / n))
    return 100 * (centre - spread) / (2 * (n + z * z)), 100 * (centre + spread) / (2 * (n + z * z))


MONTHS = pd.date_range("2024-01-01", periods=6, freq="MS")


def test_counts_by_month_and_group_keep_every_held_month_and_group():
    crimes = _crimes([("2024-01", "A1", "Local resolution", 2), ("2024-01", "B9", "Local resolution", 5),
                      ("2024-03", "A2", "Offender fined", 1), ("2024-03", "A2", "", 1)])
    held = [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-01")]  # February is missing from the archive
    out = crime_outcomes.outcome_counts(crimes, ["A1", "A2"], held)
    assert len(out) == 2 * 5 and set(out["month"]) == set(held)
    got = {(m.month, g): n for m, g, n in out.itertuples(index=False) if n}
    assert got == {(1, "out_of_court"): 2, (3, "charged"): 1, (3, "unavailable"): 1}  # B9 lies elsewhere


def test_a_quarter_is_settled_when_at_most_a_tenth_is_still_under_investigation():
    crimes = _crimes([
        # Jan-Mar: 18 charged, 2 under investigation → 10% open: settled (the limit itself)
        ("2024-01", "A1", "Awaiting court outcome", 9), ("2024-02", "A1", "Offender sent to prison", 9),
        ("2024-03", "A1", "Under investigation", 2),
        # Apr-Jun: 6 charged, 3 warnings, 3 under investigation → 25% open: not settled
        ("2024-04", "A1", "Court result unavailable", 6), ("2024-05", "A1", "Offender given a drugs possession warning", 3),
        ("2024-06", "A1", "Under investigation", 3)])
    monthly = crime_outcomes.outcome_counts(crimes, ["A1"], MONTHS)
    q = crime_outcomes.quarterly_shares(monthly)
    first = q[q["period"] == "Jan to Mar 2024"].set_index("outcome_group")
    second = q[q["period"] == "Apr to Jun 2024"].set_index("outcome_group")
    assert first["total"].iloc[0] == 20 and first["months_with_data"].iloc[0] == 3
    assert first.loc["charged", "value"] == pytest.approx(90.0)
    low, high = _wilson(18, 20)
    assert first.loc["charged", "lower_ci"] == pytest.approx(low) and first.loc["charged", "upper_ci"] == pytest.approx(high)
    assert first["settled"].all() and not second["settled"].any()
    assert second.loc["under_investigation", "value"] == pytest.approx(25.0)
    assert second.loc["out_of_court", "count"] == 3
    # the settled window: the twelve months ending with the last settled quarter, its settled quarters only
    start, end, quarters = crime_outcomes.settled_window(q)
    assert (start, end) == (pd.Timestamp("2023-04-01"), pd.Timestamp("2024-03-01"))
    assert quarters == [pd.Timestamp("2024-01-01")]
    pooled = crime_outcomes.pooled_shares(monthly, MONTHS[:3]).set_index("outcome_group")
    assert pooled.loc["charged", "count"] == 18 and pooled["total"].iloc[0] == 20


def test_no_settled_quarter_gives_no_window():
    crimes = _crimes([("2024-01", "A1", "Under investigation", 5), ("2024-01", "A1", "Local resolution", 5)])
    q = crime_outcomes.quarterly_shares(crime_outcomes.outcome_counts(crimes, ["A1"], MONTHS[:1]))
    assert crime_outcomes.settled_window(q) is None


def test_trend_run_is_the_latest_run_of_whole_settled_quarters():
    starts = pd.date_range("2022-01-01", periods=8, freq="QS")
    rows = [{"quarter": s, "months_with_data": 3, "settled": True} for s in starts]
    rows[5]["months_with_data"] = 2  # a quarter with a month missing breaks the run
    rows[7]["settled"] = False  # the latest quarter is still open
    run = crime_outcomes.trend_run(pd.DataFrame(rows))
    assert run == [starts[6]]
    rows[5]["months_with_data"] = 3
    assert crime_outcomes.trend_run(pd.DataFrame(rows)) == list(starts[2:7])


def test_charged_comparison_compares_the_focus_interval_with_each_comparator_share():
    own = pd.Series({"count": 30.0, "total": 100.0, "value": 30.0, "lower_ci": 21.9, "upper_ci": 39.6,
                     "suppressed": False})
    region = pd.DataFrame({"outcome_group": ["charged", "charged", "no_suspect"], "count": [40.0, 20.0, 140.0]})
    twin = pd.DataFrame({"outcome_group": ["charged", "other"], "count": [3.0, 7.0]})
    nothing = pd.DataFrame({"outcome_group": ["charged"], "count": [0.0]})
    table, missing = crime_outcomes.charged_comparison(
        own, ("Here", "H1"), "2024", [("Region", "R1", region), ("Held not", "N1", None), ("Twin", "T1", twin),
                                      ("Empty", "E1", nothing)])
    assert missing == ["Held not", "Empty"]
    assert table["area"].tolist() == ["Here", "Region", "Twin"]
    assert table["role"].tolist() == ["focus", "comparator", "comparator"]
    assert table[["count", "total"]].to_numpy().tolist() == [[30, 100], [60, 200], [3, 10]]
    assert table.loc[1, "value"] == pytest.approx(30.0)  # 60 of 200
    assert [table.loc[2, "lower_ci"], table.loc[2, "upper_ci"]] == pytest.approx(_wilson(3, 10), rel=1e-6)
    # the focus interval 21.9 to 39.6 holds the region's 30% and the twin's 30%; a lower share lies below it
    assert table["focus_compared"].tolist() == ["Focus area", "Similar", "Similar"]
    low = pd.DataFrame({"outcome_group": ["charged", "other"], "count": [1.0, 9.0]})
    table, _ = crime_outcomes.charged_comparison(own, ("Here", "H1"), "2024", [("Low", "L1", low)])
    assert table["focus_compared"].tolist() == ["Focus area", "Higher"]
    hidden, _ = crime_outcomes.charged_comparison(pd.Series({**own, "suppressed": True}),
                                                  ("Here", "H1"), "2024", [("Low", "L1", low)])
    assert hidden["focus_compared"].tolist() == ["Focus area", "Not compared"]

"""XmR SPC charts (NHS Making Data Count, NHSRplotthedots rules), by hand-worked series.

There is no reference workbook for SPC; every expectation below is worked out
in the comments from the definitions: mean of the baseline, AMR = mean moving
range (screening out MR >= 3.267 AMR by default), limits mean +/- 2.66 AMR,
near limits mean +/- (2/3) 2.66 AMR.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats import spc


def _quiet(*args, **kwargs) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short series warn by design
        return spc(*args, **kwargs)


def test_limits_by_hand_ten_points():
    y = [5, 7, 6, 8, 7, 6, 5, 7, 6, 8]
    # mean = 65 / 10 = 6.5
    # moving ranges 2,1,2,1,1,1,2,1,2 -> AMR = 13/9 = 1.444...; screen at 3.267*13/9 = 4.72 drops none
    # UPL = 6.5 + 2.66 * 13/9 = 10.342222..., LPL = 2.657777...
    # near limits: 6.5 +/- (2/3) * 2.66 * 13/9 = 6.5 +/- 2.561481...
    out = _quiet(y)
    amr = 13 / 9
    assert out["mean"].iloc[0] == pytest.approx(6.5)
    assert out["upl"].iloc[0] == pytest.approx(6.5 + 2.66 * amr)
    assert out["lpl"].iloc[0] == pytest.approx(6.5 - 2.66 * amr)
    assert out["upl"].iloc[0] == pytest.approx(10.342222, abs=1e-6)
    assert out["near_upl"].iloc[0] == pytest.approx(6.5 + 2 / 3 * 2.66 * amr)
    assert out["near_lpl"].iloc[0] == pytest.approx(3.938519, abs=1e-6)
    assert not out["special_cause_flag"].any()
    assert (out["point_type"] == "common_cause").all()


OUTLIER = [10, 12] * 6 + [30] + [10, 12] * 6


def test_point_beyond_three_sigma():
    # 25 points: twelve (10, 12) pairs and one 30 -> mean = (12*22 + 30) / 25 = 294/25 = 11.76
    # moving ranges: 22 of 2, plus |30-12| = 18 and |10-30| = 20 -> AMR = 82/24 = 3.4167
    # screening drops MR >= 3.267 * 3.4167 = 11.16 (the 18 and 20) -> AMR = 44/22 = 2
    # UPL = 11.76 + 2.66 * 2 = 17.08 < 30 -> only the 30 is special cause ("Above UCL")
    out = spc(OUTLIER)
    assert out["upl"].iloc[0] == pytest.approx(17.08)
    assert out["lpl"].iloc[0] == pytest.approx(6.44)
    assert out.index[out["special_cause_flag"]].tolist() == [12]
    assert out.loc[12, "special_cause_type"] == "Above UCL"
    assert out.loc[12, "rule_outside_limits"]
    assert out.loc[12, "point_type"] == "special_cause_improvement"
    assert spc(OUTLIER, "decrease").loc[12, "point_type"] == "special_cause_concern"
    assert spc(OUTLIER, "neutral").loc[12, "point_type"] == "special_cause_neutral_high"


def test_no_screening_reproduces_excel_tool():
    # without screening AMR = 82/24, UPL = 11.76 + 2.66 * 82/24 = 20.848333...; 30 still outside
    out = spc(OUTLIER, screen_outliers=False)
    assert out["upl"].iloc[0] == pytest.approx(11.76 + 2.66 * 82 / 24)
    assert out.loc[12, "special_cause_type"] == "Above UCL"


def test_run_of_seven_each_side():
    y = [10, 11, 10, 11, 10, 11, 10, 12, 12.5, 12, 12.5, 12, 12.5, 12]
    # mean = 158.5 / 14 = 11.3214: the first 7 points are all below it, the last 7 all above
    # MRs: six 1s, one 2, six 0.5s -> AMR = 11/13 = 0.846; near limits 11.3214 +/- 1.5003,
    # so no point is near a limit (12.5 < 12.82, 10 > 9.82) and no 7-point trend exists
    out = _quiet(y)
    assert out["mean"].iloc[0] == pytest.approx(158.5 / 14)
    assert out["rule_run_of_7"].all()
    assert not out["rule_trend_of_7"].any() and not out["rule_two_of_three"].any()
    assert out["special_cause_type"].tolist() == ["7 Points Below CL"] * 7 + ["7 Points Above CL"] * 7
    assert out["point_type"].tolist() == ["special_cause_concern"] * 7 + ["special_cause_improvement"] * 7


def test_run_of_six_is_not_flagged():
    # drop one of the high points: now 7 below, 6 above -> only the low run counts
    y = [10, 11, 10, 11, 10, 11, 10, 12, 12.5, 12, 12.5, 12, 12.5]
    out = _quiet(y)
    assert out["rule_run_of_7"].tolist() == [True] * 7 + [False] * 6


def test_trend_of_seven():
    y = [5, 6, 5, 6, 5, 6, 5.1, 5.2, 5.3, 5.4, 5.5, 5.6, 5.7, 5, 6]
    # mean = 81.8 / 15 = 5.4533; MRs: five 1s, 0.9, six 0.1s, 0.7, 1 -> AMR = 8.2/14 = 0.5857
    # limits 5.4533 +/- 1.558 (near: +/- 1.0387): every point inside, runs are at most 4 long
    # points 6..12 (5.1 ... 5.7) rise strictly 6 times -> a 7-point increasing trend
    out = _quiet(y)
    assert out["upl"].iloc[0] == pytest.approx(81.8 / 15 + 2.66 * 8.2 / 14)
    assert out.index[out["rule_trend_of_7"]].tolist() == list(range(6, 13))
    assert set(out.loc[6:12, "special_cause_type"]) == {"7 Point Trend (Increasing)"}
    assert set(out.loc[6:12, "point_type"]) == {"special_cause_improvement"}
    assert not out.drop(index=range(6, 13))["special_cause_flag"].any()
    falling = _quiet([-v for v in y])
    assert set(falling.loc[6:12, "special_cause_type"]) == {"7 Point Trend (Decreasing)"}


def test_six_rising_points_are_not_a_trend():
    y = [5, 6, 5, 6, 5, 6, 5.1, 5.2, 5.3, 5.4, 5.5, 5.6, 5, 6]
    assert not _quiet(y)["rule_trend_of_7"].any()


def test_two_of_three_beyond_two_sigma_with_fixed_baseline():
    y = [10, 12] * 6 + [15, 12, 15, 10, 12]
    # baseline = first 12 points: mean 11, MRs all 2 -> AMR 2
    # UPL = 11 + 5.32 = 16.32; near UPL = 11 + (2/3) * 5.32 = 14.5467
    # points 12 and 14 (15) lie between the near limit and the limit; point 13 (12) is above
    # the mean too -> 2 of 3 beyond 2 sigma on one side: points 12 and 14 flagged, 13 not
    out = _quiet(y, fix_after_n_points=12)
    assert out["mean"].iloc[0] == pytest.approx(11.0)
    assert out["upl"].iloc[0] == pytest.approx(16.32)
    assert out["near_upl"].iloc[0] == pytest.approx(11 + 2 / 3 * 5.32)
    assert out.index[out["rule_two_of_three"]].tolist() == [12, 14]
    assert out.loc[12, "special_cause_type"] == "2 in 3 Above CL"
    assert out.loc[13, "special_cause_type"] == "Common Cause"
    assert out.loc[14, "point_type"] == "special_cause_improvement"


def test_fixed_baseline_changes_limits():
    y = [10, 12] * 6 + [20, 22, 20]
    fixed = _quiet(y, fix_after_n_points=12)
    assert fixed["mean"].iloc[0] == pytest.approx(11.0)  # later points do not move the mean
    assert fixed.loc[12:, "special_cause_type"].tolist() == ["Above UCL"] * 3


@pytest.mark.parametrize(
    ("target", "direction", "expected"),
    [
        # OUTLIER limits: LPL 6.44, UPL 17.08
        (20, "increase", "consistent_fail"),
        (20, "decrease", "consistent_pass"),
        (5, "increase", "consistent_pass"),
        (5, "decrease", "consistent_fail"),
        (12, "increase", "inconsistent"),
        (12, "neutral", None),
        (None, "increase", None),
    ],
)
def test_assurance(target, direction, expected):
    out = spc(OUTLIER, direction, target=target)
    assert out["assurance_type"].iloc[0] == expected


def test_series_index_is_kept():
    values = pd.Series(OUTLIER, index=pd.period_range("2020-01", periods=25, freq="M"))
    assert spc(values).index.equals(values.index)


def test_flat_series_has_zero_width_limits():
    out = _quiet([3.0] * 8)
    assert (out["upl"] == 3.0).all() and not out["special_cause_flag"].any()


def test_short_series_warns():
    with pytest.warns(UserWarning, match="at least 12"):
        spc([1, 2, 3])


@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        ([1], {}, "at least 2"),
        ([1, np.nan, 3], {}, "missing"),
        ([1, "a", 3], {}, "numbers"),
        ([1, 2, 3], {"improvement_direction": "up"}, "improvement_direction"),
        ([1, 2, 3], {"fix_after_n_points": 1}, "at least 2"),
        ([1, 2, 3], {"fix_after_n_points": 2.5}, "whole number"),
    ],
)
def test_errors(values, kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        _quiet(values, **kwargs)

"""Slope and relative index of inequality against ``testdata_SII.xlsx`` (PHEindicatormethods 2.1.0).

Each case below copies one ``expect_equal`` of ``tests/testthat/testSII.R``:
the sheet's record numbers used as input, the arguments, and the record
numbers holding the expected results. Point estimates (SII, RII, intercept)
are deterministic and must match to 1e-6. Confidence limits are simulated:
NumPy's generator cannot reproduce R's ``rnorm`` stream, so they are checked
with the R test's own tolerance, ``tol <- 0.05`` (testthat's mean relative
difference; applied here to each limit separately, which is stricter), using
the same numbers of repetitions (10,000, or 100,000 where the R test uses it)
and a fixed seed. The largest difference observed is 3.5%, on a lower limit of
about 3.1 in an interval running to 10.8 (simulation noise at 10,000 draws);
most are well under 1%.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats import sii

FILE = "testdata_SII.xlsx"
REL_POINT = 1e-6
REL_CI = 0.05  # testSII.R: tol <- 0.05
SEED = 20240601
GROUPS = ["Area", "Grouping1", "Grouping2"]
CL = {"lower_cl": "LowerCL", "upper_cl": "UpperCL"}
SE = {"se": "StandardError"}

# name: (input records, kwargs, expected records, compare RII, compare intercept, compare CIs)
CASES: dict[str, tuple[tuple[int, int], dict, tuple[int, ...], bool, bool, bool]] = {
    "normal, SE": ((1, 20), {**SE}, (1, 11), True, False, True),
    "normal, CLs": ((1, 20), {**CL}, (1, 11), True, False, True),
    "normal, intercept": ((1, 20), {**CL, "intercept": True}, (246, 256), True, True, True),
    "normal, ungrouped": ((1, 10), {**CL}, (1,), True, False, True),
    "normal, 99% from CLs": ((21, 40), {**CL, "confidence": 0.99}, (21, 31), True, False, True),
    "normal, 99% from SE": ((21, 40), {**SE, "confidence": 0.99}, (21, 31), True, False, True),
    "normal, 95% and 99%": ((226, 245), {**SE, "confidence": (0.95, 0.99)}, (226, 236), True, False, True),
    "normal, 100000 reps": ((41, 60), {**SE, "repetitions": 100_000}, (41, 51), True, False, True),
    "normal, quintiles": ((61, 70), {**SE}, (61, 66), True, False, False),
    "rate, SE": ((71, 90), {**SE, "value_type": 1}, (71, 81), True, False, True),
    "rate, CLs": ((71, 90), {**CL, "value_type": 1}, (71, 81), True, False, True),
    "rate, intercept": ((71, 90), {**CL, "value_type": 1, "intercept": True}, (266, 276), True, True, True),
    "rate, log": (
        (306, 325), {**CL, "value_type": 1, "intercept": True, "transform": True}, (306, 316),
        True, True, True,
    ),
    "rate, log, multiplier -1": (
        (386, 405), {**CL, "value_type": 1, "intercept": True, "transform": True, "multiplier": -1},
        (386, 396), True, True, True,
    ),
    "rate, log, 98%": (
        (406, 425), {**CL, "value_type": 1, "intercept": True, "transform": True, "confidence": 0.98},
        (406, 416), True, True, True,
    ),
    "rate, log, 95% and 98%": (
        (366, 385),
        {**CL, "value_type": 1, "intercept": True, "transform": True, "confidence": (0.95, 0.98)},
        (366, 376), True, True, True,
    ),
    "rate, log, no RII": (
        (426, 445), {**CL, "value_type": 1, "transform": True, "rii": False}, (426, 436),
        False, False, True,
    ),
    "proportion, SE": ((91, 110), {**SE, "value_type": 2}, (91, 101), True, False, True),
    "proportion, CLs": ((91, 110), {**CL, "value_type": 2}, (91, 101), True, False, True),
    "proportion, from counts": (
        (91, 110), {**CL, "value_type": 2, "value": None, "x": "Count"}, (91, 101), True, False, True,
    ),
    # testSII.R runs this one with value_type = 1 (sic) on the proportion rows
    "proportion rows, intercept": (
        (91, 110), {**CL, "value_type": 1, "intercept": True}, (286, 296), True, True, True,
    ),
    "proportion, x100": ((111, 130), {**CL, "value_type": 2, "multiplier": 100}, (111, 121), True, False, True),
    "proportion, x100, no RII": (
        (111, 130), {**CL, "value_type": 2, "multiplier": 100, "rii": False}, (111, 121), False, False, True,
    ),
    "proportion, x-100": ((131, 150), {**CL, "value_type": 2, "multiplier": -100}, (131, 141), True, False, True),
    "proportion, x-100, no RII": (
        (131, 150), {**CL, "value_type": 2, "multiplier": -100, "rii": False}, (131, 141),
        False, False, True,
    ),
    "proportion, logit": (
        (326, 345), {**CL, "value_type": 2, "intercept": True, "transform": True}, (326, 336),
        True, True, True,
    ),
    "proportion, logit, multiplier -1": (
        (346, 365), {**CL, "value_type": 2, "intercept": True, "transform": True, "multiplier": -1},
        (346, 356), True, True, True,
    ),
    "proportion, logit, 98%": (
        (466, 485), {**CL, "value_type": 2, "intercept": True, "transform": True, "confidence": 0.98},
        (466, 476), True, True, True,
    ),
    "proportion, logit, 95% and 98%": (
        (486, 505),
        {**CL, "value_type": 2, "intercept": True, "transform": True, "confidence": (0.95, 0.98)},
        (486, 496), True, True, True,
    ),
    "proportion, logit, no RII": (
        (446, 465), {**CL, "value_type": 2, "transform": True, "rii": False}, (446, 456),
        False, False, True,
    ),
}  # fmt: skip

PARAMS = [
    pytest.param(name, i, id=f"{name}-area{i + 1}")
    for name, (_, _, expected, *_) in CASES.items()
    for i in range(len(expected))
]
_RESULTS: dict[str, pd.DataFrame] = {}


def _records(sheet: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    return sheet[(sheet["RecordNo"] >= first) & (sheet["RecordNo"] <= last)]


def _run(name: str, sheet: pd.DataFrame) -> pd.DataFrame:
    if name not in _RESULTS:
        (first, last), kwargs, expected, want_rii, want_intercept, _ = CASES[name]
        options = {"value": "Value", "repetitions": 10_000, "rii": want_rii, **kwargs}
        grouped = len(expected) > 1
        _RESULTS[name] = sii(
            _records(sheet, first, last), "Quantile", "Population",
            group_by=GROUPS if grouped else None, seed=SEED, **options,
        )  # fmt: skip
    return _RESULTS[name]


def _limit_columns(levels: object) -> dict[str, str]:
    """Map the sheet's ``*_1`` / ``*_2`` limit columns to ours."""
    if isinstance(levels, tuple):
        tags = [f"{level * 100:.1f}".replace(".", "_") + "cl" for level in levels]
        pairs = zip(("1", "2"), tags)
    else:
        pairs = [("1", "_ci")]
    mapping = {}
    for number, suffix in pairs:
        for stat in ("sii", "rii"):
            for bound in ("lower", "upper"):
                mapping[f"{stat}_{bound}cl_{number}"] = f"{stat}_{bound}{suffix}"
    return mapping


@pytest.mark.parametrize(("name", "position"), PARAMS)
def test_sii_sheet(name, position, phe_table):
    sheet = phe_table(FILE)
    _, kwargs, expected_records, want_rii, want_intercept, want_ci = CASES[name]
    expected = sheet[sheet["RecordNo"] == expected_records[position]].iloc[0]
    got = _run(name, sheet).iloc[position]
    if len(expected_records) > 1:
        assert got["Area"] == expected["Area"]
    assert got["sii"] == pytest.approx(expected["sii"], rel=REL_POINT)
    if want_rii:
        assert got["rii"] == pytest.approx(expected["rii"], rel=REL_POINT)
    if want_intercept:
        assert got["intercept"] == pytest.approx(expected["Intercept"], rel=REL_POINT)
    if not want_ci:
        return
    for theirs, mine in _limit_columns(kwargs.get("confidence", 0.95)).items():
        if mine.startswith("rii") and not want_rii:
            continue
        assert got[mine] == pytest.approx(expected[theirs], rel=REL_CI), mine


def test_same_seed_same_limits(phe_table):
    data = _records(phe_table(FILE), 1, 20)
    first = sii(data, "Quantile", "Population", value="Value", se="StandardError",
                repetitions=1000, rii=True, group_by=GROUPS, seed=5)  # fmt: skip
    again = sii(data, "Quantile", "Population", value="Value", se="StandardError",
                repetitions=1000, rii=True, group_by=GROUPS, seed=5)  # fmt: skip
    pd.testing.assert_frame_equal(first, again)


def test_hand_calculation_equal_populations():
    # 5 equal quintiles: a = 0.2 each, b = 0.1, 0.3, 0.5, 0.7, 0.9; y = 10 + 5 b exactly
    # so the weighted regression returns intercept 10 and slope (SII) 5; RII = 15 / 10
    b = [0.1, 0.3, 0.5, 0.7, 0.9]
    data = pd.DataFrame({"q": range(1, 6), "pop": [100] * 5, "v": [10 + 5 * x for x in b], "se": [0.1] * 5})
    out = sii(data, "q", "pop", value="v", se="se", repetitions=1000, rii=True, intercept=True, seed=1)
    assert out.loc[0, "sii"] == pytest.approx(5.0, rel=1e-12)
    assert out.loc[0, "rii"] == pytest.approx(1.5, rel=1e-12)
    assert out.loc[0, "intercept"] == pytest.approx(10.0, rel=1e-12)
    assert out.loc[0, "sii_lower_ci"] < 5 < out.loc[0, "sii_upper_ci"]


@pytest.mark.parametrize(
    ("records", "kwargs", "message"),
    [
        ((151, 160), {**SE}, "zero, negative or missing population"),
        ((161, 165), {**SE}, "negative or missing standard errors"),
        ((191, 200), {**SE}, "negative or missing standard errors"),
        ((166, 170), {**SE, "value": None, "x": "Count", "value_type": 2}, "zero or negative count"),
        ((1, 20), {**SE, "value_type": 2}, "value proportions are not all between 0 and 1"),
        ((171, 175), {**CL, "value_type": 2}, "confidence limit proportions"),
        ((176, 180), {**CL, "value_type": 2}, "confidence limit proportions"),
        ((1, 3), {**CL}, "Number of quantiles must be between 5 and 100"),
        ((191, 200), {**CL}, "missing lower or upper confidence limits"),
        ((1, 20), {"se": "StandardError", "value": None}, "value column"),
        ((1, 20), {"lower_cl": "LowerCL"}, "lower_cl and upper_cl"),
        ((1, 20), {**SE, "value_type": 3}, "value_type should be 0, 1 or 2"),
        ((1, 20), {**SE, "repetitions": 0}, "1000 or greater"),
        ((1, 20), {**SE, "confidence": 0.35}, "confidence"),
        ((1, 20), {**CL, "transform": True}, "value_type should be 1 or 2 when transform"),
        ((1, 20), {**SE, "transform": True, "value_type": 1}, "se must be missing"),
    ],
)
def test_errors(records, kwargs, message, phe_table):
    data = _records(phe_table(FILE), *records)
    with pytest.raises(StatsInputError, match=message):
        sii(data, "Quantile", "Population", **{"value": "Value", **kwargs}, group_by=GROUPS)


def test_warnings(phe_table):
    sheet = phe_table(FILE)
    incomplete = _records(sheet, 1, 20).drop(index=_records(sheet, 16, 16).index)
    with pytest.warns(UserWarning, match="removed due to incomplete or invalid data"):
        out = sii(incomplete, "Quantile", "Population", value="Value", **CL,
                  repetitions=1000, group_by=GROUPS, seed=1)  # fmt: skip
    assert out["Area"].tolist() == ["area1"]
    with pytest.warns(UserWarning, match="large number of quantiles"):
        sii(_records(sheet, 211, 225), "Quantile", "Population", value="Value", **CL,
            repetitions=1000, group_by=GROUPS, seed=1)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sii(_records(sheet, 1, 20), "Quantile", "Population", value="Value", **CL,
            repetitions=1000, group_by=GROUPS, seed=1)  # fmt: skip
    assert not math.isnan(out.loc[0, "sii"])


def test_dsr_testdata_quintiles_against_numpy(phe_table):
    # DSR_testdata.csv holds DSRs with limits by deprivation quintile and year but no expected
    # SII; use it as SII input and check the point estimate independently: the SII is the slope
    # of a least-squares line through (b, value) weighted by population share a, which is
    # numpy.polyfit with weights sqrt(a) (polyfit squares its weights).
    data = phe_table("DSR_testdata.csv")
    out = sii(data, "Quintile", "total_pop", value="value", value_type=1, lower_cl="lowercl",
              upper_cl="uppercl", repetitions=1000, group_by="Period", seed=3)  # fmt: skip
    assert out["Period"].tolist() == sorted(data["Period"].unique())
    for period, group in data.groupby("Period"):
        a = group["total_pop"] / group["total_pop"].sum()
        b = a.cumsum() - a / 2
        slope = np.polyfit(b, group["value"], 1, w=np.sqrt(a))[0]
        got = out.set_index("Period").loc[period]
        assert got["sii"] == pytest.approx(slope, rel=1e-9)
        assert got["sii_lower_ci"] < got["sii"] < got["sii_upper_ci"]

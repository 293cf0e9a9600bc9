"""Properties every interval must have, checked with hypothesis.

* lower <= value <= upper;
* the 99.8% interval contains the 95% one;
* upper limits do not fall as the count rises;
* proportion limits stay within [0, multiplier].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cdp_analysis.stats import (
    byars_lower,
    byars_upper,
    crude_rate,
    dsr,
    isr,
    proportion,
    sii,
    wilson_upper,
)

# database=None: no example database is written into the repository
SETTINGS = settings(max_examples=150, deadline=None, database=None)
EPS = 1e-9  # room for floating-point rounding in the comparisons


@st.composite
def count_and_size(draw, max_n: int = 100_000) -> tuple[int, int]:
    n = draw(st.integers(min_value=1, max_value=max_n))
    x = draw(st.integers(min_value=0, max_value=n))
    return x, n


@SETTINGS
@given(count_and_size(), st.sampled_from([1, 100, 1000]))
def test_proportion_limits(xn, multiplier):
    x, n = xn
    narrow = proportion(x, n, 0.95, multiplier)
    wide = proportion(x, n, 0.998, multiplier)
    tol = EPS * multiplier
    assert -tol <= wide.lower_ci <= narrow.lower_ci + tol
    assert narrow.lower_ci <= narrow.value + tol
    assert narrow.value <= narrow.upper_ci + tol
    assert narrow.upper_ci <= wide.upper_ci + tol <= multiplier + 2 * tol


@SETTINGS
@given(st.integers(min_value=1, max_value=10_000), st.integers(min_value=0, max_value=500))
def test_proportion_upper_non_decreasing_in_count(n, x):
    x = min(x, n - 1)
    assert wilson_upper(x + 1, n) >= wilson_upper(x, n) - EPS


@SETTINGS
@given(st.integers(min_value=0, max_value=50_000), st.floats(min_value=1, max_value=1e7))
def test_rate_limits(x, n):
    narrow = crude_rate(x, n, 0.95)
    wide = crude_rate(x, n, 0.998)
    tol = EPS * max(1.0, narrow.upper_ci)
    assert 0 <= wide.lower_ci <= narrow.lower_ci + tol
    assert narrow.lower_ci <= narrow.value + tol <= narrow.upper_ci + 2 * tol
    assert narrow.upper_ci <= wide.upper_ci + tol


@SETTINGS
@given(st.integers(min_value=0, max_value=5_000), st.sampled_from([0.95, 0.998]))
def test_rate_upper_non_decreasing_in_count(x, level):
    # includes the switch from exact limits (x <= 9) to Byar's (x >= 10)
    assert crude_rate(x + 1, 1000, level).upper_ci >= crude_rate(x, 1000, level).upper_ci
    assert crude_rate(x + 1, 1000, level).lower_ci >= crude_rate(x, 1000, level).lower_ci


@SETTINGS
@given(st.integers(min_value=1, max_value=100_000))
def test_byars_brackets_count(x):
    lower = float(byars_lower(x, 0.95))
    assert (np.isnan(lower) or lower <= x) and float(byars_upper(x, 0.95)) >= x


@st.composite
def banded_counts(draw) -> pd.DataFrame:
    bands = draw(st.integers(min_value=2, max_value=6))
    pops = draw(st.lists(st.integers(100, 50_000), min_size=bands, max_size=bands))
    counts = [draw(st.integers(0, max(1, p // 10))) for p in pops]
    if sum(counts) < 10:
        counts[0] += 10
    return pd.DataFrame({"x": counts, "n": pops, "w": range(1, bands + 1)})


@SETTINGS
@given(banded_counts())
def test_dsr_limits(data):
    out = dsr(data, "x", "n", stdpop="w", confidence=(0.95, 0.998)).iloc[0]
    tol = EPS * max(1.0, out["upper99_8cl"])
    assert out["lower99_8cl"] <= out["lower95_0cl"] + tol
    assert out["lower95_0cl"] <= out["value"] + tol <= out["upper95_0cl"] + 2 * tol
    assert out["upper95_0cl"] <= out["upper99_8cl"] + tol


@SETTINGS
@given(banded_counts(), st.sampled_from(["ratio", "rate"]))
def test_isr_limits(data, statistic):
    ref_x = [5 * (i + 1) for i in range(len(data))]
    ref_n = [1000] * len(data)
    out = isr(data, "x", "n", ref_x, ref_n, statistic=statistic, confidence=(0.95, 0.998)).iloc[0]
    tol = EPS * max(1.0, out["upper99_8cl"])
    assert 0 <= out["lower99_8cl"] <= out["lower95_0cl"] + tol
    assert out["lower95_0cl"] <= out["value"] + tol <= out["upper95_0cl"] + 2 * tol
    assert out["upper95_0cl"] <= out["upper99_8cl"] + tol


@settings(max_examples=25, deadline=None, database=None)
@given(
    st.lists(st.floats(min_value=50, max_value=90), min_size=5, max_size=10),
    st.integers(min_value=0, max_value=10_000),
)
def test_sii_limits_bracket_estimate_and_nest(values, seed):
    k = len(values)
    data = pd.DataFrame({"q": range(1, k + 1), "pop": [1000] * k, "v": values, "se": [0.5] * k})
    out = sii(data, "q", "pop", value="v", se="se", repetitions=2000, confidence=(0.95, 0.998), seed=seed)
    row = out.iloc[0]
    assert row["sii_lower99_8cl"] <= row["sii_lower95_0cl"] <= row["sii_upper95_0cl"] <= row["sii_upper99_8cl"]
    # the simulated slopes are centred on the estimate, so it lies inside the 99.8% interval
    assert row["sii_lower99_8cl"] <= row["sii"] <= row["sii_upper99_8cl"]

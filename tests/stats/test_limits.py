"""Byar's and Wilson limits against ``testdata_Byars_Wilson.xlsx`` (PHEindicatormethods).

The R tests (``testByars.R``, ``testWilson.R``) use sheet rows 1-12; row 13
(x = 1 at 99.8%) is checked too: its lower limit is blank because Byar's
approximation turns negative there, which PHEindicatormethods reports as NA.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats import (
    byars_lower,
    byars_upper,
    exact_poisson_lower,
    exact_poisson_upper,
    wilson_lower,
    wilson_upper,
    z_value,
)

REL = 1e-6
FILE, SHEET = "testdata_Byars_Wilson.xlsx", "testdata_B_W"


def _level(text: str) -> float:
    return float(text.rstrip("%")) / 100


def _expected(value: object) -> float:
    return math.nan if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


@pytest.mark.reference_rows(FILE, SHEET, label=["method", "confidence", "x"])
def test_byars_wilson_sheet(row, phe_table):
    case = phe_table(FILE, SHEET).loc[row]
    level = _level(case["confidence"])
    if case["method"] == "Byars":
        lower = byars_lower(case["x"], level)
        upper = byars_upper(case["x"], level)
    else:
        lower = wilson_lower(case["x"], case["n"], level)
        upper = wilson_upper(case["x"], case["n"], level)
    assert float(lower) == pytest.approx(_expected(case["lowercl"]), rel=REL, nan_ok=True)
    assert float(upper) == pytest.approx(_expected(case["uppercl"]), rel=REL)


def test_z_values_match_methods_note():
    # METHODS.md: z = 1.959964 (95%) and 3.090232 (99.8%)
    assert z_value(0.95) == pytest.approx(1.959964, abs=5e-7)
    assert z_value(0.998) == pytest.approx(3.090232, abs=5e-7)


def test_exact_limits_by_hand():
    # x = 0: lower is 0; upper = chi2_{0.975}(2) / 2 = -ln(0.025) = 3.688879...
    assert float(exact_poisson_lower(0)) == 0.0
    assert float(exact_poisson_upper(0)) == pytest.approx(-math.log(0.025), rel=1e-12)
    # x = 1: lower solves P(X >= 1) = 0.025, i.e. 1 - exp(-m) = 0.025, m = -ln(0.975)
    assert float(exact_poisson_lower(1)) == pytest.approx(-math.log(0.975), rel=1e-10)


def test_byars_lower_of_zero_is_zero():
    assert float(byars_lower(0)) == 0.0


@pytest.mark.parametrize("confidence", [0.89, 1.0, 95, -0.95, math.nan, "0.95", None, True])
def test_invalid_confidence_rejected(confidence):
    with pytest.raises(StatsInputError, match="confidence"):
        z_value(confidence)


def test_invalid_counts_rejected():
    with pytest.raises(StatsInputError, match="greater than or equal to zero"):
        byars_upper(np.array([65, 0, -4]))
    with pytest.raises(StatsInputError, match="denominators"):
        wilson_lower([65, 80, 1000], [100, 5000, -6])
    with pytest.raises(StatsInputError, match="less than or equal"):
        wilson_upper([65, 80, 1000], [100, 50, 5000])

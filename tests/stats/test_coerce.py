"""as_float: the one "value to float" helper (chapters, indicators and tables read cells through it)."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.stats import as_float


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3.0), (np.int64(7), 7.0), (np.float32(0.5), 0.5), ("2.5", 2.5), (" 12 ", 12.0), (Decimal("1.25"), 1.25),
     (True, 1.0), (b"4", 4.0)],
)
def test_numbers_and_numeric_text_are_read(value: object, expected: float) -> None:
    out = as_float(value)
    assert type(out) is float
    assert out == expected


@pytest.mark.parametrize("value", [None, pd.NA, np.nan, pd.NaT, "", "x", "*", [1], {"a": 1}, object()])
def test_missing_or_non_numbers_are_nan(value: object) -> None:
    out = as_float(value)
    assert type(out) is float
    assert math.isnan(out)

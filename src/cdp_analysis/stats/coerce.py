"""A cell's value as a number: the one "value to float" helper of every layer above the readers.

Published frames hold numbers, ``None``, ``pandas.NA`` and sometimes text (a suppression mark,
an empty string): a computation or a sentence takes the number and treats everything else as
missing (NaN), never as an error.
"""

from __future__ import annotations

import math
from typing import SupportsFloat, SupportsIndex

__all__ = ["as_float"]


def as_float(value: object) -> float:
    """``value`` as a float; NaN when it is missing or not a number.

    >>> as_float(3), as_float("2.5"), as_float(None), as_float("x")
    (3.0, 2.5, nan, nan)
    """
    if not isinstance(value, (str, bytes, SupportsFloat, SupportsIndex)):
        return math.nan  # None, pandas.NA, a list: nothing float() could read
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan

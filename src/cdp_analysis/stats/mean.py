"""Means with Student's t confidence intervals (``phe_mean``).

References
----------
Student. The probable error of a mean. Biometrika 1908;6:1-25.
Public Health England. Fingertips Public Health Technical Guide: confidence
intervals for means. PHEindicatormethods 2.1.0, ``R/Means.R``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats._limits import student_t_value
from cdp_analysis.stats._validate import check_scalar, single_confidence
from cdp_analysis.stats.estimate import Estimate

__all__ = ["mean"]


def mean(values: Iterable[float], confidence: float = 0.95) -> Estimate:
    """Arithmetic mean with a Student's t interval: ``mean +/- t(n-1) * sd / sqrt(n)``.

    Parameters
    ----------
    values : iterable of float
        At least two observations; none missing.
    confidence : float, default 0.95
        Confidence level in ``[0.9, 1)``.

    Returns
    -------
    Estimate
        ``statistic="mean"``, ``method="Student's t-distribution"``,
        ``count`` = number of values, ``denominator`` = ``None``.

    Raises
    ------
    StatsInputError
        Fewer than two values, missing or non-numeric values, invalid confidence.

    References
    ----------
    Student 1908; PHEindicatormethods ``phe_mean``.

    Examples
    --------
    >>> est = mean([1, 2, 3, 4])
    >>> est.value, round(est.upper_ci, 4)
    (2.5, 4.5543)
    """
    level = single_confidence(confidence)
    if isinstance(values, (str, bytes)):
        raise StatsInputError(f"values must be numbers, got {values!r}")
    data = np.array([check_scalar(v, f"values[{i}]") for i, v in enumerate(values)])
    if data.size < 2:
        raise StatsInputError(f"a mean with a confidence interval needs at least 2 values, got {data.size}")
    centre = float(data.mean())
    spread = float(student_t_value(data.size - 1, level)) * float(data.std(ddof=1)) / math.sqrt(data.size)
    return Estimate(
        value=centre,
        lower_ci=centre - spread,
        upper_ci=centre + spread,
        confidence=level,
        statistic="mean",
        method="Student's t-distribution",
        count=float(data.size),
        denominator=None,
    )

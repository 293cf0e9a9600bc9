"""Crude rates with Byar's or exact Poisson confidence intervals (``phe_rate``).

Counts of 10 or more use Byar's approximation; smaller counts use exact
limits from the chi-squared distribution (method ``"Exact"``).

References
----------
Breslow NE, Day NE. Statistical methods in cancer research, volume II. Lyon:
IARC; 1987.
Armitage P, Berry G. Statistical methods in medical research (4th edn).
Oxford: Blackwell; 2002.
Public Health England. Fingertips Public Health Technical Guide: confidence
intervals for rates. PHEindicatormethods 2.1.0, ``R/Rates.R``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cdp_analysis.stats._limits import poisson_count_limits
from cdp_analysis.stats._validate import (
    ConfidenceArg,
    MissingPolicy,
    check_multiplier,
    check_scalar,
    confidence_label,
    confidence_levels,
    counts_table,
    fail_rows,
    format_number,
    limit_names,
    single_confidence,
)
from cdp_analysis.stats.estimate import Estimate

__all__ = ["crude_rate", "crude_rate_table", "rate_statistic"]


def rate_statistic(multiplier: float) -> str:
    """Describe a crude rate, e.g. ``"rate per 100000"``."""
    return f"rate per {format_number(multiplier)}"


def crude_rate(
    x: float, n: float, confidence: float = 0.95, multiplier: float = 100_000
) -> Estimate:
    """Crude rate ``x / n * multiplier`` with Byar's (x >= 10) or exact (x < 10) limits.

    Parameters
    ----------
    x : float
        Observed events (``>= 0``).
    n : float
        Population or person-time (``> 0``); ``x`` may exceed ``n``.
    confidence : float, default 0.95
        Confidence level in ``[0.9, 1)``.
    multiplier : float, default 100000
        Rate per ``multiplier``.

    Returns
    -------
    Estimate
        ``method`` is ``"Byars"`` or ``"Exact"``.

    Raises
    ------
    StatsInputError
        Missing or non-numeric input, ``x < 0``, ``n <= 0`` or invalid confidence.

    References
    ----------
    Breslow & Day 1987; Armitage & Berry 2002; Fingertips technical guide.

    Examples
    --------
    >>> est = crude_rate(65, 100, multiplier=100)
    >>> est.method, round(est.lower_ci, 4)
    ('Byars', 50.1632)
    """
    level = single_confidence(confidence)
    mult = check_multiplier(multiplier)
    xs = check_scalar(x, "numerator x")
    ns = check_scalar(n, "denominator n")
    _check_values(np.array([xs]), np.array([ns]), pd.Index(["x"]), "x", "n")
    lower, upper, method = poisson_count_limits(xs, level)
    return Estimate(
        value=xs / ns * mult,
        lower_ci=float(lower[0]) / ns * mult,
        upper_ci=float(upper[0]) / ns * mult,
        confidence=level,
        statistic=rate_statistic(mult),
        method=str(method[0]),
        count=xs,
        denominator=ns,
    )


def crude_rate_table(
    data: pd.DataFrame,
    x: Hashable,
    n: Hashable,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 100_000,
    group_by: Hashable | Sequence[Hashable] | None = None,
    *,
    missing: MissingPolicy = "propagate",
) -> pd.DataFrame:
    """Crude rates for every row (or group) of a table, like ``phe_rate``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per area (or area and period...).
    x, n : column names
        Event counts and populations.
    confidence : float or sequence of float, default 0.95
        One level gives ``lower_ci``/``upper_ci``; several give
        ``lower95_0cl, upper95_0cl, lower99_8cl, upper99_8cl``.
    multiplier : float, default 100000
        Rate per ``multiplier``.
    group_by : column name(s), optional
        Sum counts and populations within groups first (never average rates).
    missing : {"propagate", "raise"}, default "propagate"
        Missing inputs give missing results (method missing when the count is),
        as in PHEindicatormethods; ``"raise"`` rejects them.

    Returns
    -------
    pandas.DataFrame
        ``data`` (or group sums) plus ``value``, limits, ``confidence``,
        ``statistic`` and ``method`` (``"Byars"``/``"Exact"``).

    Raises
    ------
    StatsInputError
        Negative counts, populations ``<= 0``, non-numeric columns, invalid confidence.

    References
    ----------
    Breslow & Day 1987; Armitage & Berry 2002; PHEindicatormethods ``phe_rate``.
    """
    levels = confidence_levels(confidence)
    mult = check_multiplier(multiplier)
    out, xs, ns = counts_table(data, x, n, group_by, missing, _check_values)
    out["value"] = xs / ns * mult
    method = add_poisson_limits(out, xs, ns / mult, levels)
    out["confidence"] = confidence_label(levels)
    out["statistic"] = rate_statistic(mult)
    out["method"] = method
    return out


def add_poisson_limits(out: pd.DataFrame, counts: np.ndarray, divisor: np.ndarray | float,
                       levels: Sequence[float]) -> NDArray[np.object_] | None:
    """Add Byar's/exact limits of ``counts / divisor`` at each level; return the method per row.

    One level gives ``lower_ci``/``upper_ci``; several give R's ``lower95_0cl``… names.
    Shared by crude rates (divisor = population / multiplier) and ISRs (expected / scale).
    """
    method = None
    for level in levels:
        lower, upper, method = poisson_count_limits(counts, level)
        lower_name, upper_name = limit_names(level, levels)
        out[lower_name] = lower / divisor
        out[upper_name] = upper / divisor
    return method


def _check_values(
    xs: np.ndarray, ns: np.ndarray, index: pd.Index, x: Hashable, n: Hashable
) -> None:
    fail_rows(xs < 0, index, "numerators must be greater than or equal to zero", x)
    fail_rows(ns <= 0, index, "denominators must be greater than zero", n)

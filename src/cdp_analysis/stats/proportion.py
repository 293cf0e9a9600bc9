"""Proportions with Wilson score confidence intervals (``phe_proportion``).

References
----------
Wilson EB. Probable inference, the law of succession, and statistical
inference. J Am Stat Assoc 1927;22:209-212.
Newcombe RG. Two-sided confidence intervals for the single proportion:
comparison of seven methods. Stat Med 1998;17:857-872.
Newcombe RG, Altman DG. Proportions and their differences. In: Altman DG et al.
(eds). Statistics with confidence (2nd edn). London: BMJ Books; 2000. p46-48.
Public Health England. Fingertips Public Health Technical Guide: confidence
intervals for proportions. PHEindicatormethods 2.1.0, ``R/Proportions.R``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats._limits import wilson_lower, wilson_upper
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

__all__ = ["proportion", "proportion_table", "proportion_statistic"]


def proportion_statistic(multiplier: float) -> str:
    """Describe a proportion: ``"percentage"`` for 100, else ``"proportion of <m>"``."""
    return "percentage" if multiplier == 100 else f"proportion of {format_number(multiplier)}"


def proportion(
    x: float, n: float, confidence: float = 0.95, multiplier: float = 100
) -> Estimate:
    """Proportion ``x / n`` with a Wilson score confidence interval.

    Parameters
    ----------
    x : float
        Numerator: cases with the attribute (``0 <= x <= n``; need not be whole).
    n : float
        Denominator: the sample size (``> 0``).
    confidence : float, default 0.95
        Confidence level in ``[0.9, 1)``.
    multiplier : float, default 100
        Scale of the result: 100 for a percentage, 1 for a proportion.

    Returns
    -------
    Estimate
        ``value = x / n * multiplier`` with Wilson limits on the same scale.

    Raises
    ------
    StatsInputError
        Missing or non-numeric input, ``x < 0``, ``n <= 0``, ``x > n``, or a
        confidence outside ``[0.9, 1)``.

    References
    ----------
    Wilson 1927; Newcombe 1998; Fingertips technical guide.

    Examples
    --------
    >>> round(proportion(65, 100).lower_ci, 4)
    55.2544
    """
    level = single_confidence(confidence)
    mult = check_multiplier(multiplier)
    xs = check_scalar(x, "numerator x")
    ns = check_scalar(n, "denominator n")
    _check_values(np.array([xs]), np.array([ns]), pd.Index(["x"]), "x", "n")
    return Estimate(
        value=xs / ns * mult,
        lower_ci=float(wilson_lower(xs, ns, level)) * mult,
        upper_ci=float(wilson_upper(xs, ns, level)) * mult,
        confidence=level,
        statistic=proportion_statistic(mult),
        method="Wilson",
        count=xs,
        denominator=ns,
    )


def proportion_table(
    data: pd.DataFrame,
    x: Hashable,
    n: Hashable,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 100,
    group_by: Hashable | Sequence[Hashable] | None = None,
    *,
    missing: MissingPolicy = "propagate",
) -> pd.DataFrame:
    """Wilson proportions for every row (or group) of a table, like ``phe_proportion``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per area (or per area and time period...).
    x, n : column names
        Numerator and denominator columns.
    confidence : float or sequence of float, default 0.95
        One level gives columns ``lower_ci`` and ``upper_ci``; several, e.g.
        ``(0.95, 0.998)``, give ``lower95_0cl, upper95_0cl, lower99_8cl, ...``.
    multiplier : float, default 100
        100 for percentages, 1 for proportions.
    group_by : column name(s), optional
        Sum numerators and denominators within these groups first (a group
        with any missing count sums to missing), then compute.
    missing : {"propagate", "raise"}, default "propagate"
        Missing numerators/denominators give missing results, as in
        PHEindicatormethods; ``"raise"`` rejects them instead.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` (or the group sums) with ``value``, the limit
        columns, ``confidence`` (e.g. ``"95%"``), ``statistic`` and ``method``.

    Raises
    ------
    StatsInputError
        Negative numerators, denominators ``<= 0``, numerators above
        denominators, non-numeric columns, or invalid confidence.

    References
    ----------
    Wilson 1927; Newcombe 1998; PHEindicatormethods ``phe_proportion``.
    """
    levels = confidence_levels(confidence)
    mult = check_multiplier(multiplier)
    out, xs, ns = counts_table(data, x, n, group_by, missing, _check_values)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["value"] = xs / ns * mult
        for level in levels:
            lower_name, upper_name = limit_names(level, levels)
            out[lower_name] = wilson_lower(xs, ns, level) * mult
            out[upper_name] = wilson_upper(xs, ns, level) * mult
    out["confidence"] = confidence_label(levels)
    out["statistic"] = proportion_statistic(mult)
    out["method"] = "Wilson"
    return out


def _check_values(
    xs: np.ndarray, ns: np.ndarray, index: pd.Index, x: Hashable, n: Hashable
) -> None:
    if xs.shape != ns.shape:
        raise StatsInputError("numerator and denominator must have the same length")
    fail_rows(xs < 0, index, "numerators must be greater than or equal to zero", x)
    fail_rows(ns <= 0, index, "denominators must be greater than zero", n)
    fail_rows(
        xs > ns,
        index,
        "numerators must be less than or equal to denominator for a proportion statistic",
        x,
    )

"""Confidence-limit building blocks: z, Wilson, Byar, exact Poisson and Student's t.

All functions are vectorised over NumPy arrays (missing values propagate as
NaN), take one confidence level in ``[0.9, 1)``, and follow the formulas of
PHEindicatormethods 2.1.0 (``R/utils.R``, ``R/Rates.R``) exactly.

References
----------
Breslow NE, Day NE. Statistical methods in cancer research, volume II: the
design and analysis of cohort studies. Lyon: IARC; 1987 (Byar's method).
Wilson EB. Probable inference, the law of succession, and statistical
inference. J Am Stat Assoc 1927;22:209-212.
Newcombe RG. Two-sided confidence intervals for the single proportion:
comparison of seven methods. Stat Med 1998;17:857-872.
Armitage P, Berry G. Statistical methods in medical research (4th edn).
Oxford: Blackwell; 2002 (exact Poisson limits).
Public Health England. Technical guide: confidence intervals (Fingertips).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats._validate import single_confidence

__all__ = [
    "z_value",
    "wilson_lower",
    "wilson_upper",
    "byars_lower",
    "byars_upper",
    "exact_poisson_lower",
    "exact_poisson_upper",
    "poisson_count_limits",
    "student_t_value",
    "EXACT_BELOW",
]

#: Counts below this use exact Poisson limits instead of Byar's approximation.
EXACT_BELOW = 10

FloatArray = NDArray[np.float64]


def z_value(confidence: float = 0.95) -> float:
    """Two-sided standard normal quantile: 1.959964 for 0.95, 3.090232 for 0.998.

    Parameters
    ----------
    confidence : float
        Confidence level in ``[0.9, 1)``.

    Returns
    -------
    float
        ``Phi^-1(confidence + (1 - confidence) / 2)``.
    """
    level = single_confidence(confidence)
    return float(stats.norm.ppf(level + (1 - level) / 2))


def _counts(x: ArrayLike, name: str = "counts") -> FloatArray:
    values = np.asarray(x, dtype="float64")
    if np.any(values < 0):
        raise StatsInputError(f"{name} must all be greater than or equal to zero")
    return values


def wilson_lower(x: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Lower Wilson score limit of the proportion ``x / n`` (on the 0-1 scale).

    ``(2x + z^2 - z*sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))``

    Raises
    ------
    StatsInputError
        If ``x < 0``, ``n <= 0`` or ``x > n``.

    References
    ----------
    Wilson 1927; Newcombe 1998.
    """
    xs, ns = _wilson_inputs(x, n)
    z = z_value(confidence)
    lower = (2 * xs + z**2 - z * np.sqrt(z**2 + 4 * xs * (1 - xs / ns))) / 2 / (ns + z**2)
    return np.where(xs == 0, 0.0, lower)  # exactly 0 at x = 0 (rounding gives ±1e-17)


def wilson_upper(x: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Upper Wilson score limit of the proportion ``x / n`` (on the 0-1 scale).

    ``(2x + z^2 + z*sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))``

    References
    ----------
    Wilson 1927; Newcombe 1998.
    """
    xs, ns = _wilson_inputs(x, n)
    z = z_value(confidence)
    upper = (2 * xs + z**2 + z * np.sqrt(z**2 + 4 * xs * (1 - xs / ns))) / 2 / (ns + z**2)
    return np.where(xs == ns, 1.0, upper)  # exactly 1 at x = n (rounding gives 0.99999999999999989)


def _wilson_inputs(x: ArrayLike, n: ArrayLike) -> tuple[FloatArray, FloatArray]:
    xs = _counts(x, "numerators")
    ns = np.asarray(n, dtype="float64")
    if np.any(ns <= 0):
        raise StatsInputError("denominators must be greater than zero")
    if np.any(xs > ns):
        raise StatsInputError("numerators must be less than or equal to denominators")
    return np.broadcast_arrays(xs, ns)  # type: ignore[return-value]


def byars_lower(x: ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Byar's lower limit of an observed count ``x``.

    ``x * (1 - 1/(9x) - z/(3*sqrt(x)))^3``; NaN where the approximation turns
    negative (very small ``x`` at high confidence), as in PHEindicatormethods;
    0 for ``x = 0``.

    References
    ----------
    Breslow & Day 1987.
    """
    xs = _counts(x)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = xs * (1 - 1 / (9 * xs) - z / (3 * np.sqrt(xs))) ** 3
    lower = np.where(xs == 0, 0.0, lower)
    return np.where(lower < 0, np.nan, lower)


def byars_upper(x: ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Byar's upper limit of an observed count ``x``.

    ``(x + 1) * (1 - 1/(9(x + 1)) + z/(3*sqrt(x + 1)))^3``

    References
    ----------
    Breslow & Day 1987.
    """
    xs = _counts(x)
    z = z_value(confidence)
    return (xs + 1) * (1 - 1 / (9 * (xs + 1)) + z / (3 * np.sqrt(xs + 1))) ** 3


def exact_poisson_lower(x: ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Exact (chi-squared based) lower Poisson limit: ``chi2_{alpha/2}(2x) / 2`` (0 when x = 0).

    References
    ----------
    Armitage & Berry 2002.
    """
    xs = _counts(x)
    level = single_confidence(confidence)
    with np.errstate(invalid="ignore"):
        lower = stats.chi2.ppf((1 - level) / 2, 2 * xs) / 2
    return np.where(xs == 0, 0.0, lower)


def exact_poisson_upper(x: ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Exact (chi-squared based) upper Poisson limit: ``chi2_{1-alpha/2}(2x + 2) / 2``.

    References
    ----------
    Armitage & Berry 2002.
    """
    xs = _counts(x)
    level = single_confidence(confidence)
    return stats.chi2.ppf(level + (1 - level) / 2, 2 * xs + 2) / 2


def poisson_count_limits(
    x: ArrayLike, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray, NDArray[np.object_]]:
    """Limits of a Poisson count: exact when ``x < 10``, Byar's otherwise.

    Returns
    -------
    lower, upper : ndarray
        Limits of the count (divide by a denominator for a rate).
    method : ndarray of object
        ``"Exact"`` or ``"Byars"`` per element (``None`` where ``x`` is missing).
    """
    xs = np.atleast_1d(_counts(x))
    small = xs < EXACT_BELOW
    with np.errstate(invalid="ignore"):
        lower = np.where(small, exact_poisson_lower(xs, confidence), byars_lower(xs, confidence))
        upper = np.where(small, exact_poisson_upper(xs, confidence), byars_upper(xs, confidence))
    method = np.where(small, "Exact", "Byars").astype(object)
    method[np.isnan(xs)] = None
    return lower, upper, method


def student_t_value(df: ArrayLike, confidence: float = 0.95) -> FloatArray:
    """Two-sided Student's t quantile with ``df`` degrees of freedom."""
    level = single_confidence(confidence)
    return stats.t.ppf(level + (1 - level) / 2, np.asarray(df, dtype="float64"))

"""Fingertips recent-trend markers (the 5 most recent points).

General indicators: weighted least squares of the value on time ``t = 1..5``
with weights ``w = 1/SE^2`` and ``SE = (UCI95 - LCI95) / 3.92``::

    slope    = (Sw * Swty - Swt * Swy) / (Sw * Swt2 - Swt^2)
    SE_slope = sqrt(Sw / (Sw * Swt2 - Swt^2))
    chi2     = (slope / SE_slope)^2

Proportions ("SPC for proportions"): the chi-squared test for trend in
proportions, with ``N = sum n``, ``X = sum x``::

    chi2 = N (N Sxt - X Snt)^2 / (X (N - X) (N Snt2 - Snt^2))

Either way the trend is significant when ``chi2 > 9.5495`` (chi-squared, 1 df,
99.8%) **and** the slope has the same sign in all six fits: all five points and
each leave-one-out subset (for proportions, ordinary least squares of
``logit(x / (n - x))`` on ``t``). A zero slope counts as positive, as in the
Fingertips code.

References
----------
Public Health England. Fingertips Public Health Technical Guide: recent trends.
Fingertips ``PholioVisualisation.Analysis.TrendMarkers.TrendMarkerCalculator``
(and its FingertipsNext port ``TrendMarkerCalculator.cs``).
Armitage P, Berry G. Statistical methods in medical research (4th edn).
Oxford: Blackwell; 2002 (chi-squared test for trend).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats.benchmark import normalise_polarity

__all__ = [
    "TrendResult",
    "recent_trend",
    "recent_trend_proportion",
    "TREND_POINTS",
    "TREND_CHI2_THRESHOLD",
    "TREND_LABELS",
]

#: Number of most recent points used.
TREND_POINTS = 5
#: chi-squared (1 df) at 99.8%: ``scipy.stats.chi2.ppf(0.998, 1)``.
TREND_CHI2_THRESHOLD = 9.54953570608324
#: Every label the trend functions can return.
TREND_LABELS: tuple[str, ...] = (
    "Increasing and getting better",
    "Increasing and getting worse",
    "Decreasing and getting better",
    "Decreasing and getting worse",
    "Increasing",
    "Decreasing",
    "No significant change",
    "Cannot be calculated",
)
_CI_WIDTH_TO_SE = 3.92


@dataclass(frozen=True)
class TrendResult:
    """Outcome of a recent-trend test.

    Attributes
    ----------
    label : str
        One of :data:`TREND_LABELS`.
    slope : float
        Slope per period on the value scale (general) or the logit scale
        (proportions); NaN when not calculated.
    chi2 : float
        The chi-squared statistic (NaN when not calculated).
    direction : int
        +1 increasing, -1 decreasing, 0 no significant change / not calculated.
    significant : bool
        ``chi2 > 9.5495`` and the slope sign is stable under leave-one-out.
    n_points : int
        Points used (5, or fewer when the trend cannot be calculated).
    message : str
        Why the trend could not be calculated, if it could not.
    """

    label: str
    slope: float
    chi2: float
    direction: int
    significant: bool
    n_points: int
    message: str = ""


def recent_trend(
    values: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    polarity: str = "HighIsGood",
) -> TrendResult:
    """Recent trend of an indicator with 95% confidence limits (Fingertips method).

    Parameters
    ----------
    values, lower, upper : sequences of float
        The indicator and its 95% limits, in time order (oldest first). Points
        missing a value or a limit are skipped, as Fingertips does.
    polarity : {"HighIsGood", "LowIsGood", "NoJudgement"}, default "HighIsGood"
        Turns "Increasing"/"Decreasing" into "... and getting better/worse".

    Returns
    -------
    TrendResult

    Raises
    ------
    StatsInputError
        Sequences of different lengths, non-numeric values, a lower limit above
        its upper limit, or an unknown polarity.

    References
    ----------
    Fingertips technical guide; ``TrendMarkerCalculator``.

    Examples
    --------
    >>> recent_trend([10, 11, 12, 13, 14], [9.9, 10.9, 11.9, 12.9, 13.9],
    ...              [10.1, 11.1, 12.1, 13.1, 14.1]).label
    'Increasing and getting better'
    """
    judgement = normalise_polarity(polarity)
    val, low, high = _arrays((values, lower, upper), ("values", "lower", "upper"))
    bad = low > high
    if bad.any():
        raise StatsInputError(f"lower limit above upper limit at positions {np.flatnonzero(bad).tolist()}")
    valid = np.isfinite(val) & np.isfinite(low) & np.isfinite(high)
    y, se = val[valid][-TREND_POINTS:], ((high - low) / _CI_WIDTH_TO_SE)[valid][-TREND_POINTS:]
    if y.size < TREND_POINTS:
        return _cannot(y.size, f"needs {TREND_POINTS} points with confidence limits, got {y.size}")
    if np.any(se <= 0):
        return _cannot(y.size, "confidence intervals of zero width give no weights")
    t = np.arange(1.0, TREND_POINTS + 1)
    w = 1 / se**2
    slopes = [_wls_slope(t[keep], y[keep], w[keep]) for keep in _subsets()]
    sw, swt, swt2 = w.sum(), (w * t).sum(), (w * t**2).sum()
    chi2 = (slopes[0] / math.sqrt(sw / (sw * swt2 - swt**2))) ** 2
    return _result(slopes, chi2, judgement)


def recent_trend_proportion(
    x: Sequence[float], n: Sequence[float], polarity: str = "HighIsGood"
) -> TrendResult:
    """Recent trend of a proportion by the chi-squared test for trend (Fingertips).

    Parameters
    ----------
    x, n : sequences of float
        Numerators and denominators in time order (oldest first); points with
        either missing are skipped.
    polarity : {"HighIsGood", "LowIsGood", "NoJudgement"}, default "HighIsGood"

    Returns
    -------
    TrendResult
        ``slope`` is the least-squares slope of ``logit(x/n)`` per period.
        "Cannot be calculated" with fewer than 5 points or when a used point
        has ``x = 0`` or ``x = n`` (the logit check is undefined).

    Raises
    ------
    StatsInputError
        Different lengths, non-numeric values, negative counts, ``n <= 0``,
        ``x > n`` or an unknown polarity.

    References
    ----------
    Fingertips technical guide; ``TrendMarkerCalculator.IsSignificantForProportions``;
    Armitage & Berry 2002.
    """
    judgement = normalise_polarity(polarity)
    xs, ns = _arrays((x, n), ("x", "n"))
    valid = np.isfinite(xs) & np.isfinite(ns)
    for mask, text in (
        (xs < 0, "numerators must be zero or more"),
        (ns <= 0, "denominators must be greater than zero"),
        (xs > ns, "numerators must not exceed denominators"),
    ):
        if (mask & valid).any():
            raise StatsInputError(f"{text}; positions {np.flatnonzero(mask & valid).tolist()}")
    xs, ns = xs[valid][-TREND_POINTS:], ns[valid][-TREND_POINTS:]
    if xs.size < TREND_POINTS:
        return _cannot(xs.size, f"needs {TREND_POINTS} points, got {xs.size}")
    if np.any(xs == 0) or np.any(xs == ns):
        return _cannot(xs.size, "a proportion of 0 or 1 has no logit for the slope check")
    t = np.arange(1.0, TREND_POINTS + 1)
    big_n, big_x = ns.sum(), xs.sum()
    numerator = big_n * (big_n * (xs * t).sum() - big_x * (ns * t).sum()) ** 2
    denominator = big_x * (big_n - big_x) * (big_n * (ns * t**2).sum() - (ns * t).sum() ** 2)
    chi2 = float(numerator / denominator)
    logit = np.log(xs / (ns - xs))
    slopes = [_ols_slope(t[keep], logit[keep]) for keep in _subsets()]
    return _result(slopes, chi2, judgement)


def _arrays(sequences: tuple[Sequence[float], ...], names: tuple[str, ...]) -> list[np.ndarray]:
    arrays = []
    for seq, name in zip(sequences, names):
        if isinstance(seq, (str, bytes)):
            raise StatsInputError(f"{name} must be a sequence of numbers, got {seq!r}")
        try:
            arrays.append(np.asarray(seq, dtype="float64").ravel())
        except (TypeError, ValueError) as exc:
            raise StatsInputError(f"{name} must be a sequence of numbers") from exc
    if len({a.size for a in arrays}) > 1:
        raise StatsInputError(f"{', '.join(names)} must have the same length")
    return arrays


def _subsets() -> list[np.ndarray]:
    """All five points, then each leave-one-out subset."""
    everything = np.ones(TREND_POINTS, dtype=bool)
    subsets = [everything]
    for drop in range(TREND_POINTS):
        keep = everything.copy()
        keep[drop] = False
        subsets.append(keep)
    return subsets


def _wls_slope(t: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    sw, swt, swy = w.sum(), (w * t).sum(), (w * y).sum()
    swty, swt2 = (w * t * y).sum(), (w * t**2).sum()
    return float((sw * swty - swt * swy) / (sw * swt2 - swt**2))


def _ols_slope(t: np.ndarray, y: np.ndarray) -> float:
    k = t.size
    return float((k * (t * y).sum() - y.sum() * t.sum()) / (k * (t**2).sum() - t.sum() ** 2))


def _result(slopes: list[float], chi2: float, judgement: str) -> TrendResult:
    signs = {1 if s >= 0 else -1 for s in slopes}
    significant = bool(chi2 > TREND_CHI2_THRESHOLD and len(signs) == 1)
    if not significant:
        return TrendResult("No significant change", slopes[0], chi2, 0, False, TREND_POINTS)
    direction = 1 if slopes[0] > 0 else -1
    word = "Increasing" if direction > 0 else "Decreasing"
    if judgement == "NoJudgement":
        label = word
    else:
        better = direction > 0 if judgement == "HighIsGood" else direction < 0
        label = f"{word} and getting {'better' if better else 'worse'}"
    return TrendResult(label, slopes[0], chi2, direction, True, TREND_POINTS)


def _cannot(points: int, message: str) -> TrendResult:
    return TrendResult("Cannot be calculated", math.nan, math.nan, 0, False, points, message)

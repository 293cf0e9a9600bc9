"""Change between two periods of an indicator: significant or not, and better or worse.

Two periods differ significantly when their 95% confidence intervals do not
overlap: the simple rule the Fingertips technical guide describes for comparing
two points in time (and the one used for year-on-year change across the
package). It is conservative: two intervals can overlap slightly while the
difference is still significant at 95%.

References
----------
Fingertips Public Health Technical Guidance, "Comparing two values":
https://fingertips.phe.org.uk/static-reports/public-health-technical-guidance/
"""

from __future__ import annotations

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats.benchmark import _is_missing, normalise_polarity

__all__ = ["CHANGE_LABELS", "compare_periods", "change_judgement"]

#: What :func:`compare_periods` returns.
CHANGE_LABELS = ("Increased", "Decreased", "No significant change", "Not compared")


def compare_periods(before_lower: float | None, before_upper: float | None,
                    after_lower: float | None, after_upper: float | None) -> str:
    """Whether a value rose or fell significantly from one period to a later one.

    Parameters
    ----------
    before_lower, before_upper : float or None
        95% limits of the earlier period (missing -> ``"Not compared"``).
    after_lower, after_upper : float or None
        95% limits of the later period.

    Returns
    -------
    str
        ``"Increased"`` (the later interval lies wholly above the earlier one),
        ``"Decreased"`` (wholly below), ``"No significant change"`` (they overlap)
        or ``"Not compared"``.

    Raises
    ------
    StatsInputError
        A limit is not a number, or a lower limit is above its upper limit.

    Examples
    --------
    >>> compare_periods(10.0, 12.0, 12.5, 14.0)
    'Increased'
    >>> compare_periods(10.0, 12.0, 11.5, 14.0)
    'No significant change'
    """
    limits = (before_lower, before_upper, after_lower, after_upper)
    if any(_is_missing(v) for v in limits):
        return "Not compared"
    b_low, b_high, a_low, a_high = (float(v) for v in limits)  # type: ignore[arg-type]
    for low, high in ((b_low, b_high), (a_low, a_high)):
        if low > high:
            raise StatsInputError(f"lower limit {low} is above upper limit {high}")
    if a_low > b_high:
        return "Increased"
    if a_high < b_low:
        return "Decreased"
    return "No significant change"


def change_judgement(label: str, polarity: str) -> str:
    """``"better"``, ``"worse"`` or ``""`` (no judgement, or no significant change) for a change label.

    >>> change_judgement("Decreased", "LowIsGood")
    'better'
    """
    if label not in CHANGE_LABELS:
        raise StatsInputError(f"change label must be one of {CHANGE_LABELS!r}, got {label!r}")
    judgement = normalise_polarity(polarity or "NoJudgement")
    if label not in ("Increased", "Decreased") or judgement == "NoJudgement":
        return ""
    up = label == "Increased"
    return "better" if up == (judgement == "HighIsGood") else "worse"

"""The common result type of the scalar statistical functions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["Estimate"]


@dataclass(frozen=True)
class Estimate:
    """A statistic with its confidence interval and a description of how it was made.

    Attributes
    ----------
    value : float
        The point estimate, already multiplied (e.g. a percentage or a rate per 100,000).
    lower_ci, upper_ci : float
        Lower and upper confidence limits on the same scale as ``value``
        (NaN when a limit cannot be calculated).
    confidence : float
        The confidence level of the interval, e.g. 0.95.
    statistic : str
        What the value is, e.g. ``"percentage"`` or ``"rate per 100000"``.
    method : str
        How the interval was made, e.g. ``"Wilson"``, ``"Byars"`` or ``"Exact"``.
    count, denominator : float or None
        The numerator and denominator the estimate was made from, if any.
    """

    value: float
    lower_ci: float
    upper_ci: float
    confidence: float
    statistic: str
    method: str
    count: float | None = None
    denominator: float | None = None

    def as_dict(self) -> dict[str, object]:
        """Return the fields as a plain ``dict`` (e.g. to build a DataFrame row)."""
        return dataclasses.asdict(self)

"""Data-quality rules: figures that are artefacts of how a return was made, not findings.

Pure functions over one area's series of one measure (columns ``period``, ``count``,
``denominator`` and, where the source has them, ``marker``), sorted by period. Each
rule returns a mask of the rows it flags; :func:`flag_series` adds a
``quality_flag`` column naming the rule in plain words. A flagged row stays in the
tables and downloads with its flag, and is left out of comparisons, trend tests and
key messages; the section names it in one sentence (:func:`quality_sentence`).
The rules and their thresholds are documented in ``docs/data_quality.md``.

Rules
-----
``zero every year``
    The count is 0 in every period of the series (at least :data:`MIN_YEARS`
    periods, none withheld by a marker). Six of 155 authorities record no
    looked-after child with a substance misuse problem in any of five years: a
    recording gap, not a result.
``collapsed return``
    A period whose denominator (e.g. assessment episodes) falls below
    :data:`COLLAPSE_FRACTION` of every neighbouring period's (the periods either
    side that have one): the authority's return for that year is incomplete, so
    every figure drawn from it is.
``part larger than total``
    A count larger than its denominator: the two cannot both be right.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MIN_YEARS", "COLLAPSE_FRACTION", "ZERO_EVERY_YEAR", "COLLAPSED_RETURN", "PART_OVER_TOTAL",
           "zero_every_year", "collapsed_return", "part_over_total", "flag_series", "quality_sentence"]

#: The fewest periods a series must have before all zeros are read as a recording gap.
MIN_YEARS = 3
#: A denominator below this share of its neighbours' marks a collapsed return.
COLLAPSE_FRACTION = 0.25

ZERO_EVERY_YEAR = "recorded as zero in every year (a recording gap, not a finding)"
COLLAPSED_RETURN = "incomplete return (the year's total fell to a small fraction of the years either side)"
PART_OVER_TOTAL = "count larger than its total (inconsistent figures)"


def _numbers(series: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(series[column], errors="coerce").to_numpy(dtype=float)


def zero_every_year(series: pd.DataFrame, min_years: int = MIN_YEARS) -> np.ndarray:
    """Rows of a series whose count is 0 in every period (all rows, or none).

    >>> zero_every_year(pd.DataFrame({"count": [0, 0, 0], "denominator": [250, 240, 230]})).tolist()
    [True, True, True]
    >>> zero_every_year(pd.DataFrame({"count": [0, 0, 3], "denominator": [250, 240, 230]})).tolist()
    [False, False, False]
    """
    counts = _numbers(series, "count")
    marked = series["marker"].notna().to_numpy() if "marker" in series else np.zeros(len(series), dtype=bool)
    flag = len(counts) >= min_years and not marked.any() and bool((counts == 0).all())
    return np.full(len(series), flag)


def collapsed_return(series: pd.DataFrame, fraction: float = COLLAPSE_FRACTION) -> np.ndarray:
    """Rows whose denominator is below ``fraction`` of each neighbouring period's denominator.

    The neighbours are the rows before and after (in period order) that have a
    positive denominator; a row with none is not judged.

    >>> collapsed_return(pd.DataFrame({"count": [1, 0, 2], "denominator": [7447, 509, 6365]})).tolist()
    [False, True, False]
    """
    dens = _numbers(series, "denominator")
    out = np.zeros(len(dens), dtype=bool)
    for i, d in enumerate(dens):
        if d != d:
            continue
        sides = [dens[j] for j in (i - 1, i + 1) if 0 <= j < len(dens) and dens[j] == dens[j] and dens[j] > 0]
        out[i] = bool(sides) and all(d < fraction * s for s in sides)
    return out


def part_over_total(series: pd.DataFrame) -> np.ndarray:
    """Rows whose count exceeds their denominator.

    >>> part_over_total(pd.DataFrame({"count": [5, 70], "denominator": [10, 7]})).tolist()
    [False, True]
    """
    with np.errstate(invalid="ignore"):
        return _numbers(series, "count") > _numbers(series, "denominator")


def flag_series(series: pd.DataFrame) -> pd.DataFrame:
    """The series with a ``quality_flag`` column: the rule a row breaks in plain words, else missing.

    The series must be one area's one measure, sorted by period. A row breaking
    several rules is given the first of: part larger than total, collapsed
    return, zero every year.
    """
    out = series.copy()
    flags = pd.Series(pd.NA, index=out.index, dtype="string")
    for mask, text in ((zero_every_year(out), ZERO_EVERY_YEAR), (collapsed_return(out), COLLAPSED_RETURN),
                       (part_over_total(out), PART_OVER_TOTAL)):
        flags[mask] = text
    out["quality_flag"] = flags
    return out


def quality_sentence(what: str, area: str, flagged: pd.DataFrame) -> str:
    """One plain sentence naming what a series' flagged rows are and that they are left out.

    ``flagged`` holds the flagged rows (``period``, ``quality_flag``) of one area's
    series of ``what``.

    >>> quality_sentence("Looked-after children with a substance misuse problem", "Hartlepool",
    ...     pd.DataFrame({"period": ["2020/21", "2024/25"], "quality_flag": [ZERO_EVERY_YEAR] * 2}))
    'Looked-after children with a substance misuse problem in Hartlepool: recorded as zero in every year \
(a recording gap, not a finding), 2020/21 to 2024/25; left out of comparisons, trends and key messages.'
    """
    parts = []
    for text, rows in flagged.groupby("quality_flag", sort=False):
        periods = sorted(rows["period"].astype(str))
        when = periods[0] if len(periods) == 1 else (
            f"{periods[0]} to {periods[-1]}" if text == ZERO_EVERY_YEAR else ", ".join(periods))
        parts.append(f"{text}, {when}")
    return f"{what} in {area}: {'; '.join(parts)}; left out of comparisons, trends and key messages."

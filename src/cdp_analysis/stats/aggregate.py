"""Statistics for a Combating Drugs Partnership made of several local authorities.

A CDP's figure is never the average of its members' rates: counts and
denominators are summed first and the statistic is recomputed from the sums
(for DSRs, summed within each age band). A member with a missing count makes
the partnership total missing rather than silently smaller.

References
----------
Public Health England. Fingertips Public Health Technical Guide: aggregating
areas (calculate from summed numerators and denominators).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Literal

import pandas as pd

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats._validate import (
    fail_rows,
    group_columns,
    group_sum,
    numeric_column,
    require_columns,
)
from cdp_analysis.stats.dsr import dsr
from cdp_analysis.stats.proportion import proportion_table
from cdp_analysis.stats.rate import crude_rate_table

__all__ = ["aggregate_counts", "combine_then"]

StatisticName = Literal["proportion", "crude_rate", "dsr"]
_BY_NAME: dict[str, Callable[..., pd.DataFrame]] = {
    "proportion": proportion_table,
    "crude_rate": crude_rate_table,
    "dsr": dsr,
}


def aggregate_counts(
    df: pd.DataFrame,
    by: Hashable | Sequence[Hashable],
    count_cols: Hashable | Sequence[Hashable],
) -> pd.DataFrame:
    """Sum counts and denominators within groups (e.g. local authorities into a CDP).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per member area (and per age band, period...).
    by : column name(s)
        The grouping, e.g. ``["cdp_code", "period"]``.
    count_cols : column name(s)
        Counts and denominators to sum. Rates, percentages and other derived
        statistics must not be summed; recompute them from the sums.

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted by ``by``) with the summed columns; a group
        with any missing value in a column has a missing sum.

    Raises
    ------
    StatsInputError
        Missing columns, non-numeric or negative counts, or no grouping column.

    References
    ----------
    Fingertips technical guide (aggregate numerators and denominators, not rates).
    """
    keys = group_columns(by)
    columns = group_columns(count_cols)
    if not keys:
        raise StatsInputError("aggregate_counts needs at least one 'by' column")
    if not columns:
        raise StatsInputError("aggregate_counts needs at least one count column")
    require_columns(df, [*keys, *columns])
    for column in columns:
        values = numeric_column(df, column)
        fail_rows(values < 0, df.index, "counts must not be negative", column)
    numeric = df[keys].copy()
    for column in columns:
        numeric[column] = numeric_column(df, column)
    return group_sum(numeric, keys, columns)


def combine_then(
    statistic: StatisticName | Callable[..., pd.DataFrame],
    data: pd.DataFrame,
    by: Hashable | Sequence[Hashable],
    x: Hashable,
    n: Hashable,
    *,
    ageband: Hashable | None = None,
    **kwargs: object,
) -> pd.DataFrame:
    """Sum counts within groups, then compute a proportion, crude rate or DSR.

    Parameters
    ----------
    statistic : {"proportion", "crude_rate", "dsr"} or the function itself
        :func:`proportion_table`, :func:`crude_rate_table` or :func:`dsr`.
    data : pandas.DataFrame
        Member-area rows (for DSRs, one row per member and age band).
    by : column name(s)
        The combined area, e.g. the CDP code (plus period, sex...).
    x, n : column names
        Numerator and denominator to sum.
    ageband : column name, optional
        Required for DSRs: counts are summed per group and age band, keeping
        the bands in the order they first appear in ``data``.
    **kwargs
        Passed on (``confidence``, ``multiplier``, ``stdpop``...).

    Returns
    -------
    pandas.DataFrame
        One row per group with the summed counts and the statistic's columns.

    Raises
    ------
    StatsInputError
        An unknown statistic, a DSR without ``ageband``, or invalid counts.

    References
    ----------
    Fingertips technical guide (aggregate numerators and denominators, not rates).

    Examples
    --------
    >>> members = pd.DataFrame({"cdp": ["A", "A"], "x": [10, 30], "n": [100, 100]})
    >>> combine_then("proportion", members, "cdp", "x", "n")["value"].tolist()
    [20.0]
    """
    function = _BY_NAME.get(statistic) if isinstance(statistic, str) else statistic
    if function is None or function not in _BY_NAME.values():
        raise StatsInputError(
            f"statistic must be one of {tuple(_BY_NAME)!r} (or that function), got {statistic!r}"
        )
    keys = group_columns(by)
    if function is dsr:
        if ageband is None:
            raise StatsInputError("combining DSRs needs the ageband column")
        require_columns(data, [*keys, ageband, x, n])
        band_order = {band: i for i, band in enumerate(pd.unique(data[ageband]))}
        summed = aggregate_counts(data, [*keys, ageband], [x, n])
        summed = summed.assign(_band_rank=summed[ageband].map(band_order))
        summed = summed.sort_values([*keys, "_band_rank"], kind="stable").drop(columns="_band_rank")
        return dsr(summed.reset_index(drop=True), x, n, group_by=keys, **kwargs)  # type: ignore[arg-type]
    if ageband is not None:
        raise StatsInputError("ageband is only used when combining DSRs")
    summed = aggregate_counts(data, keys, [x, n])
    return function(summed, x, n, **kwargs)

"""Funnel-plot control limits and significance (``calculate_funnel_limits`` et al.).

Control limits at 95% ("2s", p = 0.975 / 0.025) and 99.8% ("3s", p = 0.999 /
0.001) around the overall average, across 100 denominators spanning the data:

* proportions: Wilson score limits solved for the population (Spiegelhalter's
  funnel with the Wilson interval), capped to ``[0, multiplier]``;
* rates (crude or directly standardised) and ratios (counts or ISRs): exact
  Poisson limits found by the bisection of the APHO funnel-plot tool, which
  PHEindicatormethods ports (``poisson_funnel``).

The axis rounding, the 100-point sequence and the bisection mirror
PHEindicatormethods 2.1.0 (``R/Funnels.R``, ``R/utils.R``) so results match
its published test data.

References
----------
Spiegelhalter DJ. Funnel plots for comparing institutional performance.
Stat Med 2005;24:1185-1202.
Association of Public Health Observatories. Technical briefing 2: statistical
process control methods in public health intelligence; 2008 (funnel-plot tool).
Public Health England. Fingertips Public Health Technical Guide: funnel plots.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats._limits import poisson_count_limits
from cdp_analysis.stats._validate import (
    check_multiplier,
    fail_rows,
    format_number,
    numeric_column,
    require_columns,
)

__all__ = [
    "funnel_limits",
    "assign_funnel_significance",
    "funnel_points",
    "SIGNIFICANCE_LEVELS",
]

Statistic = Literal["proportion", "rate", "ratio"]

#: Categories of :func:`assign_funnel_significance`, in PHEindicatormethods' order.
SIGNIFICANCE_LEVELS: tuple[str, ...] = (
    "High (0.001)",
    "High (0.025)",
    "Low (0.001)",
    "Low (0.025)",
    "Not significant",
    "Not applicable for events less than 10 for dsrs",
)

_POINTS = 100
_BISECTION_STOP = 1e-7


# --------------------------------------------------------------------------- limits
def funnel_limits(
    data: pd.DataFrame,
    numerator: Hashable,
    denominator: Hashable | None = None,
    *,
    statistic: Statistic,
    multiplier: float,
    rate: Hashable | None = None,
    rate_type: Literal["dsr", "crude"] | None = None,
    ratio_type: Literal["count", "isr"] | None = None,
    years_of_data: float | None = None,
) -> pd.DataFrame:
    """Funnel-plot control limits for a set of areas (100 points for a chart).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per area.
    numerator : column name
        Cases (proportions), events (rates) or observed counts (ratios).
    denominator : column name, optional
        Populations (proportions), expected counts (ratios), or populations for
        rates (needed only where an area has zero events).
    statistic : {"proportion", "rate", "ratio"}
        The kind of indicator.
    multiplier : float
        Scale of the indicator (100 for percentages, 100000 for rates per
        100,000); for ratios ``ratio_type`` sets the scale and this is not used.
    rate : column name, optional
        The rates (crude or DSR), required for ``statistic="rate"``.
    rate_type : {"dsr", "crude"}, optional
        Required for rates. DSR denominators are derived as
        ``multiplier * events / rate``; zero-event DSR areas are left out.
    ratio_type : {"count", "isr"}, optional
        Required for ratios: limits of ``O/E - 1`` ("count") or ``O/E * 100`` ("isr").
    years_of_data : float, optional
        Number of years pooled, required for rates (populations are annual).

    Returns
    -------
    pandas.DataFrame
        100 rows. Proportions: ``Population``; rates: ``Events`` with annual
        ``*_population_1_year`` columns; ratios: ``Observed_events`` with
        ``*_exp_events``. All have ``lower_2s_limit, upper_2s_limit,
        lower_3s_limit, upper_3s_limit``; proportions and rates a ``baseline``;
        plus ``statistic`` and ``method`` (``"Wilson"`` or ``"Poisson"``).

    Raises
    ------
    StatsInputError
        Missing required arguments or values, negative counts, invalid options.

    References
    ----------
    Spiegelhalter 2005; APHO 2008; PHEindicatormethods ``calculate_funnel_limits``.
    """
    statistic = _check_statistic(statistic)
    mult = check_multiplier(multiplier)
    if statistic == "rate":
        rate_kind = _check_choice(rate_type, ("dsr", "crude"), "rate_type")
        years = _check_years(years_of_data)
        num, derived = _rate_denominators(data, numerator, denominator, rate, rate_kind, mult)
    else:
        if denominator is None:
            raise StatsInputError(f"a denominator column is required for {statistic}s")
        if statistic == "ratio":
            ratio_kind = _check_choice(ratio_type, ("count", "isr"), "ratio_type")
        num, derived = _counts_and_denominators(data, numerator, denominator, statistic)
        years = 1.0

    average = num.sum() / np.nansum(derived)
    low_den, high_den = np.nanmin(derived), np.nanmax(derived)
    if high_den > 2 * low_den:
        axis_min = 0.0
    else:
        axis_min = _signif_floor(low_den / years) * years
    axis_max = _signif_ceiling(high_den / years) * years
    if statistic == "rate":
        axis_min = math.floor(axis_min * average)
        axis_max = math.ceil(axis_max * average)
    points = _axis_points(axis_min, axis_max, ratio=statistic == "ratio")

    if statistic == "proportion":
        table = _proportion_limits(points, average, mult)
        label, method = "proportion", "Wilson"
    elif statistic == "ratio":
        table = _ratio_limits(points, ratio_kind)
        label, method = f"ratio ({ratio_kind})", "Poisson"
    else:
        table = _rate_limits(points, average, mult, years)
        label = f"rate ({rate_kind} per {_big_mark(mult)})"
        method = "Poisson"
    table["statistic"] = label
    table["method"] = method
    return table


def _proportion_limits(points: np.ndarray, average: float, mult: float) -> pd.DataFrame:
    table = pd.DataFrame({"Population": points})
    for tag, p in (("2s", 0.975), ("3s", 0.999)):
        low = _sigma_adjustment(p, points, average, "low", mult)
        high = _sigma_adjustment(p, points, average, "high", mult)
        table[f"lower_{tag}_limit"] = np.maximum(0.0, low)
        table[f"upper_{tag}_limit"] = np.minimum(mult, high)
    table = table[
        ["Population", "lower_2s_limit", "upper_2s_limit", "lower_3s_limit", "upper_3s_limit"]
    ]
    table["baseline"] = average * mult
    return table


def _ratio_limits(points: np.ndarray, ratio_type: str) -> pd.DataFrame:
    table = pd.DataFrame({"Observed_events": points})
    for tag, p in (("2s", 0.025), ("3s", 0.001)):
        for bound, side in (("lower", "high"), ("upper", "low")):
            expected = _poisson_funnel(points, p, side)
            table[f"{bound}_{tag}_exp_events"] = expected
            table[f"{bound}_{tag}_limit"] = points / expected
    limits = [c for c in table.columns if c.endswith("limit")]
    if ratio_type == "count":
        table[limits] = table[limits] - 1
    else:
        table[limits] = table[limits] * 100
    return table


def _rate_limits(points: np.ndarray, average: float, mult: float, years: float) -> pd.DataFrame:
    table = pd.DataFrame({"Events": points})
    for tag, p in (("2s", 0.025), ("3s", 0.001)):
        for bound, side in (("lower", "high"), ("upper", "low")):
            population = _poisson_funnel(points, p, side) / average
            table[f"{bound}_{tag}_population_1_year"] = population / years
            table[f"{bound}_{tag}_limit"] = points / population * mult
    table["baseline"] = average * mult
    return table


def _sigma_adjustment(
    p: float, population: np.ndarray, average: float, side: str, multiplier: float
) -> np.ndarray:
    """Proportion at which the Wilson limit for ``population`` touches the average."""
    z2 = stats.norm.ppf(p) ** 2
    first = average * (population / z2 + 1)
    with np.errstate(invalid="ignore"):
        adj = np.sqrt(
            (-8 * average * (population / z2 + 1)) ** 2
            - 64
            * (1 / z2 + 1 / population)
            * average
            * (population * (average * (population / z2 + 2) - 1) + z2 * (average - 1))
        )
    last = 1 / z2 + 1 / population
    limit = (first - adj / 8) / last if side == "low" else (first + adj / 8) / last
    return limit / population * multiplier


def _poisson_funnel(obs: np.ndarray, p: float, side: str) -> np.ndarray:
    """Poisson mean whose tail probability at ``obs`` equals ``p`` (APHO bisection).

    ``side="low"``: ``P(X >= obs) = p``; ``side="high"``: ``P(X <= obs) = p``.
    Bisects ``v`` in ``(0, 1)`` with ``mean = (1 + obs) v / (1 - v)`` until the
    step is below 1e-7, exactly as the APHO tool and PHEindicatormethods do.
    """
    obs = np.asarray(obs, dtype="float64")
    v = np.full(obs.shape, 0.5)
    dv = 0.5
    while dv > _BISECTION_STOP:
        dv /= 2
        mean = (1 + obs) * v / (1 - v)
        if side == "low":
            move_down = stats.poisson.sf(obs - 1, mean) > p
        else:
            move_down = stats.poisson.cdf(obs, mean) < p
        v = np.where(move_down, v - dv, v + dv)
    return (1 + obs) * v / (1 - v)


def _axis_points(axis_min: float, axis_max: float, *, ratio: bool) -> np.ndarray:
    points = [max(1.0, float(axis_min))]
    for j in range(2, _POINTS + 1):
        offset = j - 1 if ratio else j
        previous = points[-1]
        step = round((axis_max / previous) ** (1 / (101 - offset)) * previous)
        points.append(float(max(step, previous + 1)))
    return np.array(points)


def _r_nchar(value: float) -> int:
    """Characters in R's ``as.character()`` of a whole number (``1e+05`` has 5)."""
    digits = str(int(value))
    mantissa = digits.rstrip("0") or "0"
    exponent = len(digits) - 1
    scientific = len(mantissa) + (1 if len(mantissa) > 1 else 0) + 2 + max(2, len(str(exponent)))
    return scientific if len(digits) > scientific else len(digits)


def _signif_floor(x: float, percentage_down: float = 0.95) -> float:
    if x == 0:
        return 0.0
    n = _r_nchar(math.floor(x * percentage_down)) - 1
    return math.floor(x * percentage_down / 10**n) * 10**n


def _signif_ceiling(x: float, percentage_up: float = 1.05) -> float:
    if x == 0:
        return 0.0
    n = _r_nchar(math.ceil(x * percentage_up)) - 2
    return math.ceil(x * percentage_up / 10**n) * 10**n


def _big_mark(number: float) -> str:
    text = format_number(number)
    whole, dot, frac = text.partition(".")
    return f"{int(whole):,}" + dot + frac


# ----------------------------------------------------------------- significance
def assign_funnel_significance(
    data: pd.DataFrame,
    numerator: Hashable,
    denominator: Hashable | None = None,
    *,
    statistic: Statistic,
    rate: Hashable | None = None,
    rate_type: Literal["dsr", "crude"] | None = None,
    multiplier: float | None = None,
) -> pd.DataFrame:
    """Label each area as inside or outside the 95% and 99.8% funnel limits.

    Parameters
    ----------
    data, numerator, denominator, statistic, rate, rate_type
        As for :func:`funnel_limits`.
    multiplier : float, optional
        Required for rates (the rate's "per").

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with a categorical ``significance`` column:
        ``"High (0.001)"``, ``"High (0.025)"``, ``"Low (0.001)"``,
        ``"Low (0.025)"``, ``"Not significant"`` or, for DSRs of fewer than
        10 events, ``"Not applicable for events less than 10 for dsrs"``.

    References
    ----------
    Spiegelhalter 2005; PHEindicatormethods ``assign_funnel_significance``.
    """
    statistic = _check_statistic(statistic)
    out = data.copy()
    if statistic == "rate":
        if multiplier is None:
            raise StatsInputError("multiplier is required for rates")
        mult = check_multiplier(multiplier)
        rate_kind = _check_choice(rate_type, ("dsr", "crude"), "rate_type")
        num, derived = _rate_denominators(data, numerator, denominator, rate, rate_kind, mult)
        average = num.sum() / np.nansum(derived)
        label = _poisson_significance(num, derived, average)
        if rate_kind == "dsr":
            label = np.where(num < 10, SIGNIFICANCE_LEVELS[5], label)
    else:
        if denominator is None:
            raise StatsInputError(f"a denominator column is required for {statistic}s")
        num, den = _counts_and_denominators(data, numerator, denominator, statistic)
        if statistic == "proportion":
            label = _proportion_significance(num, den)
        else:
            label = _poisson_significance(num, den, 1.0)
    levels = list(SIGNIFICANCE_LEVELS[: 6 if statistic == "rate" else 5])
    out["significance"] = pd.Categorical(label, categories=levels)
    return out


def _proportion_significance(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    average = num.sum() / den.sum()
    value = num / den
    conditions = [
        value < _sigma_adjustment(0.999, den, average, "low", 1),
        value < _sigma_adjustment(0.975, den, average, "low", 1),
        value > _sigma_adjustment(0.999, den, average, "high", 1),
        value > _sigma_adjustment(0.975, den, average, "high", 1),
    ]
    choices = ["Low (0.001)", "Low (0.025)", "High (0.001)", "High (0.025)"]
    return np.select(conditions, choices, default="Not significant").astype(object)


def _poisson_significance(num: np.ndarray, den: np.ndarray, reference: float) -> np.ndarray:
    """Compare ``reference`` with the Poisson limits of ``num`` divided by ``den``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        low_998, high_998, _ = poisson_count_limits(num, 0.998)
        low_95, high_95, _ = poisson_count_limits(num, 0.95)
        conditions = [
            reference < low_998 / den,
            reference < low_95 / den,
            reference > high_998 / den,
            reference > high_95 / den,
        ]
    choices = ["High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)"]
    return np.select(conditions, choices, default="Not significant").astype(object)


# ------------------------------------------------------------------------ points
def funnel_points(
    data: pd.DataFrame,
    numerator: Hashable,
    rate: Hashable,
    *,
    rate_type: Literal["dsr", "crude"],
    years_of_data: float,
    multiplier: float,
    denominator: Hashable | None = None,
) -> pd.DataFrame:
    """Chart coordinates of areas on a rate funnel (``calculate_funnel_points``).

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with ``<rate>_chart`` (DSRs of fewer than 10 events
        left out) and ``denominator_derived``: the annual population implied by
        ``multiplier * events / rate / years_of_data`` (or the supplied
        denominator for zero-event areas).

    Raises
    ------
    StatsInputError
        Missing columns, invalid options, or zero-event areas without a denominator.

    References
    ----------
    PHEindicatormethods ``calculate_funnel_points``; Fingertips technical guide.
    """
    rate_kind = _check_choice(rate_type, ("dsr", "crude"), "rate_type")
    years = _check_years(years_of_data)
    mult = check_multiplier(multiplier)
    require_columns(data, [numerator, rate, *([denominator] if denominator is not None else [])])
    num = numeric_column(data, numerator)
    rates = numeric_column(data, rate)
    if np.any(num == 0) and denominator is None:
        raise StatsInputError(_ZERO_NEEDS_DENOMINATOR)
    out = data.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = mult * num / rates / years
    if rate_kind == "dsr":
        out[f"{rate}_chart"] = np.where(num < 10, np.nan, rates)
        out["denominator_derived"] = np.where(num < 10, np.nan, derived)
    else:
        out[f"{rate}_chart"] = rates
        if denominator is not None:
            den = numeric_column(data, denominator)
            fail_rows((num == 0) & ~(den > 0), data.index, _ZERO_NEEDS_DENOMINATOR_VALUE, denominator)
            derived = np.where(num == 0, den / years, derived)
        out["denominator_derived"] = derived
    return out


# ------------------------------------------------------------------------ inputs
_ZERO_NEEDS_DENOMINATOR = (
    "for rates, where there are 0 events for a record, the denominator field needs "
    "to be provided using the denominator argument"
)
_ZERO_NEEDS_DENOMINATOR_VALUE = (
    "for rates, where there are 0 events for a record, the denominator must be provided"
)


def _check_statistic(statistic: object) -> Statistic:
    if statistic not in ("proportion", "rate", "ratio"):
        raise StatsInputError(
            f"statistic must be provided as 'proportion', 'rate' or 'ratio', got {statistic!r}"
        )
    return statistic


def _check_choice(value: object, choices: tuple[str, ...], name: str) -> str:
    if value not in choices:
        raise StatsInputError(f"{name} must be one of {choices!r}, got {value!r}")
    return str(value)


def _check_years(years: float | None) -> float:
    if years is None or isinstance(years, bool) or not isinstance(years, (int, float)):
        raise StatsInputError(f"years_of_data (a positive number) is required for rates, got {years!r}")
    if not (math.isfinite(years) and years > 0):
        raise StatsInputError(f"years_of_data must be a positive number, got {years!r}")
    return float(years)


def _counts_and_denominators(
    data: pd.DataFrame, numerator: Hashable, denominator: Hashable, statistic: str
) -> tuple[np.ndarray, np.ndarray]:
    require_columns(data, [numerator, denominator])
    num, den = numeric_column(data, numerator), numeric_column(data, denominator)
    if len(num) == 0:
        raise StatsInputError("data has no rows")
    for values, column in ((num, numerator), (den, denominator)):
        fail_rows(
            np.isnan(values),
            data.index,
            f"for {statistic}s, numerators and denominators must be provided for all "
            "records, even when their values are zero",
            column,
        )
    fail_rows(num < 0, data.index, "numerators must be greater than or equal to zero", numerator)
    fail_rows(den <= 0, data.index, "denominators must be greater than zero", denominator)
    if statistic == "proportion":
        fail_rows(
            num > den,
            data.index,
            "numerators must be less than or equal to denominator for a proportion statistic",
            numerator,
        )
    return num, den


def _rate_denominators(
    data: pd.DataFrame,
    numerator: Hashable,
    denominator: Hashable | None,
    rate: Hashable | None,
    rate_type: str,
    mult: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Events and the denominators implied by the rates (``mult * events / rate``)."""
    if rate is None:
        raise StatsInputError("a rate column is required for rates")
    require_columns(data, [numerator, rate, *([denominator] if denominator is not None else [])])
    num, rates = numeric_column(data, numerator), numeric_column(data, rate)
    if len(num) == 0:
        raise StatsInputError("data has no rows")
    fail_rows(
        np.isnan(num),
        data.index,
        "for rates, numerators must be provided for all records, even when their values are zero",
        numerator,
    )
    fail_rows(num < 0, data.index, "numerators must be greater than or equal to zero", numerator)
    zero = num == 0
    if zero.any() and denominator is None:
        raise StatsInputError(_ZERO_NEEDS_DENOMINATOR)
    fail_rows(
        np.isnan(rates) & ~zero,
        data.index,
        "for rates, rates must be provided for all records, or a denominator must be "
        "provided if the rate is zero",
        rate,
    )
    fail_rows((rates <= 0) & ~zero, data.index, "rates must be greater than zero", rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = mult * num / rates
    if rate_type == "dsr":
        derived = np.where(zero, np.nan, derived)
    elif zero.any():
        den = numeric_column(data, denominator)
        fail_rows(zero & ~(den > 0), data.index, _ZERO_NEEDS_DENOMINATOR_VALUE, denominator)
        derived = np.where(zero, den, derived)
    if np.all(np.isnan(derived)):
        raise StatsInputError("no area has events, so no funnel can be drawn")
    return num, derived

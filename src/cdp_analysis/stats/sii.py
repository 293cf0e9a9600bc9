"""Slope and relative index of inequality (``phe_sii``).

Quantiles (e.g. deprivation deciles, most deprived first) get a relative rank
``b`` = the midpoint of their share of the cumulative population, and the
indicator is regressed on ``b`` by least squares weighted by population share
``a`` (the ``sqrt(a)`` transformation of Low & Low 2004). The SII is the slope
(fitted value at ``b = 1`` minus at ``b = 0``); the RII is the ratio of those
fitted values. Point estimates are exact; confidence limits come from Monte
Carlo simulation of each quantile's value from its standard error, as in
PHEindicatormethods 2.1.0 (``R/SII.R``, ``SimulationFunc`` in ``R/utils.R``).

Rates and proportions (``value_type`` 1 and 2) are simulated on the log or
logit scale; with ``transform=True`` the regression itself is on that scale
and results are transformed back.

References
----------
Low A, Low A. Measuring the gap: quantifying and comparing local health
inequalities. J Public Health 2004;26:388-395.
Mackenbach JP, Kunst AE. Measuring the magnitude of socio-economic
inequalities in health. Soc Sci Med 1997;44:757-771.
Public Health England. Fingertips Public Health Technical Guide: slope index
of inequality.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats._validate import (
    ConfidenceArg,
    check_multiplier,
    confidence_label,
    confidence_levels,
    fail_rows,
    group_columns,
    numeric_column,
    require_columns,
)

__all__ = ["sii"]

_MIN_REPETITIONS = 1000
_MIN_QUANTILES, _MAX_QUANTILES, _WARN_QUANTILES = 5, 100, 10
_VALUE_TYPES = {0: 0, 1: 1, 2: 2, "normal": 0, "other": 0, "rate": 1, "proportion": 2}
#: SEs derived from confidence limits assume 95% limits, as in PHEindicatormethods.
_Z95 = float(stats.norm.ppf(0.975))


def sii(
    data: pd.DataFrame,
    quantile: Hashable,
    population: Hashable,
    *,
    value: Hashable | None = None,
    x: Hashable | None = None,
    value_type: int | str = 0,
    lower_cl: Hashable | None = None,
    upper_cl: Hashable | None = None,
    se: Hashable | None = None,
    multiplier: float = 1,
    repetitions: int = 100_000,
    confidence: ConfidenceArg = 0.95,
    rii: bool = False,
    intercept: bool = False,
    transform: bool = False,
    group_by: Hashable | Sequence[Hashable] | None = None,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Slope index of inequality (and optionally RII) per group, with simulated CIs.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per quantile per group (5 to 100 quantiles, ordered from most
        to least deprived by the ``quantile`` column).
    quantile, population : column names
        Quantile number and its population (``> 0``).
    value : column name, optional
        Indicator value per quantile. For proportions it may be omitted and
        computed as ``x / population``.
    x : column name, optional
        Numerator (proportions only).
    value_type : {0, 1, 2} or {"normal", "rate", "proportion"}, default 0
        0 = other (e.g. life expectancy), 1 = rate (log scale), 2 = proportion
        (logit scale, values in 0-1).
    lower_cl, upper_cl : column names, optional
        95% limits of the values, used to derive standard errors (on the
        log/logit scale for rates/proportions) when ``se`` is not given.
    se : column name, optional
        Standard error of each value (on the log/logit scale for types 1 and 2).
    multiplier : float, default 1
        Scales the SII (e.g. 100 for percentages); a negative multiplier also
        inverts the RII, to flip polarity.
    repetitions : int, default 100000
        Simulation size (at least 1000).
    confidence : float or sequence of float, default 0.95
        One level gives ``sii_lower_ci``/``sii_upper_ci`` (and ``rii_*``);
        several give ``sii_lower95_0cl`` ... per level.
    rii, intercept : bool, default False
        Also return the RII (with limits) and the regression intercept.
    transform : bool, default False
        Regress on the log (rates) or logit (proportions) scale; needs
        ``lower_cl``/``upper_cl`` and no ``se``.
    group_by : column name(s), optional
        One SII per group; groups missing any quantile are dropped with a warning.
    seed : int or numpy.random.Generator, optional
        For reproducible confidence limits.

    Returns
    -------
    pandas.DataFrame
        Per group: ``sii``, (``rii``), limit columns, (``intercept``),
        ``confidence`` and ``method`` (``"simulation <n> reps"``).

    Raises
    ------
    StatsInputError
        Missing required fields, non-positive or missing populations, negative
        or missing standard errors or limits, proportions outside 0-1,
        non-positive counts, fewer than 5 or more than 100 quantiles, fewer
        than 1000 repetitions, or invalid options.

    Warns
    -----
    UserWarning
        More than 10 quantiles, or groups dropped for incomplete data.

    References
    ----------
    Low & Low 2004; PHEindicatormethods ``phe_sii``.
    """
    levels = confidence_levels(confidence)
    kind = _check_options(value, x, se, lower_cl, upper_cl, value_type, transform, repetitions)
    mult = check_multiplier(multiplier, positive=False)
    keys = group_columns(group_by)
    fields = [c for c in (value, x, se, lower_cl, upper_cl) if c is not None]
    require_columns(data, [quantile, population, *keys, *fields])
    frame = _validated_frame(data, quantile, population, value, x, se, lower_cl, upper_cl, kind)

    quantiles = frame["quantile"].dropna().unique()
    if not _MIN_QUANTILES <= len(quantiles) <= _MAX_QUANTILES:
        raise StatsInputError(
            f"Number of quantiles must be between {_MIN_QUANTILES} and {_MAX_QUANTILES}, "
            f"got {len(quantiles)}"
        )
    if len(quantiles) > _WARN_QUANTILES:
        warnings.warn(
            "Small values can make SII unstable when using a large number of quantiles",
            UserWarning,
            stacklevel=2,
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    rows: list[dict[Hashable, object]] = []
    grouped = frame.groupby([data[k] for k in keys], sort=True, dropna=False) if keys else [((), frame)]
    dropped = 0
    for label, group in grouped:
        complete = group.dropna(subset=["se"])
        if complete["quantile"].nunique() != len(quantiles) or len(complete) != len(quantiles):
            dropped += 1
            continue
        label = label if isinstance(label, tuple) else (label,)
        result = _one_group(
            complete.sort_values("quantile"), kind, mult, repetitions, levels, transform, rng
        )
        row: dict[Hashable, object] = dict(zip(keys, label))
        row.update(result)
        rows.append(row)
    if dropped:
        warnings.warn(
            f"{dropped} group(s) removed due to incomplete or invalid data",
            UserWarning,
            stacklevel=2,
        )
    out = pd.DataFrame(rows, columns=_columns(keys, levels, rii, intercept))
    out["confidence"] = confidence_label(levels)
    out["method"] = f"simulation {repetitions} reps"
    return out


def _check_options(
    value: Hashable | None,
    x: Hashable | None,
    se: Hashable | None,
    lower_cl: Hashable | None,
    upper_cl: Hashable | None,
    value_type: int | str,
    transform: bool,
    repetitions: int,
) -> int:
    if value is None and x is None:
        raise StatsInputError(
            "phe_sii needs a value column, or an x column if the indicator is a proportion"
        )
    if se is None and (lower_cl is None or upper_cl is None):
        raise StatsInputError("sii needs either lower_cl and upper_cl columns, or an se column")
    if isinstance(value_type, bool) or value_type not in _VALUE_TYPES:
        raise StatsInputError(f"value_type should be 0, 1 or 2, got {value_type!r}")
    kind = _VALUE_TYPES[value_type]
    if value is None and kind != 2:
        raise StatsInputError("a value column is needed unless the indicator is a proportion")
    if isinstance(repetitions, bool) or not isinstance(repetitions, (int, np.integer)):
        raise StatsInputError(f"repetitions must be a whole number, got {repetitions!r}")
    if repetitions < _MIN_REPETITIONS:
        raise StatsInputError(
            f"number of repetitions must be {_MIN_REPETITIONS} or greater, got {repetitions}"
        )
    if transform and kind == 0:
        raise StatsInputError("value_type should be 1 or 2 when transform is true")
    if transform and se is not None:
        raise StatsInputError("se must be missing when transform is true (limits are used)")
    return kind


def _validated_frame(
    data: pd.DataFrame,
    quantile: Hashable,
    population: Hashable,
    value: Hashable | None,
    x: Hashable | None,
    se: Hashable | None,
    lower_cl: Hashable | None,
    upper_cl: Hashable | None,
    kind: int,
) -> pd.DataFrame:
    index = data.index
    frame = pd.DataFrame(index=index)
    frame["quantile"] = data[quantile].to_numpy()
    pops = numeric_column(data, population)
    fail_rows(~(pops > 0), index, "some groups have a zero, negative or missing population", population)
    frame["a_raw"] = pops
    if value is not None:
        values = numeric_column(data, value)
    else:
        counts = numeric_column(data, x)
        fail_rows(~(counts > 0), index, "some groups have a zero or negative count x", x)
        values = counts / pops
    value_column = value if value is not None else x
    if kind == 2:
        fail_rows(
            (values < 0) | (values > 1),
            index,
            "value proportions are not all between 0 and 1",
            value_column,
        )
    if kind == 1:
        fail_rows(values <= 0, index, "rates must be greater than zero", value_column)
    frame["value"] = _link(values, kind)
    if se is not None:
        ses = numeric_column(data, se)
        fail_rows(~(ses >= 0), index, "negative or missing standard errors in input dataset", se)
        frame["se"] = ses
    else:
        lower, upper = numeric_column(data, lower_cl), numeric_column(data, upper_cl)
        missing = np.isnan(lower) | np.isnan(upper)
        fail_rows(missing, index, "missing lower or upper confidence limits in input dataset", lower_cl)
        if kind == 2:
            bad = (lower < 0) | (lower > 1) | (upper < 0) | (upper > 1)
            fail_rows(bad, index, "confidence limit proportions are not all between 0 and 1", lower_cl)
        frame["se"] = (_link(upper, kind) - _link(lower, kind)) / _Z95 / 2
    frame.loc[np.isnan(frame["value"].to_numpy()), "se"] = np.nan
    return frame


def _link(values: np.ndarray, kind: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == 1:
            return np.log(values)
        if kind == 2:
            return np.log(values / (1 - values))
    return values


def _inverse_link(values: np.ndarray, kind: int) -> np.ndarray:
    if kind == 1:
        return np.exp(values)
    if kind == 2:
        return np.exp(values) / (1 + np.exp(values))
    return values


def _one_group(
    group: pd.DataFrame,
    kind: int,
    mult: float,
    repetitions: int,
    levels: tuple[float, ...],
    transform: bool,
    rng: np.random.Generator,
) -> dict[str, float]:
    """SII, RII, intercept and simulated limits of one group (sorted by quantile)."""
    pops = group["a_raw"].to_numpy()
    a = pops / pops.sum()
    b = np.cumsum(a) - a / 2
    sqrt_a = np.sqrt(a)
    design = np.vstack([sqrt_a, b * sqrt_a])  # 2 x k, the transposed design matrix
    projector = np.linalg.solve(design @ design.T, design)  # (X'X)^-1 X'
    link_values = group["value"].to_numpy()
    y = link_values if transform else _inverse_link(link_values, kind)
    base, slope = projector @ (sqrt_a * y)

    # one column per replicate: every quantile's value drawn from N(value, se)
    draws = rng.normal(link_values[:, None], group["se"].to_numpy()[:, None], (len(a), repetitions))
    simulated = draws if transform else _inverse_link(draws, kind)
    sims = projector @ (simulated * sqrt_a[:, None])  # row 0: intercepts, row 1: slopes

    result: dict[str, float] = {}
    if not transform:
        result["sii"] = mult * slope
        ratio = (base + slope) / base
        result["rii"] = 1 / ratio if mult < 0 else ratio
        result["intercept"] = base
        sii_sims = np.sort(mult * sims[1])
        rii_sims = (sims[1] + sims[0]) / sims[0]
        rii_sims = np.sort(1 / rii_sims if mult < 0 else rii_sims)
        for level in levels:
            low, high = _positions(repetitions, level)
            names = _limit_names(levels, level)
            result[names["sii_lower"]], result[names["sii_upper"]] = sii_sims[low], sii_sims[high]
            result[names["rii_lower"]], result[names["rii_upper"]] = rii_sims[low], rii_sims[high]
        return result

    at_one, at_zero = float(_inverse_link(base + slope, kind)), float(_inverse_link(base, kind))
    result["sii"] = (at_one - at_zero) * mult
    result["rii"] = at_zero / at_one if mult < 0 else at_one / at_zero
    result["intercept"] = at_zero * abs(mult)
    middle = base + slope / 2
    sim_slope = np.sort(sims[1])
    for level in levels:
        low, high = _positions(repetitions, level)
        names = _limit_names(levels, level)
        # fitted values at b = 0 and b = 1 for the lower and upper simulated slopes,
        # pivoting about the fitted value at b = 1/2
        ends = {}
        for tag, s in (("l", sim_slope[low]), ("u", sim_slope[high])):
            ends[tag] = (_inverse_link(middle - s / 2, kind), _inverse_link(middle + s / 2, kind))
        first, second = ("u", "l") if mult < 0 else ("l", "u")
        for tag, name in ((first, "lower"), (second, "upper")):
            start, end = ends[tag]
            result[names[f"sii_{name}"]] = (end - start) * mult
            result[names[f"rii_{name}"]] = start / end if mult < 0 else end / start
    return result


def _positions(repetitions: int, level: float) -> tuple[int, int]:
    """0-based indices of the lower and upper percentiles, as R's ``round()`` picks them."""
    upper_tail = level + (1 - level) / 2
    low = max(int(round(repetitions * (1 - upper_tail))), 1)
    high = int(round(repetitions * upper_tail))
    return low - 1, high - 1


def _limit_names(levels: tuple[float, ...], level: float) -> dict[str, str]:
    if len(levels) == 1:
        suffix = "_ci"
    else:
        suffix = f"{level * 100:.1f}".replace(".", "_") + "cl"
    return {
        f"{stat}_{bound}": f"{stat}_{bound}{suffix}"
        for stat in ("sii", "rii")
        for bound in ("lower", "upper")
    }


def _columns(
    keys: list[Hashable], levels: tuple[float, ...], want_rii: bool, want_intercept: bool
) -> list[Hashable]:
    columns: list[Hashable] = [*keys, "sii"]
    if want_rii:
        columns.append("rii")
    for stat in ("sii", "rii") if want_rii else ("sii",):
        for level in levels:
            names = _limit_names(levels, level)
            columns += [names[f"{stat}_lower"], names[f"{stat}_upper"]]
    if want_intercept:
        columns.append("intercept")
    return columns

"""Directly standardised rates with Dobson confidence intervals (``calculate_dsr``).

``DSR = sum(w_i * x_i / n_i) / sum(w_i) * multiplier`` with standard population
weights ``w_i`` (the 2013 European Standard Population by default) and
``var(DSR) = sum(w_i^2 * x_i / n_i^2) / (sum w_i)^2``. With ``O = sum(x_i)``
and Byar's limits ``O_L, O_U`` of ``O``, the limits are
``DSR + sqrt(var / O) * (O_L|U - O) * multiplier``. DSRs are not calculated
for fewer than 10 events.

For non-independent events (people counted more than once, e.g. repeat
admissions), pass ``eventfreq``: ``x`` then holds the number of *people* with
that many events, and the variance is ``sum_f f^2 var_f`` (PHEindicatormethods
2.0+ "Dobson, with confidence adjusted for non-independent events").

References
----------
Dobson AJ, Kuulasmaa K, Eberle E, Scherer J. Confidence intervals for weighted
sums of Poisson parameters. Stat Med 1991;10:457-462.
Breslow NE, Day NE. Statistical methods in cancer research, volume II. Lyon:
IARC; 1987.
Eurostat. Revision of the European Standard Population: report of Eurostat's
task force. Luxembourg; 2013.
Public Health England. Fingertips Public Health Technical Guide: directly
standardised rates. PHEindicatormethods 2.1.0, ``R/DSR.R``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats._limits import byars_lower, byars_upper
from cdp_analysis.stats._validate import (
    ConfidenceArg,
    check_multiplier,
    confidence_label,
    confidence_levels,
    fail_rows,
    format_number,
    group_columns,
    limit_names,
    numeric_column,
    require_columns,
)

__all__ = ["dsr", "esp2013", "esp2013_band", "ESP2013_AGEBANDS", "ESP2013_WEIGHTS", "MIN_DSR_COUNT"]

#: Five-year age bands of the 2013 European Standard Population (19 bands).
ESP2013_AGEBANDS: tuple[str, ...] = (
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44",
    "45-49", "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84",
    "85-89", "90+",
)  # fmt: skip

#: 2013 European Standard Population per band (sums to 100,000).
ESP2013_WEIGHTS: tuple[int, ...] = (
    5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000,
    5500, 5000, 4000, 2500, 1500, 1000,
)  # fmt: skip

#: DSRs (and their limits) are set to missing below this total count.
MIN_DSR_COUNT = 10

_NA_STATISTIC = "dsr NA for total count < 10"
_STDPOP = "__stdpop__"
_GROUP = "__group__"


def esp2013() -> pd.DataFrame:
    """The 2013 European Standard Population: columns ``ageband`` and ``esp2013``.

    References
    ----------
    Eurostat 2013; PHEindicatormethods dataset ``esp2013``.
    """
    return pd.DataFrame({"ageband": list(ESP2013_AGEBANDS), "esp2013": list(ESP2013_WEIGHTS)})


def esp2013_band(ages: ArrayLike) -> np.ndarray:
    """Position in :data:`ESP2013_AGEBANDS` of each single year of age (90 and over: ``90+``).

    Examples
    --------
    >>> esp2013_band([0, 4, 5, 89, 90, 104]).tolist()
    [0, 0, 1, 17, 18, 18]
    """
    years = np.asarray(ages)
    if years.size and (years.min() < 0):
        raise StatsInputError("ages must be zero or more")
    return np.minimum(years // 5, len(ESP2013_AGEBANDS) - 1).astype("int64")


def dsr(
    data: pd.DataFrame,
    x: Hashable,
    n: Hashable,
    *,
    stdpop: Hashable | Sequence[float] | None = None,
    group_by: Hashable | Sequence[Hashable] | None = None,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 100_000,
    eventfreq: Hashable | None = None,
    ageband: Hashable | None = None,
    missing: Literal["raise", "zero"] = "raise",
) -> pd.DataFrame:
    """Directly standardised rates, one per group, with Dobson confidence limits.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per standardisation category (age band) per group, ordered
        youngest to oldest within each group when weights are given by position.
    x : column name
        Events per band (or, with ``eventfreq``, people with that many events).
    n : column name
        Population per band (``> 0``).
    stdpop : column name, sequence of float, or None
        Standard population. ``None`` (default) uses ESP2013 by position, so
        each group must have the 19 bands 0-4 ... 90+ in order; a sequence is
        matched by position; a column name is read row by row.
    group_by : column name(s), optional
        One DSR per group (e.g. area and period); all rows otherwise.
    confidence : float or sequence of float, default 0.95
        One level gives ``lower_ci``/``upper_ci``; several give
        ``lower95_0cl, upper95_0cl, ...``.
    multiplier : float, default 100000
        Rate per ``multiplier``.
    eventfreq : column name, optional
        Event frequency per person (1, 2, 3, ...), for non-independent events;
        requires ``ageband``.
    ageband : column name, optional
        Standardisation category label, used with ``eventfreq``.
    missing : {"raise", "zero"}, default "raise"
        Missing event counts raise, or count as zero events (what
        PHEindicatormethods does, e.g. for an age band with no recorded deaths).

    Returns
    -------
    pandas.DataFrame
        Per group: ``total_count``, ``total_pop``, ``value``, limits,
        ``confidence``, ``statistic``, ``method``. Value and limits are NaN
        when ``total_count < 10`` (statistic ``"dsr NA for total count < 10"``).

    Raises
    ------
    StatsInputError
        Negative or non-numeric counts, populations ``<= 0`` or missing,
        negative standard populations, groups of unequal size, a standard
        population of the wrong length, or invalid confidence.

    References
    ----------
    Dobson et al. 1991; Breslow & Day 1987; Fingertips technical guide;
    PHEindicatormethods ``calculate_dsr``.
    """
    levels = confidence_levels(confidence)
    mult = check_multiplier(multiplier)
    keys = group_columns(group_by)
    if (eventfreq is None) != (ageband is None):
        raise StatsInputError("eventfreq and ageband must be given together (non-independent events)")
    extra = [c for c in (eventfreq, ageband) if c is not None]
    stdpop_col = stdpop if _is_column(stdpop) else None
    require_columns(data, [x, n, *keys, *extra, *([stdpop_col] if stdpop_col is not None else [])])

    frame = _prepare(data, x, n, keys, stdpop, eventfreq, missing)
    if eventfreq is None:
        table = _dobson(frame, [_GROUP], None)
    else:
        frame["band"] = data[ageband].to_numpy()
        table = _non_independent(frame)
    return _finish(data, keys, table, levels, mult, non_independent=eventfreq is not None)


def _is_column(stdpop: object) -> bool:
    """A string (or other scalar label) names a column; sequences are weights."""
    if isinstance(stdpop, str):
        return True
    return stdpop is not None and not isinstance(stdpop, (Sequence, np.ndarray, pd.Series))


def _prepare(
    data: pd.DataFrame,
    x: Hashable,
    n: Hashable,
    keys: list[Hashable],
    stdpop: Hashable | Sequence[float] | None,
    eventfreq: Hashable | None,
    missing: str,
) -> pd.DataFrame:
    if missing not in ("raise", "zero"):
        raise StatsInputError(f"missing must be 'raise' or 'zero', got {missing!r}")
    xs, ns = numeric_column(data, x), numeric_column(data, n)
    if missing == "raise":
        fail_rows(np.isnan(xs), data.index, "missing event count where a number is needed", x)
    xs = np.where(np.isnan(xs), 0.0, xs)
    fail_rows(xs < 0, data.index, "numerators must all be greater than or equal to zero", x)
    fail_rows(~(ns > 0), data.index, "denominators must all be greater than zero", n)
    fail_rows(np.isinf(xs), data.index, "values must be finite", x)
    fail_rows(np.isinf(ns), data.index, "values must be finite", n)
    frame = pd.DataFrame({"x": xs, "n": ns}, index=data.index)
    frame[_GROUP] = _group_ids(data, keys)
    if eventfreq is not None:
        frame["freq"] = numeric_column(data, eventfreq)
        fail_rows(
            ~(frame["freq"].to_numpy() > 0), data.index, "event frequencies must be positive", eventfreq
        )
    subgroup = [_GROUP] + (["freq"] if eventfreq is not None else [])
    sizes = frame.groupby(subgroup, sort=False)["x"].transform("size").to_numpy()
    if _is_column(stdpop):
        weights = numeric_column(data, stdpop)
    else:
        # weights matched by position need every group to have the same bands
        if len(set(sizes)) > 1:
            raise StatsInputError("data must contain the same number of rows for each group")
        vector = np.asarray(ESP2013_WEIGHTS if stdpop is None else stdpop, dtype="float64")
        if sizes.size and vector.size != sizes[0]:
            what = "ESP2013 (19 age bands)" if stdpop is None else "stdpop"
            raise StatsInputError(
                f"{what} length {vector.size} must equal the number of rows in each group "
                f"({sizes[0]})"
            )
        position = frame.groupby(subgroup, sort=False).cumcount().to_numpy()
        weights = vector[position] if vector.size else np.array([], dtype="float64")
    fail_rows(
        ~(weights >= 0), data.index, "standard populations must all be zero or more", "stdpop"
    )
    frame[_STDPOP] = weights
    return frame


def _group_ids(data: pd.DataFrame, keys: list[Hashable]) -> np.ndarray:
    if not keys:
        return np.zeros(len(data), dtype="int64")
    return data.groupby(keys, sort=True, dropna=False).ngroup().to_numpy()


def _dobson(frame: pd.DataFrame, by: list[str], variance: pd.Series | None) -> pd.DataFrame:
    """Sum a frame of x, n, weights into DSR components per ``by`` group."""
    work = frame.assign(
        wt_rate=frame["x"] * frame[_STDPOP] / frame["n"],
        sq_rate=frame["x"] * (frame[_STDPOP] / frame["n"]) ** 2,
    )
    summed = work.groupby(by, sort=True).agg(
        total_count=("x", "sum"),
        total_pop=("n", "sum"),
        wt_rate=("wt_rate", "sum"),
        sq_rate=("sq_rate", "sum"),
        stdpop=(_STDPOP, "sum"),
    )
    summed["rate"] = summed["wt_rate"] / summed["stdpop"]
    summed["vardsr"] = summed["sq_rate"] / summed["stdpop"] ** 2
    if variance is not None:
        summed["vardsr"] = variance.reindex(summed.index)
    return summed


def _non_independent(frame: pd.DataFrame) -> pd.DataFrame:
    """DSR of events with the variance summed over event frequencies: sum_f f^2 var_f."""
    per_freq = _dobson(frame, [_GROUP, "freq"], None).reset_index()
    per_freq["freqvar"] = per_freq["vardsr"] * per_freq["freq"] ** 2
    variance = per_freq.groupby(_GROUP)["freqvar"].sum()
    # one row per group and age band: events = sum over frequencies of people x frequency
    frame = frame.assign(events=frame["x"] * frame["freq"])
    bands = frame.groupby([_GROUP, "band"], sort=False, dropna=False).agg(
        x=("events", "sum"),
        n=("n", "first"),
        n_distinct=("n", "nunique"),
        w_distinct=(_STDPOP, "nunique"),
        **{_STDPOP: (_STDPOP, "first")},
    )
    if (bands["n_distinct"] > 1).any() or (bands["w_distinct"] > 1).any():
        raise StatsInputError(
            "populations and standard populations must be the same for every event "
            "frequency within an age band"
        )
    return _dobson(bands.reset_index(), [_GROUP], variance)


def _finish(
    data: pd.DataFrame,
    keys: list[Hashable],
    table: pd.DataFrame,
    levels: tuple[float, ...],
    mult: float,
    *,
    non_independent: bool,
) -> pd.DataFrame:
    if keys:
        labels = data.groupby(keys, sort=True, dropna=False).size().index.to_frame(index=False)
        out = labels.iloc[table.index.to_numpy()].reset_index(drop=True)
    else:
        out = pd.DataFrame(index=range(len(table)))
    count = table["total_count"].to_numpy()
    value = table["rate"].to_numpy() * mult
    variance = table["vardsr"].to_numpy()
    too_few = count < MIN_DSR_COUNT
    out["total_count"] = count
    out["total_pop"] = table["total_pop"].to_numpy()
    out["value"] = np.where(too_few, np.nan, value)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.sqrt(variance / count) * mult
        for level in levels:
            lower_name, upper_name = limit_names(level, levels)
            lower = value + spread * (byars_lower(count, level) - count)
            upper = value + spread * (byars_upper(count, level) - count)
            out[lower_name] = np.where(too_few, np.nan, lower)
            out[upper_name] = np.where(too_few, np.nan, upper)
    out["confidence"] = confidence_label(levels)
    out["statistic"] = np.where(too_few, _NA_STATISTIC, f"dsr per {format_number(mult)}")
    out["method"] = (
        "Dobson, with confidence adjusted for non-independent events"
        if non_independent
        else "Dobson"
    )
    return out

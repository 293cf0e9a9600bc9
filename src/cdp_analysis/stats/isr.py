"""Indirectly standardised ratios and rates (``calculate_ISRatio``, ``calculate_ISRate``).

Expected events ``E = sum(ref_rate_i * n_i)`` with reference band rates
``x_ref_i / n_ref_i``. The ratio is ``O / E`` (times ``multiplier``, e.g. 100
for an SMR on the 100 scale); the rate is ``O / E`` times the crude reference
rate ``sum(x_ref) / sum(n_ref) * multiplier``. Limits are those of the observed
count ``O`` (exact Poisson when ``O < 10``, Byar's otherwise) divided by ``E``.

References
----------
Breslow NE, Day NE. Statistical methods in cancer research, volume II. Lyon:
IARC; 1987.
Armitage P, Berry G. Statistical methods in medical research (4th edn).
Oxford: Blackwell; 2002.
Public Health England. Fingertips Public Health Technical Guide: indirectly
standardised ratios. PHEindicatormethods 2.1.0, ``R/ISRatio.R``, ``R/ISRate.R``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats._validate import (
    ConfidenceArg,
    check_multiplier,
    confidence_label,
    confidence_levels,
    fail_rows,
    format_number,
    group_columns,
    numeric_column,
    require_columns,
)
from cdp_analysis.stats.rate import add_poisson_limits

__all__ = ["isr"]

_GROUP = "__group__"


def isr(
    data: pd.DataFrame,
    x: Hashable,
    n: Hashable,
    x_ref: Hashable | Sequence[float],
    n_ref: Hashable | Sequence[float],
    *,
    statistic: Literal["ratio", "rate"] = "ratio",
    group_by: Hashable | Sequence[Hashable] | None = None,
    observed_totals: pd.DataFrame | None = None,
    confidence: ConfidenceArg = 0.95,
    multiplier: float | None = None,
    missing: Literal["raise", "zero"] = "raise",
) -> pd.DataFrame:
    """Indirectly standardised ratio or rate per group, with Byar's/exact limits.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per standardisation category (age band) per group, in the same
        category order as the reference when it is given by position.
    x : column name
        Observed events per band; or, with ``observed_totals``, the column of
        that frame holding each group's total.
    n : column name
        Population per band (``>= 0``; an empty band contributes nothing).
    x_ref, n_ref : column name or sequence of float
        Reference events and populations per band (by position if sequences).
    statistic : {"ratio", "rate"}, default "ratio"
        ``"ratio"``: ``O/E * multiplier`` (default multiplier 1);
        ``"rate"``: ``O/E * reference rate`` per ``multiplier`` (default 100000).
    group_by : column name(s), optional
        One result per group.
    observed_totals : pandas.DataFrame, optional
        Observed totals per group (columns ``group_by`` and ``x``), when
        observed events are not available by band.
    confidence : float or sequence of float, default 0.95
        One level gives ``lower_ci``/``upper_ci``; several give
        ``lower95_0cl, upper95_0cl, ...``.
    multiplier : float, optional
        See ``statistic``.
    missing : {"raise", "zero"}, default "raise"
        Missing observed counts, populations or reference counts raise, or
        count as zero (PHEindicatormethods' behaviour).

    Returns
    -------
    pandas.DataFrame
        Per group: ``observed``, ``expected``, (``ref_rate`` for rates),
        ``value``, limits, ``confidence``, ``statistic``, ``method``.

    Raises
    ------
    StatsInputError
        Negative counts or populations, reference populations ``<= 0``, groups
        of unequal size, reference vectors of the wrong length, no expected
        events, or invalid confidence.

    References
    ----------
    Breslow & Day 1987; Armitage & Berry 2002; Fingertips technical guide.
    """
    levels = confidence_levels(confidence)
    if statistic not in ("ratio", "rate"):
        raise StatsInputError(f"statistic must be 'ratio' or 'rate', got {statistic!r}")
    if missing not in ("raise", "zero"):
        raise StatsInputError(f"missing must be 'raise' or 'zero', got {missing!r}")
    default = 1 if statistic == "ratio" else 100_000
    mult = check_multiplier(default if multiplier is None else multiplier)
    keys = group_columns(group_by)
    ref_columns = [c for c in (x_ref, n_ref) if _is_column(c)]
    require_columns(data, [n, *keys, *ref_columns, *([x] if observed_totals is None else [])])

    frame = _reference(data, n, keys, x_ref, n_ref, missing)
    expected = frame.groupby(_GROUP, sort=True)["expected"].sum()
    labels = _labels(data, keys)
    out = labels.iloc[expected.index.to_numpy()].reset_index(drop=True)
    if observed_totals is None:
        xs = _values(data, x, missing, "numerators must all be greater than or equal to zero")
        observed = pd.Series(xs, index=frame.index).groupby(frame[_GROUP], sort=True).sum()
        out["observed"] = observed.to_numpy()
    else:
        out["observed"] = _join_totals(out, observed_totals, x, keys)
    out["expected"] = expected.to_numpy()
    if not (out["expected"] > 0).all():
        raise StatsInputError("expected events must be greater than zero in every group")

    if statistic == "rate":
        sums = frame.groupby(_GROUP, sort=True)[["x_ref", "n_ref"]].sum()
        scale = (sums["x_ref"] / sums["n_ref"]).to_numpy() * mult
        out["ref_rate"] = scale
        label = f"indirectly standardised rate per {format_number(mult)}"
    else:
        scale = np.full(len(out), mult)
        label = f"indirectly standardised ratio x {format_number(mult)}"
    observed_counts = out["observed"].to_numpy(dtype="float64")
    expected_counts = out["expected"].to_numpy(dtype="float64")
    out["value"] = observed_counts / expected_counts * scale
    method = add_poisson_limits(out, observed_counts, expected_counts / scale, levels)
    out["confidence"] = confidence_label(levels)
    out["statistic"] = label
    out["method"] = method
    return out


def _is_column(value: object) -> bool:
    if isinstance(value, str):
        return True
    return value is not None and not isinstance(value, (Sequence, np.ndarray, pd.Series))


def _values(data: pd.DataFrame, column: Hashable, missing: str, negative: str) -> np.ndarray:
    values = numeric_column(data, column)
    if missing == "raise":
        fail_rows(np.isnan(values), data.index, "missing value where a number is needed", column)
    values = np.where(np.isnan(values), 0.0, values)
    fail_rows(values < 0, data.index, negative, column)
    fail_rows(np.isinf(values), data.index, "values must be finite", column)
    return values


def _group_ids(data: pd.DataFrame, keys: list[Hashable]) -> np.ndarray:
    if not keys:
        return np.zeros(len(data), dtype="int64")
    return data.groupby(keys, sort=True, dropna=False).ngroup().to_numpy()


def _labels(data: pd.DataFrame, keys: list[Hashable]) -> pd.DataFrame:
    if not keys:
        return pd.DataFrame(index=range(1))
    return data.groupby(keys, sort=True, dropna=False).size().index.to_frame(index=False)


def _reference(
    data: pd.DataFrame,
    n: Hashable,
    keys: list[Hashable],
    x_ref: Hashable | Sequence[float],
    n_ref: Hashable | Sequence[float],
    missing: str,
) -> pd.DataFrame:
    groups = _group_ids(data, keys)
    sizes = pd.Series(groups).map(pd.Series(groups).value_counts()).to_numpy()
    if len(set(sizes)) > 1:
        raise StatsInputError("data must contain the same number of rows for each group")
    position = pd.Series(groups).groupby(groups).cumcount().to_numpy()
    ref = {}
    for name, arg in (("x_ref", x_ref), ("n_ref", n_ref)):
        if _is_column(arg):
            values = numeric_column(data, arg)
        else:
            vector = np.asarray(arg, dtype="float64")
            if sizes.size and vector.size != sizes[0]:
                raise StatsInputError(
                    f"{name} length {vector.size} must equal the number of rows in each "
                    f"group ({sizes[0]})"
                )
            values = vector[position]
        ref[name] = values
    ns = _values(data, n, missing, "denominators must all be greater than or equal to zero")
    x_refs = ref["x_ref"]
    if missing == "raise":
        fail_rows(np.isnan(x_refs), data.index, "missing reference count", "x_ref")
    x_refs = np.where(np.isnan(x_refs), 0.0, x_refs)
    fail_rows(x_refs < 0, data.index, "reference counts must all be zero or more", "x_ref")
    fail_rows(
        ~(ref["n_ref"] > 0), data.index, "reference populations must all be greater than zero", "n_ref"
    )
    return pd.DataFrame(
        {
            _GROUP: groups,
            "position": position,
            "x_ref": x_refs,
            "n_ref": ref["n_ref"],
            "expected": x_refs / ref["n_ref"] * ns,
        },
        index=data.index,
    )


def _join_totals(
    out: pd.DataFrame, totals: pd.DataFrame, x: Hashable, keys: list[Hashable]
) -> np.ndarray:
    require_columns(totals, [x, *keys])
    if keys:
        merged = out[keys].merge(totals[[*keys, x]], on=keys, how="left", validate="one_to_one")
        values = numeric_column(merged, x)
    else:
        if len(totals) != 1:
            raise StatsInputError("observed_totals must have one row when there are no groups")
        values = numeric_column(totals, x)
    fail_rows(np.isnan(values), out.index, "no observed total for group", x)
    fail_rows(values < 0, out.index, "numerators must all be greater than or equal to zero", x)
    return values

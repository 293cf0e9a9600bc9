"""NHS "Making Data Count" XmR statistical process control charts.

Mirrors NHSRplotthedots (``R/ptd_spc_standard.R``,
``R/ptd_calculate_point_type.R``, ``R/ptd_calculate_assurance_type.R``):

* centre line: mean of the baseline (the first ``fix_after_n_points`` points,
  or all points);
* moving ranges ``MR_i = |y_i - y_(i-1)|``, ``AMR = mean(MR)``; with
  ``screen_outliers`` moving ranges of ``3.267 * AMR`` or more are dropped and
  the AMR recomputed (the MDC Excel tool does not screen);
* process limits ``mean +/- 2.66 * AMR``; "near" limits at two thirds of that
  (about 2 sigma).

Special-cause rules, each point flagged if it is part of:

1. a point outside the process limits;
2. a run of 7 or more points on the same side of the mean (points on the mean
   break runs);
3. a trend of 7 or more points each strictly above (or below) the one before;
4. two out of three consecutive points beyond the near limits (but inside the
   process limits), all three on the same side of the mean.

References
----------
NHS England / NHS Improvement. Making Data Count. 2019 (and "Making Data
Count: getting started", 2019).
Wheeler DJ. Understanding variation: the key to managing chaos. SPC Press; 2000.
nhs-r-community/NHSRplotthedots, ``ptd_spc()``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from cdp_analysis.errors import StatsInputError

__all__ = ["spc", "SPC_LIMIT", "SPC_MR_SCREEN"]

#: Process limits sit this many average moving ranges from the mean (3 sigma).
SPC_LIMIT = 2.66
#: Moving ranges of this many AMRs or more are screened out.
SPC_MR_SCREEN = 3.267
_RUN = 7
_RECOMMENDED_POINTS = 12
_DIRECTIONS = {"increase": 1, "decrease": -1, "neutral": 0}


def spc(
    values: Sequence[float] | pd.Series,
    improvement_direction: Literal["increase", "decrease", "neutral"] = "increase",
    screen_outliers: bool = True,
    fix_after_n_points: int | None = None,
    target: float | None = None,
) -> pd.DataFrame:
    """XmR chart calculations and special-cause flags for one series.

    Parameters
    ----------
    values : sequence of float or pandas.Series
        The measure in time order; no missing values. A Series keeps its index.
    improvement_direction : {"increase", "decrease", "neutral"}, default "increase"
        Which direction is improvement; "neutral" labels special causes high/low.
    screen_outliers : bool, default True
        Drop moving ranges ``>= 3.267 * AMR`` before recomputing the AMR
        (NHSRplotthedots' default; ``False`` reproduces the MDC Excel tool).
    fix_after_n_points : int, optional
        Compute the mean and limits from the first ``n`` points only (baseline).
    target : float, optional
        Target for the assurance icon (``assurance_type``).

    Returns
    -------
    pandas.DataFrame
        One row per point: ``y``, ``mean``, ``lpl``, ``upl``, ``near_lpl``,
        ``near_upl``, ``relative_to_mean``, ``outside_limits``,
        ``close_to_limits``, the rule flags ``rule_outside_limits``,
        ``rule_run_of_7``, ``rule_trend_of_7``, ``rule_two_of_three``,
        ``special_cause_type`` (e.g. ``"Above UCL"``, ``"7 Points Below CL"``),
        ``special_cause_flag``, ``point_type`` (``"special_cause_improvement"``,
        ``"special_cause_concern"``, ``"special_cause_neutral_high"``/``"_low"``
        or ``"common_cause"``), ``target`` and ``assurance_type``
        (``"consistent_pass"``, ``"consistent_fail"``, ``"inconsistent"`` or
        missing without a target or direction).

    Raises
    ------
    StatsInputError
        Fewer than 2 values, missing or non-numeric values, an unknown
        direction, or an invalid ``fix_after_n_points``.

    Warns
    -----
    UserWarning
        Fewer than 12 points (limits are then unreliable).

    References
    ----------
    NHS England, Making Data Count (2019); NHSRplotthedots.
    """
    y, index = _values(values)
    if improvement_direction not in _DIRECTIONS:
        raise StatsInputError(
            f"improvement_direction must be one of {tuple(_DIRECTIONS)!r}, got {improvement_direction!r}"
        )
    direction = _DIRECTIONS[improvement_direction]
    baseline = _baseline(y, fix_after_n_points)
    if y.size < _RECOMMENDED_POINTS:
        warnings.warn(
            f"SPC limits from {y.size} points are unreliable; at least {_RECOMMENDED_POINTS} are recommended",
            UserWarning,
            stacklevel=2,
        )
    centre = baseline.mean()
    amr = _average_moving_range(baseline, screen_outliers)
    lpl, upl = centre - SPC_LIMIT * amr, centre + SPC_LIMIT * amr
    near_lpl, near_upl = centre - 2 * SPC_LIMIT / 3 * amr, centre + 2 * SPC_LIMIT / 3 * amr

    relative = np.sign(y - centre).astype(int)
    outside = (y > upl) | (y < lpl)
    close = ~outside & ((y < near_lpl) | (y > near_upl))
    run = _part_of_seven(_seven_one_side(relative))
    trend_flags = _seven_point_trend(y)
    trend = _part_of_seven(trend_flags)
    two_three = _two_in_three(close, relative) & close
    cause = _special_cause_type(y, relative, outside, trend, two_three, run)

    out = pd.DataFrame(
        {
            "y": y,
            "mean": centre,
            "lpl": lpl,
            "upl": upl,
            "near_lpl": near_lpl,
            "near_upl": near_upl,
            "relative_to_mean": relative,
            "outside_limits": outside,
            "close_to_limits": close,
            "rule_outside_limits": outside,
            "rule_run_of_7": run,
            "rule_trend_of_7": trend,
            "rule_two_of_three": two_three,
            "special_cause_type": cause,
        },
        index=index,
    )
    out["special_cause_flag"] = out["special_cause_type"] != "Common Cause"
    out["point_type"] = [_point_type(c, direction) for c in cause]
    out["target"] = np.nan if target is None else float(target)
    out["assurance_type"] = _assurance(target, direction, lpl, upl)
    return out


def _values(values: Sequence[float] | pd.Series) -> tuple[np.ndarray, pd.Index]:
    if isinstance(values, (str, bytes)):
        raise StatsInputError(f"values must be numbers, got {values!r}")
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype="object")
    try:
        y = pd.to_numeric(series, errors="raise").to_numpy(dtype="float64")
    except (TypeError, ValueError) as exc:
        raise StatsInputError("values must all be numbers") from exc
    if y.size < 2:
        raise StatsInputError(f"an XmR chart needs at least 2 values, got {y.size}")
    bad = ~np.isfinite(y)
    if bad.any():
        raise StatsInputError(f"values are missing or infinite at positions {np.flatnonzero(bad).tolist()}")
    index = series.index if isinstance(values, pd.Series) else pd.RangeIndex(y.size)
    return y, index


def _baseline(y: np.ndarray, fix_after_n_points: int | None) -> np.ndarray:
    if fix_after_n_points is None:
        return y
    if isinstance(fix_after_n_points, bool) or not isinstance(fix_after_n_points, (int, np.integer)):
        raise StatsInputError(f"fix_after_n_points must be a whole number, got {fix_after_n_points!r}")
    if not 2 <= fix_after_n_points:
        raise StatsInputError(f"fix_after_n_points must be at least 2, got {fix_after_n_points}")
    return y[:fix_after_n_points]


def _average_moving_range(baseline: np.ndarray, screen: bool) -> float:
    moving = np.abs(np.diff(baseline))
    amr = float(moving.mean())
    if screen:
        kept = moving[moving < SPC_MR_SCREEN * amr]
        # a flat baseline (AMR 0) keeps AMR 0 rather than becoming undefined
        amr = float(kept.mean()) if kept.size else amr
    return amr


def _seven_one_side(relative: np.ndarray) -> np.ndarray:
    """+-1 where a point and the 6 before it are all on the same side of the mean."""
    flags = np.zeros(relative.size, dtype=int)
    for i in range(_RUN - 1, relative.size):
        window = relative[i - _RUN + 1 : i + 1]
        if window[-1] != 0 and np.all(window == window[-1]):
            flags[i] = window[-1]
    return flags


def _seven_point_trend(y: np.ndarray) -> np.ndarray:
    """+-1 where a point ends 7 points each strictly above (below) the previous."""
    flags = np.zeros(y.size, dtype=int)
    for i in range(_RUN - 1, y.size):
        steps = np.sign(np.diff(y[i - _RUN + 1 : i + 1]))
        if np.all(steps == 1):
            flags[i] = 1
        elif np.all(steps == -1):
            flags[i] = -1
    return flags


def _part_of_seven(flags: np.ndarray) -> np.ndarray:
    """A point is part of a run/trend if it or one of the next 6 points ends one."""
    marked = np.abs(flags) == 1
    return np.array([marked[i : i + _RUN].any() for i in range(flags.size)], dtype=bool)


def _two_in_three(close: np.ndarray, relative: np.ndarray) -> np.ndarray:
    v = np.concatenate([[0, 0], close.astype(int), [0, 0]])
    r = np.concatenate([[0, 0], relative, [0, 0]])
    hits = np.zeros(close.size, dtype=bool)
    for i in range(close.size):
        for start in (i, i + 1, i + 2):
            if v[start : start + 3].sum() >= 2 and abs(r[start : start + 3].sum()) == 3:
                hits[i] = True
    return hits


def _special_cause_type(
    y: np.ndarray,
    relative: np.ndarray,
    outside: np.ndarray,
    trend: np.ndarray,
    two_three: np.ndarray,
    run: np.ndarray,
) -> list[str]:
    steps = np.sign(np.diff(y))
    labels = []
    for i in range(y.size):
        side = "Above" if relative[i] > 0 else "Below"
        if outside[i]:
            labels.append("Above UCL" if relative[i] == 1 else "Below LCL")
        elif trend[i]:
            # a point inside a trend takes the direction of the step after it
            uses_next = i + 1 < y.size and trend[i + 1]
            step = steps[i] if uses_next else steps[i - 1]
            labels.append(f"7 Point Trend ({'In' if step == 1 else 'De'}creasing)")
        elif two_three[i]:
            labels.append(f"2 in 3 {side} CL")
        elif run[i]:
            labels.append(f"7 Points {side} CL")
        else:
            labels.append("Common Cause")
    return labels


def _point_type(cause: str, direction: int) -> str:
    if any(word in cause for word in ("Above", "Increasing")):
        sign = 1
    elif any(word in cause for word in ("Below", "Decreasing")):
        sign = -1
    else:
        return "common_cause"
    if direction == 0:
        return "special_cause_neutral_high" if sign > 0 else "special_cause_neutral_low"
    return "special_cause_improvement" if sign * direction > 0 else "special_cause_concern"


def _assurance(target: float | None, direction: int, lpl: float, upl: float) -> str | None:
    if target is None or direction == 0:
        return None
    if not (isinstance(target, (int, float, np.floating)) and math.isfinite(float(target))):
        raise StatsInputError(f"target must be a finite number, got {target!r}")
    if target > upl:
        return "consistent_fail" if direction > 0 else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if direction > 0 else "consistent_fail"
    return "inconsistent"

"""Input checks and labels shared by the statistical methods (private).

Every public function validates early and raises
:class:`~cdp_analysis.errors.StatsInputError` with what it got, naming the
column and the rows at fault, so a batch run says exactly what to fix.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from cdp_analysis.errors import StatsInputError

#: A confidence level (``0.95``) or several (``(0.95, 0.998)``).
ConfidenceArg = float | Sequence[float]

#: What a vectorised function does with a missing count or denominator.
MissingPolicy = Literal["propagate", "raise"]

_MIN_CONFIDENCE = 0.9
_MAX_ROWS_LISTED = 10


def confidence_levels(confidence: ConfidenceArg) -> tuple[float, ...]:
    """Return the confidence level(s) as a tuple of floats in ``[0.9, 1)``.

    Raises
    ------
    StatsInputError
        If a level is not a number in ``[0.9, 1)``, or levels repeat.
    """
    if isinstance(confidence, (str, bytes)) or confidence is None:
        raise StatsInputError(
            f"confidence must be a number in [0.9, 1) or a sequence of them, got {confidence!r}"
        )
    if isinstance(confidence, numbers.Real):
        raw: list[object] = [confidence]
    else:
        try:
            raw = list(confidence)  # type: ignore[arg-type]
        except TypeError as exc:
            raise StatsInputError(
                f"confidence must be a number in [0.9, 1) or a sequence of them, got {confidence!r}"
            ) from exc
    if not raw:
        raise StatsInputError("confidence must contain at least one level, got an empty sequence")
    levels: list[float] = []
    for level in raw:
        if isinstance(level, bool) or not isinstance(level, numbers.Real):
            raise StatsInputError(f"confidence levels must be numbers, got {level!r}")
        value = float(level)
        if not (math.isfinite(value) and _MIN_CONFIDENCE <= value < 1):
            raise StatsInputError(
                "confidence level must be at least 0.9 and below 1 "
                f"(e.g. 0.95 or 0.998), got {level!r}"
            )
        levels.append(value)
    if len(set(levels)) != len(levels):
        raise StatsInputError(f"confidence levels must not repeat, got {tuple(levels)!r}")
    names = [ci_column_names(level) for level in levels] if len(levels) > 1 else []
    if len(set(names)) != len(names):
        raise StatsInputError(
            f"confidence levels {tuple(levels)!r} are too close to label separately (0.1% steps)"
        )
    return tuple(levels)


def single_confidence(confidence: float) -> float:
    """Return one validated confidence level (scalar functions take exactly one)."""
    if not isinstance(confidence, numbers.Real) or isinstance(confidence, bool):
        raise StatsInputError(
            f"confidence must be a single number in [0.9, 1) here, got {confidence!r}"
        )
    return confidence_levels(confidence)[0]


def confidence_label(levels: Iterable[float]) -> str:
    """Label like PHEindicatormethods: ``"95%"`` or ``"95%, 99.8%"``."""
    return ", ".join(f"{level * 100:.10g}%" for level in levels)


def limit_names(level: float, levels: Sequence[float]) -> tuple[str, str]:
    """Limit columns: ``lower_ci``/``upper_ci`` for one level, R's ``lower95_0cl``… for several."""
    return ("lower_ci", "upper_ci") if len(levels) == 1 else ci_column_names(level)


def counts_table(
    data: pd.DataFrame,
    x: Hashable,
    n: Hashable,
    group_by: Hashable | Sequence[Hashable] | None,
    missing: MissingPolicy,
    check: Callable[[np.ndarray, np.ndarray, pd.Index, Hashable, Hashable], None],
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Validate numerator ``x`` and denominator ``n`` columns, sum groups, return the table.

    The shared first step of the table functions: required columns, numbers,
    the missing-value policy and the method's own ``check``; then group sums
    (when ``group_by``) and the numerators and denominators to compute from.
    """
    keys = group_columns(group_by)
    require_columns(data, [x, n, *keys])
    xs, ns = numeric_column(data, x), numeric_column(data, n)
    for values, column in ((xs, x), (ns, n)):
        check_missing(values, data.index, column, missing)
    check(xs, ns, data.index, x, n)
    out = group_sum(data, keys, [x, n]) if keys else data.copy()
    return out, numeric_column(out, x), numeric_column(out, n)


def ci_column_names(level: float) -> tuple[str, str]:
    """Column names used when several levels are requested: ``lower95_0cl``, ``upper95_0cl``."""
    tag = f"{level * 100:.1f}".replace(".", "_")
    return f"lower{tag}cl", f"upper{tag}cl"


def format_number(number: float) -> str:
    """Write a multiplier as R's ``format(x, scientific = FALSE)`` does: ``100000``, ``0.5``."""
    value = float(number)
    if value.is_integer():
        return str(int(value))
    return f"{value:.15g}"


def check_multiplier(multiplier: float, *, positive: bool = True) -> float:
    """Validate a multiplier: a finite number, positive unless ``positive=False``."""
    if isinstance(multiplier, bool) or not isinstance(multiplier, numbers.Real):
        raise StatsInputError(f"multiplier must be a number, got {multiplier!r}")
    value = float(multiplier)
    if not math.isfinite(value) or (positive and value <= 0) or value == 0:
        need = "a positive number" if positive else "a non-zero number"
        raise StatsInputError(f"multiplier must be {need}, got {multiplier!r}")
    return value


def check_scalar(value: object, name: str) -> float:
    """Return ``value`` as a float, rejecting missing, non-numeric and infinite input."""
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise StatsInputError(f"{name} must be a number, got {value!r}")
    result = float(value)
    if math.isnan(result):
        raise StatsInputError(f"{name} is missing (NaN); a number is needed")
    if math.isinf(result):
        raise StatsInputError(f"{name} must be finite, got {value!r}")
    return result


def require_columns(data: pd.DataFrame, columns: Iterable[Hashable]) -> None:
    """Check ``data`` is a DataFrame holding every column in ``columns``."""
    if not isinstance(data, pd.DataFrame):
        raise StatsInputError(f"data should be a pandas DataFrame, got {type(data).__name__}")
    missing = [column for column in columns if column not in data.columns]
    if missing:
        raise StatsInputError(
            f"column(s) {missing!r} not found in data; columns are {list(data.columns)!r}"
        )


def group_columns(group_by: Hashable | Sequence[Hashable] | None) -> list[Hashable]:
    """Normalise a ``group_by`` argument to a list of column names."""
    if group_by is None:
        return []
    if isinstance(group_by, str) or not isinstance(group_by, Sequence):
        return [group_by]
    return list(group_by)


def numeric_column(data: pd.DataFrame, column: Hashable) -> np.ndarray:
    """Return a column as float64, naming the column if it is not numeric."""
    series = data[column]
    if pd.api.types.is_bool_dtype(series):
        raise StatsInputError(f"column {column!r} must be numeric, got booleans")
    if not pd.api.types.is_numeric_dtype(series):
        converted = pd.to_numeric(series, errors="coerce")
        bad = (series.notna() & converted.isna()).to_numpy()
        if bad.any():
            raise StatsInputError(
                f"column {column!r} must be numeric; non-numeric values at rows "
                f"{_rows(data.index[bad])}"
            )
        series = converted
    return series.to_numpy(dtype="float64", na_value=np.nan)


def _rows(index: pd.Index) -> str:
    labels = list(index[:_MAX_ROWS_LISTED])
    more = len(index) - len(labels)
    return f"{labels}" + (f" and {more} more" if more > 0 else "")


def fail_rows(mask: np.ndarray, index: pd.Index, message: str, column: Hashable) -> None:
    """Raise ``StatsInputError`` naming the column and rows where ``mask`` is true."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        raise StatsInputError(f"{message}; column {column!r}, rows {_rows(index[mask])}")


def check_missing(
    values: np.ndarray, index: pd.Index, column: Hashable, missing: MissingPolicy
) -> None:
    """Raise on NaN when ``missing == "raise"``; otherwise leave NaN to propagate."""
    if missing not in ("propagate", "raise"):
        raise StatsInputError(f"missing must be 'propagate' or 'raise', got {missing!r}")
    if missing == "raise":
        fail_rows(np.isnan(values), index, "missing value where a number is needed", column)
    fail_rows(np.isinf(values), index, "values must be finite", column)


def group_sum(data: pd.DataFrame, by: list[Hashable], columns: list[Hashable]) -> pd.DataFrame:
    """Sum ``columns`` within groups; a group holding any missing value sums to NaN.

    This mirrors R's ``sum()`` without ``na.rm``: a total over an incomplete
    set of areas is unknown, not smaller.
    """
    grouped = data.groupby(by, sort=True, dropna=False)[columns]
    sums = grouped.sum(min_count=1)
    complete = grouped.count() == grouped.size().to_numpy()[:, None]
    return sums.where(complete).reset_index()

"""The tidy indicator table every source maps into.

One row is one value of one indicator for one area, period and breakdown::

    area_code, area_name, indicator_id, indicator_name, period, period_start,
    sex, age, category_type, category, count, denominator, value,
    lower_ci, upper_ci, lower_ci_998, upper_ci_998, value_note,
    unit, polarity, source

:func:`indicator_table` builds and validates one; validation failures raise
:class:`~cdp_analysis.errors.SchemaError` listing the failing rows.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from cdp_analysis.errors import SchemaError

__all__ = [
    "INDICATOR_COLUMNS",
    "REQUIRED_COLUMNS",
    "POLARITIES",
    "indicator_table",
    "validate_indicator_table",
]

#: Column name → pandas dtype of the indicator table, in order.
INDICATOR_COLUMNS: dict[str, str] = {
    "area_code": "string",
    "area_name": "string",
    "indicator_id": "string",
    "indicator_name": "string",
    "period": "string",
    "period_start": "Int64",
    "sex": "string",
    "age": "string",
    "category_type": "string",
    "category": "string",
    "count": "Float64",
    "denominator": "Float64",
    "value": "Float64",
    "lower_ci": "Float64",
    "upper_ci": "Float64",
    "lower_ci_998": "Float64",
    "upper_ci_998": "Float64",
    "value_note": "string",
    "unit": "string",
    "polarity": "string",
    "source": "string",
}
REQUIRED_COLUMNS = ("area_code", "indicator_id", "period", "value")
POLARITIES = ("HighIsGood", "LowIsGood", "NoJudgement", "")
_MAX_LISTED = 5


def indicator_table(rows: pd.DataFrame | Iterable[dict], *, source: str = "") -> pd.DataFrame:
    """Build a validated indicator table from a frame or records.

    Missing optional columns are added empty; columns are put in the standard
    order and cast to their dtypes. ``source`` names the input in error messages.

    Raises
    ------
    SchemaError
        Required columns are missing, a value cannot be cast, a count is negative
        or a confidence interval does not contain its value.
    """
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise SchemaError(
            "indicator table lacks required columns", path=source or None,
            column=missing[0], expected=", ".join(REQUIRED_COLUMNS),
            found=", ".join(map(str, frame.columns)) or "no columns",
        )
    for column in INDICATOR_COLUMNS:
        if column not in frame.columns:
            frame[column] = pd.NA
    frame = frame[list(INDICATOR_COLUMNS)]
    frame = _cast(frame, source)
    validate_indicator_table(frame, source=source)
    return frame.reset_index(drop=True)


def validate_indicator_table(frame: pd.DataFrame, *, source: str = "") -> None:
    """Check the rules of the table; raise :class:`SchemaError` naming failing rows."""
    checks = [
        ("area_code", frame["area_code"].isna(), "area code is missing"),
        ("indicator_id", frame["indicator_id"].isna(), "indicator id is missing"),
        ("count", frame["count"].fillna(0) < 0, "count is negative"),
        ("denominator", frame["denominator"].fillna(1) < 0, "denominator is negative"),
        ("lower_ci", _gt(frame["lower_ci"], frame["value"]), "lower CI is above the value"),
        ("upper_ci", _gt(frame["value"], frame["upper_ci"]), "upper CI is below the value"),
        ("lower_ci", _gt(frame["lower_ci"], frame["upper_ci"]), "lower CI is above upper CI"),
        ("polarity", ~frame["polarity"].fillna("").isin(POLARITIES), "unknown polarity"),
    ]
    for column, bad, message in checks:
        bad = bad.fillna(False).to_numpy(dtype=bool)
        if bad.any():
            _fail(frame, bad, column, message, source)


def _gt(a: pd.Series, b: pd.Series) -> pd.Series:
    # A tolerance absorbs the rounding in published files (value 6.2, CI 6.2000001).
    tol = 1e-9 * np.maximum(1.0, np.abs(a.astype("float64").fillna(0)))
    return (a - b) > tol


def _cast(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    for column, dtype in INDICATOR_COLUMNS.items():
        try:
            if dtype in ("Float64", "Int64"):
                numeric = pd.to_numeric(frame[column], errors="coerce")
                bad = numeric.isna() & frame[column].notna() & (frame[column].astype("string") != "")
                if bad.any():
                    _fail(frame, bad.to_numpy(), column, "not a number", source)
                frame[column] = numeric.astype(dtype)
            else:
                frame[column] = frame[column].astype("string")
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"cannot cast to {dtype}: {exc}", path=source or None, column=column) from exc
    return frame


def _fail(frame: pd.DataFrame, bad: np.ndarray, column: str, message: str, source: str) -> None:
    positions = np.flatnonzero(bad)
    listed = ", ".join(
        f"row {p} ({frame['area_code'].iloc[p]}, {frame['indicator_id'].iloc[p]}, "
        f"{frame['period'].iloc[p]}: {column}={frame[column].iloc[p]!r})"
        for p in positions[:_MAX_LISTED]
    )
    more = f" and {len(positions) - _MAX_LISTED} more" if len(positions) > _MAX_LISTED else ""
    raise SchemaError(
        f"{len(positions)} row(s) fail: {message}: {listed}{more}",
        path=source or None, column=column,
    )

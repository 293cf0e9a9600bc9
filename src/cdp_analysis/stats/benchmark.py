"""Significance against a benchmark, the Fingertips way, and quintile labels.

An area is compared by its **confidence interval against the benchmark's
point value** (not interval against interval): above if the lower limit
exceeds the benchmark, below if the upper limit is under it, otherwise
similar. Polarity turns above/below into better/worse, or into
higher/lower when there is no judgement. Missing limits or benchmark give
"Not compared".

References
----------
Public Health England. Fingertips Public Health Technical Guide: comparing
with a benchmark (``CIOverlappingReferenceValue95`` / ``...99_8``), as
implemented in FingertipsNext (``BenchmarkLabelConfig.ts``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats._validate import single_confidence

__all__ = [
    "compare_to_benchmark",
    "compare_to_benchmark_series",
    "quintile_labels",
    "normalise_polarity",
    "BENCHMARK_COLOURS",
    "BENCHMARK_LABELS",
    "POLARITIES",
]

Polarity = Literal["HighIsGood", "LowIsGood", "NoJudgement"]
POLARITIES: tuple[str, ...] = ("HighIsGood", "LowIsGood", "NoJudgement")

#: Every label :func:`compare_to_benchmark` can return.
BENCHMARK_LABELS: tuple[str, ...] = (
    "Better", "Similar", "Worse", "Higher", "Lower", "Not compared",
)  # fmt: skip

#: GOV.UK colours of each outcome at 95% and 99.8% (FingertipsNext
#: ``BenchmarkLabelConfig.ts``). "Not compared" is drawn transparent with a
#: black border.
BENCHMARK_COLOURS: Mapping[float, Mapping[str, str]] = {
    0.95: {
        "Better": "#00703C",
        "Similar": "#FFDD00",
        "Worse": "#D4351C",
        "Lower": "#5694CA",
        "Higher": "#003078",
        "Not compared": "transparent",
    },
    0.998: {
        "Better": "#85994B",
        "Similar": "#FFDD00",
        "Worse": "#831504",
        "Lower": "#AFCFE5",
        "Higher": "#1D70B8",
        "Not compared": "transparent",
    },
}

_ALIASES = {
    "highisgood": "HighIsGood",
    "rag-highisgood": "HighIsGood",
    "lowisgood": "LowIsGood",
    "rag-lowisgood": "LowIsGood",
    "nojudgement": "NoJudgement",
    "nojudgment": "NoJudgement",
    "bob-blueorangeblue": "NoJudgement",
    "notapplicable": "NoJudgement",
}

_QUINTILES_PLAIN = ("Lowest", "Low", "Middle", "High", "Highest")
_QUINTILES_JUDGED = ("Worst", "Worse", "Middle", "Better", "Best")


def normalise_polarity(polarity: str) -> str:
    """Map a polarity spelling to ``"HighIsGood"``, ``"LowIsGood"`` or ``"NoJudgement"``.

    Accepts the canonical names and Fingertips' labels such as
    ``"RAG - High is good"`` and ``"BOB - Blue orange blue"`` (any case/spacing).
    """
    if not isinstance(polarity, str):
        raise StatsInputError(f"polarity must be one of {POLARITIES!r}, got {polarity!r}")
    key = "".join(polarity.lower().split()).replace("_", "")
    if key not in _ALIASES:
        raise StatsInputError(f"polarity must be one of {POLARITIES!r}, got {polarity!r}")
    return _ALIASES[key]


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return math.isnan(float(value))
    raise StatsInputError(f"limits and benchmark must be numbers, got {value!r}")


def compare_to_benchmark(
    lower: float | None,
    upper: float | None,
    benchmark_value: float | None,
    polarity: str = "HighIsGood",
    confidence: float = 0.95,
) -> str:
    """Compare an area's confidence interval with a benchmark's value.

    Parameters
    ----------
    lower, upper : float or None
        The area's confidence limits at ``confidence`` (missing -> "Not compared").
    benchmark_value : float or None
        The benchmark's point value, e.g. England's (missing -> "Not compared").
    polarity : {"HighIsGood", "LowIsGood", "NoJudgement"}, default "HighIsGood"
        Whether higher values are better, worse, or neither.
    confidence : float, default 0.95
        Level of the limits (0.95 or 0.998 in Fingertips); selects colours via
        :data:`BENCHMARK_COLOURS` and is validated here.

    Returns
    -------
    str
        ``"Better"``, ``"Similar"``, ``"Worse"`` (with a judgement),
        ``"Higher"``, ``"Similar"``, ``"Lower"`` (without), or ``"Not compared"``.

    Raises
    ------
    StatsInputError
        Non-numeric input, ``lower > upper``, unknown polarity or invalid confidence.

    Examples
    --------
    >>> compare_to_benchmark(10.2, 12.5, 9.8, "LowIsGood")
    'Worse'
    >>> compare_to_benchmark(10.2, 12.5, 11.0)
    'Similar'
    """
    single_confidence(confidence)
    judgement = normalise_polarity(polarity)
    if _is_missing(lower) or _is_missing(upper) or _is_missing(benchmark_value):
        return "Not compared"
    low, high, bench = float(lower), float(upper), float(benchmark_value)  # type: ignore[arg-type]
    if low > high:
        raise StatsInputError(f"lower limit {low} is above upper limit {high}")
    if high < bench:
        direction = -1
    elif low > bench:
        direction = 1
    else:
        return "Similar"
    if judgement == "NoJudgement":
        return "Higher" if direction > 0 else "Lower"
    good = direction > 0 if judgement == "HighIsGood" else direction < 0
    return "Better" if good else "Worse"


def compare_to_benchmark_series(
    lower: pd.Series,
    upper: pd.Series,
    benchmark_value: float | pd.Series,
    polarity: str = "HighIsGood",
    confidence: float = 0.95,
) -> pd.Series:
    """Vectorised :func:`compare_to_benchmark` over aligned Series.

    ``benchmark_value`` may be a single number or a Series aligned with the
    limits (e.g. each period's England value). Returns a Series of labels with
    the index of ``lower``.
    """
    single_confidence(confidence)
    judgement = normalise_polarity(polarity)
    low = pd.to_numeric(pd.Series(lower), errors="raise").astype("float64")
    high = pd.to_numeric(pd.Series(upper), errors="raise").astype("float64")
    if not low.index.equals(high.index):
        raise StatsInputError("lower and upper must have the same index")
    if isinstance(benchmark_value, pd.Series):
        bench = pd.to_numeric(benchmark_value, errors="raise").astype("float64")
        bench = bench.reindex(low.index)
    else:
        bench = pd.Series(np.nan if _is_missing(benchmark_value) else float(benchmark_value), index=low.index)
    bad = (low > high).to_numpy()
    if bad.any():
        raise StatsInputError(f"lower limit above upper limit at rows {list(low.index[bad][:10])}")
    missing = low.isna() | high.isna() | bench.isna()
    direction = np.select([high < bench, low > bench], [-1, 1], default=0)
    if judgement == "NoJudgement":
        labels = np.select([direction > 0, direction < 0], ["Higher", "Lower"], default="Similar")
    else:
        good = direction > 0 if judgement == "HighIsGood" else direction < 0
        labels = np.where(direction == 0, "Similar", np.where(good, "Better", "Worse"))
    labels = np.where(missing.to_numpy(), "Not compared", labels)
    return pd.Series(labels, index=low.index, dtype=object)


def quintile_labels(values: pd.Series, polarity: str | None = None) -> pd.Series:
    """Quintile labels for indicators without confidence intervals (Fingertips style).

    Values are ranked (ties share the average rank) and quintile ``k`` holds
    ranks in ``((k-1)n/5, kn/5]``. Labels are ``Lowest, Low, Middle, High,
    Highest``; with a polarity of ``HighIsGood``/``LowIsGood`` they are
    ``Worst, Worse, Middle, Better, Best`` oriented so "Best" is the good end.
    Missing values are "Not compared".

    Raises
    ------
    StatsInputError
        Fewer than five non-missing values, or an unknown polarity.
    """
    series = pd.to_numeric(pd.Series(values), errors="raise").astype("float64")
    judgement = "NoJudgement" if polarity is None else normalise_polarity(polarity)
    present = series.notna()
    count = int(present.sum())
    if count < 5:
        raise StatsInputError(f"quintiles need at least 5 values, got {count}")
    ranks = series[present].rank(method="average")
    quintile = np.clip(np.ceil(5 * ranks.to_numpy() / count), 1, 5).astype(int)
    if judgement == "NoJudgement":
        names = _QUINTILES_PLAIN
    elif judgement == "HighIsGood":
        names = _QUINTILES_JUDGED
    else:
        names = _QUINTILES_JUDGED[::-1]
    out = pd.Series("Not compared", index=series.index, dtype=object)
    out[present] = [names[q - 1] for q in quintile]
    return out

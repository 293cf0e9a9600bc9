"""An area among its statistical neighbours: their values, the neighbour average, the rank, the comparison.

One function, :func:`neighbour_comparison`, serves every chapter: a long frame of
values (one row per measure and area: the focus area and each neighbour) in, two
frames out: the rows shown (with each area's rank) and one summary row per measure.

The rules (``docs/statistical_neighbours.md``, "Comparing with the neighbours"):

- **Neighbour average.** Where every neighbour with a published value also has its
  count and denominator (and the measure a ``multiplier``: a crude rate or a
  proportion), the counts are pooled over the pooled denominators, as Fingertips forms
  the value of England and of a region. Otherwise (a standardised rate, a figure
  published without its count) it is the unweighted mean of the neighbours' values,
  as LG Inform's "mean of nearest neighbours". The method is named on every row.
- **Published values only.** A neighbour whose value is missing or suppressed takes no
  part in the average or the rank (an average including a hidden value would give it
  back by subtraction).
- **Too few.** With fewer than :data:`MIN_NEIGHBOURS` neighbours holding a value, no
  average, rank or comparison is formed and ``reason`` says why.
- **Rank.** Among the area and its neighbours with values, 1 = highest; ties share the
  better rank (competition ranking: 10, 8, 8, 5 rank 1, 2, 2, 4) and are flagged.
- **Significance.** The area's 95% interval against the neighbour average's value, the
  rule used against England (:func:`cdp_analysis.stats.compare_to_benchmark`): higher
  or lower when the interval lies wholly above or below it, else similar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cdp_analysis.errors import StatsInputError
from cdp_analysis.stats.benchmark import compare_to_benchmark

__all__ = ["MIN_NEIGHBOURS", "POOLED", "MEAN", "NEIGHBOUR_COLUMNS", "neighbour_comparison", "neighbour_columns",
           "rank_words", "ordinal"]

#: Neighbours with a published value needed before an average, a rank or a comparison is formed.
MIN_NEIGHBOURS = 2
POOLED = "pooled counts over pooled denominators"
MEAN = "mean of the neighbours' values"
ROW_COLUMNS = ["measure", "area_code", "role", "value", "lower_ci", "upper_ci", "rank", "n_ranked"]
#: The columns a headline table gains (:func:`neighbour_columns`).
NEIGHBOUR_COLUMNS = ["neighbour_average", "neighbour_rank", "neighbour_compared", "neighbour_note"]
SUMMARY_COLUMNS = ["measure", "value", "lower_ci", "upper_ci", "neighbour_average", "average_method",
                   "neighbours_with_value", "neighbours_in_group", "rank", "n_ranked", "tied", "compared", "reason"]


def neighbour_comparison(
    values: pd.DataFrame,
    area_code: str,
    neighbours: Sequence[str],
    *,
    polarity: str | Mapping[str, str] = "NoJudgement",
    min_neighbours: int = MIN_NEIGHBOURS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The area among its neighbours, per measure.

    Parameters
    ----------
    values : DataFrame
        ``measure, area_code, value``, optionally ``lower_ci, upper_ci`` (needed for the
        focus area's comparison), ``count, denominator, multiplier`` (for a pooled
        average) and ``suppressed`` (True hides the row's value from the average and rank).
        Rows of areas that are neither the focus nor a neighbour are ignored.
    area_code : str
        The focus area.
    neighbours : sequence of str
        The neighbour group's codes (the focus area is never its own neighbour).
    polarity : str or mapping of measure to str
        ``HighIsGood``, ``LowIsGood`` or ``NoJudgement`` (the comparison's words).
    min_neighbours : int
        Neighbours with a value needed to form an average.

    Returns
    -------
    rows : DataFrame
        ``measure, area_code, role ("focus"/"neighbour"), value, lower_ci, upper_ci,
        rank, n_ranked``: the focus first, then neighbours from highest value down
        (those without a value last, ``rank`` NaN).
    summary : DataFrame
        One row per measure with the focus area's row: ``measure, value, lower_ci,
        upper_ci, neighbour_average, average_method, neighbours_with_value,
        neighbours_in_group, rank, n_ranked, tied, compared, reason`` (``reason`` is
        empty when a comparison was formed, else one sentence why not).

    Raises
    ------
    StatsInputError
        A required column is missing, a measure holds the same area twice, or
        ``min_neighbours`` is below 1.

    Examples
    --------
    >>> v = pd.DataFrame({"measure": "m", "area_code": ["A", "B", "C", "D"], "value": [5.0, 9.0, 5.0, 1.0],
    ...                   "lower_ci": [4.0, 8.0, 4.0, 0.5], "upper_ci": [6.0, 10.0, 6.0, 1.5]})
    >>> rows, summary = neighbour_comparison(v, "A", ["B", "C", "D"])
    >>> r = summary.iloc[0]
    >>> float(r["neighbour_average"]), int(r["rank"]), int(r["n_ranked"]), bool(r["tied"]), r["compared"]
    (5.0, 2, 4, True, 'Similar')
    """
    missing = {"measure", "area_code", "value"} - set(values.columns)
    if missing:
        raise StatsInputError(f"neighbour values need the column(s) {sorted(missing)}; got {list(values.columns)}")
    if min_neighbours < 1:
        raise StatsInputError(f"min_neighbours must be at least 1, got {min_neighbours}")
    group = [c for c in dict.fromkeys(neighbours) if c != area_code]
    data = values[values["area_code"].isin([area_code, *group])].copy()
    twice = data.duplicated(["measure", "area_code"])
    if twice.any():
        first = data[twice].iloc[0]
        raise StatsInputError(f"neighbour values hold {first['area_code']} twice for measure {first['measure']!r}")
    for column in ("lower_ci", "upper_ci", "count", "denominator", "multiplier"):
        if column not in data:
            data[column] = np.nan
    data["suppressed"] = data["suppressed"].astype("boolean").fillna(False).astype(bool) if "suppressed" in data else False
    rows, summary = [], []
    for measure in dict.fromkeys(values["measure"]):
        part = data[data["measure"] == measure]
        judgement = polarity.get(measure, "NoJudgement") if isinstance(polarity, Mapping) else polarity
        shown, line = _one_measure(part, measure, area_code, group, judgement, min_neighbours)
        rows.append(shown)
        summary.append(line)
    rows_frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=ROW_COLUMNS)
    return rows_frame[ROW_COLUMNS], pd.DataFrame(summary, columns=SUMMARY_COLUMNS)


def _one_measure(part: pd.DataFrame, measure: object, area_code: str, group: list[str], polarity: str,
                 min_neighbours: int) -> tuple[pd.DataFrame, dict]:
    published = part[part["value"].notna() & ~part["suppressed"]]
    own = published[published["area_code"] == area_code]
    peers = published[published["area_code"].isin(group)]
    focus_value = float(own["value"].iloc[0]) if not own.empty else np.nan
    lower = float(own["lower_ci"].iloc[0]) if not own.empty else np.nan
    upper = float(own["upper_ci"].iloc[0]) if not own.empty else np.nan
    line = {"measure": measure, "value": focus_value, "lower_ci": lower, "upper_ci": upper,
            "neighbour_average": np.nan, "average_method": "", "neighbours_with_value": len(peers),
            "neighbours_in_group": len(group), "rank": np.nan, "n_ranked": np.nan, "tied": False,
            "compared": "Not compared", "reason": ""}
    ranked = pd.concat([own, peers])
    order = ranked["value"].to_numpy(float)
    ranks = [1 + int((order > v).sum()) for v in order]
    table = pd.DataFrame({
        "measure": measure, "area_code": ranked["area_code"].astype(str).to_numpy(),
        "role": ["focus" if c == area_code else "neighbour" for c in ranked["area_code"]],
        "value": order, "lower_ci": ranked["lower_ci"].to_numpy(float), "upper_ci": ranked["upper_ci"].to_numpy(float),
        "rank": ranks, "n_ranked": len(ranked)})
    absent = [c for c in group if c not in set(peers["area_code"])]
    blank = pd.DataFrame({"measure": measure, "area_code": absent, "role": "neighbour", "value": np.nan,
                          "lower_ci": np.nan, "upper_ci": np.nan, "rank": np.nan, "n_ranked": len(ranked)})
    focus_first = table.assign(_f=table["role"] != "focus").sort_values(["_f", "value"], ascending=[True, False],
                                                                         kind="stable").drop(columns="_f")
    if own.empty and not part[part["area_code"] == area_code].empty:  # the focus's own value is suppressed
        blank = pd.concat([pd.DataFrame({"measure": [measure], "area_code": [area_code], "role": ["focus"]}), blank])
    shown = pd.concat([focus_first, blank], ignore_index=True) if not blank.empty else focus_first
    if own.empty:
        line["reason"] = "The area's own value is not published for this measure."
        return shown.reset_index(drop=True), line
    if len(peers) < min_neighbours:
        line["reason"] = (f"The data holds {'none' if peers.empty else 'too few'} of the neighbours' values for this "
                          "measure to form an average.")
        return shown.reset_index(drop=True), line
    average, method = _average(peers)
    focus_rank = ranks[0]
    line.update(neighbour_average=average, average_method=method, rank=focus_rank, n_ranked=len(ranked),
                tied=bool((order == focus_value).sum() > 1),
                compared=compare_to_benchmark(_maybe(lower), _maybe(upper), average,
                                              polarity=polarity))
    return shown.reset_index(drop=True), line


def _average(peers: pd.DataFrame) -> tuple[float, str]:
    """Pooled counts over pooled denominators when every neighbour has them, else the mean of values."""
    counts, denominators, multipliers = peers["count"], peers["denominator"], peers["multiplier"]
    if (counts.notna().all() and denominators.notna().all() and multipliers.notna().all()
            and multipliers.nunique() == 1 and float(denominators.sum()) > 0):
        return float(counts.sum()) / float(denominators.sum()) * float(multipliers.iloc[0]), POOLED
    return float(peers["value"].mean()), MEAN


def _maybe(value: float) -> float | None:
    return None if value != value else value


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``11th``, ``22nd``.

    >>> [ordinal(i) for i in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_words(rank: int, n_ranked: int, tied: bool = False) -> str:
    """The rank in words, from whichever end is nearer: ``3rd highest of 11``, ``lowest of 11``, ``joint 2nd highest of 4``.

    ``rank`` counts from the highest (1 = highest, ties sharing the better rank).

    >>> rank_words(3, 11)
    '3rd highest of 11'
    >>> rank_words(11, 11)
    'lowest of 11'
    >>> rank_words(9, 11)
    '3rd lowest of 11'
    >>> rank_words(2, 4, tied=True)
    'joint 2nd highest of 4'
    """
    if rank < 1 or rank > n_ranked:
        raise StatsInputError(f"rank {rank} is outside 1 to {n_ranked}")
    from_low = n_ranked - rank + 1
    joint = "joint " if tied else ""
    if rank <= from_low or tied:
        return f"{joint}{'' if rank == 1 else ordinal(rank) + ' '}highest of {n_ranked}"
    return f"{'' if from_low == 1 else ordinal(from_low) + ' '}lowest of {n_ranked}"


def neighbour_columns(
    values: pd.DataFrame,
    area_code: str,
    neighbours: Sequence[str],
    *,
    polarity: str | Mapping[str, str] = "NoJudgement",
    min_neighbours: int = MIN_NEIGHBOURS,
) -> pd.DataFrame:
    """The columns a headline table gains for the area among its neighbours, one row per measure.

    Same rules as :func:`neighbour_comparison` (same ``values`` frame). Returns
    ``measure`` and :data:`NEIGHBOUR_COLUMNS`: ``neighbour_average`` (NaN when none is
    formed), ``neighbour_rank`` (``"3rd highest of 11"``, empty when none),
    ``neighbour_compared`` (``Higher``/``Similar``/``Lower``/``Better``/``Worse``, else
    ``Not compared``) and ``neighbour_note``: empty when compared, else the words a cell
    shows instead of a number (``"fewer than two neighbours hold a value"``).

    >>> v = pd.DataFrame({"measure": ["m"] * 4 + ["n"] * 2, "area_code": ["A", "B", "C", "D", "A", "B"],
    ...                   "value": [9.0, 5.0, 3.0, 4.0, 1.0, 2.0], "lower_ci": [8.0, 4, 2, 3, 0.5, 1],
    ...                   "upper_ci": [10.0, 6, 4, 5, 1.5, 3]})
    >>> cols = neighbour_columns(v, "A", ["B", "C", "D"])
    >>> [float(cols.loc[0, "neighbour_average"]), *cols.loc[0, ["neighbour_rank", "neighbour_compared"]]]
    [4.0, 'highest of 4', 'Higher']
    >>> cols.loc[1, ["neighbour_rank", "neighbour_compared", "neighbour_note"]].tolist()
    ['', 'Not compared', 'fewer than two neighbours hold a value']
    """
    _, summary = neighbour_comparison(values, area_code, neighbours, polarity=polarity,
                                      min_neighbours=min_neighbours)
    rows = []
    for _, r in summary.iterrows():
        if r["reason"]:
            note = ("the area's own value is not published" if r["value"] != r["value"] else
                    f"fewer than {_WORDS.get(min_neighbours, str(min_neighbours))} neighbours hold a value")
            rows.append({"measure": r["measure"], "neighbour_average": np.nan, "neighbour_rank": "",
                         "neighbour_compared": "Not compared", "neighbour_note": note})
            continue
        rows.append({"measure": r["measure"], "neighbour_average": float(r["neighbour_average"]),
                     "neighbour_rank": rank_words(int(r["rank"]), int(r["n_ranked"]), bool(r["tied"])),
                     "neighbour_compared": r["compared"], "neighbour_note": ""})
    return pd.DataFrame(rows, columns=["measure", *NEIGHBOUR_COLUMNS])


_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}

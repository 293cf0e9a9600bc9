"""Statistical disclosure control: what may be shown of a table of counts.

Applied in the publishing step, after statistics are computed from unrounded
data. Two policies are built in:

``ndtms``
    NDTMS public outputs: counts of 1–4 are suppressed and shown as ``*``;
    rates and percentages derived from them are suppressed too.
``nhsd``
    NHS Digital HES/ECDS (September 2018 method): sub-national counts of 1–7
    are suppressed, other counts rounded to the nearest 5; 0 stays 0.

Secondary ("consequential") suppression: within each group whose total is
published, a single suppressed cell could be recovered by subtraction, so the
next smallest unsuppressed non-zero cell is suppressed too.

References
----------
NDTMS restricted data, http://www.ndtms.net/restricted.aspx ;
NHS Digital, "Change to disclosure control methodology for HES and ECDS from
September 2018".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdp_analysis.errors import ConfigError

__all__ = ["DisclosurePolicy", "POLICIES", "get_policy", "suppress_table", "SUPPRESSED", "protect_aggregates",
           "recoverable", "publishable_series", "protect_shares"]

SUPPRESSED = "*"


@dataclass(frozen=True)
class DisclosurePolicy:
    """Which counts are hidden, and how the rest are rounded."""

    name: str
    smallest_suppressed: int
    largest_suppressed: int
    round_to: int | None = None

    def primary(self, counts: pd.Series) -> np.ndarray:
        """Mask of counts that must be hidden themselves."""
        values = pd.to_numeric(counts, errors="coerce").to_numpy(dtype=float)
        return (values >= self.smallest_suppressed) & (values <= self.largest_suppressed)

    def rounded(self, counts: pd.Series) -> pd.Series:
        """Counts rounded as the policy requires (unchanged when it does not round)."""
        if not self.round_to:
            return counts
        return (np.round(counts.astype(float) / self.round_to) * self.round_to).astype(counts.dtype)


POLICIES = {
    "ndtms": DisclosurePolicy("ndtms", 1, 4),
    "nhsd": DisclosurePolicy("nhsd", 1, 7, round_to=5),
}


def get_policy(name: str) -> DisclosurePolicy:
    """The built-in policy called ``name``."""
    try:
        return POLICIES[name.lower()]
    except KeyError:
        raise ConfigError(f"Unknown disclosure policy {name!r}; choose one of {sorted(POLICIES)}") from None


def suppress_table(
    table: pd.DataFrame,
    count_col: str,
    *,
    policy: DisclosurePolicy,
    derived_cols: Sequence[str] = (),
    group_cols: Sequence[str] = (),
    total_published: bool = True,
) -> pd.DataFrame:
    """A copy of ``table`` safe to publish, with a ``suppressed`` flag column.

    Suppressed counts and every column in ``derived_cols`` (rates, limits,
    percentages) on the same row become ``NaN``; the publishing code shows them
    as ``*``. Counts the policy rounds are rounded. With ``total_published``
    (the group total appears elsewhere), secondary suppression is applied
    within each group of ``group_cols`` (the whole table when empty).
    """
    out = table.copy()
    hidden = policy.primary(out[count_col])
    if total_published:
        hidden = _secondary(out[count_col], hidden, out, group_cols)
    out["suppressed"] = hidden
    out[count_col] = policy.rounded(out[count_col]).astype(float)
    out.loc[hidden, count_col] = np.nan
    for column in derived_cols:
        out.loc[hidden, column] = np.nan
    return out


def _secondary(counts: pd.Series, hidden: np.ndarray, table: pd.DataFrame, group_cols: Sequence[str]) -> np.ndarray:
    hidden = hidden.copy()
    keys = table.groupby(list(group_cols), sort=False).indices.values() if group_cols else [np.arange(len(table))]
    values = pd.to_numeric(counts, errors="coerce").to_numpy(dtype=float)
    for positions in keys:
        positions = np.asarray(positions)
        if hidden[positions].sum() != 1:
            continue
        candidates = [p for p in positions if not hidden[p] and values[p] > 0]
        if candidates:
            hidden[min(candidates, key=lambda p: values[p])] = True
    return hidden


def publishable_series(counts: pd.Series, policy: DisclosurePolicy) -> bool:
    """Whether a series of counts (e.g. one per month) can be published cell by cell.

    False as soon as one cell falls in the policy's suppressed range: monthly
    counts also add up to the published twelve-month totals, so hiding single
    months would not protect them; such a series is shown only as totals.
    """
    values = pd.to_numeric(counts, errors="coerce").dropna()
    return not bool(policy.primary(values).any())


def recoverable(groups: Mapping[str, frozenset[str] | set[str]], published: set[str], target: str) -> bool:
    """Whether the total of ``target`` follows from the published totals by adding and subtracting.

    Each group is a set of base cells (e.g. LSOAs) whose counts it adds up. The
    target's total is recoverable exactly when its indicator vector lies in the
    span of the published groups' vectors (compared by matrix rank).
    """
    cells = sorted(set().union(*groups.values()))
    where = {c: i for i, c in enumerate(cells)}

    def vector(name: str) -> np.ndarray:
        row = np.zeros(len(cells))
        row[[where[c] for c in groups[name]]] = 1.0
        return row

    rows = [vector(n) for n in sorted(published) if n != target]
    if not rows:
        return False
    base = np.vstack(rows)
    return np.linalg.matrix_rank(np.vstack([base, vector(target)])) == np.linalg.matrix_rank(base)


def protect_aggregates(
    groups: Mapping[str, frozenset[str] | set[str]],
    counts: dict[str, float],
    policy: DisclosurePolicy,
    *,
    keep: tuple[str, ...] = (),
) -> set[str]:
    """The groups to suppress so that no suppressed total can be worked out from the others.

    One decision over every aggregate a chapter publishes from the same base
    cells (small-area rows, deprivation quintiles, the area total): groups with
    a count in the policy's range are suppressed (primary); then, while some
    suppressed group's total can be recovered from the published ones by
    adding and subtracting (:func:`recoverable`), the smallest published group
    whose suppression closes that route is suppressed too (secondary). Groups in
    ``keep`` (the area total) are suppressed last of all.

    Parameters
    ----------
    groups : group name → the base cells it adds up.
    counts : group name → its count.
    policy : the disclosure policy in force.
    keep : groups to leave published if at all possible.

    Returns
    -------
    set of str
        The names of the groups to suppress.
    """
    hidden = {n for n in groups if policy.primary(pd.Series([counts[n]]))[0]}
    for _ in range(len(groups)):
        published = set(groups) - hidden
        exposed = next((n for n in sorted(hidden) if recoverable(groups, published, n)), None)
        if exposed is None:
            return hidden
        order = sorted(published, key=lambda n: (n in keep, counts[n] == 0, counts[n], n))
        closes = (n for n in order if not recoverable(groups, published - {n}, exposed))
        hidden.add(next(closes, order[0]))
    return hidden


#: A part-of-total relation for :func:`protect_shares`: ``(column, total label, part labels or None, keys)``.
#: Within each group of ``keys``, the row whose ``column`` is the total label holds the sum of the
#: rows whose ``column`` is one of the part labels (every other label when None), in the count
#: column and in the denominator column alike.
TotalRow = tuple[str, object, tuple | None, Sequence[str]]


def protect_shares(
    table: pd.DataFrame,
    policy: DisclosurePolicy,
    *,
    count: str = "count",
    denominator: str | None = "denominator",
    derived: Sequence[str] = (),
    parts_of_denominator: tuple[Sequence[str], tuple | None, str] | None = None,
    total_rows: Sequence[TotalRow] = (),
) -> pd.DataFrame:
    """A copy of a table of shares (count of denominator) that publishes nothing the policy hides.

    One decision over every cell of the table, before anything is drawn from it:

    1. **Primary**: a count or a denominator in the policy's range is hidden, and so
       is a count whose complement (denominator minus count) is in the range, since
       the two published together give the complement away.
    2. **Secondary**: wherever published figures add up to a published total (the
       categories of a breakdown whose shares are of the same denominator, the
       substance groups and their ``total`` row, a partnership's members and the
       partnership), the hidden parts of that total must not be recoverable: while a
       total is published and exactly one of its parts is hidden, or its hidden parts
       add up to a number in the range, the smallest published non-zero part is
       hidden too; when no part is left to hide, the total is hidden. Repeated over
       every relation until nothing changes (hiding a part of one relation may expose
       another). A hidden total whose parts are all published has its smallest part
       hidden, so that it is not their sum.

    A hidden count hides ``derived`` (the share and its limits) on its row; a hidden
    denominator hides the count and ``derived`` too. Published counts are rounded as
    the policy requires. NaN (missing in the source) is neither published nor hidden
    by this function: it is not a figure a reader can subtract.

    Parameters
    ----------
    table : the rows, one per share.
    policy : the disclosure policy in force.
    count, denominator : the columns of the parts and of the totals they are shares of
        (``denominator`` None for a table of counts only).
    derived : columns computed from the count and denominator (values, limits).
    parts_of_denominator : ``(keys, categories, label)``: within each group of
        ``keys``, the rows whose ``label`` column is one of ``categories`` (every
        row when None) add up to the group's denominator.
    total_rows : part-of-total relations by a total row (:data:`TotalRow`).

    Returns
    -------
    pandas.DataFrame
        The table with hidden cells set to NaN and two flags: ``suppressed`` (the
        count is hidden) and ``denominator_suppressed``.
    """
    out = table.reset_index(drop=True).copy()
    n = len(out)
    counts = pd.to_numeric(out[count], errors="coerce").to_numpy(dtype=float)
    dens = (pd.to_numeric(out[denominator], errors="coerce").to_numpy(dtype=float) if denominator
            else np.full(n, np.nan))
    in_range = policy.primary
    hide_count = in_range(pd.Series(counts))
    hide_den = in_range(pd.Series(dens))
    with np.errstate(invalid="ignore"):
        hide_count |= in_range(pd.Series(dens - counts)) | hide_den

    # relations: (total cells, part cells), a cell being ("c" | "d", row)
    relations: list[tuple[list[tuple[str, int]], list[tuple[str, int]]]] = []
    if parts_of_denominator is not None and denominator:
        keys, categories, label = parts_of_denominator
        for rows in _groups(out, keys):
            parts = [r for r in rows if categories is None or out.at[r, label] in categories]
            if len(parts) > 1:
                relations.append(([("d", r) for r in rows], [("c", r) for r in parts]))
    for column, total_label, part_labels, keys in total_rows:
        for rows in _groups(out, keys):
            totals = [r for r in rows if out.at[r, column] == total_label]
            parts = [r for r in rows if out.at[r, column] != total_label
                     and (part_labels is None or out.at[r, column] in part_labels)]
            if len(totals) != 1 or len(parts) < 2:
                continue
            relations.append(([("c", totals[0])], [("c", r) for r in parts]))
            if denominator:
                relations.append(([("d", totals[0])], [("d", r) for r in parts]))

    hidden = {"c": hide_count, "d": hide_den}
    values = {"c": counts, "d": dens}
    for _ in range(4 * n + 4):
        changed = False
        for total_cells, part_cells in relations:
            shut = [(k, r) for k, r in part_cells if hidden[k][r]]
            if all(hidden[k][r] or values[k][r] != values[k][r] for k, r in total_cells):
                # the total is not published: it must not be the sum of published part_cells either
                if (any(hidden[k][r] for k, r in total_cells) and not shut
                        and all(values[k][r] == values[k][r] for k, r in part_cells)):
                    open_parts = [(k, r) for k, r in part_cells if values[k][r] > 0]
                    if open_parts:
                        k, r = min(open_parts, key=lambda c: (values[c[0]][c[1]], c[1]))
                        hidden[k][r] = changed = True
                continue
            if not shut:
                continue
            total_hidden = sum(values[k][r] for k, r in shut if values[k][r] == values[k][r])
            if len(shut) > 1 and not in_range(pd.Series([total_hidden]))[0]:
                continue
            open_parts = [(k, r) for k, r in part_cells if not hidden[k][r] and values[k][r] == values[k][r]
                          and values[k][r] > 0]
            if open_parts:
                k, r = min(open_parts, key=lambda c: (values[c[0]][c[1]], c[1]))
                hidden[k][r] = True
            else:
                for k, r in total_cells:
                    hidden[k][r] = True
            changed = True
        hidden["c"] |= hidden["d"]  # a share of a hidden denominator is hidden
        if not changed:
            break

    out["suppressed"] = hidden["c"]
    out["denominator_suppressed"] = hidden["d"]
    out[count] = policy.rounded(pd.Series(counts, index=out.index)).astype(float)
    out.loc[hidden["c"], count] = np.nan
    if denominator:
        out[denominator] = policy.rounded(pd.Series(dens, index=out.index)).astype(float)
        out.loc[hidden["d"], denominator] = np.nan
    for column in derived:
        out.loc[hidden["c"], column] = np.nan
    return out


def _groups(table: pd.DataFrame, keys: Sequence[str]) -> list[list[int]]:
    """Row positions of each group of ``keys`` (the whole table when there are none)."""
    if not keys:
        return [list(range(len(table)))]
    return [list(v) for v in table.groupby(list(keys), sort=False, dropna=False).indices.values()]

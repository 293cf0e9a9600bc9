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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdp_analysis.errors import ConfigError

__all__ = ["DisclosurePolicy", "POLICIES", "get_policy", "suppress_table", "SUPPRESSED", "protect_aggregates",
           "recoverable", "publishable_series"]

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


def recoverable(groups: dict[str, frozenset[str] | set[str]], published: set[str], target: str) -> bool:
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
    groups: dict[str, frozenset[str] | set[str]],
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

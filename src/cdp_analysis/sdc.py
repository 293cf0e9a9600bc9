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

__all__ = ["DisclosurePolicy", "POLICIES", "get_policy", "suppress_table", "SUPPRESSED"]

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

"""Indicators of the treatment chapter, from the NDTMS ViewIt export: pure functions, frames in, frames out.

The chapter (:mod:`cdp_analysis.chapters.treatment`) reads the rows, protects what it publishes
and words the findings; these functions combine the rows and compute the proportions and the
comparisons (no HTML, no words, no configuration).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cdp_analysis import stats
from cdp_analysis.vocabulary import ENGLAND_CODE, ROLE_COMPARATOR, ROLE_FOCUS, ROLE_MEMBER

__all__ = ["area_rows", "with_proportions", "focus_comparisons"]

_KEYS = ["period", "period_start", "substance_group", "category"]


def area_rows(data: pd.DataFrame, members: Sequence[str], area_name: str, member_names: Mapping[str, str],
              pooled_name: str) -> pd.DataFrame:
    """Counts and denominators of one measure per area shown, from the export's rows of every area.

    ``data`` has ``area_code, period, period_start, substance_group, category, count,
    denominator``. Rows: the focus area (``members`` summed, a sum only when every member has
    the count), a partnership's members each (when more than one, named by ``member_names``),
    England (its first row per key), and every local authority of the export pooled
    (``pooled_name``) when the export holds authorities besides the area's own. ``area`` names
    the row, ``role`` is ``focus``, ``member`` or ``comparator``.
    """
    data = data.astype({"count": float, "denominator": float})
    england = data[data["area_code"] == ENGLAND_CODE].dropna(subset=["count"]).drop_duplicates(_KEYS)
    data = data[data["area_code"] != ENGLAND_CODE]
    own = data[data["area_code"].isin(members)]
    own = own.groupby(_KEYS, as_index=False)[["count", "denominator"]].sum(min_count=len(members))
    parts = [own.assign(area=area_name, role=ROLE_FOCUS)]
    if len(members) > 1:
        for code in members:
            member = data[data["area_code"] == code][_KEYS + ["count", "denominator"]]
            parts.append(member.assign(area=member_names.get(code, code), role=ROLE_MEMBER))
    parts.append(england[_KEYS + ["count", "denominator"]].assign(area="England", role=ROLE_COMPARATOR))
    if set(data.loc[data["count"].notna(), "area_code"].dropna().unique()) - set(members):
        pooled = data.groupby(_KEYS, as_index=False)[["count", "denominator"]].sum(min_count=1)
        parts.append(pooled.assign(area=pooled_name, role=ROLE_COMPARATOR))
    return pd.concat(parts, ignore_index=True)


def with_proportions(table: pd.DataFrame) -> pd.DataFrame:
    """Add ``value, lower_ci, upper_ci``: ``count / denominator`` as a percentage with its Wilson 95%
    interval; NaN where the count or denominator is missing, the denominator is not positive or the
    count exceeds it."""
    out = []
    for _, r in table.iterrows():
        ok = r["count"] == r["count"] and r["denominator"] == r["denominator"] and 0 < r["denominator"] \
            and r["count"] <= r["denominator"]
        est = stats.proportion(float(r["count"]), float(r["denominator"])) if ok else None
        out.append({**r.to_dict(), "value": est.value if est else np.nan,
                    "lower_ci": est.lower_ci if est else np.nan,
                    "upper_ci": est.upper_ci if est else np.nan})
    return pd.DataFrame(out)


def focus_comparisons(data: pd.DataFrame, focus: str, label: str, member_label: str) -> list[str]:
    """For each row, the focus area's 95% interval against the row's value for the same ``label``.

    ``Focus area`` on the focus area's own rows, ``member_label`` on a member's (``role``
    ``member``: shown, never compared), ``Not compared`` when either value is missing or the
    focus row is ``suppressed``, else ``Higher``, ``Similar`` or ``Lower``.
    """
    compared = []
    for _, r in data.iterrows():
        own = data[(data["area"] == focus) & (data[label] == r[label])].iloc[0]
        if r["area"] == focus:
            compared.append("Focus area")
        elif r.get("role") == ROLE_MEMBER:
            compared.append(member_label)
        elif own["suppressed"] or own["value"] != own["value"] or r["value"] != r["value"]:
            compared.append("Not compared")
        else:
            compared.append(stats.compare_to_benchmark(own["lower_ci"], own["upper_ci"], r["value"],
                                                       polarity="NoJudgement"))
    return compared

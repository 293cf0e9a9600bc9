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

__all__ = ["area_rows", "with_proportions", "focus_comparisons", "latest_numbers", "breakdown_shares",
           "deprivation_gaps", "deaths_by_group", "ethnic_group", "residents_by_group", "ratio_to_residents",
           "summed_shares", "indicator_comparisons", "funnel_points"]

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


def latest_numbers(every: pd.DataFrame, new: pd.DataFrame, period: str, groups: Sequence[str]) -> pd.DataFrame:
    """Adults in treatment and new presentations of one year, total first, then ``groups`` in order.

    ``every`` and ``new`` hold the focus area's protected rows (``period, substance_group, count,
    suppressed``) of adults in treatment and of new presentations. Columns: ``period,
    substance_group, in_treatment, suppressed, new_presentations, share_pct`` (a group's share of
    the total in treatment, NaN where either is hidden); ``suppressed`` when either count is.
    """
    tot = every[every["period"] == period]
    latest = tot[["substance_group", "count", "suppressed"]].rename(columns={"count": "in_treatment"}).merge(
        new[["substance_group", "count", "suppressed"]].rename(
            columns={"count": "new_presentations", "suppressed": "new_suppressed"}), on="substance_group",
        how="left")
    latest.insert(0, "period", period)
    total = float(latest.loc[latest["substance_group"] == "total", "in_treatment"].iloc[0])
    latest["share_pct"] = latest["in_treatment"] / total * 100  # NaN where either is hidden
    latest["suppressed"] = latest["suppressed"].astype(bool) | latest["new_suppressed"].fillna(False).astype(bool)
    latest = latest.drop(columns="new_suppressed")
    latest["order"] = latest["substance_group"].map({g: i for i, g in enumerate(("total", *groups))})
    return latest.sort_values("order").drop(columns="order").reset_index(drop=True)


def breakdown_shares(own: pd.DataFrame, area: str) -> tuple[str, pd.DataFrame]:
    """The latest period of a local return by ``breakdown`` and ``category``, each category's share of its
    breakdown's total with the Wilson 95% interval (percentages).

    ``own`` has ``period, breakdown, category, count`` (members' rows added). Returns the period and
    ``breakdown, category, count, denominator, area, period, value, lower_ci, upper_ci``
    (NaN shares where a breakdown counts nobody).
    """
    period = str(own.sort_values("period")["period"].iloc[-1])
    own = own[own["period"] == period]
    table = own.groupby(["breakdown", "category"], as_index=False, sort=False)["count"].sum()
    table["denominator"] = table.groupby("breakdown")["count"].transform("sum")
    table["area"], table["period"] = area, period
    out = []
    for _, r in table.iterrows():
        est = stats.proportion(float(r["count"]), float(r["denominator"])) if r["denominator"] > 0 else None
        out.append({**r.to_dict(), "value": est.value if est else np.nan,
                    "lower_ci": est.lower_ci if est else np.nan, "upper_ci": est.upper_ci if est else np.nan})
    return period, pd.DataFrame(out)


def deprivation_gaps(rows: pd.DataFrame, indicators: Mapping[str, tuple[str, str]], area: str) -> pd.DataFrame:
    """The slope index of inequality across deprivation deciles of each indicator's latest period.

    ``rows`` are one area's Fingertips rows by decile (``indicator_id, period, period_start,
    category_type, decile, value, lower_ci, upper_ci, denominator``); ``indicators`` maps an
    indicator id to its name and unit (a unit starting ``%`` marks a proportion, else a rate),
    in the order wanted. An indicator with fewer than five complete deciles is left out. Columns:
    ``indicator, indicator_id, area, period, deciles, sii, sii_lower_ci, sii_upper_ci, unit``,
    most deprived minus least deprived (empty when no indicator qualifies).
    """
    out = []
    for indicator_id, (name, unit) in indicators.items():
        part = rows[rows["indicator_id"] == indicator_id]
        if part.empty:
            continue
        latest = part.sort_values(["period_start", "category_type"]).iloc[-1]
        part = part[(part["period"] == latest["period"]) & (part["category_type"] == latest["category_type"])]
        part = part.dropna(subset=["value", "lower_ci", "upper_ci", "denominator"]).drop_duplicates("decile")
        if len(part) < 5:
            continue
        kind = "proportion" if unit.startswith("%") else "rate"
        scaled = part.assign(v=part["value"] / (100 if kind == "proportion" else 1),
                             lo=part["lower_ci"] / (100 if kind == "proportion" else 1),
                             hi=part["upper_ci"] / (100 if kind == "proportion" else 1))
        result = stats.sii(scaled.sort_values("decile"), "decile", "denominator", value="v", value_type=kind,
                           lower_cl="lo", upper_cl="hi", repetitions=10_000, seed=1,
                           multiplier=-(100 if kind == "proportion" else 1)).iloc[0]
        out.append({"indicator": name, "indicator_id": indicator_id, "area": area,
                    "period": latest["period"], "deciles": len(part), "sii": float(result["sii"]),
                    "sii_lower_ci": float(result["sii_lower_ci"]), "sii_upper_ci": float(result["sii_upper_ci"]),
                    "unit": unit})
    return pd.DataFrame(out)


def ethnic_group(label: str) -> str | None:
    """The NDTMS group of a Census 2021 high-level ethnic group label (None for anything else)."""
    first = label.split()[0].rstrip(",").lower() if label.split() else ""
    return {"white": "White", "mixed": "Mixed", "asian": "Asian", "black": "Black", "other": "Other"}.get(first)


def residents_by_group(census: pd.DataFrame, codes: Sequence[str], label: str) -> pd.DataFrame:
    """Census 2021 residents of the authorities ``codes`` together by NDTMS's five ethnic groups.

    ``census`` has ``area_code, ethnic_group, population``. Columns ``area`` (``label``),
    ``period, category, count, denominator`` (all residents in the five groups); empty when any of
    ``codes`` is missing from the census.
    """
    columns = ["area", "period", "category", "count", "denominator"]
    own = census[census["area_code"].isin(codes)]
    if own.empty or set(own["area_code"]) != set(codes):
        return pd.DataFrame(columns=columns)
    group = own["ethnic_group"].astype(str).map(ethnic_group)
    counts = own.assign(category=group).dropna(subset=["category"]).groupby("category")["population"].sum()
    return pd.DataFrame({"area": label, "period": "Census 2021", "category": counts.index,
                         "count": counts.to_numpy(dtype=float), "denominator": float(counts.sum())})


def ratio_to_residents(data: pd.DataFrame, focus: str, residents: str) -> list[float]:
    """Per row, the focus area's share of a ``category`` divided by the residents' share (rows ``area ==
    residents``); NaN on other areas' rows and where the residents' share is missing or zero."""
    resident = data[data["area"] == residents].set_index("category")["value"]
    return [r["value"] / resident[r["category"]] if r["area"] == focus and r["category"] in resident
            and resident[r["category"]] > 0 else np.nan for _, r in data.iterrows()]


def deaths_by_group(own: pd.DataFrame, area: str) -> tuple[str, pd.DataFrame]:
    """Deaths in treatment of the latest period of a local return, the total first, then each substance group.

    ``own`` has ``period, substance_group, deaths, in_treatment`` (members' rows added). Returns the
    period and ``area, period, substance_group, count`` (deaths), ``denominator`` (in treatment).
    """
    period = str(own.sort_values("period")["period"].iloc[-1])
    own = own[own["period"] == period]
    by_group = own.groupby("substance_group", as_index=False)[["deaths", "in_treatment"]].sum()
    total = pd.DataFrame([{"substance_group": "total", "deaths": by_group["deaths"].sum(),
                           "in_treatment": by_group["in_treatment"].sum()}])
    table = pd.concat([total, by_group], ignore_index=True).rename(
        columns={"deaths": "count", "in_treatment": "denominator"})
    table["area"], table["period"] = area, period
    return period, table[["area", "period", "substance_group", "count", "denominator"]]


def summed_shares(rows: pd.DataFrame, areas: Sequence[tuple[str, Sequence[str]]]) -> pd.DataFrame:
    """Each area's share by ``substance_group``, its authorities' counts and denominators added.

    ``rows`` has ``area_code, substance_group, count, denominator``; ``areas`` pairs an area's
    code with the authorities that make it up. A group is left out of an area unless every one of
    its authorities has it, the denominator is positive and the count lies within it. Columns
    ``measure`` (the substance group), ``area_code, value, lower_ci, upper_ci`` (percentage,
    Wilson 95%), ``count, denominator, multiplier`` (100).
    """
    rows = rows.astype({"count": float, "denominator": float})
    out = []
    for code, lads in areas:
        part = rows[rows["area_code"].isin(lads)]
        summed = part.groupby("substance_group")[["count", "denominator"]].sum(min_count=len(lads))
        held = part.groupby("substance_group")["area_code"].nunique()
        for substance, r in summed.iterrows():
            ok = held.get(substance, 0) == len(lads) and r["denominator"] > 0 and 0 <= r["count"] <= r["denominator"]
            if not ok:
                continue
            est = stats.proportion(float(r["count"]), float(r["denominator"]))
            out.append({"measure": substance, "area_code": code, "value": est.value, "lower_ci": est.lower_ci,
                        "upper_ci": est.upper_ci, "count": r["count"], "denominator": r["denominator"],
                        "multiplier": 100.0})
    return pd.DataFrame(out, columns=["measure", "area_code", "value", "lower_ci", "upper_ci", "count",
                                      "denominator", "multiplier"])


def indicator_comparisons(data: pd.DataFrame, focus: str, polarity: Mapping[str, str]) -> list[str]:
    """For each row, the focus area's 95% interval against the row's value of the same ``indicator_id``,
    read through the indicator's ``polarity`` (Fingertips' ``LowIsGood``, ``HighIsGood``).

    ``Focus area`` on the focus area's rows, ``Not compared`` where either value is missing.
    """
    out = []
    for _, row in data.iterrows():
        if row["area"] == focus:
            out.append("Focus area")
            continue
        own = data[(data["area"] == focus) & (data["indicator_id"] == row["indicator_id"])].iloc[0]
        if own["value"] != own["value"] or row["value"] != row["value"]:
            out.append("Not compared")
            continue
        out.append(stats.compare_to_benchmark(own["lower_ci"], own["upper_ci"], row["value"],
                                              polarity=polarity[row["indicator_id"]]))
    return out


def funnel_points(exits: pd.DataFrame, area_code: str, area_name: str, members: Sequence[str]) -> pd.DataFrame:
    """Every local authority's count, denominator and percentage (``value``), for a funnel plot.

    ``exits`` has ``area_code, area_name, count, denominator`` (England's rows and rows missing
    either figure are left out; an authority's rows are added). When the area is not an authority
    of the export, its ``members`` are replaced by one point of their sums (named ``area_name``).
    Columns ``area_code, count, denominator, area, value``.
    """
    exits = exits[exits["area_code"] != ENGLAND_CODE]
    exits = exits.dropna(subset=["count", "denominator"]).astype({"count": float, "denominator": float})
    names = exits.groupby("area_code")["area_name"].first()
    points = exits.groupby("area_code", as_index=False)[["count", "denominator"]].sum()
    points["area"] = points["area_code"].map(names).astype(str)
    if area_code not in set(points["area_code"]) and members:
        own = points[points["area_code"].isin(members)][["count", "denominator"]].sum()
        points = pd.concat([points[~points["area_code"].isin(members)], pd.DataFrame(
            [{"area_code": area_code, "area": area_name, **own.to_dict()}])], ignore_index=True)
    points["value"] = points["count"] / points["denominator"] * 100
    return points

"""The area among its statistical neighbours, in tables, a chart and words (one helper for every chapter).

Reads the frames :func:`cdp_analysis.indicators.neighbours.neighbour_comparison` returns.
Every chapter shows the same three things: a summary table (the area's value, the
neighbour average and how it is formed, the rank, the comparison), a chart per measure
with each neighbour's value and the average marked, and one sentence per measure.
A measure without enough neighbours' values gets one plain sentence and no number.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
import pandas as pd

from cdp_analysis.indicators.neighbours import rank_words
from cdp_analysis.report import charts
from cdp_analysis.report.narrative import number, with_unit

__all__ = ["similar_sentence", "summary_table", "values_table", "neighbour_chart", "sentence", "supports_highest", "HIGHEST",
           "group_note", "group_note_html"]

#: The words a key message may use only when the area's interval lies above every neighbour's value.
HIGHEST = "the highest among"
_PHRASE = {"Higher": "significantly higher than", "Lower": "significantly lower than",
           "Better": "significantly better than", "Worse": "significantly worse than", "Similar": "similar to"}


def supports_highest(rows: pd.DataFrame, summary_row: Mapping) -> bool:
    """True when the area's 95% interval lies wholly above every neighbour's published value.

    Only then may a sentence call the area the highest among its neighbours (a top rank
    alone can be chance).
    """
    peers = rows[(rows["measure"] == summary_row["measure"]) & (rows["role"] == "neighbour")]["value"].dropna()
    lower = summary_row.get("lower_ci")
    return bool(not peers.empty and lower == lower and lower is not None and float(lower) > float(peers.max()))


def sentence(area: str, what: str, summary_row: Mapping, rows: pd.DataFrame, *, group: str, unit: str,
             period: str = "", decimals: int = 1) -> str:
    """One sentence on a measure among the neighbours; without a comparison, why not (no number)."""
    if summary_row.get("reason"):
        return f"{area} is not compared with {group} on {what}: {summary_row['reason'][:1].lower()}" \
               f"{summary_row['reason'][1:]}"
    value = with_unit(number(summary_row["value"], decimals), unit)
    when = f" ({period})" if period else ""
    rank = rank_words(int(summary_row["rank"]), int(summary_row["n_ranked"]), bool(summary_row["tied"]))
    average = with_unit(number(summary_row["neighbour_average"], decimals), unit)
    compared = _PHRASE.get(summary_row["compared"], "not compared (no 95% confidence interval is published for it) with")
    if supports_highest(rows, summary_row):
        position = f"is {HIGHEST} {group} (its 95% confidence interval lies above every neighbour's value)"
    else:
        position = f"ranks {rank} with {group}"
    return (f"{area}'s {what}{when}, {value}, {position}, and is {compared} their average of {average} "
            f"({summary_row['average_method']}).")


def similar_sentence(area: str, whats: list[str], group: str) -> str:
    """One sentence for the measures on which the area is similar to its neighbours' average."""
    listed = whats[0] if len(whats) == 1 else ", ".join(whats[:-1]) + " and " + whats[-1]
    return f"On {listed}, {area} is similar to the average of {group} (its 95% confidence interval includes it)."


def summary_table(summary: pd.DataFrame, labels: Mapping[str, str], area: str) -> pd.DataFrame:
    """The published summary: one row per measure (plain column names, the CSV download)."""
    rows = []
    for _, r in summary.iterrows():
        shown = not r["reason"]
        rows.append({
            "Measure": labels.get(r["measure"], str(r["measure"])),
            area: r["value"],
            "Neighbour average": r["neighbour_average"] if shown else np.nan,
            "Neighbours with a value": f"{int(r['neighbours_with_value'])} of {int(r['neighbours_in_group'])}",
            "Rank": rank_words(int(r["rank"]), int(r["n_ranked"]), bool(r["tied"])) if shown else "not ranked",
            "Compared with the neighbour average": r["compared"] if shown else "Not compared",
            # words last: a row's figures never run into the next row's measure name in a page's text
            "How the average is formed": r["average_method"] if shown else "not formed",
        })
    return pd.DataFrame(rows)


def values_table(rows: pd.DataFrame, names: Mapping[str, str], labels: Mapping[str, str]) -> pd.DataFrame:
    """Every area's value per measure (the chart's data and the download): one row per measure and area."""
    out = rows.assign(measure=rows["measure"].map(lambda m: labels.get(m, str(m))),
                      area=rows["area_code"].map(lambda c: names.get(c, c)))
    return out[["measure", "area", "area_code", "role", "value", "lower_ci", "upper_ci", "rank", "n_ranked"]]


def neighbour_chart(rows: pd.DataFrame, summary_row: Mapping, *, names: Mapping[str, str], title: str,
                    xlabel: str, source: str, synthetic: bool) -> charts.Chart:
    """The area and each neighbour with a value, highest first, the neighbour average marked
    (:func:`cdp_analysis.report.charts.neighbour_bars`)."""
    data = rows[(rows["measure"] == summary_row["measure"]) & rows["value"].notna()].sort_values(
        "value", ascending=False, kind="stable").reset_index(drop=True)
    data = data.assign(area=data["area_code"].map(lambda c: names.get(c, c)))
    return charts.neighbour_bars(
        data[["area", "area_code", "role", "value", "lower_ci", "upper_ci", "rank"]],
        average=float(summary_row["neighbour_average"]), average_label=str(summary_row["average_method"]),
        title=title, xlabel=xlabel, source=source, synthetic=synthetic)


def group_note_html(area: str, group_name: str, description: str, names: list[str]) -> str:
    """:func:`group_note` as the paragraph shown above the table."""
    return f'<p class="cdp-neighbours">{html.escape(group_note(area, group_name, description, names))}</p>'


def group_note(area: str, group_name: str, description: str, names: list[str]) -> str:
    """The sentence naming the group used and how it is formed (shown above the table)."""
    listed = ", ".join(names) if names else "none"
    return (f"{area} is compared with {group_name}. {description} The group: {listed}. The neighbour average "
            "pools the neighbours' counts over their denominators where every neighbour publishes both, and is "
            "otherwise the mean of their values; a neighbour without a published value is left out of the average "
            "and the rank. Significance: the area's 95% interval against the average, as against England.")

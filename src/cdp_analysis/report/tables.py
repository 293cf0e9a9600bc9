"""Accessible HTML for the outcomes overview's tables and lists (frames in, markup out).

The overview chapter computes its frames (:meth:`OverviewChapter.summary`, ``missing``,
``member_table``) and hands them here, as every chapter hands its charts and tables to
:mod:`cdp_analysis.report.render`: no chapter writes HTML. Every cell and attribute is
escaped here; tables have a ``<caption>`` and column headers with ``scope``; the
comparison colour is always paired with its word (colour is never the only signal).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from cdp_analysis import stats
from cdp_analysis.report import narrative
from cdp_analysis.stats.coerce import as_float

__all__ = ["tartan_html", "compared_cell", "neighbour_cells", "neighbour_caption", "NEIGHBOUR_HEAD", "definitions_html", "needs_html", "members_html", "tiles_html", "national_html", "fmt"]

#: Comparisons whose Fingertips colour is light: dark text on them, white text on the others.
_DARK_TEXT = ("Similar", "Not compared", "Lower")


def fmt(value: object, decimals: int = 1) -> str:
    """A number for a table cell, ``–`` when there is none.

    >>> fmt(1234.56), fmt(None), fmt(3, 0)
    ('1,234.6', '–', '3')
    """
    number = as_float(value)
    return "–" if np.isnan(number) else narrative.number(number, decimals)


def compared_cell(compared: str) -> str:
    """A comparison's cell: its Fingertips colour and, always, its word."""
    colour = stats.BENCHMARK_COLOURS[0.95].get(compared, "transparent")
    text_colour = "#0b0c0c" if compared in _DARK_TEXT else "#ffffff"
    return (f'<td style="background:{colour};color:{text_colour};border:1px solid #0b0c0c">'
            f"{html.escape(compared)}</td>")


def neighbour_cells(row: pd.Series | dict, decimals: int = 1) -> str:
    """The three neighbour cells of a headline row (:data:`NEIGHBOUR_HEAD`): the neighbour average, the
    area's rank and its comparison with the average; without an average, the reason in words and no number."""
    note = str(row.get("neighbour_note") or "")
    if note:
        return (f'<td colspan="2">Not compared: {html.escape(note)}</td>'
                f"{compared_cell('Not compared')}")
    return (f"<td>{html.escape(fmt(row.get('neighbour_average'), decimals))}</td>"
            f"<td>{html.escape(str(row.get('neighbour_rank', '')))}</td>"
            f"{compared_cell(str(row.get('neighbour_compared', 'Not compared')))}")


#: The headers of :func:`neighbour_cells`.
NEIGHBOUR_HEAD = ("Neighbour average", "Rank among the area and its neighbours", "Compared with the neighbour average")


def neighbour_caption(group: str) -> str:
    """The caption's sentence on the neighbour columns (the group itself is named in the neighbour section)."""
    return (f" Neighbour columns: {group} (listed in the section Among its statistical neighbours); the area's 95% "
            "interval against their average, as against England; rank 1 is the highest value.")


def tartan_html(table: pd.DataFrame, area_name: str, region_name: str, note: str, *, group: str = "") -> str:
    """The area's indicators against region, England and its neighbours, Fingertips colours with words.

    ``table`` has the overview summary's columns (``outcome, indicator, indicator_id, period, count,
    value, lower_ci, upper_ci, region, england, compared, trend, unit_words, definition, link``)
    and, when the area has a neighbour group (``group``: its name in a sentence), the columns of
    :func:`cdp_analysis.indicators.neighbours.neighbour_columns`; ``note`` follows the caption's
    first sentence.
    """
    if table.empty:
        return "<p>No Fingertips indicators for this area are in the data.</p>"
    neighbours = bool(group) and "neighbour_compared" in table
    head = ["Outcome", "Indicator (unit and value type)", "Period", "Count", area_name, "95% CI", region_name,
            "England", "Compared with England", *(NEIGHBOUR_HEAD if neighbours else ()), "Recent trend"]
    body = []
    for _, r in table.iterrows():
        cells = [r["period"], fmt(r["count"], 0), fmt(r["value"]),
                 f"{fmt(r['lower_ci'])} to {fmt(r['upper_ci'])}", fmt(r["region"]), fmt(r["england"])]
        indicator = (f'<a href="{html.escape(r["link"])}" title="{html.escape(r["definition"])}">'
                     f'{html.escape(r["indicator"])}</a>')
        tds = (f"<td>{html.escape(r['outcome'])}</td><td>{indicator}<br>"  # the unit under its name, as the
               f"<small>{html.escape(r['unit_words'])}</small></td>")  # board summary shows it: one column fewer
        tds += "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
        tds += compared_cell(r["compared"]) + (neighbour_cells(r) if neighbours else "")
        tds += f"<td>{html.escape(r['trend'])}</td>"
        body.append(f"<tr>{tds}</tr>")
    ths = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in head)
    caption = f"Outcomes framework indicators, latest period.{note}" + (neighbour_caption(group) if neighbours else "")
    return (f'<table class="cdp-table"><caption>{html.escape(caption)}</caption>'
            f"<thead><tr>{ths}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def definitions_html(table: pd.DataFrame) -> str:
    """Each shown indicator's definition, unit and value type, with its Fingertips link (none: empty)."""
    items = "".join(
        f'<dt><a href="{html.escape(r["link"])}">{html.escape(r["indicator"])}</a> '
        f"({html.escape(_fingertips_ref(str(r['indicator_id'])))})</dt><dd>{html.escape(r['definition'])} "
        f"Unit: {html.escape(r['unit_words'])}.</dd>" for _, r in table.iterrows())
    return f'<h3>Indicator definitions</h3><dl class="cdp-definitions">{items}</dl>' if items else ""


def _fingertips_ref(indicator_id: str) -> str:
    """How a definition names its Fingertips indicator: the id, or the profile when the id is not verified."""
    if indicator_id.isdigit():
        return f"Fingertips {indicator_id}"
    return "Fingertips, co-occurring substance misuse and mental health profile; matched by its published name"


def needs_html(missing: pd.DataFrame, area_name: str) -> str:
    """The indicators with no data for the area (``indicator, needs``), each with what it needs (none: empty)."""
    if missing.empty:
        return ""
    items = "".join(f"<li><strong>{html.escape(r['indicator'])}</strong>: {html.escape(r['needs'])}.</li>"
                    for _, r in missing.iterrows())
    return f"<h3>Indicators not shown for {html.escape(area_name)}</h3><ul>{items}</ul>"


def members_html(rows: pd.DataFrame, area_name: str) -> str:
    """A partnership beside its member authorities, value and period in one column per area (none: empty).

    ``rows`` has ``indicator_id, indicator, unit, area, period, value`` (one row per indicator and area).
    """
    if rows.empty:
        return ""
    order = list(dict.fromkeys(rows["area"]))
    head = "".join(f'<th scope="col">{html.escape(a)}{" (member)" if a != area_name else ""}</th>' for a in order)
    body = []
    for (_, indicator, unit), group in rows.groupby(["indicator_id", "indicator", "unit"], sort=False):
        by_area = {r["area"]: f"{fmt(r['value'])} ({r['period']})" for _, r in group.iterrows()}
        cells = "".join(f"<td>{html.escape(by_area.get(a, '–'))}</td>" for a in order)
        body.append(f'<tr><th scope="row">{html.escape(indicator)}</th><td>{html.escape(unit)}</td>{cells}</tr>')
    return (f'<table class="cdp-table"><caption>{html.escape(area_name)} and its member authorities, latest '
            "period of each (members are shown side by side, not compared)</caption><thead><tr>"
            f'<th scope="col">Indicator</th><th scope="col">Unit</th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def tiles_html(tiles: Iterable[tuple[str, str]]) -> str:
    """A list of ``(title, text)`` tiles: the title in bold, then its text."""
    return "<ul>" + "".join(f"<li><strong>{html.escape(title)}</strong>: {html.escape(text)}</li>"
                            for title, text in tiles) + "</ul>"


def national_html(metrics: Sequence[tuple[str, str, str]]) -> str:
    """The grey strip of national-only metrics ``(outcome, metric, source)``: context, never RAG-coloured."""
    items = "".join(
        f"<li><strong>{html.escape(metric)}</strong> ({html.escape(outcome)}): national figure only, "
        f"{html.escape(source)}.</li>" for outcome, metric, source in metrics
    )
    return f'<div class="cdp-banner" style="border-left-color:#505a5f"><ul>{items}</ul></div>'

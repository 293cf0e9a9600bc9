"""Turn charts and tables into accessible HTML for notebook outputs.

A chart becomes a ``<figure>`` holding the PNG with its alt text, a caption
with the source, and a link to download the (already suppressed) data behind
it as CSV. Tables get a ``<caption>`` and column headers with ``scope``.
Nothing here prints a path or a record-level row.
"""

from __future__ import annotations

import base64
import html
import io
import numbers
import re
from collections.abc import Mapping, Sequence

import pandas as pd
from IPython.display import HTML

from cdp_analysis.report.charts import Chart, texts_laid_out_once
from cdp_analysis.report.section import Section
from cdp_analysis.stats.sdc import SUPPRESSED
from cdp_analysis.vocabulary import SYNTHETIC_NOTICE

__all__ = ["safe_csv", "chart_html", "table_html", "banner", "slug", "show_section", "caveat", "method_note"]


def slug(text: str) -> str:
    """A file-name-safe version of a title."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "data"


def _png(chart: Chart) -> str:
    """The figure as base64 PNG, reduced to a 256-colour palette (a third of the bytes).

    One draw: the chart's layout was fitted once when it was made (``tight_layout``),
    so the image is the whole figure (no ``bbox_inches="tight"``, which draws it a
    second time to measure it), on the canvas the layout measured with (its text
    metrics and layouts are kept: :func:`cdp_analysis.report.charts.texts_laid_out_once`);
    the figure is closed in pyplot once drawn. The Agg canvas's pixels go straight to
    the palette (the same pixels ``savefig`` would write, without encoding a
    full-colour PNG only to decode it again). Fast-octree quantisation without the extra ``optimize`` pass
    gives smaller files than median-cut + optimize, in half the time (see
    benchmarks/README.md: PNG against SVG).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = chart.figure.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(chart.figure)
    try:
        with texts_laid_out_once(chart.figure):
            canvas.draw()
        image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        image = image.convert("RGB")
    finally:
        chart.close()
    image = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    small = io.BytesIO()
    image.save(small, format="PNG")
    return base64.b64encode(small.getvalue()).decode("ascii")


#: A spreadsheet treats a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert_cell(value: object) -> object:
    """A text cell a spreadsheet will not run: ``'`` before a leading formula character."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_csv(data: pd.DataFrame) -> str:
    """The frame as CSV text, safe to open in a spreadsheet (no formula injection).

    Text cells and column names starting with ``= + - @``, a tab or a carriage return
    get a leading ``'`` (OWASP's advice); numbers are written as they are.

    >>> safe_csv(pd.DataFrame({"ward": ["=HYPERLINK(1)", "Elm"], "n": [-1, 2]}))
    "ward,n\\n'=HYPERLINK(1),-1\\nElm,2\\n"
    """
    frame = data.copy()
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)):
            frame[column] = values.astype(object).map(_inert_cell)  # text, categories, mixed
    frame.columns = [_inert_cell(str(c)) for c in frame.columns]
    return frame.to_csv(index=False)


def _csv_link(data: pd.DataFrame, title: str) -> str:
    payload = base64.b64encode(safe_csv(data).encode("utf-8")).decode("ascii")
    name = slug(title) + ".csv"
    return (
        f'<a class="cdp-download" download="{name}" href="data:text/csv;base64,{payload}">'
        f"Download the data behind this chart (CSV)</a>"
    )


def chart_html(chart: Chart) -> str:
    """HTML for one chart: image with alt text, caption, data download."""
    notice = f'<p class="cdp-synthetic-inline">{SYNTHETIC_NOTICE}</p>' if chart.synthetic else ""
    return (
        '<figure class="cdp-figure">'
        f'<img src="data:image/png;base64,{_png(chart)}" alt="{html.escape(chart.alt_text)}">'
        f"<figcaption><strong>{html.escape(chart.title)}</strong>. Source: {html.escape(chart.source)}."
        f"{notice} {_csv_link(chart.data, chart.title)}</figcaption></figure>"
    )


def table_html(
    table: pd.DataFrame,
    caption: str,
    *,
    synthetic: bool = False,
    formats: Mapping[str, str] | None = None,
    suppressed_cols: tuple[str, ...] = (),
    suppressed_rows: Sequence[bool] | None = None,
) -> str:
    """An accessible HTML table; NaN in ``suppressed_cols`` shows as ``*``.

    With ``suppressed_rows`` (one flag per row), ``*`` marks only the rows that
    disclosure control hid; other missing values show as ``–``.
    """
    formats = formats or {}
    flags = list(suppressed_rows) if suppressed_rows is not None else [True] * len(table)
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in table.columns)
    body = []
    for flag, (_, row) in zip(flags, table.iterrows(), strict=True):
        cells = []
        for column in table.columns:
            hidden = flag and column in suppressed_cols
            cells.append(f"<td>{html.escape(_cell(row[column], formats.get(column), hidden))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = f" {SYNTHETIC_NOTICE}." if synthetic else ""
    foot = (
        f'<p class="cdp-table-note">{SUPPRESSED} = suppressed (small number, disclosure control).</p>'
        if suppressed_cols else ""
    )
    return (
        f'<table class="cdp-table"><caption>{html.escape(caption)}{note}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{foot}"
    )


def _cell(value: object, fmt: str | None, suppressible: bool) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return SUPPRESSED if suppressible else "–"
    if isinstance(value, pd.Timestamp):
        return f"{value:%b %Y}"
    if fmt and isinstance(value, numbers.Real):  # numpy integers are not int subclasses
        return format(float(value), fmt)
    return str(value)


def banner(synthetic: bool, area_label: str, chapter: str, edition: str = "") -> HTML:
    """The top-of-page notice: which area, which edition (``edition``, a sentence; empty for the
    current one), and whether the data is synthetic."""
    text = f"<p><strong>{html.escape(chapter)}</strong>: {html.escape(area_label)}</p>"
    if edition:
        text += f'<p class="cdp-edition" role="note">{html.escape(edition)}</p>'
    if synthetic:
        text += (
            f'<p class="cdp-synthetic" role="note"><strong>{SYNTHETIC_NOTICE}.</strong> '
            "Every figure on this page describes fictional areas generated by <code>cdp demo</code>; "
            "none of it is about a real place.</p>"
        )
    return HTML(f'<div class="cdp-banner">{text}</div>')


def show_section(section: Section | None, missing: str = "The data has nothing for this section.") -> HTML:
    """Display a chapter section: its coverage note, its findings in words, then figures and tables.

    ``section`` may be None (the data lacks it): ``missing`` is shown instead. A
    section whose coverage is ``missing`` shows its one-sentence note and nothing
    else; a ``partial`` one is labelled before its findings.
    """
    if section is None:
        return HTML(f'<p class="cdp-missing" role="note">{html.escape(missing)}</p>')
    return HTML(section.body_html())


def caveat(text: str) -> HTML:
    """A highlighted caveat box (mandatory on police, prevalence and NDTMS data)."""
    return HTML(f'<div class="cdp-caveat" role="note"><p><strong>Caveat.</strong> {html.escape(text)}</p></div>')


def method_note(text: str) -> str:
    """A paragraph saying how an estimate is made (the text is the package's own, written as HTML)."""
    return f'<p class="cdp-method">{text}</p>'

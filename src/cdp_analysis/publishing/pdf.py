"""The board pack as an A4 PDF: ``reports/<area>/needs_assessment.pdf``.

Made from the area's printable document (:mod:`cdp_analysis.publishing.document`) with
WeasyPrint, a paged-media renderer: CSS ``@page`` gives A4, running headers and
"Page n of N"; ``target-counter()`` gives the contents' page numbers; named pages
give landscape pages to tables too wide for portrait. Headless Chromium's
``--print-to-pdf`` does none of the last three.

The print version adds a cover (area, partnership, date, data periods,
version), the one-page board summary (:mod:`cdp_analysis.publishing.boardsummary`) and a
contents list with page numbers; it leaves out what only works on screen
(downloads, navigation, printed link URLs) and moves reference material (each
chapter's "About the data", indicator definitions, the sources table) and long
tables to appendices, so a borough's pack stays within :data:`MAX_PAGES` pages.
:func:`layout_problems` checks every table, figure and image lies inside its
page's content box, from WeasyPrint's own layout boxes.
"""

from __future__ import annotations

import base64
import html
import logging
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdp_analysis.errors import BuildError

__all__ = ["PDF_NAME", "MAX_PAGES", "CoverFacts", "print_html", "render", "write_pdf",
           "layout_problems", "PRINT_CSS"]

PDF_NAME = "needs_assessment.pdf"
MAX_PAGES = 40
#: A table with more body rows than this goes to the appendix (the data pack holds it too).
LONG_TABLE_ROWS = 20
#: A table with more columns than this prints in smaller type (class ``pdf-dense``): the headline table with the
#: neighbour columns (13) fits the portrait width at 6.5 pt; on a landscape page of its own it left most of the
#: page before it and the page it took empty.
WIDE_TABLE_COLUMNS = 11
#: A table with more columns than this is laid out on a landscape page.
LANDSCAPE_TABLE_COLUMNS = 14
#: A chart at most this tall for its width (a few bars against their comparators) prints at two thirds of the
#: width (class ``pdf-short``): full width, its large type took a third of a page for three bars.
SHORT_CHART_RATIO = 0.4
#: A chart at least this tall for its width (a map, a bar per category) floats beside the words, at half the width.
TALL_CHART_RATIO = 0.8
#: A chart taller than this for its width would print too narrow to read within a page (its type under a third
#: of its size): it stays on the web page, the PDF says so where it was.
NARROW_CHART_RATIO = 1.25
#: A paragraph this long that repeats one printed earlier (a method note each chapter carries) prints once;
#: later copies point to its page.
REPEATED_NOTE_CHARS = 200
_APPENDIX_SECTIONS = ("about-the-data",)
#: Sections printed as words and tables only: their charts (one per measure or ambition) stay on the web page
#: and their data in the data pack, so a borough's pack keeps within :data:`MAX_PAGES` pages.
_WORDS_ONLY_SECTIONS = ("statistical-neighbours", "local-outcomes-framework")
#: Sections whose first chart sums up the rest (the spine chart of every harm indicator against England and the
#: range of areas): the one-chart-per-indicator bars after it stay on the web page; the words give each value.
_FIRST_CHART_SECTIONS = ("drug-and-alcohol-harm",)
#: Of those, sections whose tables also stay on the web page (the words give the area's rank and the average).
_NO_TABLES_SECTIONS = ("statistical-neighbours",)

PRINT_CSS = """
@page { size: A4; margin: 17mm 13mm 15mm 13mm;
  @top-left { content: var(--doc-title); font: 7.5pt Arial, sans-serif; color: #505a5f; }
  @top-right { content: string(chapter); font: 7.5pt Arial, sans-serif; color: #505a5f; }
  @bottom-left { content: string(notice); font: 7.5pt Arial, sans-serif; color: #505a5f; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 7.5pt Arial, sans-serif; } }
@page cover { @top-left { content: none; } @top-right { content: none; } @bottom-right { content: none; } }
@page wide { size: A4 landscape; }
html { font-size: 9pt; }
body.cdp-report { max-width: none; margin: 0; padding: 0; font-size: 9pt; line-height: 1.3;
  font-family: "Liberation Sans", Arial, "DejaVu Sans", sans-serif; }
.cdp-skip, .cdp-noprint, .cdp-download, .cdp-doc-contents, .anchor-link, .cdp-nav, .cdp-pager, .cdp-contents,
.cdp-header, .cdp-footer { display: none !important; }
.cdp-report a { color: #0b0c0c; text-decoration: none; }
.cdp-report a[href^="http"]::after { content: none !important; }
h1, h2, h3, h4 { break-after: avoid; line-height: 1.2; }
h1 { font-size: 18pt; margin: 0 0 4mm; }
h2 { font-size: 14pt; margin: 0 0 3mm; }
h3 { font-size: 11.5pt; margin: 4mm 0 1.5mm; }
h4, h5 { font-size: 10pt; margin: 3mm 0 1mm; }
p, li, dd { orphans: 2; widows: 2; margin-top: 0; margin-bottom: 1.5mm; }
.cdp-chapter { break-before: page; }
.cdp-chapter > .jp-Cell:first-child h2, .cdp-chapter h2:first-of-type { string-set: chapter content(); }
.jp-Cell, .jp-OutputArea, .jp-OutputArea-child, .jp-Cell-outputWrapper { overflow: visible !important;
  max-width: 100%; margin: 0; padding: 0; }
.jp-Collapser, .jp-InputPrompt, .jp-OutputPrompt { display: none; }
figure.cdp-figure { break-inside: avoid; margin: 1mm 0 2mm; max-width: 100%; }
figure.cdp-figure img { display: block; box-sizing: border-box; max-width: 100%; max-height: 62mm; width: auto; height: auto;
  margin: 0 auto; }
figcaption { font-size: 7.5pt; line-height: 1.3; }
/* a short, wide chart (a few bars against their comparators) at two thirds of the width: its type stays at
   least as large as the body text's footnotes, and it no longer takes a third of a page */
figure.pdf-short { width: 66%; margin-left: auto; margin-right: auto; }
figure.pdf-short img { max-height: none; }
/* a tall chart (a map, a bar per category) beside the words that explain it, never beside a table or heading */
figure.pdf-tall { float: right; width: 47%; margin: 0 0 2mm 4mm; }  /* two in a row when one follows another */
figure.pdf-tall img { max-height: 88mm; }
h2, h3, h4, table.cdp-table, .pdf-wide, figure.cdp-figure:not(.pdf-tall) { clear: both; }
.pdf-seen { font-style: italic; }
.pdf-seen a::after { content: target-counter(attr(href), page); }
.cdp-synthetic-inline { display: none; }
table.cdp-table { width: 100%; max-width: 100%; border-collapse: collapse; font-size: 7.5pt;
  table-layout: auto; margin: 1mm 0 3mm; break-inside: auto; }
table.cdp-table caption { font-size: 8pt; text-align: left; font-weight: bold; caption-side: top; padding-bottom: 1mm; }
table.cdp-table th, table.cdp-table td { padding: .5mm 1mm; overflow-wrap: break-word; hyphens: auto;
  vertical-align: top; border-bottom: .3pt solid #b1b4b6; }
table.cdp-table thead { display: table-header-group; }
table.cdp-table tr { break-inside: avoid; }
table.cdp-table td.pdf-num { white-space: nowrap; }
.cdp-table-note { font-size: 7pt; }
.pdf-wide { page: wide; }
.pdf-wide table.cdp-table { font-size: 7pt; }
.pdf-dense table.cdp-table { font-size: 6.5pt; line-height: 1.2; }
.pdf-dense table.cdp-table th, .pdf-dense table.cdp-table td { padding: .4mm .6mm; }
.cdp-caveat, .cdp-banner, .cdp-messages, .cdp-summary, .cdp-local { break-inside: avoid; }
.cdp-banner, .cdp-caveat { padding: 1.5mm 3mm; margin: 1.5mm 0; }
.cdp-synthetic { padding: 1.5mm 3mm; }
pre, code { white-space: pre-wrap; overflow-wrap: anywhere; }
/* cover */
.pdf-cover { page: cover; break-after: page; padding-top: 45mm; }
.pdf-cover h1 { font-size: 26pt; margin-bottom: 8mm; }
.pdf-cover .pdf-area { font-size: 18pt; margin-bottom: 12mm; }
.pdf-cover dl { display: block; font-size: 10.5pt; }
.pdf-cover dt { font-weight: bold; margin-top: 3mm; }
.pdf-cover dd { margin-left: 0; }
/* board summary */
.pdf-board { break-after: page; font-size: 8pt; }
.pdf-board h2 { font-size: 15pt; margin-bottom: 2mm; string-set: chapter "Board summary"; }
.pdf-board h3 { font-size: 10pt; margin: 2mm 0 .8mm; padding-top: .5mm; }
.pdf-board p, .pdf-board li { margin-bottom: .5mm; }
.pdf-board ol, .pdf-board ul { margin: 0; padding-left: 5mm; }
.pdf-board table.cdp-table { font-size: 7.5pt; margin-bottom: 1mm; }
.pdf-board table.cdp-table small { font-size: 6.5pt; color: #505a5f; }
.pdf-board .cdp-synthetic { margin: 1mm 0; padding: 1mm 3mm; }
.pdf-board table.cdp-table td, .pdf-board table.cdp-table th { padding: .4mm 1mm; }
td.cdp-rag { border: .5pt solid #0b0c0c; }
/* contents */
.pdf-toc { break-after: page; }
.pdf-toc h1 { string-set: chapter "Contents"; }
.pdf-toc ol { list-style: none; padding-left: 0; margin: 0; }
.pdf-toc ol ol { padding-left: 6mm; }
.pdf-toc li { margin: 0 0 .8mm; }
.pdf-toc li.pdf-toc-chapter { margin-top: 2.5mm; font-weight: bold; }
.pdf-toc li.pdf-toc-chapter li { font-weight: normal; }
.pdf-toc > ol { columns: 2; column-gap: 8mm; font-size: 8.5pt; }
.pdf-toc li.pdf-toc-chapter { break-inside: avoid-column; }
.pdf-toc li.pdf-toc-chapter li { break-inside: avoid; }
.pdf-toc a::after { content: leader('.') target-counter(attr(href), page); }
.pdf-appendix { break-before: page; }
.pdf-appendix + .pdf-appendix { break-before: auto; margin-top: 6mm; }
.pdf-appendix h2 { string-set: chapter content(); }
.pdf-appendix, .pdf-appendix p, .pdf-appendix li, .pdf-appendix dd { font-size: 7.5pt; line-height: 1.3; }
.pdf-appendix dl.cdp-definitions { columns: 2; column-gap: 6mm; font-size: 7.5pt; }
.pdf-appendix dl.cdp-definitions dt { break-after: avoid; }
.pdf-appendix dl.cdp-definitions dd { margin-left: 0; break-inside: avoid; }
.pdf-moved { font-style: italic; }
.pdf-moved a::after { content: target-counter(attr(href), page); }
.cdp-about { break-before: auto; }
.cdp-about h2 { break-after: avoid; }  /* its table (and caption) never split from its heading */
.pdf-appendix .cdp-about table.cdp-table { font-size: 7pt; }
"""


@dataclass
class CoverFacts:
    """What the cover says."""

    area_name: str
    area_code: str
    built: str
    version: str
    synthetic: bool = False
    partnerships: list[str] = field(default_factory=list)
    periods: list[tuple[str, str]] = field(default_factory=list)
    kind: str = ""


def _soup(text: str) -> Any:
    from bs4 import BeautifulSoup

    return BeautifulSoup(text, "html.parser")


def _cover(facts: CoverFacts) -> str:
    rows = [("Area", f"{facts.area_name} ({facts.area_code}){', ' + facts.kind if facts.kind else ''}")]
    if facts.partnerships:
        rows.append(("Combating Drugs Partnership", ", ".join(facts.partnerships)))
    rows.append(("Date", facts.built))
    rows += [(f"Data period: {what}", when) for what, when in facts.periods]
    rows.append(("Version", f"cdp-needs-assessment {facts.version}"))
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    note = ('<p class="cdp-synthetic" role="note"><strong>Synthetic demonstration data.</strong> '
            "This document describes a fictional area.</p>" if facts.synthetic else "")
    return (f'<section class="pdf-cover" aria-label="Cover"><h1>Combating drugs needs assessment</h1>'
            f'<p class="pdf-area">{html.escape(facts.area_name)}</p>{note}<dl>{items}</dl></section>')


def _section_blocks(chapter: Any, anchor_suffix: str) -> list[Any]:
    """The cells of the chapter section whose heading id ends with ``anchor_suffix`` (heading cell first)."""
    heading = chapter.find(id=re.compile(re.escape(anchor_suffix) + "$"))
    if heading is None:
        return []
    cell = heading.find_parent("div", class_="jp-Cell")
    if cell is None or cell.parent is not chapter:
        return []
    level = heading.name
    blocks = [cell]
    for sibling in cell.find_next_siblings():
        found = sibling.find(re.compile(r"^h[1-4]$"))
        if found is not None and found.name <= level:
            break
        blocks.append(sibling)
    return blocks


def _title_of(chapter: Any) -> str:
    first = chapter.find("h2")
    return _heading_text(first) if first else chapter.get("id", "")


_NUMERIC = re.compile(r"[-–+*]?[\d,.]+%?( to [-–]?[\d,.]+%?)?|[\d,.]+ ?- ?[\d,.]+")


def _heading_text(tag: Any) -> str:
    return re.sub(r"\s*¶\s*$", "", tag.get_text(" ", strip=True))


def print_html(document: str, cover: CoverFacts, *, long_rows: int = LONG_TABLE_ROWS,
               wide_columns: int = WIDE_TABLE_COLUMNS, landscape_columns: int = LANDSCAPE_TABLE_COLUMNS) -> str:
    """The print version of an area's printable document (see the module docstring).

    Parameters
    ----------
    document : str
        ``needs_assessment.html`` as :func:`cdp_analysis.publishing.document.write_document` wrote it;
        the board summary at its front (:data:`~cdp_analysis.publishing.document.BOARD_CLASS`) is
        printed on its own page after the cover.
    cover : CoverFacts
    """
    from cdp_analysis.publishing.document import BOARD_CLASS

    soup = _soup(document)
    main = soup.find("main")
    if main is None:
        raise BuildError("The printable document has no <main>: it cannot be printed.")
    front = main.find("section", class_=BOARD_CLASS, recursive=False)
    if front is not None and cover.synthetic:  # the cover says it and every page's footer: once is enough
        for note in front.find_all(class_="cdp-synthetic"):
            note.decompose()
    board = "".join(str(child) for child in front.contents) if front is not None else ""
    chapters = main.find_all("section", class_="cdp-chapter", recursive=False)
    footer = soup.find("footer")
    about_page = footer.find(class_="cdp-about") if footer else None

    if cover.synthetic:  # before any table moves to the appendix
        _one_synthetic_notice(chapters)
    appendix: list[tuple[str, str, list[str]]] = []  # (id, title, html parts)
    moved_tables: list[str] = []
    for chapter in chapters:
        chapter_id = chapter.get("id", "")
        title = _title_of(chapter)
        parts = []
        for suffix in _APPENDIX_SECTIONS:
            blocks = _section_blocks(chapter, suffix)
            for block in blocks:
                parts.append(str(block.extract()))
        for definitions in chapter.find_all("dl", class_="cdp-definitions"):
            head = definitions.find_previous_sibling(re.compile("^h[3-5]$"))
            if head is not None:
                head.extract()
            parts.append("<h4>Indicator definitions</h4>" + str(definitions.extract()))
        if parts:
            appendix.append((f"appendix-{chapter_id}", title, parts))
        for suffix in (*_WORDS_ONLY_SECTIONS, *_FIRST_CHART_SECTIONS):
            blocks = _section_blocks(chapter, suffix)
            figures = [f for block in blocks for f in block.find_all("figure")]
            figures = figures[1:] if suffix in _FIRST_CHART_SECTIONS else figures
            tables = [t for block in blocks for t in block.find_all("table")] if suffix in _NO_TABLES_SECTIONS else []
            for element in figures + tables:
                element.extract()
            if figures or tables:
                heading = chapter.find(id=re.compile(re.escape(suffix) + "$"))
                note = soup.new_tag("p", attrs={"class": "pdf-moved"})
                what = " and ".join(w for w in (f"{len(figures)} chart{'s' if len(figures) != 1 else ''}" if figures
                                                else "", f"{len(tables)} table{'s' if len(tables) != 1 else ''}"
                                                if tables else "") if w)
                verb = "is" if len(figures) + len(tables) == 1 else "are"
                other = "other " if suffix in _FIRST_CHART_SECTIONS else ""
                note.string = f"This section's {other}{what} {verb} on the web page; the data pack holds their data."
                heading.insert_after(note)
        for cell in chapter.find_all("td"):
            if _NUMERIC.fullmatch(cell.get_text(" ", strip=True)):
                cell["class"] = [*cell.get("class", []), "pdf-num"]
        for n, table in enumerate(chapter.find_all("table")):
            rows = table.find("tbody").find_all("tr") if table.find("tbody") else table.find_all("tr")
            columns = len(table.find("tr").find_all(["th", "td"])) if table.find("tr") else 0
            if len(rows) > long_rows:
                anchor = f"pdf-moved-{chapter_id}-{n}"
                caption = table.find("caption")
                name = caption.get_text(" ", strip=True) if caption else "A table"
                note = soup.new_tag("p", attrs={"class": "pdf-moved"})
                link = soup.new_tag("a", href=f"#{anchor}")
                link.string = f"{name}: {len(rows)} rows, in the appendix (page "
                note.append(link)
                note.append(") and the data pack.")
                table.insert_before(note)
                wrapper = f'<div id="{anchor}" class="{_width_class(columns, wide_columns, landscape_columns)}">'
                moved_tables.append(wrapper + str(table.extract()) + "</div>")
            elif columns > wide_columns:
                table.wrap(soup.new_tag("div", attrs={"class": _width_class(columns, wide_columns, landscape_columns)}))
    _mark_chart_sizes(soup, chapters)
    _point_repeated_notes(soup, chapters)
    _point_repeated_tables(soup, chapters)
    # the contents: chapters and their sections (h2 and h3 of the document), then the appendices
    toc = []
    for chapter in chapters:
        items = []
        for heading in chapter.find_all("h3"):
            if heading.get("id") and not heading.find_parent(class_="cdp-summary"):
                items.append(f'<li><a href="#{heading["id"]}">{html.escape(_heading_text(heading))}</a></li>')
        first = chapter.find("h2")
        target = first.get("id") if first is not None and first.get("id") else chapter.get("id")
        toc.append(f'<li class="pdf-toc-chapter"><a href="#{html.escape(target)}">'
                   f"{html.escape(_title_of(chapter))}</a><ol>{''.join(items)}</ol></li>")
    appendix_html = []
    if appendix:
        inner = "".join(f'<h3 id="{anchor}">{html.escape(title)}</h3>{"".join(parts)}' for anchor, title, parts in appendix)
        appendix_html.append(f'<section class="pdf-appendix"><h2 id="appendix-about">Appendix A. About the data, '
                             f"chapter by chapter</h2>{inner}</section>")
        entries = "".join(f'<li><a href="#{anchor}">{html.escape(title)}</a></li>' for anchor, title, _ in appendix)
        toc.append(f'<li class="pdf-toc-chapter"><a href="#appendix-about">Appendix A. About the data, chapter by '
                   f"chapter</a><ol>{entries}</ol></li>")
    if moved_tables:
        letter = "B" if appendix else "A"
        appendix_html.append(f'<section class="pdf-appendix"><h2 id="appendix-tables">Appendix {letter}. Long '
                             f"tables</h2>{''.join(moved_tables)}</section>")
        toc.append(f'<li class="pdf-toc-chapter"><a href="#appendix-tables">Appendix {letter}. Long tables</a></li>')
    if about_page is not None:
        heading = about_page.find("h2")
        if heading is not None:
            heading["id"] = "appendix-sources"
            heading.string = "Data used and how it was made"
        appendix_html.append(f'<section class="pdf-appendix">{about_page}</section>')
        toc.append('<li class="pdf-toc-chapter"><a href="#appendix-sources">Data used and how it was made</a></li>')
    contents = (f'<nav class="pdf-toc" aria-labelledby="pdf-contents"><h1 id="pdf-contents">Contents</h1>'
                f"<ol>{''.join(toc)}</ol></nav>")
    board_html = f'<section class="pdf-board">{board}</section>' if board else ""
    title = f"Combating drugs needs assessment: {cover.area_name}"
    notice = "Synthetic demonstration data" if cover.synthetic else f"Built {cover.built}"
    styles = "".join(str(s) for s in soup.find_all("style"))
    chapters_html = "".join(str(c) for c in chapters)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="author" content="cdp-needs-assessment {html.escape(cover.version)}">'
            f'<meta name="dcterms.created" content="{html.escape(cover.built)}">'
            f"{styles}<style>{_page_css(title, notice)}</style></head><body class=\"cdp-report cdp-document cdp-print\">"
            f"<main>{_cover(cover)}{board_html}{contents}{chapters_html}{''.join(appendix_html)}</main>"
            f"</body></html>")


def _width_class(columns: int, wide_columns: int, landscape_columns: int) -> str:
    """The print class of a table with this many columns: none, smaller type, or a landscape page."""
    if columns > landscape_columns:
        return "pdf-wide"
    return "pdf-dense" if columns > wide_columns else ""


def _one_synthetic_notice(chapters: list[Any]) -> None:
    """The print's cover says the data is synthetic and every page's footer repeats it (``@bottom-left``), so
    the notices of the chapter pages (a box under each chapter's title, a line under each set of messages,
    figure or table caption) are left out of the print."""
    for chapter in chapters:
        for notice in chapter.find_all(class_=["cdp-synthetic", "cdp-synthetic-inline"]):
            notice.decompose()
        for paragraph in chapter.find_all("p"):  # the line under a chapter's messages, written in Markdown
            if re.fullmatch(r"Synthetic demonstration data[:.][^.]{0,80}\.?", paragraph.get_text(" ", strip=True)):
                paragraph.decompose()
        for caption in chapter.find_all("caption"):
            for text in caption.find_all(string=re.compile(r"Synthetic demonstration data\.?\s*$")):
                text.replace_with(re.sub(r"\s*Synthetic demonstration data\.?\s*$", "", str(text)))


def _png_size(src: str) -> tuple[int, int] | None:
    """Width and height of a ``data:image/png;base64,`` image, from its header (None for anything else)."""
    prefix = "data:image/png;base64,"
    if not src.startswith(prefix):
        return None
    try:
        head = base64.b64decode(src[len(prefix):len(prefix) + 44])
    except ValueError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def _mark_chart_sizes(soup: Any, chapters: list[Any]) -> None:
    """Class ``pdf-short`` on figures whose chart is short for its width (:data:`SHORT_CHART_RATIO`),
    ``pdf-tall`` on those tall for it (:data:`TALL_CHART_RATIO`); a chart too tall to read at print
    size (:data:`NARROW_CHART_RATIO`) gives way to a note."""
    for chapter in chapters:
        for figure in chapter.find_all("figure"):
            image = figure.find("img")
            size = _png_size(image.get("src", "")) if image is not None else None
            if not size or not size[0]:
                continue
            if size[1] / size[0] <= SHORT_CHART_RATIO:
                figure["class"] = [*figure.get("class", []), "pdf-short"]
            elif size[1] / size[0] > NARROW_CHART_RATIO:
                caption = figure.find("figcaption")
                name = caption.find("strong") or caption if caption is not None else None
                note = soup.new_tag("p", attrs={"class": "pdf-moved"})
                note.string = (f"The chart “{name.get_text(' ', strip=True).rstrip('.') if name else 'here'}” is on the "
                               "web page: too tall to read at A4 size. The data pack holds its data.")
                figure.replace_with(note)
            elif size[1] / size[0] >= TALL_CHART_RATIO:
                figure["class"] = [*figure.get("class", []), "pdf-tall"]


def _point_repeated_notes(soup: Any, chapters: list[Any]) -> None:
    """Print a long note that every chapter repeats once: later copies say where it is.

    A paragraph of at least :data:`REPEATED_NOTE_CHARS` characters whose text was printed
    earlier in the document becomes its first sentence (when short) and a pointer to the page
    of the first copy.
    """
    first: dict[str, str] = {}
    for chapter in chapters:
        for n, paragraph in enumerate(chapter.find_all("p")):
            text = paragraph.get_text(" ", strip=True)
            if len(text) < REPEATED_NOTE_CHARS:
                continue
            if text not in first:
                anchor = paragraph.get("id") or f"pdf-note-{chapter.get('id', '')}-{n}"
                paragraph["id"] = anchor
                first[text] = anchor
                continue
            lead = re.match(r"(.{20,140}?[.:])\s", text)
            note = soup.new_tag("p", attrs={"class": "pdf-seen"})
            note.append(f"{lead.group(1).rstrip(':.')}: " if lead else "The same note as ")
            link = soup.new_tag("a", href=f"#{first[text]}")
            link.string = "in full on page " if lead else "on page "
            note.append(link)
            note.append(".")
            paragraph.replace_with(note)


def _rows(table: Any) -> list[tuple[str, ...]]:
    body = table.find("tbody") or table
    return [tuple(c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])) for tr in body.find_all("tr")]


def _point_repeated_tables(soup: Any, chapters: list[Any]) -> None:
    """A table every row of which an earlier table printed (a chapter's headline indicators since the last
    assessment, all in the overview's) prints as a pointer to that table's page."""
    printed: list[tuple[str, set[tuple[str, ...]]]] = []
    for chapter in chapters:
        for n, table in enumerate(chapter.find_all("table")):
            rows = _rows(table)
            earlier = next((anchor for anchor, seen in printed if len(rows) >= 3 and set(rows) <= seen), None)
            if earlier is None:
                anchor = table.get("id") or f"pdf-table-{chapter.get('id', '')}-{n}"
                table["id"] = anchor
                printed.append((anchor, set(rows)))
                continue
            caption = table.find("caption")
            name = caption.get_text(" ", strip=True) if caption is not None else "This table"
            name = re.sub(r"\s*Synthetic demonstration data\.?$", "", name).rstrip(".")
            note = soup.new_tag("p", attrs={"class": "pdf-seen"})
            note.append(f"{name}: its {len(rows)} rows are all in the table ")
            link = soup.new_tag("a", href=f"#{earlier}")
            link.string = "on page "
            note.append(link)
            note.append(".")
            table.replace_with(note)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _page_css(title: str, notice: str) -> str:
    """The print style sheet with this document's running header and footer."""
    return (PRINT_CSS.replace("var(--doc-title)", _css_string(title))
            .replace("string(notice)", _css_string(notice)))


def render(printable: str, base_url: str | None = None) -> Any:
    """Lay the print HTML out with WeasyPrint (a ``weasyprint.Document``)."""
    try:
        import weasyprint
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise BuildError("WeasyPrint is needed for the PDF: pip install weasyprint (and Debian's "
                         "libpango-1.0-0 libpangoft2-1.0-0)") from exc
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # screen-only CSS it ignores is expected
    return weasyprint.HTML(string=printable, base_url=base_url).render()


def _boxes(box: Any):
    yield box
    for child in getattr(box, "children", []) or []:
        yield from _boxes(child)


def layout_problems(document: Any, tolerance: float = 0.5) -> list[str]:
    """Tables, figures and images that overflow their page's content box (empty: all inside).

    Walks WeasyPrint's layout: every box of a ``table``, ``figure`` or ``img`` element
    (and every table cell) must lie between the page's left and right content edges,
    and not below its bottom edge.
    """
    problems = []
    for number, page in enumerate(document.pages, start=1):
        root = page._page_box  # noqa: SLF001 - WeasyPrint exposes layout only here
        left = root.margin_left + root.padding_left
        right = root.margin_width() - root.margin_right
        bottom = root.margin_height() - root.margin_bottom
        for box in _boxes(root):
            tag = getattr(box, "element_tag", None)
            if tag not in ("table", "figure", "img", "td", "th"):
                continue
            if not hasattr(box, "border_width") or box.position_x is None:
                continue
            x0 = box.position_x + box.margin_left
            x1 = x0 + box.border_width()
            y1 = box.position_y + box.margin_top + box.border_height()
            if x0 < left - tolerance or x1 > right + tolerance or y1 > bottom + tolerance:
                problems.append(f"page {number}: <{tag}> spans x {x0:.0f} to {x1:.0f} and ends at y {y1:.0f}; "
                                f"the content box is x {left:.0f} to {right:.0f}, y to {bottom:.0f}")
    return problems


def write_pdf(folder: Path, document: str, cover: CoverFacts, *,
              max_pages: int | None = None) -> tuple[Path, Any]:
    """Write ``needs_assessment.pdf`` (atomically); return its path and the laid-out document.

    Raises
    ------
    BuildError
        A table or figure would be cut at the page edge.
    """
    printable = print_html(document, cover)
    laid_out = render(printable, base_url=str(folder))
    problems = layout_problems(laid_out)
    if problems:
        raise BuildError(f"The PDF of {cover.area_code} would cut {len(problems)} table or figure "
                         f"box(es) at the page edge; first: {problems[0]}")
    target = folder / PDF_NAME
    tmp = target.with_name(f".{target.name}.tmp")
    laid_out.write_pdf(tmp, pdf_variant="pdf/ua-1", custom_metadata=True)
    tmp.replace(target)
    return target, laid_out

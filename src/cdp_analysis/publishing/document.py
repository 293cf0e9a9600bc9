"""One printable document per area: ``reports/<area>/needs_assessment.html``.

The built chapter pages' main content, in chapter order, in one page a council
can print or save as PDF: each chapter starts on a new page (``@media print``
in ``report.css``), navigation chrome is left out, headings move one level down
under the document's own ``h1``, and every ``id`` is prefixed with its chapter so
links between and within chapters keep working inside the one file.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from cdp_analysis.publishing.export import (
    ChapterLink,
    atomic_write_text,
    check_publishable,
    is_not_built_page,
    standalone_page,
)

__all__ = ["DOCUMENT_NAME", "main_content", "write_document"]

DOCUMENT_NAME = "needs_assessment.html"
_HEADING = re.compile(r"<(/?)h([1-5])\b")
_CHROME = ("contents", "pager")


def main_content(page: str) -> str:
    """The inside of a page's ``<main>``, without its contents list and pager."""
    start = page.find('<main id="main">')
    end = page.rfind("</main>")
    if start < 0 or end < start:
        return ""
    body = page[start + len('<main id="main">'):end]
    for name in _CHROME:
        body = re.sub(rf"<!-- cdp:{name} -->.*?<!-- /cdp:{name} -->", "", body, flags=re.S)
    return body


def _rehome(body: str, chapter: str, chapters: set[str]) -> str:
    """Prefix ids and same-page links with the chapter; links to sibling chapters become in-document."""
    body = re.sub(r'\b(id|aria-labelledby|aria-describedby|for)="([^"]+)"',
                  lambda m: f'{m[1]}="{chapter}-{m[2]}"', body)
    body = re.sub(r'href="#([^"]*)"', lambda m: f'href="#{chapter}-{m[1]}"', body)

    def sibling(match: re.Match) -> str:
        target, fragment = match[1], match[2]
        if target not in chapters:
            return match[0]
        return f'href="#{target}-{fragment}"' if fragment else f'href="#{target}"'

    body = re.sub(r'href="([0-9]{2}_[a-z0-9_]+)\.html(?:#([^"]*))?"', sibling, body)
    return _HEADING.sub(lambda m: f"<{m[1]}h{int(m[2]) + 1}", body)


def write_document(area_dir: Path, area_name: str, chapters: Sequence[ChapterLink], *,
                   synthetic: bool, about: str = "", forbidden: Iterable[str] = ()) -> Path | None:
    """Write the area's printable document from its built chapter pages (None if none is built).

    Raises
    ------
    BuildError
        The document would show a local path or an error trace.
    """
    parts, toc = [], []
    ids = {c.chapter for c in chapters}
    for link in chapters:
        page_file = area_dir / link.href
        page = page_file.read_text(encoding="utf-8") if page_file.is_file() else ""
        if not page or is_not_built_page(page):
            continue
        body = _rehome(main_content(page), link.chapter, ids)
        parts.append(f'<section class="cdp-chapter" id="{link.chapter}" aria-label="{html.escape(link.title)}">'
                     f"{body}</section>")
        toc.append(f'<li><a href="#{link.chapter}">{html.escape(link.title)}</a></li>')
    if not parts:
        return None
    note = ('<p class="cdp-synthetic" role="note"><strong>Synthetic demonstration data.</strong> '
            "This document describes a fictional area.</p>" if synthetic else "")
    title = f"Combating drugs needs assessment: {html.escape(area_name)}"
    body = (f'<h1>{title}</h1>{note}<p class="cdp-noprint"><a href="../index.html">All areas and chapters</a>'
            f" · Print this page or save it as PDF for the whole document.</p>"
            f'<nav class="cdp-doc-contents" aria-label="Chapters in this document"><p class="cdp-contents-title">'
            f'Chapters</p><ol>{"".join(toc)}</ol></nav>{"".join(parts)}')
    footer = (f'{about}<p><a href="../methods.html">Methods and glossary</a> · '
              f'<a href="../accessibility.html">Accessibility statement</a></p>')
    page = standalone_page(title, body, "cdp-report cdp-document", footer=footer)
    check_publishable(page, forbidden)
    target = area_dir / DOCUMENT_NAME
    atomic_write_text(target, page)
    return target

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
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from cdp_analysis.publishing.export import (
    CHAPTER_TITLES,
    ChapterLink,
    atomic_write_text,
    check_publishable,
    is_not_built_page,
    redact_paths,
    standalone_page,
)

__all__ = ["DOCUMENT_NAME", "BOARD_CLASS", "main_content", "write_document", "coverage_html", "coverage_counts"]

#: How a section's coverage status reads in the lists of what a document holds.
_STATUS_WORDS = {"covered": "shown", "partial": "partial data", "missing": "no data"}

DOCUMENT_NAME = "needs_assessment.html"
#: The class of the section holding the board summary at the front of the document.
BOARD_CLASS = "cdp-doc-board"
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


def coverage_counts(sections: Sequence[Mapping]) -> dict[str, int]:
    """Sections shown, partial and missing (``{"shown": n, "partial": n, "missing": n}``)."""
    statuses = [s.get("status", "covered") for s in sections]
    return {"shown": statuses.count("covered"), "partial": statuses.count("partial"),
            "missing": statuses.count("missing")}


def coverage_html(chapters: Sequence[str], not_built: Mapping[str, str], sections: Mapping[str, Sequence[Mapping]],
                  *, links: Mapping[str, str] | None = None, heading: str = "h2") -> str:
    """Every chapter and its sections, each with what it shows: "shown", "partial data" or "no data"
    and the reason, or the chapter "not built" and why. ``links`` maps a chapter to its anchor or page."""
    items = []
    for chapter in chapters:
        title = html.escape(CHAPTER_TITLES.get(chapter, chapter))
        href = (links or {}).get(chapter)
        name = f'<a href="{html.escape(href)}">{title}</a>' if href else title
        if chapter in not_built:
            why = redact_paths(not_built[chapter]).strip()
            items.append(f"<li>{name}: <strong>not built</strong>{': ' + html.escape(why) if why else ''}</li>")
            continue
        rows = list(sections.get(chapter, ()))
        if not rows:
            items.append(f"<li>{name}: built (its sections were not recorded)</li>")
            continue
        n = coverage_counts(rows)
        parts = "".join(
            f"<li>{html.escape(r.get('title', ''))}: {_STATUS_WORDS.get(r.get('status', ''), r.get('status', ''))}"
            + (f" ({html.escape(redact_paths(r['note']))})" if r.get("status") != "covered" and r.get("note") else "")
            + "</li>" for r in rows)
        items.append(f"<li>{name}: {n['shown']} of {len(rows)} sections shown in full, {n['partial']} partial, "
                     f"{n['missing']} without data<ul>{parts}</ul></li>")
    return (f'<section class="cdp-doc-coverage" aria-labelledby="what-it-holds"><{heading} id="what-it-holds">'
            f"What this document holds</{heading}><ul>{''.join(items)}</ul></section>")


def write_document(area_dir: Path, area_name: str, chapters: Sequence[ChapterLink], *,
                   synthetic: bool, about: str = "", forbidden: Iterable[str] = (),
                   not_built: Mapping[str, str] | None = None,
                   sections: Mapping[str, Sequence[Mapping]] | None = None,
                   order: Sequence[str] = (), board: str = "") -> Path | None:
    """Write the area's printable document from its built chapter pages (None if none is built).

    It opens with what it holds: every chapter of ``order`` (the built ``chapters``
    and those in ``not_built``, chapter id → why), each section with "shown",
    "partial data" or "no data" and the reason (``sections``: chapter id → the
    summary record's section rows); a chapter not built keeps its place in the
    document with the reason.

    ``board`` is the one-page board summary's HTML
    (:func:`cdp_analysis.publishing.boardsummary.summary_html` with ``heading_level=2``),
    placed first, after the title, in a ``section`` of class :data:`BOARD_CLASS`; the
    PDF (:func:`cdp_analysis.publishing.pdf.print_html`) takes it from there, so the
    summary's markup has one source.

    Raises
    ------
    BuildError
        The document would show a local path or an error trace.
    """
    parts, toc = [], []
    ids = {c.chapter for c in chapters}
    not_built = dict(not_built or {})
    built: dict[str, str] = {}
    for link in chapters:
        page_file = area_dir / link.href
        page = page_file.read_text(encoding="utf-8") if page_file.is_file() else ""
        if not page or is_not_built_page(page):
            not_built.setdefault(link.chapter, "")
            continue
        built[link.chapter] = _rehome(main_content(page), link.chapter, ids)
    if not built:
        return None
    ordered = list(dict.fromkeys([*order, *(c.chapter for c in chapters), *not_built]))
    for chapter in ordered:
        title = CHAPTER_TITLES.get(chapter, chapter)
        if chapter in built:
            body = built[chapter]
        elif chapter in not_built:
            why = redact_paths(not_built[chapter]).strip()
            body = (f"<h2>{html.escape(title)}</h2><p class=\"cdp-missing\" role=\"note\"><strong>This chapter is not "
                    f"built.</strong>{' Reason: ' + html.escape(why) if why else ''}</p>")
        else:
            continue
        parts.append(f'<section class="cdp-chapter" id="{chapter}" aria-label="{html.escape(title)}">'
                     f"{body}</section>")
        toc.append(f'<li><a href="#{chapter}">{html.escape(title)}</a>'
                   f"{'' if chapter in built else ' (not built)'}</li>")
    holds = coverage_html([c for c in ordered if c in built or c in not_built], not_built, sections or {},
                          links={c: f"#{c}" for c in ordered})
    # the board summary at the front carries the notice (one notice at the top; every chapter keeps its own)
    note = ('<p class="cdp-synthetic" role="note"><strong>Synthetic demonstration data.</strong> '
            "This document describes a fictional area.</p>" if synthetic and not board else "")
    title = f"Combating drugs needs assessment: {html.escape(area_name)}"
    front = (f'<section class="{BOARD_CLASS}" aria-label="Board summary">{board}</section>' if board else "")
    body = (f'<h1>{title}</h1>{note}<p class="cdp-noprint"><a href="../index.html">All areas and chapters</a>'
            f" · Print this page or save it as PDF for the whole document.</p>{front}"
            f'<nav class="cdp-doc-contents" aria-label="Chapters in this document"><p class="cdp-contents-title">'
            f'Chapters</p><ol>{"".join(toc)}</ol></nav>{holds}{"".join(parts)}')
    footer = (f'{about}<p><a href="../methods.html">Methods and glossary</a> · '
              f'<a href="../accessibility.html">Accessibility statement</a></p>')
    page = standalone_page(title, body, "cdp-report cdp-document", footer=footer)
    check_publishable(page, forbidden)
    target = area_dir / DOCUMENT_NAME
    atomic_write_text(target, page)
    return target

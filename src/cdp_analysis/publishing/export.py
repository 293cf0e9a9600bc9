"""Executed notebook → accessible HTML page, and the index of all reports.

Pages are exported with nbconvert's lab template extended by ours
(``templates/cdp``): code hidden, no CDN scripts, styles inlined. Before a page
is written it is checked for local paths; every file is written atomically.
"""

from __future__ import annotations

import datetime
import html
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import nbformat

from cdp_analysis.errors import BuildError, redact_paths
from cdp_analysis.indicators.supply import POLICE_STATION_MATERIAL, POLICE_STATION_POINT
from cdp_analysis.publishing.summary import MAX_PER_CHAPTER
from cdp_analysis.vocabulary import source_title

__all__ = [
    "CHAPTER_TITLES",
    "atomic_write_text",
    "export_html",
    "check_publishable",
    "IndexEntry",
    "write_index",
    "redact_paths",
    "write_not_built_page",
    "is_not_built_page",
    "standalone_page",
    "slug_id",
    "heading_text",
    "assemble_page",
    "page_anchors",
    "section_anchor",
    "ChapterLink",
    "chapter_nav_html",
    "pager_html",
    "executive_summary_html",
    "about_html",
    "write_methods_page",
    "write_accessibility_page",
]

CHAPTER_TITLES = {
    "00_outcomes_overview": "Outcomes overview",
    "01_supply": "Break drug supply chains",
    "02_treatment_recovery": "Treatment and recovery",
    "03_demand": "A generational shift in demand",
}
REMOVE_TAG = "remove_cell"
_BUILD_MIME = "application/vnd.cdp."  # outputs for the build (summary records), never shown


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; published pages must be readable
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _template_dir() -> Path:
    return Path(str(resources.files("cdp_analysis").joinpath("templates")))


def export_html(notebook: nbformat.NotebookNode, *, title: str, forbidden: Iterable[str] = ()) -> str:
    """HTML of an executed notebook: outputs only, cells tagged ``remove_cell`` dropped.

    Raises
    ------
    BuildError
        The page would show a local path (one of ``forbidden``) or a Python traceback.
    """
    notebook.metadata["title"] = title
    notebook.metadata.setdefault("cdp", {}).setdefault("date", _today())
    body, _ = _exporter().from_notebook_node(notebook, resources={"language_code": "en"})
    body = assemble_page(body)
    check_publishable(body, forbidden)
    return body


_EXPORTERS = threading.local()


def _exporter():  # -> nbconvert.HTMLExporter
    """This thread's HTML exporter: made once, so its templates are compiled once (not for every page)."""
    exporter = getattr(_EXPORTERS, "html", None)
    if exporter is None:
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor

        exporter = HTMLExporter(
            template_name="cdp", extra_template_basedirs=[str(_template_dir())],
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        )
        remover = TagRemovePreprocessor(remove_cell_tags={REMOVE_TAG}, enabled=True)
        exporter.register_preprocessor(remover, enabled=True)
        exporter.register_preprocessor(_drop_stderr, enabled=True)
        _EXPORTERS.html = exporter
    return exporter


def _today() -> str:
    return datetime.date.today().isoformat()


def _drop_stderr(notebook: nbformat.NotebookNode, resources: dict) -> tuple:
    """Remove stderr streams (log lines, warnings) and the chapter's summary record
    (:mod:`cdp_analysis.publishing.summary`): they are for analysts and the build, not readers."""
    for cell in notebook.cells:
        if cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs if not _for_build_only(o)]
    return notebook, resources


def _for_build_only(output: dict) -> bool:
    if output.get("output_type") == "stream":
        return output.get("name") == "stderr"
    return any(str(mime).startswith(_BUILD_MIME) for mime in (output.get("data") or {}))


_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|ansi-red-fg\">[A-Za-z]*Error")


def check_publishable(page: str, forbidden: Iterable[str] = ()) -> None:
    """Refuse a page that shows a local path or an error trace."""
    for text in forbidden:
        if text and len(text) > 4 and text in page:
            raise BuildError("The page would show a local path; refusing to publish it.")
    if _TRACEBACK.search(page):
        raise BuildError("The page shows a Python error; refusing to publish it.")


@dataclass(frozen=True)
class IndexEntry:
    """One area's row in the index: which chapters exist or failed."""

    area_code: str
    area_name: str
    area_type: str
    synthetic: bool
    chapters: dict[str, str]  # chapter id → "ok" | error message
    #: chapter id → {"shown", "partial", "missing": counts, "sections": [{title, status, note}]} (built ones)
    coverage: dict[str, dict] = field(default_factory=dict)


_KINDS = {"cdp": "Combating Drugs Partnership", "utla": "Upper-tier local authority",
          "region": "Region", "country": "Country", "lad": "Local authority"}


def _index_row(entry: IndexEntry, chapters: list[str], printable: bool,
               extras: Iterable[tuple[str, str]] = ()) -> str:
    cells = []
    for chapter in chapters:
        status = entry.chapters.get(chapter)
        if status == "ok":
            href = html.escape(f"{quote(entry.area_code)}/{quote(chapter)}.html")
            cells.append(f'<td><a href="{href}">{html.escape(CHAPTER_TITLES.get(chapter, chapter))}'
                         f'<span class="cdp-visually-hidden">: {html.escape(entry.area_name)}</span></a>'
                         f"{_coverage_cell(entry.coverage.get(chapter))}</td>")
        elif status:
            cells.append(f"<td>Not built: {html.escape(redact_paths(status))}</td>")
        else:
            cells.append("<td>–</td>")
    if printable:
        href = html.escape(f"{quote(entry.area_code)}/needs_assessment.html")
        links = [(html.escape(f"{quote(entry.area_code)}/needs_assessment.html"), "Whole document")]
        links += [(html.escape(f"{quote(entry.area_code)}/{quote(name)}"), label) for label, name in extras]
        items = "".join(f'<li style="margin:.5rem 0"><a href="{h}">{html.escape(label)}<span class="cdp-visually-hidden">'
                        f": {html.escape(entry.area_name)}</span></a></li>" for h, label in links)
        cells.append(f'<td><ul style="list-style:none;margin:0;padding:0">{items}</ul></td>' if extras else
                     f'<td><a href="{href}">Whole document<span class="cdp-visually-hidden">: '
                     f"{html.escape(entry.area_name)}</span></a></td>")
    else:
        cells.append("<td>–</td>")
    kind = _KINDS.get(entry.area_type, entry.area_type)
    return (f'<tr><th scope="row">{html.escape(entry.area_name)}<br><small>{html.escape(entry.area_code)}, '
            f'{html.escape(kind)}</small></th>{"".join(cells)}</tr>')


def _coverage_cell(coverage: dict | None) -> str:
    """Under a chapter's link: sections shown, partial and without data, the gaps listed with their reasons."""
    if not coverage or not coverage.get("sections"):
        return ""
    rows = coverage["sections"]
    text = (f"{coverage['shown']} of {len(rows)} sections shown"
            + (f", {coverage['partial']} partial" if coverage["partial"] else "")
            + (f", {coverage['missing']} no data" if coverage["missing"] else ""))
    gaps = "".join(f"<li>{html.escape(r.get('title', ''))}: {'partial data' if r.get('status') == 'partial' else 'no data'}"
                   f" ({html.escape(redact_paths(r.get('note', '')))})</li>"
                   for r in rows if r.get("status") != "covered")
    if not gaps:
        return f"<br><small>{text}</small>"
    return f"<details><summary><small>{text}</small></summary><ul>{gaps}</ul></details>"


def _index_table(caption: str, entries: list[IndexEntry], chapters: list[str], printable: set[str],
                 extras: dict[str, list[tuple[str, str]]] | None = None) -> str:
    head = "".join(f'<th scope="col">{html.escape(CHAPTER_TITLES.get(c, c))}</th>' for c in chapters)
    rows = "".join(_index_row(e, chapters, e.area_code in printable, (extras or {}).get(e.area_code, ()))
                   for e in sorted(entries, key=lambda e: (e.area_type != "cdp", e.area_name)))
    return (f'<table class="cdp-table"><caption>{html.escape(caption)}</caption>'
            f'<thead><tr><th scope="col">Area</th>{head}<th scope="col">Printable</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def write_index(reports_dir: Path, entries: list[IndexEntry], chapters: list[str],
                printable: Iterable[str] = (), board: Mapping[str, list[tuple[str, str]]] | None = None) -> Path:
    """Write ``reports/index.html``: real areas, then synthetic ones, each with its chapters.

    ``chapters`` are the columns (a chapter any entry has is added at the end);
    ``printable`` holds the codes of areas whose whole document exists; ``board`` maps an
    area code to the (label, file name) of its board-pack files, linked beside its pages.
    """
    columns = list(dict.fromkeys([*chapters, *sorted(c for e in entries for c in e.chapters)]))
    printable = set(printable)
    extras = {e.area_code: list((board or {}).get(e.area_code, ())) for e in entries}
    real = [e for e in entries if not e.synthetic]
    synthetic = [e for e in entries if e.synthetic]
    parts = ['<h2 id="real-areas">Real areas</h2>',
             _index_table("Real areas and their chapters", real, columns, printable, extras) if real
             else "<p>No real area has been built yet.</p>"]
    if synthetic:
        parts += ['<h2 id="synthetic-areas">Synthetic demonstration areas</h2>',
                  '<p class="cdp-synthetic" role="note"><strong>Synthetic demonstration data.</strong> '
                  "These areas are fictional, generated by <code>cdp demo</code>, and describe no real place.</p>",
                  _index_table("Synthetic demonstration areas and their chapters", synthetic, columns, printable,
                               extras)]
    body = f"""<h1>Combating Drugs Partnership needs assessment</h1>
<p>Chapters of the joint needs assessment for each area, against the three priorities of
<em>From Harm to Hope</em> and the National Combating Drugs Outcomes Framework.</p>
{"".join(parts)}
<h2 id="about">About these reports</h2>
<ul><li><a href="methods.html">Methods and glossary</a></li>
<li><a href="accessibility.html">Accessibility statement</a></li></ul>"""
    page = standalone_page("Combating Drugs Partnership needs assessment: reports", body, "cdp-report cdp-index")
    target = reports_dir / "index.html"
    atomic_write_text(target, page)
    return target


def standalone_page(title: str, body: str, body_class: str, head: str = "", footer: str = "") -> str:
    """A standalone page in the reports' style (``title``, ``body``, ``footer`` already escaped)."""
    css = (_template_dir() / "cdp" / "static" / "report.css").read_text(encoding="utf-8")
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
{head}<title>{title}</title>
<style>{css}</style></head>
<body class="{body_class}">
<a class="cdp-skip" href="#main">Skip to content</a>
<main id="main">
{body}
</main>
{f'<footer class="cdp-footer">{footer}</footer>' if footer else ""}
</body></html>
"""


_NOT_BUILT_MARK = '<meta name="cdp-build" content="not built">'


def write_not_built_page(
    path: Path, *, chapter_title: str, area_name: str, reason: str, forbidden: Iterable[str] = ()
) -> Path:
    """Replace a chapter's page by one saying plainly that it could not be built.

    A chapter that fails must not leave its previous page (with its old numbers)
    published while the index says "Not built". ``reason`` is shown escaped, with
    local paths redacted.

    Raises
    ------
    BuildError
        The page would still show one of the ``forbidden`` local paths.
    """
    why = (f"<p>Reason: {html.escape(redact_paths(reason))}</p>" if reason.strip() else "")
    body = (f"<h1>{html.escape(chapter_title)}: {html.escape(area_name)}</h1>\n"
            "<p><strong>This chapter is not built.</strong> The last attempt to build it failed, so "
            "no figures are shown; an earlier version was withdrawn because it may no longer be "
            "right.</p>\n"
            f"{why}\n<p><a href=\"../index.html\">All areas and chapters</a></p>")
    page = standalone_page(f"{html.escape(chapter_title)}: {html.escape(area_name)} (not built)", body,
                 "cdp-report", head=_NOT_BUILT_MARK + "\n")
    check_publishable(page, forbidden)
    atomic_write_text(path, page)
    return path


def is_not_built_page(page: str) -> bool:
    """Whether ``page`` is a :func:`write_not_built_page` page."""
    return _NOT_BUILT_MARK in page[:2000]


# -- one publication per area: headings, contents, navigation, summary, about -------------

_H2 = re.compile(r"<h2(?P<attrs>[^>]*)>(?P<inner>.*?)</h2>", re.S)
_ANCHOR_LINK = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.S)
_TAGS = re.compile(r"<[^>]+>")


def slug_id(text: str) -> str:
    """A stable, readable ``id`` for a heading's text.

    >>> slug_id("Drug offences: the latest twelve months")
    'drug-offences-the-latest-twelve-months'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "section"


def _fill(page: str, name: str, content: str) -> str:
    """Put ``content`` between the page's ``<!-- cdp:name -->`` markers (unchanged if none)."""
    pattern = re.compile(rf"<!-- cdp:{name} -->.*?<!-- /cdp:{name} -->", re.S)
    return pattern.sub(lambda _: f"<!-- cdp:{name} -->{content}<!-- /cdp:{name} -->", page, count=1)


def _cut(page: str, name: str) -> str:
    """Remove a marked block (and its markers) from the page."""
    return re.sub(rf"<!-- cdp:{name} -->.*?<!-- /cdp:{name} -->", "", page, flags=re.S)


def heading_text(inner: str) -> str:
    """The plain text of a heading's HTML (its pilcrow link dropped)."""
    return html.unescape(_TAGS.sub("", _ANCHOR_LINK.sub("", inner))).strip()


def _stable_h2_ids(page: str) -> tuple[str, list[tuple[str, str]]]:
    """Every ``h2`` gets an id made from its text (unique on the page); returns (id, text) pairs."""
    used: set[str] = set(re.findall(r'\bid="([^"]+)"', _H2.sub("", page)))
    found: list[tuple[str, str]] = []

    def fix(match: re.Match) -> str:
        text = heading_text(match["inner"])
        base = slug_id(text)
        anchor, n = base, 2
        while anchor in used:
            anchor, n = f"{base}-{n}", n + 1
        used.add(anchor)
        found.append((anchor, text))
        attrs = re.sub(r'\s*\bid="[^"]*"', "", match["attrs"])
        return f'<h2 id="{anchor}"{attrs}>{_ANCHOR_LINK.sub("", match["inner"])}</h2>'

    return _H2.sub(fix, page), found


def _insert_before_first_h2(page: str, block: str) -> str:
    main = page.find('<main id="main">')
    first = _H2.search(page, main if main >= 0 else 0)
    if not first:
        end = page.find("<!-- cdp:pager -->")
        return page[:end] + block + page[end:] if end >= 0 else page
    return page[:first.start()] + block + page[first.start():]


def assemble_page(page: str, *, nav: str = "", summary: str = "", pager: str = "", about: str = "") -> str:
    """A chapter page with its publication furniture (idempotent: old blocks are replaced).

    The executive ``summary`` (HTML, the overview only) goes before the first ``h2``;
    every ``h2`` gets a stable id from its text; a contents list of the ``h2``\\ s goes
    first; ``nav`` (chapters, members) into the header, ``pager`` (previous / next)
    at the end of the main content, ``about`` (data and trust) into the footer.
    """
    page = _cut(_cut(page, "contents"), "summary")
    if summary:
        page = _insert_before_first_h2(page, f"<!-- cdp:summary -->{summary}<!-- /cdp:summary -->")
    start, end = page.find('<main id="main">'), page.find("</main>")
    if start < 0 or end < start:
        start, end = 0, len(page)
    main, headings = _stable_h2_ids(page[start:end])
    page = page[:start] + main + page[end:]
    if headings:
        items = "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for a, t in headings)
        contents = (f'<!-- cdp:contents --><nav class="cdp-contents" aria-label="Contents of this page">'
                    f'<p class="cdp-contents-title">Contents</p><ol>{items}</ol></nav><!-- /cdp:contents -->')
        at = page.find("<!-- cdp:summary -->")
        page = page[:at] + contents + page[at:] if at >= 0 else _insert_before_first_h2(page, contents)
    for name, content in (("nav", nav), ("pager", pager), ("about", about)):
        page = _fill(page, name, content)
    return page


def page_anchors(page: str) -> set[str]:
    """Every ``id`` on a page."""
    return set(re.findall(r'\bid="([^"]+)"', page))


def section_anchor(page: str, text: str) -> str:
    """The id of the ``h2`` of the section that states ``text`` (a key message), or ``""``.

    The message is looked for where its section shows it (escaped, in a paragraph),
    outside the key-messages list and the executive summary.
    """
    body = _cut(page, "summary")
    needle = f"<p>{html.escape(text)}</p>"
    at = body.find(needle)
    if at < 0:
        return ""
    heads = list(_H2.finditer(body, 0, at))
    if not heads:
        return ""
    found = re.search(r'\bid="([^"]+)"', heads[-1]["attrs"])
    return found.group(1) if found else ""


@dataclass(frozen=True)
class ChapterLink:
    """A built chapter page of an area: its id, title and file name."""

    chapter: str
    title: str

    @property
    def href(self) -> str:
        return f"{quote(self.chapter)}.html"


def chapter_nav_html(chapters: list[ChapterLink], current: str, *, printable: bool = True,
                     members: Sequence[tuple[str, str]] = (), partnerships: Sequence[tuple[str, str]] = ()) -> str:
    """The header navigation: the area's chapters (current marked), its members or partnership.

    ``members`` / ``partnerships`` hold (label, href or "") pairs; an empty href is shown
    as text (the page does not exist).
    """
    items = []
    for link in chapters:
        mark = ' aria-current="page"' if link.chapter == current else ""
        items.append(f'<li><a href="{html.escape(link.href)}"{mark}>{html.escape(link.title)}</a></li>')
    if printable:
        items.append('<li><a href="needs_assessment.html">Whole document (printable)</a></li>')
    out = f'<nav class="cdp-nav" aria-label="Chapters"><ul>{"".join(items)}</ul></nav>'
    for label, pairs in (("Partnership members", members), ("Part of", partnerships)):
        if pairs:
            links = "".join(f'<li><a href="{html.escape(h)}">{html.escape(n)}</a></li>' if h
                            else f"<li>{html.escape(n)} (not built)</li>" for n, h in pairs)
            out += (f'<nav class="cdp-nav cdp-related" aria-label="{label}"><p>{label}:</p>'
                    f"<ul>{links}</ul></nav>")
    return out


def pager_html(chapters: list[ChapterLink], current: str) -> str:
    """"Previous chapter" / "Next chapter" links."""
    ids = [c.chapter for c in chapters]
    if current not in ids:
        return ""
    at = ids.index(current)
    parts = []
    if at > 0:
        c = chapters[at - 1]
        parts.append(f'<li><a href="{html.escape(c.href)}" rel="prev">Previous chapter: {html.escape(c.title)}</a></li>')
    if at + 1 < len(chapters):
        c = chapters[at + 1]
        parts.append(f'<li><a href="{html.escape(c.href)}" rel="next">Next chapter: {html.escape(c.title)}</a></li>')
    return f'<nav class="cdp-pager" aria-label="Previous and next chapter"><ul>{"".join(parts)}</ul></nav>' if parts else ""


def executive_summary_html(messages: list[dict], links: dict[int, str], *, synthetic: bool,
                           unread: Sequence[str] = (), changed: Sequence[dict] = (),
                           changed_links: Mapping[int, str] | None = None) -> str:
    """The executive summary: what changed since the last assessment first, then the findings,
    each message (plain text, escaped) linked to its section.

    ``links`` maps a message's position to its href (``01_supply.html#headline``);
    ``unread`` names the chapters whose findings could not be read (not built, or
    built without their record): the summary says so and does not claim to span them.
    ``changed`` are the messages of the chapters' "Since the last assessment" sections
    (:func:`cdp_analysis.publishing.summary.changes`), linked by ``changed_links``.
    """
    if not messages and not unread and not changed:
        return ""
    items = [_summary_item(m, links.get(n, "")) for n, m in enumerate(messages)]
    changes = [_summary_item(m, (changed_links or {}).get(n, "")) for n, m in enumerate(changed)]
    lead = (f'<h3 id="what-changed">What changed since the last assessment</h3><ul>{"".join(changes)}</ul>'
            '<h3 id="main-findings">Main findings</h3>' if changes else "")
    note = ('<p class="cdp-synthetic-inline">Synthetic demonstration data: these messages describe '
            "fictional areas.</p>" if synthetic else "")
    unread = list(unread)
    scope = "of the chapters built" if unread else "across the chapters"
    lacks = (f'<p class="cdp-partial" role="note">This summary could not read '
             f"{html.escape(_join(unread))}, so {'its findings are' if len(unread) == 1 else 'their findings are'} "
             f"not included.</p>" if unread else "")
    listing = f"<ul>{''.join(items)}</ul>" if items else "<p>The chapters built hold no finding for this summary yet.</p>"
    return (f'<section class="cdp-summary" aria-labelledby="executive-summary">'
            f'<h2 id="executive-summary">Executive summary</h2>{lead}'
            f"<p>The most important findings {scope}: differences from England or the "
            f"region, changes for the worse and groups reached less, each linked to where it is "
            f"shown.</p>{lacks}{listing}{note}</section>")


def _summary_item(message: dict, href: str) -> str:
    """One message of the executive summary, linked to its chapter and section when ``href`` is given."""
    title = CHAPTER_TITLES.get(message.get("chapter", ""), message.get("chapter", ""))
    where = message.get("section_title") or title
    link = f' <a href="{html.escape(href)}">{html.escape(title)}: {html.escape(where)}</a>' if href else ""
    return f"<li>{html.escape(message['text'])}{link}</li>"


def _join(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def about_html(records: list[dict], *, policy: str, policy_rule: str, version: str, synthetic: bool = False) -> str:
    """The page's trust block: when built, which data (sources, files, periods, releases), rules, version.

    A source's release is what its publisher's calendar records
    (:func:`cdp_analysis.publishing.releases.release_words`: a recorded date, an expected
    release labelled so, or "not stated"); the files' own dates are when they were saved.
    """
    from cdp_analysis.publishing.releases import file_date_words, release_words

    built = sorted({r.get("built", "") for r in records if r.get("built")})
    sources: dict[str, dict] = {}
    for record in records:
        for source in record.get("sources", []):
            sources.setdefault(source.get("source", ""), source)
    rows = []
    for name, source in sorted(sources.items(), key=lambda item: source_title(item[0])):
        months = source.get("months") or []
        held = f"{months[0]} to {months[1]} ({months[2]} months)" if len(months) == 3 else "–"
        dated = file_date_words(source)
        released = release_words(source, synthetic=synthetic)
        rows.append(f'<tr><th scope="row">{html.escape(source_title(name))}</th><td>{html.escape(held)}</td>'
                    f"<td>{int(source.get('files', 0))}</td><td>{html.escape(released)}</td>"
                    f"<td>{html.escape(dated if dated != 'not recorded' else '–')}</td></tr>")
    table = (f'<table class="cdp-table"><caption>Data used on this page</caption><thead><tr>'
             f'<th scope="col">Source</th><th scope="col">Months held</th><th scope="col">Files</th>'
             f'<th scope="col">Release (publisher\'s calendar)</th>'
             f'<th scope="col">File dates (saved, not released)</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
             if rows else "<p>The sources used were not recorded for this page.</p>")
    when = f"Data read on {html.escape(built[-1])}. " if built else ""
    return (f'<section class="cdp-about" aria-labelledby="about-this-page"><h2 id="about-this-page">'
            f"About this page</h2><p>{when}Software: cdp-needs-assessment {html.escape(version)}. "
            f"Disclosure control: the <strong>{html.escape(policy)}</strong> policy "
            f"({html.escape(policy_rule)}).</p>{table}</section>")


# -- site pages: methods and glossary, accessibility statement ---------------------------

#: Small numbers as words, for thresholds written in sentences.
_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}

_GLOSSARY: tuple[tuple[str, str, str], ...] = (
    ("confidence-interval", "Confidence interval (95%)",
     "The range within which the true value is expected to lie 19 times in 20, given the chance variation "
     "in small numbers. An area is <em>significantly higher</em> or <em>lower</em> than a comparator when "
     "its interval lies wholly above or below the comparator's value (the Fingertips convention). A change "
     "over time is called significant when the two periods' intervals do not overlap."),
    ("byars", "Byar's method",
     "The approximation used for the confidence interval of a count (and so of a crude rate per 1,000 "
     "or 100,000 residents) from 10 events upwards; below 10 the exact Poisson interval is used."),
    ("wilson", "Wilson score interval",
     "The confidence interval used for a proportion (a percentage of a total, such as the share of drug "
     "searches with a find). It stays between 0% and 100% and behaves well for small numbers."),
    ("dsr", "Directly standardised rate (DSR)",
     "A rate adjusted to the age structure of the European Standard Population 2013, so that areas with "
     "older or younger residents can be compared fairly. Its interval uses Dobson's method; a DSR is not "
     "calculated from fewer than 10 events."),
    ("sii", "Slope index of inequality (SII)",
     "The modelled gap in a rate between the most and the least deprived ends of an area, fitted across "
     "its deprivation quintiles (national IMD 2019 quintiles of LSOAs) weighted by their population; it "
     "needs all five quintiles present."),
    ("xmr", "XmR chart (statistical process control)",
     "NHS <em>Making Data Count</em> charts of a monthly series: the mean, and process limits at the mean "
     "plus or minus 2.66 times the average moving range (the average absolute month-to-month change)."),
    ("special-cause", "Special cause variation",
     "A signal that something changed, rather than the month-to-month noise of <em>common cause</em> "
     "variation. A point is flagged when it lies outside the process limits; is one of a run of 7 or more "
     "on the same side of the mean; is one of 7 or more each higher (or lower) than the last; or is one "
     "of two out of three consecutive points beyond two thirds of the way to a limit on the same side."),
    ("recent-trend", "Recent trend (the 99.8% trend test)",
     "Whether the last five points of a series rise or fall beyond chance, by the Fingertips test: a "
     "weighted regression (or, for a percentage, the chi-squared test for trend) whose chi-squared statistic "
     "must exceed 9.5495, the 99.8% level (a 1 in 500 chance of seeing such a trend from noise alone), and "
     "whose direction must hold when each point in turn is left out. Fewer than five points: not calculated."),
    ("polarity", "Better, worse, higher, lower",
     "An indicator has a better direction (its <em>polarity</em>) when less, or more, of it is plainly good: "
     "fewer deaths, more successful completions. Such an indicator is called significantly <em>better</em> or "
     "<em>worse</em> than a comparator; one without a better direction (the share of people referred by a "
     "route, an age mix) is only <em>higher</em> or <em>lower</em>. Words, bars and markers use the same "
     "comparison, in the same colours."),
    ("key-messages", "Key messages and their order",
     "At most five a chapter (and five in the executive summary), in the order of what matters to a "
     "partnership: a value significantly worse than England by 10% or more; then significantly worse than the "
     "region or neighbours, or getting significantly worse; then a group reached less than its need, judged "
     "against the area's own residents or need (not against England's mix of people); then harm concentrated "
     "in places or groups. Every other finding stays in its section. A recommendation is given only with the "
     "finding it answers. Data gaps are listed apart, never ranked among findings. The executive summary takes "
     f"no more than {_WORDS[MAX_PER_CHAPTER]} findings from one chapter while another chapter has a finding left, "
     "and shows the five in the same order of importance."),
    ("hotspot", "Hotspot",
     "A ward (or LSOA) whose drug offence rate over the latest twelve months is significantly higher than the "
     "whole area's rate: its 95% confidence interval lies above the area's rate. police.uk places every crime at "
     "an anonymised map point; crimes recorded at a police station (such as drugs found on people brought into "
     f'custody) sit at the point "{POLICE_STATION_POINT}", so a small area holding a police station can look '
     f"like a hotspot. Where {POLICE_STATION_MATERIAL:.0%} or more of a hotspot's offences sit at that point, its "
     "recommendation says so."),
    ("spine-chart", "Spine chart",
     "One line per indicator: the range of all areas of the same type (light grey, lowest to highest), the "
     "middle half of them (blue), England (the red line at the centre) and the area (the dot, coloured by its "
     "comparison with England). Where an indicator has a better direction, better is on the right; otherwise "
     "higher is. It is drawn only when at least 90% of the areas of the type have a value, and its title "
     "says how many areas there are."),
    ("funnel-plot", "Funnel plot",
     "Each area's percentage against its number of people, with the 95% and 99.8% limits within which a "
     "value would be expected from chance alone around the overall percentage; the limits narrow as numbers "
     "grow."),
    ("twelve-months", "Twelve-month periods",
     "Police-recorded crime is counted over twelve consecutive months. A change is measured only between two "
     "periods that both hold all twelve months (the same calendar months); a period with months missing is "
     "shown apart, with the number of months it holds, and not compared."),
    ("suppression", "Suppressed value (*)",
     "A figure held back by disclosure control (see below). It is missing, never zero."),
)


def write_methods_page(reports_dir: Path, *, policy: str, policy_rule: str) -> Path:
    """Write ``reports/methods.html``: the methods and glossary every page links to."""
    terms = "".join(f'<dt id="{a}">{html.escape(term)}</dt><dd>{text}</dd>' for a, term, text in _GLOSSARY)
    body = f"""<p><a href="index.html">All areas and chapters</a></p>
<h1>Methods and glossary</h1>
<p>How the figures in these reports are made, in plain words. Every chart offers its data as a
CSV download, and every number in the words comes from the same table as the chart.</p>
<h2 id="glossary">Glossary</h2>
<dl class="cdp-glossary">{terms}</dl>
<h2 id="disclosure">Disclosure control</h2>
<p>These reports apply the <strong>{html.escape(policy)}</strong> disclosure policy: {html.escape(policy_rule)}.
Suppression is decided once per chapter over every table, chart, sentence and download built from the
same counts, and further figures are held back where adding or subtracting published totals would give a
suppressed count back. Suppressed figures are shown as <code>*</code>; zero is published.</p>
<h2 id="comparisons">Comparisons and trends</h2>
<p>An area is compared with its region and England, and with areas whose data covers the same months.
Police-recorded crime is counted from data.police.uk street-level records, placed in an area by the
neighbourhood (LSOA) the police recorded, and divided by Census-based resident population estimates.</p>"""
    page = standalone_page("Methods and glossary: Combating Drugs Partnership needs assessment", body,
                           "cdp-report cdp-methods")
    target = reports_dir / "methods.html"
    atomic_write_text(target, page)
    return target


def write_accessibility_page(reports_dir: Path, *, contact: str, built: str) -> Path:
    """Write ``reports/accessibility.html``, the accessibility statement UK public-sector sites publish.

    ``contact`` is where to report a problem (``[publish] accessibility_contact`` in
    ``cdp.toml``); ``built`` is the date the pages were published.
    """
    body = f"""<p><a href="index.html">All areas and chapters</a></p>
<h1>Accessibility statement</h1>
<p>These needs assessment reports are published by the partnership or council that built them with
cdp-needs-assessment. We want as many people as possible to be able to use them: to zoom to 400%
without text spilling off the screen, to navigate with a keyboard or a screen reader, and to get every
number shown in a chart as text or as data.</p>
<h2 id="compliance">Compliance status</h2>
<p>The target is the Web Content Accessibility Guidelines (WCAG) version 2.2, level AA, as the Public
Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 require. The
pages are partially compliant, for the reasons listed below.</p>
<h2 id="limitations">Known limitations</h2>
<ul>
<li>Charts and maps are images. Each has a text alternative that states its main numbers, a caption
with its source, and a link to download the data behind it as a CSV file.</li>
<li>The data downloads are CSV files: they open in a spreadsheet and can be read with assistive
technology there, but they carry no description of their own beyond the column names.</li>
<li>Some wide tables scroll sideways on small screens.</li>
<li>The printable whole document is a long single page; use its chapter list to move around it.</li>
</ul>
<h2 id="testing">How we tested these pages</h2>
<p>Every build of the test suite runs axe-core (the WCAG 2.0, 2.1 and 2.2 A and AA rules) over every
page of a demonstration area and over this index, in headless Chromium, and fails on any violation.
Automated checks find only part of the possible problems. This statement was prepared on
{html.escape(built)}.</p>
<h2 id="contact">Reporting a problem or asking for another format</h2>
<p>If you find a problem or need the information in a different format, contact:
{html.escape(contact)}.</p>
<p>If you are not happy with how we respond, contact the Equality Advisory and Support Service (EASS).</p>"""
    page = standalone_page("Accessibility statement: Combating Drugs Partnership needs assessment", body,
                           "cdp-report cdp-accessibility")
    target = reports_dir / "accessibility.html"
    atomic_write_text(target, page)
    return target

"""Executed notebook → accessible HTML page, and the index of all reports.

Pages are exported with nbconvert's lab template extended by ours
(``templates/cdp``): code hidden, no CDN scripts, styles inlined. Before a page
is written it is checked for local paths; every file is written atomically.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import nbformat

from cdp_analysis.errors import BuildError

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
]

CHAPTER_TITLES = {
    "00_outcomes_overview": "Outcomes overview",
    "01_supply": "Break drug supply chains",
    "02_treatment_recovery": "Treatment and recovery",
    "03_demand": "A generational shift in demand",
}
REMOVE_TAG = "remove_cell"


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
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="cdp", extra_template_basedirs=[str(_template_dir())],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
    )
    remover = TagRemovePreprocessor(remove_cell_tags={REMOVE_TAG}, enabled=True)
    exporter.register_preprocessor(remover, enabled=True)
    exporter.register_preprocessor(_drop_stderr, enabled=True)
    notebook.metadata["title"] = title
    body, _ = exporter.from_notebook_node(notebook, resources={"language_code": "en"})
    check_publishable(body, forbidden)
    return body


def _drop_stderr(notebook: nbformat.NotebookNode, resources: dict) -> tuple:
    """Remove stderr streams (log lines, warnings): they are for analysts, not readers."""
    for cell in notebook.cells:
        if cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return notebook, resources


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


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s\\/:,;'\"()]+){2,}[\\/]?")


def redact_paths(text: str) -> str:
    """Replace absolute file paths in a message by their last part (pages show no local paths).

    >>> redact_paths("put the files in /home/ana/cdp/data/raw/real or pass --data-dir")
    'put the files in …/real or pass --data-dir'
    """
    return _PATH.sub(lambda m: "…/" + Path(m.group().rstrip("/\\")).name, text)


def write_index(reports_dir: Path, entries: list[IndexEntry], chapters: list[str]) -> Path:
    """Write ``reports/index.html`` listing every area and chapter."""
    head = "".join(f'<th scope="col">{html.escape(CHAPTER_TITLES.get(c, c))}</th>' for c in chapters)
    rows = []
    for entry in sorted(entries, key=lambda e: (e.synthetic, e.area_type != "cdp", e.area_name)):
        cells = []
        for chapter in chapters:
            status = entry.chapters.get(chapter)
            if status == "ok":
                href = html.escape(f"{quote(entry.area_code)}/{quote(chapter)}.html")
                cells.append(f'<td><a href="{href}">{html.escape(CHAPTER_TITLES.get(chapter, chapter))}'
                             f'<span class="cdp-visually-hidden">: {html.escape(entry.area_name)}</span></a></td>')
            elif status:
                cells.append(f"<td>Not built: {html.escape(redact_paths(status))}</td>")
            else:
                cells.append("<td>–</td>")
        kind = {"cdp": "Combating Drugs Partnership", "utla": "Upper-tier local authority",
                "region": "Region", "country": "Country", "lad": "Local authority"}.get(entry.area_type, entry.area_type)
        label = html.escape(entry.area_name) + (" <strong>(synthetic)</strong>" if entry.synthetic else "")
        rows.append(f'<tr><th scope="row">{label}<br><small>{html.escape(entry.area_code)}, '
                    f'{html.escape(kind)}</small></th>{"".join(cells)}</tr>')
    synthetic_note = (
        '<p class="cdp-synthetic" role="note"><strong>Synthetic demonstration data.</strong> Areas marked '
        "synthetic are fictional, generated by <code>cdp demo</code>, and describe no real place.</p>"
        if any(e.synthetic for e in entries) else ""
    )
    body = f"""<h1>Combating Drugs Partnership needs assessment</h1>
<p>Chapters of the joint needs assessment for each area, against the three priorities of
<em>From Harm to Hope</em> and the National Combating Drugs Outcomes Framework.</p>
{synthetic_note}
<table class="cdp-table"><caption>Areas and chapters</caption>
<thead><tr><th scope="col">Area</th>{head}</tr></thead>
<tbody>{"".join(rows)}</tbody></table>"""
    page = _page("Combating Drugs Partnership needs assessment: reports", body, "cdp-report cdp-index")
    target = reports_dir / "index.html"
    atomic_write_text(target, page)
    return target


def _page(title: str, body: str, body_class: str, head: str = "") -> str:
    """A standalone page in the reports' style (``title`` and ``body`` already escaped)."""
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
    page = _page(f"{html.escape(chapter_title)}: {html.escape(area_name)} (not built)", body,
                 "cdp-report", head=_NOT_BUILT_MARK + "\n")
    check_publishable(page, forbidden)
    atomic_write_text(path, page)
    return path


def is_not_built_page(page: str) -> bool:
    """Whether ``page`` is a :func:`write_not_built_page` page."""
    return _NOT_BUILT_MARK in page[:2000]

"""The partnership's own words on its pages: local commentary, escaped and labelled.

A partnership writes Markdown files under the raw data folder (inputs, never generated)::

    data/raw/commentary/<area code>/<chapter>.md                  beside the chapter's opening
    data/raw/commentary/<area code>/<chapter>/<section id>.md     under that section's heading

``<section id>`` is the heading's id on the page (the end of its link, e.g.
``01_supply.html#drug-offences-over-time`` → ``drug-offences-over-time.md``). Publishing
places each file's text on the page in a box headed "Local commentary", saying it
was written by the partnership and not generated from the data. The text is
escaped (no HTML passes through); paragraphs and ``-`` / ``*`` bullet lists are kept.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

__all__ = ["FOLDER", "find", "to_html", "place"]

log = logging.getLogger(__name__)

FOLDER = "commentary"
_BLOCK = re.compile(r"<!-- cdp:local -->.*?<!-- /cdp:local -->", re.S)
_LABEL = ('<p class="cdp-local-label"><strong>Local commentary</strong> written by the partnership, '
          "not generated from the data.</p>")


def find(raw_dir: Path, area_code: str, chapter: str) -> dict[str, str]:
    """Section id → commentary text ("" for the chapter's own file) for one chapter page."""
    folder = raw_dir / FOLDER / area_code
    found: dict[str, str] = {}
    chapter_file = folder / f"{chapter}.md"
    if chapter_file.is_file():
        found[""] = chapter_file.read_text(encoding="utf-8")
    for path in sorted((folder / chapter).glob("*.md")) if (folder / chapter).is_dir() else []:
        found[path.stem] = path.read_text(encoding="utf-8")
    return {k: v for k, v in found.items() if v.strip()}


def to_html(text: str) -> str:
    """Markdown paragraphs and bullet lists as escaped HTML (any markup shows as text).

    >>> to_html("We agreed:\\n\\n- more outreach\\n- <b>review</b>")
    '<p>We agreed:</p><ul><li>more outreach</li><li>&lt;b&gt;review&lt;/b&gt;</li></ul>'
    """
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and all(re.match(r"[-*] ", line) for line in lines):
            out.append("<ul>" + "".join(f"<li>{html.escape(line[2:].strip())}</li>" for line in lines) + "</ul>")
        elif lines:
            out.append(f"<p>{html.escape(' '.join(lines))}</p>")
    return "".join(out)


def _box(text: str, where: str) -> str:
    return ('<!-- cdp:local -->'
            f'<aside class="cdp-local" aria-label="Local commentary{html.escape(where)}" '
            f'style="border-left:6px solid #912b88;background:#f9f0f8;padding:.4rem 1rem;margin:1rem 0">{_LABEL}'
            f"{to_html(text)}</aside><!-- /cdp:local -->")


def place(page: str, comments: dict[str, str]) -> str:
    """The page with its local commentary in place (idempotent: earlier boxes are replaced).

    A section file goes right after the heading whose id it names; the chapter file (and a
    section file naming no heading on the page, with a warning) goes before the first ``h2``.
    """
    page = _BLOCK.sub("", page)
    top = []
    for section, text in comments.items():
        if not section:
            top.append(_box(text, ""))
            continue
        heading = re.search(rf'<(h[2-4]) id="{re.escape(section)}"[^>]*>.*?</\1>', page, re.S)
        if heading is None:
            log.warning("Local commentary %s.md names no section on the page; shown at the top", section)
            top.append(_box(text, f": {section}"))
            continue
        page = page[:heading.end()] + _box(text, "") + page[heading.end():]
    if top:
        main = page.find('<main id="main">')
        first = re.compile(r"<h2\b").search(page, main if main >= 0 else 0)
        at = first.start() if first else (page.find("</main>") if "</main>" in page else len(page))
        page = page[:at] + "".join(top) + page[at:]
    return page

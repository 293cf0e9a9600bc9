"""The board pack of an area, written when its publication is assembled.

- ``reports/<area>/summary.html``: the one-page board summary (:mod:`cdp_analysis.publishing.boardsummary`),
  which also opens ``needs_assessment.html`` (:func:`document_board`, from the same facts and markup);
- ``reports/<area>/<area>_data.xlsx``: the data pack (:mod:`cdp_analysis.publishing.datapack`);
- ``reports/<area>/needs_assessment.pdf`` (with ``[publish] pdf = true`` in ``cdp.toml``,
  or ``cdp print --pdf``): the A4 PDF with cover, board summary and contents (:mod:`cdp_analysis.publishing.pdf`).

All three read the chapters' records kept by the batch (never the pages' HTML, except
the PDF, which prints the printable document).
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cdp_analysis import __version__
from cdp_analysis.areas import Area, AreaRegistry
from cdp_analysis.publishing import boardsummary, datapack, pdf, summary
from cdp_analysis.publishing.document import DOCUMENT_NAME
from cdp_analysis.publishing.export import CHAPTER_TITLES, section_anchor

__all__ = ["BoardPack", "write_board_pack", "board_links", "board_summary", "document_board", "in_document"]

log = logging.getLogger(__name__)


@dataclass
class BoardPack:
    """What was written for an area (None where nothing was)."""

    summary: Path | None = None
    datapack: Path | None = None
    pdf: Path | None = None
    pages: int = 0


def _partnerships(registry: AreaRegistry, area: Area) -> list[str]:
    return [p.name for p in registry.of_type("cdp")
            if p.code != area.code and area.code in {m.code for m in registry.members(p.code)}]


def board_links(folder: Path, area_code: str) -> list[tuple[str, str]]:
    """(label, file name) of the board-pack files an area has, for links beside its pages."""
    found = [("Board summary", boardsummary.SUMMARY_NAME), ("Whole document (PDF)", pdf.PDF_NAME),
             ("Data pack (Excel)", datapack.datapack_name(area_code))]
    return [(label, name) for label, name in found if (folder / name).is_file()]


def board_summary(area: Area, registry: AreaRegistry, status_dir: Path, chapters: Sequence[str], *,
                  pages: Mapping[str, str] | None = None) -> tuple[boardsummary.BoardFacts, dict[int, str]]:
    """The area's board summary facts, and where each finding is explained (finding number →
    ``<chapter>.html#<section anchor>``), from the chapters' records kept by the batch.

    ``pages``: chapter id → page HTML, to find the section stating each finding (optional).
    """
    records = summary.load(status_dir, area.code, list(chapters))
    frames = datapack.load(status_dir, area.code, list(chapters))
    facts = boardsummary.board_facts(area.name, area.code, synthetic=area.is_demo,
                                     built=_dt.date.today().isoformat(), records=records, frames=frames,
                                     chapter_titles=CHAPTER_TITLES, partnerships=_partnerships(registry, area))
    links = {}
    for n, message in enumerate(facts.findings):
        chapter = message.get("chapter", "")
        anchor = section_anchor((pages or {}).get(chapter, ""), message.get("text", "")) or "key-messages"
        links[n] = f"{chapter}.html#{anchor}"
    return facts, links


def in_document(links: Mapping[int, str]) -> dict[int, str]:
    """The findings' links to chapter pages as links inside the printable document
    (``01_supply.html#x`` → ``#01_supply-x``, as :mod:`cdp_analysis.publishing.document` prefixes ids)."""
    return {n: f"#{href.replace('.html#', '-')}" for n, href in links.items()}


def document_board(facts: boardsummary.BoardFacts, links: Mapping[int, str]) -> str:
    """The board summary as it opens the printable document (and so the PDF): under the
    document's ``h1``, its findings linked inside the document."""
    return boardsummary.summary_html(facts, links=in_document(links), heading_level=2)


def write_board_pack(folder: Path, area: Area, registry: AreaRegistry, status_dir: Path, chapters: Sequence[str],
                     *, make_pdf: bool, policy_rule: str, forbidden: Sequence[str] = (),
                     pages: Mapping[str, str] | None = None,
                     board: tuple[boardsummary.BoardFacts, dict[int, str]] | None = None) -> BoardPack:
    """Write the area's board summary and data pack, and its PDF when ``make_pdf``.

    Parameters
    ----------
    folder : Path
        ``reports/<area>``, holding the built chapter pages and ``needs_assessment.html``
        (whose front page is the board summary: the PDF prints that document).
    status_dir : Path
        The batch's build-status folder holding the chapters' records.
    chapters : the built chapter ids, in order.
    pages : chapter id → page HTML, to link each finding to its section (optional).
    board : the facts and links of :func:`board_summary`, when already gathered for the document.
    """
    records = summary.load(status_dir, area.code, list(chapters))
    frames = datapack.load(status_dir, area.code, list(chapters))
    facts, links = board or board_summary(area, registry, status_dir, chapters, pages=pages)
    sources: dict[str, dict] = {}
    for record in records.values():
        for source in record.get("sources", []):
            sources.setdefault(source.get("source", ""), source)
    pack = BoardPack()
    pack.datapack = datapack.write_datapack(
        folder / datapack.datapack_name(area.code), frames, area_name=area.name,
        sources=[sources[k] for k in sorted(sources)], policy_rule=policy_rule, version=__version__,
        synthetic=area.is_demo, chapter_titles=CHAPTER_TITLES)
    extra = [(label, name) for label, name in
             [("Whole document", DOCUMENT_NAME), ("Whole document (PDF)", pdf.PDF_NAME),
              ("Data pack (Excel)", datapack.datapack_name(area.code))]
             if (folder / name).is_file() or (name == pdf.PDF_NAME and make_pdf)]
    pack.summary = boardsummary.write_summary_page(folder, facts, links=links, extra_links=extra, forbidden=forbidden)
    if make_pdf:
        document = folder / DOCUMENT_NAME
        if document.is_file():
            cover = pdf.CoverFacts(area.name, area.code, facts.built, __version__, area.is_demo,
                                   facts.partnerships, facts.periods, area.kind)
            pack.pdf, laid_out = pdf.write_pdf(folder, document.read_text(encoding="utf-8"), cover)
            pack.pages = len(laid_out.pages)
    else:
        (folder / pdf.PDF_NAME).unlink(missing_ok=True)  # never leave a PDF older than the pages
    return pack

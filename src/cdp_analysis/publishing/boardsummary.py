"""The one-page board summary: ``reports/<area>/summary.html`` and the PDF's first page after the cover.

Read in two minutes by a partnership board: the headline outcomes with their
comparison with England (Fingertips colours, always with the word) and recent
trend, the five most important findings of the whole assessment, the data gaps,
and the dates. Built from the chapters' records (:mod:`cdp_analysis.publishing.summary`
for the findings, :mod:`cdp_analysis.publishing.datapack` for the headline frame and each
section's coverage), never from the HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cdp_analysis import stats
from cdp_analysis.publishing import summary
from cdp_analysis.publishing.datapack import frame_of
from cdp_analysis.report.narrative import with_unit
from cdp_analysis.vocabulary import source_title

__all__ = ["SUMMARY_NAME", "BoardFacts", "board_facts", "summary_html", "since_html", "write_summary_page", "data_periods"]

SUMMARY_NAME = "summary.html"
HEADLINE_SECTION = "Outcomes framework indicators"
OVERVIEW = "00_outcomes_overview"
FINDINGS = 5
#: How a gap's status reads on the board summary.
_GAP_WORDS = {"missing": "no data", "partial": "partial data"}
MAX_CHANGES = 6  # significant changes listed on the one page (worse first)
MAX_GAPS = 8  # reasons listed on the one page (each section also says its own)


@dataclass
class BoardFacts:
    """What the board summary shows (everything already published elsewhere in the assessment)."""

    area_name: str
    area_code: str
    synthetic: bool
    built: str
    headline: pd.DataFrame
    findings: list[dict] = field(default_factory=list)
    gaps: list[tuple[str, str, str]] = field(default_factory=list)  # (section, status, note)
    periods: list[tuple[str, str]] = field(default_factory=list)  # (what, period)
    partnerships: list[str] = field(default_factory=list)
    #: Every chapter's "Since the last assessment" comparison (:data:`cdp_analysis.indicators.change.CHANGE_COLUMNS`
    #: and ``chapter``), one row per indicator; empty when no earlier edition could be compared ...
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: ... and then the one sentence saying why.
    change_note: str = ""
    #: The month of the earlier edition compared with ("December 2022"; empty when not known).
    earlier_edition: str = ""


def _headline(records: Mapping[str, dict]) -> pd.DataFrame:
    for section in records.get(OVERVIEW, {}).get("sections", []):
        if section.get("title") == HEADLINE_SECTION:
            for entry in section.get("frames", {}).values():
                return frame_of(entry)
    return pd.DataFrame()


_CHECKLIST_HINT = re.compile(r"\s*\(the command cdp data --area \S+ lists the files to download\)")


def _gaps(records: Mapping[str, dict], titles: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(sections, status, why) of every missing or partial section; sections sharing a reason are listed
    once, by chapter (the checklist hint, said once under the list, is taken out of each reason)."""
    grouped: dict[tuple[str, str], dict[str, list[str]]] = {}
    for chapter, data in records.items():
        for section in data.get("sections", []):
            if section.get("status") in ("missing", "partial"):
                key = (section["status"], _CHECKLIST_HINT.sub("", section.get("note", "")))
                grouped.setdefault(key, {}).setdefault(titles.get(chapter, chapter), []).append(
                    section.get("title", ""))
    return [("; ".join(f"{chapter}: {', '.join(names)}" for chapter, names in chapters.items()), status, note)
            for (status, note), chapters in grouped.items()]


def _shown(records: Mapping[str, dict], chapter: str) -> bool:
    """Whether any section of ``chapter`` shows numbers (its data covers the area)."""
    return any(s.get("status") != "missing" for s in records.get(chapter, {}).get("sections", []))


#: Sources whose months are only worth stating when the chapter that reads them shows something.
_SOURCE_CHAPTER = {"street_crime": "01_supply", "stop_search": "01_supply", "police_uk": "01_supply"}


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _month(text: str) -> str:
    year, month = text.split("-")[:2]
    return f"{_MONTHS[int(month) - 1]} {year}"


def data_periods(records: Mapping[str, dict], headline: pd.DataFrame,
                 frames: Mapping[str, dict] | None = None) -> list[tuple[str, str]]:
    """(what, period) pairs: police.uk months held and the headline indicators' latest periods.

    With the data-pack records (``frames``), a police source's months are left out when the
    chapter reading it shows nothing for the area (the files held are other forces').
    """
    out: list[tuple[str, str]] = []
    months: dict[str, list] = {}
    for data in records.values():
        for source in data.get("sources", []):
            chapter = _SOURCE_CHAPTER.get(source.get("source", ""))
            if frames is not None and chapter and not _shown(frames, chapter):
                continue
            if len(source.get("months") or []) == 3:
                months[source["source"]] = source["months"]
    for source, (first, last, n) in sorted(months.items()):
        out.append((f"{source_title(source)} (months held)", f"{_month(first)} to {_month(last)}, {n} months"))
    if not headline.empty and "period" in headline:
        periods = sorted({str(p) for p in headline["period"].dropna()})
        if periods:
            out.append(("Outcomes framework indicators (latest periods)",
                        periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"))
    return out


SINCE_TITLE = "Since the last assessment"
_NO_EARLIER = ("No earlier edition of this assessment could be built from the data held, so what changed since the "
               "last assessment is not said here.")


def _changes(frames: Mapping[str, dict], titles: Mapping[str, str]) -> tuple[pd.DataFrame, str]:
    """Every chapter's comparison with the earlier edition (an indicator once, from the first chapter
    holding it), or the first reason a chapter gives for having none."""
    tables, notes = [], []
    for chapter, data in frames.items():
        for section in data.get("sections", []):
            if section.get("title") != SINCE_TITLE:
                continue
            entry = section.get("frames", {}).get("since_last_assessment")
            if entry is not None and section.get("status") != "missing":
                tables.append(frame_of(entry).assign(chapter=titles.get(chapter, chapter)))
            elif section.get("note"):
                notes.append(_CHECKLIST_HINT.sub("", str(section["note"])))
    if not tables:
        return pd.DataFrame(), (notes[0] if notes else _NO_EARLIER)
    table = pd.concat([t.dropna(axis=1, how="all") for t in tables], ignore_index=True)
    return table.drop_duplicates("indicator", keep="first").reset_index(drop=True), ""


def board_facts(area_name: str, area_code: str, *, synthetic: bool, built: str, records: Mapping[str, dict],
                frames: Mapping[str, dict], chapter_titles: Mapping[str, str],
                partnerships: Sequence[str] = ()) -> BoardFacts:
    """Gather the summary's facts from the chapters' summary and data-pack records."""
    headline = _headline(frames)
    changes, change_note = _changes(frames, chapter_titles)
    months = changes["earlier_edition"].dropna() if "earlier_edition" in changes else pd.Series(dtype=object)
    return BoardFacts(area_name, area_code, synthetic, built, headline,
                      summary.top_messages(records, limit=FINDINGS)[:FINDINGS],
                      _gaps(frames, chapter_titles), data_periods(records, headline, frames), list(partnerships),
                      changes, change_note, str(months.iloc[0]) if not months.empty else "")


def _fmt(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return "–" if number != number else f"{number:,.1f}"


#: At most this many headline outcomes on the one-page board summary.
BOARD_ROWS = 10


def _headline_table(table: pd.DataFrame, area_name: str) -> str:
    if table.empty:
        return ("<p>The data holds none of the outcomes framework's Fingertips indicators for this area, "
                "so no headline outcome is shown.</p>")
    # one page: the indicators that differ from England first (worse first), then the rest, at most
    # BOARD_ROWS; the outcomes overview holds every indicator
    order = {"Worse": 0, "Higher": 1, "Lower": 1, "Better": 2}
    ranked = table.assign(_order=[order.get(str(c), 3) for c in table.get("compared", pd.Series("", table.index))])
    shown = ranked.sort_values("_order", kind="stable").head(BOARD_ROWS)
    more = len(table) - len(shown)
    rows = []
    neighbours = "neighbour_compared" in table
    for _, r in shown.iterrows():
        compared = str(r.get("compared", "Not compared"))
        colour = stats.BENCHMARK_COLOURS[0.95].get(compared, "transparent")
        text = "#0b0c0c" if compared in ("Similar", "Not compared", "Lower") else "#ffffff"
        rows.append(
            f"<tr><td>{html.escape(str(r.get('indicator', '')))}<br><small>{html.escape(str(r.get('unit_words', '')))}"
            f"</small></td><td>{html.escape(str(r.get('period', '')))}</td><td>{_fmt(r.get('value'))}</td>"
            f"<td>{_fmt(r.get('england'))}</td>"
            f'<td class="cdp-rag" style="background:{colour};color:{text}">{html.escape(compared)}</td>'
            + (_neighbour_cell(r) if neighbours else "")
            + f"<td>{html.escape(str(r.get('trend', '')))}</td></tr>")
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in
                   ("Indicator", "Period", area_name, "England", "Compared with England",
                    *(("Among its neighbours",) if neighbours else ()), "Recent trend"))
    among = (" and its statistical neighbours' average, with its rank among them" if neighbours else "")
    return (f'<table class="cdp-table cdp-board-table"><caption>Headline outcomes against England{among} '
            f"(Fingertips colours; the comparison is also written in words)</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + (f"<p>{more} more indicator{'s are' if more != 1 else ' is'} in the outcomes overview.</p>"
               if more else ""))


def _change_value(value: object, unit: object) -> str:
    number = _fmt(value)
    unit = "" if unit is None or unit != unit else str(unit)
    return number if number == "–" or not unit else with_unit(number, unit)


def since_html(facts: BoardFacts, area_name: str) -> str:
    """What changed since the last assessment: each indicator that moved significantly (direction, values,
    periods, better or worse), then how many did not and how many could not be compared; without an
    earlier edition, one plain sentence."""
    table = facts.changes
    if table.empty:
        return f"<p>{html.escape(facts.change_note or _NO_EARLIER)}</p>"
    compared = table[table["status"] == "compared"]
    moved = compared[compared["result"].isin(["Increased", "Decreased"])]
    # worse first, then better, then changes not judged
    moved = moved.assign(_o=moved["judgement"].map({"worse": 0, "better": 1}).fillna(2)).sort_values(
        "_o", kind="stable")
    items = []
    for _, r in moved.head(MAX_CHANGES).iterrows():
        verb = "rose" if r["result"] == "Increased" else "fell"
        judged = f", a change for the {r['judgement']}" if r["judgement"] in ("better", "worse") else ""
        name = str(r["indicator"])
        items.append(f"<li>{html.escape(name[:1].upper() + name[1:])} {verb} significantly, from "
                     f"{html.escape(_change_value(r['earlier_value'], r['unit']))} ({html.escape(str(r['earlier_period']))}) "
                     f"to {html.escape(_change_value(r['current_value'], r['unit']))} "
                     f"({html.escape(str(r['current_period']))}){judged}.</li>")
    if len(moved) > MAX_CHANGES:
        items.append(f"<li>{len(moved) - MAX_CHANGES} more, in the chapters.</li>")
    steady = len(compared) - len(moved)
    apart = len(table) - len(compared)
    edition = html.escape(f"the edition of {facts.earlier_edition}" if facts.earlier_edition else "the earlier edition")
    lead = (f"<p>{len(moved)} of the {len(compared)} headline indicators compared like for like with "
            f"{edition} moved significantly in {html.escape(area_name)} (95% confidence intervals that "
            "do not overlap):</p>" if items else
            f"<p>None of the {len(compared)} headline indicators compared like for like with {edition} "
            f"moved significantly in {html.escape(area_name)} (their 95% confidence intervals overlap).</p>"
            if len(compared) else
            f"<p>No headline indicator could be compared like for like with {edition}.</p>")
    tail = []
    if items and steady:
        tail.append(f"{steady} did not change significantly")
    if apart:
        tail.append(f"{apart} {'is' if apart == 1 else 'are'} new, no longer in the data, or not comparable")
    rest = (f"<p>{'; '.join(tail)[:1].upper() + '; '.join(tail)[1:]}: each chapter's section Since the last "
            "assessment lists them.</p>" if tail else "")
    return lead + (f"<ul>{''.join(items)}</ul>" if items else "") + rest


def _neighbour_cell(row: pd.Series) -> str:
    """The area against its neighbours' average in one cell: the comparison's word and colour, and the rank;
    without an average, why not in words (no number)."""
    note = row.get("neighbour_note")
    if isinstance(note, str) and note:
        return f"<td>Not compared: {html.escape(note)}</td>"
    compared = str(row.get("neighbour_compared", "Not compared"))
    colour = stats.BENCHMARK_COLOURS[0.95].get(compared, "transparent")
    text = "#0b0c0c" if compared in ("Similar", "Not compared", "Lower") else "#ffffff"
    return (f'<td class="cdp-rag" style="background:{colour};color:{text}">{html.escape(compared)}'
            f"<br><small style=\"color:inherit\">{html.escape(str(row.get('neighbour_rank', '')))}</small></td>")


def summary_html(facts: BoardFacts, *, links: Mapping[int, str] | None = None, heading_level: int = 1) -> str:
    """The board summary's body (``links``: finding number → where it is explained)."""
    h, h2 = f"h{heading_level}", f"h{heading_level + 1}"
    links = links or {}
    note = ('<p class="cdp-synthetic" role="note"><strong>Synthetic demonstration data.</strong> '
            "This describes a fictional area, generated by <code>cdp demo</code>.</p>" if facts.synthetic else "")
    within = (f" Member of {html.escape(', '.join(facts.partnerships))}." if facts.partnerships else "")
    findings = []
    for n, message in enumerate(facts.findings):
        text = html.escape(message.get("text", ""))
        if n in links:
            text = f'<a href="{html.escape(links[n])}">{text}</a>'
        rec = message.get("recommendation", "")
        findings.append(f"<li>{text}" + (f" <strong>Action:</strong> {html.escape(rec)}" if rec else "") + "</li>")
    found = (f"<ol>{''.join(findings)}</ol>" if findings
             else "<p>No chapter has recorded a finding yet.</p>")
    # the sections only: their reasons are said in each section and in the document's list of what it holds
    # (reasons here pushed the summary past its one page)
    gaps = "".join(f"<li><strong>{html.escape(what)}</strong> ({_GAP_WORDS.get(status, html.escape(status))})</li>"
                   for what, status, _why in facts.gaps[:MAX_GAPS])
    more = len(facts.gaps) - MAX_GAPS
    gaps_html = (f"<ul>{gaps}</ul><p>Each section says why its data falls short.</p>"
                 + (f"<p>{more} more gap{'s' if more > 1 else ''}, each said where it "
                    f"applies in the chapters.</p>" if more > 0 else "")
                 + f"<p><code>cdp data --area {html.escape(facts.area_code)}</code> lists the files to add.</p>"
                 if gaps else "<p>Every section the chapters show is covered by the data for the periods shown.</p>")
    periods = "; ".join(f"{html.escape(what)}: {html.escape(when)}" for what, when in facts.periods)
    dates = (f'<p class="cdp-board-meta" id="board-dates"><strong>Dates.</strong> Built {html.escape(facts.built)}'
             + (f"; data periods: {periods}" if periods else "") + ".</p>")
    return (f'<div class="cdp-board">'
            f'<{h} id="board-summary">Board summary: {html.escape(facts.area_name)}</{h}>{note}'
            f'<p class="cdp-board-meta">{html.escape(facts.area_code)}.{within}</p>{dates}'
            f"<{h2} id=\"board-since\">{SINCE_TITLE}</{h2}>{since_html(facts, facts.area_name)}"
            f"<{h2} id=\"board-headline\">Headline outcomes</{h2}>{_headline_table(facts.headline, facts.area_name)}"
            f"<{h2} id=\"board-findings\">The five most important findings</{h2}>{found}"
            f"<{h2} id=\"board-gaps\">Data gaps</{h2}>{gaps_html}"
            f"</div>")


def write_summary_page(folder: Path, facts: BoardFacts, *, links: Mapping[int, str] | None = None,
                       extra_links: Sequence[tuple[str, str]] = (), forbidden: Sequence[str] = ()) -> Path:
    """Write ``summary.html`` beside the area's chapters."""
    from cdp_analysis.publishing.export import atomic_write_text, check_publishable, standalone_page

    more = " · ".join(f'<a href="{html.escape(href)}">{html.escape(label)}</a>' for label, href in extra_links)
    body = summary_html(facts, links=links) + (f'<p class="cdp-noprint">{more}</p>' if more else "")
    footer = ('<p><a href="../index.html">All areas and chapters</a> · <a href="../methods.html">Methods and '
              'glossary</a> · <a href="../accessibility.html">Accessibility statement</a></p>')
    page = standalone_page(f"Board summary: {html.escape(facts.area_name)}", body, "cdp-report cdp-board-page",
                           footer=footer)
    check_publishable(page, forbidden)
    target = folder / SUMMARY_NAME
    atomic_write_text(target, page)
    return target

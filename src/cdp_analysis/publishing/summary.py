"""Each chapter's key messages and data facts, recorded for the executive summary.

How the executive summary is made (robust to chapters building in any order):

1. After building its sections, a chapter notebook calls :func:`record` once. It
   *displays* a small JSON payload under the private MIME type :data:`MIME`: the
   chapter's key messages (text, recommendation, section key and title, a
   :func:`priority` score) and what data the page used (sources, police months).
   Nothing is written to disk from inside the notebook, so the payload can never
   land in the wrong folder whatever configuration the kernel sees.
2. The batch runner takes the payload out of the executed notebook
   (:func:`from_notebook`; the HTML export drops it) and saves it next to the
   build status, under ``processed/.build/`` (:func:`record_path`), never under ``reports/``.
3. When an area's chapters are built, the publishing step reads every built
   chapter's payload (:func:`load`) and puts the :func:`top_messages` at the top of
   the overview, each linking to its section.

The priority is read from the fixed phrases :mod:`cdp_analysis.report.narrative` writes
(``significantly worse than``, ``a statistically significant change``, …), so a
message is ranked by what its numbers said, never by hand.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from cdp_analysis.chapters.base import SINCE_KEY, Section, coverage_rows, unique_messages
from cdp_analysis.report import narrative
from cdp_analysis.report.narrative import KeyMessage

__all__ = ["MIME", "priority", "payload", "record", "from_notebook", "record_path", "load", "top_messages",
           "changes", "data_gaps", "data_sources", "MAX_PER_CHAPTER"]

_T = TypeVar("_T")

#: The MIME type of the payload a notebook displays; the HTML export never shows it.
MIME = "application/vnd.cdp.summary+json"
_FOLDER = "summary"

def priority(message: KeyMessage) -> int:
    """How much a message belongs in the executive summary: :func:`cdp_analysis.report.narrative.priority`.

    The same rank orders a chapter's key messages, so the summary and the chapters
    agree: worse than England by a margin that matters first, then worse than the
    region or neighbours and getting worse, then groups reached less than their need;
    a data gap is below zero (never a finding). A recommendation adds nothing: it
    follows from its finding, never the other way round.

    >>> priority(KeyMessage("X rate was 2.0 (2024), significantly worse than England (1.0).", "Act."))
    6
    >>> priority(KeyMessage("X rate was 2.0 (2024), similar to England (1.9)."))
    0
    """
    return narrative.priority(message)


def _items(found: Iterable[Section | KeyMessage] | Mapping[str, Section]) -> list[tuple[KeyMessage, str, str]]:
    """(message, section key, section title) for every key message, each text once."""
    things = list(found.values()) if isinstance(found, Mapping) else list(found)
    pairs: list[tuple[KeyMessage, str, str]] = []
    for thing in things:
        if isinstance(thing, Section):
            pairs += [(m, thing.key, thing.title) for m in thing.key_messages()]
        elif isinstance(thing, KeyMessage) and thing.key:
            pairs.append((thing, "", "Key messages"))
    kept = {m.text for m in unique_messages(m for m, _, _ in pairs)}
    seen: set[str] = set()
    out = []
    for message, key, title in pairs:
        if message.text in kept and message.text not in seen:
            seen.add(message.text)
            out.append((message, key, title))
    return out


def payload(ctx: Any, chapter: str, found: Iterable[Section | KeyMessage] | Mapping[str, Section]) -> dict:
    """The chapter's summary record: key messages with their priority, and the data used.

    Parameters
    ----------
    ctx : cdp_analysis.chapters.context.ChapterContext
        The chapter's context (its area and dataset).
    chapter : str
        The chapter id (notebook name), e.g. ``"01_supply"``.
    found : sections (a list or the ``{key: Section}`` dict a chapter returns) or key messages
    """
    messages = [
        {"text": m.text, "recommendation": m.recommendation, "theme": m.theme, "section_key": key,
         "section_title": title, "priority": priority(m), "gap": bool(m.gap), "subject": m.subject}
        for m, key, title in _items(found)
    ]
    things = list(found.values()) if isinstance(found, Mapping) else list(found)
    return {"chapter": chapter, "area_code": ctx.area.code, "synthetic": bool(ctx.synthetic),
            "built": _dt.date.today().isoformat(), "messages": messages,
            "sections": coverage_rows(t for t in things if isinstance(t, Section)),
            "sources": data_sources(ctx.dataset)}


def record(ctx: Any, chapter: str, found: Iterable[Section | KeyMessage] | Mapping[str, Section]) -> None:
    """Display the chapter's summary record (invisible on the page; see the module docstring)."""
    from IPython.display import display

    display({MIME: payload(ctx, chapter, found), "text/plain": ""}, raw=True)
    from cdp_analysis.publishing import datapack

    datapack.record(ctx, chapter, found)  # the sections' published frames, for the Excel data pack


def data_sources(dataset: Any) -> list[dict]:
    """What data a page used: per source, its files' names and dates, and months held.

    Read from the prepare manifest: file names only (never a folder), the files'
    modification dates (the nearest to a publication date the raw files carry) and,
    for police.uk tables, the first and last month held.
    """
    try:
        manifest = dataset.manifest()
    except Exception:  # noqa: BLE001 - a page still builds without its manifest
        return []
    inputs = manifest.get("inputs", {}) if isinstance(manifest, dict) else {}
    grouped: dict[str, dict[str, Any]] = {}
    for name, unit in sorted((manifest.get("units") or {}).items()):
        source = str(unit.get("source", name.split("/")[0]))
        entry = grouped.setdefault(source, {"source": source, "files": set(), "dates": set(), "months": set(),
                                            "folders": set()})
        if "/" in name and re.fullmatch(r"\d{4}-\d\d", name.split("/", 1)[1]):
            entry["months"].add(name.split("/", 1)[1])
        for file in unit.get("inputs", []):
            entry["files"].add(Path(str(file)).name)
            entry["folders"].add(str(Path(str(file)).parent))
            mtime = (inputs.get(file) or {}).get("mtime")
            if isinstance(mtime, (int, float)):
                entry["dates"].add(_dt.date.fromtimestamp(mtime).isoformat())
    return [{"source": e["source"], "files": len(e["files"]), "examples": sorted(e["files"])[:3],
             "file_dates": [min(e["dates"]), max(e["dates"])] if e["dates"] else [],
             "months": [min(e["months"]), max(e["months"]), len(e["months"])] if e["months"] else [],
             **_release_dates(e["folders"])}
            for e in grouped.values()]


def _release_dates(folders: set[str]) -> dict[str, list]:
    """The publisher's release dates ``cdp fetch`` recorded beside a source's files (Fingertips' upload date of
    each indicator): ``{"release_dates": [first, last, indicators]}``, or nothing when none were recorded."""
    from cdp_analysis.errors import DataFormatError
    from cdp_analysis.sources.fingertips import read_release_dates

    dates: dict[int, str] = {}
    for folder in sorted(folders):
        try:
            dates.update(read_release_dates(folder))
        except DataFormatError:
            continue  # an unreadable record leaves the release "not stated", as before
    return {"release_dates": [min(dates.values()), max(dates.values()), len(dates)]} if dates else {}


def from_notebook(notebook: Any) -> dict | None:
    """The summary record an executed notebook displayed, or None."""
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data") or {}
            if MIME in data:
                found = data[MIME]
                return json.loads(found) if isinstance(found, str) else dict(found)
    return None


def record_path(folder: Path, area_code: str, chapter: str) -> Path:
    """Where a chapter's record is kept under the build status ``folder`` (written by the batch)."""
    return folder / _FOLDER / area_code / f"{chapter}.json"


def load(folder: Path, area_code: str, chapters: Sequence[str]) -> dict[str, dict]:
    """Chapter id → record, for the ``chapters`` that have a readable one."""
    found = {}
    for chapter in chapters:
        try:
            data = json.loads(record_path(folder, area_code, chapter).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("messages"), list):
            found[chapter] = data
    return found


#: The most findings one chapter gives the executive summary while other chapters have findings left.
MAX_PER_CHAPTER = 2


#: A finding as ranked: (minus its priority, chapter order, order in the chapter, the message).
_Ranked = tuple[int, int, int, dict]


def top_messages(records: Mapping[str, dict], limit: int = narrative.MAX_KEY_MESSAGES,
                 per_chapter: int = MAX_PER_CHAPTER) -> list[dict]:
    """The most important findings across chapters (each with its ``chapter``), ranked as a chapter's are.

    Highest priority first, then chapter order, then the chapter's own order; data
    gaps (priority below zero, or ``gap``) are never among them. No chapter gives more
    than ``per_chapter`` findings while another chapter has a finding left: the
    places are taken in rank order, a chapter's third finding waiting until the other
    chapters have none; the findings chosen are then shown in rank order. When fewer
    than three messages score above zero, each chapter's first finding or fact fills in.
    """
    ranked: list[_Ranked] = []
    for order, (chapter, data) in enumerate(records.items()):
        for position, message in enumerate(data.get("messages", [])):
            if message.get("gap") or int(message.get("priority", 0)) < 0:
                continue
            ranked.append((-int(message.get("priority", 0)), order, position, {**message, "chapter": chapter}))
    ranked.sort(key=lambda item: item[:3])
    findings = _unique([item for item in ranked if item[0] < 0])
    taken: dict[str, int] = {}
    chosen: list[_Ranked] = []
    waiting: list[_Ranked] = []
    for item in findings:
        chapter = item[3]["chapter"]
        if len(chosen) < limit and taken.get(chapter, 0) < per_chapter:
            chosen.append(item)
            taken[chapter] = taken.get(chapter, 0) + 1
        else:
            waiting.append(item)
    chosen = sorted(chosen + waiting[: max(0, limit - len(chosen))], key=lambda item: item[:3])
    top = [m for *_, m in chosen]
    if len(top) < 3:
        firsts: dict[int, dict] = {}
        for _score, order, _position, m in sorted(ranked, key=lambda item: (item[1], item[2])):
            firsts.setdefault(order, m)
        top += [m for m in firsts.values() if m not in top][: max(0, 3 - len(top))]
    return _each_text_once(top, lambda m: m.get("subject") or m["text"])


def _unique(items: list[_Ranked]) -> list[_Ranked]:
    """``items`` with each message text once, and each subject once (the first, highest ranked): the
    overview and a chapter both stating one indicator's comparison make one finding, not two."""
    return _each_text_once(items, lambda item: item[3].get("subject") or item[3]["text"])


def _each_text_once(items: Iterable[_T], text: Callable[[_T], str]) -> list[_T]:
    """``items`` in order, the first of each ``text(item)`` kept."""
    seen: set[str] = set()
    out = []
    for item in items:
        if text(item) not in seen:
            seen.add(text(item))
            out.append(item)
    return out


def changes(records: Mapping[str, dict], limit: int = narrative.MAX_KEY_MESSAGES) -> list[dict]:
    """What changed since the last assessment, across chapters (each with its ``chapter``): the executive
    summary leads with it.

    The key messages of the chapters' "Since the last assessment" sections: significant changes,
    for the worse first, then for the better and those without a direction; when no headline
    indicator changed significantly, each chapter's sentence saying so; when none could be
    compared, each section's sentence saying why.
    """
    found: list[_Ranked] = []
    for order, (chapter, data) in enumerate(records.items()):
        for position, message in enumerate(data.get("messages", [])):
            if message.get("section_key") == SINCE_KEY and not message.get("gap"):
                found.append((-int(message.get("priority", 0)), order, position, {**message, "chapter": chapter}))
    found.sort(key=lambda item: item[:3])
    moved = [m for score, *_, m in found if score < 0]
    chosen = moved[:limit] if moved else [m for *_, m in found][:limit]
    if not chosen:  # no section could compare: each one's sentence saying why (no number)
        chosen = [{"text": row["note"], "chapter": chapter, "section_key": SINCE_KEY,
                   "section_title": row.get("title", ""), "priority": 0, "recommendation": ""}
                  for chapter, data in records.items() for row in data.get("sections", [])
                  if row.get("key") == SINCE_KEY and row.get("status") != "covered" and row.get("note")][:limit]
    return _each_text_once(chosen, lambda m: m["text"])


def data_gaps(records: Mapping[str, dict]) -> list[dict]:
    """The data gaps the chapters recorded (each once, with its ``chapter``): listed apart from findings."""
    seen: set[str] = set()
    out = []
    for chapter, data in records.items():
        for message in data.get("messages", []):
            if (message.get("gap") or int(message.get("priority", 0)) < 0) and message["text"] not in seen:
                seen.add(message["text"])
                out.append({**message, "chapter": chapter})
    return out

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
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cdp_analysis.chapters.base import Section, unique_messages
from cdp_analysis.report.narrative import KeyMessage

__all__ = ["MIME", "priority", "payload", "record", "from_notebook", "record_path", "load", "top_messages",
           "data_sources"]

#: The MIME type of the payload a notebook displays; the HTML export never shows it.
MIME = "application/vnd.cdp.summary+json"
_FOLDER = "summary"

#: (pattern, score): the highest matching score is the message's priority.
_SCORES: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"significantly worse than"), 4),
    (re.compile(r"significantly higher than"), 3),
    (re.compile(r"\bup \d+% on [^;]*; a statistically significant change"), 3),  # getting worse
    (re.compile(r"under-?reach|unmet need|not in (contact with )?treatment|times as often", re.I), 3),
    (re.compile(r"significantly lower than"), 1),
    (re.compile(r"significantly better than"), 1),
)


def priority(message: KeyMessage) -> int:
    """How much a message belongs in the executive summary (0: only if nothing else).

    Worse than a comparator scores 4, significantly higher, significantly up
    (getting worse) or an under-reached group 3, significantly lower or better 1;
    a message with a recommendation scores one more.

    >>> priority(KeyMessage("X rate was 2.0 (2024), significantly worse than England (1.0).", "Act."))
    5
    >>> priority(KeyMessage("X rate was 2.0 (2024), similar to England (1.9)."))
    0
    """
    score = max((points for pattern, points in _SCORES if pattern.search(message.text)), default=0)
    return score + (1 if message.recommendation and score else 0)


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
         "section_title": title, "priority": priority(m)}
        for m, key, title in _items(found)
    ]
    return {"chapter": chapter, "area_code": ctx.area.code, "synthetic": bool(ctx.synthetic),
            "built": _dt.date.today().isoformat(), "messages": messages,
            "sources": data_sources(ctx.dataset)}


def record(ctx: Any, chapter: str, found: Iterable[Section | KeyMessage] | Mapping[str, Section]) -> None:
    """Display the chapter's summary record (invisible on the page; see the module docstring)."""
    from IPython.display import display

    display({MIME: payload(ctx, chapter, found), "text/plain": ""}, raw=True)


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
        entry = grouped.setdefault(source, {"source": source, "files": set(), "dates": set(), "months": set()})
        if "/" in name and re.fullmatch(r"\d{4}-\d\d", name.split("/", 1)[1]):
            entry["months"].add(name.split("/", 1)[1])
        for file in unit.get("inputs", []):
            entry["files"].add(Path(str(file)).name)
            mtime = (inputs.get(file) or {}).get("mtime")
            if isinstance(mtime, (int, float)):
                entry["dates"].add(_dt.date.fromtimestamp(mtime).isoformat())
    return [{"source": e["source"], "files": len(e["files"]), "examples": sorted(e["files"])[:3],
             "file_dates": [min(e["dates"]), max(e["dates"])] if e["dates"] else [],
             "months": [min(e["months"]), max(e["months"]), len(e["months"])] if e["months"] else []}
            for e in grouped.values()]


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


def top_messages(records: Mapping[str, dict], limit: int = 6) -> list[dict]:
    """The most important messages across chapters (each with its ``chapter``).

    Highest priority first, then chapter order, then the chapter's own order; when
    fewer than three messages score above zero, each chapter's first message fills in.
    """
    ranked = []
    for order, (chapter, data) in enumerate(records.items()):
        for position, message in enumerate(data.get("messages", [])):
            ranked.append((-int(message.get("priority", 0)), order, position, {**message, "chapter": chapter}))
    ranked.sort(key=lambda item: item[:3])
    chosen = [m for score, *_, m in ranked if score < 0][:limit]
    if len(chosen) < 3:
        firsts = [m for _, _, position, m in ranked if position == 0 and m not in chosen]
        chosen += firsts[: max(0, limit - len(chosen))]
    seen: set[str] = set()
    return [m for m in chosen if not (m["text"] in seen or seen.add(m["text"]))]

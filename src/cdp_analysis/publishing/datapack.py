"""An area's data pack: every section's published frames in one Excel workbook.

How the frames get here (the same route as :mod:`cdp_analysis.publishing.summary`):

1. A chapter notebook calls :func:`record` with its sections (``summary.record``
   does it for chapters that pass sections). The record is *displayed* under the
   private MIME type :data:`MIME`: per section its key, title, coverage and the
   frames it publishes (already disclosure-controlled: the same frames as its
   tables, charts, words and CSV downloads). The HTML export drops it.
2. The batch runner takes it out of the executed notebook (:func:`from_notebook`)
   and keeps it under ``processed/.build/`` (:func:`record_path`).
3. Publishing reads the area's records (:func:`load`) and writes
   ``reports/<area>/<area>_data.xlsx`` (:func:`write_datapack`): an "About" sheet
   (sources, publishers, dates, periods, method, disclosure rule, licence), then
   one sheet per section holding its frames one under the other, each under its name.

Values are rounded as the pages show them (:func:`round_as_shown`); a suppressed
cell is empty (the pages show ``*``), so the pack holds nothing the pages hide.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis.publishing import releases

__all__ = ["MIME", "DATAPACK_SUFFIX", "payload", "record", "from_notebook", "record_path", "load",
           "round_as_shown", "sheet_name", "workbook_frames", "write_datapack", "datapack_name", "PUBLISHERS"]

#: The MIME type of the record a notebook displays (dropped from the HTML by ``publish``).
MIME = "application/vnd.cdp.datapack+json"
DATAPACK_SUFFIX = "_data.xlsx"
_FOLDER = "datapack"

#: Publisher and licence of each source the prepare manifest names (``summary.data_sources``).
PUBLISHERS: dict[str, tuple[str, str]] = {
    "street_crime": ("Home Office / police forces via data.police.uk", "Open Government Licence v3.0"),
    "police_counts": ("Home Office / police forces via data.police.uk (all forces' files summed by local "
                      "authority)", "Open Government Licence v3.0"),
    "pupil_headcount": ("Department for Education", "Open Government Licence v3.0"),
    "lookup": ("ONS Open Geography Portal", "Open Government Licence v3.0"),
    "police_uk": ("Home Office / police forces via data.police.uk", "Open Government Licence v3.0"),
    "stop_search": ("Home Office / police forces via data.police.uk", "Open Government Licence v3.0"),
    "outcomes": ("Home Office / police forces via data.police.uk", "Open Government Licence v3.0"),
    "indicators": ("OHID Fingertips (Office for Health Improvement and Disparities)", "Open Government Licence v3.0"),
    "fingertips": ("OHID Fingertips (Office for Health Improvement and Disparities)", "Open Government Licence v3.0"),
    "ndtms": ("OHID National Drug Treatment Monitoring System (NDTMS ViewIt)", "Open Government Licence v3.0"),
    "boundaries": ("ONS Open Geography Portal", "Open Government Licence v3.0; contains OS data © Crown copyright"),
    "lookups": ("ONS Open Geography Portal", "Open Government Licence v3.0"),
    "population": ("Office for National Statistics", "Open Government Licence v3.0"),
    "census": ("Office for National Statistics (Census 2021)", "Open Government Licence v3.0"),
    "imd": ("Ministry of Housing, Communities and Local Government (IoD 2019)", "Open Government Licence v3.0"),
    "csew": ("Office for National Statistics (Crime Survey for England and Wales)", "Open Government Licence v3.0"),
    "children_in_need": ("Department for Education", "Open Government Licence v3.0"),
    "looked_after": ("Department for Education", "Open Government Licence v3.0"),
    "exclusions": ("Department for Education", "Open Government Licence v3.0"),
    "homelessness": ("Ministry of Housing, Communities and Local Government (statutory homelessness, H-CLIC)",
                     "Open Government Licence v3.0"),
    "reoffending": ("Ministry of Justice (proven reoffending statistics)", "Open Government Licence v3.0"),
    "local": ("The partnership's own local returns", "As agreed by the partnership"),
}


def _sections(found: Iterable[Any] | Mapping[str, Any]) -> list[dict]:
    """Sections (or ``{title: frame}``) as the record's section entries."""
    from cdp_analysis.chapters.base import Section

    if isinstance(found, Mapping):
        items = list(found.items())
    else:
        items = [(getattr(s, "key", ""), s) for s in found]
    out = []
    for key, thing in items:
        if isinstance(thing, Section):
            cov = thing.coverage
            frames = {name: f for name, f in thing.frames.items() if isinstance(f, pd.DataFrame)}
            out.append({"key": thing.key or str(key), "title": thing.title, "status": cov.status,
                        "note": cov.note, "frames": {n: _to_json(f) for n, f in frames.items()}})
        elif isinstance(thing, pd.DataFrame):
            out.append({"key": str(key), "title": str(key), "status": "covered", "note": "",
                        "frames": {str(key): _to_json(thing)}})
    return out


def _to_json(frame: pd.DataFrame) -> dict:
    data = frame.reset_index(drop=True)
    data.columns = [str(c) for c in data.columns]
    return json.loads(data.to_json(orient="split", date_format="iso", index=False, default_handler=str))


def payload(chapter: str, found: Iterable[Any] | Mapping[str, Any]) -> dict:
    """The chapter's data-pack record: per section its key, title, coverage and published frames.

    ``found`` is the chapter's sections (a list, or the ``{key: Section}`` dict a chapter
    returns) or ``{title: DataFrame}`` for frames a chapter shows outside a section.
    """
    return {"chapter": chapter, "sections": _sections(found)}


def record(ctx: Any, chapter: str, found: Iterable[Any] | Mapping[str, Any]) -> None:
    """Display the chapter's data-pack record (invisible on the page; see the module docstring)."""
    from IPython.display import display

    data = payload(chapter, found)
    if data["sections"]:
        data["area_code"] = ctx.area.code
        display({MIME: data, "text/plain": ""}, raw=True)


def from_notebook(notebook: Any) -> dict | None:
    """The data-pack records an executed notebook displayed, merged into one (None if none).

    A section recorded twice (the same title and the same frames, e.g. by ``summary.record``
    with the chapter's sections and again by an explicit :func:`record`) is kept once, so the
    pack has no duplicate sheet.
    """
    merged: dict | None = None
    seen: set[str] = set()
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = (output.get("data") or {}).get(MIME)
            if data is None:
                continue
            found = json.loads(data) if isinstance(data, str) else dict(data)
            if merged is None:
                merged = {**found, "sections": []}
            for section in found.get("sections", []):
                same = json.dumps([section.get("title"), list(section.get("frames", {}).values())], sort_keys=True)
                if same not in seen:
                    seen.add(same)
                    merged["sections"].append(section)
    return merged


def record_path(folder: Path, area_code: str, chapter: str) -> Path:
    """Where a chapter's data-pack record is kept under the build status ``folder``."""
    return folder / _FOLDER / area_code / f"{chapter}.json"


def _readable(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("sections"), list) else None


def load(folder: Path, area_code: str, chapters: Sequence[str]) -> dict[str, dict]:
    """Chapter id → data-pack record, for the ``chapters`` that have a readable one."""
    records = {chapter: _readable(record_path(folder, area_code, chapter)) for chapter in chapters}
    return {chapter: data for chapter, data in records.items() if data is not None}


def frame_of(entry: dict) -> pd.DataFrame:
    """A recorded frame back as a DataFrame."""
    return pd.DataFrame(entry.get("data", []), columns=entry.get("columns", []))


_COUNT_WORDS = re.compile(r"(^|[_ ])(count|counts|n|numerator|denominator|number|searches|offences|people|"
                          r"adults|children|households|population|residents|crimes|admissions|deaths)([_ ]|$)", re.I)


def round_as_shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as the pages show them: counts whole, rates and percentages to 1 decimal place,
    proportions held as fractions (every value within ±1) to 3 decimal places.

    >>> round_as_shown(pd.DataFrame({"count": [12.0], "value": [3.456], "share": [0.12345]})).to_dict("list")
    {'count': [12], 'value': [3.5], 'share': [0.123]}
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            continue
        floats = values.astype(float)
        finite = floats[np.isfinite(floats)]
        if _COUNT_WORDS.search(str(column)) and (finite.round() == finite).all():
            out[column] = floats.round().astype("Int64")
        elif not finite.empty and finite.abs().max() <= 1 and pd.api.types.is_float_dtype(values):
            out[column] = floats.round(3)
        elif pd.api.types.is_float_dtype(values):
            out[column] = floats.round(1)
    return out


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, taken: set[str]) -> str:
    """An Excel sheet name for ``title``: at most 31 characters, no ``[]:*?/\\``, unique in ``taken``.

    >>> sheet_name("Drug offences: latest rate", set())
    'Drug offences - latest rate'
    """
    base = _SHEET_BAD.sub("-", _SHEET_BAD.sub(" -", title).replace(" -", " - ").replace("  ", " ")).strip("' ")
    base = re.sub(r"\s+", " ", base.replace("- -", "-"))[:31].strip() or "Section"
    name, n = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def workbook_frames(records: Mapping[str, dict]) -> list[tuple[str, str, str, list[tuple[str, pd.DataFrame]]]]:
    """(chapter, section title, coverage note, [(frame name, rounded frame)]) for every section shown."""
    out = []
    for chapter, data in records.items():
        for section in data.get("sections", []):
            if section.get("status") == "missing":
                continue
            frames = [(name, round_as_shown(frame_of(entry))) for name, entry in section.get("frames", {}).items()]
            frames = [(name, f) for name, f in frames if not f.empty]
            if frames:
                out.append((chapter, section.get("title", ""), section.get("note", ""), frames))
    return out


def _about_rows(sources: Sequence[dict], *, area: str, built: str, policy_rule: str,
                version: str, synthetic: bool) -> list[list[str]]:
    rows = [["Data pack", f"Combating drugs needs assessment: {area}"],
            ["Built", built], ["Software", f"cdp-needs-assessment {version}"],
            ["Disclosure rule", policy_rule + "; a suppressed value is an empty cell (the pages show *)"],
            ["Rounding", "as shown on the pages: counts whole, rates and percentages to 1 decimal place, "
                         "proportions held as fractions to 3 decimal places"],
            ["Method", "Fingertips / PHEindicatormethods conventions: Wilson intervals for proportions, Byar's "
                       "(exact Poisson below 10) for rates, Dobson for standardised rates; comparison of the "
                       "area's 95% interval with the comparator's value; see methods.html beside the reports"]]
    if synthetic:
        rows.append(["Synthetic demonstration data", "Every number describes fictional areas generated by cdp demo."])
    rows.append(["Release dates",
                 "The downloaded files do not state when they were published. 'Release date' says what the "
                 "publisher's calendar records: a date where one is recorded, an expected release (labelled "
                 "'expected') where the publisher states a schedule, otherwise that it is not stated. "
                 "'File date' is when the files were saved, never a release date."])
    rows += [[], ["Source", "Publisher", "Release date", "Period", "Files", "Licence", "File date",
                  "Publisher's release schedule", "Schedule stated at"]]
    known = releases.calendar()
    for source in sources:
        publisher, licence = PUBLISHERS.get(source.get("source", ""), ("not recorded", "see the publisher"))
        months = source.get("months") or []
        period = f"{months[0]} to {months[1]} ({months[2]} months)" if len(months) == 3 else "as shown on each sheet"
        entry = known.get(str(source.get("source", "")))
        schedule, cited = ("", "") if synthetic or entry is None else (entry.schedule, entry.citation)
        rows.append([source.get("source", ""), publisher, releases.release_words(source, synthetic=synthetic),
                     period, ", ".join(source.get("examples", [])), licence, releases.file_date_words(source),
                     schedule, cited])
    return rows


def write_datapack(target: Path, records: Mapping[str, dict], *, area_name: str, sources: Sequence[dict] = (),
                   policy_rule: str = "", version: str = "", synthetic: bool = False,
                   chapter_titles: Mapping[str, str] | None = None) -> Path | None:
    """Write the area's Excel data pack (None, and any old pack removed, when no section has frames)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    sheets = workbook_frames(records)
    if not sheets:
        target.unlink(missing_ok=True)
        return None
    book = Workbook()
    about = book.active
    about.title = "About"
    for row in _about_rows(sources, area=area_name, built=_dt.date.today().isoformat(), policy_rule=policy_rule,
                           version=version, synthetic=synthetic):
        about.append(row)
    about.append([])
    about.append(["Sheet", "Chapter", "Section"])
    taken = {"About"}
    titles = chapter_titles or {}
    for chapter, title, note, frames in sheets:
        sheet = book.create_sheet(sheet_name(title, taken))
        about.append([sheet.title, titles.get(chapter, chapter), title])
        sheet.append([title])
        sheet["A1"].font = Font(bold=True)
        if note:
            sheet.append([f"Partial data: {note}"])
        for name, frame in frames:
            sheet.append([])
            sheet.append([name])
            sheet.cell(sheet.max_row, 1).font = Font(italic=True)
            sheet.append([str(c) for c in frame.columns])
            for row in frame.itertuples(index=False):
                sheet.append([_cell(v) for v in row])
    for column in ("A", "B", "C"):
        about.column_dimensions[column].width = 40
    buffer = io.BytesIO()
    book.save(buffer)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(target)
    return target


def _cell(value: Any) -> Any:
    """A worksheet cell: missing (or suppressed) stays empty; text that looks like a formula is made inert."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def datapack_name(area_code: str) -> str:
    """``<area>_data.xlsx``."""
    return f"{area_code}{DATAPACK_SUFFIX}"

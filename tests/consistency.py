"""The one-source-of-truth check: every number and judgement in a section's words is in its data.

Used by ``tests/test_consistency.py`` over every section of every demo area and of the
real City of London build. It reads only what a reader can download (the section's
published frames), never the code that wrote the sentences:

- every number in a message (after dates, periods and fixed phrases are taken out)
  must equal, at the decimals shown, some numeric cell of the section's frames;
- every "significantly higher than X (v)" / "similar to X (v)" / "significantly lower
  than X (v)" must match a row of a frame naming X with the same judgement and value;
- hotspots named in words must be exactly the rows marked "Higher" in the small-area data.
"""

from __future__ import annotations

import math
import re

import pandas as pd

MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_STRIP = [
    rf"\b(?:{MONTHS})[a-z]* \d{{4}}\b",  # Jan 2025
    r"\b\d{4}/\d{2}\b",  # 2024/25
    r"\b(?:19|20)\d{2}\b",  # years
    r"95% CI", r"95% confidence", r"per 1,000", r"per 100,000", r"IMD 2019", r"Census 2021",
    r"\(\d+ months?\)", r"\d+ months? of data", r"quintile \d", r"\blast \w+ months\b",
]
_NUMBER = re.compile(r"(?<![\w.])(-?\d[\d,]*(?:\.\d+)?)(%?)")
_JUDGEMENT = re.compile(r"(significantly higher than|significantly lower than|similar to) (.+?) \((-?[\d,.]+)\)")
_LABEL = {"significantly higher than": "Higher", "significantly lower than": "Lower", "similar to": "Similar"}


def _numbers(frames: dict[str, pd.DataFrame]) -> list[float]:
    values: list[float] = []
    for frame in frames.values():
        for column in frame.columns:
            series = pd.to_numeric(frame[column], errors="coerce") if frame[column].dtype == object else frame[column]
            if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
                values += [float(v) for v in series.dropna()]
        values.append(float(len(frame)))  # "one of the 18 wards": the rows a reader downloads
    return values


def _strings(frames: dict[str, pd.DataFrame]) -> set[str]:
    found: set[str] = set()
    for frame in frames.values():
        for column in frame.columns:
            if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
                found.update(str(v) for v in frame[column].dropna())
    return found


def _matches(number: float, decimals: int, values: list[float]) -> bool:
    tolerance = 0.5 * 10 ** -decimals + 1e-9
    return any(math.isclose(abs(v), abs(number), abs_tol=tolerance) for v in values)


def problems(section, names: set[str]) -> list[str]:
    """What in ``section``'s messages is not in its frames (empty when consistent)."""
    if not section.coverage.shown:
        return [f"missing section has words: {m.text}" for m in section.messages if m.key]
    values = _numbers(section.frames)
    strings = _strings(section.frames) | names
    found = []
    for message in section.messages:
        text = message.text
        for judgement in _JUDGEMENT.finditer(text):
            phrase, who, shown = judgement.groups()
            if not _judged(section.frames, who, _LABEL[phrase], shown):
                found.append(f"{section.title}: '{phrase} {who} ({shown})' has no matching row")
        for name in sorted(strings, key=len, reverse=True):  # names may hold digits (City of London 001F)
            if len(name) > 2:
                text = text.replace(name, " ")
        for pattern in _STRIP:
            text = re.sub(pattern, " ", text)
        for match in _NUMBER.finditer(text):
            raw = match.group(1).replace(",", "")
            decimals = len(raw.split(".")[1]) if "." in raw else 0
            if not _matches(float(raw), decimals, values):
                found.append(f"{section.title}: {match.group(0)!r} not in the section's data ({message.text[:120]})")
    return found


def _judged(frames: dict[str, pd.DataFrame], who: str, label: str, shown: str) -> bool:
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    number = float(shown.replace(",", ""))
    for frame in frames.values():
        if "focus_compared" not in frame:
            continue
        for _, row in frame.iterrows():
            if who in {str(v) for v in row.to_numpy()} and row["focus_compared"] == label and \
                    _matches(number, decimals, [float(row["value"])]):
                return True
    return False


def hotspot_problems(section) -> list[str]:
    """Hotspots named in words ≠ rows marked Higher in the small-area data."""
    if not section.coverage.shown or "small_areas" not in section.frames:
        return []
    data = section.frames["small_areas"]
    marked = set(data.loc[data["compared_to_area"] == "Higher", "name"])
    named: set[str] = set()
    for message in section.messages:
        match = re.search(r"of the \d+ (?:wards|LSOAs) \((.+?)\) (?:has|have) a drug offence rate", message.text)
        if match:
            named = {n for n in marked if n in match.group(1)}
            if len(named) != len(marked):
                return [f"hotspots named {match.group(1)!r} but marked {sorted(marked)}"]
    if marked and not named:
        return [f"rows marked Higher {sorted(marked)} are not named"]
    return []

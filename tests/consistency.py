"""The one-source-of-truth check: every number and judgement in a section's words is in its data.

Used by ``tests/chapters/test_consistency.py`` over every section of every demo area and of the
real City of London build. It reads only what a reader can download (the section's
published frames), never the code that wrote the sentences:

- every number in a message (after dates, periods and fixed phrases are taken out)
  must equal, at the decimals shown, some numeric cell of the section's frames;
- every "significantly higher than X (v)" / "similar to X (v)" / "significantly lower
  than X (v)" must match a row of a frame naming X with the same judgement and value;
- hotspots named in words must be exactly the rows marked "Higher" in the small-area data;
- a sentence about the statistical neighbours must match the neighbour frames: its rank ("2nd highest of 4"),
  its comparison with the neighbour average and that average's value; and "the highest among" only where
  the area's 95% interval lies above every neighbour's published value.
"""

from __future__ import annotations

import contextlib
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
_JUDGEMENT = re.compile(r"(significantly higher than|significantly lower than|significantly better than|"
                        r"significantly worse than|similar to) (.+?) \((-?[\d,.]+)\)")
_LABEL = {"significantly higher than": "Higher", "significantly lower than": "Lower", "similar to": "Similar",
          "significantly better than": "Better", "significantly worse than": "Worse"}


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
    for frame in section.frames.values():  # a headline table's neighbour columns follow the interval rule
        found += [f"{section.title}: {p}" for p in neighbour_column_problems(frame)]
    return found + neighbour_problems(section)


_ORDINAL = re.compile(r"ranks (?:joint )?(?:(\d+)(?:st|nd|rd|th) )?(highest|lowest) of (\d+)")
_AVERAGE = re.compile(r"and is (significantly higher than|significantly lower than|significantly better than|"
                      r"significantly worse than|similar to) their average of (-?[\d,.]+)")


def neighbour_problems(section) -> list[str]:
    """Neighbour sentences against the ``neighbours`` (summary) and ``neighbour_values`` (every area) frames."""
    if not section.coverage.shown or "neighbour_values" not in section.frames:
        return []
    rows, summary = section.frames["neighbour_values"], section.frames["neighbours"]
    focus = rows[rows["role"] == "focus"]
    found = []
    for message in section.messages:
        text = message.text
        if "the highest among" in text:
            supported = False
            for _, own in focus.iterrows():
                peers = rows[(rows["measure"] == own["measure"]) & (rows["role"] == "neighbour")]["value"].dropna()
                clears = not peers.empty and own["lower_ci"] == own["lower_ci"] and own["lower_ci"] > peers.max()
                named = any(f"{own['value']:,.{d}f}" in text for d in (0, 1, 2))
                supported = supported or bool(clears and named)
            if not supported:
                found.append(f"{section.title}: 'the highest among' without an interval above every neighbour: {text}")
        if (m := _ORDINAL.search(text)) is not None:
            nth, end, of = int(m.group(1) or 1), m.group(2), int(m.group(3))
            wanted = [nth if end == "highest" else of - nth + 1]
            if not ((focus["rank"].isin(wanted)) & (focus["n_ranked"] == of)).any():
                found.append(f"{section.title}: rank {m.group(0)!r} matches no focus row of the neighbour data")
        if (m := _AVERAGE.search(text)) is not None:
            label, shown = _LABEL[m.group(1)], m.group(2).rstrip(".")
            decimals = len(shown.split(".")[1]) if "." in shown else 0
            hit = summary[(summary["Compared with the neighbour average"] == label)]
            if not any(_matches(float(shown.replace(",", "")), decimals, [float(v)])
                       for v in hit["Neighbour average"].dropna()):
                found.append(f"{section.title}: '{m.group(0)}' matches no row of the neighbour summary")
    return found


_RANK_WORDS = re.compile(r"^(?:joint )?(?:(\d+)(?:st|nd|rd|th) )?(highest|lowest) of (\d+)$")


def neighbour_column_problems(frame: pd.DataFrame, neighbours: pd.DataFrame | None = None, *,
                              key: str = "indicator") -> list[str]:
    """A headline table's neighbour columns (``neighbour_average, neighbour_rank, neighbour_compared,
    neighbour_note``) against the Fingertips rule and, with ``neighbours`` (the neighbour section's summary
    frame: ``Neighbour average``, ``Rank``, ``Compared with the neighbour average``), against that section.

    A row without an average carries words and no number; a rank reads "nth highest/lowest of n" with
    n at least three (the area and two neighbours); the comparison follows the row's own interval
    against the average; and the same average, rank and comparison appear in the neighbour section.
    """
    if "neighbour_compared" not in frame:
        return []
    found = []
    for _, r in frame.iterrows():
        who = str(r.get(key, "?"))
        note, average, rank, compared = (r["neighbour_note"], r["neighbour_average"], str(r["neighbour_rank"]),
                                         str(r["neighbour_compared"]))
        if isinstance(note, str) and note:
            if average == average or rank or compared != "Not compared" or re.search(r"\d", note):
                found.append(f"{who}: not compared ({note!r}) but shows {average!r}, {rank!r}, {compared!r}")
            continue
        m = _RANK_WORDS.match(rank)
        if m is None or int(m.group(3)) < 3 or int(m.group(1) or 1) > int(m.group(3)):
            found.append(f"{who}: rank {rank!r} is not 'nth highest/lowest of n' with n of three or more")
        lower, upper = r.get("lower_ci", float("nan")), r.get("upper_ci", float("nan"))
        if lower == lower and upper == upper:
            side = "above" if lower > average else "below" if upper < average else "across"
            if (side == "across") != (compared == "Similar"):
                found.append(f"{who}: interval {lower} to {upper} is {side} the average {average} but says {compared}")
        if neighbours is not None and not (
                (neighbours["Rank"] == rank) & (neighbours["Compared with the neighbour average"] == compared)
                & neighbours["Neighbour average"].map(lambda v, a=average: math.isclose(float(v), a, abs_tol=1e-9))
        ).any():
            found.append(f"{who}: average {average}, {rank!r}, {compared!r} is in no row of the neighbour section")
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


# -- figures: their own labels, colours and positions agree with the section's words -------------------

@contextlib.contextmanager
def captured_charts():
    """Every :class:`cdp_analysis.report.charts.Chart` rendered into HTML while the block runs, in order."""
    from unittest import mock

    from cdp_analysis.report import render

    seen: list = []
    original = render.chart_html

    def keep(chart):
        seen.append(chart)
        return original(chart)

    with mock.patch.object(render, "chart_html", keep):
        yield seen


_BAR_WORDS = re.compile(r"(significantly higher|significantly lower|significantly better|significantly worse|similar"
                        r"|higher than|lower than)")
_WORD_LABEL = {"significantly higher": "Higher", "significantly lower": "Lower", "significantly better": "Better",
               "significantly worse": "Worse", "similar": "Similar", "higher than": "Higher", "lower than": "Lower"}
_INVERSE_LABEL = {"Higher": "Lower", "Lower": "Higher", "Similar": "Similar", "Better": "Worse", "Worse": "Better"}


def _hex(rgba) -> str:
    return "#{:02X}{:02X}{:02X}".format(*(round(c * 255) for c in rgba[:3]))


def _bars(chart) -> list[tuple[str, str, float, str]]:
    """(name, words, drawn value, colour) of each bar of a bar-with-whiskers chart, read from the figure."""
    ax = chart.figure.axes[0]
    labels = {round(t.get_loc(), 6): t.label1.get_text() for t in ax.yaxis.get_major_ticks()}
    out = []
    for patch in ax.patches:
        y = round(patch.get_y() + patch.get_height() / 2, 6)
        text = " ".join(labels.get(y, "").split())  # wrapped labels read as one line
        name, _, words = text.rpartition(" (") if text.endswith(")") else (text, "", "")
        words = words[:-1] if words.endswith(")") else words
        if not name:
            name, words = text, ""
        out.append((name, words, float(patch.get_width()), _hex(patch.get_facecolor())))
    return out


def figure_problems(section, charts, focus: str) -> list[str]:
    """What a section's figures say that its words or their own colours contradict (empty when none).

    - a bar chart's words beside a bar and the bar's colour are the same comparison
      (:func:`cdp_analysis.report.charts.comparison_words`, :data:`cdp_analysis.stats.BENCHMARK_COLOURS`);
    - every "significantly lower than England (12.5)" of the words has England's bar (drawn at 12.5)
      saying "<focus> significantly lower" (or, read from the comparator's side, "higher than <focus>");
    - a spine chart's marker is coloured by its row's comparison, sits on the Worse side when the
      comparison is Worse and on the Better side when Better, and the axis says Better/Worse only
      when every indicator has a better direction;
    - every chart reads (:func:`chart_problems`): years as years, every value drawn, titles that
      count what is drawn.
    """
    from cdp_analysis.report.charts import _benchmark_colour

    found = []
    bars = []
    for chart in charts:
        ax = chart.figure.axes[0]
        found += chart_problems(chart)
        if chart.alt_text.startswith("Spine chart"):
            found += _spine_problems(chart)
        elif chart.alt_text.startswith("Bar chart with confidence intervals") and ax.patches:
            bars += [(chart.title, *bar) for bar in _bars(chart)]
    for title, name, words, _value, colour in bars:
        match = _BAR_WORDS.search(words)
        label = _WORD_LABEL[match.group(1)] if match else ("Focus area" if name.endswith(focus) and not words
                                                            else None)
        expected = _benchmark_colour(label) if label else None
        if expected and expected.upper() != colour:
            found.append(f"{title}: bar '{name}' says '{words}' but is coloured {colour} (not {expected})")
    if not section.coverage.shown:
        return found
    for message in section.messages:
        for judgement in _JUDGEMENT.finditer(message.text):
            phrase, who, shown = judgement.groups()
            label = _LABEL[phrase]
            decimals = len(shown.split(".")[1]) if "." in shown else 0
            drawn = [(t, n, w) for t, n, w, v, _ in bars if (n == who or n.endswith(f": {who}"))
                     and _matches(float(shown.replace(",", "")), decimals, [v])]
            for title, name, words in drawn:
                plain = _WORD_LABEL.get(m.group(1)) if (m := _BAR_WORDS.search(words)) else None
                inverse = words.endswith(f"than {focus}")
                if plain is None or (_INVERSE_LABEL[plain] if inverse else plain) != label:
                    found.append(f"{title}: bar '{name}' says '{words}' where the words say '{phrase} {who}'")
    return found


def _spine_problems(chart) -> list[str]:
    from cdp_analysis.report.charts import _benchmark_colour

    ax = chart.figure.axes[0]
    data = chart.data.reset_index(drop=True)
    found = []
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    if not data["polarity"].isin(("HighIsGood", "LowIsGood")).any() and any(
            "Better" in t or "Worse" in t for t in ticks):
        found.append(f"{chart.title}: a Better/Worse axis where no indicator has a better direction")
    points = [c for c in ax.collections if len(c.get_offsets()) == 1]
    if len(points) != len(data):
        return found + [f"{chart.title}: {len(points)} markers for {len(data)} rows"]
    for (_, row), point in zip(data.iterrows(), points, strict=True):
        x = float(point.get_offsets()[0][0])
        colour = _hex(point.get_facecolor()[0])
        expected = (_benchmark_colour(row["compared"]) or "#b1b4b6").upper()
        if colour != expected:
            found.append(f"{chart.title}: {row['indicator']} is {row['compared']} but coloured {colour}")
        if (row["compared"] == "Worse" and x >= 0.5) or (row["compared"] == "Better" and x <= 0.5):
            found.append(f"{chart.title}: {row['indicator']} is {row['compared']} but drawn at {x:.2f}")
        if row["polarity"] in ("HighIsGood", "LowIsGood") and row["england"] == row["england"] \
                and row["value"] != row["england"]:
            worse_side = (row["value"] > row["england"]) == (row["polarity"] == "LowIsGood")
            if worse_side != (x < 0.5):
                found.append(f"{chart.title}: {row['indicator']} ({row['value']} against England "
                             f"{row['england']}, {row['polarity']}) drawn on the wrong side")
    return found


def texts_outside(chart, slack: float = 1.0) -> list[str]:
    """Every text a chart draws that reaches beyond its figure (empty when all fit).

    Measured on an Agg canvas at the figure's own size: titles, axis and tick labels
    (only the ticks inside the axes' view, the ones drawn), legends, notes and the
    source line.
    """
    from matplotlib import text as mtext
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = chart.figure
    canvas = fig.canvas if hasattr(fig.canvas, "get_renderer") else FigureCanvasAgg(fig)
    canvas.draw()  # axis labels are placed beside their tick labels when drawn
    renderer = canvas.get_renderer()
    hidden: set[int] = set()
    for ax in fig.axes:
        for axis, (lo, hi) in ((ax.xaxis, sorted(ax.get_xlim())), (ax.yaxis, sorted(ax.get_ylim()))):
            if not ax.axison:  # a map's axes are switched off: their labels are never drawn
                hidden.add(id(axis.label))
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not ax.axison or not lo - 1e-9 <= tick.get_loc() <= hi + 1e-9:
                    hidden.update({id(tick.label1), id(tick.label2)})
    width, height = fig.bbox.width, fig.bbox.height
    found = []
    for text in fig.findobj(mtext.Text):
        if id(text) in hidden or not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        if box.x0 < -slack or box.y0 < -slack or box.x1 > width + slack or box.y1 > height + slack:
            found.append(f"{chart.title}: '{text.get_text()[:40]}' at x {box.x0:.0f} to {box.x1:.0f}, "
                         f"y {box.y0:.0f} to {box.y1:.0f} in a {width:.0f} x {height:.0f} figure")
    return found


# -- charts that read: years as years, every value drawn, titles that count what is drawn ----------

_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?e[+\-−]?\d")
_COUNT_WORDS = {"Ten": 10, "Nine": 9, "Eight": 8, "Seven": 7, "Six": 6, "Five": 5, "Four": 4, "Three": 3, "Two": 2}


def chart_problems(chart) -> list[str]:
    """What a chart draws that a reader cannot read or that its title miscounts (empty when none).

    - no axis shows an offset or scientific notation ("+2.02e3"): years read as years;
    - every value of a line is drawn: a value with no drawn neighbour (the latest year after
      a withheld one) has a marker at its place;
    - a ranked chart titled "Ten …" draws ten bars, "The 4 …" four.
    """
    import numpy as np

    fig = chart.figure
    fig.canvas.draw()
    found = []
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison:
            continue
        for axis in (ax.xaxis, ax.yaxis):
            offset = axis.get_offset_text().get_text()
            if offset.strip():
                found.append(f"{chart.title}: axis offset {offset!r}")
            for label in axis.get_ticklabels():
                if _SCIENTIFIC.search(label.get_text()):
                    found.append(f"{chart.title}: tick label {label.get_text()!r}")
        markers = [(float(x), float(y)) for line in ax.get_lines() if line.get_marker() not in (None, "None", "", " ")
                   for x, y in zip(np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float),
                                   strict=True) if np.isfinite(y)]
        for line in ax.get_lines():
            if line.get_marker() not in (None, "None", "", " "):
                continue
            try:
                xs = np.asarray(line.get_xdata(), dtype=float)
            except (TypeError, ValueError):
                xs = np.asarray([_as_number(x) for x in line.get_xdata()], dtype=float)
            ys = np.asarray(line.get_ydata(), dtype=float)
            for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
                before = i > 0 and np.isfinite(ys[i - 1])
                after = i + 1 < len(ys) and np.isfinite(ys[i + 1])
                if np.isfinite(y) and not before and not after and not any(
                        math.isclose(x, mx) and math.isclose(y, my) for mx, my in markers):
                    found.append(f"{chart.title}: the value {y:g} of '{line.get_label()}' is not drawn")
    first = chart.title.split()[0] if chart.title else ""
    if chart.alt_text.startswith("Bar chart:") and (first in _COUNT_WORDS or re.match(r"The \d+ ", chart.title)):
        said = _COUNT_WORDS.get(first) or int(chart.title.split()[1])
        drawn = len(fig.axes[0].patches)
        if said != drawn:
            found.append(f"{chart.title}: the title counts {said}, the chart draws {drawn}")
    return found


def _as_number(value) -> float:
    import matplotlib.dates as mdates

    try:
        return float(mdates.date2num(value))
    except (TypeError, ValueError):
        return float("nan")

"""Charts with one accessible palette; each returns its figure, alt text and data.

Colours come from the GOV.UK palette and every series also differs in line
style or marker, so no chart relies on colour alone. Figures built from the
demo data carry the words "Synthetic demonstration data" in the image itself.
"""

from __future__ import annotations

import re
import textwrap
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers; notebooks show the PNG we embed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import artist as _artist  # noqa: E402
from matplotlib import axis as _axis  # noqa: E402
from matplotlib import text as _text  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.layout_engine import TightLayoutEngine  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter  # noqa: E402

from cdp_analysis.vocabulary import SYNTHETIC_NOTICE  # noqa: E402

__all__ = [
    "Chart",
    "AREA_STYLES",
    "trend_lines",
    "monthly_bars",
    "rate_bars", "short_label",
    "seasonality_heatmap",
    "ranked_bars",
    "small_multiples",
    "spc_chart",
    "funnel_plot",
    "spine_chart",
    "stacked_shares",
    "neighbour_bars",
    "trajectory_chart",
    "apply_style",
    "natural_order",
    "KNOWN_ORDERS",
    "finish_figure",
    "alt_number",
    "texts_laid_out_once",
    "replaced",
]

#: Area line styles: the focus area, then comparators in order.
AREA_STYLES = [
    {"color": "#1d70b8", "linestyle": "-", "linewidth": 2.6, "marker": None},
    {"color": "#d53880", "linestyle": "--", "linewidth": 1.8, "marker": None},
    {"color": "#0b0c0c", "linestyle": ":", "linewidth": 1.8, "marker": None},
    {"color": "#f47738", "linestyle": "-.", "linewidth": 1.6, "marker": None},
]
_GREY = "#505a5f"



def apply_style() -> None:
    """Set the package's matplotlib style (seaborn's whitegrid theme, 100 dpi, bold titles).

    Applied on import; a warm kernel calls it again after ``rc_file_defaults()`` so
    every run starts from the same settings as a fresh kernel. Titles sit at the top
    of their axes (``axes.titley``): every chart keeps its x ticks at the bottom, which
    is where matplotlib's automatic title placement puts them too, without measuring
    every axis twice a draw to find out.
    """
    sns.set_theme(style="whitegrid", context="notebook", font_scale=1.0)
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "axes.titleweight": "bold",
                         "axes.titley": 1.0})


apply_style()


#: Categories whose order is their meaning, not their spelling (the first that holds every value is used).
KNOWN_ORDERS: tuple[tuple[str, ...], ...] = (
    ("total", "all substances", "opiate", "non-opiate only", "alcohol only", "non-opiate and alcohol"),
    ("White", "Mixed", "Asian", "Black", "Other"),
    ("women", "men"),
)
_NUMBER_IN = re.compile(r"\d+(?:\.\d+)?")
_BEFORE = re.compile(r"^(?:under|less than|below|fewer than|up to)\b", re.IGNORECASE)
_AFTER = re.compile(r"(?:^(?:over|more than|above)\b|\band over\b|\+)", re.IGNORECASE)


def natural_order(values: Iterable[object]) -> list:
    """The distinct ``values`` in their natural order: the one ordering every chart uses.

    A set of categories a known sequence holds (substance groups, ethnic groups:
    :data:`KNOWN_ORDERS`) takes that sequence's order; categories that each hold a
    number take its order, "under 1 year" before "1 to 2 years" and "over 6 years"
    after "4 to 6 years" (age bands, length in treatment, deprivation quintiles and
    deciles, financial years "2022/23"); numbers and dates sort as numbers and
    dates; anything else keeps the order it first appears in.

    >>> natural_order(["over 6 years", "1 to 2 years", "under 1 year", "4 to 6 years", "2 to 4 years"])
    ['under 1 year', '1 to 2 years', '2 to 4 years', '4 to 6 years', 'over 6 years']
    >>> natural_order(["2023/24", "2019/20", "2021/22"]), natural_order(["opiate", "alcohol only", "total"])
    (['2019/20', '2021/22', '2023/24'], ['total', 'opiate', 'alcohol only'])
    >>> natural_order(["Quintile 5 (least deprived)", "Quintile 1 (most deprived)", "Quintile 3"])
    ['Quintile 1 (most deprived)', 'Quintile 3', 'Quintile 5 (least deprived)']
    """
    seen = list(dict.fromkeys(v for v in values if v is not None and v == v))
    if not seen:
        return []
    if not all(isinstance(v, str) for v in seen):
        try:
            return sorted(seen)
        except TypeError:
            return seen
    for known in KNOWN_ORDERS:
        lower = [k.lower() for k in known]
        if all(str(v).lower() in lower for v in seen):
            return sorted(seen, key=lambda v: lower.index(str(v).lower()))
    texts = [v for v in seen if isinstance(v, str)]  # all of them (checked above)
    keys = {}
    for v in texts:
        found = _NUMBER_IN.search(v)
        if found is None:
            return seen
        shift = -0.5 if _BEFORE.search(v) else 0.5 if _AFTER.search(v) else 0.0
        keys[v] = float(found.group()) + shift
    return sorted(texts, key=lambda v: keys[v])


def _in_natural_order(data: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows grouped by ``column`` in its natural order, each group's rows kept in their order."""
    rank = {v: n for n, v in enumerate(natural_order(data[column]))}
    return data.assign(_rank=data[column].map(rank)).sort_values("_rank", kind="stable").drop(columns="_rank")


def _is_year(values: pd.Series) -> bool:
    """Numbers that are all whole years (1900 to 2100)."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    return (not numbers.empty and pd.api.types.is_numeric_dtype(values)
            and bool(((numbers % 1 == 0) & (numbers >= 1900) & (numbers <= 2100)).all()))


def _year_label(year: float, financial: bool) -> str:
    return f"{int(year)}/{(int(year) + 1) % 100:02d}" if financial else f"{int(year)}"


def _x_positions(ax, values: pd.Series, *, financial: bool = False, most: int = 6) -> pd.Series:
    """Where each x value is drawn, and the axis's ticks set to read as years or as categories.

    Years are drawn as years ("2024", or "2024/25" for financial years given by their
    first year), never with matplotlib's offset ("+2.02e3"); a single year sits in the
    middle of its axis. Text categories (financial years "2022/23") are placed in
    their natural order (:func:`natural_order`), whichever line holds them first. At
    most ``most`` ticks are labelled (the latest always), so labels never overprint.
    Dates are left to matplotlib.
    """
    if _is_year(values):
        years = sorted(pd.to_numeric(values, errors="coerce").dropna().unique())
        ticks = _thin(years, most)
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _year_label(v, financial)))
        ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        return values
    if values.dtype == object or isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(values):
        order = natural_order(values)
        where = {v: n for n, v in enumerate(order)}
        ticks = _thin(list(range(len(order))), most)
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: str(order[int(round(v))])
                                                   if 0 <= round(v) < len(order) else ""))
        ax.set_xlim(-0.5, len(order) - 0.5)
        return values.map(where)
    return values


def _thin(ticks: list, most: int) -> list:
    """At most ``most`` of ``ticks``, evenly spaced, the last always kept."""
    if len(ticks) <= most:
        return list(ticks)
    step = int(np.ceil((len(ticks) - 1) / (most - 1)))
    return sorted({*ticks[::-1][::step], ticks[-1]})


def _line(ax, x: pd.Series, y: pd.Series, **style: object) -> None:
    """A line through ``y``, with a marker on every value without a drawn neighbour.

    A value between two missing ones (the latest year after a withheld year, or a
    single year) has no line to sit on: it gets a marker, so every value is drawn.
    """
    ax.plot(x, y, **style)
    values = pd.Series(np.asarray(y, dtype=float))
    held = values.notna()
    alone = held & ~held.shift(1, fill_value=False) & ~held.shift(-1, fill_value=False)
    if alone.any():
        colour = style.get("color")
        ax.plot(np.asarray(x)[alone.to_numpy()], values[alone].to_numpy(), linestyle="none", marker="o",
                markersize=6, color=colour, markeredgecolor=colour)


@dataclass
class Chart:
    """A figure with what a reader needs besides the picture."""

    figure: Figure
    title: str
    alt_text: str
    data: pd.DataFrame
    source: str
    synthetic: bool = False

    def close(self) -> None:
        """Free the figure's memory."""
        plt.close(self.figure)


def _wrap_texts(fig: Figure) -> None:
    """Wrap titles, axis labels, long category labels and the source line to the room they have.

    A label longer than its room would run off the image (the layout cannot shrink
    the axes enough to make room for it); wrapped, every text stays inside the
    figure. Room is estimated in pixels: long category labels are wrapped first,
    the axes start after them, and a left-aligned title has the rest of the width
    (about 11.6 pixels a character for titles, 8.5 for axis labels at 100 dpi).
    """
    width = fig.get_figwidth() * fig.dpi
    suptitle: _text.Text | None = fig._suptitle  # type: ignore[attr-defined]  # the Text itself: matplotlib's stubs omit it
    if suptitle is not None and suptitle.get_text():
        suptitle.set_text(_fill(suptitle.get_text(), int(width / 12)))
    for ax in fig.axes:
        share = ax.get_position().width
        ticks = [t.get_text() for t in ax.get_yticklabels()]
        if any(len(t) > 34 for t in ticks):
            ticks = [_fill(t, 30) for t in ticks]
            ax.set_yticks(ax.get_yticks(), ticks)
        longest = max((len(line) for t in ticks for line in t.split("\n")), default=0)
        room = width * share if share < 0.7 else width - longest * 6.5 - 90
        # the Text artists (set_title would reset their font): matplotlib's stubs omit the side ones
        for title in (ax.title, ax._left_title, ax._right_title):  # type: ignore[attr-defined]
            if title.get_text():
                title.set_text(_fill(title.get_text(), max(20, int(room / 11.6))))
        if ax.xaxis.label.get_text():
            ax.xaxis.label.set_text(_fill(ax.xaxis.label.get_text(), max(20, int(room / 8.5))))
        if ax.yaxis.label.get_text():
            tall = fig.get_figheight() * fig.dpi * ax.get_position().height
            ax.yaxis.label.set_text(_fill(ax.yaxis.label.get_text(), max(16, int(tall / 8.5))))


def _fill(text: str, width: int) -> str:
    """Each line of ``text`` wrapped at ``width`` characters (existing line breaks kept)."""
    return "\n".join(textwrap.fill(line, width, break_long_words=False) if len(line) > width else line
                     for line in str(text).split("\n"))


def finish_figure(fig: Figure, source: str, synthetic: bool) -> None:
    """Wrap the figure's texts and write its source line (with the synthetic-data notice) at the foot."""
    note = f"Source: {source}"
    if synthetic:
        note = f"{SYNTHETIC_NOTICE}. {note}"
    _wrap_texts(fig)
    fig.text(0.01, 0.005, _fill(note, int(fig.get_figwidth() * 14)), fontsize=8, color=_GREY, ha="left",
             va="bottom")
    _pin_empty_axis_labels(fig)
    with _measured_once(fig):
        TightLayoutEngine(rect=(0, 0.04, 1, 1)).execute(fig)


def _pin_empty_axis_labels(fig: Figure) -> None:
    """Give every axis label without words a fixed place.

    matplotlib places an axis label beside its tick labels, measuring them (again)
    every time the figure is measured or drawn; a label with no text draws nothing
    and takes no room wherever it is, so it need not be placed.
    """
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not axis.label.get_text():
                axis.set_label_coords(*axis.label.get_position())


@contextmanager
def _measured_once(fig: Figure) -> Iterator[None]:
    """Let a tight layout measure each artist once.

    ``tight_layout(rect=...)`` fits the figure in two passes that measure the same,
    unchanged artists (every tick label's text extent) twice; the second pass gets the
    first pass's boxes, so the layout, and the image, are the same at half the cost.
    Within one pass, an axis's ticks (located, formatted, positioned: asked for again
    by each spine and by every sibling axis) are worked out once, and so is every
    text's layout (:func:`texts_laid_out_once`): nothing moves while the layout measures.
    """
    boxes: dict[tuple[object, ...], object] = {}
    ticks: dict[int, object] = {}

    def once(obj: object, *args: object, **kwargs: object) -> object:
        key = (id(obj), *map(id, args), *sorted(kwargs.items()))
        if key not in boxes:
            boxes[key] = measure(obj, *args, **kwargs)
        return boxes[key]

    def ticks_once(axis: _axis.Axis) -> object:
        if id(axis) not in ticks:
            ticks[id(axis)] = update_ticks(axis)
        return ticks[id(axis)]

    # measure and update_ticks: matplotlib's own functions, which once and ticks_once call
    with replaced(_artist, "_get_tightbbox_for_layout_only", once) as measure, \
            replaced(_axis.Axis, "_update_ticks", ticks_once) as update_ticks, texts_laid_out_once(fig):
        yield


@contextmanager
def replaced(owner: object, name: str, replacement: object) -> Iterator[Callable[..., Any]]:
    """``owner.<name>`` is ``replacement`` within the block; yields what it was.

    For matplotlib's private functions and methods (not in its type stubs, so reached by
    name) and an instance's own copy of a method. After the block ``owner`` is as it was:
    its attribute put back, or, when it had none of its own (an instance using its
    class's method), the copy deleted.
    """
    original = getattr(owner, name)
    had_own = name in vars(owner)
    own = vars(owner).get(name)
    setattr(owner, name, replacement)
    try:
        yield original
    finally:
        if had_own:
            setattr(owner, name, own)
        else:
            delattr(owner, name)


#: Each live figure's text layouts, kept from its layout to its draw.
_LAYOUTS: weakref.WeakKeyDictionary[Figure, dict[tuple[object, ...], object]] = weakref.WeakKeyDictionary()


@contextmanager
def texts_laid_out_once(fig: Figure) -> Iterator[None]:
    """Lay out each text of ``fig`` once, from its layout to its draw.

    matplotlib lays a text out (lines, extents, alignment offsets) every time it is
    asked for its extent: a tick label is laid out for the axis's box, again for its
    label's position beside its siblings, and again to draw it. The layout does not
    depend on where the text is, only on what :func:`_layout_key` lists, so the same
    key gets the same layout (the same numbers as laying it out again). The layouts
    live as long as the figure.
    """
    layouts = _LAYOUTS.setdefault(fig, {})

    def once(text: _text.Text, renderer: object) -> object:
        if text.get_wrap():  # wrapped lines depend on the text's position
            return lay_out(text, renderer)
        key = _layout_key(text, renderer)
        if key not in layouts:
            layouts[key] = lay_out(text, renderer)
        return layouts[key]

    with replaced(_text.Text, "_get_layout", once) as lay_out:  # lay_out: matplotlib's, which once calls
        yield


def _layout_key(text: _text.Text, renderer: object) -> tuple[object, ...]:
    """Everything ``Text._get_layout`` reads: the string, font, angle, alignment, spacing, dpi."""
    font = text.get_fontproperties()
    figure = text.get_figure(root=True)
    return (
        id(renderer), text.get_text(), tuple(font.get_family()), font.get_style(),
        font.get_variant(), font.get_weight(), font.get_stretch(), font.get_size_in_points(), font.get_file(),
        font.get_math_fontfamily(), text.get_rotation(), text.get_rotation_mode(), text.get_horizontalalignment(),
        text.get_verticalalignment(),
        text._get_multialignment(),  # type: ignore[attr-defined]  # no public getter; matplotlib's stubs omit it
        text.get_linespacing(), text.get_usetex(), text.get_parse_math(), figure.dpi if figure else None,
    )


def trend_lines(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    series: str,
    order: Sequence[str],
    title: str,
    ylabel: str,
    source: str,
    synthetic: bool = False,
    lower: str | None = None,
    upper: str | None = None,
    financial_years: bool = False,
) -> Chart:
    """One line per area (the focus area first), with an optional CI band.

    Years read as years (``financial_years``: "2024/25" for a year given by its first
    year); every value is drawn, a value between missing ones as a marker.
    """
    fig, ax = plt.subplots(figsize=(8, 4))
    where = _x_positions(ax, data[x], financial=financial_years)
    for i, name in enumerate(order):
        part = data[data[series] == name].assign(_x=where).sort_values("_x")
        style = AREA_STYLES[i % len(AREA_STYLES)]
        _line(ax, part["_x"], part[y], label=name, **style)
        if lower and upper and i == 0:
            ax.fill_between(part["_x"], part[lower], part[upper], color=style["color"], alpha=0.15,
                            label=f"{name}: 95% confidence interval")
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel)
    ax.set_xlabel("")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=9)
    finish_figure(fig, source, synthetic)
    alt = _trend_alt(data, x, y, series, order, title, ylabel, financial_years)
    return Chart(fig, title, alt, data, source, synthetic)


def _trend_alt(data, x, y, series, order, title, ylabel, financial: bool = False) -> str:
    parts = [f"Line chart: {title}."]
    rank = {v: n for n, v in enumerate(natural_order(data[x]))}
    def said(v: float | str) -> str:
        return _year_label(float(v), financial) if _is_year(data[x]) else _label(v)
    for name in order:
        part = data[data[series] == name].dropna(subset=[y])
        part = part.assign(_rank=part[x].map(rank)).sort_values("_rank")
        if part.empty:
            continue
        first, last = part.iloc[0], part.iloc[-1]
        parts.append(
            f"{name}: {alt_number(first[y])} at {said(first[x])}, {alt_number(last[y])} at {said(last[x])}"
            f" (lowest {alt_number(part[y].min())}, highest {alt_number(part[y].max())})."
        )
    parts.append(f"Values are {ylabel.lower()}.")
    return " ".join(parts)


def monthly_bars(
    data: pd.DataFrame, *, x: str, y: str, smooth: str, title: str, ylabel: str,
    source: str, synthetic: bool = False,
) -> Chart:
    """Monthly counts as bars with a twelve-month average line; missing months left blank."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.bar(data[x], data[y].fillna(0), width=25, color="#8eb8dc", label="Monthly count")
    smoothed = data[smooth].dropna()
    if not smoothed.empty:
        ax.plot(data[x], data[smooth], color="#003078", linewidth=2.4, label="Twelve-month average")
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=9)
    finish_figure(fig, source, synthetic)
    held = data.dropna(subset=[y])
    peak = held.loc[held[y].idxmax()]
    alt = (
        f"Bar chart: {title}. Monthly counts from {_label(data[x].min())} to {_label(data[x].max())}, "
        f"between {int(held[y].min())} and {int(held[y].max())} a month; the highest month was "
        f"{_label(peak[x])} with {int(peak[y])}."
    )
    gaps = len(data) - len(held)
    if gaps:
        alt += f" {gaps} months are missing from the data and shown blank."
    if not smoothed.empty:
        alt += f" The twelve-month average moved from {alt_number(smoothed.iloc[0])} to {alt_number(smoothed.iloc[-1])} a month."
    return Chart(fig, title, alt, data, source, synthetic)


def rate_bars(
    data: pd.DataFrame, *, label: str, value: str, lower: str, upper: str, colour: str,
    title: str, xlabel: str, source: str, synthetic: bool = False, highlight: str | None = None,
    note: str | None = None, focus: str | None = None, group: str | None = None,
    short: Mapping[str, str] | None = None, points: Mapping[str, Sequence[float]] | None = None,
    points_label: str = "",
) -> Chart:
    """Horizontal bars with 95% CI whiskers, coloured by the benchmark comparison.

    With ``group`` (a category column), the bars come category by category in the
    categories' natural order (:func:`natural_order`: "under 1 year" first), the area
    beside its comparators within each.

    The words beside each bar's name come from the ``note`` column; by default they
    are the ``colour`` column's label read as the sentence reads it: the ``colour``
    column holds the focus area's comparison with the row (``focus_compared``), so
    England's bar says "Barnet significantly lower" (:func:`comparison_words`),
    never "England (Lower)". The bar's colour is that same label's colour.

    ``short`` maps words of a bar's name to shorter ones for the axis only ("the average of its
    statistical neighbours" to "Neighbour average", :func:`short_label`): the alt text, the chart's
    data and the tables keep the full words.

    ``points`` maps a bar's name (``data[label]``) to values drawn as faint points on its bar (the
    neighbours' own values on the neighbour average's bar), keyed in the legend as ``points_label``
    and read out in the alt text after the bar's value.
    """
    if group:
        data = _in_natural_order(data, group)
    data = data.reset_index(drop=True)
    words = data[note] if note else data[colour].map(lambda c: comparison_words(c, focus or highlight))
    shown = [f"{short_label(n, short)}  ({c})" if isinstance(c, str) and c else short_label(n, short)
             for n, c in zip(data[label], words, strict=True)]
    # room for the title, axis label and source line however few the bars (one bar left 1.85 in: too short),
    # and for each bar's label as wrapped (30 characters a line): a bar a line taller per extra line
    lines = max((len(textwrap.wrap(t, 30)) if len(t) > 34 else 1 for t in shown), default=1)
    fig, ax = plt.subplots(figsize=(8, max(2.6, (0.45 + 0.09 * (lines - 1)) * len(data) + 1.4)))
    y = np.arange(len(data))[::-1]
    colours = data[colour].map(_benchmark_colour).fillna("#b1b4b6")
    edges = ["#0b0c0c" if name == highlight else "none" for name in data[label]]
    ax.barh(y, data[value], color=colours, edgecolor=edges, linewidth=1.5)
    err = np.vstack([data[value] - data[lower], data[upper] - data[value]])
    ax.errorbar(data[value], y, xerr=err, fmt="none", ecolor="#0b0c0c", capsize=3, linewidth=1)
    dotted = {str(k): [float(v) for v in vals] for k, vals in (points or {}).items() if len(vals)}
    keyed = False
    for row, name in zip(y, data[label], strict=True):
        if str(name) in dotted:
            ax.scatter(dotted[str(name)], [row] * len(dotted[str(name)]), s=26, color="#0b0c0c", alpha=0.4,
                       edgecolors="white", linewidths=0.6, zorder=3, label=None if keyed else points_label or None)
            keyed = True
    if keyed and points_label:
        ax.legend(frameon=False, fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2)
    ax.set_yticks(y, shown)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    finish_figure(fig, source, synthetic)
    items = "; ".join(
        f"{r[label]} {alt_number(r[value])}"
        # a benchmark value (the neighbour average) has no interval: none is read out
        + (f" (95% CI {alt_number(r[lower])} to {alt_number(r[upper])})" if r[lower] == r[lower] else "")
        + (f", {w}" if isinstance(w, str) and w else "")
        + _points_words(dotted.get(str(r[label]), []), points_label)
        for (_, r), w in zip(data.iterrows(), words, strict=True)
    )
    alt = f"Bar chart with confidence intervals: {title}. {items}."
    return Chart(fig, title, alt, data, source, synthetic)


def _points_words(values: Sequence[float], label: str) -> str:
    """The alt text of a bar's faint points, lowest first.

    >>> _points_words([26.0, 15.7, 20.7], "Each neighbour's value")
    " (faint points, each neighbour's value: 15.7, 20.7, 26.0)"
    """
    if not len(values):
        return ""
    what = label[:1].lower() + label[1:] if label else "values"
    return f" (faint points, {what}: {', '.join(alt_number(v) for v in sorted(values))})"


def short_label(name: object, short: Mapping[str, str] | None) -> str:
    """A bar's name on the axis: each of ``short``'s phrases replaced by its shorter words.

    >>> short_label("opiate: the average of its statistical neighbours",
    ...             {"the average of its statistical neighbours": "Neighbour average"})
    'opiate: Neighbour average'
    >>> short_label("Barnet", None)
    'Barnet'
    """
    text = str(name)
    for long, brief in (short or {}).items():
        text = text.replace(long, brief)
    return text


#: The words of a focus area's comparison with a row, as a sentence says them.
_COMPARISON_WORDS = {"Higher": "significantly higher", "Lower": "significantly lower", "Similar": "similar",
                     "Better": "significantly better", "Worse": "significantly worse"}


def comparison_words(label: object, focus: str | None = None) -> str:
    """Bar words for a ``focus_compared`` label: the focus area's side, as the sentence says it.

    >>> comparison_words("Lower", "Barnet"), comparison_words("Higher"), comparison_words("Focus area", "Barnet")
    ('Barnet significantly lower', 'focus area significantly higher', '')
    """
    if not isinstance(label, str):
        return ""
    if label == "Focus area":  # the area itself: its name is the bar's label already
        return ""
    if label in _COMPARISON_WORDS:
        return f"{focus or 'focus area'} {_COMPARISON_WORDS[label]}"
    return label.lower() if label == "Not compared" else label


def _benchmark_colour(label: object) -> str | None:
    from cdp_analysis.stats import BENCHMARK_COLOURS

    if not isinstance(label, str):
        return None
    if label == "Focus area":
        return "#505a5f"
    colour = BENCHMARK_COLOURS[0.95].get(label)
    if not colour or colour == "transparent":
        return "#b1b4b6"
    return colour


def seasonality_heatmap(table: pd.DataFrame, *, title: str, source: str, synthetic: bool = False) -> Chart:
    """Month × year heatmap of counts (the seasonal index row is left out)."""
    grid = table.drop(index="seasonal index", errors="ignore")
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(grid) + 1.6))
    sns.heatmap(grid, annot=True, fmt=".0f", cmap="Blues", cbar_kws={"label": "Crimes"}, ax=ax,
                linewidths=0.5, linecolor="white")
    ax.set_title(title, loc="left")
    ax.set_ylabel("")
    finish_figure(fig, source, synthetic)
    index = table.loc["seasonal index"] if "seasonal index" in table.index else None
    alt = f"Heatmap: {title}, counts for each month (columns) of each year (rows)."
    if index is not None and index.notna().any():
        alt += (f" On average the busiest month is {index.idxmax()} ({index.max():.2f} times an average"
                f" month) and the quietest {index.idxmin()} ({index.min():.2f}).")
    return Chart(fig, title, alt, table.reset_index(names="year"), source, synthetic)


def ranked_bars(
    data: pd.DataFrame, *, label: str, value: str, title: str, xlabel: str, source: str,
    synthetic: bool = False, reference: float | None = None, reference_label: str = "",
) -> Chart:
    """Top-n horizontal bars, largest at the top, with an optional reference line."""
    data = data.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(data) + 1.4))
    y = np.arange(len(data))[::-1]
    ax.barh(y, data[value], color="#1d70b8")
    ax.set_yticks(y, data[label])
    if reference is not None:
        ax.axvline(reference, color="#d4351c", linestyle="--", linewidth=1.5, label=reference_label)
        ax.legend(frameon=False, fontsize=9, loc="lower right")
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    finish_figure(fig, source, synthetic)
    items = "; ".join(f"{r[label]} {alt_number(r[value])}" for _, r in data.iterrows())
    alt = f"Bar chart: {title}. {items}."
    if reference is not None:
        alt += f" Reference line: {reference_label} {alt_number(reference)}."
    return Chart(fig, title, alt, data, source, synthetic)


def small_multiples(
    data: pd.DataFrame, *, facet: str, x: str, y: str, series: str, order: Sequence[str],
    title: str, ylabel: str, source: str, synthetic: bool = False,
) -> Chart:
    """One small line chart per facet (e.g. crime type), areas as lines.

    Years read as years and text periods in their natural order (:func:`_x_positions`);
    every value is drawn, a value between missing ones as a marker.
    """
    data = data.reset_index(drop=True)
    facets = list(dict.fromkeys(data[facet]))
    cols = 2
    rows = int(np.ceil(len(facets) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(8, 2.8 * rows + 0.8), sharex=True, squeeze=False)
    for ax, name in zip(axes.flat, facets, strict=False):
        part = data[data[facet] == name]
        where = _x_positions(ax, data[x], most=4)  # the same axis on every panel (they share it)
        part = part.assign(_x=where[part.index])
        for i, area in enumerate(order):
            line = part[part[series] == area].sort_values("_x")
            # an area with no value on a panel says so in the legend, rather than a key to no line
            label = area if line[y].notna().any() else f"{area} (no published values)"
            _line(ax, line["_x"], line[y], label=label, **AREA_STYLES[i % len(AREA_STYLES)])
        ax.set_title(textwrap.fill(str(name), 42), fontsize=9.5, loc="left")
        ax.set_ylim(bottom=0)
    for ax in list(axes.flat)[len(facets):]:
        ax.set_visible(False)
    axes.flat[0].legend(frameon=False, fontsize=8)
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    fig.supylabel(ylabel, fontsize=10)
    finish_figure(fig, source, synthetic)
    rank = {v: n for n, v in enumerate(natural_order(data[x]))}
    held = data.dropna(subset=[y]).assign(_rank=lambda d: d[x].map(rank)).sort_values("_rank")
    latest = held.groupby([facet, series], sort=False).tail(1)
    items = "; ".join(
        f"{r[facet]}, {r[series]}: {alt_number(r[y])} ({_label(r[x])})" for _, r in latest.iterrows()
    )
    alt = f"Small line charts: {title}, one per {facet.replace('_', ' ')}. Latest values: {items}."
    return Chart(fig, title, alt, data, source, synthetic)


#: Fill colours and hatches of the parts of a stacked bar, in order (hatches: never colour alone).
_PART_STYLES = [("#1d70b8", ""), ("#28a197", ".."), ("#b1b4b6", "//"), ("#f47738", "xx"), ("#505a5f", "\\\\"),
                ("#d4351c", "--")]


def stacked_shares(
    data: pd.DataFrame, *, period: str, part: str, value: str, order: Sequence[str], title: str, ylabel: str,
    source: str, synthetic: bool = False, faded: str | None = None, faded_label: str = "", tick: str | None = None,
) -> Chart:
    """One bar per period, its parts stacked (shares adding to 100), periods in the order of ``data``.

    A period with no rows (a gap in the data) is an empty place on the axis. Rows whose
    ``faded`` column is True (e.g. quarters whose outcomes have not settled) are drawn
    pale with ``faded_label`` under the axis. A hidden share (NaN) leaves its part out of
    the bar, so the bar falls short of 100. ``tick`` names a column of short axis labels
    (the period's name by default).
    """
    periods = list(dict.fromkeys(data[period]))
    fig, ax = plt.subplots(figsize=(8, 4.4))
    x = np.arange(len(periods))
    bottom = np.zeros(len(periods))
    pale = (data.drop_duplicates(period).set_index(period)[faded].reindex(periods).eq(True).to_numpy(dtype=bool)
            if faded else np.zeros(len(periods), dtype=bool))
    for i, name in enumerate(order):
        rows = data[data[part] == name].set_index(period)[value].reindex(periods)
        heights = rows.fillna(0).to_numpy(dtype=float)
        colour, hatch = _PART_STYLES[i % len(_PART_STYLES)]
        bars = ax.bar(x, heights, bottom=bottom, color=colour, hatch=hatch, edgecolor="white", linewidth=0.6,
                      label=name)
        for bar, is_pale in zip(bars, pale, strict=True):
            if is_pale:
                bar.set_alpha(0.45)
        bottom += heights
    ticks = (data.drop_duplicates(period).set_index(period)[tick].reindex(periods).fillna("").astype(str).tolist()
             if tick else [textwrap.fill(str(p), 10) for p in periods])
    labels = ticks
    step = max(1, int(np.ceil(len(periods) / 12)))
    ax.set_xticks(x[::step], labels[::step], fontsize=7)
    ax.set_ylim(0, 100)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    handles, names = ax.get_legend_handles_labels()  # top of the stack first, as the bars read
    ax.legend(handles[::-1], names[::-1], frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if pale.any() and faded_label:
        ax.text(0.99, -0.22, f"Pale bars: {faded_label}", transform=ax.transAxes, ha="right", fontsize=8,
                color=_GREY)
    finish_figure(fig, source, synthetic)
    held = [p for p in periods if data.loc[data[period] == p, value].notna().any()]
    parts = []
    for name in order:
        rows = data[(data[part] == name) & data[value].notna()]
        if rows.empty:
            continue
        first, last = rows.iloc[0], rows.iloc[-1]
        parts.append(f"{name}: {alt_number(first[value])} in {first[period]}, {alt_number(last[value])} in {last[period]} "
                     f"(lowest {alt_number(rows[value].min())}, highest {alt_number(rows[value].max())})")
    alt = (f"Stacked bar chart: {title}. One bar for each of {len(held)} periods from {held[0]} to {held[-1]}; "
           + "; ".join(parts) + f". Values are {ylabel.lower()}.") if held else f"Stacked bar chart: {title}. No data."
    empty = [p for p in periods if p not in held]
    if empty:
        alt += f" No data for: {', '.join(map(str, empty))}."
    faded_names = [p for p, f in zip(periods, pale, strict=True) if f]
    if faded_names and faded_label:
        alt += f" Drawn pale ({faded_label}): {', '.join(map(str, faded_names))}."
    return Chart(fig, title, alt, data, source, synthetic)


def alt_number(value: float) -> str:
    """A number as alt text says it: one decimal below 1,000, whole above, "not available" when missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "not available"
    return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"


def _label(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return f"{value:%b %Y}"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def spc_chart(
    data: pd.DataFrame, *, x: str, title: str, ylabel: str, source: str, synthetic: bool = False,
    series_label: str = "Monthly count", per: str = "a month", points: str = "months",
) -> Chart:
    """NHS "Making Data Count" XmR chart: values, mean, process limits, special causes.

    ``data`` is :func:`cdp_analysis.stats.spc` output with the time column ``x``.
    Special-cause points are drawn larger with a distinct marker (not colour alone).
    """
    fig, ax = plt.subplots(figsize=(8, 3.8))
    ax.plot(data[x], data["y"], color="#505a5f", linewidth=1.2, marker="o", markersize=3, label=series_label)
    ax.plot(data[x], data["mean"], color="#0b0c0c", linewidth=1.4, label="Mean")
    ax.plot(data[x], data["upl"], color="#0b0c0c", linestyle="--", linewidth=1, label="Process limits")
    ax.plot(data[x], data["lpl"], color="#0b0c0c", linestyle="--", linewidth=1)
    high = data[data["point_type"].astype(str).str.endswith("high")]
    low = data[data["point_type"].astype(str).str.endswith("low")]
    ax.scatter(high[x], high["y"], s=45, marker="^", color="#f47738", zorder=3, label="Special cause: high")
    ax.scatter(low[x], low["y"], s=45, marker="v", color="#1d70b8", zorder=3, label="Special cause: low")
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8, ncol=3, loc="upper left")
    finish_figure(fig, source, synthetic)
    alt = (
        f"Statistical process control chart: {title}. Mean {alt_number(data['mean'].iloc[-1])} {per}, "
        f"process limits {alt_number(data['lpl'].iloc[-1])} to {alt_number(data['upl'].iloc[-1])}. "
        f"{len(high)} {points} show special-cause variation on the high side and {len(low)} on the low side."
    )
    if not high.empty:
        alt += " High: " + ", ".join(_label(v) for v in high[x]) + "."
    if not low.empty:
        alt += " Low: " + ", ".join(_label(v) for v in low[x]) + "."
    return Chart(fig, title, alt, data, source, synthetic)


def funnel_plot(
    points: pd.DataFrame, limits: pd.DataFrame, *, x: str, y: str, label: str, title: str, xlabel: str,
    ylabel: str, source: str, synthetic: bool = False, highlight: str | None = None,
) -> Chart:
    """Areas' percentages against their denominators, with 95% and 99.8% funnel limits.

    ``limits`` is :func:`cdp_analysis.stats.funnel_limits`' table for proportions
    (``Population``, ``lower_2s_limit`` … ``upper_3s_limit``, ``baseline``). Points
    with a missing value (suppressed) are left off. The data behind the chart is
    ``points`` (one row per area).
    """
    fig, ax = plt.subplots(figsize=(8, 4.6))
    pop = limits["Population"]
    ax.axhline(float(limits["baseline"].iloc[0]), color=_GREY, linewidth=1.2, label="Average of all areas")
    for tag, style, name in (("2s", "--", "95% limits"), ("3s", ":", "99.8% limits")):
        ax.plot(pop, limits[f"lower_{tag}_limit"], color="#0b0c0c", linestyle=style, linewidth=1, label=name)
        ax.plot(pop, limits[f"upper_{tag}_limit"], color="#0b0c0c", linestyle=style, linewidth=1)
    shown = points.dropna(subset=[y])
    others = shown[shown[label] != highlight]
    ax.scatter(others[x], others[y], s=22, color="#8eb8dc", edgecolor="#1d70b8", label="Local authorities")
    own = shown[shown[label] == highlight]
    if not own.empty:
        ax.scatter(own[x], own[y], s=90, marker="D", color="#d53880", edgecolor="#0b0c0c", label=highlight, zorder=3)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)  # no negative numbers of people
    ax.legend(frameon=False, fontsize=8)
    finish_figure(fig, source, synthetic)
    low, high = limits["lower_2s_limit"], limits["upper_2s_limit"]
    outside_high = sum(1 for _, r in shown.iterrows() if r[y] > np.interp(r[x], pop, high))
    outside_low = sum(1 for _, r in shown.iterrows() if r[y] < np.interp(r[x], pop, low))
    alt = (f"Funnel plot: {title}. {len(shown)} areas plotted as {ylabel.lower()} against {xlabel.lower()}; "
           f"average {alt_number(float(limits['baseline'].iloc[0]))}. {outside_high} above and {outside_low} below "
           "the 95% limits.")
    if not own.empty:
        r = own.iloc[0]
        alt += f" {highlight}: {alt_number(r[y])} with {alt_number(r[x])} {xlabel.lower()}."
    return Chart(fig, title, alt, points, source, synthetic)


def spine_chart(
    data: pd.DataFrame, *, title: str, source: str, synthetic: bool = False, area: str | None = None,
) -> Chart:
    """Fingertips-style spine chart: the area among all areas of its type, one line per indicator.

    ``data`` is :func:`cdp_analysis.indicators.spine.spine_rows`' frame (``indicator``, ``period``,
    ``unit``, ``polarity``, ``n_areas``, ``min``, ``q1``, ``q3``, ``max``, ``england``,
    ``value``, ``compared``). Each indicator's scale is centred on England's value (the
    vertical line) and stretched so that the area furthest from England reaches the
    edge; a light bar spans the lowest to the highest area, a darker band the 25th to
    75th percentiles, and the marker is the area's value, coloured by its comparison
    with England (the words are printed too, so colour is not the only cue). Where a
    low value is good the scale is reversed, so better is always to the right. Rows
    without an England value are drawn on a scale centred on the median. The frame
    returned as the chart's data is ``data`` itself (the CSV).
    """
    data = data.reset_index(drop=True)
    # a label a row: the indicator and period, then the area's value against England's (the area is in the
    # title); wrapped as finish_figure wraps long tick labels (30 characters a line), each row as tall as its
    # longest label needs at 8 points, so no label runs into the next one's
    labels = [f"{r['indicator']} ({r['period']})\n{alt_number(r['value'])}, England {alt_number(r['england'])}: "
              f"{r['compared']}" for _, r in data.iterrows()]
    lines = max((len(_fill(t, 30).split("\n")) for t in labels), default=1)
    fig, ax = plt.subplots(figsize=(9, max(0.62, 0.16 * lines + 0.1) * len(data) + 1.6))
    y = np.arange(len(data))[::-1]
    for i, r in data.iterrows():
        centre = r["england"] if r["england"] == r["england"] else r["median"]
        span = max(abs(r["max"] - centre), abs(centre - r["min"]), abs(r["value"] - centre)) or 1.0
        sign = -1.0 if r["polarity"] == "LowIsGood" else 1.0

        def pos(v: float, c: float = centre, s: float = span, k: float = sign) -> float:
            return 0.5 + k * (v - c) / s / 2

        low, high = sorted((pos(r["min"]), pos(r["max"])))
        q_low, q_high = sorted((pos(r["q1"]), pos(r["q3"])))
        ax.barh(y[i], high - low, left=low, height=0.5, color="#dee0e2")
        ax.barh(y[i], q_high - q_low, left=q_low, height=0.5, color="#8eb8dc")
        colour = _benchmark_colour(r["compared"]) or "#b1b4b6"
        ax.scatter([pos(r["value"])], [y[i]], s=110, marker="o", color=colour, edgecolor="#0b0c0c", zorder=3)
    ax.axvline(0.5, color="#d4351c", linewidth=2, label="England")
    ax.set_yticks(y, [_fill(t, 30) for t in labels], fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    judged = data["polarity"].isin(("HighIsGood", "LowIsGood"))
    if judged.all():  # a better/worse axis only where every indicator has a better direction
        ends = ["Worse", "Better"]
    elif not judged.any():
        ends = ["Lower", "Higher"]
    else:
        ends = ["Worse (lower where no direction is better)", "Better (higher where no direction is better)"]
    ax.set_xticks([0.0, 0.5, 1.0], [ends[0], "England", ends[1]])
    ax.set_xlabel("Position among areas of the same type\n(each indicator on its own scale)", fontsize=9)
    fig.suptitle(textwrap.fill(title, 70), x=0.01, ha="left", fontweight="bold")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color="#dee0e2", label="Lowest to highest area"),
                       Patch(color="#8eb8dc", label="25th to 75th percentile"),
                       plt.Line2D([], [], color="#d4351c", linewidth=2, label="England")],
              frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3)
    finish_figure(fig, source, synthetic)
    items = "; ".join(
        f"{r['indicator']} ({r['period']}, {r['unit'] or 'value'}): {_label(area or r.get('area', 'area'))} "
        f"{alt_number(r['value'])} ({r['compared']}), England {alt_number(r['england'])}, range across {int(r['n_areas'])} "
        f"areas {alt_number(r['min'])} to {alt_number(r['max'])}"
        for _, r in data.iterrows()
    )
    alt = f"Spine chart: {title}. {items}."
    return Chart(fig, title, alt, data, source, synthetic)


def neighbour_bars(data: pd.DataFrame, *, average: float, average_label: str, title: str, xlabel: str,
                   source: str, synthetic: bool = False) -> Chart:
    """An area among its neighbours: one bar each (``area, role, value``, optional ``lower_ci, upper_ci``),
    in the order given, the focus row (``role == "focus"``) dark and labelled, the neighbour average a
    dashed red line; whiskers where a 95% interval is published."""
    data = data.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, max(2.6, 0.42 * len(data) + 1.6)))
    y = np.arange(len(data))[::-1]
    focus = (data["role"] == "focus").to_numpy()
    ax.barh(y, data["value"], color=np.where(focus, "#003078", "#b1b4b6"), edgecolor="#0b0c0c",
            linewidth=np.where(focus, 1.5, 0.0))
    whiskers = (data["lower_ci"].notna() & data["upper_ci"].notna()).to_numpy() if "lower_ci" in data \
        else np.zeros(len(data), bool)
    if whiskers.any():
        shown = data[whiskers]
        err = np.vstack([shown["value"] - shown["lower_ci"], shown["upper_ci"] - shown["value"]])
        ax.errorbar(shown["value"], y[whiskers], xerr=err, fmt="none", ecolor="#0b0c0c", capsize=3, linewidth=1)
    ax.axvline(average, color="#d4351c", linestyle="--", linewidth=1.6, label="Neighbour average")
    ax.legend(frameon=False, fontsize=9, loc="lower right")
    ax.set_yticks(y, [f"{a}  (this area)" if f else str(a) for a, f in zip(data["area"], focus, strict=True)])
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    finish_figure(fig, source, synthetic)
    items = "; ".join(f"{r['area']} {alt_number(r['value'])}" for _, r in data.iterrows())
    alt = (f"Bar chart: {title}. Highest first: {items}. Neighbour average ({average_label}) {alt_number(average)}, "
           "dashed line.")
    return Chart(fig, title, alt, data, source, synthetic)


def trajectory_chart(data: pd.DataFrame, *, baseline: tuple[pd.Timestamp, float], ambition: tuple[pd.Timestamp, float],
                     title: str, ylabel: str, source: str, synthetic: bool = False) -> Chart:
    """A metric's values over time (``period_end``, ``value``) against the straight line from its baseline to
    its ambition: points and line for the values, a dashed line for the trajectory, a star at the ambition."""
    data = data.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.plot(data["period_end"], data["value"], color="#1d70b8", linewidth=2, marker="o", markersize=4,
            label="Value")
    ax.plot([baseline[0], ambition[0]], [baseline[1], ambition[1]], color="#d4351c", linestyle="--", linewidth=1.6,
            label="Trajectory to the ambition")
    ax.scatter([ambition[0]], [ambition[1]], marker="*", s=140, color="#d4351c", zorder=3, label="Ambition")
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8, ncol=3, loc="best")
    finish_figure(fig, source, synthetic)
    items = "; ".join(f"{_label(p)} {alt_number(v)}" for p, v in zip(data["period"], data["value"], strict=True))
    alt = (f"Line chart: {title}. Values: {items}. Trajectory from {alt_number(baseline[1])} at {baseline[0]:%B %Y} to the "
           f"ambition of {alt_number(ambition[1])} by {ambition[0]:%B %Y}.")
    return Chart(fig, title, alt, data, source, synthetic)

"""The neighbour average on a comparison chart (issue 19): a short name on the axis ("Neighbour average")
while the alt text, the chart's data and the tables keep the full words."""

from __future__ import annotations

import pandas as pd

from cdp_analysis.areas import Area, NeighbourGroup
from cdp_analysis.chapters import base
from cdp_analysis.report import charts
from tests.consistency import chart_problems

AREA = Area("X1", "Brackenmoor", "LAD")
NEIGHBOURS = tuple(Area(f"N{i}", name, "LAD") for i, name in enumerate(("Castlewick", "Dunmere", "Elmsworth")))
GROUP = NeighbourGroup("demo", "its statistical neighbours", "the three other demo boroughs", NEIGHBOURS)
LONG = "the average of its statistical neighbours"


def _completions() -> pd.DataFrame:
    """Two substance groups, each: the area, England and the neighbour average (a value without an interval)."""
    rows = []
    for group, own, england, average in (("total", 16.8, 18.8, 19.7), ("opiate", 4.8, 5.1, 5.3)):
        rows += [{"substance_group": group, "area": "Brackenmoor", "value": own, "lower_ci": own - 1.5,
                  "upper_ci": own + 1.5, "focus_compared": "Focus area"},
                 {"substance_group": group, "area": "England", "value": england, "lower_ci": england - 0.2,
                  "upper_ci": england + 0.2, "focus_compared": "Lower"},
                 {"substance_group": group, "area": LONG, "value": average, "lower_ci": float("nan"),
                  "upper_ci": float("nan"), "focus_compared": "Lower"}]
    return pd.DataFrame(rows)


def _bars(data: pd.DataFrame, **marks) -> charts.Chart:
    return charts.rate_bars(data.assign(label=data["substance_group"] + ": " + data["area"]), label="label",
                            value="value", lower="lower_ci", upper="upper_ci", colour="focus_compared", title="t",
                            xlabel="x", source="s", focus="Brackenmoor", group="substance_group", **marks)


def _ticks(chart: charts.Chart) -> list[str]:
    """The tick labels as drawn (wrapped to the axis's width)."""
    chart.figure.canvas.draw()
    return [t.get_text() for t in chart.figure.axes[0].get_yticklabels()]


def _lines(ticks: list[str]) -> int:
    return max(t.count("\n") + 1 for t in ticks)


def test_the_axis_names_the_neighbour_average_briefly_the_alt_text_in_full():
    data = _completions()
    marks = base.neighbour_marks(data, GROUP)
    assert marks["short"] == {LONG: "Neighbour average"}
    chart = _bars(data, **marks)
    ticks = _ticks(chart)
    read = [" ".join(t.split()) for t in ticks]
    assert "opiate: Neighbour average (Brackenmoor significantly lower)" in read
    assert "total: Neighbour average (Brackenmoor significantly lower)" in read
    assert not any("average of" in t for t in read)
    assert _lines(ticks) == 3
    assert "total: the average of its statistical neighbours 19.7, Brackenmoor significantly lower" in chart.alt_text
    assert list(chart.data["area"]).count(LONG) == 2  # the chart's data keeps the words
    assert not chart_problems(chart)
    assert _lines(_ticks(_bars(data))) == 4  # the full words, as they were


def test_no_marks_without_the_average_row_or_a_group():
    data = _completions()
    assert base.neighbour_marks(data[data["area"] != LONG], GROUP) == {}
    assert base.neighbour_marks(data, NeighbourGroup("none", "its statistical neighbours", "none", ())) == {}

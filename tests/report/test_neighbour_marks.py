"""The neighbour average on a comparison chart (issue 19): a short name on the axis ("Neighbour average")
while the alt text, the chart's data and the tables keep the full words."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.collections import PathCollection

from cdp_analysis.areas import Area, NeighbourGroup
from cdp_analysis.chapters import base
from cdp_analysis.report import charts
from cdp_analysis.stats.sdc import get_policy
from tests.consistency import chart_problems

AREA = Area("X1", "Brackenmoor", "LAD")
NEIGHBOURS = tuple(Area(f"N{i}", name, "LAD") for i, name in enumerate(("Castlewick", "Dunmere", "Elmsworth")))
GROUP = NeighbourGroup("demo", "its statistical neighbours", "the three other demo boroughs", NEIGHBOURS)
LONG = "the average of its statistical neighbours"


def _completions() -> pd.DataFrame:
    """Two substance groups, each: the area, England and the neighbour average (a value without an interval)."""
    rows = []
    for group, own, england, average in (("total", 16.8, 18.8, 19.7), ("opiate", 4.8, 5.1, 5.3)):
        rows += [{"substance_group": group, "area": "Brackenmoor", "area_code": "X1", "role": base.ROLE_FOCUS,
                  "value": own, "lower_ci": own - 1.5,
                  "upper_ci": own + 1.5, "focus_compared": "Focus area"},
                 {"substance_group": group, "area": "England", "area_code": "E92000001",
                  "role": base.ROLE_COMPARATOR, "value": england, "lower_ci": england - 0.2,
                  "upper_ci": england + 0.2, "focus_compared": "Lower"},
                 {"substance_group": group, "area": LONG, "area_code": "", "role": base.ROLE_COMPARATOR,
                  "value": average, "lower_ci": float("nan"),
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


def _values() -> pd.DataFrame:
    """Completions and adults in treatment of the area and its three neighbours, two substance groups; Dunmere's
    opiate completions are 3 (a count of 1 to 4: never shown)."""
    counts = {"total": {"X1": (168, 1000), "N0": (157, 1000), "N1": (260, 1000), "N2": (207, 1000)},
              "opiate": {"X1": (24, 500), "N0": (30, 600), "N1": (3, 40), "N2": (33, 550)}}
    return pd.DataFrame([{"measure": m, "area_code": c, "count": float(n), "denominator": float(d),
                          "value": n / d * 100, "lower_ci": n / d * 100 - 2, "upper_ci": n / d * 100 + 2,
                          "multiplier": 100.0}
                         for m, by in counts.items() for c, (n, d) in by.items()])


def test_the_neighbours_values_are_faint_points_on_the_average_bar_never_a_count_of_one_to_four():
    policy = get_policy("ndtms")
    data = base.with_neighbour_averages(_completions().query("area != @LONG").reset_index(drop=True),
                                        "substance_group", AREA, GROUP, _values(), policy=policy)
    bars = data.assign(label=data["substance_group"] + ": " + data["area"])
    marks = base.neighbour_marks(bars, GROUP, AREA, _values(), label="label", by="substance_group", policy=policy)
    # by hand: each neighbour's completions over its adults in treatment; Dunmere's opiate 3 of 40 is left out
    assert sorted(marks["points"][f"total: {LONG}"]) == pytest.approx([15.7, 20.7, 26.0])
    assert sorted(marks["points"][f"opiate: {LONG}"]) == pytest.approx([5.0, 6.0])
    # the average behind the bar is of the same neighbours: (30 + 33) / (600 + 550)
    opiate = data[(data["area"] == LONG) & (data["substance_group"] == "opiate")]["value"].iloc[0]
    assert opiate == pytest.approx(63 / 1150 * 100)
    chart = _bars(data, **marks)
    ax = chart.figure.axes[0]
    drawn = sorted(float(x) for c in ax.collections if isinstance(c, PathCollection) for x, _ in c.get_offsets())
    assert drawn == pytest.approx(sorted([15.7, 20.7, 26.0, 5.0, 6.0]))
    assert 3 / 40 * 100 not in drawn  # 7.5: Dunmere's opiate rate, from a count of 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Each neighbour's value"]
    assert (f"total: {LONG} 20.8, Brackenmoor significantly lower (faint points, each neighbour's value: 15.7, "
            "20.7, 26.0)") in chart.alt_text
    assert "7.5" not in chart.alt_text
    assert not chart_problems(chart)


def test_no_points_without_the_values_or_with_too_few_published():
    data = _completions()
    assert "points" not in base.neighbour_marks(data, GROUP, AREA, None, by="substance_group")
    only_one = _values()[lambda v: v["area_code"].isin(["X1", "N0"])]
    assert "points" not in base.neighbour_marks(data, GROUP, AREA, only_one, by="substance_group")

"""Charts that read (issue 17): years as years, categories in their natural order with the area beside its
comparators, the latest value after a withheld year drawn, titles that count what is drawn; and the
checks in tests/consistency.py fail on a chart that does not."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from cdp_analysis.report import charts
from tests.consistency import chart_problems


def _ticks(chart) -> list[str]:
    chart.figure.canvas.draw()
    return [t.get_text() for t in chart.figure.axes[0].get_xticklabels() if t.get_text()]


def test_a_single_year_reads_as_a_year_not_an_offset():
    data = pd.DataFrame({"what": ["A"], "area": ["X"], "period_start": [2023.0], "value": [4.2]})
    chart = charts.small_multiples(data, facet="what", x="period_start", y="value", series="area", order=["X"],
                                   title="t", ylabel="y", source="s")
    assert _ticks(chart) == ["2023"] and chart.figure.axes[0].xaxis.get_offset_text().get_text() == ""
    assert not chart_problems(chart)  # the one value, alone, is drawn as a marker
    assert "X: 4.2 (2023)" in chart.alt_text


def test_financial_years_read_as_financial_years():
    data = pd.DataFrame({"year": [2019, 2020, 2021], "n": [10, 12, 11], "g": ["opiate"] * 3})
    chart = charts.trend_lines(data, x="year", y="n", series="g", order=["opiate"], title="t", ylabel="y",
                               source="s", financial_years=True)
    assert _ticks(chart) == ["2019/20", "2020/21", "2021/22"]
    assert "10.0 at 2019/20, 11.0 at 2021/22" in chart.alt_text


def test_the_latest_value_after_a_withheld_year_is_drawn():
    # 2021/22 withheld (suppressed), 2022/23 published: 17.2% has no neighbour on the line
    data = pd.DataFrame({"what": ["Share"] * 4, "area": ["X"] * 4,
                         "period": ["2022/23", "2019/20", "2020/21", "2021/22"], "value": [17.2, 15.0, 16.1, np.nan]})
    chart = charts.small_multiples(data, facet="what", x="period", y="value", series="area", order=["X"],
                                   title="t", ylabel="%", source="s")
    assert _ticks(chart) == ["2019/20", "2020/21", "2021/22", "2022/23"]  # in time order, not first seen
    ax = chart.figure.axes[0]
    drawn = [(float(x), float(y)) for line in ax.get_lines() for x, y in zip(line.get_xdata(), line.get_ydata(),
                                                                               strict=True)
             if line.get_marker() not in (None, "None", "") and np.isfinite(y)]
    assert drawn == [(3.0, 17.2)] and not chart_problems(chart)
    assert "X: 17.2 (2022/23)" in chart.alt_text


def test_the_check_fails_on_an_undrawn_value_and_an_offset_axis():
    fig, (ax, single) = plt.subplots(1, 2)
    ax.plot([2019.0, 2020.0, 2021.0, 2022.0], [15.0, 16.1, np.nan, 17.2])  # 17.2 is drawn nowhere
    single.plot([1e6 + 1, 1e6 + 2], [1.0, 2.0], marker="o")  # matplotlib writes this axis with an offset (+1e6)
    chart = charts.Chart(fig, "raw", "Line chart: raw.", pd.DataFrame(), "s")
    found = " ".join(chart_problems(chart))
    assert "17.2" in found and "offset" in found
    plt.close(fig)


def test_bars_come_category_by_category_in_natural_order_the_area_beside_its_comparators():
    categories = ["over 6 years", "1 to 2 years", "under 1 year"]
    rows = [{"category": c, "area": a, "value": v, "lower_ci": v - 1, "upper_ci": v + 1,
             "focus_compared": "Focus area" if a == "Barnet" else "Similar"}
            for a in ("Barnet", "England") for c, v in zip(categories, (5.0, 15.0, 70.0), strict=True)]
    data = pd.DataFrame(rows)
    chart = charts.rate_bars(data.assign(label=data["category"] + ": " + data["area"]), label="label", value="value",
                             lower="lower_ci", upper="upper_ci", colour="focus_compared", title="t", xlabel="x",
                             source="s", focus="Barnet", group="category")
    assert list(chart.data["label"]) == ["under 1 year: Barnet", "under 1 year: England", "1 to 2 years: Barnet",
                                         "1 to 2 years: England", "over 6 years: Barnet", "over 6 years: England"]


@pytest.mark.parametrize(("values", "expected"), [
    (["aged 50 and over", "aged 18 to 29", "aged 30 to 49"], ["aged 18 to 29", "aged 30 to 49", "aged 50 and over"]),
    (["5 (least deprived)", "1 (most deprived)", "3"], ["1 (most deprived)", "3", "5 (least deprived)"]),
    (["Black", "White", "Other", "Asian", "Mixed"], ["White", "Mixed", "Asian", "Black", "Other"]),
    (["criminal justice", "self, family and friends"], ["criminal justice", "self, family and friends"]),
    ([2024, 2019, 2021], [2019, 2021, 2024]),
])
def test_natural_order(values, expected):
    assert charts.natural_order(values) == expected


def test_ranked_chart_title_counts_what_it_draws():
    from cdp_analysis.chapters.supply import top_title

    data = pd.DataFrame({"name": list("ABCD"), "value": [4.0, 3.0, 2.0, 1.0]})
    honest = charts.ranked_bars(data, label="name", value="value", title=top_title(4, 6, "LSOAs"), xlabel="x",
                                source="s")
    assert honest.title.startswith("The 4 LSOAs with published counts") and not chart_problems(honest)
    old = charts.ranked_bars(data, label="name", value="value", title="Ten LSOAs with the highest drug offence rates",
                             xlabel="x", source="s")
    assert chart_problems(old) == ["Ten LSOAs with the highest drug offence rates: the title counts 10, the chart "
                                   "draws 4"]

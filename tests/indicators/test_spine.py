"""Spine rows on a hand-made table, and the spine chart's alt text and data."""

from __future__ import annotations

import math

import pandas as pd

from cdp_analysis.indicators.spine import SPINE_COLUMNS, spine_rows
from cdp_analysis.report import charts


def _table() -> pd.DataFrame:
    rows = [("E92000001", 10.0, 9.5, 10.5)] + [(f"A{i}", v, v - 1, v + 1) for i, v in
                                                 enumerate([2.0, 4.0, 6.0, 8.0, 20.0], start=1)]
    old = [("A1", 99.0, 98.0, 100.0)]  # an earlier period: ignored
    frame = pd.DataFrame([{"area_code": c, "indicator_id": "1", "indicator_name": "Harm", "period": "2023",
                           "period_start": 2023, "value": v, "lower_ci": lo, "upper_ci": hi, "unit": "per 100,000",
                           "polarity": "LowIsGood", "category_type": "", "sex": "Persons"} for c, v, lo, hi in rows])
    earlier = frame.iloc[:1].assign(area_code=old[0][0], value=99.0, period="2022", period_start=2022)
    breakdown = frame.iloc[:1].assign(area_code="A2", value=500.0, category_type="Deprivation")
    return pd.concat([frame, earlier, breakdown], ignore_index=True)


def test_spine_rows_by_hand():
    rows = spine_rows(_table(), "A1", ["A1", "A2", "A3", "A4", "A5"], area_name="Area one")
    assert list(rows.columns) == list(SPINE_COLUMNS) and len(rows) == 1
    r = rows.iloc[0]
    # values 2, 4, 6, 8, 20: quartiles by linear interpolation are 4 and 8
    assert (r["min"], r["q1"], r["median"], r["q3"], r["max"]) == (2.0, 4.0, 6.0, 8.0, 20.0)
    assert r["n_areas"] == 5 and r["england"] == 10.0 and r["value"] == 2.0 and r["period"] == "2023"
    assert r["compared"] == "Better"  # 1 to 3 lies below England's 10, and low is good
    assert r["area"] == "Area one"


def test_peers_limit_the_range_and_missing_england():
    table = _table()
    rows = spine_rows(table[table["area_code"] != "E92000001"], "A5", ["A4"], polarity={"1": "HighIsGood"})
    r = rows.iloc[0]
    assert (r["min"], r["max"], r["n_areas"]) == (8.0, 20.0, 2)
    assert math.isnan(r["england"]) and r["compared"] == "Not compared"
    assert spine_rows(table, "ZZZ", ["A1"]).empty


def test_spine_chart_alt_text_and_data():
    rows = spine_rows(_table(), "A1", ["A2", "A3", "A4", "A5"], area_name="Area one")
    chart = charts.spine_chart(rows, title="Harm", source="Test")
    try:
        pd.testing.assert_frame_equal(chart.data, rows)
        assert "Area one 2.0 (Better), England 10.0, range across 5 areas 2.0 to 20.0" in chart.alt_text
    finally:
        chart.close()


def test_spine_chart_labels_never_run_into_each_other():
    # fifteen indicators with long names, as the demo overview has: each row's label (name, period, then the
    # value against England) wraps to several lines, and the rows must be tall enough to hold them
    import matplotlib

    rows = spine_rows(_table(), "A1", ["A2", "A3", "A4", "A5"], area_name="Area one")
    long = pd.concat([rows] * 15, ignore_index=True)
    long["indicator"] = [f"Admissions for drug-related mental and behavioural disorders, measure {i} "
                         "(per 100,000 (DSR))" for i in range(15)]
    chart = charts.spine_chart(long, title="Harm", source="Test", area="Area one")
    try:
        fig = chart.figure
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        boxes = sorted((t.get_window_extent(renderer) for t in fig.axes[0].get_yticklabels() if t.get_text()),
                       key=lambda b: b.y0)
        assert len(boxes) == 15
        for lower, upper in zip(boxes, boxes[1:]):
            assert lower.y1 <= upper.y0 + 0.5, (lower, upper)  # half a pixel of rounding
        assert all(b.y0 >= 0 and b.y1 <= fig.bbox.height for b in boxes)  # inside the image
        assert isinstance(matplotlib.get_backend(), str)
    finally:
        chart.close()

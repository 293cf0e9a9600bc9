"""Progress against local ambitions: trajectories and statuses worked out by hand; the template's validation."""

from __future__ import annotations

import pandas as pd
import pytest

from cdp_analysis.errors import DataFormatError
from cdp_analysis.indicators.ambitions import (
    NOT_KNOWN,
    OFF_TRACK,
    ON_TRACK,
    local_metric_series,
    period_end,
    progress,
)
from cdp_analysis.sources.local import read_local_return, template_path

HEADER = "area_code,metric,baseline_period,baseline_value,ambition_value,ambition_date,owner\n"


def _ambition(metric="m", baseline_period="", baseline_value=None, value=60.0, date="2026-03-31", owner="Board"):
    return pd.DataFrame({"metric": [metric], "baseline_period": [baseline_period], "baseline_value": [baseline_value],
                         "ambition_value": [value], "ambition_date": [pd.Timestamp(date)], "owner": [owner]})


def test_on_and_off_track_against_the_straight_line():
    # baseline 40 at 31 Mar 2022 (2021/22 from the data), ambition 60 at 31 Mar 2024: 731 days.
    # latest 2022/23 (31 Mar 2023, 365 days in): trajectory 40 + 20 * 365 / 731 = 49.986...
    series = pd.DataFrame({"period": ["2020/21", "2021/22", "2022/23"], "value": [38.0, 40.0, 50.0]})
    row = progress(_ambition(date="2024-03-31"), {"m": series}).iloc[0]
    assert row["baseline_value"] == 40.0 and row["baseline_from"] == "data" and row["baseline_period"] == "2021/22"
    assert row["trajectory_value"] == pytest.approx(40 + 20 * 365 / 731)
    assert row["status"] == ON_TRACK  # 50 is above 49.99 on the way up
    series.loc[2, "value"] = 49.9
    assert progress(_ambition(date="2024-03-31"), {"m": series}).iloc[0]["status"] == OFF_TRACK


def test_a_falling_ambition_and_a_baseline_from_the_file():
    # baseline 10 given for 2021/22; ambition 6 by 31 Mar 2025 (1,096 days); latest 2023 (31 Dec 2023, 640 days in)
    series = pd.DataFrame({"period": ["2021", "2022", "2023"], "value": [11.0, 9.5, 7.9]})
    row = progress(_ambition(baseline_period="2021/22", baseline_value=10.0, value=6.0, date="2025-03-31"),
                   {"m": series}).iloc[0]
    expected = 10 - 4 * 640 / 1096  # 7.664...
    assert row["trajectory_value"] == pytest.approx(expected) and row["baseline_from"] == "file"
    assert row["status"] == OFF_TRACK  # 7.9 is above 7.66 on the way down


def test_after_the_ambition_date_the_ambition_itself_is_the_line():
    series = pd.DataFrame({"period": ["2021/22", "2025/26"], "value": [40.0, 58.0]})
    row = progress(_ambition(value=60.0, date="2024-03-31"), {"m": series}).iloc[0]
    assert row["trajectory_value"] == pytest.approx(60.0) and row["status"] == OFF_TRACK


@pytest.mark.parametrize(("series", "ambition", "why"), [
    (None, {}, "holds no value"),
    (pd.DataFrame({"period": ["2023/24"], "value": [5.0]}), {}, "no baseline"),
    (pd.DataFrame({"period": ["2020/21", "2021/22"], "value": [5.0, 6.0]}), {}, "since the baseline"),
    (pd.DataFrame({"period": ["2021/22", "2023/24"], "value": [5.0, 6.0]}), {"date": "2022-03-31"}, "not after"),
])
def test_not_yet_known_says_why(series, ambition, why):
    row = progress(_ambition(**ambition), {} if series is None else {"m": series}).iloc[0]
    assert row["status"] == NOT_KNOWN and why in row["why"]


def test_period_ends_and_quarterly_local_series():
    assert period_end("2023/24 Q4") == pd.Timestamp(2024, 3, 31)
    assert period_end("2024 Q2") == pd.Timestamp(2024, 6, 30)
    assert pd.isna(period_end("last year"))
    frame = pd.DataFrame({"area_code": ["A", "A", "B", "C", "C"],
                          "period": ["2021/22 Q4", "2022/23 Q1", "2021/22 Q4", "2021/22 Q4", "2022/23 Q1"],
                          "released_with_need": [50, 40, 30, 20, 10], "engaged_within_3_weeks": [20, 18, 12, 5, 6]})
    s = local_metric_series(frame, "A", "engaged_within_3_weeks", "released_with_need")
    assert s["value"].tolist() == pytest.approx([40.0, 45.0])
    # a partnership of B and C: only the quarter both returned, summed: (12 + 5) / (30 + 20)
    s = local_metric_series(frame, "P", "engaged_within_3_weeks", "released_with_need", members=["B", "C"])
    assert s["period"].tolist() == ["2021/22 Q4"] and s["value"].tolist() == pytest.approx([34.0])
    # the quarterly baseline defaults to the last quarter ending by 31 March 2022
    row = progress(_ambition(value=60.0), {"m": local_metric_series(frame, "A", "engaged_within_3_weeks",
                                                                    "released_with_need")}).iloc[0]
    assert row["baseline_period"] == "2021/22 Q4" and row["baseline_value"] == pytest.approx(40.0)
    # the line starts at the quarter's end (31 Mar 2022): latest 30 Jun 2022, 91 of 1,461 days to 31 Mar 2026
    assert row["trajectory_value"] == pytest.approx(40 + 20 * 91 / 1461)


def test_the_template_is_shipped_and_read(tmp_path):
    assert template_path("ambitions").read_text() == HEADER
    path = tmp_path / "ambitions.csv"
    path.write_text(HEADER + "E09000003,92432,,,4.5,2026-03,Director of Public Health\n"
                             "E09000003,continuity_of_care,2021/22,41.5,50,2026-03-31,Head of CJ\n")
    frame = read_local_return(path)
    assert frame["ambition_date"].tolist() == [pd.Timestamp(2026, 3, 31)] * 2
    assert pd.isna(frame["baseline_value"].iloc[0]) and frame["baseline_value"].iloc[1] == 41.5
    # the reader's nullable columns go straight into progress: 41.5 (file) to 50 by 31 Mar 2026, latest 2023/24
    series = {"92432": pd.DataFrame({"period": ["2023/24"], "value": [5.0]}),
              "continuity_of_care": pd.DataFrame({"period": ["2021/22", "2023/24"], "value": [40.0, 46.0]})}
    table = progress(frame, series)
    assert table["status"].tolist() == [NOT_KNOWN, ON_TRACK]  # 46 >= 41.5 + 8.5 * 731 / 1461 = 45.75
    assert table["trajectory_value"].iloc[1] == pytest.approx(41.5 + 8.5 * 731 / 1461)


@pytest.mark.parametrize(("row", "column", "message"), [
    ("E09000003,99999,,,4.5,2026-03,DPH", "metric", "not an allowed value"),
    ("E09000003,92432,,,4.5,2026-13,DPH", "ambition_date", "not a date"),
    ("E09000003,92432,2021-22,,4.5,2026-03,DPH", "baseline_period", "not a period"),
    ("E09000003,92432,,,,2026-03,DPH", "ambition_value", "missing value"),
    ("E09000003,92432,,,4.5,2026-03,", "owner", "missing value"),
])
def test_bad_rows_name_file_line_and_column(tmp_path, row, column, message):
    path = tmp_path / "ambitions.csv"
    path.write_text(HEADER + "E09000003,90947,,,55,2025-03-31,DPH\n" + row + "\n")
    with pytest.raises(DataFormatError) as caught:
        read_local_return(path)
    text = str(caught.value)
    assert "ambitions.csv" in text and "line 3" in text and repr(column) in text and message in text

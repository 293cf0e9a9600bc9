"""The hotspot recommendation says what share of a hotspot's offences sit at police.uk's anonymised point
"On or near Police Station" (issue 17): counted by hand from the City of London Police street files, and
from a small table made in code."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from cdp_analysis.indicators import supply


def _crimes(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["month", "lsoa_code", "crime_type", "location"])
    frame["month"] = pd.to_datetime(frame["month"])
    return frame


def test_share_at_the_police_station_point_per_small_area():
    station = supply.POLICE_STATION_POINT
    crimes = _crimes([
        ("2024-01-01", "L1", "Drugs", station), ("2024-02-01", "L1", "Drugs", "On or near High Street"),
        ("2024-03-01", "L2", "Drugs", station), ("2024-03-01", "L2", "Drugs", "On or near Park"),
        ("2024-03-01", "L2", "Drugs", "On or near Park"), ("2024-03-01", "L2", "Burglary", station),  # not drugs
        ("2023-01-01", "L2", "Drugs", station),  # before the window
        ("2024-04-01", "L3", "Drugs", station),  # another ward
    ])
    lookup = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3"], "ward_code": ["W1", "W1", "W2"]})
    start, end = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-01")
    wards = supply.police_station_share(crimes, lookup, level="ward", codes=["W1"], crime_types=("Drugs",),
                                        start=start, end=end)
    assert wards.to_dict("records") == [{"code": "W1", "count": 5, "at_police_station": 2, "share_pct": 40.0}]
    lsoas = supply.police_station_share(crimes, lookup, level="lsoa", codes=["L2", "L1"], crime_types=("Drugs",),
                                        start=start, end=end)
    assert list(lsoas["code"]) == ["L2", "L1"] and list(lsoas["at_police_station"]) == [1, 1]
    assert lsoas["share_pct"].tolist() == pytest.approx([100 / 3, 50.0])
    with pytest.raises(ValueError, match="location"):
        supply.police_station_share(crimes.drop(columns="location"), lookup, level="lsoa", codes=["L1"],
                                    crime_types=("Drugs",), start=start, end=end)


@pytest.mark.slow
def test_city_of_london_hotspot_recommendation_names_the_police_station_share(real_city_source, tmp_path):
    from cdp_analysis.chapters.context import load_context
    from cdp_analysis.chapters.supply import SupplyChapter

    chapter = SupplyChapter(load_context("E09000001", data_dir=real_city_source, processed_dir=tmp_path))
    section = chapter.small_areas("ward")
    hot = section.frames["small_areas"]
    hot = hot[hot["compared_to_area"] == "Higher"]
    assert list(hot["name"]) == ["City of London 001F"]
    name = hot["name"].iloc[0]
    start, end = chapter.latest_window
    months = {f"{m:%Y-%m}" for m in pd.date_range(start, end, freq="MS")} & set(chapter.covered_months)
    total = at_station = 0
    for path in sorted((real_city_source / "police_uk").glob("*/*-street.csv")):
        if path.name[:7] not in months:
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["Crime type"] == "Drugs" and row["LSOA name"] == name:  # codes change vintage, names not
                    total += 1
                    at_station += row["Location"] == "On or near Police Station"
    assert total == int(hot["count"].iloc[0]) and at_station >= 5
    share = at_station / total * 100
    assert share >= supply.POLICE_STATION_MATERIAL * 100
    [finding] = [m for m in section.messages if m.key and "drug offence rate significantly higher" in m.text]
    assert f"note that {share:.0f}% of City of London 001F's drug offences are recorded at police.uk's anonymised " \
           'map point "On or near Police Station"' in finding.recommendation
    notes = [m.text for m in section.messages if not m.key and "Police Station" in m.text]
    assert notes and re.match(rf"{share:.0f}% of City of London 001F", notes[0])

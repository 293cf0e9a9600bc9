"""Data-quality rules (docs/data_quality.md): each rule on small series, and a twin over the real DfE files.

The real-file expectations are worked out with the ``csv`` module from the raw columns
(``children_count``, ``Episodes_with_assessment_factor``), never through the package's readers.
"""

import csv
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.indicators import quality
from cdp_analysis.sources import dfe


def _series(counts, denominators, markers=None):
    return pd.DataFrame({"period": [f"20{20 + i}/{21 + i}" for i in range(len(counts))], "count": counts,
                         "denominator": denominators, "marker": markers or [pd.NA] * len(counts)})


def test_zero_every_year_needs_every_year_zero_and_enough_years():
    assert quality.zero_every_year(_series([0] * 5, [250, 253, 220, 237, 248])).all()
    assert not quality.zero_every_year(_series([0, 0, 0, 0, 3], [250] * 5)).any()  # one year records cases
    assert not quality.zero_every_year(_series([0, 0], [250, 240])).any()  # two years say too little
    # a withheld small number (c) means the area does record cases: not a recording gap
    assert not quality.zero_every_year(_series([0, np.nan, 0, 0], [250] * 4, [pd.NA, "c", pd.NA, pd.NA])).any()


def test_collapsed_return_against_the_years_either_side():
    # West Sussex children in need 2022/23: 509 episodes between 7,447 and 6,365
    assert quality.collapsed_return(_series([300, 22, 280], [7447, 509, 6365])).tolist() == [False, True, False]
    # a fall to a third is ordinary movement (Doncaster 2020/21 to 2021/22), not a collapse
    assert not quality.collapsed_return(_series([1, 1, 1], [3000, 1000, 3100])).any()
    # below a quarter of one side but not the other: not judged collapsed
    assert not quality.collapsed_return(_series([1, 1, 1], [8000, 1000, 1200])).any()
    # at the end of a series, the one neighbour decides
    assert quality.collapsed_return(_series([1, 1], [5000, 400])).tolist() == [False, True]


def test_part_over_total():
    assert quality.part_over_total(_series([5, 70, np.nan], [10, 7, 5])).tolist() == [False, True, False]


def test_flag_series_names_the_rule_and_the_sentence_names_the_years():
    flagged = quality.flag_series(_series([0] * 5, [250, 253, 220, 237, 248]))
    assert flagged["quality_flag"].eq(quality.ZERO_EVERY_YEAR).all()
    sentence = quality.quality_sentence("Looked-after children with a substance misuse problem", "Hartlepool",
                                        flagged)
    assert sentence.count(".") == 1 and sentence.endswith("key messages.")
    assert "2020/21 to 2024/25" in sentence and "recording gap" in sentence
    clean = quality.flag_series(_series([10, 12, 9], [200, 210, 190]))
    assert clean["quality_flag"].isna().all()


# -- twin over the real DfE files -------------------------------------------------------------------


@pytest.fixture(scope="module")
def cla_path(require_shared):
    return require_shared("data/real/dfe_children/la_conviction_health_outcome_cla.csv")


@pytest.fixture(scope="module")
def cin_path(require_shared):
    return require_shared("data/real/dfe_children/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv")


def test_real_looked_after_zero_every_year_matches_the_raw_file(cla_path):
    identified = defaultdict(dict)
    with open(cla_path, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            if (row["geographic_level"] == "Local authority"
                    and row["breakdown"] == "Identified as having a substance misuse problem"
                    and row["characteristic"].startswith("Substance misuse")):
                identified[row["new_la_code"]][row["time_period"]] = row["children_count"]
    expected = {code for code, years in identified.items() if len(years) >= 3 and set(years.values()) == {"0"}}
    assert {"E06000001", "E09000003"} <= expected and len(expected) == 6 and len(identified) == 155

    frame = dfe.read_looked_after(cla_path)
    rows = frame[(frame["geographic_level"] == "Local authority") & (frame["category"] == "identified")]
    found = {code for code, series in rows.groupby("area_code")
             if quality.zero_every_year(series.sort_values("period")).all()}
    assert found == expected


def test_real_children_in_need_collapsed_returns_match_the_raw_file(cin_path):
    episodes = defaultdict(dict)
    with open(cin_path, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            if row["geographic_level"] == "Local authority":
                text = row["Episodes_with_assessment_factor"]
                if text.isdigit():
                    episodes[row["new_la_code"]][int(row["time_period"])] = int(text)
    expected = set()
    for code, years in episodes.items():
        for year, n in years.items():
            sides = [years[y] for y in (year - 1, year + 1) if years.get(y, 0) > 0]
            if sides and all(4 * n < s for s in sides):
                expected.add((code, f"{year - 1}/{str(year)[2:]}"))
    assert ("E10000032", "2022/23") in expected  # West Sussex: 509 between 7,447 and 6,365

    frame = dfe.read_children_in_need(cin_path)
    rows = frame[(frame["geographic_level"] == "Local authority") & (frame["measure"] == "drug_misuse")
                 & (frame["category"] == "parent")]
    found = set()
    for code, series in rows.groupby("area_code"):
        series = series.sort_values("period").reset_index(drop=True)
        found |= {(code, p) for p in series.loc[quality.collapsed_return(series), "period"]}
    assert found == expected

"""The area among its statistical neighbours: averages, ranks and comparisons worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.areas import AreaRegistry
from cdp_analysis.errors import StatsInputError
from cdp_analysis.indicators.neighbours import MEAN, POOLED, neighbour_comparison, rank_words
from cdp_analysis.report import neighbours as words


def _values(**columns):
    return pd.DataFrame({"measure": "m", **columns})


def test_pooled_average_rank_and_significance_by_hand():
    # focus A: 30 of 100 (30%, CI given 21.9 to 39.6); neighbours B 10/50, C 12/40, D 9/60, E (no value)
    v = _values(area_code=["A", "B", "C", "D", "X"], value=[30.0, 20.0, 30.0, 15.0, 99.0],
                lower_ci=[21.9, 11.2, 18.1, 8.1, 90.0], upper_ci=[39.6, 33.0, 45.4, 26.1, 99.9],
                count=[30, 10, 12, 9, 99], denominator=[100, 50, 40, 60, 100], multiplier=100.0)
    rows, summary = neighbour_comparison(v, "A", ["B", "C", "D", "E"], polarity="HighIsGood")
    r = summary.iloc[0]
    # pooled: (10 + 12 + 9) / (50 + 40 + 60) * 100 = 31 / 150 * 100 = 20.666...
    assert r["average_method"] == POOLED
    assert r["neighbour_average"] == pytest.approx(31 / 150 * 100)
    # 30 (A) ties with C's 30, below none: competition rank 1, joint, of the four with a value
    assert (int(r["rank"]), int(r["n_ranked"]), bool(r["tied"])) == (1, 4, True)
    assert int(r["neighbours_with_value"]) == 3 and int(r["neighbours_in_group"]) == 4
    # A's interval 21.9 to 39.6 lies above 20.67: better (high is good)
    assert r["compared"] == "Better"
    # X is not in the group; E has no value and is listed last, unranked
    assert "X" not in set(rows["area_code"])
    assert rows["area_code"].tolist()[0] == "A" and rows["area_code"].tolist()[-1] == "E"
    assert np.isnan(rows.loc[rows["area_code"] == "E", "rank"].iloc[0])
    assert rows.loc[rows["area_code"] == "D", "rank"].iloc[0] == 4


def test_mean_when_a_neighbour_lacks_its_count_and_suppressed_rows_left_out():
    v = _values(area_code=["A", "B", "C", "D"], value=[8.0, 4.0, 6.0, 50.0], lower_ci=[7.0, 3.0, 5.0, 1.0],
                upper_ci=[9.0, 5.0, 7.0, 99.0], count=[80, 40, np.nan, 3], denominator=[1000, 1000, 1000, 60],
                multiplier=1000.0, suppressed=[False, False, False, True])
    rows, summary = neighbour_comparison(v, "A", ["B", "C", "D"], polarity="LowIsGood")
    r = summary.iloc[0]
    # D is suppressed: out of the average and the rank; C has no count: the mean of B and C = 5
    assert r["average_method"] == MEAN and r["neighbour_average"] == pytest.approx(5.0)
    assert (int(r["rank"]), int(r["n_ranked"])) == (1, 3)
    assert r["compared"] == "Worse"  # 7 to 9 above 5, low is good
    assert np.isnan(rows.loc[rows["area_code"] == "D", "value"].iloc[0])


def test_too_few_neighbours_gives_a_reason_and_no_average():
    v = _values(area_code=["A", "B"], value=[8.0, 4.0], lower_ci=[7.0, 3.0], upper_ci=[9.0, 5.0])
    _, summary = neighbour_comparison(v, "A", ["B", "C", "D"])
    r = summary.iloc[0]
    assert r["reason"] and np.isnan(r["neighbour_average"]) and r["compared"] == "Not compared"
    sentence = words.sentence("Aton", "rate", r, pd.DataFrame(columns=["measure", "role", "value"]),
                              group="its statistical neighbours", unit="%")
    assert "8" not in sentence and "too few" in sentence


def test_ranks_with_ties_and_from_the_low_end():
    v = pd.DataFrame({"measure": "m", "area_code": list("ABCDE"), "value": [2.0, 10.0, 8.0, 8.0, 1.0]})
    _, summary = neighbour_comparison(v, "C", ["A", "B", "D", "E"])
    r = summary.iloc[0]
    assert (int(r["rank"]), int(r["n_ranked"]), bool(r["tied"])) == (2, 5, True)
    assert rank_words(2, 5, True) == "joint 2nd highest of 5"
    _, summary = neighbour_comparison(v, "A", ["B", "C", "D", "E"])
    assert int(summary.iloc[0]["rank"]) == 4 and rank_words(4, 5) == "2nd lowest of 5"
    assert rank_words(1, 11) == "highest of 11" and rank_words(3, 11) == "3rd highest of 11"
    with pytest.raises(StatsInputError):
        rank_words(0, 3)


def test_highest_only_when_the_interval_clears_every_neighbour():
    v = _values(area_code=list("ABC"), value=[10.0, 8.0, 6.0], lower_ci=[7.9, 7.0, 5.0], upper_ci=[12.0, 9.0, 7.0])
    rows, summary = neighbour_comparison(v, "A", ["B", "C"])
    r = summary.iloc[0]
    assert int(r["rank"]) == 1 and r["compared"] == "Higher"  # 7.9 to 12 above the mean 7
    assert not words.supports_highest(rows, r)  # 7.9 is below B's 8
    assert words.HIGHEST not in words.sentence("A", "rate", r, rows, group="its neighbours", unit="%")
    v.loc[0, "lower_ci"] = 8.5
    rows, summary = neighbour_comparison(v, "A", ["B", "C"])
    assert words.supports_highest(rows, summary.iloc[0])
    assert words.HIGHEST in words.sentence("A", "rate", summary.iloc[0], rows, group="its neighbours", unit="%")


def test_bad_input_is_refused():
    with pytest.raises(StatsInputError, match="area_code"):
        neighbour_comparison(pd.DataFrame({"measure": ["m"], "value": [1.0]}), "A", ["B"])
    twice = pd.DataFrame({"measure": "m", "area_code": ["A", "A"], "value": [1.0, 2.0]})
    with pytest.raises(StatsInputError, match="twice"):
        neighbour_comparison(twice, "A", ["B"])


def test_groups_user_default_demo_and_none():
    reg = AreaRegistry.builtin()
    # the default group is neighbours.csv's nearest ten, in rank order
    import csv
    from importlib import resources
    rows = list(csv.DictReader(resources.files("cdp_analysis.resources").joinpath("neighbours.csv")
                               .read_text().splitlines()))
    expected = [r["neighbour"] for r in sorted((r for r in rows if r["code"] == "E06000001"),
                                               key=lambda r: int(r["rank"]))][:10]
    group = reg.neighbour_group("E06000001")
    assert group.source == "default" and group.codes == expected
    # demo: the other demo boroughs, never the partnership's own members
    assert reg.neighbour_group("Z09000001").codes == ["Z09000002", "Z09000003", "Z09000004"]
    assert reg.neighbour_group("Z95000001").codes == ["Z09000003", "Z09000004"]
    assert reg.neighbour_group("E06000061").source == "none"


def test_the_users_group_comes_first_without_region_or_england(tmp_path):
    (tmp_path / "areas.csv").write_text(
        "code,name,type,parent,members,comparators\n"
        "X95000001,Hackney and City CDP,cdp,E12000007,E09000012;E09000001,E09000030;E12000007;E09000025\n")
    group = AreaRegistry.load(tmp_path).neighbour_group("X95000001")
    assert group.source == "user" and group.codes == ["E09000030", "E09000025"]
    assert "comparators column" in group.description


def test_the_consistency_check_catches_an_unsupported_highest():
    from cdp_analysis.areas import NeighbourGroup
    from cdp_analysis.chapters.base import NeighbourMeasure, neighbour_section
    from tests.consistency import neighbour_problems

    reg = AreaRegistry.builtin()
    area, peers = reg.get("Z09000001"), [reg.get(c) for c in ("Z09000002", "Z09000003")]
    group = NeighbourGroup("demo", "its statistical neighbours", "A test group.", tuple(peers))
    names = {a.code: a.name for a in [area, *peers]}
    # A 10 (9.5 to 10.5) above B 8 and C 6: "the highest among", supported
    values = pd.DataFrame({"measure": "m", "area_code": ["Z09000001", "Z09000002", "Z09000003"],
                           "value": [10.0, 8.0, 6.0], "lower_ci": [9.5, 7.0, 5.0], "upper_ci": [10.5, 9.0, 7.0]})
    section = neighbour_section(area, group, values, [NeighbourMeasure("m", "Rate", "rate", "%")], names=names,
                                synthetic=True, source="test")
    assert any("the highest among" in m.text for m in section.messages)
    assert neighbour_problems(section) == []
    # the frames say otherwise (B's value above A's lower limit): the check fails the sentence
    section.frames["neighbour_values"].loc[section.frames["neighbour_values"]["area"] == "Castlewick", "value"] = 9.9
    assert any("highest" in p for p in neighbour_problems(section))
    # A's interval (7.9 to 12) reaches below B's 8: "ranks highest of 3", never "the highest among"
    values["lower_ci"] = [7.9, 7.0, 5.0]
    values["upper_ci"] = [12.0, 9.0, 7.0]
    section = neighbour_section(area, group, values, [NeighbourMeasure("m", "Rate", "rate", "%")], names=names,
                                synthetic=True, source="test")
    assert not any("the highest among" in m.text for m in section.messages)
    assert any("ranks highest of 3" in m.text for m in section.messages) and neighbour_problems(section) == []
    # a rank that no frame holds is caught
    section.frames["neighbour_values"]["rank"] = 2
    assert any("rank" in p for p in neighbour_problems(section))


def test_headline_columns_average_rank_and_comparison_from_the_values():
    from cdp_analysis.indicators.neighbours import neighbour_columns

    # m: A 12 (11 to 13) among B 10, C 8, D 6, E (suppressed 3 people: out of average and rank);
    # pooled: B 10/1000, C 16/2000, D 6/1000 per 1,000 -> 32 / 4000 * 1000 = 8.0; A is 1st of 4, interval above
    values = pd.DataFrame({"measure": "m", "area_code": ["A", "B", "C", "D", "E"],
                           "value": [12.0, 10.0, 8.0, 6.0, 3.0], "lower_ci": [11.0, 9, 7, 5, 1],
                           "upper_ci": [13.0, 11, 9, 7, 9], "count": [12.0, 10, 16, 6, 3],
                           "denominator": [1000.0, 1000, 2000, 1000, 1000], "multiplier": 1000.0,
                           "suppressed": [False, False, False, False, True]})
    # n: only B holds a value besides A -> words, no number
    only_one = pd.DataFrame({"measure": "n", "area_code": ["A", "B"], "value": [5.0, 4.0], "lower_ci": [4.0, 3.0],
                             "upper_ci": [6.0, 5.0]})
    cols = neighbour_columns(pd.concat([values, only_one]), "A", ["B", "C", "D", "E"], polarity={"m": "LowIsGood"})
    m, n = cols.set_index("measure").loc["m"], cols.set_index("measure").loc["n"]
    assert m["neighbour_average"] == pytest.approx((10 + 16 + 6) / (1000 + 2000 + 1000) * 1000)
    assert (m["neighbour_rank"], m["neighbour_compared"], m["neighbour_note"]) == ("highest of 4", "Worse", "")
    assert np.isnan(n["neighbour_average"]) and n["neighbour_rank"] == ""
    assert (n["neighbour_compared"], n["neighbour_note"]) == ("Not compared", "fewer than two neighbours hold a value")


def test_a_headline_table_gains_the_columns_and_the_check_reads_them():
    from cdp_analysis.areas import NeighbourGroup
    from cdp_analysis.chapters.base import with_neighbour_columns
    from tests.consistency import neighbour_column_problems

    reg = AreaRegistry.builtin()
    area, peers = reg.get("Z09000001"), tuple(reg.get(c) for c in ("Z09000002", "Z09000003", "Z09000004"))
    group = NeighbourGroup("demo", "its statistical neighbours", "A test group.", peers)
    table = pd.DataFrame({"indicator_id": ["x", "y"], "indicator": ["X", "Y"], "value": [5.0, 2.0],
                          "lower_ci": [4.0, 1.0], "upper_ci": [6.0, 3.0]})
    # x: 5 (4 to 6) among 9, 7, 1 -> mean 17/3 = 5.67 (no counts), 3rd highest of 4, Similar
    values = pd.DataFrame({"measure": "x", "area_code": ["Z09000001", "Z09000002", "Z09000003", "Z09000004"],
                           "value": [5.0, 9.0, 7.0, 1.0], "lower_ci": [4.0, 8, 6, 0], "upper_ci": [6.0, 10, 8, 2]})
    out = with_neighbour_columns(table, "indicator_id", area, group, values)
    x, y = out.iloc[0], out.iloc[1]
    assert x["neighbour_average"] == pytest.approx(17 / 3)
    assert (x["neighbour_rank"], x["neighbour_compared"]) == ("2nd lowest of 4", "Similar")
    # y has no neighbour values at all: words, no number
    assert np.isnan(y["neighbour_average"]) and y["neighbour_compared"] == "Not compared" and y["neighbour_note"]
    assert neighbour_column_problems(out) == []
    # a comparison the interval does not support is caught, and so is a number beside the words
    bad = out.copy()
    bad.loc[0, "neighbour_compared"] = "Higher"
    bad.loc[1, "neighbour_average"] = 3.0
    assert len(neighbour_column_problems(bad)) == 2

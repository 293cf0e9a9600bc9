"""The executive summary ranks findings across chapters with diversity (issue 17): no chapter gives
more than two of the five while another chapter has a finding left, and the five keep their rank."""

from __future__ import annotations

from cdp_analysis.publishing.summary import top_messages


def _records(spec: dict[str, list[int]]) -> dict[str, dict]:
    """Chapter → messages named ``<chapter>-<position>`` with the given priorities."""
    return {chapter: {"messages": [{"text": f"{chapter}-{n}", "priority": p} for n, p in enumerate(scores)]}
            for chapter, scores in spec.items()}


def _texts(records: dict[str, dict]) -> list[str]:
    return [m["text"] for m in top_messages(records)]


def test_one_chapter_gives_at_most_two_while_others_have_findings():
    # the demo partnership's shape before the fix: the treatment chapter held four of the five
    records = _records({"00": [], "01": [3, 0], "02": [6, 6, 5, 4, 4], "03": [2, -1]})
    # two from 02 (6, 6), then 01's 3 and 03's 2, the fifth place to 02's next (5): the others have none left
    assert _texts(records) == ["02-0", "02-1", "02-2", "01-0", "03-0"]


def test_a_chapter_s_third_finding_waits_for_the_others_even_when_it_ranks_higher():
    records = _records({"01": [6, 6, 6, 6], "02": [1, 1, 1], "03": [2]})
    top = _texts(records)
    assert top == ["01-0", "01-1", "03-0", "02-0", "02-1"]
    assert sum(t.startswith("01") for t in top) == 2


def test_with_only_two_chapters_the_fifth_place_goes_to_the_higher_ranked_finding():
    records = _records({"01": [6, 6, 6, 6], "02": [1, 1, 1]})
    assert _texts(records) == ["01-0", "01-1", "01-2", "02-0", "02-1"]


def test_a_single_chapter_with_findings_still_fills_the_summary():
    records = _records({"00": [0], "01": [5, 4, 3, 2, 1, 1]})
    assert _texts(records) == ["01-0", "01-1", "01-2", "01-3", "01-4"]


def test_data_gaps_and_facts_never_take_a_finding_s_place():
    records = _records({"01": [-1, 0, 4], "02": [0, 0]})
    records["02"]["messages"].append({"text": "gap", "priority": 5, "gap": True})
    assert _texts(records) == ["01-2", "01-1", "02-0"]  # one finding, then each chapter's first fact


def test_one_indicator_stated_by_two_chapters_is_one_finding():
    # the overview and the treatment chapter both compare drug-poisoning admissions (Fingertips-style id)
    # with England: the summary gives it once, from the first chapter at the highest rank, and the freed
    # place goes to the next finding
    records = {
        "00": {"messages": [{"text": "overview: admissions", "priority": 6, "subject": "99901"},
                            {"text": "overview: alcohol", "priority": 6, "subject": "92906"}]},
        "02": {"messages": [{"text": "treatment: admissions", "priority": 6, "subject": "99901"},
                            {"text": "treatment: alcohol", "priority": 6, "subject": "92906"},
                            {"text": "treatment: completions", "priority": 5, "subject": "90244"},
                            {"text": "treatment: waits", "priority": 4}]},
    }
    assert _texts(records) == ["overview: admissions", "overview: alcohol", "treatment: completions",
                               "treatment: waits"]

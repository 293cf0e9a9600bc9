"""Key-message sentences say direction, size, significance and comparator."""

from cdp_analysis.report.narrative import KeyMessage, change_sentence, rate_sentence, share_sentence, to_markdown


def test_rate_sentence_follows_the_needs_assessment_template():
    text = rate_sentence("Barnet", "drug offence rate", 2.04, "per 1,000 residents", "Jan 2024 to Dec 2024",
                         [("London", "Lower", 3.1), ("England", "Similar", 2.2)])
    assert text == ("Barnet drug offence rate was 2.0 per 1,000 residents (Jan 2024 to Dec 2024), "
                    "significantly lower than London (3.1) and similar to England (2.2).")


def test_change_sentence_reports_size_and_significance():
    change = {"one_year_pct": 12.4, "one_year_value": 2.0, "one_year_period": "2023", "one_year_significant": False,
              "five_year_pct": -30.0, "five_year_value": 3.2, "five_year_period": "2019", "five_year_significant": True}
    text = change_sentence("drug offence rate", change)
    assert "up 12% on a year earlier (2.0 per 1,000 residents, 2023; within the range of chance variation)" in text
    assert "down 30% on five years earlier (3.2 per 1,000 residents, 2019; a statistically significant change)" in text


def test_change_sentence_without_history():
    assert "not yet a full year" in change_sentence("rate", {"one_year_pct": None, "five_year_pct": None})


def test_share_sentence():
    assert share_sentence(["A"], 0.333, 18, "drug offences") == "One of the 18 wards (A) accounts for 33% of drug offences."


def test_markdown_lists_messages_then_recommendations_and_synthetic_note():
    text = to_markdown([KeyMessage("Finding one.", "Do this.", "Supply"), KeyMessage("Finding two.")], synthetic=True)
    assert text.splitlines()[:2] == ["- Finding one.", "- Finding two."]
    assert "- Do this. *(Supply)*" in text
    assert "Synthetic demonstration data" in text


# ranking: what matters to a partnership ----------------------------------------------------------------

def test_judge_ranks_worse_than_england_by_a_margin_then_neighbours_then_reach():
    from cdp_analysis.report import narrative as n

    # deaths 6.3 against England 5.4: 17% worse (over the 10% that matters)
    assert n.judge([("England", "Higher", 5.4)], 6.3, low_is_good=True) == n.RANK_WORSE_ENGLAND
    # significantly worse but by 2% (5.5 against 5.4): below a margin that matters
    assert n.judge([("England", "Higher", 5.4)], 5.5, low_is_good=True) == n.RANK_WORSE
    # worse than the region only
    assert n.judge([("London", "Higher", 3.0), ("England", "Similar", 3.4)], 3.6, low_is_good=True) == n.RANK_WORSE
    # criminal-justice referrals 8.5% against England 12.5%: a group reached less than its need
    assert n.judge([("England", "Lower", 12.5)], 8.5, low_is_good=False, reach=True) == n.RANK_REACHED_LESS
    # higher where higher is good: better, not a problem
    assert n.judge([("England", "Higher", 12.5)], 15.0, low_is_good=False) == n.RANK_BETTER
    # no better or worse direction: differs, ranked below every problem
    assert n.judge([("England", "Lower", 20.0)], 10.0, low_is_good=None) == n.RANK_DIFFERS
    assert n.judge([("England", "Similar", 20.0)], 21.0, low_is_good=True) == n.RANK_CONTEXT
    assert n.RANK_WORSE_ENGLAND > n.RANK_WORSE >= n.RANK_GETTING_WORSE > n.RANK_REACHED_LESS > n.RANK_CONCENTRATION \
        > n.RANK_DIFFERS > n.RANK_BETTER > n.RANK_CONTEXT > n.RANK_GAP


def test_ranked_keeps_five_findings_highest_first_and_gaps_apart():
    from cdp_analysis.report import narrative as n

    facts = [KeyMessage(f"Fact {i}.") for i in range(3)]
    findings = [KeyMessage("Better.", rank=n.RANK_BETTER), KeyMessage("Reach.", rank=n.RANK_REACHED_LESS),
                KeyMessage("Worse than England.", "Act on it.", rank=n.RANK_WORSE_ENGLAND),
                KeyMessage("Hotspots.", rank=n.RANK_CONCENTRATION), KeyMessage("Rising.", rank=n.RANK_GETTING_WORSE),
                KeyMessage("Differs.", rank=n.RANK_DIFFERS), KeyMessage("Worse than region.", rank=n.RANK_WORSE)]
    gap = KeyMessage("The data holds no deaths for this area, so significantly worse than England cannot be said.",
                     gap=True)
    shown, gaps = n.ranked([facts[0], gap, *findings, *facts[1:]])
    assert [m.text for m in shown] == ["Worse than England.", "Rising.", "Worse than region.", "Reach.", "Hotspots."]
    assert gaps == [gap] and n.priority(gap) < 0
    # fewer than three findings: facts fill in, in reading order; a gap never does
    shown, _ = n.ranked([facts[0], gap, findings[1], facts[1]])
    assert [m.text for m in shown] == ["Reach.", "Fact 0.", "Fact 1."]


def test_markdown_lists_data_gaps_apart_and_recommendations_only_of_findings_shown():
    from cdp_analysis.report import narrative as n

    shown = [KeyMessage("Worse.", "Act on worse.", "Supply", rank=n.RANK_WORSE)]
    gap = KeyMessage("No Fingertips data.", "Add the data.", gap=True)
    text = to_markdown(shown, gaps=[gap])
    findings, gaps = text.split("**Data gaps**")
    assert "Worse." in findings and "Act on worse." in findings and "No Fingertips data." not in findings
    assert "No Fingertips data." in gaps and "Add the data." not in text


def test_chapter_key_messages_are_at_most_five_ranked_with_gaps_apart():
    from cdp_analysis.chapters.base import Section, key_messages
    from cdp_analysis.report import narrative as n

    messages = [KeyMessage(f"Context {i}.") for i in range(12)]
    messages += [KeyMessage(f"Finding {r}.", f"Recommendation {r}.", rank=r) for r in (1, 2, 3, 4, 5, 6)]
    messages.insert(3, KeyMessage("Gap.", gap=True))
    text = key_messages([Section("A", messages=messages[:9]), Section("B", messages=messages[9:])], synthetic=False)
    body, gaps = text.split("**Data gaps**")
    listed = [line[2:] for line in body.split("**Recommendations**")[0].splitlines() if line.startswith("- ")]
    assert listed == ["Finding 6.", "Finding 5.", "Finding 4.", "Finding 3.", "Finding 2."]
    assert "Recommendation 1." not in text and "Context" not in text  # stays in its section
    assert "Gap." in gaps and n.MAX_KEY_MESSAGES == 5


def test_executive_summary_ranks_with_the_chapters_rule_and_never_a_gap():
    from cdp_analysis.publishing.summary import data_gaps, top_messages
    from cdp_analysis.report import narrative as n

    records = {
        "00": {"messages": [{"text": "No Fingertips data.", "priority": n.RANK_GAP, "gap": True},
                            {"text": "Similar.", "priority": 0}]},
        "02": {"messages": [{"text": "Mixed share higher than England.", "priority": n.RANK_CONTEXT},
                            {"text": "Criminal justice referrals lower.", "priority": n.RANK_REACHED_LESS},
                            {"text": "Deaths worse than England.", "priority": n.RANK_WORSE_ENGLAND}]},
        "03": {"messages": [{"text": "Suspensions rising.", "priority": n.RANK_GETTING_WORSE}]},
    }
    top = [m["text"] for m in top_messages(records)]
    assert top == ["Deaths worse than England.", "Suspensions rising.", "Criminal justice referrals lower."]
    assert [g["text"] for g in data_gaps(records)] == ["No Fingertips data."]


def test_a_gap_given_among_messages_is_listed_apart_without_its_recommendation():
    gap = KeyMessage("The data holds none of the Fingertips indicators for Barnet.", "Add the indicators.", gap=True)
    text = to_markdown([gap, KeyMessage("Finding.", "Act.")])
    findings, gaps = text.split("**Data gaps**")
    assert "Barnet" not in findings and "Barnet" in gaps and "Add the indicators." not in text

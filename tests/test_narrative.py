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

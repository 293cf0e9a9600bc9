"""Words from the shape of the data: a distribution by its peak and its slope index of inequality,
never by two chosen points; periods compared only like for like (issue 17)."""

from __future__ import annotations

import pandas as pd
import pytest

from cdp_analysis.indicators import supply


def _gradient(rates: dict[int, float], counts: dict[int, int]) -> pd.DataFrame:
    labels = {1: "1 (most deprived)", 5: "5 (least deprived)"}
    return pd.DataFrame({"quintile": list(rates), "label": [labels.get(q, str(q)) for q in rates],
                         "value": list(rates.values()), "count": [counts[q] for q in rates]})


def test_city_of_london_shape_names_the_peak_and_claims_no_rise():
    # City of London (shared police files): quintiles 2, 4 and 5 only, quintile 4 holding the peak
    rows = _gradient({2: 23.1, 4: 267.4, 5: 7.2}, {2: 60, 4: 312, 5: 28})
    text, direction = supply.describe_gradient(rows, None, "City of London")
    assert direction == "unmeasured"
    assert "quintile 4 (267.4 per 1,000 residents a year" in text
    assert f"{312 / (60 + 312 + 28) * 100:.0f}% of the drug offences" in text  # 78%
    assert "rise" not in text and "quintile 2 (" not in text and "no gradient with deprivation is measured" in text


@pytest.mark.parametrize(("index", "direction", "words"), [
    ({"sii": -4.0, "lower_ci": -6.0, "upper_ci": -2.0}, "rising", "rise with deprivation"),
    ({"sii": 3.0, "lower_ci": 1.0, "upper_ci": 5.0}, "falling", "higher in less deprived"),
    ({"sii": -1.0, "lower_ci": -3.0, "upper_ci": 1.0}, "none", "no significant gradient"),
])
def test_gradient_direction_comes_from_the_slope_index_not_the_ends(index, direction, words):
    # the ends (quintile 1 high, quintile 5 low) would suggest a rise; only the SII may say so
    rows = _gradient({1: 9.0, 2: 3.0, 3: 12.0, 4: 2.0, 5: 1.0}, {1: 90, 2: 30, 3: 120, 4: 20, 5: 10})
    text, found = supply.describe_gradient(rows, index, "A", share=False)
    assert found == direction and words in text
    assert "quintile 3 (12.0 per 1,000" in text and "% of the" not in text  # the peak; no share when asked


def _window(end: str, months: int, value: float, half_width: float = 0.1) -> dict:
    end = pd.Timestamp(end)
    return {"area_code": "A", "period_end": end, "months_with_data": months, "count": 100,
            "period": f"to {end:%b %Y}" + ("" if months == 12 else f", {months} months of data"),
            "value": value, "lower_ci": value - half_width, "upper_ci": value + half_width}


def test_change_is_measured_only_between_full_windows():
    rates = pd.DataFrame([_window("2018-11-01", 8, 1.0), _window("2019-11-01", 12, 2.0),
                          _window("2020-11-01", 12, 3.0), _window("2022-11-01", 12, 4.0),
                          _window("2023-11-01", 12, 5.0)])
    change = supply.change_over_time(rates, "A")
    # a year earlier is full: (5 - 4) / 4
    assert change["one_year_pct"] == pytest.approx(25.0) and change["one_year_not_compared"] is None
    # five years earlier holds 8 months: shown apart, not compared
    assert change["five_year_pct"] is None and change["five_year_not_compared"] == "to Nov 2018, 8 months of data"


def test_a_partial_latest_window_is_never_compared():
    rates = pd.DataFrame([_window("2019-11-01", 12, 2.0), _window("2020-11-01", 11, 3.0)])
    change = supply.change_over_time(rates, "A")
    assert change["one_year_pct"] is None and change["one_year_not_compared"] == "to Nov 2020, 11 months of data"


def test_methods_page_states_the_thresholds_the_code_uses(tmp_path):
    from cdp_analysis.indicators import spine
    from cdp_analysis.publishing.export import write_methods_page
    from cdp_analysis.report import narrative
    from cdp_analysis.stats.trend import TREND_CHI2_THRESHOLD

    page = write_methods_page(tmp_path, policy="ndtms", policy_rule="counts 1 to 4 are suppressed").read_text()
    assert f"{TREND_CHI2_THRESHOLD:.4f}" in page and "99.8% level" in page  # 9.5495
    words = {5: "five"}[narrative.MAX_KEY_MESSAGES]
    assert f"At most {words} a chapter" in page
    assert f"{narrative.MARGIN_THAT_MATTERS:.0%} or more" in page and f"at least {spine.COMPLETE_SHARE:.0%}" in page

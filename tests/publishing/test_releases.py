"""Publishers' release calendars: a date only where recorded or following from a stated schedule
(labelled "expected"), never the files' own dates; the About sheet and page blocks say which is which."""

from __future__ import annotations

import datetime as dt

import pytest

from cdp_analysis.errors import DataFormatError
from cdp_analysis.publishing import datapack, releases


@pytest.mark.parametrize(("latest", "expected"), [
    ("2025-12", "expected by the end of January 2026 for December 2025"),  # the year turns
    ("2024-01", "expected by the end of February 2024 for January 2024"),
    ("2023-11", "expected by the end of December 2023 for November 2023"),
])
def test_police_month_is_expected_by_the_end_of_the_next_month(latest, expected):
    words = releases.release_words({"source": "street_crime", "months": ["2020-01", latest, 12],
                                    "file_dates": ["2026-12-07", "2026-12-07"]})
    assert words.startswith(expected + ", the latest month held")
    assert "not a recorded date" in words and "2026-12-07" not in words  # the file date is never a release


def test_fixed_releases_are_recorded_dates_and_others_say_they_are_not_stated():
    calendar = releases.calendar()
    assert releases.release_words({"source": "imd"}) == "published 2019-09-26"
    assert releases.release_words({"source": "census"}) == "published 2022-11-29"
    for source in ("ndtms", "indicators", "children_in_need", "boundaries"):
        words = releases.release_words({"source": source, "file_dates": ["2024-05-01", "2024-05-01"]})
        assert words.startswith("not stated") and not any(ch.isdigit() for ch in words)
        assert calendar[source].citation.startswith("https://")
    assert releases.release_words({"source": "street_crime"}).startswith("not known")  # months not recorded
    assert releases.release_words({"source": "something_new"}).startswith("not known")
    assert releases.release_words({"source": "police_counts", "file_dates": ["2024-05-01"] * 2}).startswith(
        "derived here")
    assert releases.release_words({"source": "imd"}, synthetic=True).startswith("none: synthetic")


def test_every_source_the_pack_names_has_a_calendar_entry_and_every_fixed_date_is_a_date():
    calendar = releases.calendar()
    produced = set(datapack.PUBLISHERS) - {"police_uk", "fingertips", "lookups"}  # the manifest's names
    assert produced <= set(calendar), produced - set(calendar)
    for entry in calendar.values():
        assert entry.rule in releases.RULES and entry.schedule
        if entry.rule == "fixed":
            assert dt.date.fromisoformat(entry.release) < dt.date(2026, 1, 1)


def test_a_calendar_row_with_a_bad_rule_or_no_date_is_refused_naming_line_and_column():
    header = "source,rule,release,schedule,citation,period_column,year_kind,lag_months,lag_basis\n"
    with pytest.raises(DataFormatError, match=r"calendar\.csv.*line 3.*rule"):
        releases.parse_calendar(header + "imd,fixed,2019-09-26,x,y,,,,\nndtms,sometimes,,x,y,,,,\n", "calendar.csv")
    with pytest.raises(DataFormatError, match=r"calendar\.csv.*line 2.*release"):
        releases.parse_calendar(header + "imd,fixed,,x,y,,,,\n", "calendar.csv")
    with pytest.raises(DataFormatError, match=r"calendar\.csv.*line 1.*citation"):
        releases.parse_calendar("source,rule,release,schedule\n", "calendar.csv")


def test_about_sheet_labels_release_and_file_date_apart():
    police = {"source": "street_crime", "months": ["2024-01", "2025-06", 18], "file_dates": ["2026-01-02"] * 2,
              "examples": ["2025-06-cleveland-street.csv"]}
    rows = datapack._about_rows([police, {"source": "imd", "file_dates": ["2026-01-02"] * 2}], area="Hartlepool",
                                built="2026-12-07", policy_rule="counts 1-4 suppressed", version="1",
                                synthetic=False)
    header = next(r for r in rows if r and r[0] == "Source")
    table = {r[0]: dict(zip(header, r)) for r in rows[rows.index(header) + 1:]}
    assert table["street_crime"]["Release date"].startswith("expected by the end of July 2025 for June 2025")
    assert table["street_crime"]["File date"] == "2026-01-02"
    assert table["street_crime"]["Schedule stated at"] == "https://data.police.uk/changelog/"
    assert table["imd"]["Release date"] == "published 2019-09-26"
    demo = datapack._about_rows([police], area="Brackenmoor", built="2026-12-07", policy_rule="", version="1",
                                synthetic=True)
    assert any(r and r[0] == "street_crime" and r[2].startswith("none: synthetic") for r in demo)

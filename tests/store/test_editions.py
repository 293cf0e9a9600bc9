"""Editions (`cdp build --as-of`): which periods count as published by a date, and the store's reads.

Publication dates are worked out by hand from each rule (last month of the period
plus the lag) and the periods' calendars, never read back from the code.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cdp_analysis.errors import ConfigError
from cdp_analysis.store import editions
from cdp_analysis.store.dataset import Dataset


@pytest.mark.parametrize(("period", "kind", "end", "months"), [
    ("2019", "financial", "2019-12", 12),                 # a calendar year
    ("2019/20", "financial", "2020-03", 12),              # April 2019 to March 2020
    ("2016/17", "academic", "2017-08", 12),               # September 2016 to August 2017
    ("201617", "academic", "2017-08", 12),                # DfE time_period spelling
    ("2018 - 20", "financial", "2020-12", 36),            # three calendar years pooled
    ("2017/18 - 19/20", "financial", "2020-03", 36),      # three financial years pooled
    ("1999/00", "financial", "2000-03", 12),              # across the century
    ("2021/22 Q3", "financial", "2021-12", 3),            # October to December 2021
    ("2023-01", "financial", "2023-01", 1),               # a police.uk month
])
def test_period_span_reads_each_calendar(period, kind, end, months):
    assert editions.period_span(period, kind) == (pd.Period(end, freq="M"), months)


@pytest.mark.parametrize("period", ["2019/21", "20 - 19", "Apr 2019 to Mar 2020", "", "2019-13"])
def test_period_span_refuses_what_it_cannot_read(period):
    assert editions.period_span(period) is None


@pytest.mark.parametrize(("table", "period", "first_edition"), [
    ("street_crime", "2023-01", "2023-03"),       # police.uk month M: end of M+2
    ("stop_search", "2022-11", "2023-01"),
    ("indicators", "2019/20", "2021-03"),         # Fingertips: a year after March 2020
    ("indicators", "2018 - 20", "2021-12"),
    ("ndtms", "2021/22", "2022-12"),              # NDTMS: nine months after March 2022
    ("children_in_need", "2021/22", "2022-11"),   # DfE CIN: eight months after March 2022
    ("looked_after", "2021/22", "2022-12"),
    ("exclusions", "2016/17", "2018-07"),         # DfE exclusions: July after the academic year
    ("csew", "2020-03", "2020-10"),               # CSEW year ending March 2020: seven months on
])
def test_a_period_is_published_from_its_first_edition_not_before(table, period, first_edition):
    first = pd.Period(first_edition, freq="M")
    assert editions.is_published(table, period, first)
    assert not editions.is_published(table, period, first - 1)


def test_undated_tables_are_always_published_and_unreadable_periods_never():
    assert editions.is_published("population", "anything", pd.Period("1990-01", freq="M"))
    assert not editions.is_published("indicators", "sometime", pd.Period("2030-01", freq="M"))


def test_every_rule_names_its_basis_and_a_lag():
    assert set(editions.PUBLICATION_RULES) >= {"street_crime", "indicators", "ndtms", "children_in_need",
                                                "looked_after", "exclusions", "csew"}
    for rule in editions.PUBLICATION_RULES.values():
        assert rule.lag_months > 0 and rule.basis and rule.year_kind in ("financial", "academic")


@pytest.mark.parametrize("text", ["2023-13", "2023-3", "March 2023", "", "2023-03-01"])
def test_a_month_that_is_not_yyyy_mm_is_refused(text):
    with pytest.raises(ConfigError, match="YYYY-MM"):
        editions.parse_month(text)


def test_earlier_edition_and_label():
    assert editions.earlier_edition("2025-12", 3) == pd.Period("2022-12", freq="M")
    assert editions.month_label("2023-03") == "March 2023"


def test_published_drops_rows_of_later_periods_and_of_later_releases():
    frame = pd.DataFrame({"period": ["2014/15", "2015/16", "2016/17", "2015/16"],
                          "release": ["2015/16", "2015/16", "2016/17", "2016/17"], "value": [1, 2, 3, 4]})
    # July 2017: the 2015/16 release is out (July 2017 = August 2016 + 11), the 2016/17 one is not (July 2018)
    kept = editions.published("exclusions", frame, pd.Period("2017-07", freq="M"))
    assert kept["value"].tolist() == [1, 2]
    assert editions.published("exclusions", frame, pd.Period("2018-07", freq="M"))["value"].tolist() == [1, 2, 3, 4]


def test_dataset_edition_reads_only_months_published(tmp_path):
    """A police table of six months: the edition of March 2023 holds months to January 2023."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for month in ("2022-09", "2022-10", "2022-11", "2022-12", "2023-01", "2023-02"):
        folder = tmp_path / "street_crime" / f"month={month}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"lsoa_code": ["E01000001"], "crime_type": ["Drugs"]}), folder / "part-0.parquet")
    assert Dataset(tmp_path).months() == ["2022-09", "2022-10", "2022-11", "2022-12", "2023-01", "2023-02"]
    edition = Dataset(tmp_path).edition("2023-03")
    assert edition.months() == ["2022-09", "2022-10", "2022-11", "2022-12", "2023-01"]
    assert repr(edition).endswith("as_of='2023-03')")
    assert Dataset(tmp_path, "2022-11").months() == ["2022-09"]


def test_dataset_edition_filters_the_indicator_table(tmp_path):
    from cdp_analysis.sources.schema import indicator_table

    indicator_table([
        {"area_code": "E06000001", "indicator_id": "92432", "period": p, "value": v}
        for p, v in (("2017 - 19", 1.0), ("2018 - 20", 2.0), ("2019 - 21", 3.0))
    ]).to_parquet(tmp_path / "indicators.parquet")
    # "2019 - 21" ends December 2021: published in December 2022, not in November
    assert Dataset(tmp_path, "2022-11").indicators()["value"].tolist() == [1.0, 2.0]
    assert Dataset(tmp_path, "2022-12").indicators()["value"].tolist() == [1.0, 2.0, 3.0]
    assert Dataset(tmp_path).indicators()["value"].tolist() == [1.0, 2.0, 3.0]


def test_one_timing_table_gives_the_editions_lags_and_the_pages_release_calendar():
    """The lags and the release calendar are rows of one table: a source's lag and its release rule sit together."""
    from cdp_analysis.publishing import releases
    from cdp_analysis.store import timing

    table = timing.timing()
    assert releases.calendar() is table
    dated = {source for source, row in table.items() if row.dated}
    assert dated == set(editions.PUBLICATION_RULES)
    # the police.uk month is published the month after next (a lag of 2), its release expected the month after
    assert editions.PUBLICATION_RULES["street_crime"].lag_months == 2 and table["street_crime"].rule == "police_monthly"
    assert not table["imd"].dated and table["imd"].release == "2019-09-26"


@pytest.mark.parametrize(("row", "column"), [
    ("ndtms,not_stated,,s,c,period,financial,0,why", "lag_months"),
    ("ndtms,not_stated,,s,c,period,financial,nine,why", "lag_months"),
    ("ndtms,not_stated,,s,c,period,calendar,9,why", "year_kind"),
    ("ndtms,not_stated,,s,c,,financial,9,why", "period_column"),
    ("ndtms,not_stated,,s,c,period,financial,9,", "lag_basis"),
])
def test_a_timing_row_with_a_bad_lag_is_refused_naming_line_and_column(row, column):
    from cdp_analysis.errors import DataFormatError
    from cdp_analysis.store.timing import parse_timing

    header = "source,rule,release,schedule,citation,period_column,year_kind,lag_months,lag_basis\n"
    with pytest.raises(DataFormatError, match=rf"timing\.csv.*line 3.*{column}"):
        parse_timing(header + "imd,fixed,2019-09-26,s,c,,,,\n" + row + "\n", "timing.csv")
    with pytest.raises(DataFormatError, match=r"timing\.csv.*line 3.*source"):
        parse_timing(header + "imd,fixed,2019-09-26,s,c,,,,\nimd,none,,s,c,,,,\n", "timing.csv")

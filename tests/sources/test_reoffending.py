"""sources/reoffending.py: the MoJ proven reoffending figures by local authority.

The fixture ``fixtures/proven_reoffending_la_2022-23.csv`` is a generated copy (see
``fixtures/README.md``); the expected values are read off its rows.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from cdp_analysis.errors import DataFormatError, InconsistentDataError
from cdp_analysis.sources.reoffending import cohort_period, is_proven_reoffending, read_proven_reoffending

FIXTURE = Path(__file__).parent / "fixtures" / "proven_reoffending_la_2022-23.csv"


def test_reads_offenders_and_reoffenders_by_area_type_and_cohort() -> None:
    frame = read_proven_reoffending(FIXTURE)
    assert len(frame) == 13
    row = frame[(frame["area_code"] == "E06000001") & (frame["period"] == "2022/23")
                & (frame["offender_type"] == "adult")].iloc[0]
    assert (row["offenders"], row["reoffenders"], row["reoffences"]) == (1288, 412, 1398)  # "1,288" read as 1288
    assert row["cohort"] == "Apr 2022 to Mar 2023"
    quarter = frame[frame["period"] == "2022/23 Q4"].iloc[0]
    assert (quarter["area_code"], quarter["offenders"]) == ("E06000001", 330)


def test_suppressed_cohorts_are_missing_never_zero() -> None:
    frame = read_proven_reoffending(FIXTURE)
    city = frame[(frame["area_code"] == "E09000001") & (frame["offender_type"] == "juvenile")]
    assert len(city) == 2 and city["offenders"].isna().all() and city["reoffenders"].isna().all()
    assert city["note"].str.contains("suppressed").all()


@pytest.mark.parametrize(("cohort", "period"), [
    ("Apr 2022 to Mar 2023", "2022/23"), ("April 2022 to March 2023", "2022/23"),
    ("Jan 2023 to Mar 2023", "2022/23 Q4"), ("Jul 2022 to Sep 2022", "2022/23 Q2"), ("2022", None)])
def test_cohort_periods(cohort, period) -> None:
    assert cohort_period(cohort) == period


def test_classifier() -> None:
    assert is_proven_reoffending(FIXTURE)
    assert not is_proven_reoffending(FIXTURE.with_name("hclic_A3_2023-24.csv"))


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / FIXTURE.name
    shutil.copy(FIXTURE, path)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_bad_count_names_file_line_and_column(tmp_path) -> None:
    path = _edited(tmp_path, "Hartlepool,71,24,90", "Hartlepool,71,twenty,90")
    with pytest.raises(DataFormatError) as err:
        read_proven_reoffending(path)
    assert (err.value.line, err.value.column) == (5, "Number of reoffenders")


def test_a_proportion_that_disagrees_with_its_counts_is_an_error(tmp_path) -> None:
    path = _edited(tmp_path, "1,320\",401,\"1,502\",30.4", "1,320\",401,\"1,502\",40.4")
    with pytest.raises(InconsistentDataError) as err:
        read_proven_reoffending(path)
    assert err.value.line == 4 and "Proportion" in str(err.value.column)


def test_more_reoffenders_than_offenders_is_an_error(tmp_path) -> None:
    path = _edited(tmp_path, "Hartlepool,71,24,90,33.8", "Hartlepool,71,72,90,101.4")
    with pytest.raises(InconsistentDataError, match="more reoffenders"):
        read_proven_reoffending(path)


def test_an_unknown_offender_type_is_an_error(tmp_path) -> None:
    path = _edited(tmp_path, "Juvenile,E06000001", "Youth,E06000001")
    with pytest.raises(DataFormatError) as err:
        read_proven_reoffending(path)
    assert err.value.column == "Offender type" and "Youth" in str(err.value)


def test_a_missing_column_is_named(tmp_path) -> None:
    path = _edited(tmp_path, "Number of reoffenders", "Reoffenders")
    with pytest.raises(DataFormatError, match="required column missing"):
        read_proven_reoffending(path)


def test_values_never_come_from_the_published_proportion() -> None:
    frame = read_proven_reoffending(FIXTURE)
    england = frame[(frame["area_code"] == "E92000001") & (frame["offender_type"] == "adult")
                    & (frame["period"] == "2021/22")].iloc[0]
    assert np.isclose(100 * england["reoffenders"] / england["offenders"], 100 * 94480 / 370512)

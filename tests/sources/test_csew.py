"""CSEW workbook reader and the synthetic local estimate, against cells read with openpyxl."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cdp_analysis.errors import DataFormatError, InconsistentDataError
from cdp_analysis.sources import csew
from tests.conftest import require_shared

WORKBOOK = "data/real/other/drugsmisusetablesjune22.xlsx"


@pytest.fixture(scope="module")
def path():
    return require_shared(WORKBOOK)


@pytest.fixture(scope="module")
def frame(path):
    return csew.read_csew(path)


@pytest.fixture(scope="module")
def sheets(path):
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    out = {name: [list(r) for r in book[name].iter_rows(values_only=True)] for name in ("1.02", "3.04")}
    book.close()
    return out


def _find(rows, label, after=None):
    start = 0 if after is None else next(i for i, r in enumerate(rows) if r[0] == after)
    return next(r for r in rows[start:] if isinstance(r[0], str) and r[0].strip().startswith(label))


def test_sex_and_age_rates_match_the_cells(frame, sheets):
    rows = sheets["3.04"]
    header = next(r for r in rows if r[0] == "Age breakdown")
    latest = max(j for j, h in enumerate(header) if h and "Significance" not in h and j)
    any_drug = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("Any drug"))
    women_young = next(r for r in rows[any_drug:] if r[0] == "Women")
    women_index = rows.index(women_young, any_drug)
    cell = rows[women_index + 1]  # 16–24 under Women
    base_block = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("Unweighted base"))
    base = next(r for r in rows[base_block:] if r[0] == "Women")
    base_young = rows[rows.index(base, base_block) + 1]
    got = frame[(frame["table"] == "3.04") & (frame["drug"] == "Any drug") & (frame["sex"] == "Female")
                & (frame["age"] == "16-24") & (frame["period"] == header[latest])].iloc[0]
    assert got["value"] == pytest.approx(cell[latest])
    assert got["unweighted_base"] == base_young[latest]
    assert got["lower_ci"] < got["value"] < got["upper_ci"]


def test_cocaine_for_16_to_59_and_interval_from_the_base(frame, sheets):
    rows = sheets["1.02"]
    header = next(r for r in rows if r[0] == "Drug type")
    j = header.index("Oct 2021 to Jun 2022")
    value = _find(rows, "Any cocaine")[j]
    base = _find(rows, "Unweighted base")[j]
    got = frame[(frame["table"] == "1.02") & (frame["drug"] == "Any cocaine")
                & (frame["year_ending"] == "2022-06")].iloc[0]
    assert got["value"] == pytest.approx(value) and got["unweighted_base"] == base
    # Wilson interval on base / 1.2**2, computed here independently
    n, p, z = base / 1.44, value / 100, 1.959963984540054
    centre, half = (p + z * z / (2 * n)), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert got["lower_ci"] == pytest.approx((centre - half) / (1 + z * z / n) * 100)
    assert got["upper_ci"] == pytest.approx((centre + half) / (1 + z * z / n) * 100)


def test_markers_are_missing_with_meaning(frame, sheets):
    rows = sheets["1.02"]
    header = next(r for r in rows if r[0] == "Drug type")
    row = _find(rows, "Ketamine")
    j = next(k for k, v in enumerate(row) if v == "[x]")
    got = frame[(frame["table"] == "1.02") & (frame["drug"] == "Ketamine") & (frame["period"] == header[j])].iloc[0]
    assert np.isnan(got["value"]) and got["marker"] == "[x]" and "not asked" in got["note"]


def test_is_csew(path):
    assert csew.is_csew(path)
    assert not csew.is_csew(require_shared("data/real/dfe_exclusions/reasons.csv"))


def test_survey_rates_pick_the_latest_complete_year(frame):
    rates = csew.survey_rates(frame, "Cannabis")
    assert len(rates) == 4 and set(rates["year_ending"]) == {"2022-06"}
    assert set(zip(rates["sex"], rates["age"], strict=True)) == {("Male", "16-24"), ("Male", "25-59"),
                                                                  ("Female", "16-24"), ("Female", "25-59")}


def test_apply_survey_rates_hand_example():
    rates = pd.DataFrame({"sex": ["Male", "Female"], "age_min": [16, 16], "age_max": [24, 24],
                          "value": [10.0, 5.0], "lower_ci": [8.0, 3.0], "upper_ci": [12.0, 7.0]})
    population = pd.DataFrame({"area_code": ["A"] * 6, "area_name": ["Alpha"] * 6,
                               "sex": ["Male", "Male", "Female", "Female", "Male", "Persons"],
                               "age": [16, 24, 20, 30, 40, 20], "population": [300, 700, 2000, 999, 5, 10_000]})
    out = csew.apply_survey_rates(rates, population).set_index(["level", "sex"])
    assert out.loc[("age band", "Male"), "population"] == 1000  # ages 16 and 24 count, 40 does not
    assert out.loc[("age band", "Male"), "estimate"] == pytest.approx(100)
    assert out.loc[("age band", "Male"), "lower"] == pytest.approx(80)
    assert out.loc[("age band", "Male"), "upper"] == pytest.approx(120)
    assert out.loc[("age band", "Female"), "estimate"] == pytest.approx(100)
    total = out.loc[("persons", "Persons")]
    # independent bands: se = sqrt((20/z)^2 + (40/z)^2), limits estimate -/+ z*se = 200 -/+ sqrt(20^2 + 40^2)
    assert total["estimate"] == pytest.approx(200)
    assert total["lower"] == pytest.approx(200 - math.sqrt(20**2 + 40**2))
    assert total["upper"] == pytest.approx(200 + math.sqrt(20**2 + 40**2))
    assert total["population"] == 3000 and "assumes local rates equal national" in total["method"]


def test_apply_survey_rates_rejects_bad_rates():
    rates = pd.DataFrame({"sex": ["Male"], "age_min": [16], "age_max": [24], "value": [10.0],
                          "lower_ci": [11.0], "upper_ci": [12.0]})
    population = pd.DataFrame({"area_code": ["A"], "sex": ["Male"], "age": [20], "population": [10]})
    with pytest.raises(InconsistentDataError, match="between its limits"):
        csew.apply_survey_rates(rates, population)


def test_wrong_sheet_title_names_the_sheet(tmp_path):
    book = openpyxl.Workbook()
    for name in csew.CSEW_TABLES:
        book.create_sheet(name).append(["Something else"])
    path = tmp_path / "x.xlsx"
    book.save(path)
    with pytest.raises(DataFormatError, match="1.02"):
        csew.read_csew(path)


def test_demo_workbook_reads_back(tmp_path):
    from cdp_demo.demand import _write_csew

    path = tmp_path / "demo.xlsx"
    _write_csew(path, 3)
    first = path.read_bytes()
    _write_csew(path, 3)
    assert path.read_bytes() == first  # fixed timestamps: byte-identical
    frame = csew.read_csew(path)
    assert set(frame["table"]) == set(csew.CSEW_TABLES)
    assert len(csew.survey_rates(frame)) == 4

"""NDTMS reader: the four real layouts read in place, and one bad file per error.

Expected numbers are computed here with the ``csv`` module from the raw files,
never taken from the reader's output.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import DataFormatError, InconsistentDataError
from cdp_analysis.sources import ndtms

LAS = "data/real/ndtms/ViewIt Export Data_LAs.csv"
ENGLAND = "data/real/ndtms/ViewIt Export Data_England.csv"
ADULTS = "data/real/ndtms/adults_england_ndtms.csv"
ESTIMATES = "data/real/ndtms/Estimates_of_Alcohol_Dependent_Adults_in_England_for_R.csv"
GROUPS = {"Opiate": "opiate", "Non-opiate only": "non-opiate only", "Alcohol only": "alcohol only",
          "Non-opiate & alcohol": "non-opiate and alcohol", "Total": "total"}


def _rows(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def las_path(require_shared) -> Path:
    return require_shared(LAS)


@pytest.fixture(scope="module")
def las(las_path) -> pd.DataFrame:
    return ndtms.read_ndtms(las_path)


def _headline(frame: pd.DataFrame, measure: str, category: str = "total", **where) -> pd.DataFrame:
    keep = (frame["measure"].eq(measure) & frame["category"].eq(category) & frame["sex"].eq("total")
            & frame["age_group"].eq("total"))
    for column, value in where.items():
        keep &= frame[column].eq(value)
    return frame[keep]


# -- the all-LA ViewIt export: Barnet ------------------------------------------------------------


def test_barnet_latest_year_in_treatment_and_completions_by_substance_group(las_path, las):
    raw = _rows(las_path)
    latest = max(r["ReportingPeriod"] for r in raw)
    expected = {}
    for r in raw:
        if (r["ReportingPeriod"] == latest and r["sex"].lower() == "total"
                and r["age_group"].lower() == "total"):
            expected[GROUPS[r["drug_group"]]] = (int(r["intreatment_allintx"]),
                                                 int(r["exits_successfulcompletion_allintx"]))
    assert set(expected) == set(ndtms.SUBSTANCE_GROUPS)
    barnet = las[las["area_code"].eq("E09000003") & las["period"].eq(latest)]
    assert set(barnet["area_name"]) == {"Barnet"}
    for group, (in_treatment, completions) in expected.items():
        got = _headline(barnet, "in_treatment", substance_group=group)
        assert got["count"].tolist() == [in_treatment], group
        done = _headline(barnet, "exits", "successful completion", substance_group=group)
        assert done["count"].tolist() == [completions], group
        assert done["denominator"].tolist() == [in_treatment]
        assert done["value"].iloc[0] == pytest.approx(100 * completions / in_treatment)
    # the four groups make up the total up to NDTMS's rounding of every count to 5
    assert abs(sum(v[0] for g, v in expected.items() if g != "total") - expected["total"][0]) <= 4 * 2.5


def test_null_is_missing_with_a_note_never_zero(las_path, las):
    raw = _rows(las_path)
    nulls = sum(v == "NULL" for r in raw for v in r.values())
    missing = las[las["count"].isna()]
    assert len(missing) == nulls
    assert (missing["note"] == ndtms.NULL_NOTE).all()
    assert las.loc[las["note"].isna(), "count"].notna().all()
    # 2021/22 scnr columns are NULL in the file: missing, not 0
    scnr = _headline(las, "scnr_completions", period="2021/22", substance_group="total")
    assert scnr["count"].isna().all() and scnr["value"].isna().all()


def test_total_and_upper_case_total_both_mean_all(las_path, las):
    raw = _rows(las_path)
    assert {r["sex"] for r in raw} >= {"Total", "TOTAL"}
    assert set(las["sex"]) == {"total", "male", "female"}
    assert set(las["age_group"]) == {"total", "18-29", "30-49", "50+"}
    # one headline in_treatment row per period and group, whichever spelling the file used
    heads = _headline(las, "in_treatment")
    assert len(heads) == len({r["ReportingPeriod"] for r in raw}) * 5
    assert not heads.duplicated(["period", "substance_group"]).any()


def test_breakdown_shares_use_the_cohort_total(las_path, las):
    raw = [r for r in _rows(las_path) if r["ReportingPeriod"] == "2019/20" and r["sex"] == "Total"
           and r["age_group"] == "Total" and r["drug_group"] == "Opiate"][0]
    row = las[las["source_column"].eq("referralsource_criminal_justice_newtx") & las["period"].eq("2019/20")
              & las["sex"].eq("total") & las["age_group"].eq("total") & las["substance_group"].eq("opiate")]
    assert row["count"].tolist() == [int(raw["referralsource_criminal_justice_newtx"])]
    assert row["denominator"].tolist() == [int(raw["newpresentation_newtx"])]
    assert row[["measure", "breakdown", "category"]].iloc[0].tolist() == [
        "new_presentations", "referral_source", "criminal justice"]


def test_columns_and_dtypes(las):
    assert list(las.columns) == list(ndtms.NDTMS_COLUMNS)
    assert {str(t) for t in las.dtypes} <= {"string", "Int64", "Float64"}
    assert set(las["substance_group"]) == set(ndtms.SUBSTANCE_GROUPS)
    assert set(las["measure"]) <= set(ndtms.MEASURES)


def test_is_ndtms(require_shared, tmp_path):
    for name in (LAS, ENGLAND, ADULTS, ESTIMATES):
        assert ndtms.is_ndtms(require_shared(name))
    other = tmp_path / "x.csv"
    other.write_text("Indicator ID,Indicator Name\n1,a\n")
    assert not ndtms.is_ndtms(other)
    assert not ndtms.is_ndtms(tmp_path / "absent.csv")


def _base_of(column: str) -> str | None:
    """The headline column a ViewIt LA count is a share of, by the published naming rules."""
    headlines = {"intreatment_allintx", "newpresentation_newtx", "scnr_intreatment_allintx"}
    if column in headlines or column.startswith(("interventions_", "safeguarding_num_of_children_")):
        return None
    if column in ("scnr_completion_allintx", "scnr_scrn_allintx"):
        return "scnr_intreatment_allintx"
    if column == "scnr_representation_allintx":
        return "scnr_completion_allintx"
    if column.startswith("exits_") or column.endswith("_exits_allintx"):
        return "intreatment_allintx"
    return "newpresentation_newtx" if column.endswith("_newtx") else "intreatment_allintx"


def test_every_cell_of_the_la_export_against_the_csv_module(las_path, las):
    """The whole long frame, row by row: file row r, count column j is tidy row j * n + r."""
    with las_path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    columns, n = header[5:], len(rows)
    # each row is its own cell (Total/TOTAL aside), so a share's base is on the same row
    cells = {(r[0], r[1], r[2].lower(), r[3].lower(), r[4]) for r in rows}
    assert len(cells) == n and len(las) == n * len(columns)

    def number(text: str) -> float:
        return np.nan if text == "NULL" else float(text)

    count, denominator, note = [], [], []
    for j, column in enumerate(columns):
        base = _base_of(column)
        for r in rows:
            count.append(number(r[j + 5]))
            denominator.append(np.nan if base is None else number(r[header.index(base)]))
            note.append(ndtms.NULL_NOTE if r[j + 5] == "NULL" else None)
    count, denominator = np.array(count), np.array(denominator)
    shown = ~np.isnan(count) & ~np.isnan(denominator) & (denominator > 0)
    value = np.where(shown, 100 * count / np.where(shown, denominator, 1), np.nan)

    np.testing.assert_array_equal(las["count"].to_numpy(dtype=float, na_value=np.nan), count)
    np.testing.assert_array_equal(las["denominator"].to_numpy(dtype=float, na_value=np.nan), denominator)
    np.testing.assert_allclose(las["value"].to_numpy(dtype=float, na_value=np.nan), value, rtol=1e-12)
    assert las["unit"].tolist() == ["%" if s else "" for s in shown]
    assert las["note"].fillna("").tolist() == [v or "" for v in note]
    assert las["source_column"].tolist() == [c for c in columns for _ in rows]
    assert las["period"].tolist() == [r[0] for r in rows] * len(columns)
    assert las["area_name"].tolist() == [r[1] for r in rows] * len(columns)
    assert las["period_start"].tolist() == [int(r[0][:4]) for r in rows] * len(columns)
    assert las["lower_ci"].isna().all() and las["upper_ci"].isna().all()
    assert set(las["source"]) == {ndtms.LAYOUTS["viewit_la"]}


def test_quoted_crlf_copy_reads_like_the_plain_file(las_path, tmp_path):
    """A file with quotes goes through the csv module, a plain one is split in bulk: same frame."""
    with las_path.open(encoding="utf-8", newline="") as handle:
        head = list(csv.reader(handle))[:40]
    plain, quoted = tmp_path / "plain.csv", tmp_path / "quoted.csv"
    with plain.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(head)
    with quoted.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(head)
    assert b'"' not in plain.read_bytes() and b'"Barnet"' in quoted.read_bytes()
    expected, got = ndtms.read_ndtms(plain), ndtms.read_ndtms(quoted)
    assert len(expected) == 39 * (len(head[0]) - 5)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


# -- names -----------------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "viewit.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


_LA_HEADER = "ReportingPeriod,Area,sex,age_group,drug_group,intreatment_allintx,exits_successfulcompletion_allintx\n"


def test_explicit_resolver_and_unknown_name_error_names_file_line_column(tmp_path):
    path = _write(tmp_path, _LA_HEADER + "2022/23,Barsetshire,Total,Total,Total,100,20\n"
                                         "2022/23,Wessex,TOTAL,TOTAL,Opiate,NULL,5\n")
    mapping = {"barsetshire": "E10000099"}
    with pytest.raises(DataFormatError) as info:
        ndtms.read_ndtms(path, resolve_name=lambda n: mapping.get(n.lower()))
    message = str(info.value)
    assert "viewit.csv" in message and "line 3" in message and "'Area'" in message and "Wessex" in message
    frame = ndtms.read_ndtms(path, resolve_name=lambda n: mapping.get(n.lower()), on_unknown="report")
    assert frame.attrs["unresolved"] == [{"name": "Wessex", "line": 3, "column": "Area"}]
    assert set(frame.loc[frame["area_name"].eq("Barsetshire"), "area_code"]) == {"E10000099"}
    assert frame.loc[frame["area_name"].eq("Wessex"), "area_code"].isna().all()


def test_registry_resolver_matches_london_names_loosely():
    resolve = ndtms.registry_resolver()
    assert resolve("Barnet") == "E09000003"
    assert resolve("Barking & Dagenham") == "E09000002"
    assert resolve("  KENSINGTON AND CHELSEA ") == "E09000020"
    assert resolve("England") == "E92000001"
    assert resolve("E09000003") == "E09000003"
    assert resolve("Atlantis") is None


def test_bad_values_name_line_and_column(tmp_path):
    cases = {
        "2022/24": "ReportingPeriod", "2022/23x": "ReportingPeriod",
    }
    for period, column in cases.items():
        path = _write(tmp_path, _LA_HEADER + f"{period},Barnet,Total,Total,Total,100,20\n")
        with pytest.raises(DataFormatError, match=f"line 2, column '{column}'"):
            ndtms.read_ndtms(path)
    path = _write(tmp_path, _LA_HEADER + "2022/23,Barnet,X,Total,Total,100,20\n")
    with pytest.raises(DataFormatError, match="line 2, column 'sex'"):
        ndtms.read_ndtms(path)
    path = _write(tmp_path, _LA_HEADER + "2022/23,Barnet,M,Total,Crack,100,20\n")
    with pytest.raises(DataFormatError, match="line 2, column 'drug_group'"):
        ndtms.read_ndtms(path)
    path = _write(tmp_path, _LA_HEADER + "2022/23,Barnet,M,Total,Total,100,20\n2022/23,Barnet,F,Total,Total,ten,2\n")
    with pytest.raises(DataFormatError, match="line 3, column 'intreatment_allintx'"):
        ndtms.read_ndtms(path)
    path = _write(tmp_path, _LA_HEADER + "2022/23,Barnet,M,Total,Total,-5,2\n")
    with pytest.raises(DataFormatError, match="negative count"):
        ndtms.read_ndtms(path)
    path = _write(tmp_path, _LA_HEADER + "2022/23,Barnet,M,Total,Total,5\n")
    with pytest.raises(DataFormatError, match="line 2.*wrong number of fields"):
        ndtms.read_ndtms(path)
    path = _write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(DataFormatError, match="not an NDTMS download"):
        ndtms.read_ndtms(path)
    path = _write(tmp_path, "")
    with pytest.raises(DataFormatError, match="file is empty"):
        ndtms.read_ndtms(path)
    with pytest.raises(ValueError):
        ndtms.read_ndtms(path, on_unknown="ignore")  # type: ignore[arg-type]


def test_counts_in_other_spellings_are_read_cell_by_cell(tmp_path):
    path = _write(tmp_path, _LA_HEADER + "2022/23,Barnet,Total,Total,Total, 100 ,null\n"
                                         "2022/23,Barnet,M,Total,Total,0040,Na\n"
                                         "2022/23,Barnet,F,Total,Total,,7.5\n")
    frame = ndtms.read_ndtms(path)
    heads = frame[frame["source_column"].eq("intreatment_allintx")]
    assert heads["count"].tolist()[:2] == [100, 40] and heads["count"].isna().tolist() == [False, False, True]
    assert "empty" in heads["note"].iloc[2]
    done = frame[frame["source_column"].eq("exits_successfulcompletion_allintx")]
    assert done["count"].isna().tolist() == [True, True, False] and done["count"].iloc[2] == 7.5
    assert done["note"].tolist()[:2] == [ndtms.NULL_NOTE, "not available (NA)"]
    assert done["denominator"].isna().tolist() == [False, False, True]
    assert done["denominator"].tolist()[:2] == [100, 40]


def test_header_only_file_gives_the_empty_typed_frame(tmp_path):
    frame = ndtms.read_ndtms(_write(tmp_path, _LA_HEADER))
    assert frame.empty and [str(t) for t in frame.dtypes] == list(ndtms.NDTMS_COLUMNS.values())


# -- the England layouts ---------------------------------------------------------------------------


def test_england_layout(require_shared):
    path = require_shared(ENGLAND)
    frame = ndtms.read_ndtms(path)
    raw = _rows(path)
    assert set(frame["area_code"]) == {"E92000001"}
    groups = {"total": "total", "opiates": "opiate", "non-opiates only": "non-opiate only",
              "alcohol only": "alcohol only", "alcohol & non-opiates": "non-opiate and alcohol"}
    for r in raw:
        if r["Gender_Data"].lower() == "total" and r["AgeGroup_Data"].lower() == "total":
            group = groups[r["DrugGroup_Data"].lower()]
            got = _headline(frame, "in_treatment", period=r["ReportingPeriod_Data"], substance_group=group)
            assert got["count"].tolist() == [int(r["Num_InTreatment_AllInTx"])]
            black = frame[frame["period"].eq(r["ReportingPeriod_Data"]) & frame["substance_group"].eq(group)
                          & frame["sex"].eq("total") & frame["age_group"].eq("total")
                          & frame["category"].eq("Black")]
            assert black["count"].tolist() == [int(r["Eth_Black_AllInTx"])]
            assert black["denominator"].tolist() == [int(r["Num_InTreatment_AllInTx"])]
    assert len(frame) == len(raw) * 6


def test_adult_england_table_with_bom_and_double_spaces(require_shared):
    path = require_shared(ADULTS)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    frame = ndtms.read_ndtms(path)
    raw = _rows(path, encoding="utf-8-sig")
    cocaine = "Substance use  - Cocaine - All in treatment"  # two spaces, as published
    assert cocaine in raw[0]
    assert list(raw[0])[0] == "Reporting period"  # no BOM left in the first name
    for r in raw:
        period = r["Reporting period"]
        got = _headline(frame, "in_treatment", period=period, substance_group="total")
        assert got["count"].tolist() == [int(r["All in treatment"])]
        row = frame[frame["source_column"].eq(cocaine) & frame["period"].eq(period)]
        assert row[["measure", "breakdown", "category"]].iloc[0].tolist() == ["in_treatment", "substance", "Cocaine"]
        assert row["count"].iloc[0] == float(r[cocaine])
        done = frame[frame["category"].eq("successful completion") & frame["period"].eq(period)]
        column = "Treatment exits - Successful completion - All in treatment"
        assert done["count"].tolist() == [float(r[column])]
        not_known = frame[frame["source_column"].eq("Treatment exits Not known - All in treatment")
                          & frame["period"].eq(period)]
        assert not_known["category"].tolist() == ["not known"]
    empty = sum(v == "" for r in raw for v in r.values())
    assert empty > 0 and frame["count"].isna().sum() == empty


def test_alcohol_dependence_estimates(require_shared):
    path = require_shared(ESTIMATES)
    frame = ndtms.read_ndtms(path)
    raw = _rows(path)
    assert len(frame) == len(raw)
    barnet = {r["Year"]: r for r in raw if r["Area_Code_GSS"] == "E09000003"}
    got = frame[frame["area_code"].eq("E09000003")].set_index("period")
    for year, r in barnet.items():
        assert got.loc[year, "value"] == float(r["Alcohol_dependent"])
        if r["Alcohol_lower_CI"] == "NA":
            assert pd.isna(got.loc[year, "lower_ci"])
        else:
            assert got.loc[year, "lower_ci"] == float(r["Alcohol_lower_CI"])
    # the placeholder code E0999 takes the code the same name has elsewhere in the file
    cornwall = frame[frame["area_name"].eq("Cornwall & Isles of Scilly")]
    placeholder = [r for r in raw if r["Area_Code_GSS"] == "E0999"]
    assert placeholder and set(cornwall["area_code"]) == {
        r["Area_Code_GSS"] for r in raw if r["Local_Authority"] == "Cornwall & Isles of Scilly"
        and r["Area_Code_GSS"] != "E0999"}
    assert cornwall["note"].str.contains("E0999").sum() == len(placeholder)


# -- prepare and Dataset ---------------------------------------------------------------------------


def test_prepare_writes_the_ndtms_table_and_dataset_reads_it(require_shared, tmp_path):
    from cdp_analysis.errors import MissingDataError
    from cdp_analysis.store.dataset import Dataset
    from cdp_analysis.store.prepare import prepare

    source = require_shared("data/real/ndtms")
    report = prepare(source, tmp_path / "processed", progress=False)
    assert "ndtms" in report.processed
    table = Dataset(tmp_path / "processed").ndtms()
    expected = sum(len(ndtms.read_ndtms(p)) for p in sorted(source.glob("*.csv")))
    assert len(table) == expected
    assert list(table.columns) == list(ndtms.NDTMS_COLUMNS)
    assert {"E09000003", "E92000001"} <= set(table["area_code"])
    empty = tmp_path / "empty"
    empty.mkdir()
    prepare(empty, tmp_path / "none", progress=False)
    with pytest.raises(MissingDataError, match="ndtms"):
        Dataset(tmp_path / "none").ndtms()


def test_filtered_reads_equal_filtering_the_whole_table(require_shared, tmp_path):
    """Filters go into the scan of a table written sorted: same rows as filtering every row read."""
    import csv

    import pyarrow.parquet as pq

    from cdp_analysis.store.dataset import Dataset
    from cdp_analysis.store.prepare import prepare

    source = require_shared("data/real/ndtms")
    prepare(source, tmp_path / "processed", progress=False)
    data = Dataset(tmp_path / "processed")
    whole = data.ndtms()
    keys = list(ndtms.NDTMS_SORT)
    assert whole[keys].astype(str).apply(tuple, axis=1).is_monotonic_increasing  # written sorted
    metadata = pq.ParquetFile(tmp_path / "processed" / "ndtms.parquet").metadata
    assert metadata.num_row_groups > 1 or metadata.num_rows <= 16 * 1024
    for filters in ({"measure": "exits", "sex": "total"},
                    {"measure": ["in_treatment", "new_presentations"], "area_code": "E09000003"},
                    {"category": "successful completion", "period": "2021/22"}):
        mask = np.ones(len(whole), dtype=bool)
        for column, values in filters.items():
            mask &= whole[column].isin([values] if isinstance(values, str) else values).to_numpy(dtype=bool)
        expected = whole[mask].reset_index(drop=True)
        got = data.ndtms(**filters)
        assert len(got) > 0
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)
    codes = set()
    for path in sorted(source.glob("*.csv")):  # every GSS code of the raw exports, read with csv
        with open(path, newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                code = row.get("Area_Code_GSS") or row.get("AreaCode") or ""
                if code.startswith("E") and len(code) == 9:
                    codes.add(code)
    held = data.ndtms_areas()
    assert held == set(whole["area_code"].dropna())
    assert codes and codes <= held
    with pytest.raises(ValueError, match="unknown ndtms column"):
        data.ndtms(measures="exits")


def test_a_part_larger_than_its_total_is_refused_with_file_line_and_column(tmp_path):
    # 2,100 successful completions of 605 adults in treatment would publish a share of 347%
    path = _write(tmp_path, _LA_HEADER + "2021/22,Barnet,Total,Total,Total,1465,290\n"
                                         "2021/22,Barnet,Total,Total,Opiate,605,2100\n")
    with pytest.raises(InconsistentDataError) as info:
        ndtms.read_ndtms(path)
    assert isinstance(info.value, DataFormatError)
    assert (info.value.line, info.value.column) == (3, "exits_successfulcompletion_allintx")
    message = str(info.value)
    assert "viewit.csv" in message and "2100" in message and "605" in message and "intreatment_allintx" in message
    # equal is consistent (every adult completed), and so is a missing total
    ndtms.read_ndtms(_write(tmp_path, _LA_HEADER + "2021/22,Barnet,Total,Total,Opiate,605,605\n"
                                                  "2021/22,Barnet,Total,Total,Total,NULL,700\n", "ok.csv"))


def test_waits_count_interventions_and_may_exceed_new_presentations(tmp_path):
    header = "ReportingPeriod,Area,sex,age_group,drug_group,newpresentation_newtx,waitsfirst_3weeksandunder_newtx\n"
    frame = ndtms.read_ndtms(_write(tmp_path, header + "2009/10,Barnet,Total,Total,Total,325,335\n"))
    waits = frame[frame["breakdown"] == "wait_first_intervention"]
    assert waits["count"].tolist() == [335] and waits["denominator"].tolist() == [325]


def test_a_substance_group_or_sex_larger_than_all_is_refused(tmp_path):
    # opiate users in treatment 7,000 of 100 for all substances would publish a share of 7,000%
    path = _write(tmp_path, _LA_HEADER + "2021/22,Barnet,Total,Total,Total,100,20\n"
                                         "2021/22,Barnet,Total,Total,Opiate,7000,10\n")
    with pytest.raises(InconsistentDataError) as info:
        ndtms.read_ndtms(path)
    assert (info.value.line, info.value.column) == (3, "intreatment_allintx")
    assert "substance group 'opiate'" in str(info.value) and "line 2" in str(info.value)
    path = _write(tmp_path, _LA_HEADER + "2021/22,Barnet,F,Total,Total,60,25\n"
                                         "2021/22,Barnet,Total,Total,Total,100,20\n", "sex.csv")
    with pytest.raises(InconsistentDataError) as info:
        ndtms.read_ndtms(path)
    assert (info.value.line, info.value.column) == (2, "exits_successfulcompletion_allintx")
    assert "sex 'female'" in str(info.value) and "line 3" in str(info.value)
    # parts within their totals, and a withheld total, are read
    frame = ndtms.read_ndtms(_write(tmp_path, _LA_HEADER + "2021/22,Barnet,F,Total,Total,60,20\n"
                                                          "2021/22,Barnet,Total,Total,Total,100,NULL\n"
                                                          "2021/22,Barnet,Total,18-29,Total,40,20\n", "ok2.csv"))
    assert len(frame) == 6

"""dataset: reading the processed tables back, with filters pushed into the scan.

Expected rows come from the raw City of London CSVs read with the csv module.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import MissingDataError
from cdp_analysis.sources.police_uk import STREET_COLUMNS, read_street_crime
from cdp_analysis.store.dataset import Dataset, dataset_name, open_dataset
from cdp_analysis.store.prepare import MANIFEST_NAME, prepare

CITY = Path("data/real/police_uk/city-of-london")
# City of London 001A and 001F, and Camden 027B (City Police record crimes there too)
LSOAS = ["E01000001", "E01032739", "E01000916"]


def raw_rows(folder: Path, pattern: str = "*-street.csv") -> list[dict[str, str]]:
    rows = []
    for path in sorted(folder.glob(pattern)):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


@pytest.fixture(scope="module")
def city(require_shared) -> Path:
    return require_shared(CITY)


@pytest.fixture(scope="module")
def data(city: Path, tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    out = tmp_path_factory.mktemp("processed") / "city"
    prepare(city, out, progress=False)
    return Dataset(out)


def test_lsoa_filter_returns_exactly_those_rows(data: Dataset, city: Path) -> None:
    expected = Counter((r["Crime ID"], r["Month"], r["LSOA code"], r["Crime type"], r["Location"])
                       for r in raw_rows(city) if r["LSOA code"] in LSOAS)
    frame = data.street_crime(lsoa_codes=LSOAS)
    got = Counter(zip(frame["crime_id"].fillna(""), frame["month"].dt.strftime("%Y-%m"),
                      frame["lsoa_code"].astype(str), frame["crime_type"].astype(str),
                      frame["location"].astype(str)))
    assert got == expected and sum(expected.values()) > 5000


def test_filters_combine(data: Dataset, city: Path) -> None:
    months = {"2018-04", "2020-01"}
    expected = sum(1 for r in raw_rows(city) if r["LSOA code"] in LSOAS and r["Crime type"] == "Drugs"
                   and r["Month"] in months)
    frame = data.street_crime(lsoa_codes=LSOAS, crime_types="Drugs", months=sorted(months),
                              columns=["lsoa_code", "month", "crime_type"])
    assert len(frame) == expected > 0
    assert list(frame.columns) == ["lsoa_code", "month", "crime_type"]
    assert set(frame["month"]) == {pd.Timestamp("2018-04-01"), pd.Timestamp("2020-01-01")}
    assert isinstance(frame["lsoa_code"].dtype, pd.CategoricalDtype)
    assert len(data.street_crime(months=pd.Timestamp("2019-06-01"))) == 0  # a missing month


def test_same_rows_and_dtypes_as_the_reader(data: Dataset, city: Path) -> None:
    stored = data.street_crime()
    direct = read_street_crime(city)
    assert tuple(stored.columns) == STREET_COLUMNS
    assert list(stored.dtypes) == list(direct.dtypes)

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.astype(str).sort_values(list(frame.columns)).reset_index(drop=True)

    pd.testing.assert_frame_equal(ordered(stored), ordered(direct))
    assert stored["longitude"].dtype == np.float32


def test_stop_search(data: Dataset, city: Path) -> None:
    rows = raw_rows(city, "2020-0[1-3]-*-stop-and-search.csv")
    frame = data.stop_search(months=["2020-01", "2020-02", "2020-03"], forces="city-of-london")
    assert len(frame) == len(rows)
    assert str(frame["datetime"].dt.tz) == "UTC"
    assert frame["outcome_linked_to_object"].sum() == sum(r["Outcome linked to object of search"] == "True"
                                                          for r in rows)
    assert len(data.stop_search(forces="metropolitan")) == 0


def test_what_is_there(data: Dataset) -> None:
    assert data.available() == ["street_crime", "stop_search"]
    assert data.months()[:2] == ["2018-04", "2018-05"] and len(data.months()) == 20
    with pytest.raises(MissingDataError, match="indicators.*Fingertips"):
        data.indicators()
    with pytest.raises(MissingDataError, match="geo_lsoa"):
        data.boundaries("lsoa")
    with pytest.raises(MissingDataError, match="drug_seizures"):
        data.local("drug_seizures")
    with pytest.raises(ValueError, match="level"):
        data.boundaries("msoa")
    with pytest.raises(ValueError, match="unknown street_crime column"):
        data.street_crime(columns=["lsoa"])


def test_no_processed_folder(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match="cdp prepare"):
        Dataset(tmp_path / "nothing")


def test_dataset_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert dataset_name(tmp_path / "data" / "raw" / "demo", tmp_path / "data" / "processed") == "demo"
    other = (tmp_path / "downloads" / "demo").resolve()
    digest = hashlib.sha1(str(other).encode()).hexdigest()[:8]
    assert dataset_name(other, tmp_path / "data" / "processed") == f"demo-{digest}"
    monkeypatch.setenv("CDP_RAW_DIR", str(tmp_path / "inputs"))  # the configured raw folder
    assert dataset_name(tmp_path / "inputs" / "barnet", tmp_path / "elsewhere") == "barnet"


def test_open_dataset_prepares_once(city: Path, tmp_path: Path) -> None:
    root = tmp_path / "processed"
    first = open_dataset(city, root, progress=False)
    assert first.root == root / dataset_name(city, root)
    manifest = first.root / MANIFEST_NAME
    stamp = manifest.stat().st_mtime_ns
    second = open_dataset(city, root, name=first.root.name, progress=False)
    assert second.root == first.root and manifest.stat().st_mtime_ns == stamp
    assert json.loads(manifest.read_text())["source_dir"] == str(city.resolve())
    assert len(second.street_crime(columns=["month"])) == 12079


def test_outcomes_files_are_prepared_and_read_back(tmp_path):
    from cdp_analysis.store.dataset import Dataset
    from cdp_analysis.store.prepare import prepare

    month = tmp_path / "raw" / "2020-01"
    month.mkdir(parents=True)
    (month / "2020-01-city-of-london-outcomes.csv").write_text(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type\n"
        "abc1,2020-01,City of London Police,City of London Police,-0.09,51.51,On or near X,E01000001,"
        "City of London 001A,Offender given a caution\n"
        "abc2,2020-01,City of London Police,City of London Police,,,No Location,,,Court result unavailable\n",
        encoding="utf-8")
    prepare(tmp_path / "raw", tmp_path / "processed", progress=False)
    outcomes = Dataset(tmp_path / "processed").outcomes()
    assert len(outcomes) == 2
    assert sorted(outcomes["outcome_type"].astype(str)) == ["Court result unavailable", "Offender given a caution"]
    assert len(Dataset(tmp_path / "processed").outcomes(lsoa_codes=["E01000001"])) == 1


def test_population_filters_and_residents_equal_the_whole_table(demo_config) -> None:
    """Filtered population reads and the Arrow residents sum agree with pandas on every row."""
    from cdp_analysis.chapters.context import load_context, residents

    ctx = load_context("Z09000002", config=demo_config)
    data = ctx.dataset
    whole = data.population()
    assert whole["area_code"].is_monotonic_increasing  # written sorted by area
    expected = residents(whole)
    got = data.residents()
    pd.testing.assert_series_equal(got, expected, check_names=False)
    assert got.index.name == "area_code"
    lsoas = ctx.lsoas("Z09000002")
    rows = data.population(area_codes=lsoas, sexes=["Male", "Female"])
    mask = whole["area_code"].isin(lsoas) & whole["sex"].isin(["Male", "Female"])
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), whole[mask].reset_index(drop=True))
    assert set(rows["area_code"]) == set(lsoas)
    # the residents of the area: its LSOAs' persons (or both sexes) summed, from the raw frame
    persons = whole[whole["sex"] == "Persons"] if (whole["sex"] == "Persons").any() else whole
    assert ctx.population("Z09000002") == pytest.approx(
        float(persons.loc[persons["area_code"].isin(lsoas), "population"].sum()))


def test_reads_are_cached_per_process_until_the_file_changes(demo_config, tmp_path) -> None:
    import shutil

    from cdp_analysis.chapters.context import load_context

    source = load_context("Z09000001", config=demo_config).dataset.root
    copy = tmp_path / "processed"
    shutil.copytree(source, copy)
    data = Dataset(copy)
    first = data.indicators()
    first.loc[:, "value"] = -1.0  # a caller changing its frame does not change the next read
    assert not (data.indicators()["value"] == -1.0).all()
    changed = data.indicators().iloc[:3]
    changed.to_parquet(copy / "indicators.parquet", index=False)  # the table rewritten: read afresh
    assert len(data.indicators()) == 3

"""The national-scale demo option: N fictional upper-tier areas in the same formats."""

from __future__ import annotations

import argparse
import csv
import json

import pytest

from cdp_analysis.areas import AreaRegistry
from cdp_analysis.errors import ConfigError
from cdp_demo.region import generate_demo


@pytest.fixture(scope="module")
def six(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    generate_demo(raw / "demo", months=2, areas=6)
    return raw


@pytest.mark.slow  # generates a six-area demo (~25 s) or a default one
def test_area_file_lists_the_extra_areas(six):
    with open(six / "demo" / "areas.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["code"] for r in rows] == ["Z09000005", "Z09000006"]
    assert {r["parent"] for r in rows} == {"Z12000001"}
    assert len({r["name"] for r in rows}) == 2


@pytest.mark.slow  # generates a six-area demo (~25 s) or a default one
def test_registry_knows_every_generated_area(six):
    registry = AreaRegistry.load(six)
    codes = sorted(a.code for a in registry.children("Z12000001", types=("utla",)))
    assert codes == [f"Z0900000{i}" for i in range(1, 7)]


@pytest.mark.slow  # generates a six-area demo (~25 s) or a default one
def test_every_area_has_boundaries_and_population(six):
    manifest = json.loads((six / "demo" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["areas"] == 6 and manifest["counts"]["boroughs"] == 6
    with open(six / "demo" / "lookups" / "LSOA21_WD22_LAD22_EW_LU.csv", newline="", encoding="utf-8") as handle:
        lads = {row["LAD22CD"] for row in csv.DictReader(handle)}
    assert lads == {f"Z0900000{i}" for i in range(1, 7)}


@pytest.mark.slow  # generates a six-area demo (~25 s) or a default one
def test_default_demo_writes_no_area_file(tmp_path):
    generate_demo(tmp_path / "demo", months=1)
    assert not (tmp_path / "demo" / "areas.csv").exists()
    assert "areas" not in json.loads((tmp_path / "demo" / "manifest.json").read_text(encoding="utf-8"))


def test_too_few_areas_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="areas"):
        generate_demo(tmp_path / "demo", months=1, areas=3)


def test_config_and_cli_take_the_number_of_areas(tmp_path):
    from cdp_analysis.cli import _demo_areas
    from cdp_analysis.config import load_config

    cfg = tmp_path / "cdp.toml"
    cfg.write_text("[demo]\nareas = 150\n", encoding="utf-8")
    assert load_config(cfg).demo_areas == 150
    assert _demo_areas("12") == 12
    with pytest.raises(argparse.ArgumentTypeError, match="4 to 999"):
        _demo_areas("2")


@pytest.mark.slow  # generates a six-area demo (~25 s) or a default one
def test_ndtms_names_of_generated_areas_resolve(six):
    from cdp_analysis.sources.ndtms import read_ndtms

    path = six / "demo" / "ndtms" / "ViewIt Export Data_LAs.csv"
    with open(path, newline="", encoding="utf-8-sig") as handle:
        names = {row["Area"] for row in csv.DictReader(handle)}
    assert "Ashby" in names  # Z09000005's name, written by the generator
    codes = set(read_ndtms(path)["area_code"])
    assert {"Z09000005", "Z09000006"} <= codes


@pytest.mark.slow  # generates a six-area demo (~25 s) or a default one
def test_national_aggregate_places_every_generated_area(six, tmp_path):
    """The police aggregate counts the extra areas' crimes too: the region is all six, from the CSVs."""
    from cdp_analysis.store.dataset import Dataset
    from cdp_analysis.store.prepare import prepare

    prepare(six / "demo", tmp_path / "processed", progress=False)
    counts = Dataset(tmp_path / "processed").police_counts().counts
    with open(six / "demo" / "lookups" / "LSOA21_WD22_LAD22_EW_LU.csv", newline="", encoding="utf-8-sig") as handle:
        lad = {row["LSOA21CD"]: row["LAD22CD"] for row in csv.DictReader(handle)}
    expected: dict[str, int] = {}
    for path in sorted((six / "demo" / "police_uk").rglob("*-street.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["Crime type"] == "Drugs" and row["LSOA code"] in lad:
                    expected[lad[row["LSOA code"]]] = expected.get(lad[row["LSOA code"]], 0) + 1
    drugs = counts[counts["crime_type"] == "Drugs"].groupby("lad_code", observed=True)["count"].sum()
    assert set(drugs.index) == {f"Z0900000{i}" for i in range(1, 7)}
    assert {code: int(n) for code, n in drugs.items()} == expected

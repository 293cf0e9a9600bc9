"""The data folder check a command makes before preparing anything (store/source.py)."""

from __future__ import annotations

import os

import pytest

from cdp_analysis.errors import ConfigError, MissingDataError
from cdp_analysis.store.source import check_source


def _file(path, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["police_uk/2018-04.zip", "deep/er/still/table.CSV", "imd/File_1.xlsx",
                                  "boundaries/london/wards.geojson", "Boundaries/lsoa.shp"])
def test_a_folder_with_a_file_the_preparation_reads_is_a_data_folder(tmp_path, name):
    _file(tmp_path / "source" / name)
    check_source(tmp_path / "source", tmp_path / "processed")  # no error


@pytest.mark.parametrize("name", ["wards.geojson", "notes/readme.txt", ".hidden/table.csv", "~$table.xlsx",
                                  "__MACOSX/table.csv", "manifest.json"])
def test_a_folder_without_one_is_not(tmp_path, name):
    _file(tmp_path / "source" / name)  # a boundary file outside boundaries/, hidden or lock files: not read
    with pytest.raises(MissingDataError, match=r"holds no data file"):
        check_source(tmp_path / "source", tmp_path / "processed")


def test_a_link_loop_ends_and_a_linked_folder_counts(tmp_path):
    source = tmp_path / "source"
    (source / "a").mkdir(parents=True)
    os.symlink(source, source / "a" / "loop")
    with pytest.raises(MissingDataError):
        check_source(source, tmp_path / "processed")
    _file(tmp_path / "elsewhere" / "table.csv")
    os.symlink(tmp_path / "elsewhere", source / "linked")
    check_source(source, tmp_path / "processed")


def test_the_processed_folder_may_not_lie_inside_the_data_folder(tmp_path):
    _file(tmp_path / "source" / "table.csv")
    for processed in (tmp_path / "source", tmp_path / "source" / "processed"):
        with pytest.raises(ConfigError, match="lies inside the data folder"):
            check_source(tmp_path / "source", processed)
    check_source(tmp_path / "source", tmp_path / "source-processed")  # a sibling with a longer name is fine

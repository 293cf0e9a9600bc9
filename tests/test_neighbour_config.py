"""A comparator group set in cdp.toml ([neighbours]): read, checked against the registry, used by the pages.

Expected names come from the registry's shipped CSV, read here with the csv module.
"""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from cdp_analysis.areas import AreaRegistry
from cdp_analysis.chapters.context import configured_groups
from cdp_analysis.config import load_config
from cdp_analysis.errors import ConfigError


def _names() -> dict[str, str]:
    text = resources.files("cdp_analysis.resources").joinpath("areas_england.csv").read_text(encoding="utf-8")
    return {r["code"]: r["name"] for r in csv.DictReader(text.splitlines())}


def _config(tmp_path, body: str):
    path = tmp_path / "cdp.toml"
    path.write_text(body, encoding="utf-8")
    return path, load_config(path)


def test_comparators_listed_in_cdp_toml_become_the_areas_group(tmp_path):
    _, config = _config(tmp_path, '[neighbours]\ngroup = "its CIPFA nearest neighbours"\n'
                                  '[neighbours.comparators]\nE06000001 = ["E06000005", "E06000002", "E12000001"]\n')
    registry = configured_groups(AreaRegistry.builtin(), config)
    group = registry.neighbour_group("E06000001")
    # the region (E12000001, Hartlepool's parent) is compared with anyway, so it leaves the group
    assert (group.source, group.name, group.codes) == ("config", "its CIPFA nearest neighbours",
                                                       ["E06000005", "E06000002"])
    assert [a.name for a in group.areas] == [_names()["E06000005"], _names()["E06000002"]]
    # an area not listed keeps the statistical neighbours
    assert registry.neighbour_group("E06000002").source == "default"
    assert AreaRegistry.builtin().neighbour_group("E06000001").source == "default"  # the original is unchanged


def test_a_group_file_gives_each_area_its_group_and_the_toml_list_wins(tmp_path):
    (tmp_path / "cipfa.csv").write_text("area_code,neighbour_code\nE06000001,E06000003\nE06000001,E06000004\n"
                                        "E06000002,E06000001\n", encoding="utf-8")
    _, config = _config(tmp_path, '[neighbours]\nfile = "cipfa.csv"\n'
                                  '[neighbours.comparators]\nE06000002 = ["E06000005"]\n')
    registry = configured_groups(AreaRegistry.builtin(), config)
    assert registry.neighbour_group("E06000001").codes == ["E06000003", "E06000004"]
    assert registry.neighbour_group("E06000002").codes == ["E06000005"]
    assert registry.neighbour_group("E06000001").name == "its comparator group"


def test_a_mistyped_code_names_the_file_the_key_the_code_and_the_nearest_area(tmp_path):
    path, config = _config(tmp_path, '[neighbours.comparators]\nE06000001 = ["E06000005", "E0600002"]\n')
    with pytest.raises(ConfigError) as caught:
        configured_groups(AreaRegistry.builtin(), config)
    message = str(caught.value)
    assert str(path) in message and "[neighbours] comparators" in message and "'E0600002'" in message
    assert f"E06000002 ({_names()['E06000002']})" in message


def test_an_area_named_instead_of_coded_is_refused_with_its_code(tmp_path):
    _, config = _config(tmp_path, '[neighbours.comparators]\nE06000001 = ["Darlington"]\n')
    with pytest.raises(ConfigError, match=r"'Darlington'.*E06000005 \(Darlington\)"):
        configured_groups(AreaRegistry.builtin(), config)


def test_a_group_file_row_without_a_neighbour_names_row_and_column(tmp_path):
    (tmp_path / "cipfa.csv").write_text("area_code,neighbour_code\nE06000001,E06000003\nE06000001,\n",
                                        encoding="utf-8")
    _, config = _config(tmp_path, '[neighbours]\nfile = "cipfa.csv"\n')
    with pytest.raises(ConfigError, match=r"cipfa\.csv, row 3, column neighbour_code: empty"):
        configured_groups(AreaRegistry.builtin(), config)


def test_bad_settings_are_refused_when_the_file_is_read(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown setting 'comparator' in \[neighbours\] \(did you mean 'comparators'"):
        _config(tmp_path, '[neighbours]\ncomparator = ["E06000002"]\n')
    with pytest.raises(ConfigError, match=r"\[neighbours\] comparators.E06000001 = \[\] is not valid"):
        _config(tmp_path, '[neighbours.comparators]\nE06000001 = []\n')

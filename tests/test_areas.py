"""The area registry: real GSS codes, demo areas, CDPs, user overrides, errors."""

import re

import pytest

from cdp_analysis.areas import AreaFileError, AreaRegistry, is_demo_code
from cdp_analysis.errors import ConfigError, DataFormatError, UnknownAreaError


@pytest.fixture(scope="module")
def registry():
    return AreaRegistry.builtin()


def test_knows_england_regions_and_all_london_boroughs(registry):
    assert registry.get("E92000001").type == "country"
    assert len(registry.of_type("region", demo=False)) == 9
    boroughs = [a for a in registry.of_type("utla", demo=False) if a.parent == "E12000007"]
    assert sorted(a.code for a in boroughs) == [f"E09{n:06d}" for n in range(1, 34)]
    assert registry.get("E09000003").name == "Barnet"
    assert registry.get("E09000030").name == "Tower Hamlets"


def test_lookup_by_name_is_case_insensitive(registry):
    assert registry.get("tower hamlets").code == "E09000030"


def test_comparators_follow_the_parent_chain(registry):
    assert [a.code for a in registry.comparators("E09000001")] == ["E12000007", "E92000001"]
    assert [a.code for a in registry.comparators("E12000007")] == ["E92000001"]
    assert registry.comparators("E92000001") == []


def test_cdp_is_made_of_two_demo_boroughs(registry):
    cdp = registry.get("Z95000001")
    assert cdp.type == "cdp"
    assert [a.name for a in registry.members("Z95000001")] == ["Brackenmoor", "Castlewick"]
    assert registry.region_of("Z95000001").code == "Z12000001"
    assert registry.members("E09000003")[0].code == "E09000003"


def test_demo_codes_never_look_like_ons_codes(registry):
    ons = re.compile(r"^[EWSNKJLM]\d{8}$")
    for area in registry.of_type("country", "region", "utla", "lad", "cdp", demo=True):
        assert is_demo_code(area.code) and not ons.match(area.code)


@pytest.mark.parametrize(("typed", "expected"), [("E0900003", "E09000003"), ("Barnett", "Barnet"),
                                                 ("Brakenmoor", "Brackenmoor")])
def test_unknown_area_suggests_close_matches(registry, typed, expected):
    with pytest.raises(UnknownAreaError) as info:
        registry.get(typed)
    assert info.value.suggestions[0] == expected
    assert expected in str(info.value)


def test_user_csv_adds_a_cdp_and_overrides_a_name(tmp_path):
    (tmp_path / "areas.csv").write_text(
        "code,name,type,parent,members,comparators,override\n"
        "X95000001,Hackney and City CDP,cdp,E12000007,E09000012;E09000001,,\n"
        "E09000003,London Borough of Barnet,utla,E12000007,,,yes\n", encoding="utf-8")
    registry = AreaRegistry.load(tmp_path)
    assert [a.code for a in registry.members("X95000001")] == ["E09000012", "E09000001"]
    assert registry.get("E09000003").name == "London Borough of Barnet"


def test_user_yaml_is_read(tmp_path):
    (tmp_path / "areas.yaml").write_text(
        "areas:\n  - {code: X95000002, name: Test CDP, type: cdp, parent: E12000007,"
        " members: [E09000030, E09000031]}\n", encoding="utf-8")
    assert AreaRegistry.load(tmp_path).get("X95000002").members == ("E09000030", "E09000031")


def test_user_file_errors_name_file_line_and_column(tmp_path):
    (tmp_path / "areas.csv").write_text("code,name,type,parent,members,comparators\n"
                                        "X1,Somewhere,borough,,,\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as info:
        AreaRegistry.load(tmp_path)
    assert "areas.csv" in str(info.value) and "line 2" in str(info.value) and "'type'" in str(info.value)


def test_reference_to_unknown_member_is_a_config_error(tmp_path):
    (tmp_path / "areas.csv").write_text("code,name,type,parent,members,comparators\n"
                                        "X95000009,Bad CDP,cdp,E12000007,E09999999,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="E09999999"):
        AreaRegistry.load(tmp_path)


def _write(tmp_path, text):
    (tmp_path / "areas.csv").write_text("code,name,type,parent,members,comparators\n" + text, encoding="utf-8")


def _refusal(tmp_path, text) -> AreaFileError:
    """The error loading an areas.csv made of ``text`` raises."""
    _write(tmp_path, text)
    with pytest.raises(AreaFileError) as info:
        AreaRegistry.load(tmp_path)
    return info.value


def test_parent_cycle_is_refused_naming_file_and_rows(tmp_path):
    error = _refusal(tmp_path, "X95000001,Alpha CDP,cdp,X95000002,E09000012,\n"
                               "X95000002,Beta CDP,cdp,X95000001,E09000001,\n")
    text = str(error)
    assert isinstance(error, ConfigError)
    assert "areas.csv" in text and "lines 2, 3" in text and "'parent'" in text and "cycle" in text


def test_self_parent_is_a_cycle(tmp_path):
    assert re.search("line 2.*cycle", str(_refusal(tmp_path, "X95000001,Alpha CDP,cdp,X95000001,E09000012,\n")))


def test_cycle_through_a_yaml_file_names_its_lines(tmp_path):
    (tmp_path / "areas.yaml").write_text(
        "areas:\n"
        "  - {code: X95000001, name: One, type: cdp, parent: X95000002, members: [E09000001]}\n"
        "  - {code: X95000002, name: Two, type: cdp, parent: X95000001, members: [E09000002]}\n", encoding="utf-8")
    with pytest.raises(AreaFileError, match=r"areas\.yaml, lines 2, 3"):
        AreaRegistry.load(tmp_path)


def test_duplicate_code_in_the_file_names_both_rows(tmp_path):
    error = _refusal(tmp_path, "X95000001,Alpha CDP,cdp,E12000007,E09000012,\n"
                               "X95000009,Other,cdp,E12000007,E09000013,\n"
                               "X95000001,Alpha again,cdp,E12000007,E09000001,\n")
    assert "areas.csv, lines 2, 4, column 'code'" in str(error)


def test_overriding_a_builtin_code_needs_the_marker(tmp_path):
    text = str(_refusal(tmp_path, "E09000003,London Borough of Barnet,utla,E12000007,,\n"))
    assert "areas.csv, line 2" in text and "areas_england.csv" in text and "override" in text


def test_unknown_member_names_file_row_and_column(tmp_path):
    text = str(_refusal(tmp_path, "X95000001,Fine CDP,cdp,E12000007,E09000012,\n"
                                  "X95000002,Bad CDP,cdp,E12000007,E09000001;E09999999,\n"))
    assert "areas.csv, line 3, column 'members'" in text and "E09999999" in text


def test_member_with_a_retired_code_says_where_it_went(tmp_path):
    assert "North Northamptonshire" in str(_refusal(tmp_path, "X95000001,Corby CDP,cdp,E12000004,E07000150,\n"))


def test_user_comparators_come_before_region_and_england(tmp_path):
    _write(tmp_path, "X95000001,Hackney and City CDP,cdp,E12000007,E09000012;E09000001,E09000030;E09000025\n")
    registry = AreaRegistry.load(tmp_path)
    assert [a.code for a in registry.comparators("X95000001")] == [
        "E09000030", "E09000025", "E12000007", "E92000001"]
    assert registry.forces("X95000001") == ["city-of-london", "metropolitan"]
    groups = registry.comparator_groups("X95000001")
    assert [a.code for a in groups["user"]] == ["E09000030", "E09000025"] and groups["neighbours"] == []


def test_a_county_partnership_is_its_districts(registry):
    assert {a.code for a in registry.members("E10000016")} == {
        a.code for a in registry.children("E10000016") if a.type == "lad"}
    assert registry.get("E10000016").kind == "county"


# a partnership listing a county ----------------------------------------------------
_WSX = ("code,name,type,parent,members,comparators,override\n"
        "E95000032,West Sussex and Brighton CDP,cdp,E12000008,E10000032;E06000043,,\n")


def _ons_rows(path, **keep):
    import csv
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [r for r in csv.DictReader(handle) if all(r[k] in v for k, v in keep.items())]


def test_a_partnership_listing_a_county_is_made_of_its_districts(tmp_path):
    from tests.shared_data import require as require_shared
    lookup = require_shared("data/real/geography/Local_Authority_District_to_County_and_Unitary_Authority_"
                            "(April_2023)_Lookup_in_EW.csv")
    districts = {r["LTLA23CD"] for r in _ons_rows(lookup, UTLA23CD={"E10000032"})}
    assert len(districts) == 7  # the ONS lookup: West Sussex has seven districts
    (tmp_path / "areas.csv").write_text(_WSX, encoding="utf-8")
    registry = AreaRegistry.load(tmp_path)
    assert {a.code for a in registry.members("E95000032")} == districts | {"E06000043"}
    assert [a.code for a in registry.listed_members("E95000032")] == ["E10000032", "E06000043"]
    assert registry.forces("E95000032") == ["sussex"]


def test_a_partnership_member_that_is_a_partnership_brings_its_districts(tmp_path):
    (tmp_path / "areas.csv").write_text(
        _WSX + "E95000099,Wider CDP,cdp,E12000008,E95000032;E06000045,,\n", encoding="utf-8")
    registry = AreaRegistry.load(tmp_path)
    codes = [a.code for a in registry.members("E95000099")]
    assert len(codes) == len(set(codes)) == 9 and codes[-1] == "E06000045" and "E10000032" not in codes


@pytest.mark.real_data
def test_a_county_member_brings_its_lsoas_and_residents(tmp_path):
    """LSOAs and residents of West Sussex + Brighton, counted independently from the ONS files."""
    import pandas as pd

    from cdp_analysis.chapters.context import load_context
    from cdp_analysis.config import load_config
    from tests.shared_data import require as require_shared

    real = require_shared("data/real")
    lookup_csv = real / "other" / "LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2.csv"
    counties = real / "geography" / "Local_Authority_District_to_County_and_Unitary_Authority_(April_2023)_Lookup_in_EW.csv"
    mye = real / "population" / "ukpopestimatesmid2020on2021geography.xls"
    raw = tmp_path / "raw"
    for folder, path in (("lookup", lookup_csv), ("population", mye)):
        (raw / folder).mkdir(parents=True)
        (raw / folder / path.name).symlink_to(path)
    (raw / "areas.csv").write_text(_WSX, encoding="utf-8")
    config = load_config(raw_dir=raw, processed_dir=tmp_path / "processed", reports_dir=tmp_path / "reports")
    ctx = load_context("E95000032", data_dir=raw, processed_dir=tmp_path / "processed", config=config)

    districts = {r["LTLA23CD"] for r in _ons_rows(counties, UTLA23CD={"E10000032"})}
    west_sussex = {r["LSOA21CD"] for r in _ons_rows(lookup_csv, LAD25CD=districts)}
    brighton = {r["LSOA21CD"] for r in _ons_rows(lookup_csv, LAD25CD={"E06000043"})}
    assert len(west_sussex) == 532  # the count of the county's LSOAs
    assert set(ctx.lsoas("E95000032")) == west_sussex | brighton
    persons = pd.read_excel(mye, sheet_name="MYE2 - Persons", header=7).set_index("Code")["All ages"]
    assert ctx.area_population("E95000032") == float(persons["E10000032"] + persons["E06000043"])


def test_a_partnership_page_links_the_authorities_it_lists(tmp_path, monkeypatch):
    """Navigation names West Sussex (not its districts) as a member, and a district finds its partnership."""
    from cdp_analysis.config import load_config
    from cdp_analysis.publishing import batch

    (tmp_path / "areas.csv").write_text(_WSX, encoding="utf-8")
    registry = AreaRegistry.load(tmp_path)
    config = load_config(raw_dir=tmp_path, reports_dir=tmp_path / "reports", processed_dir=tmp_path / "p")
    monkeypatch.setattr(batch, "_first_page", lambda config, code: f"../{code}/x.html")
    members, _ = batch._related(config, registry, "E95000032")
    assert [name for name, _ in members] == ["West Sussex", "Brighton and Hove"]
    for code in ("E10000032", "E07000229", "E06000043"):  # the county, one of its districts, the unitary
        assert [name for name, _ in batch._related(config, registry, code)[1]] == ["West Sussex and Brighton CDP"]

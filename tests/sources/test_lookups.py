"""sources.lookups: ONS lookup CSVs, lookups derived from boundaries, LSOA 2011 → 2021.

Expected values were read from the files (line numbers given) or from other,
independent publications: ONS retains the code of an unchanged LSOA and issues new
codes for split and merged ones, so the 2011 → 2021 mapping is checked against the
codes present in each boundary file.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cdp_analysis.errors import DataFormatError, MissingDataError
from cdp_analysis.sources.boundaries import read_boundaries
from cdp_analysis.sources.lookups import (
    CHANGE_TYPES,
    LOOKUP_COLUMNS,
    is_lookup,
    lookup_from_boundaries,
    lsoa_2011_to_2021,
    lsoa_changes,
    read_lad_region_lookup,
    read_lsoa_lookup,
)

try:  # tests/sources as a package or as a plain folder on sys.path
    from ._real import REAL, need
except ImportError:
    from _real import REAL, need

LOOKUP = REAL / "other" / "LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2.csv"
LAD_RGN = REAL / "other" / "Local_Authority_District_to_Region_(April_2019)_Lookup_in_England.csv"
B = REAL / "boundaries"
LSOA11_SHP = B / "statistical-gis-boundaries-london_LSOA_2011_London_gen_MHW" / "LSOA_2011_London_gen_MHW.shp"
LSOA21_SHP = B / "london-data_jdm" / "london-2021-lsoa-gen20.shp"
LAD22_SHP = B / "london-data_jdm" / "london-2021-lad22-gen20.shp"
WARDS_TAB = B / "london-wards-2018-mapinfo" / "London_Ward_CityMerged.tab"
MARTINJC = B / "uk-geojson_martinjc"

HEADER = "LSOA21CD,LSOA21NM,WD22CD,WD22NM,LAD22CD,LAD22NM,ObjectId\n"


@pytest.fixture(scope="module")
def ons_lookup():
    return read_lsoa_lookup(need(LOOKUP))


@pytest.fixture(scope="module")
def lsoa11():
    return read_boundaries(need(LSOA11_SHP))


@pytest.fixture(scope="module")
def lsoa21():
    return read_boundaries(need(LSOA21_SHP))


@pytest.fixture(scope="module")
def wards_2018():
    return read_boundaries(need(WARDS_TAB))


@pytest.fixture(scope="module")
def lsoa_map(lsoa11, lsoa21):
    return lsoa_2011_to_2021(lsoa11, lsoa21)


# -- ONS lookup CSVs ------------------------------------------------------------------------------


@pytest.mark.real_data
def test_ons_lookup_with_bom(ons_lookup):
    assert need(LOOKUP).read_bytes()[:3] == b"\xef\xbb\xbf"
    assert list(ons_lookup.columns) == list(LOOKUP_COLUMNS)
    assert len(ons_lookup) == 35672  # wc -l = 35,673 lines with the header
    assert ons_lookup.attrs["lsoa_vintage"] == "2021"
    assert ons_lookup.attrs["ward_vintage"] == "WD25" and ons_lookup.attrs["lad_vintage"] == "LAD25"
    # line 2 of the file
    assert ons_lookup.iloc[0].tolist() == [
        "E01012152", "Redcar and Cleveland 021D", "E05012451", "Ormesby", "E06000003", "Redcar and Cleveland",
    ]
    row = ons_lookup.set_index("lsoa_code").loc["E01000001"]  # grep E01000001
    assert (row["ward_code"], row["ward_name"], row["lad_name"]) == ("E05009288", "Aldersgate", "City of London")
    london = ons_lookup[ons_lookup.lad_code.str.startswith("E09")]
    assert len(london) == 4994 and london.ward_code.nunique() == 684  # PROVENANCE.md
    assert (ons_lookup.lad_code == "E09000003").sum() == 220
    assert (ons_lookup.lsoa_code.str[:3] == "W01").sum() == 1917  # Welsh LSOAs, cut -c1-3 | uniq -c


@pytest.mark.real_data
def test_is_lookup():
    assert is_lookup(need(LOOKUP))
    assert not is_lookup(need(REAL / "imd" / "IMD2019forLondon.csv"))
    assert not is_lookup(need(LAD_RGN))  # no LSOA column
    assert not is_lookup(need(B / "london_boroughs.geojson"))


def test_is_lookup_never_raises(tmp_path):
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\x00\xff\xfe" * 10)
    assert not is_lookup(binary)
    assert not is_lookup(tmp_path / "missing.csv")


@pytest.mark.real_data
def test_lad_region_lookup():
    lut = read_lad_region_lookup(need(LAD_RGN))
    assert list(lut.columns) == ["lad_code", "lad_name", "region_code", "region_name"]
    assert len(lut) == 317  # 318 lines with the header
    assert lut.attrs == {"source": str(LAD_RGN), "lad_vintage": "LAD19", "region_vintage": "RGN19"}
    by_code = lut.set_index("lad_code")
    assert by_code.loc["E09000001"].tolist() == ["City of London", "E12000007", "London"]  # line 2
    assert by_code.loc["E06000010", "lad_name"] == "Kingston upon Hull, City of"  # quoted, line 189
    assert (lut.region_code == "E12000007").sum() == 33


def test_cp1252_lookup(tmp_path):
    path = tmp_path / "lookup.csv"
    row = "E01000001,King\u2019s Lynn 001A,E05000001,St Mary\u2019s,E07000146,King\u2019s Lynn and West Norfolk,1\n"
    path.write_bytes((HEADER + row).encode("cp1252"))
    lut = read_lsoa_lookup(path)
    assert lut.loc[0, "lad_name"] == "King\u2019s Lynn and West Norfolk"
    assert lut.loc[0, "ward_name"] == "St Mary\u2019s"


def test_lsoa11_lookup_lower_case_and_ltla(tmp_path):
    path = tmp_path / "lookup11.csv"
    path.write_text(
        "lsoa11cd,lsoa11nm,wd19cd,wd19nm,ltla19cd,ltla19nm\n"
        "E01000001,City of London 001A,E05009288,Aldersgate,E09000001,City of London\n",
        encoding="utf-8",
    )
    lut = read_lsoa_lookup(path)
    assert lut.attrs["lsoa_vintage"] == "2011" and lut.attrs["lad_vintage"] == "LTLA19"
    assert lut.loc[0, "ward_code"] == "E05009288"


def test_lookup_duplicate_lsoa(tmp_path):
    path = tmp_path / "dup.csv"
    rows = ["E01000001,A,E05000001,W,E09000001,L,1\n", "E01000002,B,E05000001,W,E09000001,L,2\n",
            "E01000001,A,E05000002,V,E09000001,L,3\n"]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    with pytest.raises(DataFormatError, match="duplicate code") as info:
        read_lsoa_lookup(path)
    assert (info.value.line, info.value.column) == (4, "LSOA21CD")
    assert "first seen on line 2" in str(info.value)


def test_lookup_missing_column(tmp_path):
    path = tmp_path / "noward.csv"
    path.write_text("LSOA21CD,LSOA21NM,LAD22CD,LAD22NM\nE01000001,A,E09000001,L\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="required column missing") as info:
        read_lsoa_lookup(path)
    assert info.value.column == "WDyyCD" and info.value.line == 1
    assert "'LSOA21CD'" in str(info.value)


def test_lookup_empty_code(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text(HEADER + "E01000001,A,E05000001,W,E09000001,L,1\nE01000002,B,,W,E09000001,L,2\n",
                    encoding="utf-8")
    with pytest.raises(DataFormatError, match="empty code") as info:
        read_lsoa_lookup(path)
    assert (info.value.line, info.value.column) == (3, "WD22CD")


def test_lookup_missing_file(tmp_path):
    with pytest.raises(MissingDataError):
        read_lsoa_lookup(tmp_path / "nowhere.csv")


# -- from boundaries ------------------------------------------------------------------------------


@pytest.mark.real_data
def test_lookup_from_boundaries_london(lsoa21, wards_2018):
    lad22 = read_boundaries(need(LAD22_SHP))
    lut = lookup_from_boundaries(lsoa21, wards_2018, lad22)
    assert list(lut.columns) == list(LOOKUP_COLUMNS)
    assert len(lut) == 4994 and lut.notna().all().all()
    assert lut.attrs["unmatched_lsoas"] == 0
    # independent check: the LAD found through the ward equals the LAD22CD the LSOA file carries
    assert (lut.lad_code.to_numpy() == lsoa21.parent_code.to_numpy()).all()
    # and the ward's own LAGSSCODE attribute agrees
    ward_parent = dict(zip(wards_2018.code, wards_2018.parent_code))
    assert (lut.ward_code.map(ward_parent) == lut.lad_code).all()
    barnet = lut.set_index("lad_code").loc["E09000003"]
    assert barnet.lad_name.unique().tolist() == ["Barnet"]


@pytest.mark.real_data
def test_lookup_from_boundaries_without_lads(lsoa11, wards_2018):
    lut = lookup_from_boundaries(lsoa11, wards_2018)
    assert lut.lad_name.isna().all()
    assert (lut.lad_code.to_numpy() == lsoa11.parent_code.to_numpy()).all()  # LAD11CD attribute


@pytest.mark.real_data
def test_lookup_from_boundaries_wd13(tmp_path):
    lsoa = read_boundaries(need(MARTINJC / "lsoa_by_lad" / "E09000003.json"))
    ward = read_boundaries(need(MARTINJC / "wards_by_lad" / "E09000003.json"))
    lut = lookup_from_boundaries(lsoa, ward)
    assert len(lut) == 211 and lut.ward_code.notna().all()
    assert lut.ward_code.nunique() == 21  # every Barnet WD13 ward holds LSOAs
    assert lut.attrs["ward_vintage"] == "WD13" and lut.attrs["lsoa_vintage"] == "2011"


def test_lookup_from_boundaries_small(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    lsoas = gpd.GeoDataFrame(
        {"code": ["Z01000001", "Z01000002", "Z01000003"], "name": ["a", "b", "c"]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(100, 100, 110, 110)], crs=27700,
    )
    wards = gpd.GeoDataFrame({"code": ["Z05000001", "Z05000002"], "name": ["W1", "W2"]},
                             geometry=[box(0, 0, 10.5, 10), box(10.5, 0, 20, 10)], crs=27700)
    lads = gpd.GeoDataFrame({"code": ["Z09000001"], "name": ["Borough"]}, geometry=[box(0, 0, 20, 10)], crs=27700)
    lut = lookup_from_boundaries(lsoas, wards, lads)
    assert lut.ward_code.tolist()[:2] == ["Z05000001", "Z05000002"]
    assert pd.isna(lut.ward_code.iloc[2]) and pd.isna(lut.lad_code.iloc[2])  # outside every ward and LAD
    assert lut.lad_name.tolist()[:2] == ["Borough", "Borough"]
    assert lut.attrs["unmatched_lsoas"] == 1
    with pytest.raises(DataFormatError, match="'code'"):
        lookup_from_boundaries(lsoas.rename(columns={"code": "id"}), wards)


# -- LSOA 2011 -> 2021 ----------------------------------------------------------------------------


@pytest.mark.real_data
def test_lsoa_2011_to_2021(lsoa_map, lsoa11, lsoa21):
    assert list(lsoa_map.columns) == ["lsoa11_code", "lsoa21_code", "share_of_lsoa11_area", "change"]
    assert len(lsoa_map) == 4835 and lsoa_map.lsoa11_code.is_unique
    assert set(lsoa_map.change) <= set(CHANGE_TYPES)
    assert lsoa_map.lsoa21_code.isin(set(lsoa21.code)).all()
    retained = lsoa_map.lsoa11_code.isin(set(lsoa21.code))
    # ONS keeps the code of an unchanged LSOA and retires split or merged ones
    unchanged = lsoa_map.change == "unchanged"
    assert (lsoa_map.loc[unchanged, "lsoa21_code"] == lsoa_map.loc[unchanged, "lsoa11_code"]).all()
    assert (unchanged == retained).all()
    assert {"split", "merged"} <= set(lsoa_map.change)
    assert lsoa_map.loc[unchanged, "share_of_lsoa11_area"].min() > 0.9
    # a split LSOA's best-fit child is its own; a merged LSOA shares its 2021 LSOA with another
    assert lsoa_map.loc[lsoa_map.change == "split", "lsoa21_code"].is_unique
    assert lsoa_map.loc[lsoa_map.change == "merged", "lsoa21_code"].value_counts().min() >= 2
    # the split children: every 2021 LSOA not retained from 2011 is a child of a split or merge
    new_codes = set(lsoa21.code) - set(lsoa11.code)
    assert len(new_codes) == 4994 - retained.sum()


def test_lsoa_2011_to_2021_small():
    import geopandas as gpd
    from shapely.geometry import box

    old = gpd.GeoDataFrame(
        {"code": ["A", "B", "C", "D", "E", "F", "G"]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(20, 0, 30, 10), box(30, 0, 40, 10),
                  box(40, 0, 50, 10), box(50, 0, 60, 10), box(500, 500, 510, 510)],
        crs=27700,
    )
    new = gpd.GeoDataFrame(
        {"code": ["A", "B1", "B2", "CD", "E'", "F'"]},
        geometry=[box(0, 0, 10.05, 10),            # A unchanged (a sliver of B)
                  box(10.05, 0, 15, 10), box(15, 0, 20, 10),  # B split in two
                  box(20, 0, 40, 10),               # C and D merged
                  box(40, 0, 53, 10), box(53, 0, 60, 10)],  # E and F redrawn
        crs=27700,
    )
    out = lsoa_2011_to_2021(old, new).set_index("lsoa11_code")
    assert out.loc["A"].tolist() == ["A", pytest.approx(1.0), "unchanged"]
    # B1 takes 49.5 m² of B's 100 m², B2 50 m²: the best fit is B2
    assert out.loc["B", "change"] == "split" and out.loc["B", "lsoa21_code"] == "B2"
    assert out.loc["B", "share_of_lsoa11_area"] == pytest.approx(0.5)
    assert out.loc[["C", "D"], "change"].tolist() == ["merged", "merged"]
    # E lies wholly in E', but E' also takes 30% of F, which also feeds F'
    assert out.loc[["E", "F"], "change"].tolist() == ["complex", "complex"]
    assert out.loc["F", "lsoa21_code"] == "F'" and out.loc["F", "share_of_lsoa11_area"] == pytest.approx(0.7)
    assert pd.isna(out.loc["G", "lsoa21_code"]) and out.loc["G", "share_of_lsoa11_area"] == 0.0


def test_lsoa_changes_small():
    import geopandas as gpd
    from shapely.geometry import box

    old = gpd.GeoDataFrame({"code": ["A", "B", "C", "D", "G"]},
                           geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(20, 0, 30, 10),
                                     box(30, 0, 40, 10), box(500, 500, 510, 510)], crs=27700)
    new = gpd.GeoDataFrame({"code": ["A", "B1", "B2", "CD"]},
                           geometry=[box(0, 0, 10.05, 10), box(10.05, 0, 15, 10), box(15, 0, 20, 10),
                                     box(20, 0, 40, 10)], crs=27700)
    links = lsoa_changes(old, new)
    assert links[["lsoa11_code", "lsoa21_code", "change"]].values.tolist() == [
        ["A", "A", "unchanged"], ["B", "B1", "split"], ["B", "B2", "split"],
        ["C", "CD", "merged"], ["D", "CD", "merged"]]  # the A/B1 sliver is no link; G links nowhere
    # B gives 0.5 m² of its 100 m² to A (a sliver, no link): its links cover 99.5%
    assert links.loc[links.lsoa11_code == "B", "share_of_lsoa11_area"].sum() == pytest.approx(0.995)


@pytest.mark.real_data
def test_lsoa_changes_children_of_splits(lsoa11, lsoa21, lsoa_map):
    links = lsoa_changes(lsoa11, lsoa21)
    split = links[links.change == "split"]
    # every split 2011 LSOA has at least two children, all new 2021 codes, one of them its best fit
    assert split.groupby("lsoa11_code").size().min() >= 2
    assert not split.lsoa21_code.isin(set(lsoa11.code)).any()
    best = lsoa_map.set_index("lsoa11_code")["lsoa21_code"]
    assert split.groupby("lsoa11_code")["lsoa21_code"].agg(set).apply(len).sum() == len(split)
    assert all(best[old] in set(group) for old, group in split.groupby("lsoa11_code")["lsoa21_code"])


def test_lsoa_table_without_wards_is_not_a_lookup(tmp_path):
    # e.g. london-2011-2021-major-drugs.csv: LSOA and LAD columns, no ward; prepare must not claim it
    path = tmp_path / "crimes.csv"
    path.write_text("LSOA11CD,LSOA11NM,LAD11CD,LAD11NM,2011\nE01000001,City of London 001A,E09000001,City of London,3\n",
                    encoding="utf-8")
    assert not is_lookup(path)

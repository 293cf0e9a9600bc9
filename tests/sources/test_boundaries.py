"""sources.boundaries: real London boundary files in every format, and bad inputs.

Expected values come from the files themselves or from other publications, never
from this reader: counts from PROVENANCE.md and the dBASE headers, areas from the
HECTARES/NONLD_AREA attributes of the London Datastore borough file, LSOA lists
from the ONS LSOA21→WD25→LAD25 lookup (read here with the csv module).
"""

from __future__ import annotations

import csv
import json
import struct
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import Polygon, box

from cdp_analysis.errors import DataFormatError, MissingDataError, UnknownAreaError
from cdp_analysis.sources.boundaries import detect_level, read_boundaries, simplify_for_web

try:  # tests/sources as a package or as a plain folder on sys.path
    from ._real import REAL, need
except ImportError:
    from _real import REAL, need

B = REAL / "boundaries"
LSOA11_SHP = B / "statistical-gis-boundaries-london_LSOA_2011_London_gen_MHW" / "LSOA_2011_London_gen_MHW.shp"
LSOA21_SHP = B / "london-data_jdm" / "london-2021-lsoa-gen20.shp"
LAD22_SHP = B / "london-data_jdm" / "london-2021-lad22-gen20.shp"
BOROUGHS = B / "london_boroughs.geojson"
WARDS_TAB = B / "london-wards-2018-mapinfo" / "London_Ward_CityMerged.tab"
MARTINJC = B / "uk-geojson_martinjc"
LOOKUP = REAL / "other" / "LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2.csv"

# london_boroughs.geojson, feature "City of London": HECTARES 314.942, NONLD_AREA 24.546 (ha)
CITY_LAND_KM2 = (314.942 - 24.546) / 100
# same file, feature "Barnet": HECTARES 8674.837, NONLD_AREA 0
BARNET_KM2 = 8674.837 / 100


@pytest.fixture(scope="module")
def lsoa11():
    return read_boundaries(need(LSOA11_SHP))


@pytest.fixture(scope="module")
def lsoa21():
    return read_boundaries(need(LSOA21_SHP))


@pytest.fixture(scope="module")
def lad22():
    return read_boundaries(need(LAD22_SHP))


@pytest.fixture(scope="module")
def boroughs():
    return read_boundaries(need(BOROUGHS))


@pytest.fixture(scope="module")
def wards_tab():
    return read_boundaries(need(WARDS_TAB))


def _km2(gdf) -> float:
    return float(gdf.geometry.area.sum()) / 1e6


# -- real files -----------------------------------------------------------------------------------


@pytest.mark.real_data
def test_lsoa_2011_shapefile(lsoa11):
    # record count in the .dbf header (bytes 4-7, little-endian): 4,835; also PROVENANCE.md
    with need(LSOA11_SHP.with_suffix(".dbf")).open("rb") as handle:
        records = struct.unpack("<I", handle.read(8)[4:8])[0]
    assert records == 4835
    assert len(lsoa11) == 4835
    assert list(lsoa11.columns) == ["code", "name", "parent_code", "geometry"]
    assert lsoa11.crs.to_epsg() == 27700
    assert lsoa11.attrs["level"] == "lsoa" and lsoa11.attrs["vintage"] == "2011"
    assert lsoa11.attrs["parent_column"] == "LAD11CD"
    assert lsoa11.code.is_unique and lsoa11.geometry.is_valid.all()
    assert lsoa11.attrs["repaired"] > 0  # the raw file has self-intersecting rings
    first = lsoa11.set_index("code").loc["E01000001"]
    assert first["name"] == "City of London 001A" and first["parent_code"] == "E09000001"
    # City of London has 6 LSOAs (2011), PROVENANCE.md and the martinjc E09000001.json (6 features)
    city = lsoa11[lsoa11.parent_code == "E09000001"]
    assert len(city) == 6
    assert _km2(city) == pytest.approx(CITY_LAND_KM2, rel=0.03)
    assert lsoa11.parent_code.nunique() == 33


@pytest.mark.real_data
def test_esri_prj_is_relabelled_not_reprojected(lsoa11):
    # The ESRI .prj spells BNG with a rounded scale factor ("unnamed" to PROJ);
    # the coordinates are BNG already and must come back unchanged.
    raw_bounds = pyogrio.read_info(LSOA11_SHP, force_total_bounds=True)["total_bounds"]
    assert np.allclose(lsoa11.total_bounds, raw_bounds, atol=1e-6)
    assert "OSGB36 / British National Grid" in lsoa11.attrs["source_crs"]


@pytest.mark.real_data
def test_lsoa_2021_shapefile_matches_the_ons_lookup(lsoa21):
    with need(LOOKUP).open(encoding="utf-8-sig", newline="") as handle:
        london = {r["LSOA21CD"]: r["LAD25CD"] for r in csv.DictReader(handle) if r["LAD25CD"].startswith("E09")}
    assert len(london) == 4994  # PROVENANCE.md: London 4,994 LSOAs (2021)
    assert len(lsoa21) == 4994
    assert set(lsoa21.code) == set(london)
    assert lsoa21.attrs["level"] == "lsoa" and lsoa21.attrs["vintage"] == "2021"
    assert lsoa21.crs.to_epsg() == 27700
    # the parent LAD22 code agrees with the ONS lookup's LAD25 for every London LSOA
    assert (lsoa21.parent_code == lsoa21.code.map(london)).all()
    assert (lsoa21.parent_code == "E09000003").sum() == 220  # Barnet, 220 rows in the lookup


@pytest.mark.real_data
def test_lad22_shapefile(lad22):
    assert len(lad22) == 33  # PROVENANCE.md: 33 London LADs
    assert "parent_code" not in lad22.columns
    assert lad22.attrs["level"] == "lad" and lad22.attrs["vintage"] == "LAD22"
    barnet = lad22.set_index("code").loc["E09000003"]
    assert barnet["name"] == "Barnet"
    assert barnet.geometry.area / 1e6 == pytest.approx(BARNET_KM2, rel=0.02)


@pytest.mark.real_data
def test_geojson_without_crs_member_is_wgs84(boroughs):
    text = need(BOROUGHS).read_text(encoding="utf-8")
    assert '"crs"' not in text[:500]  # the file really has no crs member
    assert len(boroughs) == 33
    assert boroughs.crs.to_epsg() == 27700
    assert boroughs.attrs["code_column"] == "GSS_CODE" and boroughs.attrs["name_column"] == "NAME"
    assert boroughs.attrs["level"] == "lad"  # from the E09 prefix of GSS_CODE
    assert boroughs.attrs["vintage"] is None
    city = boroughs.set_index("code").loc["E09000001"]
    assert city["name"] == "City of London"
    assert city.geometry.area / 1e6 == pytest.approx(CITY_LAND_KM2, rel=0.01)


@pytest.mark.real_data
def test_mapinfo_tab_wards(wards_tab):
    assert len(wards_tab) == 633  # PROVENANCE.md: 633 wards, City merged into one
    assert wards_tab.crs.to_epsg() == 27700
    assert wards_tab.attrs["level"] == "ward"  # GSS_CODE values are E05…
    assert wards_tab.attrs["parent_column"] == "LAGSSCODE"
    assert wards_tab.parent_code.nunique() == 33
    city = wards_tab[wards_tab.parent_code == "E09000001"]
    assert list(city.name) == ["Castle Baynard"]
    # the merged City ward's .DAT attributes: HECTARES 314.943 (NONLD_AREA 24.546 of it is
    # Thames: this ward set is not clipped to the shoreline, so the polygon has the full area)
    assert city.geometry.area.iloc[0] / 1e4 == pytest.approx(314.943, rel=0.01)


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("lad", "lsoas", "wards"),
    # PROVENANCE.md: City of London 25 wards / 6 LSOAs; Barnet 21 / 211; Tower Hamlets 17 / 144
    [("E09000001", 6, 25), ("E09000003", 211, 21), ("E09000030", 144, 17)],
)
def test_martinjc_crs84_geojson(lad, lsoas, wards):
    lsoa = read_boundaries(need(MARTINJC / "lsoa_by_lad" / f"{lad}.json"))
    ward = read_boundaries(need(MARTINJC / "wards_by_lad" / f"{lad}.json"))
    assert (len(lsoa), len(ward)) == (lsoas, wards)
    assert lsoa.attrs["vintage"] == "2011" and ward.attrs["vintage"] == "WD13"
    assert ward.attrs["level"] == "ward" and lsoa.attrs["level"] == "lsoa"
    for gdf in (lsoa, ward):
        assert gdf.crs.to_epsg() == 27700
        minx, miny, maxx, maxy = gdf.total_bounds  # Greater London in BNG metres
        assert 500_000 < minx < maxx < 565_000 and 150_000 < miny < maxy < 205_000
        assert gdf.geometry.is_valid.all()
    assert _km2(lsoa) == pytest.approx(_km2(ward), rel=0.01)  # same LAD, two partitions


@pytest.mark.real_data
def test_simplify_for_web_coverage(lad22):
    web = simplify_for_web(lad22)
    assert web.crs.to_epsg() == 4326
    assert list(web.code) == list(lad22.code) and list(web.name) == list(lad22.name)
    assert web.geometry.is_valid.all()
    assert web.attrs["simplify_method"].startswith("coverage")
    assert web.attrs["vertices_after"] < 0.8 * web.attrs["vertices_before"]
    assert len(web.to_json()) < 0.8 * len(lad22.to_crs(4326).to_json())
    back = web.to_crs(27700)
    assert _km2(back) == pytest.approx(_km2(lad22), rel=0.005)
    # shared borders simplified together: no overlaps appear between boroughs
    assert shapely.union_all(back.geometry.values).area / 1e6 == pytest.approx(_km2(back), rel=1e-4)


@pytest.mark.real_data
def test_simplify_for_web_overlapping_polygons(lsoa11):
    # the 2011 LSOAs overlap slightly after repair, so each is simplified on its own
    web = simplify_for_web(lsoa11, tolerance_m=10)
    assert web.attrs["simplify_method"].startswith("simplify per polygon")
    assert web.attrs["vertices_after"] < web.attrs["vertices_before"]
    assert web.geometry.is_valid.all() and not web.geometry.is_empty.any()
    assert len(web) == len(lsoa11) and web.crs.to_epsg() == 4326


def test_simplify_for_web_rejects_non_geodataframe():
    with pytest.raises(TypeError, match="GeoDataFrame"):
        simplify_for_web([1, 2])


# -- detect_level ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("E01000001", "lsoa"), ("W01000011", "lsoa"), ("E02000001", "msoa"), ("E05000043", "ward"),
        ("E06000047", "lad"), ("E07000008", "lad"), ("E08000025", "lad"), ("E09000003", "lad"),
        ("W06000001", "lad"), ("E10000002", "utla"), ("E12000007", "region"), ("E92000001", "country"),
        ("Z01000001", "lsoa"), ("Z05000001", "ward"), ("Z09000001", "lad"), ("Z12000001", "region"),
        ("Z95000001", "cdp"), (" e09000003 ", "lad"),
    ],
)
def test_detect_level(code, level):
    assert detect_level(code) == level


@pytest.mark.parametrize("code", ["Barnet", "E99000001", "E0900000", "", "E09000003X"])
def test_detect_level_rejects(code):
    with pytest.raises(UnknownAreaError):
        detect_level(code)


# -- small files: formats and errors --------------------------------------------------------------


def _squares(codes, crs="EPSG:27700", **columns) -> gpd.GeoDataFrame:
    geoms = [box(530_000 + 100 * i, 180_000, 530_100 + 100 * i, 180_100) for i in range(len(codes))]
    return gpd.GeoDataFrame({"code_col": list(codes), **columns}, geometry=geoms, crs=crs)


def _geojson(path: Path, features: list[dict], crs: str | None = None) -> Path:
    doc: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _feature(props: dict, ring: list[list[float]]) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}


LONLAT_RING = [[-0.1, 51.5], [-0.09, 51.5], [-0.09, 51.51], [-0.1, 51.51], [-0.1, 51.5]]
BNG_RING = [[530000, 180000], [530100, 180000], [530100, 180100], [530000, 180100], [530000, 180000]]


def test_demo_codes_in_a_generic_code_column(tmp_path):
    path = tmp_path / "demo_lsoa.gpkg"
    gdf = _squares(["Z01000001", "Z01000002"]).rename(columns={"code_col": "code"})
    gdf["name"] = ["Demo 001A", "Demo 001B"]
    gdf["LAD22CD"] = ["Z09000001", "Z09000001"]
    gdf.to_file(path, layer="demo_lsoa", engine="pyogrio")
    out = read_boundaries(path)
    assert out.attrs["level"] == "lsoa" and out.attrs["vintage"] is None
    assert list(out.columns) == ["code", "name", "parent_code", "geometry"]
    assert list(out.parent_code) == ["Z09000001", "Z09000001"]
    assert out.geometry.area.tolist() == pytest.approx([10_000.0, 10_000.0])


def test_user_columns_and_level(tmp_path):
    path = tmp_path / "areas.gpkg"
    _squares(["X1", "X2"], label=["One", "Two"]).to_file(path, engine="pyogrio")
    with pytest.raises(DataFormatError, match="geography level"):
        read_boundaries(path, code_col="code_col", name_col="label")
    out = read_boundaries(path, code_col="code_col", name_col="label", level="ward")
    assert list(out.name) == ["One", "Two"] and out.attrs["level"] == "ward"


@pytest.mark.parametrize(("encoding", "marker"), [("cp1252", b"\x92"), ("UTF-8", "\u2019".encode())])
def test_dbf_without_cpg(tmp_path, encoding, marker):
    path = tmp_path / "wards.shp"
    names = ["St Mary\u2019s", "Ynys M\u00f4n"]  # ’ is 0x92 in Windows-1252, undefined in Latin-1
    gdf = _squares(["E05000001", "E05000002"], WD22NM=names).rename(columns={"code_col": "WD22CD"})
    gdf.to_file(path, encoding=encoding, engine="pyogrio")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert marker in path.with_suffix(".dbf").read_bytes()
    out = read_boundaries(path)
    assert list(out.name) == names
    assert out.attrs["vintage"] == "WD22"


def test_geojson_in_bng_without_crs_needs_assume_crs(tmp_path):
    path = _geojson(tmp_path / "bng.geojson", [_feature({"LAD22CD": "E09000001"}, BNG_RING)])
    with pytest.raises(DataFormatError, match="assume_crs") as info:
        read_boundaries(path)
    assert info.value.path == path
    out = read_boundaries(path, assume_crs="EPSG:27700")
    assert out.geometry.area.iloc[0] == pytest.approx(10_000.0)


def test_shapefile_without_prj(tmp_path):
    path = tmp_path / "noprj.shp"
    _squares(["E01000001"]).rename(columns={"code_col": "LSOA21CD"}).to_file(path, engine="pyogrio")
    path.with_suffix(".prj").unlink()
    with pytest.raises(DataFormatError, match="coordinate reference system") as info:
        read_boundaries(path)
    assert "noprj.shp" in str(info.value)
    assert read_boundaries(path, assume_crs=27700).crs.to_epsg() == 27700


def test_no_code_column_lists_the_columns(tmp_path):
    path = _geojson(tmp_path / "x.geojson", [_feature({"foo": "a", "bar": 1}, LONLAT_RING)])
    with pytest.raises(DataFormatError, match="no recognisable area code column") as info:
        read_boundaries(path)
    assert "'foo'" in str(info.value) and "'bar'" in str(info.value) and "x.geojson" in str(info.value)


def test_missing_user_code_column(tmp_path):
    path = _geojson(tmp_path / "x.geojson", [_feature({"GSS_CODE": "E09000001"}, LONLAT_RING)])
    with pytest.raises(DataFormatError) as info:
        read_boundaries(path, code_col="LAD22CD")
    assert info.value.column == "LAD22CD" and "'GSS_CODE'" in str(info.value)


def test_duplicate_codes(tmp_path):
    feats = [_feature({"LSOA11CD": "E01000001"}, LONLAT_RING)] * 2
    path = _geojson(tmp_path / "dup.geojson", feats)
    with pytest.raises(DataFormatError, match="duplicate") as info:
        read_boundaries(path)
    assert info.value.column == "LSOA11CD" and "E01000001" in str(info.value)


def test_empty_code(tmp_path):
    feats = [_feature({"LSOA11CD": "E01000001"}, LONLAT_RING), _feature({"LSOA11CD": " "}, LONLAT_RING)]
    with pytest.raises(DataFormatError, match="feature 2 has no code"):
        read_boundaries(_geojson(tmp_path / "blank.geojson", feats))


def test_level_contradicting_codes(tmp_path):
    path = _geojson(tmp_path / "x.geojson", [_feature({"GSS_CODE": "E01000001"}, LONLAT_RING)])
    with pytest.raises(DataFormatError, match="lsoa codes, not ward"):
        read_boundaries(path, level="ward")


def test_empty_files(tmp_path):
    zero = tmp_path / "zero.geojson"
    zero.write_bytes(b"")
    with pytest.raises(DataFormatError, match="empty"):
        read_boundaries(zero)
    with pytest.raises(DataFormatError, match="no features"):
        read_boundaries(_geojson(tmp_path / "none.geojson", []))


def test_unreadable_file(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [ {"type": ', encoding="utf-8")
    with pytest.raises(DataFormatError, match="cannot read") as info:
        read_boundaries(path)
    assert info.value.path == path


def test_missing_file_and_wrong_type(tmp_path):
    with pytest.raises(MissingDataError):
        read_boundaries(tmp_path / "nowhere.gpkg")
    csv_file = tmp_path / "areas.csv"
    csv_file.write_text("code\nE01000001\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="not a boundary file type"):
        read_boundaries(csv_file)


def test_several_layers_need_layer(tmp_path):
    path = tmp_path / "two.gpkg"
    _squares(["E01000001"]).rename(columns={"code_col": "LSOA21CD"}).to_file(path, layer="lsoa", engine="pyogrio")
    _squares(["E09000001"]).rename(columns={"code_col": "LAD22CD"}).to_file(path, layer="lad", engine="pyogrio")
    with pytest.raises(DataFormatError, match="several layers") as info:
        read_boundaries(path)
    assert "'lsoa'" in str(info.value) and "'lad'" in str(info.value)
    assert read_boundaries(path, layer="lad").attrs["level"] == "lad"


def test_invalid_geometry_is_repaired(tmp_path):
    bowtie = [[530000, 180000], [530100, 180100], [530100, 180000], [530000, 180100], [530000, 180000]]
    path = _geojson(
        tmp_path / "bowtie.geojson", [_feature({"LSOA21CD": "E01000001"}, bowtie)],
        crs="urn:ogc:def:crs:EPSG::27700",
    )
    assert not Polygon(bowtie).is_valid
    out = read_boundaries(path)
    assert out.attrs["repaired"] == 1
    assert out.geometry.is_valid.all()
    assert out.geometry.iloc[0].geom_type == "MultiPolygon"
    assert out.geometry.area.iloc[0] == pytest.approx(5_000.0)  # two triangles of 50 m × 100 m / 2 each


def test_null_geometry(tmp_path):
    path = tmp_path / "null.geojson"
    doc = {"type": "FeatureCollection", "features": [
        _feature({"LSOA21CD": "E01000001"}, LONLAT_RING),
        {"type": "Feature", "properties": {"LSOA21CD": "E01000002"}, "geometry": None},
    ]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataFormatError, match="E01000002"):
        read_boundaries(path)

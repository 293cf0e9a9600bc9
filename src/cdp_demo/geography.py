"""Geography of the synthetic demo region (helper of :mod:`cdp_demo.region`).

The region lies in the North Sea (around easting 640000, northing 420000 in
EPSG:27700, some 60 km off the Norfolk coast), so it cannot overlap a real place.
Its outline is a smooth random blob about 40 km across, split into the four demo
boroughs of the area registry (Voronoi cells of four seeds clipped to the outline);
each borough is split into wards and each ward into LSOAs the same way. Codes use
the ``Z`` prefix ONS never issues. Everything is a pure function of the random
generator handed in, so the same seed gives the same geography.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPoint, Point, Polygon

from cdp_analysis.areas import AreaRegistry
from cdp_analysis.sources.boundaries import BNG

__all__ = [
    "CRS",
    "CENTRE",
    "WARDS_PER_BOROUGH",
    "LSOAS_PER_WARD",
    "WARD_HEADS",
    "WARD_TAILS",
    "Borough",
    "Geography",
    "build_geography",
]

CRS = BNG  # British National Grid, as the real boundaries
CENTRE = (640_000.0, 420_000.0)
RADIUS = 20_000.0  # metres: the region is about 40 km across
WARDS_PER_BOROUGH = (15, 19)  # inclusive; the brief allows 15-25 (kept low: file sizes)
LSOAS_PER_WARD = (8, 10)  # inclusive; the brief allows 8-12
SNAP_POINTS_PER_LSOA = (4, 8)  # police.uk anonymises locations to a few map points
URBAN_SCALE = 3_000.0  # metres: how far a town centre's pull on density reaches

# Landmark labels police.uk uses instead of a street for some map points.
_LANDMARKS = (
    "Supermarket", "Parking Area", "Petrol Station", "Sports/Recreation Area",
    "Shopping Area", "Nightclub", "Further/Higher Educational Building", "Hospital",
    "Police Station", "Theatre/Concert Hall", "Pedestrian Subway", "Bus/Coach Station",
)
#: The two halves of the invented ward (and area) names.
WARD_HEADS = (
    "Ash", "Alder", "Barrow", "Beck", "Birch", "Black", "Bram", "Brook", "Burn", "Cald",
    "Carr", "Chal", "Clay", "Cold", "Crane", "Crow", "Dale", "Dray", "Elder", "Fair",
    "Fen", "Fern", "Fox", "Gale", "Gorse", "Grey", "Hart", "Hazel", "Heath", "Holly",
    "Kest", "Lang", "Lark", "Linn", "Marsh", "Mere", "Mill", "Moss", "Nether", "Oak",
    "Orm", "Pen", "Quarry", "Raven", "Reed", "Rook", "Rush", "Salt", "Sand", "Sedge",
    "Shel", "Sker", "Stan", "Stone", "Swan", "Tarn", "Thorn", "Wad", "Wester", "Whin",
    "Wick", "Willow", "Wold", "Wren", "Yar", "Yew",
)
WARD_TAILS = (
    "by", "bury", "combe", "cote", "dale", "den", "field", "ford", "gate", "ham",
    "holme", "hurst", "ley", "mere", "moor", "ridge", "stead", "stow", "thorpe", "ton",
    "well", "wick", "wood", "worth",
)
_WARD_QUALIFIERS = ("North", "South", "East", "West", "Park", "Green", "Village", "Rural")
_STREET_HEADS = (
    "Abbey", "Albert", "Alma", "Ash", "Beech", "Bell", "Bridge", "Brook", "Castle",
    "Cedar", "Chapel", "Chestnut", "Church", "Clarence", "Coronation", "Cross", "Dock",
    "Elm", "Ferry", "Forge", "Garden", "George", "Grange", "Hawthorn", "Heron", "High",
    "Hill", "Holly", "Jubilee", "King", "Kingfisher", "Larch", "Lime", "Lower", "Manor",
    "Maple", "Market", "Meadow", "Mill", "Nelson", "New", "North", "Oak", "Orchard",
    "Park", "Priory", "Queen", "Railway", "Rectory", "Riverside", "Rowan", "School",
    "Sheep", "Silver", "Spring", "Station", "Tanner", "Tower", "Trinity", "Union",
    "Upper", "Vicarage", "Victoria", "Water", "Well", "West", "Willow", "Windmill",
    "York",
)
_STREET_TAILS = (
    "Street", "Road", "Lane", "Avenue", "Close", "Way", "Drive", "Crescent", "Gardens",
    "Terrace", "Grove", "Place", "Walk", "Court", "Rise", "View", "Mews", "Row",
)


@dataclass(frozen=True)
class Borough:
    """One demo borough: registry code and name, its polygon and its town centre."""

    code: str
    name: str
    geometry: Polygon
    centre: Point


@dataclass(frozen=True)
class Geography:
    """The generated region.

    ``lsoas`` has ``LSOA21CD, LSOA21NM, WD22CD, WD22NM, LAD22CD, LAD22NM, x, y,
    urban, geometry`` (``x, y`` the centroid in metres, ``urban`` a 0-1 closeness
    to the borough's town centre). ``snap_points`` has one row per anonymised map
    point: ``lsoa_index`` (row of ``lsoas``), ``weight`` (share of the LSOA's
    incidents), ``location`` (``On or near …``), ``longitude``, ``latitude``
    (6-decimal strings).
    """

    region_code: str
    region_name: str
    outline: Polygon
    boroughs: tuple[Borough, ...]
    lads: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame
    lsoas: gpd.GeoDataFrame
    snap_points: pd.DataFrame


# ---------------------------------------------------------------------------
def build_geography(rng: np.random.Generator, registry: AreaRegistry | None = None) -> Geography:
    """Build outline, boroughs, wards, LSOAs and police.uk map points."""
    registry = registry or AreaRegistry.builtin()
    region = next(a for a in registry.of_type("region", demo=True))
    members = sorted(registry.children(region.code, types=("utla", "lad")), key=lambda a: a.code)

    scale = max(1.0, (len(members) / 4) ** 0.5)  # more boroughs, a bigger region of the same density
    outline = _outline(rng, radius=RADIUS * scale)
    boroughs = _boroughs(rng, outline, [(a.code, a.name) for a in members], radius=RADIUS * scale)
    ward_rows, lsoa_rows = [], []
    used_names: set[str] = {b.name for b in boroughs}
    for borough in boroughs:
        n_wards = int(rng.integers(WARDS_PER_BOROUGH[0], WARDS_PER_BOROUGH[1] + 1))
        seeds = _sample_points(rng, borough.geometry, n_wards, borough.centre)
        seeds = _relax(seeds, borough.geometry, iterations=1)
        cells = _partition(borough.geometry, seeds)
        ward_geoms = sorted(cells, key=_north_west_key)
        names = _ward_names(rng, borough, ward_geoms, used_names)
        for ward_geom, ward_name in zip(ward_geoms, names, strict=True):
            ward_rows.append({"WD22NM": ward_name, "LAD22CD": borough.code, "geometry": ward_geom})
            n_lsoas = int(rng.integers(LSOAS_PER_WARD[0], LSOAS_PER_WARD[1] + 1))
            points = _sample_points(rng, ward_geom, n_lsoas, borough.centre)
            points = _relax(points, ward_geom, iterations=1)
            for cell in _partition(ward_geom, points):
                lsoa_rows.append({"ward_name": ward_name, "borough": borough, "geometry": cell})

    wards = _number_wards(ward_rows)
    lsoas = _name_lsoas(rng, lsoa_rows, wards)
    lads = gpd.GeoDataFrame(
        {"LAD22CD": [b.code for b in boroughs], "LAD22NM": [b.name for b in boroughs]},
        geometry=[b.geometry for b in boroughs], crs=CRS,
    )
    snaps = _snap_points(rng, lsoas)
    return Geography(region.code, region.name, outline, tuple(boroughs), lads, wards, lsoas, snaps)


# shapes -----------------------------------------------------------------------
def _outline(rng: np.random.Generator, n: int = 720, radius: float = RADIUS) -> Polygon:
    """A smooth star-shaped blob: a circle of ``radius`` metres with a few low harmonics."""
    base = radius
    theta = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    radius = np.ones(n)
    for k in range(2, 7):
        amplitude = rng.uniform(0.02, 0.09) / k**0.7
        radius += amplitude * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    x = CENTRE[0] + base * radius * np.cos(theta)
    y = CENTRE[1] + base * radius * np.sin(theta)
    return Polygon(np.round(np.column_stack([x, y]), 2))


def _boroughs(
    rng: np.random.Generator, outline: Polygon, members: list[tuple[str, str]], radius: float = RADIUS,
) -> list[Borough]:
    """Voronoi cells of one seed per borough (NW, NE, SW, SE … with jitter).

    More than eight boroughs (a national-scale demo) get seeds on a jittered sunflower
    spiral, which spreads any number evenly over the region.
    """
    n = len(members)
    if n > 8:
        k = np.arange(n) + 0.5
        angles = k * np.pi * (3.0 - 5.0**0.5) + rng.uniform(-0.1, 0.1, n)
        dist = radius * 0.92 * np.sqrt(k / n)
    else:
        angles = np.array([3, 1, 5, 7, 0, 2, 4, 6], dtype=float)[:n] * np.pi / 4  # NW, NE, SW, SE, …
        angles += rng.uniform(-0.25, 0.25, n)
        dist = radius * rng.uniform(0.45, 0.6, n)
    seeds = np.column_stack([CENTRE[0] + dist * np.cos(angles), CENTRE[1] + dist * np.sin(angles)])
    cells = _partition(outline, seeds, keep_order=True)
    boroughs = []
    for (code, name), cell, seed in zip(members, cells, seeds, strict=True):
        centre = Point(seed) if cell.contains(Point(seed)) else cell.point_on_surface()
        boroughs.append(Borough(code, name, cell, centre))
    return boroughs


def _sample_points(
    rng: np.random.Generator, polygon: Polygon, n: int, centre: Point | None = None
) -> np.ndarray:
    """``n`` random points inside ``polygon``, denser near ``centre`` (towns)."""
    minx, miny, maxx, maxy = polygon.bounds
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        batch = rng.uniform((minx, miny), (maxx, maxy), size=(max(4 * n, 64), 2))
        inside = shapely.contains_xy(polygon, batch[:, 0], batch[:, 1])
        batch = batch[inside]
        if centre is not None:
            d2 = (batch[:, 0] - centre.x) ** 2 + (batch[:, 1] - centre.y) ** 2
            accept = rng.uniform(size=len(batch)) < 0.35 + 0.65 * np.exp(-d2 / (2 * URBAN_SCALE**2))
            batch = batch[accept]
        found.append(batch)
        count += len(batch)
    return np.concatenate(found)[:n]


def _relax(points: np.ndarray, polygon: Polygon, iterations: int) -> np.ndarray:
    """Lloyd relaxation: move each point to the centre of its clipped cell."""
    for _ in range(iterations):
        cells = _partition(polygon, points, keep_order=True)
        points = np.array([_inner_centre(c) for c in cells])
    return points


def _inner_centre(geom: shapely.Geometry) -> tuple[float, float]:
    c = geom.centroid
    if not geom.contains(c):
        c = geom.point_on_surface()
    return (c.x, c.y)


def _partition(parent: Polygon, points: np.ndarray, keep_order: bool = False) -> list[Polygon]:
    """Voronoi cells of ``points`` clipped to ``parent``; they tile ``parent`` exactly.

    A cell cut in pieces by a concave stretch of the parent keeps its largest
    piece; the other pieces join the neighbour they share most boundary with.
    """
    diagram = shapely.voronoi_polygons(
        MultiPoint(points), extend_to=parent.buffer(parent.length), ordered=True
    )
    cells = list(shapely.get_parts(diagram))
    if len(cells) != len(points):  # coincident points: should not happen with continuous draws
        raise RuntimeError("Voronoi diagram lost a point")
    clipped = [shapely.intersection(cell, parent) for cell in cells]
    mains: list[shapely.Geometry] = []
    fragments: list[shapely.Geometry] = []
    for geom in clipped:
        parts = sorted(shapely.get_parts(geom), key=lambda g: -g.area)
        parts = [p for p in parts if p.geom_type == "Polygon" and p.area > 0]
        mains.append(parts[0] if parts else Polygon())
        fragments.extend(parts[1:])
    for fragment in fragments:
        shared = [
            shapely.length(shapely.intersection(fragment.boundary, m.boundary)) if not m.is_empty else 0.0
            for m in mains
        ]
        target = int(np.argmax(shared))
        mains[target] = shapely.union(mains[target], fragment)
    result = [shapely.make_valid(m) if not m.is_valid else m for m in mains]
    if not keep_order:
        result = [r for r in result if not r.is_empty]
    return result


def _north_west_key(geom: shapely.Geometry) -> tuple[float, float]:
    c = geom.centroid
    return (-round(c.y, -2), round(c.x, -2))


# names and codes --------------------------------------------------------------
def _ward_names(
    rng: np.random.Generator, borough: Borough, wards: list[Polygon], used: set[str]
) -> list[str]:
    """Plausible fictional ward names, unique within the region.

    The ward holding the town centre is "<Borough> Central"; a few others carry a
    qualifier ("Hartley North"), as real ward names often do.
    """
    names = []
    for geom in wards:
        if geom.contains(borough.centre) and f"{borough.name} Central" not in used:
            name = f"{borough.name} Central"
        else:
            while True:
                head = WARD_HEADS[int(rng.integers(len(WARD_HEADS)))]
                tail = WARD_TAILS[int(rng.integers(len(WARD_TAILS)))]
                name = head + tail
                if head[-1] == tail[0]:  # "Rushhurst" reads badly
                    continue
                if rng.uniform() < 0.2:
                    name += " " + _WARD_QUALIFIERS[int(rng.integers(len(_WARD_QUALIFIERS)))]
                if name not in used:
                    break
        used.add(name)
        names.append(name)
    return names


def _number_wards(rows: list[dict]) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    # rows come borough by borough, north-west first, which is the stable numbering order
    frame.insert(0, "WD22CD", [f"Z05{i:06d}" for i in range(1, len(frame) + 1)])
    return frame[["WD22CD", "WD22NM", "LAD22CD", "geometry"]]


def _name_lsoas(rng: np.random.Generator, rows: list[dict], wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Group LSOAs into MSOA-like clusters of 4-6 within each ward, number the
    clusters north to south within the borough (as ONS does), letter the LSOAs,
    then give codes in name order (``Z01000001`` is ``Brackenmoor 001A``)."""
    frame = pd.DataFrame(rows)
    cent = shapely.centroid(frame["geometry"].to_numpy())
    frame["x"], frame["y"] = shapely.get_x(cent), shapely.get_y(cent)
    frame["borough_code"] = [b.code for b in frame["borough"]]
    frame["borough_name"] = [b.name for b in frame["borough"]]
    frame["urban"] = [
        float(np.exp(-(g.centroid.distance(b.centre) ** 2) / (2 * URBAN_SCALE**2)))
        for g, b in zip(frame["geometry"], frame["borough"], strict=True)
    ]
    frame["msoa_key"] = ""
    for ward_name, group in frame.groupby("ward_name", sort=True):
        n = len(group)
        clusters = 2 if n >= 8 else 1
        order = group.sort_values(["x", "y"]).index.to_numpy()
        for k, chunk in enumerate(np.array_split(order, clusters)):
            frame.loc[chunk, "msoa_key"] = f"{ward_name}/{k}"
    msoa_centres = frame.groupby("msoa_key")[["x", "y"]].mean()
    frame["msoa_y"] = frame["msoa_key"].map(msoa_centres["y"])
    frame["msoa_x"] = frame["msoa_key"].map(msoa_centres["x"])
    names = pd.Series("", index=frame.index)
    for _, group in frame.groupby("borough_code", sort=True):
        msoas = (
            group.drop_duplicates("msoa_key")
            .assign(ky=lambda d: -d["msoa_y"].round(-1), kx=lambda d: d["msoa_x"].round(-1))
            .sort_values(["ky", "kx", "msoa_key"])["msoa_key"]
            .tolist()
        )
        number = {key: i for i, key in enumerate(msoas, start=1)}
        for key, members in group.groupby("msoa_key", sort=True):
            ordered = members.assign(ky=-members["y"].round(-1), kx=members["x"].round(-1))
            ordered = ordered.sort_values(["ky", "kx"])
            for j, idx in enumerate(ordered.index):
                names[idx] = f"{group['borough_name'].iloc[0]} {number[key]:03d}{chr(ord('A') + j)}"
    frame["LSOA21NM"] = names
    ward_codes = dict(zip(wards["WD22NM"], wards["WD22CD"], strict=True))
    frame["WD22NM"] = frame["ward_name"]
    frame["WD22CD"] = frame["ward_name"].map(ward_codes)
    frame["LAD22CD"] = frame["borough_code"]
    frame["LAD22NM"] = frame["borough_name"]
    frame = frame.sort_values(["LAD22CD", "LSOA21NM"]).reset_index(drop=True)
    frame.insert(0, "LSOA21CD", [f"Z01{i:06d}" for i in range(1, len(frame) + 1)])
    columns = ["LSOA21CD", "LSOA21NM", "WD22CD", "WD22NM", "LAD22CD", "LAD22NM", "x", "y", "urban"]
    return gpd.GeoDataFrame(frame[columns], geometry=list(frame["geometry"]), crs=CRS)


def _street_names(rng: np.random.Generator, n: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        head = _STREET_HEADS[int(rng.integers(len(_STREET_HEADS)))]
        tail = _STREET_TAILS[int(rng.integers(len(_STREET_TAILS)))]
        name = f"{head} {tail}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _snap_points(rng: np.random.Generator, lsoas: gpd.GeoDataFrame) -> pd.DataFrame:
    """A few anonymised map points per LSOA, each on a street of the ward."""
    rows = []
    streets_of_ward: dict[str, list[str]] = {}
    for ward_code, group in lsoas.groupby("WD22CD", sort=True):
        streets_of_ward[ward_code] = _street_names(rng, SNAP_POINTS_PER_LSOA[1] * len(group))
    used_in_ward: dict[str, int] = dict.fromkeys(streets_of_ward, 0)
    for i, lsoa in enumerate(lsoas.itertuples(index=False)):
        k = int(rng.integers(SNAP_POINTS_PER_LSOA[0], SNAP_POINTS_PER_LSOA[1] + 1))
        landmark = rng.uniform() < 0.2 + 0.6 * lsoa.urban
        pts = _sample_points(rng, lsoa.geometry, k + int(landmark))
        weights = rng.dirichlet(np.ones(len(pts)))
        street_list = streets_of_ward[lsoa.WD22CD]
        for j, (x, y) in enumerate(pts):
            if landmark and j == len(pts) - 1:
                label = _LANDMARKS[int(rng.integers(len(_LANDMARKS)))]
            elif rng.uniform() < 0.02:
                label = ""  # police.uk has map points with no street name ("On or near ")
            else:
                # streets are shared by neighbouring LSOAs of a ward, as real streets are
                pos = used_in_ward[lsoa.WD22CD]
                label = street_list[pos % len(street_list)]
                used_in_ward[lsoa.WD22CD] = pos + 1 if rng.uniform() < 0.8 else pos
            rows.append((i, float(weights[j]), f"On or near {label}", x, y))
    frame = pd.DataFrame(rows, columns=["lsoa_index", "weight", "location", "x", "y"])
    to_wgs84 = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(frame["x"].to_numpy(), frame["y"].to_numpy())
    frame["longitude"] = [f"{v:.6f}" for v in lon]
    frame["latitude"] = [f"{v:.6f}" for v in lat]
    return frame

"""Generate the synthetic demo region in the real published file formats.

``cdp demo`` calls :func:`generate_demo`, which writes a fictional region,
"Wyvern Vale", into ``data/raw/demo/`` exactly as the real downloads look, so the
whole pipeline (readers → processed tables → chapters) runs without any real data:

- ``README.md``, ``manifest.json``: what this is; seed, size and sha1 of every file
- ``boundaries/demo_{lsoa,wards,lad}.gpkg``: EPSG:27700 GeoPackages (ONS column names)
- ``lookups/LSOA21_WD22_LAD22_EW_LU.csv``: ONS best-fit lookup layout (UTF-8 BOM)
- ``population/sapelsoasyoa-demo.csv``: ONS SAPE single year of age by LSOA
- ``census/demo-census2021-ethnic-group-ltla.csv``: Census 2021 ethnic group (6 categories)
  by borough, as an ONS "create a custom dataset" download
- ``imd/demo-File_7-IoD2019-scores-ranks-deciles.csv``: IoD2019 File 7 columns
- ``police_uk/YYYY-MM/YYYY-MM-wyvern-vale-street.csv``: police.uk street crime (LF, no BOM)
- ``police_uk/YYYY-MM/YYYY-MM-wyvern-vale-stop-and-search.csv``: police.uk stop and search
- ``fingertips/demo-indicators.csv``: Fingertips export, 27-column header, CRLF

Every code carries the ``Z`` prefix ONS never issues (``Z09000001`` …), and the
region sits in the North Sea, so nothing can be mistaken for a real place. The
output is a pure function of ``(seed, months, end_month, GENERATOR_VERSION)``:
the same arguments give byte-identical files (no timestamps, sorted rows). Data
for a calendar month depends only on the seed and that month (and, for the
"Under investigation" outcomes, on its distance from ``end_month``), so a short
run holds the same months as a long one.

Examples
--------
>>> summary = generate_demo(Path("data/raw/demo"))          # doctest: +SKIP
>>> summary.lsoas, summary.crime_rows                        # doctest: +SKIP
(598, 543600)
"""

from __future__ import annotations

import calendar
import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.areas import AreaRegistry
from cdp_analysis.errors import ConfigError
from cdp_analysis.sources.census import CENSUS_ETHNIC_GROUPS
from cdp_analysis.sources.fingertips import EXPORT_HEADER
from cdp_analysis.sources.imd import LSOAS_2011
from cdp_analysis.sources.police_uk import STOP_SEARCH_HEADER as _STOP_SEARCH
from cdp_analysis.sources.police_uk import STREET_HEADER as _STREET
from cdp_analysis.stats import (
    ESP2013_WEIGHTS,
    compare_to_benchmark,
    dsr,
    esp2013_band,
    poisson_count_limits,
    recent_trend,
    wilson_lower,
    wilson_upper,
)
from cdp_analysis.stats import z_value as _z_value
from cdp_analysis.vocabulary import ENGLAND_CODE, ENGLAND_NAME
from cdp_demo import treatment as demo_treatment
from cdp_demo.demand import write_demand_files
from cdp_demo.geography import WARD_HEADS, WARD_TAILS, Geography, build_geography
from cdp_demo.manifest import (
    DEFAULT_AREAS,
    GENERATOR_VERSION,
    MAX_AREAS,
    _check_params,
    _current_manifest,
    demo_is_current,
)
from cdp_demo.supporting import write_supporting_files

__all__ = ["GENERATOR_VERSION", "DEFAULT_AREAS", "MAX_AREAS", "DemoSummary", "generate_demo", "demo_is_current",
           "demo_area_names"]


FORCE_NAME = "Wyvern Vale Police"
FORCE_SLUG = "wyvern-vale"

STREET_HEADER = list(_STREET)  # the readers' headers: the demo writes what the readers read
STOP_SEARCH_HEADER = list(_STOP_SEARCH)
FINGERTIPS_HEADER = list(EXPORT_HEADER)  # the reader's header: the demo writes what the reader reads
IMD_HEADER = [
    "LSOA code (2011)",
    "LSOA name (2011)",
    "Local Authority District code (2019)",
    "Local Authority District name (2019)",
    "Index of Multiple Deprivation (IMD) Score",
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
]
LOOKUP_HEADER = ["LSOA21CD", "LSOA21NM", "WD22CD", "WD22NM", "LAD22CD", "LAD22NM", "ObjectId"]
CENSUS_ETHNICITY_HEADER = [
    "Lower tier local authorities Code",
    "Lower tier local authorities",
    "Ethnic group (6 categories) Code",
    "Ethnic group (6 categories)",
    "Observation",
]

# Independent random streams: changing one part (e.g. months) never shifts another.
_STREAMS = {"geo": 1, "imd": 2, "population": 3, "crime_rates": 4, "crime": 5, "stop_search": 6,
            "fingertips": 7, "imd_national": 8}


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate_demo` wrote (or found already written)."""

    out_dir: Path
    seed: int
    months: int
    end_month: str
    generator_version: str
    boroughs: int
    wards: int
    lsoas: int
    population: int
    crime_rows: int
    stop_search_rows: int
    fingertips_rows: int
    files: int
    bytes: int
    seconds: float
    generated: bool  # False when the folder was already up to date (nothing written)


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------
def generate_demo(
    out_dir: Path | str,
    *,
    seed: int = 2021,
    months: int = 60,
    end_month: str = "2025-12",
    force: bool = False,
    areas: int = DEFAULT_AREAS,
) -> DemoSummary:
    """Write the synthetic demo region to ``out_dir`` (normally ``data/raw/demo/``).

    The folder is built beside ``out_dir`` (``<name>.tmp-<pid>``) and renamed into
    place, so readers never see half a dataset and a failure leaves the old folder
    as it was. If ``out_dir/manifest.json`` already records the same seed, months,
    end month and generator version (and the files it lists are there), nothing
    is done unless ``force``.

    ``areas`` above 4 adds fictional upper-tier areas ``Z09000005`` … to the region
    (a national-scale demo); they are listed in ``out_dir/areas.csv``, which
    :meth:`AreaRegistry.load` reads. The default four-borough demo has no such file.

    Raises
    ------
    ConfigError
        ``months`` is not a whole number from 1 to 600, ``end_month`` is not
        ``YYYY-MM`` or ``seed`` is negative.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir).expanduser().resolve()
    params = _check_params(seed, months, end_month, areas)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _lock(out_dir) as exclusive:
        if not force:
            current = _current_manifest(out_dir, params)
            if current is not None:
                return _summary(out_dir, current, time.perf_counter() - started, generated=False)
        if exclusive:  # only then is no other run of ours using a temporary folder
            _remove_leftovers(out_dir)
        tmp = out_dir.with_name(f"{out_dir.name}.tmp-{os.getpid()}")
        if tmp.exists():  # ours (same process id), from an earlier interrupted call
            shutil.rmtree(tmp)
        try:
            tmp.mkdir()
            manifest = _build(tmp, **params)
            _replace_dir(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return _summary(out_dir, manifest, time.perf_counter() - started, generated=True)


def _remove_leftovers(out_dir: Path) -> None:
    """Remove ``<name>.tmp-*`` / ``<name>.old-*`` folders a killed run left behind.

    Called with the lock held, so no other generator of this folder is running.
    """
    for pattern in (f"{out_dir.name}.tmp-*", f"{out_dir.name}.old-*"):
        for leftover in out_dir.parent.glob(pattern):
            if leftover.is_dir() and re.fullmatch(r".*\.(tmp|old)-\d+", leftover.name):
                shutil.rmtree(leftover, ignore_errors=True)


def _replace_dir(tmp: Path, out_dir: Path) -> None:
    """Rename ``tmp`` to ``out_dir``, removing the previous ``out_dir``."""
    if not out_dir.exists():
        tmp.rename(out_dir)
        return
    old = out_dir.with_name(f"{out_dir.name}.old-{os.getpid()}")
    if old.exists():
        shutil.rmtree(old)
    out_dir.rename(old)
    try:
        tmp.rename(out_dir)
    except BaseException:
        old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _lock(out_dir: Path) -> Iterator[bool]:
    """Serialise generators of the same folder (parallel notebook runs call us).

    Yields whether the lock is exclusive (False where ``fcntl`` is missing).
    """
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock; the rename is still atomic
        yield False
        return
    lock_path = out_dir.with_name(f".{out_dir.name}.lock")
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _summary(out_dir: Path, manifest: dict, seconds: float, *, generated: bool) -> DemoSummary:
    counts = manifest["counts"]
    return DemoSummary(
        out_dir=out_dir,
        seed=manifest["seed"],
        months=manifest["months"],
        end_month=manifest["end_month"],
        generator_version=manifest["generator_version"],
        boroughs=counts["boroughs"],
        wards=counts["wards"],
        lsoas=counts["lsoas"],
        population=counts["population"],
        crime_rows=counts["crime_rows"],
        stop_search_rows=counts["stop_search_rows"],
        fingertips_rows=counts["fingertips_rows"],
        files=len(manifest["files"]) + 1,  # + manifest.json itself
        bytes=sum(f["bytes"] for f in manifest["files"]),
        seconds=round(seconds, 3),
        generated=generated,
    )


def _rng(seed: int, stream: str, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_STREAMS[stream], *key)))


# ---------------------------------------------------------------------------
# the build
# ---------------------------------------------------------------------------
def _build(root: Path, *, seed: int, months: int, end_month: str, areas: int = DEFAULT_AREAS) -> dict:
    registry = AreaRegistry.builtin()
    if areas != DEFAULT_AREAS:
        _write_demo_areas(root / "areas.csv", registry, areas)
        registry = AreaRegistry.load(root)
    geo = build_geography(_rng(seed, "geo"), registry)
    lsoas = geo.lsoas
    _write_boundaries(root / "boundaries", geo)
    _write_lookup(root / "lookups" / "LSOA21_WD22_LAD22_EW_LU.csv", lsoas)

    imd = _imd_scores(seed, geo)
    _write_imd(root / "imd" / "demo-File_7-IoD2019-scores-ranks-deciles.csv", lsoas, imd)

    population = _population(_rng(seed, "population"), lsoas, imd["dep"].to_numpy())
    _write_population(root / "population" / "sapelsoasyoa-demo.csv", lsoas, population)
    _write_census_ethnicity(root / "census" / "demo-census2021-ethnic-group-ltla.csv", geo, population)

    calendar_months = _month_range(end_month, months)
    model = _CrimeModel.build(_rng(seed, "crime_rates"), geo, population.sum(axis=1), imd["dep"].to_numpy())
    crime_rows = stop_rows = 0
    for k, (year, month) in enumerate(calendar_months):
        age = months - 1 - k  # months before end_month
        folder = root / "police_uk" / f"{year:04d}-{month:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        street = model.street_crime(_rng(seed, "crime", year, month), year, month, age)
        _write_csv(folder / f"{year:04d}-{month:02d}-{FORCE_SLUG}-street.csv", street)
        searches = model.stop_and_search(_rng(seed, "stop_search", year, month), year, month)
        _write_csv(folder / f"{year:04d}-{month:02d}-{FORCE_SLUG}-stop-and-search.csv", searches)
        crime_rows += len(street)
        stop_rows += len(searches)

    fingertips = _fingertips(_rng(seed, "fingertips"), geo, population, imd)
    _write_csv(root / "fingertips" / "demo-indicators.csv", fingertips, crlf=True)
    treatment = demo_treatment.write_treatment(root, seed, geo, population, imd)

    counts = {
        "boroughs": len(geo.lads),
        "wards": len(geo.wards),
        "lsoas": len(lsoas),
        "population": int(population.sum()),
        "crime_rows": crime_rows,
        "stop_search_rows": stop_rows,
        "fingertips_rows": len(fingertips),
        **treatment,
    }
    counts.update(write_demand_files(root, seed, geo, population))  # demand chapter: DfE, CSEW, local returns
    counts.update(write_supporting_files(root, seed, geo, population))  # H-CLIC A3, proven reoffending
    (root / "README.md").write_text(_readme(seed, months, end_month, calendar_months, counts), encoding="utf-8")
    manifest = _write_manifest(root, seed=seed, months=months, end_month=end_month, counts=counts,
                               areas=None if areas == DEFAULT_AREAS else areas)
    return manifest


def demo_area_names(n: int, taken: set[str]) -> list[str]:
    """``n`` fictional place names (head + tail, e.g. "Ashby"), none of them in ``taken``."""
    names = [f"{head}{tail}" for tail in WARD_TAILS for head in WARD_HEADS]
    free = [name for name in names if name not in taken]
    if len(free) < n:
        raise ConfigError(f"demo areas: only {len(free)} fictional names are available, not {n}")
    return free[:n]


def _write_demo_areas(path: Path, registry: AreaRegistry, areas: int) -> None:
    """The extra upper-tier areas ``Z09000005`` … of the demo region, in the area-file layout."""
    region = registry.of_type("region", demo=True)[0]
    present = sorted(a.code for a in registry.children(region.code, types=("utla", "lad")))
    start = int(present[-1][3:]) + 1
    names = demo_area_names(areas - len(present), {a.name for a in registry})
    rows = [{"code": f"Z09{start + i:06d}", "name": name, "type": "utla", "parent": region.code,
             "members": "", "comparators": "", "forces": FORCE_SLUG} for i, name in enumerate(names)]
    _write_csv(path, pd.DataFrame(rows))


def _month_range(end_month: str, months: int) -> list[tuple[int, int]]:
    year, month = (int(p) for p in end_month.split("-"))
    last = year * 12 + month - 1
    return [(i // 12, i % 12 + 1) for i in range(last - months + 1, last + 1)]


# ---------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------
def _write_csv(path: Path, frame: pd.DataFrame, *, crlf: bool = False, bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\r\n" if crlf else "\n")
    data = buffer.getvalue().encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def _write_boundaries(folder: Path, geo: Geography) -> None:
    import pyogrio

    folder.mkdir(parents=True, exist_ok=True)
    layers = {
        "demo_lsoa": geo.lsoas[["LSOA21CD", "LSOA21NM", "geometry"]],
        "demo_wards": geo.wards[["WD22CD", "WD22NM", "LAD22CD", "geometry"]],
        "demo_lad": geo.lads[["LAD22CD", "LAD22NM", "geometry"]],
    }
    # GeoPackages record a "last_change" time; pin it so files are byte-identical.
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2021-01-01T00:00:00.000Z"})
    try:
        for name, frame in layers.items():
            frame.reset_index(drop=True).to_file(
                folder / f"{name}.gpkg", layer=name, driver="GPKG", engine="pyogrio"
            )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def _write_lookup(path: Path, lsoas: pd.DataFrame) -> None:
    frame = lsoas[LOOKUP_HEADER[:-1]].copy()
    frame["ObjectId"] = np.arange(1, len(frame) + 1)
    _write_csv(path, frame, bom=True)  # the ONS portal's CSVs start with a UTF-8 BOM


def _write_imd(path: Path, lsoas: pd.DataFrame, imd: pd.DataFrame) -> None:
    frame = pd.DataFrame({
        IMD_HEADER[0]: lsoas["LSOA21CD"],
        IMD_HEADER[1]: lsoas["LSOA21NM"],
        IMD_HEADER[2]: lsoas["LAD22CD"],
        IMD_HEADER[3]: lsoas["LAD22NM"],
        IMD_HEADER[4]: [f"{v:.3f}" for v in imd["score"]],
        IMD_HEADER[5]: imd["rank"],
        IMD_HEADER[6]: imd["decile"],
    })
    _write_csv(path, frame)


def _write_population(path: Path, lsoas: pd.DataFrame, population: np.ndarray) -> None:
    ages = [f"F{a}" for a in range(91)] + [f"M{a}" for a in range(91)]
    frame = pd.DataFrame({
        "LAD 2021 Code": lsoas["LAD22CD"],
        "LAD 2021 Name": lsoas["LAD22NM"],
        "LSOA 2021 Code": lsoas["LSOA21CD"],
        "LSOA 2021 Name": lsoas["LSOA21NM"],
        "Total": population.sum(axis=1),
    })
    frame = pd.concat([frame, pd.DataFrame(population, columns=ages)], axis=1)
    _write_csv(path, frame)


def _write_census_ethnicity(path: Path, geo: Geography, population: np.ndarray) -> None:
    """Census 2021 usual residents by ethnic group (6 categories) per borough, long layout.

    Totals are each borough's population a little scaled (census day, March 2021,
    against the later estimates); groups split by largest remainder, so they add up.
    """
    rows = []
    borough_of = geo.lsoas["LAD22CD"].to_numpy()
    for borough in sorted(geo.boroughs, key=lambda b: b.code):
        shares = np.array(_CENSUS_ETHNIC_MIX.get(borough.code, _DEFAULT_ETHNIC_MIX), dtype=float)
        residents = int(population[borough_of == borough.code].sum())
        total = int(round(residents * _CENSUS_TO_ESTIMATE.get(borough.code, 1.0)))
        exact = shares / shares.sum() * total
        counts = np.floor(exact).astype(np.int64)
        counts[np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]] += 1
        rows.append((borough.code, borough.name, -8, "Does not apply", 0))
        rows.extend((borough.code, borough.name, k + 1, label, int(n))
                    for k, (label, n) in enumerate(zip(CENSUS_ETHNIC_GROUPS, counts, strict=True)))
    _write_csv(path, pd.DataFrame(rows, columns=CENSUS_ETHNICITY_HEADER))


def _write_manifest(
    root: Path, *, seed: int, months: int, end_month: str, counts: dict, areas: int | None = None,
) -> dict:
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        files.append({
            "path": path.relative_to(root).as_posix(),
            "bytes": len(data),
            "sha1": hashlib.sha1(data).hexdigest(),
        })
    manifest = {
        "generator": "cdp_demo.region",
        "generator_version": GENERATOR_VERSION,
        "synthetic": True,
        "seed": seed,
        "months": months,
        "end_month": end_month,
        **({"areas": areas} if areas is not None else {}),
        "counts": counts,
        "files": files,
    }
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    (root / "manifest.json").write_text(text, encoding="utf-8")
    return manifest


def _readme(seed: int, months: int, end_month: str, span: list[tuple[int, int]], counts: dict) -> str:
    first = f"{span[0][0]:04d}-{span[0][1]:02d}"
    return f"""# Wyvern Vale: Synthetic demonstration data

**Synthetic demonstration data.** Everything in this folder is invented. It describes a
fictional region, "Wyvern Vale (demo region)", with four fictional boroughs (Brackenmoor,
Castlewick, Dunmere, Elmsworth), placed in the North Sea so that it overlaps no real place.
No figure here describes a real area, person or event. Do not use it for decisions.

It was generated by `cdp demo` (module `cdp_demo.region`, generator version
{GENERATOR_VERSION}) with seed {seed}, {months} months of police data from {first} to
{end_month}. The same seed always gives byte-identical files; `manifest.json` lists every
file with its size and sha1.

The files copy the layout of the real public downloads, so the same readers handle the
demo and real data:

| folder | imitates |
|---|---|
| `police_uk/YYYY-MM/` | data.police.uk street crime and stop-and-search CSVs ("{FORCE_NAME}") |
| `fingertips/` | an OHID Fingertips indicator export (27-column header) for the boroughs, the region and England |
| `boundaries/` | ONS boundaries as GeoPackages, EPSG:27700 (LSOA21CD, WD22CD, LAD22CD) |
| `lookups/` | the ONS LSOA to ward to local authority best-fit lookup |
| `population/` | ONS small-area population estimates by single year of age |
| `census/` | ONS Census 2021 ethnic group (6 categories) by local authority, a "create a custom dataset" download |
| `imd/` | English Indices of Deprivation 2019, File 7 columns |
| `ndtms/` | NDTMS ViewIt exports (all-LA and England layouts) and alcohol dependence estimates; unmet need (Fingertips 93517/93532) in `fingertips/demo-unmet-need.csv` (see `cdp_demo.treatment`) |
| `homelessness/`, `reoffending/` | the MHCLG statutory homelessness detailed local authority tables (sheet A3, support needs) and the MoJ proven reoffending figures by local authority (see `cdp_demo.supporting`) |
| `dfe_children/`, `dfe_exclusions/`, `other/`, `local/` | DfE children in need (C3), looked-after children, exclusions by reason (both layouts) and pupil headcount; the ONS CSEW drug misuse workbook; local returns (see `cdp_demo.demand`; `young_people_treatment`, `deaths_in_treatment`, the quarterly `continuity_of_care` and the local outcomes framework's synthetic `ambitions` from `cdp_demo.treatment`) |

Codes are fictional and start with **Z**, a letter ONS never issues: region `Z12000001`,
boroughs `Z09000001` to `Z09000004`, wards `Z05…`, LSOAs `Z01…`. England (`E92000001`)
appears in the Fingertips file only as the comparator, with invented values of a realistic size.

Size: {counts['boroughs']} boroughs, {counts['wards']} wards, {counts['lsoas']} LSOAs,
{counts['population']:,} residents, {counts['crime_rows']:,} street-crime rows,
{counts['stop_search_rows']:,} stop-and-search rows, {counts['fingertips_rows']:,} Fingertips rows.

To rebuild: `cdp demo`, or in Python `cdp_demo.region.generate_demo(folder, seed=..., force=True)`.
"""


# ---------------------------------------------------------------------------
# deprivation and population
# ---------------------------------------------------------------------------
# How each borough differs. Castlewick is the clearly deprived, urban one (with the
# drug-market hotspots), Dunmere the affluent one; Brackenmoor has a policing operation.
_BOROUGH_PROFILE = {
    "Z09000001": {"deprivation": 0.25, "drugs": 0.75},
    "Z09000002": {"deprivation": 0.85, "drugs": 1.0},
    "Z09000003": {"deprivation": -0.60, "drugs": 0.55},
    "Z09000004": {"deprivation": 0.0, "drugs": 0.7},
}
_DEFAULT_PROFILE = {"deprivation": 0.0, "drugs": 1.0}
OPERATION_BOROUGH = "Z09000001"
OPERATION_MONTHS = ((2024, 5), (2024, 6), (2024, 7), (2024, 8))
# Each borough's Census 2021 ethnic group mix in % (Asian, Black, Mixed, White, Other: the
# order of CENSUS_ETHNIC_GROUPS). Castlewick, the urban centre, is the most diverse. The demo's searches have the same
# officer-defined ethnicity everywhere (_SS_OFFICER_ETHNICITY: 72% White, 12% Black, 10% Asian,
# 3% Other), so the Black shares below put the Black search rate at about 3 to 5 times the
# White one in every borough (Home Office figures for 2021/22 as reported locally: 4.8 times
# in the West Midlands, 6.1 in Nottinghamshire). Mixed residents are never searched, as
# officer-defined ethnicity has no Mixed group.
_CENSUS_ETHNIC_MIX = {
    "Z09000001": (8.5, 3.2, 2.6, 84.0, 1.7),
    "Z09000002": (18.0, 3.6, 5.4, 68.0, 5.0),
    "Z09000003": (4.6, 3.2, 1.8, 89.5, 0.9),
    "Z09000004": (7.0, 3.5, 2.2, 86.0, 1.3),
}
_DEFAULT_ETHNIC_MIX = (9.6, 4.2, 3.0, 81.0, 2.2)  # England, Census 2021
# Census count / the borough's population in the SAPE file (census day came first)
_CENSUS_TO_ESTIMATE = {"Z09000001": 0.991, "Z09000002": 0.984, "Z09000003": 0.996, "Z09000004": 0.989}
# IMD 2019 scores across England: roughly log-normal (median ~17, mean ~22, 10% above ~42).
_IMD_LOG_MEAN, _IMD_LOG_SD = 2.85, 0.72


def _imd_scores(seed: int, geo: Geography) -> pd.DataFrame:
    """IMD scores with spatial autocorrelation, ranked against a simulated England.

    ``dep`` is the score on the national standard-normal scale (0 = typical
    English LSOA, +1.3 = the most deprived decile); the other models use it.
    """
    rng = _rng(seed, "imd")
    lsoas = geo.lsoas
    xy = np.column_stack([lsoas["x"], lsoas["y"]]) / 1000.0  # km
    k = 48
    omega = rng.normal(0.0, 1.0 / 6.0, size=(k, 2))  # ~6 km correlation length
    phase = rng.uniform(0, 2 * np.pi, k)
    field = np.sqrt(2.0 / k) * np.cos(xy @ omega.T + phase).sum(axis=1)
    offset = lsoas["LAD22CD"].map(lambda c: _BOROUGH_PROFILE.get(c, _DEFAULT_PROFILE)["deprivation"])
    dep = 0.55 * field + offset.to_numpy() + 0.9 * lsoas["urban"].to_numpy() + rng.normal(0, 0.35, len(lsoas))
    score = np.clip(np.exp(_IMD_LOG_MEAN + _IMD_LOG_SD * dep), 0.5, 92.7).round(3)
    national = np.sort(_rng(seed, "imd_national").lognormal(_IMD_LOG_MEAN, _IMD_LOG_SD, LSOAS_2011))
    rank = LSOAS_2011 - np.searchsorted(national, score, side="left")  # 1 = most deprived
    rank = np.clip(rank, 1, LSOAS_2011)
    decile = np.minimum(10, (rank - 1) * 10 // LSOAS_2011 + 1)
    dep = (np.log(score) - _IMD_LOG_MEAN) / _IMD_LOG_SD
    return pd.DataFrame({"score": score, "rank": rank, "decile": decile, "dep": dep})


# Persons per single year of age in England (thousands, about 2021), ages 0-89, then 90+.
_AGE_ANCHORS = ((0, 600), (5, 680), (10, 700), (15, 650), (20, 660), (25, 730), (30, 770),
                (35, 750), (40, 700), (45, 690), (50, 770), (55, 780), (60, 690), (65, 600),
                (70, 580), (75, 450), (80, 320), (85, 190), (89, 120))
_AGE_90_PLUS = 540.0
ENGLAND_POPULATION = 56_500_000


def _age_profile() -> np.ndarray:
    keys, values = zip(*_AGE_ANCHORS, strict=True)
    single = np.interp(np.arange(90), keys, values)
    return np.append(single, _AGE_90_PLUS)


def _population(rng: np.random.Generator, lsoas: pd.DataFrame, dep: np.ndarray) -> np.ndarray:
    """Residents by LSOA × (F0…F90, M0…M90); younger where deprived or central."""
    ages = np.arange(91)
    base = _age_profile()
    young_adult = np.exp(-((ages - 25) ** 2) / (2 * 5.0**2))
    tilt = np.exp(-0.22 * dep[:, None] * (ages[None, :] - 40) / 40)
    urban = 1 + 0.8 * lsoas["urban"].to_numpy()[:, None] * young_adult[None, :]
    persons = base[None, :] * tilt * urban
    male_share = np.interp(ages, [0, 20, 40, 60, 70, 80, 90], [0.512, 0.51, 0.5, 0.49, 0.475, 0.44, 0.33])
    weights = np.concatenate([persons * (1 - male_share), persons * male_share], axis=1)
    weights /= weights.sum(axis=1, keepdims=True)
    totals = np.clip(np.round(rng.lognormal(np.log(1500), 0.2, len(lsoas))), 1000, 3000).astype(np.int64)
    return rng.multinomial(totals, weights).astype(np.int64)


# ---------------------------------------------------------------------------
# police.uk
# ---------------------------------------------------------------------------
# name, England rate per 1,000 residents a year, deprivation slope, town-centre pull,
# seasonal amplitude, peak month
_CRIME_TYPES = (
    ("Anti-social behaviour", 25.0, 0.35, 0.8, 0.22, 7.0),
    ("Bicycle theft", 1.0, 0.05, 1.2, 0.30, 7.0),
    ("Burglary", 4.0, 0.25, 0.3, 0.10, 12.0),
    ("Criminal damage and arson", 7.0, 0.35, 0.4, 0.06, 6.0),
    ("Drugs", 3.0, 0.45, 0.9, 0.12, 5.5),
    ("Other crime", 1.5, 0.25, 0.3, 0.03, 7.0),
    ("Other theft", 8.0, 0.10, 1.3, 0.08, 7.0),
    ("Possession of weapons", 0.8, 0.40, 0.8, 0.08, 7.0),
    ("Public order", 8.0, 0.30, 1.0, 0.10, 7.0),
    ("Robbery", 1.2, 0.45, 1.1, 0.08, 12.0),
    ("Shoplifting", 6.0, 0.15, 2.2, 0.05, 12.0),
    ("Theft from the person", 1.5, 0.20, 2.2, 0.06, 12.0),
    ("Vehicle crime", 6.0, 0.20, 0.3, 0.05, 11.0),
    ("Violence and sexual offences", 35.0, 0.35, 0.9, 0.10, 7.0),
)
_TYPE_NAMES = [t[0] for t in _CRIME_TYPES]
_ASB = _TYPE_NAMES.index("Anti-social behaviour")
_DRUGS = _TYPE_NAMES.index("Drugs")
_WEAPONS = _TYPE_NAMES.index("Possession of weapons")
DRUG_HOTSPOT_FACTOR = 3.5

_OUTCOMES = (
    "Investigation complete; no suspect identified",   # 0
    "Unable to prosecute suspect",                     # 1
    "Status update unavailable",                       # 2
    "Court result unavailable",                        # 3
    "Local resolution",                                # 4
    "Offender given a caution",                        # 5
    "Action to be taken by another organisation",      # 6
    "Further investigation is not in the public interest",  # 7
    "Formal action is not in the public interest",     # 8
    "Offender given penalty notice",                   # 9
    "Offender given a drugs possession warning",       # 10
    "Offender fined",                                  # 11
    "Offender sent to prison",                         # 12
    "Offender given community sentence",               # 13
    "Under investigation",                             # 14
    "Awaiting court outcome",                          # 15
)
_UNDER_INVESTIGATION, _AWAITING_COURT = 14, 15
# Outcome mix once investigations have settled, by profile (weights, normalised later).
_SETTLED = {
    "theft": (72, 9, 7, 3, 2, 1, 1, 2, 1, 0.3, 0, 0.5, 0.5, 0.2),
    "violence": (24, 42, 9, 6, 6, 3, 3, 3, 1.5, 0.5, 0, 0.5, 1, 0.5),
    "shoplifting": (44, 12, 6, 15, 8, 5, 1, 2, 1, 0.5, 0, 3, 2, 0.5),
    "drugs": (2, 3, 5, 10, 26, 16, 1, 4, 5, 7, 15, 4, 2, 2),
    "weapons": (4, 12, 6, 20, 8, 14, 2, 5, 3, 0.5, 0, 2, 8, 4),
}
_PROFILE_OF = {
    "Bicycle theft": "theft", "Burglary": "theft", "Other theft": "theft", "Robbery": "theft",
    "Theft from the person": "theft", "Vehicle crime": "theft", "Shoplifting": "shoplifting",
    "Criminal damage and arson": "violence", "Other crime": "violence", "Public order": "violence",
    "Violence and sexual offences": "violence", "Drugs": "drugs", "Possession of weapons": "weapons",
}
# share of a month's crimes still "Under investigation" when published, and how much
# goes to court, by profile: (under investigation at age 0, court share)
_PENDING = {"theft": (0.35, 0.02), "violence": (0.55, 0.06), "shoplifting": (0.35, 0.08),
            "drugs": (0.25, 0.16), "weapons": (0.35, 0.20)}

# stop and search vocabularies (as in data.police.uk files)
_SS_TYPES = (("Person search", 0.74), ("Person and Vehicle search", 0.24), ("Vehicle search", 0.02))
_SS_GENDER = (("Male", 0.915), ("Female", 0.07), ("Other", 0.001), ("", 0.014))
_SS_AGE = (("under 10", 0.0005), ("10-17", 0.15), ("18-24", 0.36), ("25-34", 0.25),
           ("over 34", 0.18), ("", 0.0595))
_SS_OFFICER_ETHNICITY = (("White", 0.72), ("Black", 0.12), ("Asian", 0.10), ("Other", 0.03), ("", 0.03))
_NOT_STATED = "Other ethnic group - Not stated"
_SS_SELF_ETHNICITY = {
    "White": (("White - English/Welsh/Scottish/Northern Irish/British", 0.62),
              ("White - Any other White background", 0.12), ("White - Irish", 0.02),
              ("Mixed/Multiple ethnic groups - White and Black Caribbean", 0.02),
              ("Mixed/Multiple ethnic groups - White and Asian", 0.01),
              ("Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background", 0.01),
              (_NOT_STATED, 0.18), ("", 0.02)),
    "Black": (("Black/African/Caribbean/Black British - African", 0.30),
              ("Black/African/Caribbean/Black British - Caribbean", 0.22),
              ("Black/African/Caribbean/Black British - Any other Black/African/Caribbean background", 0.20),
              ("Mixed/Multiple ethnic groups - White and Black Caribbean", 0.06),
              ("Mixed/Multiple ethnic groups - White and Black African", 0.03),
              (_NOT_STATED, 0.17), ("", 0.02)),
    "Asian": (("Asian/Asian British - Pakistani", 0.20), ("Asian/Asian British - Bangladeshi", 0.15),
              ("Asian/Asian British - Indian", 0.15), ("Asian/Asian British - Any other Asian background", 0.22),
              ("Asian/Asian British - Chinese", 0.03), ("Mixed/Multiple ethnic groups - White and Asian", 0.03),
              (_NOT_STATED, 0.20), ("", 0.02)),
    "Other": (("Other ethnic group - Any other ethnic group", 0.45),
              ("Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background", 0.10),
              (_NOT_STATED, 0.35), ("", 0.10)),
    "": ((_NOT_STATED, 0.6), ("", 0.4)),
}
_MDA = "Misuse of Drugs Act 1971 (section 23)"
_SS_LEGISLATION = ((_MDA, 0.60), ("Police and Criminal Evidence Act 1984 (section 1)", 0.36),
                   ("Criminal Justice and Public Order Act 1994 (section 60)", 0.02),
                   ("Firearms Act 1968 (section 47)", 0.01), ("", 0.01))
_SS_OBJECT = {
    _MDA: (("Controlled drugs", 1.0),),
    "Police and Criminal Evidence Act 1984 (section 1)": (
        ("Offensive weapons", 0.40), ("Stolen goods", 0.30), ("Article for use in theft", 0.10),
        ("Anything to threaten or harm anyone", 0.08), ("Articles for use in criminal damage", 0.06),
        ("Fireworks", 0.03), ("", 0.03)),
    "Criminal Justice and Public Order Act 1994 (section 60)": (("Offensive weapons", 1.0),),
    "Firearms Act 1968 (section 47)": (("Firearms", 1.0),),
    "": (("Controlled drugs", 0.5), ("", 0.5)),
}
_SS_OUTCOME_DRUGS = (("A no further action disposal", 0.62), ("Arrest", 0.12), ("Community resolution", 0.12),
                     ("Khat or Cannabis warning", 0.06), ("Penalty Notice for Disorder", 0.04),
                     ("Summons / charged by post", 0.025), ("Caution (simple or conditional)", 0.01),
                     ("", 0.005))
_SS_OUTCOME_OTHER = (("A no further action disposal", 0.74), ("Arrest", 0.17), ("Community resolution", 0.04),
                     ("Penalty Notice for Disorder", 0.02), ("Summons / charged by post", 0.02),
                     ("Caution (simple or conditional)", 0.005), ("", 0.005))
STOP_SEARCH_RATE = 7.0  # searches per 1,000 residents a year (England ~9)
# hour-of-day weights for searches (quiet early morning, busy evening)
_HOURS = np.array([5, 4, 3, 2, 1.5, 1, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 7.5, 7, 6.5, 6])


def _choice(rng: np.random.Generator, table: tuple[tuple[str, float], ...], size: int) -> np.ndarray:
    labels = np.array([t[0] for t in table], dtype=object)
    weights = np.array([t[1] for t in table], dtype=float)
    return labels[rng.choice(len(labels), size=size, p=weights / weights.sum())]


@dataclass
class _CrimeModel:
    """Expected counts by LSOA and crime type, and the month-by-month draws."""

    geo: Geography
    annual: np.ndarray  # LSOA × crime type, expected crimes a year
    search_weight: np.ndarray  # LSOA, expected searches a year
    hotspots: np.ndarray  # LSOA indices of drug-market hotspots
    operation: np.ndarray  # bool per LSOA: inside the borough with the operation
    snap_key: np.ndarray  # lsoa_index + cumulative weight, for choosing map points

    @classmethod
    def build(cls, rng: np.random.Generator, geo: Geography, residents: np.ndarray, dep: np.ndarray) -> _CrimeModel:
        lsoas = geo.lsoas
        n, t = len(lsoas), len(_CRIME_TYPES)
        rate = np.array([c[1] for c in _CRIME_TYPES])
        beta = np.array([c[2] for c in _CRIME_TYPES])
        pull = np.array([c[3] for c in _CRIME_TYPES])
        urban = lsoas["urban"].to_numpy()
        deprivation = np.exp(np.outer(dep, beta) - beta**2 / 2)  # mean 1 over England's LSOAs
        centre = np.exp(np.outer(urban, pull))
        centre /= np.average(centre, axis=0, weights=residents)  # town centres move crime, not add it
        noise = rng.lognormal(-0.25**2 / 2, 0.25, size=(n, t))
        annual = residents[:, None] / 1000.0 * rate[None, :] * deprivation * centre * noise
        drugs_factor = lsoas["LAD22CD"].map(lambda c: _BOROUGH_PROFILE.get(c, _DEFAULT_PROFILE)["drugs"])
        annual[:, _DRUGS] *= drugs_factor.to_numpy()
        hotspots = cls._hotspots(geo, dep)
        annual[hotspots, _DRUGS] *= DRUG_HOTSPOT_FACTOR
        annual[hotspots, _WEAPONS] *= 2.0
        hot = np.ones(n)
        hot[hotspots] = 3.0
        search = residents / 1000.0 * STOP_SEARCH_RATE * np.exp(0.5 * dep - 0.125) * (1 + 2 * urban) * hot
        search *= residents.sum() / 1000.0 * STOP_SEARCH_RATE / search.sum() * 1.1
        snaps = geo.snap_points
        cum = snaps.groupby("lsoa_index")["weight"].cumsum().to_numpy()
        totals = snaps.groupby("lsoa_index")["weight"].transform("sum").to_numpy()
        key = snaps["lsoa_index"].to_numpy() + cum / totals
        last = np.r_[snaps["lsoa_index"].to_numpy()[1:] != snaps["lsoa_index"].to_numpy()[:-1], True]
        key[last] = snaps["lsoa_index"].to_numpy()[last] + 1.0
        operation = (lsoas["LAD22CD"] == OPERATION_BOROUGH).to_numpy()
        return cls(geo, annual, search, hotspots, operation, key)

    @staticmethod
    def _hotspots(geo: Geography, dep: np.ndarray) -> np.ndarray:
        """Drug-market hotspots: the town-centre LSOAs of Castlewick (two) and
        Brackenmoor (one), and the most deprived LSOA of Elmsworth."""
        lsoas = geo.lsoas
        chosen: list[int] = []
        centre_of = {b.code: b.centre for b in geo.boroughs}
        for code, take in (("Z09000002", 2), ("Z09000001", 1)):
            if code in centre_of:
                inside = np.flatnonzero(lsoas["LAD22CD"].to_numpy() == code)
                dist = lsoas.geometry.iloc[inside].distance(centre_of[code]).to_numpy()
                chosen.extend(int(i) for i in inside[np.argsort(dist, kind="stable")[:take]])
        inside = np.flatnonzero(lsoas["LAD22CD"].to_numpy() == "Z09000004")
        if len(inside):
            chosen.append(int(inside[np.argmax(dep[inside])]))
        return np.array(sorted(set(chosen)), dtype=int)

    # month factors ------------------------------------------------------------
    @staticmethod
    def _season(month: int) -> np.ndarray:
        amp = np.array([c[4] for c in _CRIME_TYPES])
        peak = np.array([c[5] for c in _CRIME_TYPES])
        return 1 + amp * np.cos(2 * np.pi * (month - peak) / 12)

    @staticmethod
    def _trend(year: int, month: int) -> np.ndarray:
        """Calendar trends, as in England's recent data (t = years since Jan 2021)."""
        t = year + (month - 1) / 12 - 2021
        factor = np.ones(len(_CRIME_TYPES))
        factor[_TYPE_NAMES.index("Shoplifting")] = 1 + 0.15 * max(0.0, t - 2)  # the 2023+ rise
        factor[_ASB] = max(0.5, 1 - 0.05 * t)  # falling
        factor[_DRUGS] = 1 + 0.04 * t  # mild rise
        lockdown = (year, month) in {(2020, 4), (2020, 5), (2020, 6), (2021, 1), (2021, 2), (2021, 3)}
        if lockdown:  # breaches recorded as ASB, proactive drug stops, fewer thefts
            for name, f in (("Anti-social behaviour", 1.8), ("Drugs", 1.3), ("Shoplifting", 0.5),
                            ("Other theft", 0.6), ("Theft from the person", 0.4), ("Burglary", 0.75),
                            ("Violence and sexual offences", 0.85)):
                factor[_TYPE_NAMES.index(name)] *= f
        return np.clip(factor, 0.2, None)

    def _operation_on(self, year: int, month: int) -> bool:
        return (year, month) in OPERATION_MONTHS

    # draws ------------------------------------------------------------------
    def _map_points(self, rng: np.random.Generator, lsoa: np.ndarray) -> np.ndarray:
        target = lsoa + rng.uniform(0.0, 1.0, len(lsoa))
        return np.searchsorted(self.snap_key, target, side="right")

    def street_crime(self, rng: np.random.Generator, year: int, month: int, age: int) -> pd.DataFrame:
        lam = self.annual / 12.0 * self._season(month)[None, :] * self._trend(year, month)[None, :]
        if self._operation_on(year, month):
            lam[self.operation, _DRUGS] *= 2.2
            lam[self.operation, _WEAPONS] *= 1.4
        counts = rng.poisson(lam)
        t = len(_CRIME_TYPES)
        flat = np.repeat(np.arange(counts.size), counts.ravel())
        lsoa, ctype = flat // t, flat % t
        n = len(flat)
        lsoas, snaps = self.geo.lsoas, self.geo.snap_points
        point = self._map_points(rng, lsoa)
        nowhere = rng.uniform(size=n) < 0.005
        hex_ids = rng.bytes(32 * n).hex()
        ids = np.array([hex_ids[64 * i: 64 * i + 64] for i in range(n)], dtype=object)
        ids[ctype == _ASB] = ""
        outcome = np.full(n, "", dtype=object)
        for c, name in enumerate(_TYPE_NAMES):
            rows = np.flatnonzero(ctype == c)
            if c == _ASB or not len(rows):
                continue
            outcome[rows] = np.array(_OUTCOMES, dtype=object)[
                rng.choice(len(_OUTCOMES), size=len(rows), p=_outcome_mix(name, age))
            ]
        frame = pd.DataFrame({
            "Crime ID": ids,
            "Month": f"{year:04d}-{month:02d}",
            "Reported by": FORCE_NAME,
            "Falls within": FORCE_NAME,
            "Longitude": np.where(nowhere, "", snaps["longitude"].to_numpy()[point]),
            "Latitude": np.where(nowhere, "", snaps["latitude"].to_numpy()[point]),
            "Location": np.where(nowhere, "No Location", snaps["location"].to_numpy()[point]),
            "LSOA code": np.where(nowhere, "", lsoas["LSOA21CD"].to_numpy()[lsoa]),
            "LSOA name": np.where(nowhere, "", lsoas["LSOA21NM"].to_numpy()[lsoa]),
            "Crime type": np.array(_TYPE_NAMES, dtype=object)[ctype],
            "Last outcome category": outcome,
            "Context": "",
        })
        order = np.lexsort((
            frame["Crime ID"].to_numpy(dtype=str),
            frame["Location"].to_numpy(dtype=str),
            frame["Crime type"].to_numpy(dtype=str),
            np.where(nowhere, "~", frame["LSOA code"].to_numpy(dtype=str)),  # no location last
        ))
        return frame.iloc[order].reset_index(drop=True)

    def stop_and_search(self, rng: np.random.Generator, year: int, month: int) -> pd.DataFrame:
        lam = self.search_weight / 12.0 * (1 + 0.08 * np.cos(2 * np.pi * (month - 6) / 12))
        operation = self._operation_on(year, month)
        if operation:
            lam = np.where(self.operation, lam * 2.5, lam)
        counts = rng.poisson(lam)
        lsoa = np.repeat(np.arange(len(counts)), counts)
        n = len(lsoa)
        snaps = self.geo.snap_points
        point = self._map_points(rng, lsoa)
        nowhere = rng.uniform(size=n) < 0.12
        in_operation = operation & self.operation[lsoa] & (rng.uniform(size=n) < 0.8)
        legislation = _choice(rng, _SS_LEGISLATION, n)
        if operation:  # the operation targets drug markets
            legislation = np.where(in_operation & (rng.uniform(size=n) < 0.4), _MDA, legislation)
        obj = np.empty(n, dtype=object)
        outcome = np.empty(n, dtype=object)
        for law, table in _SS_OBJECT.items():
            rows = np.flatnonzero(legislation == law)
            obj[rows] = _choice(rng, table, len(rows))
        drug = obj == "Controlled drugs"
        outcome[drug] = _choice(rng, _SS_OUTCOME_DRUGS, int(drug.sum()))
        outcome[~drug] = _choice(rng, _SS_OUTCOME_OTHER, int((~drug).sum()))
        linked = np.where(
            np.isin(outcome, ["A no further action disposal", ""]), "False",
            np.where(rng.uniform(size=n) < 0.65, "True", "False"),
        ).astype(object)
        linked[rng.uniform(size=n) < 0.25] = ""
        officer = _choice(rng, _SS_OFFICER_ETHNICITY, n)
        self_defined = np.empty(n, dtype=object)
        for group, table in _SS_SELF_ETHNICITY.items():
            rows = np.flatnonzero(officer == group)
            self_defined[rows] = _choice(rng, table, len(rows))
        part = np.where(rng.uniform(size=n) < 0.12, "", "False").astype(object)
        part[in_operation] = "True"
        days = calendar.monthrange(year, month)[1]
        day = rng.integers(1, days + 1, n)
        hour = rng.choice(24, size=n, p=_HOURS / _HOURS.sum())
        minute, second = rng.integers(0, 60, n), rng.integers(0, 60, n)
        dates = [f"{year:04d}-{month:02d}-{d:02d}T{h:02d}:{m:02d}:{s:02d}+00:00"
                 for d, h, m, s in zip(day, hour, minute, second, strict=True)]
        frame = pd.DataFrame({
            "Type": _choice(rng, _SS_TYPES, n),
            "Date": dates,
            "Part of a policing operation": part,
            "Policing operation": "",
            "Latitude": np.where(nowhere, "", snaps["latitude"].to_numpy()[point]),
            "Longitude": np.where(nowhere, "", snaps["longitude"].to_numpy()[point]),
            "Gender": _choice(rng, _SS_GENDER, n),
            "Age range": _choice(rng, _SS_AGE, n),
            "Self-defined ethnicity": self_defined,
            "Officer-defined ethnicity": officer,
            "Legislation": legislation,
            "Object of search": obj,
            "Outcome": outcome,
            "Outcome linked to object of search": linked,
            "Removal of more than just outer clothing": _choice(
                rng, (("False", 0.85), ("True", 0.02), ("", 0.13)), n),
        })
        return frame.iloc[np.argsort(frame["Date"].to_numpy(dtype=str), kind="stable")].reset_index(drop=True)


def _outcome_mix(crime_type: str, age: int) -> np.ndarray:
    """Outcome probabilities for a month published ``age`` months before the end:
    recent crimes are mostly still under investigation or awaiting court."""
    profile = _PROFILE_OF[crime_type]
    settled = np.array(_SETTLED[profile], dtype=float)
    settled /= settled.sum()
    pending0, court = _PENDING[profile]
    under = pending0 * np.exp(-age / 2.5) + 0.02
    awaiting = court * (0.25 + 0.75 * np.exp(-age / 6.0))
    p = np.zeros(len(_OUTCOMES))
    p[: len(settled)] = settled * (1 - under - awaiting)
    p[_UNDER_INVESTIGATION] = under
    p[_AWAITING_COURT] = awaiting
    return p / p.sum()


# ---------------------------------------------------------------------------
# Fingertips
# ---------------------------------------------------------------------------
_Z95, _Z998 = _z_value(0.95), _z_value(0.998)
_BAND_OF_AGE = esp2013_band(np.arange(91))  # single year of age (90 = 90+) -> ESP2013 band
_REGION_TYPE, _BOROUGH_TYPE = "Region", "UA"  # Area Type strings of the real exports
_MODELLED_NOTE = "Value is modelled or synthetic estimate"
_SUPPRESSED_NOTE = "Value suppressed for disclosure control due to small count"


@dataclass(frozen=True)
class _Indicator:
    id: int
    name: str
    age: str
    kind: str  # "dsr", "crude", "proportion", "modelled"
    periods: tuple[tuple[str, int], ...]  # (label, start year)
    england: tuple[float, ...]  # England value per period
    years: int  # years pooled per period
    polarity: str  # HighIsGood, LowIsGood, NoJudgement
    ages: tuple[int, int]  # ages covered (inclusive)
    deprivation: float  # elasticity of the borough value to its mean IMD score
    profile: tuple[float, ...] = ()  # DSR: relative rate by ESP band
    england_denominator: float = 0.0  # proportions: England denominator per year


def _financial(start: int, end: int) -> tuple[tuple[str, int], ...]:
    return tuple((f"{y}/{(y + 1) % 100:02d}", y) for y in range(start, end + 1))


def _three_year(start: int, end: int, financial: bool) -> tuple[tuple[str, int], ...]:
    if financial:
        return tuple((f"{y}/{(y + 1) % 100:02d} - {(y + 2) % 100:02d}/{(y + 3) % 100:02d}", y)
                     for y in range(start, end + 1))
    return tuple((f"{y} - {(y + 2) % 100:02d}", y) for y in range(start, end + 1))


def _calendar(start: int, end: int) -> tuple[tuple[str, int], ...]:
    return tuple((str(y), y) for y in range(start, end + 1))


_INDICATORS = (
    _Indicator(92432, "Deaths from drug misuse", "All ages", "dsr", _three_year(2016, 2021, False),
               (4.5, 4.7, 5.0, 5.0, 5.2, 5.5), 3, "LowIsGood", (0, 90), 1.1,
               profile=(0, 0, 0, 0.05, 0.4, 0.9, 1.3, 1.6, 1.9, 2.0, 1.7, 1.2, 0.7, 0.4, 0.25, 0.15, 0.1, 0.1, 0.1)),
    _Indicator(90244, "Successful completion of drug treatment: opiate users", "18+ yrs", "proportion",
               _calendar(2017, 2023), (6.4, 5.9, 5.6, 5.0, 4.9, 5.1, 5.4), 1, "HighIsGood", (18, 90), -0.3,
               england_denominator=140_000),
    _Indicator(90245, "Successful completion of drug treatment: non-opiate users", "18+ yrs", "proportion",
               _calendar(2017, 2023), (36.9, 35.8, 34.2, 33.0, 32.7, 32.3, 31.8), 1, "HighIsGood", (18, 90), -0.2,
               england_denominator=45_000),
    _Indicator(92447, "Successful completion of alcohol treatment", "18+ yrs", "proportion",
               _calendar(2017, 2023), (39.0, 38.0, 37.2, 35.8, 36.0, 35.4, 35.1), 1, "HighIsGood", (18, 90), -0.2,
               england_denominator=80_000),
    # Continuity of care (PHOF C20): id 92544 as public code lists it (docs/indicators.md); the name is
    # the published one.
    _Indicator(92544, "Adults with substance misuse treatment need who successfully engage in community-based "
               "structured treatment following release from prison", "18+ yrs", "proportion",
               _financial(2017, 2023), (30.9, 32.4, 35.3, 36.8, 37.9, 42.1, 44.6), 1, "HighIsGood", (18, 90), -0.2,
               england_denominator=32_000),
    _Indicator(91380, "Alcohol-specific mortality", "All ages", "dsr", _calendar(2017, 2023),
               (10.9, 11.0, 10.9, 13.0, 14.0, 14.5, 15.9), 1, "LowIsGood", (0, 90), 0.7,
               profile=(0, 0, 0, 0, 0.01, 0.05, 0.15, 0.35, 0.6, 0.9, 1.3, 1.6, 1.8, 1.8, 1.5, 1.1, 0.7, 0.4, 0.2)),
    # The hospital admissions indicators OHID added to the co-occurring substance misuse and mental health
    # profile in September 2025. Their Fingertips ids could not be verified offline, so the workbench matches
    # them by published name; the ids here (99901, 99902) are synthetic and mean nothing.
    _Indicator(99901, "Admissions for poisoning by drug misuse", "All ages", "dsr", _financial(2017, 2023),
               (27.0, 27.6, 26.1, 24.9, 25.8, 26.4, 27.1), 1, "LowIsGood", (0, 90), 0.9,
               profile=(0.05, 0.02, 0.1, 1.2, 1.9, 2.0, 1.9, 1.8, 1.7, 1.5, 1.2, 0.9, 0.6, 0.4, 0.3, 0.2, 0.2, 0.2, 0.2)),
    _Indicator(99902, "Admissions for drug-related mental and behavioural disorders", "All ages", "dsr",
               _financial(2017, 2023), (13.2, 13.8, 13.0, 12.1, 12.9, 13.5, 14.0), 1, "LowIsGood", (0, 90), 1.0,
               profile=(0, 0, 0, 0.8, 1.7, 2.0, 2.0, 1.8, 1.5, 1.2, 0.9, 0.6, 0.4, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1)),
    _Indicator(92906, "Admission episodes for alcohol-specific conditions", "All ages", "dsr",
               _financial(2017, 2023), (572, 579, 587, 555, 582, 592, 598), 1, "LowIsGood", (0, 90), 0.7,
               profile=(0.05, 0.03, 0.1, 0.5, 0.6, 0.7, 0.9, 1.1, 1.4, 1.7, 1.9, 2.0, 1.9, 1.7, 1.4, 1.1, 0.8, 0.6, 0.5)),
    _Indicator(93763, "Alcohol-related mortality", "All ages", "dsr", _calendar(2017, 2023),
               (35.0, 34.6, 35.5, 37.8, 38.5, 38.9, 40.0), 1, "LowIsGood", (0, 90), 0.6,
               profile=(0, 0, 0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.55, 0.8, 1.1, 1.4, 1.7, 2.0, 2.4, 2.8, 3.2, 3.6)),
    _Indicator(90808, "Hospital admissions due to substance misuse (15 to 24 years)", "15-24 yrs", "dsr",
               _three_year(2015, 2020, True), (61.3, 61.4, 60.9, 59.0, 58.3, 58.8), 3, "LowIsGood", (15, 24), 0.6,
               profile=(0, 0, 0, 1.0, 1.1) + (0,) * 14),
    _Indicator(92904, "Admission episodes for alcohol-specific conditions - Under 18s", "<18 yrs", "crude",
               _three_year(2015, 2020, True), (32.9, 31.6, 30.7, 29.3, 26.0, 22.6), 3, "LowIsGood", (0, 17), 0.5),
    _Indicator(91117, "Estimated prevalence of opiate and/or crack cocaine use", "15-64 yrs", "modelled",
               (("2010/11", 2010), ("2011/12", 2011), ("2014/15", 2014), ("2016/17", 2016), ("2019/20", 2019)),
               (8.7, 8.4, 8.6, 8.9, 9.2), 1, "NoJudgement", (15, 64), 1.0),
)


def _fingertips(
    rng: np.random.Generator, geo: Geography, population: np.ndarray, imd: pd.DataFrame
) -> pd.DataFrame:
    """Indicator rows for England, the region and its boroughs, Fingertips style."""
    lsoas = geo.lsoas
    persons = population[:, :91] + population[:, 91:]
    boroughs = [(b.code, b.name) for b in geo.boroughs]
    by_age = {code: persons[(lsoas["LAD22CD"] == code).to_numpy()].sum(axis=0).astype(float)
              for code, _ in boroughs}
    weights = persons.sum(axis=1)
    mean_score = {code: float(np.average(imd["score"][(lsoas["LAD22CD"] == code).to_numpy()],
                                          weights=weights[(lsoas["LAD22CD"] == code).to_numpy()]))
                  for code, _ in boroughs}
    england_age = _age_profile() / _age_profile().sum() * ENGLAND_POPULATION
    national_mean_score = float(np.exp(_IMD_LOG_MEAN + _IMD_LOG_SD**2 / 2))
    rows: list[dict] = []
    for ind in _INDICATORS:
        relative = {code: (mean_score[code] / national_mean_score) ** ind.deprivation
                    * float(rng.lognormal(0.0, 0.08)) for code, _ in boroughs}
        # one suppressed row, as real exports have: drug deaths, first period, smallest borough
        small = min(relative, key=lambda c: relative[c] * by_age[c].sum()) if ind.id == 92432 else None
        for p, cells in enumerate(_indicator_cells(rng, ind, england_age, by_age, relative, small)):
            label, start = ind.periods[p]
            for area_code, cell in cells.items():
                rows.append({"ind": ind, "period": label, "start": start, "area": area_code, **cell})
    region_code, region_name = geo.region_code, geo.region_name
    names = {ENGLAND_CODE: ENGLAND_NAME, region_code: region_name, **dict(boroughs)}
    frame = pd.DataFrame(rows)
    frame["area"] = frame["area"].replace({"__region__": region_code})
    return _fingertips_table(frame, names, region_code, region_name)


def _indicator_cells(
    rng: np.random.Generator,
    ind: _Indicator,
    england_age: np.ndarray,
    by_age: dict[str, np.ndarray],
    relative: dict[str, float],
    force_small: str | None,
) -> list[dict[str, dict]]:
    """Per period: count, denominator, value and CIs for England, each borough and
    the region (``"__region__"``, the sum of its boroughs).

    Counts are drawn year by year and pooled, so overlapping 3-year periods share
    their years as real pooled figures do. Populations are held at the generated
    (current) size for every year.
    """
    lo_age, hi_age = ind.ages
    ages = slice(lo_age, hi_age + 1)
    starts = np.array([s for _, s in ind.periods])
    years = np.arange(starts.min(), starts.max() + ind.years)
    # England's annual level: the period values placed at their middle year
    annual_e = np.interp(years, starts + (ind.years - 1) / 2, np.array(ind.england, dtype=float))
    windows = [(years >= s) & (years < s + ind.years) for s in starts]
    out: list[dict[str, dict]] = [{} for _ in starts]

    if ind.kind in ("dsr", "crude"):
        if ind.kind == "dsr":
            bands = np.zeros(19, dtype=bool)
            bands[_BAND_OF_AGE[lo_age]: _BAND_OF_AGE[hi_age] + 1] = True
            profile = np.where(bands, np.array(ind.profile, dtype=float), 0.0)
            esp = np.array(ESP2013_WEIGHTS, dtype=float)
            unit = profile * esp[bands].sum() / (esp * profile).sum() / 100_000

            def pop_of(age_counts: np.ndarray) -> np.ndarray:
                return np.bincount(_BAND_OF_AGE, weights=age_counts, minlength=19)
        else:
            bands = np.ones(1, dtype=bool)
            unit = np.ones(1) / 100_000

            def pop_of(age_counts: np.ndarray) -> np.ndarray:
                return np.array([age_counts[ages].sum()])

        def cell(x: np.ndarray, n: np.ndarray) -> dict:
            return _dsr_cell(x, n, bands) if ind.kind == "dsr" else _rate_cell(float(x[0]), float(n[0]))

        pop_e = pop_of(england_age)
        for p, w in enumerate(windows):
            expected = sum(unit * annual_e[y] * pop_e for y in np.flatnonzero(w))
            out[p][ENGLAND_CODE] = cell(np.round(expected), pop_e * ind.years)
        total = np.zeros((len(years), len(unit)))
        total_pop = np.zeros(len(unit))
        for code, age_counts in by_age.items():
            pop = pop_of(age_counts)
            lam = unit[None, :] * annual_e[:, None] * pop[None, :] * relative[code]
            x = rng.poisson(lam * rng.lognormal(0, 0.06, size=(len(years), 1))).astype(float)
            while code == force_small and x[windows[0]].sum() > 9:
                x[windows[0]] = rng.binomial(x[windows[0]].astype(np.int64), 0.7)
            total += x
            total_pop += pop
            for p, w in enumerate(windows):
                out[p][code] = cell(x[w].sum(axis=0), pop * ind.years)
        for p, w in enumerate(windows):
            out[p]["__region__"] = cell(total[w].sum(axis=0), total_pop * ind.years)
        return out

    for p, value_e in enumerate(ind.england):
        cells = out[p]
        if ind.kind == "proportion":
            n_e = round(ind.england_denominator * rng.lognormal(0, 0.02))
            cells[ENGLAND_CODE] = _proportion_cell(round(n_e * value_e / 100), n_e)
            tx = tn = 0
            for code, age_counts in by_age.items():
                share = age_counts[ages].sum() / england_age[ages].sum()
                need = relative[code] ** -1.5  # more need where outcomes are worse (deprived)
                n = int(rng.poisson(ind.england_denominator * share * need))
                prob = float(np.clip(value_e / 100 * relative[code] * rng.lognormal(0, 0.06), 0.001, 0.999))
                x = int(rng.binomial(n, prob))
                tx, tn = tx + x, tn + n
                cells[code] = _proportion_cell(x, n)
            cells["__region__"] = _proportion_cell(tx, tn)
        else:  # modelled prevalence per 1,000 with a model-based CI
            pop_e = england_age[ages].sum()
            cells[ENGLAND_CODE] = _modelled_cell(value_e * pop_e / 1000, pop_e, 0.03)
            tx = tn = var = 0.0
            for code, age_counts in by_age.items():
                pop = age_counts[ages].sum()
                est = value_e * relative[code] * rng.lognormal(0, 0.05) * pop / 1000
                sigma = 0.12
                tx, tn, var = tx + est, tn + pop, var + (est * sigma) ** 2
                cells[code] = _modelled_cell(est, pop, sigma)
            cells["__region__"] = _modelled_cell(tx, tn, float(np.sqrt(var) / tx) if tx else 0.1)
    return out


def _dsr_cell(x: np.ndarray, n: np.ndarray, bands: np.ndarray) -> dict:
    """Directly standardised rate per 100,000 (ESP 2013), Dobson limits (:func:`stats.dsr`)."""
    weights = np.array(ESP2013_WEIGHTS, dtype=float)[bands]
    table = pd.DataFrame({"x": x[bands], "n": n[bands]})
    out = dsr(table, "x", "n", stdpop=weights, confidence=(0.95, 0.998)).iloc[0]
    cell = {"count": float(out["total_count"]), "denominator": float(out["total_pop"]), "note": ""}
    if np.isnan(out["value"]):
        return {**cell, "value": np.nan, "ci": (np.nan,) * 4, "note": _SUPPRESSED_NOTE}
    limits = tuple(float(out[c]) for c in ("lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"))
    return {**cell, "value": float(out["value"]), "ci": limits}


def _poisson(x: float, confidence: float) -> tuple[float, float]:
    """Limits of a Poisson count: exact below 10, Byar's above (:mod:`stats`)."""
    lower, upper, _ = poisson_count_limits(x, confidence)
    return float(lower[0]), float(upper[0])


def _wilson(x: float, n: float, confidence: float) -> tuple[float, float]:
    return float(wilson_lower(x, n, confidence)), float(wilson_upper(x, n, confidence))


def _rate_cell(x: float, n: float) -> dict:
    lo95, hi95 = _poisson(x, 0.95)
    lo998, hi998 = _poisson(x, 0.998)
    f = 100_000 / n
    return {"count": float(x), "denominator": float(n), "value": x * f,
            "ci": (lo95 * f, hi95 * f, lo998 * f, hi998 * f), "note": ""}


def _proportion_cell(x: int, n: int) -> dict:
    if n == 0:
        return {"count": 0.0, "denominator": 0.0, "value": np.nan, "ci": (np.nan,) * 4, "note": ""}
    limits = _wilson(x, n, 0.95) + _wilson(x, n, 0.998)
    return {"count": float(x), "denominator": float(n), "value": 100 * x / n,
            "ci": tuple(100 * v for v in limits), "note": ""}


def _modelled_cell(estimate: float, pop: float, sigma: float) -> dict:
    value = estimate / pop * 1000
    limits = (value * np.exp(-_Z95 * sigma), value * np.exp(_Z95 * sigma),
              value * np.exp(-_Z998 * sigma), value * np.exp(_Z998 * sigma))
    return {"count": round(estimate, 3), "denominator": float(round(pop)), "value": value,
            "ci": limits, "note": _MODELLED_NOTE}


def _fingertips_table(frame: pd.DataFrame, names: dict, region_code: str, region_name: str) -> pd.DataFrame:
    out = []
    for (ind_id, area), group in frame.groupby([frame["ind"].map(lambda i: i.id), "area"], sort=False):
        ind: _Indicator = group["ind"].iloc[0]
        group = group.sort_values("start")
        values = group["value"].to_numpy(dtype=float)
        lower = np.array([c[0] for c in group["ci"]], dtype=float)
        upper = np.array([c[1] for c in group["ci"]], dtype=float)
        trends = [_recent_trend(values[: j + 1], lower[: j + 1], upper[: j + 1], ind.polarity)
                  for j in range(len(group))]
        england = frame[(frame["ind"].map(lambda i: i.id) == ind_id) & (frame["area"] == ENGLAND_CODE)]
        england_value = dict(zip(england["period"], england["value"], strict=True))
        for j, row in enumerate(group.itertuples(index=False)):
            if area == ENGLAND_CODE:
                parent_code, parent_name, area_type = "", "", "England"
            elif area == region_code:
                parent_code, parent_name, area_type = ENGLAND_CODE, ENGLAND_NAME, _REGION_TYPE
            else:
                parent_code, parent_name, area_type = region_code, region_name, _BOROUGH_TYPE
            compared = "Not compared" if area == ENGLAND_CODE else _compare(
                row.value, row.ci[0], row.ci[1], england_value[row.period], ind.polarity)
            shown = not np.isnan(row.value)
            integer = ind.kind != "modelled"
            out.append({
                "Indicator ID": str(ind.id),
                "Indicator Name": ind.name,
                "Parent Code": parent_code,
                "Parent Name": parent_name,
                "Area Code": area,
                "Area Name": names[area],
                "Area Type": area_type,
                "Sex": "Persons",
                "Age": ind.age,
                "Category Type": "",
                "Category": "",
                "Time period": row.period,
                "Value": _num(row.value),
                "Lower CI 95.0 limit": _num(row.ci[0]),
                "Upper CI 95.0 limit": _num(row.ci[1]),
                "Lower CI 99.8 limit": _num(row.ci[2]),
                "Upper CI 99.8 limit": _num(row.ci[3]),
                "Count": (_num(row.count, integer) if shown else ""),
                "Denominator": _num(row.denominator, True),
                "Value note": row.note,
                "Recent Trend": trends[j],
                "Compared to England value or percentiles": compared,
                "Column not used": "Not compared",
                "Time period Sortable": f"{row.start}0000",
                "New data": "",
                "Compared to goal": "",
                "Time period range": f"{ind.years}y",
            })
    table = pd.DataFrame(out, columns=FINGERTIPS_HEADER)
    area_rank = table["Area Type"].map({"England": 0, _REGION_TYPE: 1, _BOROUGH_TYPE: 2})
    order = np.lexsort((table["Time period Sortable"].to_numpy(dtype=str), table["Area Code"].to_numpy(dtype=str),
                        area_rank.to_numpy(), table["Indicator ID"].astype(int).to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def _num(value: float, integer: bool = False) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if integer:
        return str(int(round(value)))
    text = f"{value:.10g}"
    if "e" in text:
        text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text


def _compare(value: float, lower: float, upper: float, benchmark: float, polarity: str) -> str:
    """Fingertips: the area's 95% CI against England's value (:func:`stats.compare_to_benchmark`)."""
    if np.isnan(value):
        return "Not compared"
    return compare_to_benchmark(lower, upper, None if np.isnan(benchmark) else benchmark, polarity=polarity)


def _recent_trend(values: np.ndarray, lower: np.ndarray, upper: np.ndarray, polarity: str) -> str:
    """Fingertips recent-trend marker (:func:`stats.recent_trend`) on the last five
    periods; "Cannot be calculated" unless all five have a value and limits.
    (Fingertips tests proportions with a chi-squared test for trend; this demo uses
    the weighted regression for every indicator.)"""
    ok = ~(np.isnan(values) | np.isnan(lower) | np.isnan(upper))
    if len(values) < 5 or not ok[-5:].all():
        return "Cannot be calculated"
    return recent_trend(values[-5:], lower[-5:], upper[-5:], polarity).label


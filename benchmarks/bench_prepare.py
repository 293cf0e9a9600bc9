#!/usr/bin/env python
"""Benchmark ``prepare`` against a plain pandas loop on national-scale police.uk data.

Generates street-crime CSVs in the real data.police.uk layout and format
(``YYYY-MM/YYYY-MM-<force>-street.csv``, the published header, LF, no quotes,
six-decimal coordinates, 64-hex Crime IDs, empty IDs for anti-social behaviour,
"No Location" rows, crimes in neighbouring forces' LSOAs, repeated IDs within a
file and a few crimes repeated in a neighbouring force's file), then times, each
in a fresh subprocess:

(a) ``cdp_analysis.store.prepare.prepare`` on the folder (police only), from scratch,
    then a second, no-op run;
(b) ``pandas.read_csv`` of every file and one ``pandas.concat`` (``dtype`` given for
    Crime ID only: pandas 2.3 segfaults inferring some 64-hex IDs as floats).

Peak memory is the child's ``ru_maxrss`` read by a wrapper process through
``resource.getrusage(RUSAGE_CHILDREN)``.

Usage::

    python benchmarks/bench_prepare.py                  # 43 forces, 36 months, ~500,000 rows a month
    python benchmarks/bench_prepare.py --small          # 3 months, ~50,000 rows a month
    python benchmarks/bench_prepare.py --months 12 --rows-per-month 200000 --workdir /tmp/bench

Generated files are kept in ``--workdir`` (default ``benchmarks/output/``, ignored
by git) and reused when the parameters match. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import binascii
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context\n")

# The 43 territorial police forces of England and Wales: (slug, name, share of crime).
FORCES = (
    ("avon-and-somerset", "Avon and Somerset Constabulary", 2.6), ("bedfordshire", "Bedfordshire Police", 1.0),
    ("cambridgeshire", "Cambridgeshire Constabulary", 1.3), ("cheshire", "Cheshire Constabulary", 1.7),
    ("city-of-london", "City of London Police", 0.1), ("cleveland", "Cleveland Police", 1.2),
    ("cumbria", "Cumbria Constabulary", 0.6), ("derbyshire", "Derbyshire Constabulary", 1.6),
    ("devon-and-cornwall", "Devon & Cornwall Police", 2.0), ("dorset", "Dorset Police", 0.9),
    ("durham", "Durham Constabulary", 1.0), ("dyfed-powys", "Dyfed-Powys Police", 0.5),
    ("essex", "Essex Police", 2.9), ("gloucestershire", "Gloucestershire Constabulary", 0.8),
    ("greater-manchester", "Greater Manchester Police", 6.3), ("gwent", "Gwent Police", 0.9),
    ("hampshire", "Hampshire Constabulary", 2.9), ("hertfordshire", "Hertfordshire Constabulary", 1.6),
    ("humberside", "Humberside Police", 1.6), ("kent", "Kent Police", 3.2),
    ("lancashire", "Lancashire Constabulary", 2.6), ("leicestershire", "Leicestershire Police", 1.5),
    ("lincolnshire", "Lincolnshire Police", 0.9), ("merseyside", "Merseyside Police", 2.4),
    ("metropolitan", "Metropolitan Police Service", 16.0), ("norfolk", "Norfolk Constabulary", 1.1),
    ("north-wales", "North Wales Police", 1.0), ("north-yorkshire", "North Yorkshire Police", 0.9),
    ("northamptonshire", "Northamptonshire Police", 1.2), ("northumbria", "Northumbria Police", 2.6),
    ("nottinghamshire", "Nottinghamshire Police", 1.7), ("south-wales", "South Wales Police", 2.2),
    ("south-yorkshire", "South Yorkshire Police", 2.9), ("staffordshire", "Staffordshire Police", 1.6),
    ("suffolk", "Suffolk Constabulary", 0.9), ("surrey", "Surrey Police", 1.2),
    ("sussex", "Sussex Police", 2.2), ("thames-valley", "Thames Valley Police", 3.0),
    ("warwickshire", "Warwickshire Police", 0.7), ("west-mercia", "West Mercia Police", 1.8),
    ("west-midlands", "West Midlands Police", 5.8), ("west-yorkshire", "West Yorkshire Police", 6.0),
    ("wiltshire", "Wiltshire Police", 0.8),
)
CRIME_TYPES = (
    ("Anti-social behaviour", 0.22), ("Violence and sexual offences", 0.33), ("Public order", 0.08),
    ("Criminal damage and arson", 0.08), ("Other theft", 0.06), ("Shoplifting", 0.06),
    ("Vehicle crime", 0.05), ("Burglary", 0.04), ("Drugs", 0.025), ("Other crime", 0.015),
    ("Theft from the person", 0.01), ("Bicycle theft", 0.01), ("Robbery", 0.01),
    ("Possession of weapons", 0.01),
)
OUTCOMES = (
    ("Investigation complete; no suspect identified", 0.38), ("Unable to prosecute suspect", 0.30),
    ("Under investigation", 0.10), ("Status update unavailable", 0.06),
    ("Awaiting court outcome", 0.04), ("Local resolution", 0.03), ("Offender given a caution", 0.02),
    ("Further investigation is not in the public interest", 0.02),
    ("Formal action is not in the public interest", 0.02), ("Court result unavailable", 0.01),
    ("Action to be taken by another organisation", 0.01), ("Offender given community sentence", 0.005),
    ("Offender sent to prison", 0.005),
)
STREETS = ("High", "Station", "Church", "Park", "Victoria", "Green", "Manor", "Mill", "School",
           "Queen", "King", "New", "Albert", "London", "North", "South", "West", "Grange", "Alexandra",
           "Springfield", "Windsor", "Chapel", "York", "Kings", "Oak", "Elm", "Willow", "Castle",
           "Bridge", "Market", "Orchard", "St Dunstan'S", "Mount", "Highfield", "Richmond", "Beech")
KINDS = ("Street", "Road", "Lane", "Avenue", "Close", "Way", "Drive", "Gardens", "Crescent", "Court")
PLACES = ("Supermarket", "Parking Area", "Petrol Station", "Nightclub", "Shopping Area",
          "Sports/Recreation Area", "Police Station", "Hospital", "Further/Higher Educational Building",
          "Pedestrian Subway", "Park/Open Space", "Theatre/Concert Hall", "Conference/Exhibition Centre")
LSOAS_PER_FORCE = 785
LOCATIONS_PER_LSOA = 12


# --------------------------------------------------------------------------- generation
def generate(root: Path, *, months: int, rows_per_month: int, forces: int, seed: int = 7) -> dict:
    """Write the CSVs under ``root/police_uk``; return counts. Reuses a matching folder."""
    import pyarrow as pa

    params = {"months": months, "rows_per_month": rows_per_month, "forces": forces, "seed": seed,
              "version": 2}
    stamp = root / "generated.json"
    if stamp.is_file() and json.loads(stamp.read_text()).get("params") == params:
        return json.loads(stamp.read_text())
    shutil.rmtree(root, ignore_errors=True)
    (root / "police_uk").mkdir(parents=True)
    chosen = FORCES[:forces]
    share = np.array([f[2] for f in chosen])
    share = share / share.sum()
    pools = [_location_pool(i, seed) for i in range(len(chosen))]
    month_names = [f"{2021 + (m // 12):04d}-{m % 12 + 1:02d}" for m in range(months)]
    type_names = pa.array([t for t, _ in CRIME_TYPES])
    type_p = np.array([p for _, p in CRIME_TYPES]) / sum(p for _, p in CRIME_TYPES)
    outcome_names = pa.array([o for o, _ in OUTCOMES])
    outcome_p = np.array([p for _, p in OUTCOMES]) / sum(p for _, p in OUTCOMES)

    def one_month(m: int) -> tuple[int, int]:
        rng = np.random.default_rng([seed, m])
        month = month_names[m]
        folder = root / "police_uk" / month
        folder.mkdir(parents=True, exist_ok=True)
        season = 1.0 + 0.08 * np.sin(2 * np.pi * (m % 12) / 12)
        counts = rng.multinomial(int(rows_per_month * season), share)
        carry = None  # a few crimes repeated in the next force's file
        rows = 0
        for i, (slug, name, _) in enumerate(chosen):
            table = _force_month(rng, month, name, pools[i], pools[(i + 1) % len(pools)],
                                 int(counts[i]), type_names, type_p, outcome_names, outcome_p)
            if carry is not None and carry.num_rows:
                names = pa.array([name] * carry.num_rows, pa.string())
                carry = carry.set_column(2, "Reported by", names).set_column(3, "Falls within", names)
                table = pa.concat_tables([table, carry])
            carry = table.slice(0, max(1, table.num_rows // 500))
            carry = carry.filter(_valid(carry.column("Crime ID")))
            _write_csv(folder / f"{month}-{slug}-street.csv", table)
            rows += table.num_rows
        return m, rows

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        total = sum(rows for _, rows in pool.map(one_month, range(months)))
    files = sorted((root / "police_uk").rglob("*.csv"))
    info = {"params": params, "files": len(files), "rows": total,
            "bytes": sum(f.stat().st_size for f in files),
            "seconds": round(time.perf_counter() - started, 1)}
    stamp.write_text(json.dumps(info, indent=1))
    return info


def _valid(column):
    import pyarrow.compute as pc

    return pc.is_valid(column)


def _districts(slug: str) -> list[str]:
    """Five district names for a force's LSOA names: its real districts (so the national
    aggregate places the crimes in real local authorities), or made-up ones."""
    import csv
    from importlib import resources

    text = resources.files("cdp_analysis.resources").joinpath("forces.csv").read_text("utf-8")
    real = [row["lad_name"] for row in csv.DictReader(text.splitlines())
            if row["force"] == slug and "," not in row["lad_name"]]  # the files are written unquoted
    made_up = [f"{slug.replace('-', ' ').title()} {chr(65 + d)}" for d in range(5)]
    return [(real or made_up)[d % len(real or made_up)] for d in range(5)]


def _location_pool(force: int, seed: int) -> dict:
    """LSOAs with names and a dozen located streets each, for one force."""
    import pyarrow as pa

    rng = np.random.default_rng([seed, 1000 + force])
    n_lsoa = LSOAS_PER_FORCE
    codes = [f"E0{1000001 + force * n_lsoa + k:07d}" for k in range(n_lsoa)]
    districts = _districts(FORCES[force][0])
    names = [f"{districts[k % 5]} {k // 5 + 1:03d}{chr(65 + k % 4)}" for k in range(n_lsoa)]
    centre_lon, centre_lat = -3.0 + 0.11 * (force % 12), 50.6 + 0.2 * (force // 6)
    lsoa_lon = centre_lon + rng.normal(0, 0.15, n_lsoa)
    lsoa_lat = centre_lat + rng.normal(0, 0.10, n_lsoa)
    n = n_lsoa * LOCATIONS_PER_LSOA
    lsoa_of = np.repeat(np.arange(n_lsoa), LOCATIONS_PER_LSOA)
    lon = lsoa_lon[lsoa_of] + rng.normal(0, 0.004, n)
    lat = lsoa_lat[lsoa_of] + rng.normal(0, 0.003, n)
    street = rng.integers(0, len(STREETS), n)
    kind = rng.integers(0, len(KINDS), n)
    place = rng.integers(0, len(PLACES) * 4, n)
    location = [f"On or near {PLACES[p]}" if p < len(PLACES) else f"On or near {STREETS[s]} {KINDS[k]}"
                for s, k, p in zip(street, kind, place)]
    return {
        "lon": pa.array([f"{x:.6f}" for x in lon]),
        "lat": pa.array([f"{y:.6f}" for y in lat]),
        "location": pa.array(location),
        "lsoa_code": pa.array(codes).take(pa.array(lsoa_of)),
        "lsoa_name": pa.array(names).take(pa.array(lsoa_of)),
    }


def _force_month(rng, month, force_name, pool, neighbour, n, type_names, type_p, outcome_names,
                 outcome_p):
    """One force's month as an Arrow table of strings in the published column order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    crime = rng.choice(len(type_p), size=n, p=type_p)
    asb = crime == 0
    ids = _hex_ids(rng, n)
    repeat = rng.random(n) < 0.01  # a Crime ID on two rows of one file
    repeat[0] = False
    ids = pc.if_else(pa.array(repeat), pc.take(ids, pa.array(np.maximum(np.arange(n) - 1, 0))), ids)
    ids = pc.if_else(pa.array(asb), pa.scalar(None, pa.string()), ids)
    outside = rng.random(n) < 0.04  # crimes located in the neighbouring force's LSOAs
    size = len(pool["lon"])
    loc = pa.array(rng.integers(0, size, n))
    columns = {}
    for key in ("lon", "lat", "location", "lsoa_code", "lsoa_name"):
        columns[key] = pc.if_else(pa.array(outside), pc.take(neighbour[key], loc), pc.take(pool[key], loc))
    nowhere = pa.array(rng.random(n) < 0.02)  # no location
    null = pa.scalar(None, pa.string())
    outcome = pc.take(outcome_names, pa.array(rng.choice(len(outcome_p), size=n, p=outcome_p)))
    return pa.table({
        "Crime ID": ids,
        "Month": pa.array([month] * n) if n else pa.array([], pa.string()),
        "Reported by": pa.array([force_name] * n, pa.string()),
        "Falls within": pa.array([force_name] * n, pa.string()),
        "Longitude": pc.if_else(nowhere, null, columns["lon"]),
        "Latitude": pc.if_else(nowhere, null, columns["lat"]),
        "Location": pc.if_else(nowhere, pa.scalar("No Location"), columns["location"]),
        "LSOA code": pc.if_else(nowhere, null, columns["lsoa_code"]),
        "LSOA name": pc.if_else(nowhere, null, columns["lsoa_name"]),
        "Crime type": pc.take(type_names, pa.array(crime)),
        "Last outcome category": pc.if_else(pa.array(asb), null, outcome),
        "Context": pa.nulls(n, pa.string()),
    })


def _hex_ids(rng, n):
    import pyarrow as pa

    data = binascii.hexlify(rng.bytes(32 * n))
    offsets = np.arange(0, 64 * n + 1, 64, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _write_csv(path: Path, table) -> None:
    import pyarrow.csv as pacsv

    with open(path, "wb") as handle:
        handle.write(HEADER.encode())
        pacsv.write_csv(table, handle, write_options=pacsv.WriteOptions(
            include_header=False, quoting_style="none"))


# --------------------------------------------------------------------------- workers
def work_prepare(raw: Path, out: Path) -> dict:
    from cdp_analysis.store.prepare import prepare

    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    report = prepare(raw, out, progress=False)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = prepare(raw, out, progress=False)
    second = time.perf_counter() - started
    assert not again.processed, again.summary()
    return {"rows": report.rows.get("street_crime", 0), "seconds": first,
            "second_run_seconds": second, "parts": len(report.units.get("street_crime", [])),
            **_aggregate_alone(out)}


def _aggregate_alone(out: Path) -> dict:
    """Rebuild the national aggregate (police_counts.parquet) alone from the partitions, timed."""
    from cdp_analysis.store.dataset import Dataset
    from cdp_analysis.store.prepare import _police_counts_builder, _Stage

    data = Dataset(out)
    names = {m: [f"{m}-{f}-street.csv" for f in forces] for m, forces in data.police_forces().items()}
    stage = _Stage(out)
    try:
        started = time.perf_counter()
        built = _police_counts_builder(names)(stage)
        seconds = time.perf_counter() - started
    finally:
        stage.discard()
    path = out / "police_counts.parquet"
    return {"aggregate_seconds": seconds, "aggregate_rows": built.rows,
            "aggregate_bytes": path.stat().st_size}


def work_pandas(raw: Path) -> dict:
    import pandas as pd

    files = sorted(raw.rglob("*-street.csv"))
    started = time.perf_counter()
    # dtype for Crime ID only: pandas 2.3's C parser segfaults when it tries a 64-hex ID
    # such as "913e5495936174550227054f6…" as a float (pandas-dev/pandas#62617, fixed by #63098).
    frame = pd.concat([pd.read_csv(f, dtype={"Crime ID": str}) for f in files], ignore_index=True)
    seconds = time.perf_counter() - started
    return {"rows": len(frame), "seconds": seconds}


def measure(mode: str, workdir: Path) -> dict:
    """Run one worker in a child process; report its peak RSS and wall time."""
    command = [sys.executable, __file__, "--worker", mode, "--workdir", str(workdir)]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"{mode} worker failed ({result.returncode})")
    info = json.loads(result.stdout.strip().splitlines()[-1])
    info["wall_seconds"] = wall
    info["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    return info


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--rows-per-month", type=int, default=500_000)
    parser.add_argument("--forces", type=int, default=43, choices=range(1, len(FORCES) + 1),
                        metavar=f"1..{len(FORCES)}")
    parser.add_argument("--workdir", type=Path, default=Path(__file__).resolve().parent / "output")
    parser.add_argument("--small", action="store_true", help="3 months, 50,000 rows a month")
    parser.add_argument("--worker", choices=("prepare", "pandas"), help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=("prepare", "pandas"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workdir = args.workdir.resolve()
    raw, out = workdir / "raw", workdir / "processed" / "bench"

    if args.worker:
        info = work_prepare(raw, out) if args.worker == "prepare" else work_pandas(raw)
        print(json.dumps(info))
        return 0
    if args.measure:  # a fresh process whose only child is the worker
        print(json.dumps(measure(args.measure, workdir)))
        return 0

    if args.small:
        args.months, args.rows_per_month = 3, 50_000
    print(f"generating {args.forces} forces x {args.months} months, ~{args.rows_per_month:,} rows "
          f"a month in {raw} …", flush=True)
    info = generate(raw, months=args.months, rows_per_month=args.rows_per_month, forces=args.forces)
    print(f"  {info['files']:,} files, {info['rows']:,} rows, {info['bytes'] / 1e9:.2f} GB "
          f"(generated in {info['seconds']} s)", flush=True)

    results = {}
    for mode in ("prepare", "pandas"):
        print(f"running {mode} …", flush=True)
        command = [sys.executable, __file__, "--measure", mode, "--workdir", str(workdir)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            sys.stderr.write(done.stderr)
            return 1
        results[mode] = json.loads(done.stdout.strip().splitlines()[-1])

    p, b = results["prepare"], results["pandas"]
    print()
    print(f"{'':28}{'prepare':>16}{'pandas loop':>16}")
    print(f"{'rows':28}{p['rows']:>16,}{b['rows']:>16,}")
    print(f"{'work seconds':28}{p['seconds']:>16.1f}{b['seconds']:>16.1f}")
    print(f"{'process wall seconds':28}{p['wall_seconds']:>16.1f}{b['wall_seconds']:>16.1f}")
    print(f"{'rows / second (work)':28}{p['rows'] / p['seconds']:>16,.0f}{b['rows'] / b['seconds']:>16,.0f}")
    print(f"{'peak RSS (MB)':28}{p['peak_rss_mb']:>16,.0f}{b['peak_rss_mb']:>16,.0f}")
    print(f"prepare, second run (nothing changed): {p['second_run_seconds']:.2f} s")
    print(f"national aggregate (police_counts.parquet, part of the prepare run): rebuilt alone in "
          f"{p['aggregate_seconds']:.1f} s, {p['aggregate_rows']:,} rows, {p['aggregate_bytes'] / 1e3:,.0f} kB")
    ratio = (p["rows"] / p["seconds"]) / (b["rows"] / b["seconds"])
    print(f"speed ratio prepare / pandas: {ratio:.1f}x (target >= 3x); "
          f"prepare peak {p['peak_rss_mb']:,.0f} MB (target < 2,048 MB)")
    print("rows differ by the cross-file duplicates prepare drops:", b["rows"] - p["rows"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

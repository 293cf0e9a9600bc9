"""Time ``cdp data --area CODE`` (the data checklist), cold and warm, and print the figures.

Each run is a fresh ``python -m cdp_analysis.cli data`` subprocess (imports included, as a
user waits for them), timed by wall clock and by the child's CPU (user + system, from
``resource.getrusage(RUSAGE_CHILDREN)``: on a shared machine the CPU figure is the steadier).

- **cold**: an empty processed folder, so the raw files are prepared first (read in full:
  the checklist reads the prepared store, as the chapters do);
- **warm**: the same folder again (the store's manifest says nothing changed: nothing is read
  again but the small tables the checklist looks at), run ``--repeat`` times.

The target is warm under 5 s for one area. Measured 2026-12-07 on the shared 2-core machine at a load
average of about 7 (so wall time is inflated; CPU is the steadier figure), ``/usr/bin/time -v``:

- demo borough Z09000001, warm: 1.6 s CPU (1.4 user + 0.2 system), 5.7 s wall; before reading the
  police force names once per process (not once per district, ~300 reads), 3.2 s CPU;
- Hartlepool E06000001 with the real folder, warm: 1.7 s CPU, 5.0 s wall; the first run after a build
  (part of the store prepared again): 8.7 s CPU, 18.9 s wall.

Of a warm run's CPU, importing pandas/numpy/pyarrow is most; reading the store's Parquet tables
(filtered scans) about 1 s of it. Usage::

    python benchmarks/bench_data.py                                   # demo borough Z09000001
    python benchmarks/bench_data.py --area E06000001 --data-dir ../shared/data/real
    python benchmarks/bench_data.py --skip-cold --repeat 5
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 5.0


def _run(area: str, data_dir: str | None, processed: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, last line of output) of one ``cdp data`` run."""
    command = [sys.executable, "-m", "cdp_analysis.cli", "--processed-dir", str(processed), "data", "--area", area]
    if data_dir:
        command += ["--data-dir", data_dir]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"cdp data failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", default="Z09000001")
    parser.add_argument("--data-dir", help="raw folder (default: the demo data)")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs")
    parser.add_argument("--skip-cold", action="store_true", help="reuse the processed folder of an earlier run")
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "cdp-bench-data"))
    args = parser.parse_args(argv)
    data_dir = str(Path(args.data_dir).resolve()) if args.data_dir else None
    processed = Path(args.workdir) / args.area
    if not args.skip_cold:
        shutil.rmtree(processed, ignore_errors=True)
    processed.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"cdp data --area {args.area} {'--data-dir ' + data_dir if data_dir else '(demo data)'}")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at start")
    if not args.skip_cold:
        wall, cpu, last = _run(args.area, data_dir, processed)
        print(f"cold (prepare first): {wall:6.1f} s wall, {cpu:6.1f} s CPU   [{last}]")
    walls, cpus = [], []
    for _ in range(args.repeat):
        wall, cpu, last = _run(args.area, data_dir, processed)
        walls.append(wall)
        cpus.append(cpu)
    print(f"warm x{args.repeat}: median {statistics.median(walls):5.1f} s wall (min {min(walls):.1f}), "
          f"median {statistics.median(cpus):5.1f} s CPU   [{last}]")
    verdict = "meets" if min(walls) < TARGET_SECONDS else "misses"
    print(f"target: warm under {TARGET_SECONDS:.0f} s: {verdict} it on this run (best wall {min(walls):.1f} s; "
          f"CPU {min(cpus):.1f} s, which a loaded machine does not inflate)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

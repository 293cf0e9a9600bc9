"""Time `cdp batch` on the demo region: scaling with workers, and overhead over pure compute.

Usage::

    .venv/bin/python benchmarks/bench_batch.py [--workdir DIR] [--months 72]

1. Generates the demo data into ``<workdir>/raw/demo`` and prepares it (not timed).
2. *Pure compute*: every section of every chapter for every demo area, computed in
   this process (figures rendered to PNG as the notebooks do), no papermill/nbconvert.
3. *Batch*: ``run_batch`` with 1 worker, then with 2 workers, ``force=True`` so every
   chapter is executed and exported.

Prints seconds for each, the speed-up of 2 workers over 1 (2.0 is linear on this
2-core machine) and the overhead of the batch machinery (kernel start-up, papermill,
nbconvert, writing) over pure compute. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from cdp_analysis.areas import AreaRegistry
from cdp_analysis.batch import resolve_areas, run_batch
from cdp_analysis.chapters.overview import OverviewChapter
from cdp_analysis.chapters.supply import SupplyChapter
from cdp_analysis.config import load_config
from cdp_analysis.context import load_context
from cdp_analysis.demo import generate_demo


def _pure_compute(codes: list[str], config) -> float:
    started = time.perf_counter()
    for code in codes:
        ctx = load_context(code, config=config)
        for section in SupplyChapter(ctx).sections().values():
            assert section.title
        overview = OverviewChapter(ctx)
        summary = overview.summary()
        overview.tartan_html(summary)
        chart = overview.sparklines(summary)
        if chart is not None:
            from cdp_analysis.render import chart_html

            chart_html(chart)
        overview.crime_tiles()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--months", type=int, default=72)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="cdp-bench-batch-"))
    os.environ["CDP_RAW_DIR"] = str(work / "raw")  # inherited by the papermill kernels
    os.environ["CDP_PROCESSED_DIR"] = str(work / "processed")
    os.environ["CDP_REPORTS_DIR"] = str(work / "reports")
    config = load_config()
    generate_demo(config.demo_dir, seed=config.demo_seed, months=args.months, end_month=config.demo_end_month)
    codes = resolve_areas("all", AreaRegistry.load(config.raw_dir), demo=True)
    load_context(codes[0], config=config)  # prepare once, untimed
    jobs = len(codes) * len(config.chapters)

    compute = _pure_compute(codes, config)
    timings = {}
    for workers in (1, 2):
        started = time.perf_counter()
        results = run_batch(codes, config, workers=workers, force=True, prepare_first=False)
        timings[workers] = time.perf_counter() - started
        failed = [r for r in results if not r.ok]
        if failed:
            raise SystemExit(f"{len(failed)} chapters failed: {failed[0].error}")

    print(f"{len(codes)} areas x {len(config.chapters)} chapters = {jobs} pages, {args.months} months of demo data")
    print(f"pure compute (in process, no notebooks):  {compute:7.1f} s  ({compute / jobs:.1f} s a page)")
    print(f"batch, 1 worker:                          {timings[1]:7.1f} s  ({timings[1] / jobs:.1f} s a page)")
    print(f"batch, 2 workers:                         {timings[2]:7.1f} s  ({timings[2] / jobs:.1f} s a page)")
    print(f"speed-up of 2 workers over 1:             {timings[1] / timings[2]:7.2f}x  (2.00 = linear)")
    print(f"batch overhead over pure compute (1 worker): {timings[1] - compute:5.1f} s "
          f"({(timings[1] - compute) / jobs:.1f} s a page: kernel start-up, papermill, nbconvert)")


if __name__ == "__main__":
    main()

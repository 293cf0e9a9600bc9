"""A national-scale run: every upper-tier area of a synthetic England x every chapter, on this machine.

Usage::

    .venv/bin/python benchmarks/bench_national.py                      # 150 areas, 72 months, 2 workers
    .venv/bin/python benchmarks/bench_national.py --areas 150 --limit 10   # a trial on the first 10 areas
    .venv/bin/python benchmarks/bench_national.py --workdir /tmp/nat150 --check 3

1. Generates the demo with ``--areas`` fictional upper-tier areas (``cdp demo --areas N``: the
   same real file formats, about 23 million street crimes for 150 areas and 72 months) into
   ``<workdir>/raw/demo``, unless it is already there (not timed here: the generator prints its
   own time).
2. Prepares it in a fresh process (from scratch with ``--fresh``) and prints the seconds and that
   process's peak RSS.
3. Builds every chapter of every area with ``run_batch`` (warm kernels, ``--workers`` at once),
   sampling the RSS of the runner and of every kernel process every 0.2 s: prints the wall
   time, seconds a page, failures, and the peak RSS of each worker.
4. Correctness: rebuilds ``--check`` areas (first, middle, last) alone, each with ``cdp build``
   in a fresh process (cold kernels), and compares their pages with the batch's: every figure
   byte for byte and the page text (only papermill's random cell ids and timestamps may
   differ).

Never part of the test suite. The work folder needs about 7 GB for 150 areas.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import _PeakMemory  # noqa: E402 - the benchmark folder is not a package

_CONFIG = """[paths]
raw_dir = "{root}/raw"
processed_dir = "{root}/processed"
reports_dir = "{root}/reports"
notebooks_dir = "{notebooks}"

[demo]
seed = 2021
months = {months}
end_month = "2025-12"
areas = {areas}

[build]
chapters = ["00_outcomes_overview", "01_supply", "02_treatment_recovery", "03_demand"]
workers = {workers}
timeout_seconds = 600
"""


def _stable(page: str) -> str:
    """A page without what differs between any two builds (papermill's cell ids, timestamps)."""
    page = re.sub(r"cell-id=[0-9a-f-]+", "cell-id=", page)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", "<time>", page)


def _images(page: str) -> list[str]:
    return re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)


def _prepare(env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of ``prepare`` on the demo folder, in a fresh process."""
    code = ("import time; from cdp_analysis.config import load_config; from cdp_analysis.store.prepare import prepare; "
            "c = load_config(); t = time.perf_counter(); "
            "prepare(c.demo_dir, c.processed_dir / 'demo', progress=False); print(time.perf_counter() - t)")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return float(out.stdout.strip().splitlines()[-1]), max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path(__file__).resolve().parent / "output" / "national")
    parser.add_argument("--areas", type=int, default=150, help="fictional upper-tier areas (default 150)")
    parser.add_argument("--months", type=int, default=72)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="build only the first N areas (a trial)")
    parser.add_argument("--check", type=int, default=3, help="areas rebuilt alone and compared (default 3)")
    parser.add_argument("--fresh", action="store_true", help="delete the processed tables first (prepare from scratch)")
    args = parser.parse_args()

    root = args.workdir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    (root / "cdp.toml").write_text(_CONFIG.format(root=root, notebooks=notebooks, months=args.months,
                                                  areas=args.areas, workers=args.workers), "utf-8")
    os.environ["CDP_CONFIG"] = str(root / "cdp.toml")  # this process and every kernel it starts
    env = dict(os.environ)

    from cdp_analysis.areas import AreaRegistry, resolve_areas
    from cdp_analysis.config import load_config
    from cdp_analysis.publishing.batch import run_batch
    from cdp_demo.region import generate_demo

    config = load_config()
    summary = generate_demo(config.demo_dir, seed=config.demo_seed, months=config.demo_months,
                            end_month=config.demo_end_month, areas=config.demo_areas)
    print(f"demo: {summary.boroughs} areas, {summary.lsoas:,} LSOAs, {summary.crime_rows:,} street crimes, "
          f"{summary.bytes / 1e9:.2f} GB in {summary.files} files"
          + (f", generated in {summary.seconds:.0f} s" if summary.generated else " (already there)"), flush=True)
    if args.fresh:
        shutil.rmtree(config.processed_dir, ignore_errors=True)
    prepare_s, prepare_mb = _prepare(env)
    print(f"prepare (fresh process): {prepare_s:.1f} s, peak RSS {prepare_mb:,.0f} MB", flush=True)

    registry = AreaRegistry.load(config.raw_dir)
    codes = resolve_areas("all", registry, demo=True)
    codes = codes[: args.limit] if args.limit else codes
    pages = len(codes) * len(config.chapters)
    with _PeakMemory() as peak:
        started = time.perf_counter()
        results = run_batch(codes, config, workers=args.workers, force=True, prepare_first=False, progress=True)
        spent = time.perf_counter() - started
    failed = [r for r in results if not r.ok]
    mb = 1024 * 1024
    kernels = sorted(peak.kernels.values(), reverse=True)
    print(f"batch: {len(codes)} areas x {len(config.chapters)} chapters = {pages} pages in {spent:.0f} s "
          f"({spent / 60:.1f} min, {spent / pages:.2f} s a page, {args.workers} workers); {len(failed)} failed; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"peak RSS: runner {peak.runner / mb:,.0f} MB; the {args.workers} largest kernel processes "
          f"{', '.join(f'{k / mb:,.0f}' for k in kernels[: args.workers])} MB "
          f"({len(kernels)} kernel processes over the run)", flush=True)
    for result in failed[:5]:
        print(f"  failed: {result.area_code} {result.chapter}: {str(result.error)[:300]}")

    picks = sorted({codes[0], codes[len(codes) // 2], codes[-1]})[: args.check]
    batch_pages = {p: p.read_text("utf-8") for c in picks for p in sorted((config.reports_dir / c).glob("*.html"))}
    same = differ = 0
    for code in picks:
        subprocess.run([str(Path(sys.executable).parent / "cdp"), "build", "--area", code, "--force", "--workers", "1"],
                       env=env, check=True, capture_output=True)
    for path, page in batch_pages.items():
        alone = path.read_text("utf-8")
        if _images(alone) == _images(page) and _stable(alone) == _stable(page):
            same += 1
        else:
            differ += 1
            print(f"  differs from a single-area build: {path.relative_to(config.reports_dir)}")
    print(f"correctness: {same} of {same + differ} pages of {', '.join(picks)} identical to a single-area build "
          "(figures byte for byte, text apart from cell ids and timestamps)")


if __name__ == "__main__":
    main()

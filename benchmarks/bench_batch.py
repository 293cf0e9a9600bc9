"""Time `cdp batch` on the demo region against the serial papermill + nbconvert loop, and
the charts' compute before and after, side by side in one run.

Usage::

    .venv/bin/python benchmarks/bench_batch.py [--workdir DIR] [--months 72] [--skip-serial]

1. Generates the demo data into ``<workdir>/raw/demo`` and prepares it (not timed).
2. *Encoding*: every figure of the supply chapter for one area saved as PNG the old way
   (``bbox_inches="tight"``, median-cut quantisation + optimize), the new way (one draw,
   fast-octree quantisation), as plain PNG and as SVG: seconds and kB a chart.
3. *Pure compute*: every chapter for every demo area, the notebooks' code cells run in
   this process (no kernel, no export),
   with the old chart layout and encoding patched in (two-pass ``tight_layout``, automatic
   title placement, ``bbox_inches="tight"``, median cut), then with the package's own.
4. *Serial loop*: what an analyst scripts: ``papermill`` CLI then
   ``jupyter nbconvert --to html --no-input`` for each page, one after another.
5. *Batch*: ``run_batch(..., force=True)`` with 1 worker and with 2 (warm kernels), peak
   memory of each kernel process and of the runner sampled with psutil.

Prints each figure and the targets (batch ≥ 5x the serial loop; batch within 1.3x of
pure compute ÷ workers; pure compute halved), and a national extrapolation. Never part
of the test suite.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from cdp_analysis.areas import AreaRegistry, resolve_areas
from cdp_analysis.chapters.context import SYNTHETIC_NOTICE, load_context
from cdp_analysis.config import load_config
from cdp_analysis.publishing.batch import run_batch
from cdp_analysis.report import render
from cdp_demo.region import generate_demo


def _old_png(chart) -> str:  # noqa: ANN001 - the encoding before this change, for comparison
    from PIL import Image

    buffer = io.BytesIO()
    chart.figure.savefig(buffer, format="png", bbox_inches="tight")
    chart.close()
    buffer.seek(0)
    image = Image.open(buffer).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small = io.BytesIO()
    image.save(small, format="PNG", optimize=True)
    return base64.b64encode(small.getvalue()).decode("ascii")


def _old_finish(fig, source: str, synthetic: bool) -> None:  # noqa: ANN001 - layout before this change
    note = f"Source: {source}"
    if synthetic:
        note = f"{SYNTHETIC_NOTICE}. {note}"
    fig.text(0.01, 0.005, note, fontsize=8, color="#505a5f", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.04, 1, 1))


def _encoder(kind: str):  # noqa: ANN202
    def encode(chart) -> str:  # noqa: ANN001
        buffer = io.BytesIO()
        chart.figure.savefig(buffer, format=kind)
        chart.close()
        return base64.b64encode(buffer.getvalue()).decode("ascii")
    return encode


def _code_cells(notebook: Path) -> tuple[str, list[str]]:
    """The parameters cell and the other code cells of a chapter notebook."""
    import json

    cells = [c for c in json.loads(notebook.read_text("utf-8"))["cells"] if c["cell_type"] == "code"]
    tagged = ["parameters" in c.get("metadata", {}).get("tags", []) for c in cells]
    parameters = "".join(cells[tagged.index(True)]["source"])
    return parameters, ["".join(c["source"]) for c, t in zip(cells, tagged) if not t]


def _rendered(*objects: object, **_: object) -> None:
    """``display`` for the benchmark: every object rendered to the HTML or Markdown the page would hold."""
    for obj in objects:
        for method in ("_repr_html_", "_repr_markdown_"):
            if hasattr(obj, method):
                getattr(obj, method)()
                break


def _compute_pages(codes: list[str], config) -> None:  # noqa: ANN001
    """What the chapter notebooks compute, without the notebooks: their code cells run in this process.

    Every chapter in ``config.chapters``: the parameters cell, ``area_code`` set as
    papermill would, then each other code cell executed as the kernel would (same
    calls, same order), ``display`` replaced by a function that renders each object
    to its HTML or Markdown.
    """
    import IPython.display

    cells = {chapter: _code_cells(config.notebooks_dir / f"{chapter}.ipynb") for chapter in config.chapters}
    saved = IPython.display.display
    IPython.display.display = _rendered
    try:
        for code in codes:
            for chapter, (parameters, sources) in cells.items():
                namespace = {"__name__": "__main__"}
                exec(compile(parameters, f"<{chapter} parameters>", "exec"), namespace)  # noqa: S102
                namespace["area_code"] = code
                for source in sources:
                    exec(compile(source, f"<{chapter}>", "exec"), namespace)  # noqa: S102 - our own notebooks
    finally:
        IPython.display.display = saved


def _timed_compute(codes: list[str], config, png, *, old_layout: bool = False) -> float:  # noqa: ANN001
    """Seconds to compute the pages; ``old_layout``: two-pass tight layout and automatic title placement."""
    import matplotlib.pyplot as plt

    from cdp_analysis.report import charts, maps

    saved = render._png, charts.finish_figure, maps.finish_figure, plt.rcParams["axes.titley"]
    render._png = png
    if old_layout:
        charts.finish_figure = maps.finish_figure = _old_finish
        plt.rcParams["axes.titley"] = None
    try:
        started = time.perf_counter()
        _compute_pages(codes, config)
        return time.perf_counter() - started
    finally:
        render._png, charts.finish_figure, maps.finish_figure, plt.rcParams["axes.titley"] = saved


def _encodings(code: str, config) -> list[tuple[str, float, float]]:  # noqa: ANN001
    """(name, seconds a chart, kB a chart) of each encoding on one area's supply charts."""
    from cdp_analysis.chapters.supply import SupplyChapter

    ctx = load_context(code, config=config)
    rows = []
    for name, png in (("PNG, old (bbox tight, median cut, optimize)", _old_png),
                      ("PNG, new (one draw, fast octree)", render._png),
                      ("PNG, not quantised", _encoder("png")), ("SVG", _encoder("svg"))):
        spent, sizes = [0.0], []

        def timed(chart, png=png) -> str:  # noqa: ANN001
            started = time.perf_counter()
            out = png(chart)
            spent[0] += time.perf_counter() - started
            sizes.append(len(out) * 3 / 4)
            return out

        saved = render._png
        render._png = timed
        try:
            SupplyChapter(ctx).sections()
        finally:
            render._png = saved
        rows.append((name, spent[0] / len(sizes), sum(sizes) / len(sizes) / 1000))
    return rows


def _serial_loop(codes: list[str], config, work: Path) -> float:  # noqa: ANN001
    bin_dir = Path(sys.executable).parent
    out = work / "serial"
    out.mkdir(exist_ok=True)
    started = time.perf_counter()
    for code in codes:
        for chapter in config.chapters:
            executed = out / f"{code}-{chapter}.ipynb"
            subprocess.run([str(bin_dir / "papermill"), str(config.notebooks_dir / f"{chapter}.ipynb"), str(executed),
                            "-k", "python3", "-p", "area_code", code, "--no-progress-bar"],
                           check=True, capture_output=True)
            subprocess.run([str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                           check=True, capture_output=True)
    return time.perf_counter() - started


class _PeakMemory:
    """Peak RSS of this process and of each kernel process it starts, sampled every 0.2 s."""

    def __init__(self) -> None:
        self.runner = 0
        self.kernels: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.2):
            self.runner = max(self.runner, me.memory_info().rss)
            for child in me.children(recursive=True):
                try:
                    self.kernels[child.pid] = max(self.kernels.get(child.pid, 0), child.memory_info().rss)
                except psutil.Error:
                    pass

    def __enter__(self) -> _PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--months", type=int, default=72)
    parser.add_argument("--skip-serial", action="store_true", help="do not time the papermill + nbconvert CLI loop")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="cdp-bench-batch-"))
    os.environ["CDP_RAW_DIR"] = str(work / "raw")  # inherited by the kernels
    os.environ["CDP_PROCESSED_DIR"] = str(work / "processed")
    os.environ["CDP_REPORTS_DIR"] = str(work / "reports")
    config = load_config()
    generate_demo(config.demo_dir, seed=config.demo_seed, months=args.months, end_month=config.demo_end_month)
    codes = resolve_areas("all", AreaRegistry.load(config.raw_dir), demo=True)
    load_context(codes[0], config=config)  # prepare once, untimed
    pages = len(codes) * len(config.chapters)

    encodings = _encodings(codes[0], config)
    compute_old = _timed_compute(codes, config, _old_png, old_layout=True)
    compute_new = _timed_compute(codes, config, render._png)
    serial = None if args.skip_serial else _serial_loop(codes, config, work)
    timings, memory = {}, {}
    for workers in (1, 2):
        with _PeakMemory() as peak:
            started = time.perf_counter()
            results = run_batch(codes, config, workers=workers, force=True, prepare_first=False)
            timings[workers] = time.perf_counter() - started
        memory[workers] = peak
        failed = [r for r in results if not r.ok]
        if failed:
            raise SystemExit(f"{len(failed)} chapters failed: {failed[0].error}")

    mb = 1024 * 1024
    print(f"{len(codes)} areas x {len(config.chapters)} chapters = {pages} pages, {args.months} months of demo data, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print("chart encoding (supply chapter, one area):")
    for name, seconds, kb in encodings:
        print(f"  {name:45s} {seconds * 1000:6.0f} ms a chart  {kb:6.1f} kB a chart")
    print(f"pure compute, old charts:          {compute_old:7.1f} s  ({compute_old / pages:.2f} s a page)")
    print(f"pure compute, new charts:          {compute_new:7.1f} s  ({compute_new / pages:.2f} s a page)  "
          f"-> {compute_old / compute_new:.2f}x faster (target >= 2)")
    if serial is not None:
        print(f"serial papermill + nbconvert CLI:  {serial:7.1f} s  ({serial / pages:.2f} s a page)")
    for workers in (1, 2):
        peak = memory[workers]
        kernels = sorted(peak.kernels.values(), reverse=True)[:workers]
        print(f"cdp batch, {workers} worker(s):           {timings[workers]:7.1f} s  ({timings[workers] / pages:.2f} s a page); "
              f"peak RSS: runner {peak.runner / mb:.0f} MB, kernels {', '.join(f'{k / mb:.0f}' for k in kernels)} MB")
    ideal = compute_new / 2
    print(f"batch (2 workers) / (pure compute / 2): {timings[2] / ideal:5.2f}x  (target <= 1.3)")
    print(f"batch (1 worker) / pure compute:        {timings[1] / compute_new:5.2f}x")
    if serial is not None:
        print(f"serial loop / batch (2 workers):        {serial / timings[2]:5.2f}x  (target >= 5)")
    national = 150 * len(config.chapters) * timings[2] / pages
    print(f"extrapolated, not measured: 150 areas x {len(config.chapters)} chapters on 2 workers ~ "
          f"{national / 60:.1f} min at this machine's rate")


if __name__ == "__main__":
    main()

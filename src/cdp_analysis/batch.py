"""Run chapter notebooks for many areas with papermill and publish them.

One run is one chapter for one area: the notebook executes in a temporary
folder, its HTML is exported and moved into ``reports/<area>/<chapter>.html``.
A failure is recorded for that area and chapter and the batch goes on; the
index lists what was built and what failed. A chapter whose inputs have not
changed since its last build is not run again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from cdp_analysis import __version__
from cdp_analysis.areas import AreaRegistry
from cdp_analysis.config import Config
from cdp_analysis.errors import BuildError, CdpError, UnknownAreaError
from cdp_analysis.publish import CHAPTER_TITLES, IndexEntry, atomic_write_text, export_html, write_index

__all__ = ["BuildResult", "build_chapter", "run_batch", "resolve_areas", "rebuild_index"]

log = logging.getLogger(__name__)
logging.getLogger("papermill").setLevel(logging.ERROR)  # its per-cell chatter is not for readers
_STATUS_FILE = "build.json"


@dataclass
class BuildResult:
    """What happened to one chapter of one area."""

    area_code: str
    chapter: str
    ok: bool
    seconds: float
    skipped: bool = False
    error: str = ""
    html: str = ""  # path relative to the reports folder


def _fingerprint(notebook: Path, parameters: dict, data_stamp: str) -> str:
    digest = hashlib.sha1()
    digest.update(notebook.read_bytes())
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    digest.update(data_stamp.encode())
    package = Path(__file__).resolve().parent
    for source in sorted(package.rglob("*")):
        if source.is_file() and source.suffix in {".py", ".j2", ".css", ".csv", ".json"}:
            digest.update(source.read_bytes())
    return digest.hexdigest()


def _data_stamp(config: Config, data_dir: str) -> str:
    source = Path(data_dir) if data_dir else config.demo_dir
    manifest = source / "manifest.json"
    if manifest.is_file():
        return hashlib.sha1(manifest.read_bytes()).hexdigest()
    return "|".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in sorted(source.rglob("*")) if p.is_file()) if source.is_dir() else ""


def _read_status(area_dir: Path) -> dict:
    try:
        return json.loads((area_dir / _STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_status(area_dir: Path, chapter: str, entry: dict) -> None:
    status = _read_status(area_dir)
    status[chapter] = entry
    atomic_write_text(area_dir / _STATUS_FILE, json.dumps(status, indent=2, sort_keys=True))


def build_chapter(
    area_code: str,
    chapter: str,
    config: Config,
    *,
    data_dir: str = "",
    processed_dir: str = "",
    force: bool = False,
) -> BuildResult:
    """Execute one chapter for one area and publish its HTML; never raises for bad data."""
    started = time.perf_counter()
    notebook = config.notebooks_dir / f"{chapter}.ipynb"
    area_dir = config.reports_dir / area_code
    target = area_dir / f"{chapter}.html"
    parameters = {"area_code": area_code, "data_dir": data_dir, "processed_dir": processed_dir}
    try:
        if not notebook.is_file():
            raise BuildError(f"No chapter notebook {notebook.name}")
        stamp = _fingerprint(notebook, parameters, _data_stamp(config, data_dir))
        previous = _read_status(area_dir).get(chapter, {})
        if not force and target.is_file() and previous.get("fingerprint") == stamp and previous.get("ok"):
            return BuildResult(area_code, chapter, True, time.perf_counter() - started, skipped=True,
                               html=f"{area_code}/{chapter}.html")
        page = _execute_and_export(notebook, parameters, config, area_code, chapter)
        atomic_write_text(target, page)
        result = BuildResult(area_code, chapter, True, time.perf_counter() - started,
                             html=f"{area_code}/{chapter}.html")
        # the data may have been generated or prepared during the run: stamp what was used
        stamp = _fingerprint(notebook, parameters, _data_stamp(config, data_dir))
        _write_status(area_dir, chapter, {"ok": True, "fingerprint": stamp, "seconds": round(result.seconds, 1),
                                          "version": __version__})
        return result
    except Exception as exc:  # one failing area must not stop a batch
        message = _describe(exc)
        log.error("%s %s failed: %s", area_code, chapter, message)
        _write_status(area_dir, chapter, {"ok": False, "error": message})
        return BuildResult(area_code, chapter, False, time.perf_counter() - started, error=message)


def _execute_and_export(notebook: Path, parameters: dict, config: Config, area_code: str, chapter: str) -> str:
    import papermill

    registry = AreaRegistry.load(config.raw_dir)
    area = registry.get(area_code)
    with tempfile.TemporaryDirectory(prefix=f"cdp-{area_code}-{chapter}-") as tmp:
        executed = Path(tmp) / notebook.name
        papermill.execute_notebook(
            # no cwd=: papermill would chdir the whole process, which races between threads
            str(notebook), str(executed), parameters=parameters, kernel_name="python3",
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            execution_timeout=config.timeout_seconds,
            # the kernel's own log (TCP notice, shutdown interrupt) is noise for whoever reads a batch
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
        nb = nbformat.read(executed, as_version=4)
    nb.metadata["cdp"] = {"version": __version__, "built": f"Area {area.code}."}
    forbidden = [str(config.root), str(Path.home()), tempfile.gettempdir() + "/", str(config.raw_dir)]
    title = f"{CHAPTER_TITLES.get(chapter, chapter)}: {area.name}"
    return export_html(nb, title=title, forbidden=forbidden)


def _describe(exc: BaseException) -> str:
    """A one-line reason, from the notebook's own error when papermill reports one."""
    name = getattr(exc, "ename", None)
    value = getattr(exc, "evalue", None)
    if name:
        return f"{name}: {value}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}"


def resolve_areas(spec: str | Sequence[str], registry: AreaRegistry, *, demo: bool = True) -> list[str]:
    """Area codes from ``all`` or a comma-separated list, validated against the registry.

    ``all`` means every upper-tier LA and CDP of the demo region (``demo``) or,
    for real data, every real upper-tier LA and CDP in the registry.
    """
    if isinstance(spec, str):
        if spec.strip().lower() == "all":
            return [a.code for a in registry.of_type("utla", "cdp", demo=demo)]
        spec = [s for s in spec.split(",") if s.strip()]
    codes = []
    for item in spec:
        codes.append(registry.get(item).code)  # UnknownAreaError with suggestions
    return codes


def run_batch(
    area_codes: Iterable[str],
    config: Config,
    *,
    chapters: Sequence[str] | None = None,
    data_dir: str = "",
    processed_dir: str = "",
    workers: int | None = None,
    force: bool = False,
    prepare_first: bool = True,
) -> list[BuildResult]:
    """Build every chapter for every area, in parallel; write the index; return all results."""
    chapters = list(chapters or config.chapters)
    codes = list(area_codes)
    log.info("Batch of %d areas × %d chapters; settings %s", len(codes), len(chapters), config.summary())
    if prepare_first and codes:
        _prepare_once(codes[0], config, data_dir, processed_dir)
    jobs = [(code, chapter) for code in codes for chapter in chapters]
    with ThreadPoolExecutor(max_workers=max(1, workers or config.workers)) as pool:
        results = list(pool.map(
            lambda job: build_chapter(job[0], job[1], config, data_dir=data_dir,
                                      processed_dir=processed_dir, force=force),
            jobs,
        ))
    rebuild_index(config, chapters)
    _clean_scratch(config)
    return results


def _prepare_once(area_code: str, config: Config, data_dir: str, processed_dir: str) -> None:
    """Generate/prepare the data once, before parallel runs race to do it."""
    from cdp_analysis.context import load_context

    try:
        load_context(area_code, data_dir=data_dir, processed_dir=processed_dir, config=config)
    except CdpError as exc:
        log.warning("Preparing the data failed (%s); each chapter will report it.", exc)


def rebuild_index(config: Config, chapters: Sequence[str] | None = None) -> Path:
    """Rewrite ``reports/index.html`` from what ``reports/`` holds."""
    chapters = list(chapters or config.chapters)
    registry = AreaRegistry.load(config.raw_dir)
    entries = []
    if config.reports_dir.is_dir():
        for area_dir in sorted(p for p in config.reports_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            try:
                area = registry.get(area_dir.name)
            except UnknownAreaError:
                continue
            status = _read_status(area_dir)
            found = {c: ("ok" if s.get("ok") and (area_dir / f"{c}.html").is_file() else s.get("error", ""))
                     for c, s in status.items()}
            entries.append(IndexEntry(area.code, area.name, area.type, area.is_demo, found))
    return write_index(config.reports_dir, entries, chapters)


def _clean_scratch(config: Config) -> None:
    scratch = config.reports_dir / ".tmp"
    if scratch.exists():
        shutil.rmtree(scratch, ignore_errors=True)


def summary_lines(results: list[BuildResult]) -> list[str]:
    """Human-readable summary of a batch, failures named."""
    built = sum(r.ok and not r.skipped for r in results)
    skipped = sum(r.skipped for r in results)
    failed = [r for r in results if not r.ok]
    lines = [f"{built} built, {skipped} up to date, {len(failed)} failed"]
    lines += [f"  FAILED {r.area_code} {r.chapter}: {r.error}" for r in failed]
    return lines


def results_json(results: list[BuildResult]) -> str:
    """Results as JSON (for schedulers)."""
    return json.dumps([asdict(r) for r in results], indent=2)

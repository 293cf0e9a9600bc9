"""Run chapter notebooks for many areas with papermill and publish them.

One run is one chapter for one area: the notebook executes in a temporary
folder, its HTML is exported and moved into ``reports/<area>/<chapter>.html``.
A failure is recorded for that area and chapter and the batch goes on; the
index lists what was built and what failed. A chapter whose inputs have not
changed since its last build is not run again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from cdp_analysis import __version__
from cdp_analysis.areas import AreaRegistry, check_code
from cdp_analysis.config import Config, check_output_folders
from cdp_analysis.errors import BuildError, CdpError, UnknownAreaError
from cdp_analysis.publishing.document import DOCUMENT_NAME
from cdp_analysis.publishing.export import (
    CHAPTER_TITLES,
    IndexEntry,
    atomic_write_text,
    export_html,
    is_not_built_page,
    write_index,
    write_not_built_page,
)

__all__ = ["BuildResult", "build_chapter", "render_page", "run_batch", "rebuild_index",
           "publish_area", "publish_areas"]

log = logging.getLogger(__name__)
logging.getLogger("papermill").setLevel(logging.ERROR)  # its per-cell chatter is not for readers
_STATUS_DIR = ".build"  # under the processed folder, never under reports/
_LEGACY_STATUS_FILE = "build.json"
_FALLBACK_LOCK = threading.Lock()


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
    package = Path(__file__).resolve().parents[1]  # the cdp_analysis package root
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


def _status_dir(config: Config) -> Path:
    """Where build status lives: outside ``reports/`` (readers never see it), one folder
    per reports folder under ``processed/.build/``."""
    reports = str(config.reports_dir)
    key = hashlib.sha1(reports.encode()).hexdigest()[:10]
    return config.processed_dir / _STATUS_DIR / f"{config.reports_dir.name}-{key}"


def _status_file(config: Config, area_code: str) -> Path:
    return _status_dir(config) / f"{area_code}.json"


def _read_status(config: Config, area_code: str) -> dict:
    """The area's chapter statuses (chapter id → entry); empty if none or unreadable."""
    try:
        data = json.loads(_status_file(config, area_code).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextlib.contextmanager
def _status_lock(path: Path) -> Iterator[None]:
    """Exclusive lock on ``path``'s lock file, between threads and processes alike."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: one process at a time
        with _FALLBACK_LOCK:
            yield
        return
    with open(path.with_name(path.name + ".lock"), "a") as handle:  # each open: its own flock
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_status(config: Config, area_code: str, chapter: str, entry: dict) -> None:
    """Record one chapter's status: read, update and replace the file under a lock, so
    concurrent builds of other chapters (threads or processes) never lose an update."""
    path = _status_file(config, area_code)
    with _status_lock(path):
        status = _read_status(config, area_code)
        status[chapter] = entry
        atomic_write_text(path, json.dumps(status, indent=2, sort_keys=True))
    legacy = config.reports_dir / area_code / _LEGACY_STATUS_FILE
    legacy.unlink(missing_ok=True)  # older versions kept it in the published folder


def _withdraw_page(config: Config, area_code: str, chapter: str, target: Path, reason: str) -> None:
    """A failed chapter's old page must not stay published: replace it by a "not built" page."""
    if not target.is_file():
        return
    try:
        area_name = AreaRegistry.load(config.raw_dir).get(area_code).name
    except CdpError:
        area_name = area_code
    title = CHAPTER_TITLES.get(chapter, chapter)
    for why in (reason, ""):  # if the reason would still show a path, say only "not built"
        with contextlib.suppress(BuildError):
            write_not_built_page(target, chapter_title=title, area_name=area_name, reason=why,
                                 forbidden=_forbidden(config))
            return
    target.unlink(missing_ok=True)


#: Called with each progress line (``cdp build`` prints them to a terminal); every line also goes to the log.
Report = Callable[[str], None]


def _say(report: Report | None, text: str) -> None:
    """A progress line: to the run log always, to ``report`` when given."""
    log.info("%s", text)
    if report is not None:
        report(text)


def _forbidden(config: Config) -> list[str]:
    """Local paths no published page may show."""
    return [str(config.root), str(Path.home()), tempfile.gettempdir() + "/", str(config.raw_dir)]


def build_chapter(
    area_code: str,
    chapter: str,
    config: Config,
    *,
    data_dir: str = "",
    processed_dir: str = "",
    force: bool = False,
    render: Callable[..., str] | None = None,
    cancelled: threading.Event | None = None,
) -> BuildResult:
    """Execute one chapter for one area and publish its HTML; never raises for bad data.

    ``render`` turns ``(notebook, parameters, config, area_code, chapter)`` into the
    page's HTML; the default runs it here in a warm kernel
    (:func:`render_page`). The page and the status are always written here, so a
    remote ``render`` (another process, a cluster) gathers its pages into this
    reports folder. A run stopped by ``cancelled`` (Ctrl-C) or an interrupted kernel
    leaves the page and its status as they were: the previous good page stays
    published, and the index says what is true.
    """
    started = time.perf_counter()
    check_code(area_code)  # the code names a folder: never a path
    notebook = config.notebooks_dir / f"{chapter}.ipynb"
    area_dir = config.reports_dir / area_code
    target = area_dir / f"{chapter}.html"
    parameters = {"area_code": area_code, "data_dir": data_dir, "processed_dir": processed_dir}
    parameters.update({k: v for k, v in (("as_of", config.as_of), ("since", config.since)) if v})  # an edition
    try:
        if not notebook.is_file():
            raise BuildError(f"No chapter notebook {notebook.name}")
        stamp = _fingerprint(notebook, parameters, _data_stamp(config, data_dir))
        previous = _read_status(config, area_code).get(chapter, {})
        if not force and target.is_file() and previous.get("fingerprint") == stamp and previous.get("ok"):
            return BuildResult(area_code, chapter, True, time.perf_counter() - started, skipped=True,
                               html=f"{area_code}/{chapter}.html")
        page = (render or _execute_and_export)(notebook, parameters, config, area_code, chapter)
        if cancelled is not None and cancelled.is_set():  # Ctrl-C meanwhile: this run publishes nothing more
            raise BuildError("interrupted")
        atomic_write_text(target, page)
        result = BuildResult(area_code, chapter, True, time.perf_counter() - started,
                             html=f"{area_code}/{chapter}.html")
        # the data may have been generated or prepared during the run: stamp what was used
        stamp = _fingerprint(notebook, parameters, _data_stamp(config, data_dir))
        _write_status(config, area_code, chapter, {"ok": True, "fingerprint": stamp, "seconds": round(result.seconds, 1),
                                          "version": __version__})
        return result
    except Exception as exc:  # one failing area must not stop a batch
        message = _describe(exc)
        if (cancelled is not None and cancelled.is_set()) or getattr(exc, "ename", "") == "KeyboardInterrupt":
            log.warning("%s %s interrupted; its previous page (if any) is kept", area_code, chapter)
            return BuildResult(area_code, chapter, False, time.perf_counter() - started,
                               error="interrupted before it finished; the previous page was kept")
        log.error("%s %s failed: %s", area_code, chapter, message)
        try:
            _write_status(config, area_code, chapter, {"ok": False, "error": message})
            _withdraw_page(config, area_code, chapter, target, message)
        except OSError as also:  # the folders became unwritable: say so, never a traceback
            message += f" (and its failure could not be recorded: {also.strerror or also})"
            log.error("%s %s: %s", area_code, chapter, message)
        return BuildResult(area_code, chapter, False, time.perf_counter() - started, error=message)


def render_page(notebook: Path, parameters: dict, config: Config, area_code: str, chapter: str,
                on_cell: Callable[[int, int], None] | None = None) -> str:
    """The HTML page of one chapter for one area: ``notebook`` run with ``parameters``
    (papermill-style injection) in a warm kernel of this process, then exported.

    ``on_cell(done, total)`` is called after each cell (progress). Raises what the
    notebook raised (``ename``/``evalue`` kept) or :class:`BuildError`.
    """
    from cdp_analysis.publishing.kernels import config_env, parameterize, process_pool

    area = AreaRegistry.load(config.raw_dir).get(area_code)
    nb = parameterize(notebook, parameters)
    nb = process_pool().run(nb, timeout=config.timeout_seconds, on_cell=on_cell, env=config_env(config))
    _keep_summary(config, area_code, chapter, nb)  # for the executive summary (shared storage on a cluster)
    nb.metadata["cdp"] = {"version": __version__, "built": f"Area {area.code}."}
    title = f"{CHAPTER_TITLES.get(chapter, chapter)}: {area.name}"
    return export_html(nb, title=title, forbidden=_forbidden(config))


def _execute_and_export(notebook: Path, parameters: dict, config: Config, area_code: str, chapter: str) -> str:
    """The default ``render`` of :func:`build_chapter` (one name for tests to replace)."""
    return render_page(notebook, parameters, config, area_code, chapter)


def _describe(exc: BaseException) -> str:
    """A one-line reason, from the notebook's own error when papermill reports one."""
    name = getattr(exc, "ename", None)
    value = getattr(exc, "evalue", None)
    if name:
        return f"{name}: {value}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}"


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
    stop_on_data_error: bool = False,
    executor: Executor | None = None,
    progress: bool = False,
    settings: dict | None = None,
    report: Report | None = None,
) -> list[BuildResult]:
    """Build every chapter for every area, in parallel; write the index; return all results.

    Pages are computed in warm kernels of this process (``workers`` at once) or, with
    ``executor`` (any ``concurrent.futures`` executor: a process pool, a Dask
    cluster's), there; either way they are written here. ``progress`` shows a bar
    across pages (and per-cell bars when one area is built alone). Every run writes
    a log file with its configuration (:func:`cdp_analysis.publishing.executors.run_log`).
    ``report`` receives a line as each step starts and ends (preparing the data, each
    page started and finished with its time, publishing each area); the log gets them too.
    ``stop_on_data_error``: when the data cannot be prepared (a damaged file), raise that error
    rather than let every chapter start and fail on it (for one area: its chapters share the data).
    """
    from cdp_analysis.publishing import executors
    from cdp_analysis.publishing.kernels import process_pool

    chapters = list(dict.fromkeys(chapters or config.chapters))  # a chapter asked twice is built once
    codes = [check_code(code) for code in dict.fromkeys(area_codes)]
    check_output_folders(config)
    jobs = [(code, chapter) for code in codes for chapter in chapters]
    threads = max(1, workers or config.workers)
    if executor is not None:
        threads = executors.executor_slots(executor, threads)
    described = {"areas": codes, "chapters": chapters, "workers": threads, "force": force,
                 "executor": type(executor).__name__ if executor else "local warm kernels", **(settings or {})}
    with executors.run_log(config, described):
        log.info("Batch of %d areas × %d chapters; settings %s", len(codes), len(chapters), config.summary())
        executors.clean_leftovers(config)
        if prepare_first and codes:
            began = time.perf_counter()
            _say(report, f"{codes[0]} data: preparing (read once for every page)")
            _prepare_once(codes[0], config, data_dir, processed_dir, stop=stop_on_data_error)
            _say(report, f"{codes[0]} data: ready in {time.perf_counter() - began:.1f} s")
        results: dict[tuple[str, str], BuildResult] = {}
        cancelled = threading.Event()
        pool = ThreadPoolExecutor(max_workers=threads)
        futures: dict = {}
        try:
            with executors.progress_bar(len(jobs), enabled=progress) as bar:
                def job(code: str, chapter: str, i: int) -> BuildResult:
                    if not cancelled.is_set():
                        _say(report, f"{code} {chapter}: started")
                    return build_chapter(code, chapter, config, data_dir=data_dir, processed_dir=processed_dir,
                                         force=force, render=_renderer(executor, progress and len(codes) == 1, i),
                                         cancelled=cancelled)

                futures = {pool.submit(job, code, chapter, i): (code, chapter) for i, (code, chapter) in enumerate(jobs)}
                for future in as_completed(futures):
                    result = future.result()
                    results[futures[future]] = result
                    state = "up to date" if result.skipped else "built" if result.ok else "FAILED"
                    _say(report, f"{result.area_code} {result.chapter}: {state} in {result.seconds:.1f} s "
                                 f"({len(results)} of {len(jobs)} pages)")
                    bar.update(1)
        except KeyboardInterrupt:
            _stop_runs(pool, cancelled, executor, list(futures))
            log.warning("Interrupted: pages not finished keep their previous version; %d finished", len(results))
        finally:
            pool.shutdown(wait=not cancelled.is_set(), cancel_futures=True)
            if executor is None:
                process_pool().close()  # a killed run's kernels exit with it (their parent is gone)
        log.info("Done: %s", "; ".join(summary_lines(list(results.values()))))
        for line in coverage_lines(config, codes, chapters, limit=None):
            log.info("%s", line)
    if cancelled.is_set():  # after Ctrl-C only the areas with a new page are joined up again
        codes = list(dict.fromkeys(r.area_code for r in results.values() if r.ok and not r.skipped))
    try:
        publish_areas(config, codes, report=report)  # pages finished before an interrupt are joined in too
        rebuild_index(config, chapters)  # from what is on disk: true after an interrupt as well
    except OSError as exc:
        raise CdpError(f"The pages were built but the index could not be written in {config.reports_dir}: "
                       f"{exc.strerror or exc} ({exc.filename or ''}); fix the folder and run `cdp print` "
                       "for the areas") from exc
    _clean_scratch(config)
    if cancelled.is_set():
        raise KeyboardInterrupt
    return [results[job] for job in jobs]


_INTERRUPT_WAIT_SECONDS = 3  # for the kernels to stop their cells, before they are shut down


def _stop_runs(pool: ThreadPoolExecutor, cancelled: threading.Event, executor: Executor | None,
               futures: list) -> None:
    """After Ctrl-C: start no more pages, interrupt those running (their pages and status
    stay as they were before this run), shut down kernels that do not stop at once
    (one still starting, a cell in C code), and wait a few seconds for the runs to end."""
    from concurrent.futures import wait

    from cdp_analysis.publishing.kernels import process_pool

    cancelled.set()
    pool.shutdown(wait=False, cancel_futures=True)
    if executor is None:
        process_pool().interrupt()
        if wait(futures, timeout=_INTERRUPT_WAIT_SECONDS).not_done:
            process_pool().close()
    wait(futures, timeout=_INTERRUPT_WAIT_SECONDS)


def _renderer(executor: Executor | None, cells: bool, position: int) -> Callable[..., str] | None:
    """How a page is computed: on ``executor``, or here (with a per-cell bar if ``cells``)."""
    from cdp_analysis.publishing import executors

    if executor is not None:
        return executors.remote_render(executor, render_page)
    if not cells:
        return None

    def render(notebook: Path, parameters: dict, config: Config, area_code: str, chapter: str) -> str:
        with executors.progress_bar(0, enabled=True, desc=chapter, position=position + 1) as bar:
            def on_cell(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            return render_page(notebook, parameters, config, area_code, chapter, on_cell=on_cell)

    return render


def _prepare_once(area_code: str, config: Config, data_dir: str, processed_dir: str, *, stop: bool = False) -> None:
    """Generate/prepare the data once, before parallel runs race to do it; a data error is
    raised with ``stop``, else left for each chapter to report."""
    from cdp_analysis.chapters.context import load_context

    try:
        load_context(area_code, data_dir=data_dir, processed_dir=processed_dir, config=config)
    except CdpError as exc:
        if stop:
            raise
        log.warning("Preparing the data failed (%s); each chapter will report it.", exc)


def rebuild_index(config: Config, chapters: Sequence[str] | None = None) -> Path:
    """Rewrite ``reports/index.html`` (and the methods and accessibility pages) from what
    ``reports/`` holds: every page on disk keeps its link, whatever ``chapters`` were built."""
    chapters = list(dict.fromkeys([*config.chapters, *(chapters or [])]))
    registry = AreaRegistry.load(config.raw_dir)
    entries = []
    codes = {p.stem for p in _status_dir(config).glob("*.json")}
    if config.reports_dir.is_dir():
        codes |= {p.name for p in config.reports_dir.iterdir() if p.is_dir() and not p.name.startswith(".")}
    for code in sorted(codes):
        try:
            area = registry.get(code)
        except UnknownAreaError:
            continue
        (config.reports_dir / code / _LEGACY_STATUS_FILE).unlink(missing_ok=True)
        found = _chapter_states(config, code, chapters)
        if found:
            coverage = {c: e for c, e in chapter_coverage(config, code, chapters).items() if e["sections"]}
            entries.append(IndexEntry(area.code, area.name, area.type, area.is_demo, found, coverage))
    _write_site_pages(config)
    printable = [e.area_code for e in entries if (config.reports_dir / e.area_code / DOCUMENT_NAME).is_file()]
    from cdp_analysis.publishing.boardpack import board_links  # the board summary, PDF and data pack

    board = {e.area_code: board_links(config.reports_dir / e.area_code, e.area_code) for e in entries}
    return write_index(config.reports_dir, entries, chapters, printable, board)


def _chapter_states(config: Config, area_code: str, chapters: Sequence[str]) -> dict[str, str]:
    """Chapter id → "ok" or the failure, from the status; a published page with no
    status (the processed folder was deleted) counts as built unless it says otherwise."""
    status = _read_status(config, area_code)
    found = {}
    for chapter in dict.fromkeys([*chapters, *status, *_pages_on_disk(config, area_code)]):
        page = config.reports_dir / area_code / f"{chapter}.html"
        entry = status.get(chapter)
        if entry is None:
            if page.is_file() and not is_not_built_page(page.read_text(encoding="utf-8")):
                found[chapter] = "ok"
        elif entry.get("ok") and page.is_file():
            found[chapter] = "ok"
        elif not entry.get("ok"):
            found[chapter] = entry.get("error", "") or "failed"
    return found


def _pages_on_disk(config: Config, area_code: str) -> list[str]:
    """Chapter ids of the pages in the area's folder (``NN_name.html``)."""
    folder = config.reports_dir / area_code
    return sorted(p.stem for p in folder.glob("[0-9][0-9]_*.html")) if folder.is_dir() else []


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


def chapter_coverage(config: Config, area_code: str, chapters: Sequence[str]) -> dict[str, dict]:
    """Chapter id → ``{"state": "ok" | why not built, "shown", "partial", "missing", "sections"}`` of an area,
    from the build status and the summary records the chapters wrote (section counts only for built ones)."""
    from cdp_analysis.publishing import summary
    from cdp_analysis.publishing.document import coverage_counts

    states = _chapter_states(config, area_code, chapters)
    records = summary.load(_status_dir(config), area_code, [c for c, s in states.items() if s == "ok"])
    found = {}
    for chapter in dict.fromkeys([*chapters, *states]):
        state = states.get(chapter)
        if state is None:
            continue
        rows = records.get(chapter, {}).get("sections", []) if state == "ok" else []
        found[chapter] = {"state": state, **coverage_counts(rows), "sections": rows}
    return found


def coverage_lines(config: Config, area_codes: Sequence[str], chapters: Sequence[str], *,
                   limit: int | None = 12) -> list[str]:
    """The coverage summary: per area and chapter, sections shown / partial / without data, or "not built".

    With more than ``limit`` areas, the areas whose every chapter built with every section shown are
    counted, not listed (None lists every area: the run log).
    """
    lines = ["Coverage (sections shown in full / partial / without data):"]
    complete = 0
    listed = []
    for code in dict.fromkeys(area_codes):
        found = chapter_coverage(config, code, chapters)
        cells = []
        for chapter, entry in found.items():
            if entry["state"] != "ok":
                cells.append(f"{chapter} not built")
            elif entry["sections"]:
                cells.append(f"{chapter} {entry['shown']}/{entry['partial']}/{entry['missing']}")
            else:
                cells.append(f"{chapter} built")
        whole = all(e["state"] == "ok" and not e["partial"] and not e["missing"] for e in found.values())
        complete += whole
        listed.append((whole, f"  {code}: " + ", ".join(cells)))
    cut = limit if limit is not None and len(listed) > limit else None  # too many areas: at most limit lines
    lines += [text for whole, text in listed if not (cut is not None and whole)][:cut]
    if cut is not None:
        left = sum(not whole for whole, _ in listed) - cut
        if left > 0:
            lines.append(f"  … and {left} more areas with gaps (the run log lists them)")
        lines.append(f"  {complete} of {len(listed)} areas have every section of every chapter shown in full")
    return lines


def results_json(results: list[BuildResult]) -> str:
    """Results as JSON (for schedulers)."""
    return json.dumps([asdict(r) for r in results], indent=2)


# -- the publication: summary records, navigation, executive summary, printable document --

def _keep_summary(config: Config, area_code: str, chapter: str, notebook: nbformat.NotebookNode) -> None:
    """Save the summary record the chapter displayed (or drop a stale one): see :mod:`cdp_analysis.publishing.summary`."""
    from cdp_analysis.publishing import datapack, summary

    for module in (summary, datapack):
        record = module.from_notebook(notebook)
        target = module.record_path(_status_dir(config), area_code, chapter)
        if record is None:
            target.unlink(missing_ok=True)
        else:
            atomic_write_text(target, json.dumps(record, indent=1, sort_keys=True))


def _built_chapters(config: Config, area_code: str) -> list:
    """The area's built chapter pages, configured order first (not-built pages left out)."""
    from cdp_analysis.publishing.export import ChapterLink

    folder = config.reports_dir / area_code
    ids = dict.fromkeys([*config.chapters, *_pages_on_disk(config, area_code)])
    links = []
    for chapter in ids:
        page = folder / f"{chapter}.html"
        if page.is_file() and not is_not_built_page(page.read_text(encoding="utf-8")):
            links.append(ChapterLink(chapter, CHAPTER_TITLES.get(chapter, chapter)))
    return links


def _first_page(config: Config, area_code: str) -> str:
    """``../<code>/<first built chapter>.html`` or "" when the area has no page."""
    links = _built_chapters(config, area_code)
    return f"../{area_code}/{links[0].href}" if links else ""


def _related(config: Config, registry: AreaRegistry, area_code: str) -> tuple[list, list]:
    """(members, partnerships) of an area as (name, href or "") pairs for its navigation."""
    area = registry.get(area_code)
    members = []
    if area.type == "cdp":
        members = [(m.name, _first_page(config, m.code)) for m in registry.listed_members(area.code)
                   if m.code != area.code]
    partnerships = [(p.name, _first_page(config, p.code)) for p in registry.of_type("cdp")
                    if p.code != area.code and area.code in {m.code for m in registry.listed_members(p.code)
                                                             + registry.members(p.code)}]
    return members, [p for p in partnerships if p[1]]


def _policy_rule(config: Config) -> str:
    from cdp_analysis.stats.sdc import get_policy

    policy = get_policy(config.disclosure_policy)
    rule = f"counts from {policy.smallest_suppressed} to {policy.largest_suppressed} are suppressed"
    return rule + (f", other counts rounded to the nearest {policy.round_to}" if policy.round_to else "")


def publish_area(config: Config, area_code: str, *, pdf: bool | None = None) -> Path | None:
    """Join an area's built pages into one publication; return its printable document.

    Every built chapter page gets the chapter navigation (current one marked), links to
    the partnership's members (or the partnership a member belongs to), previous / next
    links, its contents list and its "About this page" block; the first chapter (the
    overview) gets the executive summary. Then ``needs_assessment.html`` is written, opening with the
    board summary, then the board summary page, the Excel data pack and (``pdf``, default ``[publish] pdf``) the PDF
    (:mod:`cdp_analysis.publishing.boardpack`).
    Pages are only ever rewritten whole (atomically); running it again changes nothing.
    """
    from cdp_analysis.publishing import commentary, summary
    from cdp_analysis.publishing.document import write_document
    from cdp_analysis.publishing.export import (
        about_html,
        assemble_page,
        chapter_nav_html,
        check_publishable,
        executive_summary_html,
        pager_html,
        section_anchor,
    )

    registry = AreaRegistry.load(config.raw_dir)
    area = registry.get(area_code)
    links = _built_chapters(config, area.code)
    if not links:
        (config.reports_dir / area.code / DOCUMENT_NAME).unlink(missing_ok=True)
        return None
    folder = config.reports_dir / area.code
    pages = {link.chapter: (folder / link.href).read_text(encoding="utf-8") for link in links}
    records = summary.load(_status_dir(config), area.code, list(pages))
    states = _chapter_states(config, area.code, config.chapters)
    not_built = {c: ("" if state == "not built" else state) for c, state in states.items() if state != "ok"}
    not_built.update({c: "" for c in config.chapters if c not in states})
    unread = [c for c in dict.fromkeys([*config.chapters, *pages]) if c not in records]
    members, partnerships = _related(config, registry, area.code)
    about = about_html(list(records.values()), policy=config.disclosure_policy,
                       policy_rule=_policy_rule(config), version=__version__, synthetic=area.is_demo)
    changed = summary.changes(records)  # the summary leads with what changed since the last assessment
    top = [m for m in summary.top_messages(records) if m["text"] not in {c["text"] for c in changed}]

    def anchors(messages: list[dict]) -> dict[int, str]:
        return {n: f"{m['chapter']}.html#{section_anchor(pages.get(m['chapter'], ''), m['text']) or 'key-messages'}"
                for n, m in enumerate(messages)}

    hrefs, changed_hrefs = anchors(top), anchors(changed)
    for n, link in enumerate(links):
        first = n == 0
        page = assemble_page(
            pages[link.chapter],
            nav=chapter_nav_html(links, link.chapter, members=members, partnerships=partnerships),
            summary=executive_summary_html(top, hrefs, synthetic=area.is_demo,
                                           unread=[CHAPTER_TITLES.get(c, c) for c in unread], changed=changed,
                                           changed_links=changed_hrefs) if first else "",
            pager=pager_html(links, link.chapter), about=about,
        )
        page = commentary.place(page, commentary.find(config.raw_dir, area.code, link.chapter))
        check_publishable(page, _forbidden(config))
        if page != pages[link.chapter]:
            atomic_write_text(folder / link.href, page)
    from cdp_analysis.publishing.boardpack import board_summary, document_board, write_board_pack

    board = board_summary(area, registry, _status_dir(config), list(pages), pages=pages)
    document = write_document(folder, area.name, links, synthetic=area.is_demo, about=about,
                              forbidden=_forbidden(config), not_built=not_built, order=config.chapters,
                              sections={c: r.get("sections", []) for c, r in records.items()},
                              board=document_board(*board))
    write_board_pack(folder, area, registry, _status_dir(config), list(pages), pages=pages, board=board,
                     make_pdf=config.publish_pdf if pdf is None else pdf, policy_rule=_policy_rule(config),
                     forbidden=_forbidden(config))
    return document


def publish_areas(config: Config, area_codes: Iterable[str], *, pdf: bool | None = None,
                  report: Report | None = None) -> list[Path]:
    """:func:`publish_area` for each area and the partnerships that include one of them
    (their member links may now resolve); a failure is logged, never raised. ``report``
    gets a line as each area's publishing starts and ends (the PDF takes tens of seconds)."""
    registry = AreaRegistry.load(config.raw_dir)
    codes = list(dict.fromkeys(area_codes))
    for cdp in registry.of_type("cdp"):
        if any(m.code in codes for m in registry.listed_members(cdp.code) + registry.members(cdp.code)) and (
                config.reports_dir / cdp.code).is_dir():
            codes.append(cdp.code)
    written = []
    with_pdf = config.publish_pdf if pdf is None else pdf
    for code in dict.fromkeys(codes):
        began = time.perf_counter()
        _say(report, f"{code} publishing: pages, document, board summary, data pack{', PDF' if with_pdf else ''}")
        try:
            document = publish_area(config, code, pdf=pdf)
        except (CdpError, OSError) as exc:
            log.error("Publishing %s failed: %s", code, exc)
            if report is not None:
                report(f"{code} publishing FAILED: {exc}")
            continue
        _say(report, f"{code} publishing: {'done' if document else 'nothing built to publish'} "
                     f"in {time.perf_counter() - began:.1f} s")
        if document:
            written.append(document)
    return written


def _write_site_pages(config: Config) -> None:
    """The methods and glossary page and the accessibility statement, linked from every page."""
    from cdp_analysis.publishing.export import write_accessibility_page, write_methods_page

    write_methods_page(config.reports_dir, policy=config.disclosure_policy, policy_rule=_policy_rule(config))
    write_accessibility_page(config.reports_dir, contact=_accessibility_contact(config),
                             built=time.strftime("%Y-%m-%d"))


def _accessibility_contact(config: Config) -> str:
    """``[publish] accessibility_contact`` from the config file (checked by :mod:`cdp_analysis.config`)."""
    return config.accessibility_contact

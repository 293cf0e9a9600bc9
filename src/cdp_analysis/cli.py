"""The ``cdp`` command: generate the demo, prepare data, build and publish reports.

Exit status: 0 when everything asked for was done, 1 when some area or chapter
failed (the others are still built), 2 for a usage or input error, 130 after Ctrl-C
and 143 after SIGTERM (both stop the run as Ctrl-C does, nothing half-written left).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

from cdp_analysis import __version__
from cdp_analysis.config import Config, check_folder, check_output_folders, load_config, valid_chapters
from cdp_analysis.errors import CdpError, ConfigError

if TYPE_CHECKING:
    from cdp_analysis.areas import Area, AreaRegistry

__all__ = ["main"]


def _config(args: argparse.Namespace) -> Config:
    config = load_config(
        getattr(args, "config", None),
        raw_dir=getattr(args, "raw_dir", None),
        processed_dir=getattr(args, "processed_dir", None),
        reports_dir=getattr(args, "reports_dir", None),
    )
    return _edition(config, getattr(args, "as_of", None), getattr(args, "since", None))


def _edition(config: Config, as_of: str | None, since: str | None) -> Config:
    """The configuration of the edition asked for (``--as-of``, else ``[build] as_of``): its pages go to
    ``reports/editions/<YYYY-MM>/``, a site of their own, so the current build is untouched."""
    import dataclasses

    config = dataclasses.replace(config, as_of=as_of or config.as_of, since=since or config.since)
    if config.as_of and config.since:
        from cdp_analysis.store import editions  # pandas: only when an edition is asked for

        if editions.parse_month(config.since) >= editions.parse_month(config.as_of):
            raise ConfigError(f"--since {config.since} must be before the edition built ({config.as_of})")
    if config.as_of:
        config = dataclasses.replace(config, reports_dir=config.reports_dir / "editions" / config.as_of)
    return config


def _month(text: str) -> str:
    """``--as-of`` and ``--since``: a month written YYYY-MM (argparse exits 2 otherwise)."""
    from cdp_analysis.store import editions

    try:
        return str(editions.parse_month(text, "the month"))
    except CdpError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("the month ")) from exc


def _edition_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", type=_month, metavar="YYYY-MM",
                   help="build the edition of that month: only the data published by its end "
                        "(pages in reports/editions/YYYY-MM; default: [build] as_of, else all the data held)")
    p.add_argument("--since", type=_month, metavar="YYYY-MM",
                   help="'Since the last assessment' compares with the edition of this month "
                        "(default: [assessment] previous_years before the edition built)")


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate the synthetic demo data and build its reports."""
    from cdp_analysis.areas import AreaRegistry, resolve_areas
    from cdp_analysis.publishing.batch import coverage_lines, run_batch, summary_lines
    from cdp_demo.region import generate_demo

    config = _config(args)
    started = time.perf_counter()
    summary = generate_demo(config.demo_dir, seed=config.demo_seed, months=config.demo_months,
                            end_month=config.demo_end_month, force=args.force,
                            areas=args.areas or config.demo_areas)
    what = "generated" if summary.generated else "up to date"
    print(f"Demo data {what}: {_display(config.demo_dir, config)} — {summary.boroughs} boroughs, "
          f"{summary.wards} wards, {summary.lsoas} LSOAs, {summary.crime_rows:,} street crimes "
          f"({summary.months} months). Synthetic demonstration data.")
    if args.data_only:
        return 0
    codes = resolve_areas("all", AreaRegistry.load(config.raw_dir), demo=True)
    results = run_batch(codes, config, workers=args.workers, force=args.force)
    for line in summary_lines(results) + coverage_lines(config, codes, config.chapters):
        print(line)
    print(f"Finished in {time.perf_counter() - started:.0f} s.")
    print(f"Open {config.reports_dir / 'index.html'}")
    return 0 if all(r.ok for r in results) else 1


def _reporter(args: argparse.Namespace, *, quiet: bool | None = None) -> Callable[[str], None] | None:
    """Where progress lines go: stderr with the seconds since the command started, only on a
    terminal and without ``--quiet`` (None otherwise). Written through tqdm, so bars stay whole."""
    if (getattr(args, "quiet", False) if quiet is None else quiet) or not sys.stderr.isatty():
        return None
    from tqdm.auto import tqdm

    started = time.perf_counter()

    def report(text: str) -> None:
        tqdm.write(f"[{time.perf_counter() - started:6.1f} s] {text}", file=sys.stderr)

    return report


def _ensure_demo(config: Config, areas: Sequence[Area], data_dir: str | None, *,
                 report: Callable[[str], None] | None = None) -> None:
    """Generate the demo data (or find it up to date) before demo areas are built from it.

    The command does it, not the package: ``cdp_demo`` is outside the core, which never imports it.
    Up to date is checked from the demo's manifest alone; the generator (numpy, pandas, scipy:
    seconds to import) is loaded only to generate.
    """
    if data_dir or not any(area.is_demo for area in areas):
        return
    from cdp_demo.manifest import demo_is_current

    if demo_is_current(config.demo_dir, seed=config.demo_seed, months=config.demo_months,
                       end_month=config.demo_end_month, areas=config.demo_areas):
        return
    if report:
        report("demo data: generating the synthetic region")
    from cdp_demo.region import generate_demo

    generate_demo(config.demo_dir, seed=config.demo_seed, months=config.demo_months,
                  end_month=config.demo_end_month, areas=config.demo_areas)


def _check_sources(config: Config, areas: Sequence[Area], data_dir: str | None) -> None:
    """The data folder the areas are read from is one the data can be prepared from: ``--data-dir``,
    else each area's own (the demo's once generated). Checked from the folder's listing, before
    anything is prepared or a kernel started, so a wrong folder is a usage error at once rather
    than every chapter failing on it."""
    from cdp_analysis.store.source import check_source, default_source

    if data_dir:
        check_source(Path(data_dir), config.processed_dir)
        return
    for source in dict.fromkeys(default_source(area, config) for area in areas):
        check_source(source, config.processed_dir, what="The data folder")


def _demo_areas(text: str) -> int:
    """``--areas``: a whole number from 4 to 999 (argparse exits 2 otherwise)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 4 <= value <= 999:
        raise argparse.ArgumentTypeError(f"must be a whole number from 4 to 999, not {text!r}")
    return value


def _workers(text: str) -> int:
    """``--workers``: a whole number from 1 to four per core (argparse exits 2 otherwise)."""
    from cdp_analysis.config import max_workers, usable_cores

    most = max_workers()
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= most:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 1 to {most} (four per core on this machine's {usable_cores()}), not {text!r}")
    return value


def _seconds(text: str) -> int:
    """``--timeout``: a whole number of seconds above 0."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a whole number of seconds above 0, e.g. 600, not {text!r}")
    return value


def _scheduler(text: str) -> str:
    """``--scheduler``: a Dask scheduler address, checked before anything connects."""
    from cdp_analysis.publishing.executors import check_scheduler_address

    try:
        check_scheduler_address(text)
    except CdpError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix(f"--scheduler {text!r} ")) from exc
    return text.strip()


def _indicator_ids(text: str) -> list[int]:
    """``--indicators``: comma-separated Fingertips indicator ids (whole numbers)."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    bad = [item for item in items if not item.isdigit()]
    if bad or not items:
        raise argparse.ArgumentTypeError(
            f"indicator ids are whole numbers separated by commas (e.g. 92432,91123); "
            f"not a number: {', '.join(map(repr, bad)) or '(none given)'}")
    return list(dict.fromkeys(int(item) for item in items))


def cmd_build(args: argparse.Namespace) -> int:
    """Build the chapters of one area."""
    from cdp_analysis.areas import AreaRegistry

    # every usage error first, from light modules: nothing is prepared, no kernel started
    config = _config(args)
    area = AreaRegistry.load(config.raw_dir).get(args.area)
    code = area.code
    chapters = _chapters(args.chapters, config)
    check_output_folders(config)
    report = _reporter(args)
    _ensure_demo(config, [area], args.data_dir, report=report)
    _check_sources(config, [area], args.data_dir)
    from cdp_analysis.publishing.batch import coverage_lines, run_batch, summary_lines

    results = run_batch([code], config, chapters=chapters, data_dir=_abs(args.data_dir), workers=args.workers,
                        force=args.force, progress=report is not None, report=report, stop_on_data_error=True)
    for line in summary_lines(results) + coverage_lines(config, [code], chapters or config.chapters):
        print(line)
    for r in results:
        if r.ok:
            print(f"  {config.reports_dir / r.html}")
    return 0 if all(r.ok for r in results) else 1


def cmd_batch(args: argparse.Namespace) -> int:
    """Build chapters for many areas; one failure does not stop the others."""
    import dataclasses

    config = _config(args)
    if args.timeout is not None:
        config = dataclasses.replace(config, timeout_seconds=args.timeout)
    settings = {"scheduler": args.scheduler or ""}
    if args.json:  # checked now, not after the whole batch
        check_folder(Path(args.json).expanduser().resolve().parent, "the folder of --json")
    # every usage error first, from light modules: nothing is prepared, no kernel started
    from cdp_analysis.areas import AreaRegistry

    registry = AreaRegistry.load(config.raw_dir)
    codes = _batch_areas(args.areas, registry, demo=not args.data_dir)
    chapters = _chapters(args.chapters, config)
    check_output_folders(config)
    report = _reporter(args, quiet=args.no_progress)
    # then the scheduler: a wrong address fails in seconds, before the demo is generated
    with _executor(args.scheduler) as executor:
        areas = [registry.get(c) for c in codes]
        _ensure_demo(config, areas, args.data_dir, report=report)
        _check_sources(config, areas, args.data_dir)
        from cdp_analysis.publishing.batch import run_batch

        results = run_batch(codes, config, chapters=chapters, data_dir=_abs(args.data_dir),
                            workers=args.workers, force=args.force, executor=executor,
                            progress=report is not None, settings=settings, report=report)
    from cdp_analysis.publishing.batch import coverage_lines, results_json, summary_lines

    for line in summary_lines(results) + coverage_lines(config, codes, chapters or config.chapters):
        print(line)
    if args.json:
        Path(args.json).write_text(results_json(results), encoding="utf-8")
    print(f"Index: {config.reports_dir / 'index.html'}")
    return 0 if all(r.ok for r in results) else 1


def _executor(scheduler: str | None) -> contextlib.AbstractContextManager[Executor | None]:
    """The Dask cluster's executor for ``--scheduler`` (connected on entering), else none: pages are
    computed here (the executors module is imported only then)."""
    if not scheduler:
        return contextlib.nullcontext()
    from cdp_analysis.publishing.executors import dask_executor

    return dask_executor(scheduler)


def cmd_print(args: argparse.Namespace) -> int:
    """Join an area's built chapters into one publication and its printable document."""
    from cdp_analysis.areas import AreaRegistry, resolve_areas

    config = _config(args)
    codes = resolve_areas(args.area, AreaRegistry.load(config.raw_dir))
    from cdp_analysis.publishing.batch import publish_areas, rebuild_index

    documents = publish_areas(config, codes, pdf=True if args.pdf else None, report=_reporter(args))
    rebuild_index(config)
    for path in documents:
        print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)")
        for other in sorted(path.parent.glob("*"), key=lambda p: p.name):
            if other.suffix in (".pdf", ".xlsx") or other.name == "summary.html":
                print(f"{other} ({other.stat().st_size / 1e6:.1f} MB)")
    missing = [c for c in codes if not (config.reports_dir / c / "needs_assessment.html").is_file()]
    for code in missing:
        print(f"cdp: {code} has no built chapter: run `cdp build --area {code}` first.", file=sys.stderr)
    return 1 if missing else 0


def _chapters(spec: str | None, config: Config) -> list[str] | None:
    """The chapter ids asked for, each checked against those that can be built."""
    if not spec:
        return None
    valid = valid_chapters(config)
    asked = list(dict.fromkeys(c.strip() for c in spec.split(",") if c.strip()))  # each chapter once
    unknown = [c for c in asked if c not in valid]
    if unknown or not asked:
        raise ConfigError(f"Unknown chapter {', '.join(map(repr, unknown)) or '(none given)'} in --chapters; "
                          f"valid chapter ids: {', '.join(valid)}")
    return asked


def _batch_areas(spec: str, registry: AreaRegistry, *, demo: bool) -> list[str]:
    """``all``, a region (its upper-tier areas and partnerships) or a list of codes."""
    from cdp_analysis.areas import resolve_areas

    items = [s.strip() for s in spec.split(",") if s.strip()]
    if len(items) == 1 and items[0].lower() != "all":
        area = registry.get(items[0])
        if area.type == "region":
            return [a.code for a in registry.select(region=area.code) if a.type in ("utla", "cdp")]
    return resolve_areas(spec, registry, demo=demo)


def cmd_prepare(args: argparse.Namespace) -> int:
    """Turn raw downloads into processed Parquet tables."""
    from cdp_analysis.store.dataset import dataset_name
    from cdp_analysis.store.prepare import prepare

    config = _config(args)
    check_folder(config.processed_dir, "the processed folder", option="--processed-dir")
    source = Path(args.source_dir).resolve() if args.source_dir else config.raw_dir / "real"
    target = config.processed_dir / dataset_name(source, config.processed_dir)
    report = prepare(source, target, force=args.force)
    print(report)
    return 0


def cmd_areas(args: argparse.Namespace) -> int:
    """List the areas the registry knows (filter by type, region, name)."""
    from cdp_analysis.areas import AreaRegistry

    registry = AreaRegistry.load(_config(args).raw_dir)
    areas = registry.select(type=args.type, region=args.region, search=args.search)
    if not areas:
        print("No area matches.")
        return 1
    rows = [("code", "kind", "name", "in")]
    for area in areas:
        parent = registry.parent(area.code)
        within = parent.name if parent else ""
        members = f" = {' + '.join(area.members)}" if area.members else ""
        rows.append((area.code, area.kind, area.name + members, within))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])
    print(f"{len(areas)} area(s)")
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    """Copy the local-return CSV templates into data/raw/local/."""
    from cdp_analysis.sources.local import copy_templates

    config = _config(args)
    dest = Path(args.dest).resolve() if args.dest else config.raw_dir / "real" / "local"
    for path in copy_templates(dest, overwrite=args.overwrite):
        print(path)
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    """Download Fingertips indicators (cached) into the real data folder."""
    from cdp_analysis.sources.fingertips import FingertipsClient

    config = _config(args)
    cache = config.raw_dir / "real" / "fingertips"
    client = FingertipsClient(base_url=args.base_url, cache_dir=cache) if args.base_url else \
        FingertipsClient(cache_dir=cache)
    with client:
        if args.area:
            from cdp_analysis.areas import AreaRegistry
            from cdp_analysis.store.checklist import fetch_area_indicators

            area = AreaRegistry.load(config.raw_dir).get(args.area)
            ids = args.indicators or None
            for line in fetch_area_indicators(client, area, ids, refresh=args.refresh):
                print(line)
            if not ids:
                from cdp_analysis.store.checklist import fingertips_indicator_ids

                ids = fingertips_indicator_ids()
            print(_record_release_dates(client, ids, args.refresh))
            return 0
        if not args.indicators:
            raise CdpError("give --indicators or --area")
        ids = args.indicators
        frame = client.data_by_indicator_id(ids, child_area_type_id=args.area_type, refresh=args.refresh)
        print(f"{len(frame)} rows for indicators {ids} cached in {cache}")
        print(_record_release_dates(client, ids, args.refresh))
    return 0


def _record_release_dates(client, ids, refresh: bool) -> str:
    """Record the API's upload date of each fetched indicator beside the exports (the publisher's date)."""
    from cdp_analysis.sources.fingertips import write_release_dates

    dates = client.indicator_update_dates(ids, refresh=refresh)
    path = write_release_dates(client.cache_dir, dates,
                               client.url("indicator_metadata/by_indicator_id", {"indicator_ids": ",".join(map(str, ids))}))
    span = f"{min(dates.values())} to {max(dates.values())}" if dates else "none given"
    return f"Fingertips upload dates of {len(dates)} of {len(ids)} indicators ({span}) recorded in {path}"


def cmd_data(args: argparse.Namespace) -> int:
    """List every source the chapters use for an area: found, partial or missing."""
    from cdp_analysis.areas import AreaRegistry

    config = _config(args)
    area = AreaRegistry.load(config.raw_dir).get(args.area)
    report = _reporter(args)
    _ensure_demo(config, [area], args.data_dir, report=report)
    _check_sources(config, [area], args.data_dir)
    from cdp_analysis.chapters.context import load_context
    from cdp_analysis.store.checklist import data_checklist

    began = time.perf_counter()
    if report:
        report("data: preparing the raw files (unchanged files are not read again)")
    context = load_context(args.area, data_dir=_abs(args.data_dir), config=config)
    if report:
        report(f"data: ready in {time.perf_counter() - began:.1f} s; checking each source")
    checklist = data_checklist(context.dataset, context.registry, context.area.code, report=report)
    if args.json:
        print(checklist.to_json())
    elif args.markdown:
        print(checklist.to_markdown(), end="")
    else:
        print(checklist.to_text())
    return 0


def _abs(path: str | None) -> str:
    return str(Path(path).expanduser().resolve()) if path else ""


def _display(path: Path, config: Config) -> str:
    try:
        return str(path.relative_to(config.root))
    except ValueError:
        return str(path)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cdp", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"cdp {__version__}")
    parser.add_argument("--config", help="config file (default: the repository's cdp.toml)")
    parser.add_argument("--reports-dir", help="where reports are written (overrides the config)")
    parser.add_argument("--processed-dir", help="where processed tables go (overrides the config)")
    parser.add_argument("--raw-dir", help="the raw data folder (overrides the config)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help=cmd_demo.__doc__)
    p.add_argument("--data-only", action="store_true", help="generate the data, build no report")
    p.add_argument("--force", action="store_true", help="regenerate and rebuild everything")
    p.add_argument("--workers", type=_workers, default=None, help="pages computed at once (1 to four per core)")
    p.add_argument("--areas", type=_demo_areas, default=None, metavar="N",
                   help="fictional upper-tier areas in the demo region, 4 to 999 "
                        "(default: [demo] areas in cdp.toml, else 4); more than 4 is a national-scale demo")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("build", help=cmd_build.__doc__)
    p.add_argument("--area", required=True, help="GSS code or name of the area")
    p.add_argument("--data-dir", help="raw data folder (default: demo data for demo areas, data/raw/real otherwise)")
    p.add_argument("--chapters", help="comma-separated chapter ids (default: all in the config)")
    p.add_argument("--workers", type=_workers, default=None, help="pages computed at once (1 to four per core)")
    p.add_argument("--force", action="store_true", help="rebuild even if up to date")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress lines (they go to stderr, only on a terminal; the run log has them too)")
    _edition_options(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("batch", help=cmd_batch.__doc__, description=cmd_batch.__doc__)
    p.add_argument("--areas", required=True,
                   help="'all' (every upper-tier area and partnership), a region's code or name "
                        "(its areas), or comma-separated GSS codes")
    p.add_argument("--data-dir", help="raw data folder (default: the demo data)")
    p.add_argument("--chapters", help="comma-separated chapter ids (default: all in the config); "
                   "an unknown id stops with the list of valid ones")
    p.add_argument("--workers", type=_workers, default=None,
                   help="pages computed at once on this machine, one warm kernel each, 1 to four per core "
                        "(default: [build] workers in the config)")
    p.add_argument("--timeout", type=_seconds, default=None, metavar="S",
                   help="seconds a notebook cell may run before the page fails and its kernel is "
                        "restarted (default: [build] timeout_seconds)")
    p.add_argument("--scheduler", metavar="ADDRESS", type=_scheduler,
                   help="compute pages on an existing Dask distributed cluster "
                        "(e.g. tcp://10.0.0.5:8786); pages are written here")
    p.add_argument("--force", action="store_true", help="rebuild pages even if up to date")
    p.add_argument("--no-progress", "-q", "--quiet", dest="no_progress", action="store_true",
                   help="no progress bar nor progress lines (they show only on a terminal)")
    p.add_argument("--json", help="also write the results as JSON to this file")
    _edition_options(p)
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("print", help=cmd_print.__doc__)
    p.add_argument("--area", required=True, help="GSS code or name of the area, or a comma-separated list")
    p.add_argument("--pdf", action="store_true",
                   help="also write needs_assessment.pdf (A4, cover, contents; default: [publish] pdf in the config)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines (stderr, only on a terminal)")
    p.add_argument("--as-of", type=_month, metavar="YYYY-MM", help="the edition to print (reports/editions/YYYY-MM)")
    p.set_defaults(func=cmd_print)

    p = sub.add_parser("prepare", help=cmd_prepare.__doc__)
    p.add_argument("--source-dir", help="raw folder to read (default: data/raw/real)")
    p.add_argument("--force", action="store_true", help="reprocess unchanged inputs too")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("areas", help=cmd_areas.__doc__)
    p.add_argument("--type", help="country, region, utla, lad, cdp, or a kind: county, district, "
                   "unitary, metropolitan, borough")
    p.add_argument("--region", help="only areas in this region (code or name)")
    p.add_argument("--search", help="only areas whose name contains this text (any case)")
    p.set_defaults(func=cmd_areas)

    p = sub.add_parser("templates", help=cmd_templates.__doc__)
    p.add_argument("--dest", help="destination folder (default: data/raw/real/local)")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=cmd_templates)

    p = sub.add_parser("fetch", help=cmd_fetch.__doc__)
    p.add_argument("--indicators", type=_indicator_ids, help="comma-separated Fingertips indicator ids "
                   "(with --area: default the chapters' indicators)")
    p.add_argument("--area", help="fetch the chapters' indicators at this area's type (and its "
                   "region and England)")
    p.add_argument("--area-type", type=int, default=502, help="Fingertips child area type (502 = counties & UAs)")
    p.add_argument("--refresh", action="store_true", help="ignore the cache")
    p.add_argument("--base-url", help=argparse.SUPPRESS)  # another API root (tests' local server)
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("data", help=cmd_data.__doc__)
    p.add_argument("--area", required=True, help="GSS code or name of the area")
    p.add_argument("--data-dir", help="raw data folder (default: demo data for demo areas, data/raw/real otherwise)")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="JSON for machines")
    shown.add_argument("--markdown", action="store_true", help="a Markdown table")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines (stderr, only on a terminal)")
    p.set_defaults(func=cmd_data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cdp`` console script."""
    args = _parser().parse_args(argv)
    level = logging.INFO if args.verbose else logging.WARNING
    if not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        handler.setLevel(level)  # a run log lowers the package's level to INFO for its file: the terminal
        logging.getLogger().addHandler(handler)  # still shows INFO only with -v (progress lines say what runs)
        logging.getLogger().setLevel(level)
    stopped: list[str] = []
    try:
        with _terminate_as_interrupt(stopped):
            return args.func(args)
    except CdpError as exc:
        print(f"cdp: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file or folder the system refuses: name it, no traceback
        where = f": {exc.filename}" if exc.filename else ""
        print(f"cdp: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        how = "terminated (SIGTERM)" if stopped else "interrupted"
        print(f"cdp: {how}; nothing half-written was left in place.", file=sys.stderr)
        return 143 if stopped else 130


@contextlib.contextmanager
def _terminate_as_interrupt(stopped: list[str]) -> Iterator[None]:
    """Within the block SIGTERM (``kill``, a scheduler or container stopping the run) ends the run
    as Ctrl-C does: pages in progress keep their previous version, kernels are shut down, one
    sentence says so (``stopped`` records it). Only in the main thread, where signals arrive."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        stopped.append("SIGTERM")
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Where a batch's pages are computed: this machine's threads, any ``concurrent.futures``
executor, or an existing Dask distributed cluster; plus the run's log and progress.

A page is computed by :func:`cdp_analysis.publishing.batch.render_page` (a notebook run in a
warm kernel, exported to HTML). Locally it runs in the batch's own threads; with an
executor it is submitted there and its HTML comes back, so pages are always written
(atomically, with their build status) into the reports folder of the machine that
started the batch. Workers only need the package and read access to the data.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from pathlib import Path

from cdp_analysis import __version__
from cdp_analysis.config import Config
from cdp_analysis.errors import ConfigError

__all__ = [
    "remote_render",
    "executor_slots",
    "dask_executor",
    "run_log",
    "log_dir",
    "clean_leftovers",
    "progress_bar",
]

log = logging.getLogger("cdp_analysis")
_STALE_TMP_SECONDS = 600  # an atomic write lasts milliseconds; older temporaries are a killed run's


def remote_render(executor: Executor, render_page: Callable[..., str]) -> Callable[..., str]:
    """A ``render`` for :func:`~cdp_analysis.publishing.batch.build_chapter` that computes the page
    on ``executor`` with ``render_page`` (the batch's :func:`~cdp_analysis.publishing.batch.render_page`,
    passed in: the batch uses its executors, never the other way round) and waits for its HTML."""

    def render(notebook: Path, parameters: dict, config: Config, area_code: str, chapter: str) -> str:
        return executor.submit(render_page, notebook, parameters, config, area_code, chapter).result()

    return render


def executor_slots(executor: Executor, default: int) -> int:
    """How many pages ``executor`` can compute at once (Dask: its threads; else ``default``)."""
    client = getattr(executor, "_client", None)
    if client is not None:
        with contextlib.suppress(Exception):
            return max(1, sum(client.nthreads().values()))
    return max(1, getattr(executor, "_max_workers", default) or default)


@contextlib.contextmanager
def dask_executor(address: str, *, timeout: float = 30) -> Iterator[Executor]:
    """A ``concurrent.futures`` executor on the Dask distributed scheduler at ``address``.

    Raises
    ------
    ConfigError
        ``dask.distributed`` is not installed or the scheduler does not answer.
    """
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise ConfigError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") from exc
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"No Dask scheduler answers at {address}: {exc}") from exc
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()


def log_dir(config: Config) -> Path:
    """Per-run logs: under the processed folder, never under reports/."""
    return config.processed_dir / ".build" / "logs"


@contextlib.contextmanager
def run_log(config: Config, settings: dict) -> Iterator[Path]:
    """A log file for this run holding its configuration, then every log record of
    the package (INFO and up) until the block ends."""
    folder = log_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"batch-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    header = {"version": __version__, "python": platform.python_version(), "host": platform.node(),
              "config_file": str(config.source_file or ""), **config.summary(),
              "timeout_seconds": config.timeout_seconds, **settings}
    path.write_text("configuration " + json.dumps(header, sort_keys=True, default=str) + "\n", encoding="utf-8")
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    previous = log.level
    log.addHandler(handler)
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)
    try:
        yield path
    finally:
        log.removeHandler(handler)
        log.setLevel(previous)
        handler.close()


def clean_leftovers(config: Config) -> list[Path]:
    """Remove what a killed run left: kernel folders of dead processes and stale
    temporary files of interrupted atomic writes in the reports folder."""
    from cdp_analysis.publishing.kernels import clean_stale

    removed = clean_stale()
    now = time.time()
    if config.reports_dir.is_dir():
        for tmp in config.reports_dir.rglob(".*.tmp"):
            with contextlib.suppress(OSError):
                if tmp.is_file() and now - tmp.stat().st_mtime > _STALE_TMP_SECONDS:
                    tmp.unlink()
                    removed.append(tmp)
    for path in removed:
        log.info("Removed a killed run's leftover %s", path.name)
    return removed


def progress_bar(total: int, *, enabled: bool, desc: str = "pages", position: int = 0):  # noqa: ANN201
    """A tqdm bar (to stderr), or a silent stand-in when ``enabled`` is false."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="page" if desc == "pages" else "cell",
                disable=not enabled, position=position, leave=desc == "pages", dynamic_ncols=True)



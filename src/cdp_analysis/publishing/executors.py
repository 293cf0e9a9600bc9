"""Where a batch's pages are computed: this machine's threads, any ``concurrent.futures``
executor, or an existing Dask distributed cluster; plus the run's log and progress.

A page is computed by :func:`cdp_analysis.publishing.batch.render_page` (a notebook run in a
warm kernel, exported to HTML). Locally it runs in the batch's own threads; with an
executor it is submitted there and its HTML comes back, so pages are always written
(atomically, with their build status) into the reports folder of the machine that
started the batch. Workers only need the package and read access to the data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import platform
import re
import socket
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
    "check_scheduler_address",
    "HANDSHAKE_SECONDS",
    "run_log",
    "log_dir",
    "clean_leftovers",
    "progress_bar",
]

log = logging.getLogger("cdp_analysis")
_STALE_TMP_SECONDS = 600  # an atomic write lasts milliseconds; older temporaries are a killed run's
#: Seconds a scheduler has to accept the connection and answer who it is.
HANDSHAKE_SECONDS = 10.0
_SCHEMES = ("tcp", "tls", "ws", "wss")
_ADDRESS = re.compile(r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?"
                      r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>[0-9]{1,5})/?")
_ADDRESS_HELP = "tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786 (the address `dask scheduler` prints)"


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


def check_scheduler_address(address: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a Dask scheduler address, or :class:`ConfigError` at once.

    Accepts ``tcp://``, ``tls://``, ``ws://`` and ``wss://`` addresses and a bare
    ``HOST:PORT`` (TCP).

    >>> check_scheduler_address("tcp://127.0.0.1:8786")
    ('tcp', '127.0.0.1', 8786)
    >>> check_scheduler_address("not a url")
    Traceback (most recent call last):
    ...
    cdp_analysis.errors.ConfigError: --scheduler 'not a url' is not a scheduler address; expected tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786 (the address `dask scheduler` prints)
    """
    found = _ADDRESS.fullmatch(address.strip()) if isinstance(address, str) else None
    if not found:
        raise ConfigError(f"--scheduler {address!r} is not a scheduler address; expected {_ADDRESS_HELP}")
    scheme = (found["scheme"] or "tcp").lower()
    if scheme not in _SCHEMES:
        raise ConfigError(f"--scheduler {address!r}: unknown protocol {scheme!r}; expected one of "
                          f"{', '.join(s + '://' for s in _SCHEMES)} ({_ADDRESS_HELP})")
    port = int(found["port"])
    if not 1 <= port <= 65535:
        raise ConfigError(f"--scheduler {address!r}: port {port} is not from 1 to 65535")
    return scheme, found["host"].strip("[]"), port


def _reach(address: str, host: str, port: int, timeout: float) -> None:
    """Open (and close) a TCP connection: a refused port or unknown host fails at once."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except socket.gaierror as exc:
        raise ConfigError(f"--scheduler {address}: no such host {host!r} ({exc.strerror or exc})") from exc
    except TimeoutError as exc:
        raise ConfigError(f"--scheduler {address}: no answer from {host}:{port} within {timeout:.0f} s "
                          "(is the scheduler running and the port open?)") from exc
    except OSError as exc:
        raise ConfigError(f"--scheduler {address}: cannot connect to {host}:{port} "
                          f"({exc.strerror or exc}); start `dask scheduler` there or check the address") from exc


def _identify(address: str, timeout: float) -> dict:
    """Ask the process at ``address`` who it is (Dask's ``identity`` call), within ``timeout``."""
    from distributed.comm import connect

    async def ask() -> object:
        comm = await connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    try:
        answer = asyncio.run(asyncio.wait_for(ask(), timeout))
    except TimeoutError as exc:
        raise ConfigError(f"--scheduler {address}: something listens there but no Dask scheduler answered "
                          f"within {timeout:.0f} s (is it another service? expected {_ADDRESS_HELP})") from exc
    except Exception as exc:  # the comm layer's errors (closed, protocol) are not one type
        raise ConfigError(f"--scheduler {address}: not a Dask scheduler ({type(exc).__name__}: {exc})") from exc
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        kind = answer.get("type") if isinstance(answer, dict) else type(answer).__name__
        raise ConfigError(f"--scheduler {address}: the process there is not a Dask scheduler ({kind}); "
                          "give the scheduler's address, not a worker's or another service's")
    return answer


@contextlib.contextmanager
def dask_executor(address: str, *, timeout: float = HANDSHAKE_SECONDS) -> Iterator[Executor]:
    """A ``concurrent.futures`` executor on the Dask distributed scheduler at ``address``.

    The address is checked before any connection; the scheduler must then accept a
    connection and answer Dask's handshake within ``timeout`` seconds (a refused port
    fails at once, a service that is not a scheduler after ``timeout``).

    Raises
    ------
    ConfigError
        ``dask.distributed`` is not installed, the address is malformed, or no
        scheduler answers there in time.
    """
    scheme, host, port = check_scheduler_address(address)
    _reach(address, host, port, timeout)
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise ConfigError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") from exc
    full = f"{scheme}://{host if ':' not in host else f'[{host}]'}:{port}"
    if scheme == "tcp":  # other protocols need the cluster's security settings to talk
        _identify(full, timeout)
    try:
        client = Client(full, timeout=timeout, set_as_default=False)
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



"""Warm Jupyter kernels, reused safely from one notebook run to the next.

Starting a kernel and importing pandas, matplotlib and the package costs more
than computing a chapter. A :class:`WarmKernel` starts once and runs many
notebooks; before each run it clears the namespace (``%reset -f``), closes every
figure and restores matplotlib's settings (``rc_file_defaults`` then the package
style), and goes back to the folder it started in. Modules stay imported, so the
second run pays no import cost. A kernel is replaced after ``recycle_after``
runs, when the ``CDP_*`` environment it started with has changed (a run may
name its own, e.g. the batch's processed folder in ``CDP_PROCESSED_DIR``), and at
once after any error or timeout, so a failing chapter cannot leave
state behind for the next one.

Parameters are injected the way papermill does (a tagged cell after the
``parameters`` cell), so a page built here equals one built by papermill in a
cold kernel.

Kernels talk over IPC sockets in a private folder (no TCP ports to collide
between kernels on one host). Every folder is named after the process that owns
it; :func:`clean_stale` removes those whose process is gone (a killed run).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import os
import queue
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

if TYPE_CHECKING:
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

    from cdp_analysis.config import Config

__all__ = [
    "KERNEL_NAME",
    "WarmKernel",
    "KernelPool",
    "kernel_name_for",
    "parameterize",
    "process_pool",
    "clean_stale",
    "kernel_root",
    "config_env",
]

log = logging.getLogger(__name__)

#: The kernel `make lab` registers; notebooks name it in their kernelspec.
KERNEL_NAME = "cdp-analysis"
_FALLBACK_KERNEL = "python3"  # ipykernel's own: the runner's Python, always present

#: Run before every notebook in a warm kernel: a namespace and matplotlib state as a
#: fresh kernel has them after the package is imported.
RESET_CODE = """\
%reset -f
import os as _os
_os.chdir({cwd!r})
del _os
import matplotlib as _mpl
import matplotlib.pyplot as _plt
_plt.close('all')
_mpl.rc_file_defaults()
import cdp_analysis.report.charts as _charts
_charts.apply_style()
del _mpl, _plt, _charts
"""
_KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
#: Runs after which a kernel is replaced (``CDP_KERNEL_RECYCLE`` overrides). Each
#: replacement costs a start, the imports and the first reads of the data again
#: (about 4 s); a kernel building national pages stays near 1 GB (benchmarks/README.md).
RECYCLE_AFTER = 100


def kernel_root() -> Path:
    """The folder holding every run's kernel connection files and sockets (short: IPC
    socket paths are limited to about 100 characters)."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"cdp-kernels-{uid}"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


def clean_stale(root: Path | None = None) -> list[Path]:
    """Remove kernel folders (``<pid>-<id>``) whose process is no longer running.

    Returns the folders removed.
    """
    root = root or kernel_root()
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for folder in root.iterdir():
        pid_text = folder.name.split("-", 1)[0]
        if folder.is_dir() and pid_text.isdigit() and not _pid_alive(int(pid_text)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def kernel_name_for(notebook: nbformat.NotebookNode) -> str:
    """The notebook's kernel if it is installed here, else ipykernel's ``python3``
    (CI and fresh checkouts where `make lab` has not registered ``cdp-analysis``)."""
    from jupyter_client.kernelspec import KernelSpecManager

    wanted = notebook.metadata.get("kernelspec", {}).get("name", _FALLBACK_KERNEL)
    try:
        installed = KernelSpecManager().find_kernel_specs()
    except Exception:  # a broken spec folder must not stop a build
        installed = {}
    return wanted if wanted in installed else _FALLBACK_KERNEL


def parameterize(path: str | Path, parameters: dict) -> nbformat.NotebookNode:
    """The notebook at ``path`` with ``parameters`` injected exactly as ``papermill``
    injects them (read by papermill, so its cell metadata is in place)."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    notebook = load_notebook_node(str(path))
    return parameterize_notebook(notebook, parameters, kernel_name="python3", language="python")


class WarmKernel:
    """One kernel that runs notebook after notebook.

    Parameters
    ----------
    kernel_name:
        Kernel spec to start.
    recycle_after:
        Runs after which the kernel is replaced by a fresh one.
    folder:
        Where its connection file and IPC sockets live (made if needed).
    """

    def __init__(self, kernel_name: str = _FALLBACK_KERNEL, *, recycle_after: int = RECYCLE_AFTER,
                 folder: Path | None = None, startup_timeout: float = 120) -> None:
        self.kernel_name = kernel_name
        self.recycle_after = max(1, recycle_after)
        self.folder = folder or _new_folder()
        self.startup_timeout = startup_timeout
        self.runs = 0
        self.restarts = 0
        self._km: AsyncKernelManager | None = None
        self._kc: AsyncKernelClient | None = None
        self._env: dict[str, str] = {}
        self._wanted: dict[str, str] = {}  # the CDP_* settings the current run asks for
        self._cwd = os.getcwd()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cdp-kernel-loop", daemon=True)
        self._thread.start()

    # -- the kernel's own event loop, so any thread may use it -------------------
    def _call(self, coroutine):  # noqa: ANN001, ANN202 - a coroutine and its result
        """Run ``coroutine`` on the kernel's loop and wait for it; if the loop is shut down
        meanwhile (:meth:`close` from another thread, e.g. after Ctrl-C), raise instead of
        waiting for ever."""
        if self._loop.is_closed() or not self._thread.is_alive():
            coroutine.close()
            raise RuntimeError("the kernel was shut down")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        # wait() rather than result(timeout=): a cell's own CellTimeoutError is a TimeoutError too
        while not concurrent.futures.wait([future], timeout=1).done:
            if not self._thread.is_alive():
                future.cancel()
                raise RuntimeError("the kernel was shut down")
        return future.result()

    async def _start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager

        self.folder.mkdir(parents=True, exist_ok=True)
        transport = "ipc" if os.name == "posix" else "tcp"
        kwargs = {"ip": str(self.folder / "k")} if transport == "ipc" else {}
        km = AsyncKernelManager(kernel_name=self.kernel_name, transport=transport,
                                connection_file=str(self.folder / f"kernel-{uuid.uuid4().hex[:8]}.json"), **kwargs)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CDP_")} | self._wanted
        await km.start_kernel(extra_arguments=list(_KERNEL_ARGS), cwd=self._cwd, env=env)
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=self.startup_timeout)
        except BaseException:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
            raise
        kc.allow_stdin = False
        self._km, self._kc = km, kc
        self._env = dict(self._wanted)
        self.runs = 0

    async def _stop(self) -> None:
        from jupyter_core.utils import ensure_async

        km, kc = self._km, self._kc
        self._km = self._kc = None
        if kc is not None:
            kc.stop_channels()
        if km is not None:
            with contextlib.suppress(Exception):
                await km.shutdown_kernel(now=True)
            with contextlib.suppress(Exception):
                await ensure_async(km.cleanup_resources())

    async def _execute(self, notebook: nbformat.NotebookNode, timeout: float | None,
                       on_cell: Callable[[int, int], None] | None,
                       env: dict[str, str] | None = None) -> nbformat.NotebookNode:
        self._wanted = _cdp_env() | dict(env or {})
        if (self._km is None or self.runs >= self.recycle_after or self._env != self._wanted
                or not await self._km.is_alive()):
            if self._km is not None:
                self.restarts += 1
            await self._stop()
            await self._start()
        elif self.runs:
            reset = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(RESET_CODE.format(cwd=self._cwd))])
            await self._client(reset, timeout).async_execute()
        self.runs += 1
        client = self._client(notebook, timeout)
        if on_cell is not None:
            total = len(notebook.cells)
            client.on_cell_complete = lambda cell, cell_index: on_cell(cell_index + 1, total)
        return await client.async_execute()

    def _client(self, notebook: nbformat.NotebookNode, timeout: float | None):  # noqa: ANN202
        from nbclient import NotebookClient

        client = NotebookClient(notebook, km=self._km, timeout=timeout, kernel_name=self.kernel_name,
                                allow_errors=False, record_timing=False, store_widget_state=False)
        client.kc = self._kc
        return client

    def run(self, notebook: nbformat.NotebookNode, *, timeout: float | None = None,
            on_cell: Callable[[int, int], None] | None = None,
            env: dict[str, str] | None = None) -> nbformat.NotebookNode:
        """Execute every cell of ``notebook`` (already parameterised) and return it.

        ``env`` holds ``CDP_*`` settings the kernel must run under (over this
        process's own); a kernel started under others is replaced first.

        On any error the kernel is discarded (the next run starts a fresh one) and
        the error is raised: nbclient's ``CellExecutionError`` carries the cell's
        ``ename`` and ``evalue``; a cell running past ``timeout`` seconds raises
        ``CellTimeoutError``.
        """
        try:
            return self._call(self._execute(notebook, timeout, on_cell, env))
        except BaseException:
            with contextlib.suppress(RuntimeError):  # already shut down
                self._call(self._stop())
            raise

    def interrupt(self, timeout: float = 5) -> None:
        """Interrupt the cell running now (as Ctrl-C in Jupyter); the run then fails."""
        km = self._km
        if km is None or self._loop.is_closed():
            return
        async def interrupt() -> None:  # a coroutine (jupyter_client types it as any awaitable)
            await km.interrupt_kernel()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(interrupt(), self._loop).result(timeout=timeout)

    async def _drain(self) -> None:
        """Cancel whatever still runs on the kernel's loop and let it finish."""
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)

    def close(self) -> None:
        """Shut the kernel down and remove its folder."""
        if self._loop.is_closed():
            return
        with contextlib.suppress(Exception):
            self._call(self._stop())
        with contextlib.suppress(Exception):
            self._call(self._drain())  # a run still waiting fails, never hangs
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _cdp_env() -> dict[str, str]:
    """The package's settings in the environment: a kernel started under others is replaced."""
    return {k: v for k, v in os.environ.items() if k.startswith("CDP_")}


def config_env(config: Config) -> dict[str, str]:
    """The ``CDP_*`` settings under which a notebook's own ``load_config()`` finds the
    same configuration as ``config`` (its file and every folder, absolute), so the
    kernels read and prepare where the command was told to, not in the repository's
    default folders."""
    env = {"CDP_RAW_DIR": str(config.raw_dir), "CDP_PROCESSED_DIR": str(config.processed_dir),
           "CDP_REPORTS_DIR": str(config.reports_dir), "CDP_NOTEBOOKS_DIR": str(config.notebooks_dir)}
    if config.source_file:
        env["CDP_CONFIG"] = str(config.source_file)
    return env


def _new_folder() -> Path:
    return kernel_root() / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


class KernelPool:
    """Warm kernels handed out one caller at a time; more start when all are busy.

    Use :meth:`kernel` as a context manager; :meth:`close` shuts them all down.
    """

    def __init__(self, *, recycle_after: int = RECYCLE_AFTER) -> None:
        self.recycle_after = recycle_after
        self._idle: dict[str, queue.SimpleQueue[WarmKernel]] = {}
        self._all: list[WarmKernel] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def kernel(self, kernel_name: str = _FALLBACK_KERNEL) -> Iterator[WarmKernel]:
        """A kernel of that name for the duration of the block."""
        with self._lock:
            idle = self._idle.setdefault(kernel_name, queue.SimpleQueue())
            try:
                kernel = idle.get_nowait()
            except queue.Empty:
                kernel = WarmKernel(kernel_name, recycle_after=self.recycle_after)
                self._all.append(kernel)
        try:
            yield kernel
        finally:
            idle.put(kernel)

    def run(self, notebook: nbformat.NotebookNode, *, timeout: float | None = None,
            on_cell: Callable[[int, int], None] | None = None,
            env: dict[str, str] | None = None) -> nbformat.NotebookNode:
        """Execute ``notebook`` in a warm kernel of its own kernelspec (or ``python3``),
        under the ``CDP_*`` settings ``env`` (see :meth:`WarmKernel.run`)."""
        with self.kernel(kernel_name_for(notebook)) as kernel:
            return kernel.run(notebook, timeout=timeout, on_cell=on_cell, env=env)

    def interrupt(self) -> None:
        """Interrupt every running notebook (their runs fail; the kernels are replaced)."""
        with self._lock:
            kernels = list(self._all)
        for kernel in kernels:
            kernel.interrupt()

    def close(self) -> None:
        """Shut every kernel down."""
        with self._lock:
            kernels, self._all, self._idle = self._all, [], {}
        for kernel in kernels:
            kernel.close()

    def __len__(self) -> int:
        return len(self._all)


_PROCESS_POOL: KernelPool | None = None
_PROCESS_POOL_PID = 0
_PROCESS_LOCK = threading.Lock()


def process_pool() -> KernelPool:
    """This process's shared pool (one per process: a forked child never reuses its
    parent's kernels); shut down when the process exits."""
    global _PROCESS_POOL, _PROCESS_POOL_PID
    with _PROCESS_LOCK:
        if _PROCESS_POOL is None or _PROCESS_POOL_PID != os.getpid():
            clean_stale()
            _PROCESS_POOL = KernelPool(recycle_after=int(os.environ.get("CDP_KERNEL_RECYCLE", RECYCLE_AFTER)))
            _PROCESS_POOL_PID = os.getpid()
            atexit.register(_PROCESS_POOL.close)
        return _PROCESS_POOL

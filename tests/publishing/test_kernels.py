"""Warm kernels: a clean namespace each run, a fresh kernel after an error, stale folders removed."""

import os
import subprocess
import sys

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from cdp_analysis.publishing.kernels import KernelPool, WarmKernel, clean_stale, kernel_name_for, parameterize


def _notebook(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def _text(nb: nbformat.NotebookNode, index: int) -> str:
    return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in nb.cells[index].outputs)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    warm = WarmKernel(recycle_after=3, folder=tmp_path_factory.mktemp("k") / f"{os.getpid()}-test")
    yield warm
    warm.close()


@pytest.mark.slow  # starts kernels
def test_second_run_sees_a_clean_namespace_and_default_matplotlib(kernel):
    first = kernel.run(_notebook("secret = 41", "import matplotlib; matplotlib.rcParams['lines.linewidth'] = 9",
                                 "print(secret + 1)"))
    assert _text(first, 2).strip() == "42"
    second = kernel.run(_notebook("print('secret' in dir())", "import matplotlib; print(matplotlib.rcParams['lines.linewidth'])",
                                  "import cdp_analysis.report.charts as c, matplotlib.pyplot as plt; print(len(plt.get_fignums()))"))
    assert _text(second, 0).strip() == "False"
    import matplotlib

    import cdp_analysis.report.charts  # noqa: F401 - the package style, as a fresh kernel has it
    assert float(_text(second, 1)) == matplotlib.rcParams["lines.linewidth"]
    assert _text(second, 2).strip() == "0"


@pytest.mark.slow  # starts kernels
def test_error_raises_with_the_cells_error_and_the_next_run_gets_a_fresh_kernel(kernel):
    kernel.run(_notebook("import os; print(os.getpid())"))
    with pytest.raises(CellExecutionError) as caught:
        kernel.run(_notebook("leftover = 1", "raise ValueError('bad area')"))
    assert caught.value.ename == "ValueError" and "bad area" in caught.value.evalue
    after = kernel.run(_notebook("import os; print(os.getpid())", "print('leftover' in dir())"))
    assert _text(after, 1).strip() == "False"


@pytest.mark.slow  # starts kernels
def test_kernel_is_recycled_after_n_runs(tmp_path):
    warm = WarmKernel(recycle_after=2, folder=tmp_path / f"{os.getpid()}-recycle")
    try:
        pids = [_text(warm.run(_notebook("import os; print(os.getpid())")), 0).strip() for _ in range(3)]
    finally:
        warm.close()
    assert pids[0] == pids[1] != pids[2]
    assert not (tmp_path / f"{os.getpid()}-recycle").exists()


@pytest.mark.slow  # starts kernels
def test_timeout_fails_the_run_and_the_kernel_recovers(tmp_path):
    from nbclient.exceptions import CellTimeoutError

    warm = WarmKernel(folder=tmp_path / f"{os.getpid()}-timeout")
    try:
        with pytest.raises(CellTimeoutError):
            warm.run(_notebook("import time; time.sleep(30)"), timeout=2)
        assert _text(warm.run(_notebook("print(6 * 7)"), timeout=30), 0).strip() == "42"
    finally:
        warm.close()


def test_pool_hands_a_kernel_to_one_caller_at_a_time():
    pool = KernelPool()
    try:
        with pool.kernel() as a, pool.kernel() as b:
            assert a is not b
        with pool.kernel() as c:
            assert c in (a, b)
        assert len(pool) == 2
    finally:
        pool.close()


def test_stale_folders_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f"{dead}-abcd1234"
    stale.mkdir()
    (stale / "kernel-1.json").write_text("{}")
    alive = tmp_path / f"{os.getpid()}-abcd1234"
    alive.mkdir()
    assert clean_stale(tmp_path) == [stale]
    assert alive.is_dir() and not stale.exists()


def test_parameters_are_injected_after_the_parameters_cell_like_papermill(tmp_path):
    nb = _notebook("area_code = 'Z09000001'", "print(area_code)")
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "x", "language": "python"}
    path = tmp_path / "p.ipynb"
    nbformat.write(nb, path)
    injected = parameterize(path, {"area_code": "Z09000002"})
    assert injected.cells[1].metadata["tags"] == ["injected-parameters"]
    assert 'area_code = "Z09000002"' in injected.cells[1].source
    assert kernel_name_for(injected) == "python3"  # an unregistered kernel falls back

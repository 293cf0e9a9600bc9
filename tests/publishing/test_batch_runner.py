"""The batch runner: a page built in a warm kernel equals one built cold by papermill, and the
same work sent to a Dask distributed cluster (on loopback) lands in the reports folder."""

import re
from pathlib import Path

import pytest

from cdp_analysis.publishing.batch import CHAPTER_TITLES, _forbidden, render_page, run_batch
from cdp_analysis.publishing.kernels import process_pool
from tests.conftest import demo_config_env

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]
CHAPTER = "01_supply"


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    with demo_config_env(tmp_path_factory.mktemp("runner")) as config:
        try:
            yield config
        finally:
            process_pool().close()


def _cold_page(config, area_code: str, chapter: str, tmp_path: Path) -> str:
    """The page as the old runner made it: papermill in a fresh kernel, then the same export."""
    import nbformat
    import papermill

    from cdp_analysis import __version__
    from cdp_analysis.areas import AreaRegistry
    from cdp_analysis.publishing.export import export_html

    out = tmp_path / "cold.ipynb"
    papermill.execute_notebook(str(config.notebooks_dir / f"{chapter}.ipynb"), str(out), kernel_name="python3",
                               parameters={"area_code": area_code, "data_dir": "", "processed_dir": ""},
                               progress_bar=False, log_output=False)
    nb = nbformat.read(out, as_version=4)
    area = AreaRegistry.load(config.raw_dir).get(area_code)
    nb.metadata["cdp"] = {"version": __version__, "built": f"Area {area.code}."}
    return export_html(nb, title=f"{CHAPTER_TITLES[chapter]}: {area.name}", forbidden=_forbidden(config))


def _images(page: str) -> list[str]:
    return re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)


def _stable(page: str) -> str:
    """The page without what differs between any two builds: the injected cell's random id
    (papermill makes a new one each run) and a timestamp, if any."""
    page = re.sub(r"cell-id=[0-9a-f-]+", "cell-id=", page)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", "<time>", page)


def test_page_built_in_a_warm_kernel_equals_the_cold_papermill_page(config, tmp_path):
    parameters = {"data_dir": "", "processed_dir": ""}
    notebook = config.notebooks_dir / f"{CHAPTER}.ipynb"
    # warm the kernel on other areas first (two runs: the reset path is taken)
    for other in ("Z09000002", "Z09000003"):
        render_page(notebook, {"area_code": other, **parameters}, config, other, CHAPTER)
    warm = render_page(notebook, {"area_code": "Z09000001", **parameters}, config, "Z09000001", CHAPTER)
    assert process_pool()._all[0].runs >= 3  # the same kernel ran all three
    cold = _cold_page(config, "Z09000001", CHAPTER, tmp_path)
    assert len(_images(warm)) >= 3
    assert _images(warm) == _images(cold)  # every figure byte for byte
    assert _stable(warm) == _stable(cold)


def test_batch_on_a_dask_cluster_writes_every_page_here(config):
    from distributed import Client, LocalCluster

    codes = ["Z09000001", "Z09000004"]
    # a real scheduler on loopback TCP (the worker shares this process, so it sees its kernels)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, host="127.0.0.1", protocol="tcp://",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        results = run_batch(codes, config, chapters=[CHAPTER], executor=client.get_executor(pure=False), force=True)
    assert [(r.area_code, r.ok) for r in results] == [(c, True) for c in codes], [r.error for r in results]
    for code in codes:
        page = (config.reports_dir / code / f"{CHAPTER}.html").read_text(encoding="utf-8")
        assert f"Area {code}" in page or code in page
        assert len(_images(page)) >= 3
    local = render_page(config.notebooks_dir / f"{CHAPTER}.ipynb",
                        {"area_code": "Z09000004", "data_dir": "", "processed_dir": ""}, config, "Z09000004", CHAPTER)
    assert _images(local) == _images((config.reports_dir / "Z09000004" / f"{CHAPTER}.html").read_text(encoding="utf-8"))
    logs = sorted((config.processed_dir / ".build" / "logs").glob("batch-*.log"))
    assert logs and '"executor": "ClientExecutor"' in logs[-1].read_text(encoding="utf-8")
    index = (config.reports_dir / "index.html").read_text(encoding="utf-8")
    assert all(f"{code}/{CHAPTER}.html" in index for code in codes)

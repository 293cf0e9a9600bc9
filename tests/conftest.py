"""Fixtures shared by every test folder. Keep it small.

The real public files and reference tables live in ``../shared`` beside the
repository and are read in place, never copied into the project. When they are
missing a test is skipped with the reason, except in CI (``CI=true``), where it
fails: a CI run must not go green by skipping the real-data checks.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.shared_data import SHARED_DIR
from tests.shared_data import require as require_shared


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository (skip, or fail in CI, when absent)."""
    return require_shared(SHARED_DIR)


@pytest.fixture(name="require_shared", scope="session")
def _require_shared_fixture() -> Callable[[str | os.PathLike], Path]:
    """:func:`require_shared` as a fixture, for test modules that cannot import conftest."""
    return require_shared


def _link_all(sources: list[Path], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for src in sources:
        (folder / src.name).symlink_to(src)


@pytest.fixture(scope="session")
def real_city_source(tmp_path_factory, shared_dir) -> Path:
    """A raw folder of links to the real City of London Police files, London LSOA 2011 and
    ward 2018 boundaries, borough boundaries and LSOA population (nothing copied)."""
    real = shared_dir / "data" / "real"
    root = tmp_path_factory.mktemp("real-city-source")
    _link_all([real / "police_uk" / "city-of-london"], root / "police_uk")
    boundaries = real / "boundaries"
    _link_all(sorted((boundaries / "statistical-gis-boundaries-london_LSOA_2011_London_gen_MHW").iterdir())
              + sorted((boundaries / "london-wards-2018-mapinfo").iterdir())
              + [boundaries / "london_boroughs.geojson"], root / "boundaries")
    _link_all([real / "population" / "london-mid2019-pop.csv"], root / "population")
    return root


def write_demo_config(root: Path, extra: str = "") -> Path:
    """A ``cdp.toml`` for a small demo build under ``root`` (seed 7, 30 months, the repo's notebooks)."""
    root.mkdir(parents=True, exist_ok=True)
    config_file = root / "cdp.toml"
    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    config_file.write_text(
        "[paths]\n"
        f'raw_dir = "raw"\nprocessed_dir = "processed"\nreports_dir = "reports"\nnotebooks_dir = "{notebooks}"\n'
        '[demo]\nseed = 7\nmonths = 30\nend_month = "2025-06"\n' + extra, encoding="utf-8")
    return config_file


def ensure_demo(config):
    """Generate ``config``'s demo data (or find it up to date), as ``cdp build`` does: the package
    itself never generates it (the demo generator is outside the core). Returns ``config``."""
    from cdp_demo.region import generate_demo

    generate_demo(config.demo_dir, seed=config.demo_seed, months=config.demo_months,
                  end_month=config.demo_end_month, areas=config.demo_areas)
    return config


@contextlib.contextmanager
def demo_config_env(root: Path, extra: str = ""):
    """Point ``CDP_CONFIG`` at a small demo build's config (kernels inherit it), its demo data
    generated; restore after."""
    from cdp_analysis.config import load_config

    old = os.environ.get("CDP_CONFIG")
    os.environ["CDP_CONFIG"] = str(write_demo_config(root, extra))
    try:
        yield ensure_demo(load_config())
    finally:
        if old is None:
            os.environ.pop("CDP_CONFIG", None)
        else:
            os.environ["CDP_CONFIG"] = old


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory):
    """The demo generated once per test process into a temporary folder (cdp.toml's seed and months)."""
    from cdp_analysis.config import load_config

    root = tmp_path_factory.mktemp("demo")
    return ensure_demo(load_config(raw_dir=root / "raw", processed_dir=root / "processed",
                                   reports_dir=root / "reports"))

"""Build one demo area end to end (papermill → nbconvert) and read the page as a user would."""

import re
from pathlib import Path

import pytest

from cdp_analysis.publishing.batch import build_chapter, rebuild_index
from tests.conftest import demo_config_env

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    with demo_config_env(tmp_path_factory.mktemp("e2e")) as config:
        result = build_chapter("Z09000001", "01_supply", config)
        rebuild_index(config, ["01_supply"])
        yield config, result


def test_chapter_builds(built):
    _, result = built
    assert result.ok, result.error


def test_page_shows_area_figures_messages_and_synthetic_notice(built):
    config, _ = built
    page = (config.reports_dir / "Z09000001" / "01_supply.html").read_text(encoding="utf-8")
    assert "Brackenmoor" in page
    images = re.findall(r"<img [^>]*>", page)
    assert len([i for i in images if 'src="data:image/png;base64,' in i]) >= 5
    alts = [re.search(r'alt="([^"]*)"', i) for i in images]
    assert all(a and len(a.group(1)) > 40 for a in alts), "every figure needs a real alt text"
    assert "Key messages" in page and "The rate of drug offences in" in page
    assert "Synthetic demonstration data" in page
    assert "Download the data behind this chart (CSV)" in page


def test_page_hides_code_and_paths(built):
    config, _ = built
    page = (config.reports_dir / "Z09000001" / "01_supply.html").read_text(encoding="utf-8")
    assert "load_context(" not in page and "import " not in page
    assert "hl-ipython3" not in page and "jp-CodeMirrorEditor" not in page  # no code cells
    assert str(config.root) not in page and str(REPO) not in page
    assert "Traceback" not in page


def test_second_build_is_skipped_as_up_to_date(built):
    config, _ = built
    again = build_chapter("Z09000001", "01_supply", config)
    assert again.ok and again.skipped


def test_index_links_the_chapter(built):
    config, _ = built
    index = (config.reports_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="Z09000001/01_supply.html"' in index


def test_failing_area_is_recorded_not_raised(built):
    config, _ = built
    # A real borough with no real data folder configured fails cleanly.
    result = build_chapter("E09000001", "01_supply", config)
    assert not result.ok and "MissingDataError" in result.error
    assert not (config.reports_dir / "E09000001" / "01_supply.html").exists()

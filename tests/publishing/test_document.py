"""One publication per area, built end to end: links resolve, the printable document holds every
chapter, the executive summary points at the sections that state its messages, the index keeps
every page on disk and separates real from synthetic areas."""

import html
import json
import re

import pytest

from cdp_analysis.cli import main
from cdp_analysis.publishing.export import check_publishable
from tests.publication import AREA, CSV_FINDINGS, MEMBER, REAL, SERIOUS, built, local_target, pages, parse, scan

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("publication")]


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    return built(tmp_path_factory.getbasetemp() / "publication")


def test_every_link_on_every_page_resolves(config):
    checked = 0
    for page in pages(config.reports_dir):
        for href in parse(page).hrefs:
            target = local_target(page, href)
            if target is None:
                continue
            path, fragment = target
            assert path.is_file(), f"{page.name}: {href} does not exist"
            if fragment:
                assert fragment in parse(path).ids, f"{page.name}: {href} has no anchor"
            checked += 1
    assert checked > 50


def test_chapter_pages_share_navigation_current_marked_and_previous_next(config):
    folder = config.reports_dir / AREA
    chapters = list(config.chapters)
    for n, chapter in enumerate(chapters):
        page = (folder / f"{chapter}.html").read_text(encoding="utf-8")
        nav = re.search(r'<nav class="cdp-nav" aria-label="Chapters">(.*?)</nav>', page, re.S).group(1)
        assert re.findall(r'href="([^"]+)"', nav)[:len(chapters)] == [f"{c}.html" for c in chapters]
        assert f'href="{chapter}.html" aria-current="page"' in nav
        before, after = chapters[n - 1] if n else None, chapters[n + 1] if n + 1 < len(chapters) else None
        assert ('rel="prev"' in page) == bool(before) and ('rel="next"' in page) == bool(after)
        assert not before or f'href="{before}.html" rel="prev"' in page
        assert not after or f'href="{after}.html" rel="next"' in page
        assert f'href="../{MEMBER}/{chapters[0]}.html"' in page  # the member that was built
        assert 'aria-label="Contents of this page"' in page
        assert "About this page" in page and 'href="../methods.html"' in page


def test_printable_document_holds_every_chapter_in_order_and_is_publishable(config):
    folder = config.reports_dir / AREA
    document = (folder / "needs_assessment.html").read_text(encoding="utf-8")
    check_publishable(document, [str(config.root)])
    positions = []
    for chapter in config.chapters:
        title = parse(folder / f"{chapter}.html").h1[0].replace("¶", "").strip()
        assert title and html.escape(title, quote=False) in document
        positions.append(document.index(f'<section class="cdp-chapter" id="{chapter}"'))
    assert positions == sorted(positions)
    assert "@media print" in document and "break-before: page" in document
    assert 'class="cdp-header"' not in document and "<h1" in document
    print(f"\nprintable document {AREA}: {len(document.encode()) / 1e6:.2f} MB")


def test_executive_summary_links_to_the_section_stating_each_message(config):
    folder = config.reports_dir / AREA
    overview = (folder / f"{config.chapters[0]}.html").read_text(encoding="utf-8")
    block = re.search(r"<!-- cdp:summary -->(.*?)<!-- /cdp:summary -->", overview, re.S).group(1)
    items = re.findall(r'<li>(.*?) <a href="([^"#]+)#([^"]+)">', block)
    assert items, "the executive summary lists no message"
    recorded = set()
    for record in (config.processed_dir / ".build").rglob(f"summary/{AREA}/*.json"):
        recorded |= {m["text"] for m in json.loads(record.read_text(encoding="utf-8"))["messages"]}
    for text, target, anchor in items:
        assert html.unescape(text) in recorded
        page = (folder / target).read_text(encoding="utf-8")
        assert f'id="{anchor}"' in page
        section = page.split(f'id="{anchor}"', 1)[1].split("<h2", 1)[0]
        if anchor != "key-messages":
            assert text in section, f"{anchor} does not state: {text}"


def test_index_separates_real_and_synthetic_and_keeps_links_after_one_chapter(config, monkeypatch, capsys):
    monkeypatch.setenv("CDP_CONFIG", str(config.source_file))
    assert main(["build", "--area", AREA, "--chapters", config.chapters[-1]]) == 0
    index = (config.reports_dir / "index.html").read_text(encoding="utf-8")
    real, synthetic = index.split('id="synthetic-areas"')
    assert REAL in real and "Not built" in real and AREA not in real
    assert AREA in synthetic and REAL not in synthetic
    for code in (AREA, MEMBER):
        for page in sorted((config.reports_dir / code).glob("*.html")):
            assert f'href="{code}/{page.name}"' in synthetic
    assert 'href="accessibility.html"' in index and 'href="methods.html"' in index


def test_published_output_scan_passes_on_the_demo_publication(config):
    """No path, traceback, record-level row or small count on any demo page (CSV downloads: next test)."""
    _, found = scan(config.reports_dir)
    assert not [f for f in found if f[0] in SERIOUS], [f for f in found if f[0] in SERIOUS][:10]


def test_published_output_scan_finds_no_small_count_in_the_demo_csv_downloads(config):
    code, found = scan(config.reports_dir)
    assert code == 0, [f for f in found if f[0] in CSV_FINDINGS][:10]


def test_printable_document_and_index_say_what_each_chapter_holds(config):
    """Every chapter and section is listed in the document with what it shows, and counted on the index."""
    records = {}
    for record in (config.processed_dir / ".build").rglob(f"summary/{AREA}/*.json"):
        records[record.stem] = json.loads(record.read_text(encoding="utf-8"))
    assert set(config.chapters) <= set(records)
    document = (config.reports_dir / AREA / "needs_assessment.html").read_text(encoding="utf-8")
    holds = document.split("What this document holds", 1)[1].split("</section>", 1)[0]
    index = (config.reports_dir / "index.html").read_text(encoding="utf-8")
    for chapter in config.chapters:
        sections = records[chapter]["sections"]
        assert sections, chapter
        for section in sections:
            assert html.escape(section["title"]) in holds
            if section["status"] != "covered":
                assert html.escape(section["note"]) in holds
        shown = sum(s["status"] == "covered" for s in sections)
        assert f"{shown} of {len(sections)} sections shown" in index

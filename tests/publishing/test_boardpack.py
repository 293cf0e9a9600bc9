"""The board pack of the demo borough, built end to end: the A4 PDF, the one-page board summary
and the Excel data pack (see tests/publication.py for the build)."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess

import pandas as pd
import pytest

from cdp_analysis.publishing import pdf
from cdp_analysis.publishing.boardsummary import SUMMARY_NAME
from cdp_analysis.publishing.datapack import datapack_name
from cdp_analysis.stats.sdc import get_policy
from tests.publication import MEMBER
from tests.publishing.test_pdf import pdf_pages

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("boardpack")]
openpyxl = pytest.importorskip("openpyxl")


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    """The demo borough, every chapter, built by the batch with ``[publish] pdf = true``."""
    from cdp_analysis.publishing.batch import run_batch
    from tests.conftest import demo_config_env

    chapters = '["00_outcomes_overview", "01_supply", "02_treatment_recovery", "03_demand"]'
    with demo_config_env(tmp_path_factory.mktemp("boardpack"),
                         f"[build]\nchapters = {chapters}\n[publish]\npdf = true\n") as config:
        assert config.publish_pdf
        results = run_batch([MEMBER], config)
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    return config


@pytest.fixture(scope="module")
def folder(config):
    return config.reports_dir / MEMBER


def _pdf_text(path, first: int, last: int) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is needed to read the PDF back")
    return subprocess.run(["pdftotext", "-layout", "-f", str(first), "-l", str(last), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def test_borough_pdf_is_at_most_40_pages(folder):
    assert len(pdf_pages(folder / pdf.PDF_NAME)) <= pdf.MAX_PAGES


def test_borough_pdf_is_a4_and_nothing_crosses_the_page_edge(folder):
    path = folder / pdf.PDF_NAME
    sizes = pdf_pages(path)
    assert 5 <= len(sizes) <= 60
    # portrait A4, or A4 turned for wide tables (210 x 297 mm within a point)
    assert all(sorted((round(w), round(h))) == [595, 842] for w, h in sizes), sizes
    # the same document laid out again: every table, cell, figure and image inside its page's content box
    document = (folder / "needs_assessment.html").read_text(encoding="utf-8")
    laid_out = pdf.render(pdf.print_html(document, pdf.CoverFacts("Brackenmoor", MEMBER, "2026-01-01", "0")))
    assert pdf.layout_problems(laid_out) == []
    boxes = sum(1 for page in laid_out.pages for box in pdf._boxes(page._page_box)
                if getattr(box, "element_tag", None) in ("table", "img"))
    assert boxes >= 20  # the check saw the pages' tables and charts


def test_pdf_has_cover_board_summary_contents_with_true_page_numbers_and_running_headers(folder):
    path = folder / pdf.PDF_NAME
    pages = len(pdf_pages(path))
    cover, board, contents = (_pdf_text(path, n, n) for n in (1, 2, 3))
    assert "Combating drugs needs assessment" in cover and "Brackenmoor" in cover
    assert "Brackenmoor and Castlewick CDP" in cover and re.search(r"\d{4}-\d\d-\d\d", cover)
    assert "Version" in cover and "Synthetic demonstration data" in cover
    assert "Board summary: Brackenmoor" in board and "Headline outcomes" in board and "Data gaps" in board
    assert "Contents" in contents and "Data gaps" not in contents  # the board summary kept to its one page
    # every chapter's contents entry names the page its title is on (read back from the PDF's text)
    entries = re.findall(r"^\s*(Break drug supply chains|Outcomes overview|Achieve a generational shift[^.]*?)"
                         r"\s*\.{3,}\s*(\d+)\s*$", contents, re.M)
    assert len(entries) >= 3, contents
    for title, number in entries:
        text = _pdf_text(path, int(number), int(number))
        assert title.strip() in text, f"{title!r} is not on page {number}"
    middle = _pdf_text(path, 6, 6)
    assert "Combating drugs needs assessment: Brackenmoor" in middle and f"Page 6 of {pages}" in middle
    assert "(https://" not in _pdf_text(path, 4, pages)  # no printed link URL widens a column


def test_board_summary_page_shows_headline_rag_and_trend_five_findings_gaps_dates(folder, config):
    page = (folder / SUMMARY_NAME).read_text(encoding="utf-8")
    table = re.search(r'<table class="cdp-table cdp-board-table">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r"<tr><td>(.*?)</tr>", table, re.S)
    assert rows
    for row in rows:  # each comparison written in words on its Fingertips colour, with a trend
        compared = re.search(r'class="cdp-rag" style="background:([^;]+);[^"]*">([^<]+)</td>', row)
        assert compared and compared.group(2) in ("Better", "Similar", "Worse", "Higher", "Lower", "Not compared")
        assert re.search(r"</td><td>(No significant change|Increasing|Decreasing|Cannot be calculated)[^<]*</td>$",
                         row)
    findings = re.search(r"The five most important findings</h2><ol>(.*?)</ol>", page, re.S).group(1)
    assert 1 <= findings.count("<li>") <= 5
    assert "Data gaps</h2>" in page and "<strong>Dates.</strong> Built" in page
    overview = (folder / "00_outcomes_overview.html").read_text(encoding="utf-8")
    for match in re.finditer(r'href="([0-9]{2}_[a-z_]+)\.html#([^"]+)"', findings):
        target = (folder / f"{match[1]}.html").read_text(encoding="utf-8")
        assert f'id="{match[2]}"' in target
    # the headline values are the overview table's values for the same indicator
    for row in rows[:3]:
        name = re.match(r"([^<]+)<br>", row).group(1)
        value = re.findall(r"<td>([\d,.]+)</td>", row)[0]
        # the overview's indicator cell: the name, then its unit in small type under it
        tr = re.search(re.escape(name) + r"</a>(<br/><small>[^<]*</small>)?</td>.*?</tr>", overview, re.S).group(0)
        assert f"<td>{value}</td>" in tr
    index = (config.reports_dir / "index.html").read_text(encoding="utf-8")
    for name in (SUMMARY_NAME, pdf.PDF_NAME, datapack_name(MEMBER)):
        assert f'href="{MEMBER}/{name}"' in index


def _board(page: str) -> str:
    return re.search(r'<div class="cdp-board">.*?</div>(?=</section>|<p class="cdp-noprint">)', page, re.S).group(0)


def test_printable_document_opens_with_the_same_board_summary_its_findings_linked_inside(folder):
    """needs_assessment.html starts with the board summary (before its contents and chapters), the same
    markup as summary.html but one heading level down and its findings linked to sections of the document."""
    document = (folder / "needs_assessment.html").read_text(encoding="utf-8")
    page = (folder / SUMMARY_NAME).read_text(encoding="utf-8")
    front = re.search(r'<section class="cdp-doc-board" aria-label="Board summary">(.*?)</section>', document,
                      re.S)
    assert front and front.start() < document.index('class="cdp-doc-contents"') < document.index(
        'class="cdp-chapter"')
    inside, alone = _board(front.group(0) + "</section>"), _board(page)

    def same(text: str) -> str:  # heading levels and link targets apart
        text = re.sub(r"<(/?)h[1-4]\b", r"<\1h", text)
        return re.sub(r'href="[^"]*"', "href", text)

    assert same(inside) == same(alone)
    assert "<h2 id=\"board-summary\">" in inside and "<h3 id=\"board-findings\">" in inside
    ids = set(re.findall(r'id="([^"]+)"', document))
    targets = re.findall(r'href="#([^"]+)"', inside)
    assert len(targets) == len(re.findall(r'href="[0-9]{2}_[a-z_]+\.html#', alone)) >= 1
    assert all(target in ids for target in targets), [t for t in targets if t not in ids]
    assert document.count("Board summary: Brackenmoor") == 1
    # one synthetic notice at the top of the document (the board summary's), then one under each chapter's title
    top = document[:document.index('class="cdp-chapter"')]
    assert top.count('class="cdp-synthetic"') == 1


def _sheets(path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_data_pack_has_about_and_a_sheet_per_section_and_no_suppressed_value(folder, config):
    sheets = _sheets(folder / datapack_name(MEMBER))
    assert list(sheets)[0] == "About" and len(sheets) >= 20  # the sections of four chapters
    about = {row[0]: row for row in sheets["About"] if row and row[0]}
    for key in ("Disclosure rule", "Rounding", "Method", "Source"):
        assert key in about
    assert about["Source"][:6] == ("Source", "Publisher", "Release date", "Period", "Files", "Licence")
    assert "street_crime" in about and "Open Government Licence" in about["street_crime"][5]
    policy = get_policy(config.disclosure_policy)
    hidden = range(policy.smallest_suppressed, policy.largest_suppressed + 1)
    counted = 0
    for name, rows in list(sheets.items())[1:]:
        header = None
        for row in rows:
            if not row or all(v is None for v in row):
                header = None  # frames are separated by a blank row, then their name, then their header
            elif all(isinstance(v, str) for v in row if v is not None) and len([v for v in row if v]) > 1:
                header = row
            elif header is not None:
                for column, value in zip(header, row):
                    if _is_count(column) and isinstance(value, (int, float)):
                        counted += 1
                        assert value == 0 or value not in hidden, \
                            f"{name}: {column} = {value}, a count the pages suppress"
    assert counted > 100


def _is_count(column) -> bool:
    """A column of counts of people or events (not a rate, share, change, interval or denominator)."""
    name = str(column).lower()
    counts = ("count", "offences", "searches", "numerator", "number", "households", "children", "people",
              "adults", "crimes", "in treatment", "new presentations")
    others = ("rate", "%", "per ", "ci", "percent", "proportion", "share", "change", "residents", "population",
              "denominator", "expected", "estimate", "ratio", "rank", "decile", "quintile")
    return any(w in name for w in counts) and not any(w in name for w in others)


def test_data_pack_holds_the_pages_csv_downloads_rounded_as_shown(folder):
    """Each chart's CSV download (the published frame) is in the pack, rounded to 1 decimal place."""
    sheets = _sheets(folder / datapack_name(MEMBER))
    cells = {v for rows in sheets.values() for row in rows for v in row if isinstance(v, (int, float))}
    page = (folder / "01_supply.html").read_text(encoding="utf-8")
    downloads = re.findall(r'href="data:text/csv;base64,([^"]+)"', page)
    assert downloads
    checked = 0
    for payload in downloads:
        frame = pd.read_csv(io.StringIO(base64.b64decode(payload).decode("utf-8")))
        for column in frame.select_dtypes("number").columns:
            for value in frame[column].dropna():
                expected = round(float(value), 1) if abs(float(value)) > 1 else round(float(value), 3)
                if float(value) == int(value):
                    expected = int(value)
                assert expected in cells or round(float(value)) in cells, (column, value)
                checked += 1
    assert checked > 100

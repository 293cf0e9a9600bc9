"""The PDF's print version and its layout check, on small documents made here (no build)."""

from __future__ import annotations

import re

import pytest

from cdp_analysis.config import load_config
from cdp_analysis.errors import ConfigError
from cdp_analysis.publishing import pdf

pytest.importorskip("weasyprint")

COVER = pdf.CoverFacts("Fenwick", "Z09000002", "2026-12-07", "9.9", synthetic=True,
                       partnerships=["Fen CDP"], periods=[("street crime (months held)", "Jan 2024 to Dec 2025")])


def _document(chapter_body: str, footer: str = "", board: str = "") -> str:
    """A document shaped as ``document.write_document`` writes it, with one chapter (and a board summary)."""
    front = f'<section class="cdp-doc-board" aria-label="Board summary">{board}</section>' if board else ""
    return ('<!DOCTYPE html><html lang="en"><head><style>body{}</style></head><body class="cdp-report">'
            f'<main id="main"><h1>Combating drugs needs assessment: Fenwick</h1>{front}'
            '<nav class="cdp-doc-contents"><ol><li>x</li></ol></nav>'
            f'<section class="cdp-chapter" id="01_supply">{chapter_body}</section></main>'
            f'<footer class="cdp-footer">{footer}</footer></body></html>')


def _cell(inner: str) -> str:
    return f'<div class="jp-Cell jp-MarkdownCell">{inner}</div>'


def _table(rows: int, columns: int, text: str = "12.5") -> str:
    head = "".join(f'<th scope="col">Column {c}</th>' for c in range(columns))
    body = "".join("<tr>" + "".join(f"<td>{text}</td>" for _ in range(columns)) + "</tr>" for _ in range(rows))
    return f'<table class="cdp-table"><caption>T {rows}x{columns}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _text(laid_out) -> str:
    """The text WeasyPrint laid out, page after page (pseudo-element content included)."""
    words = []
    for page in laid_out.pages:
        for box in pdf._boxes(page._page_box):
            text = getattr(box, "text", None)
            if isinstance(text, str):
                words.append(text)
    return "".join(words)


def test_layout_check_finds_a_table_wider_than_the_page_and_passes_a_wrapped_one():
    wide = '<table style="width:400mm"><tr><td>too wide</td></tr></table>'
    problems = pdf.layout_problems(pdf.render(f"<html><body>{wide}</body></html>"))
    assert problems and "<table>" in problems[0]
    fitted = pdf.print_html(_document(_cell('<h2 id="01_supply-s">Supply</h2>') + _table(5, 8, "a long cell text")), COVER)
    assert pdf.layout_problems(pdf.render(fitted)) == []


def test_print_html_has_cover_contents_with_page_numbers_and_moves_reference_material_to_appendices():
    body = (_cell('<h2 id="01_supply-Break">Break supply ¶</h2>')
            + _cell('<h3 id="01_supply-where">Where crime happens</h3>') + _table(30, 4) + _table(3, 12) + _table(3, 15)
            + _cell('<h3 id="01_supply-about-the-data">About the data</h3>')
            + '<div class="jp-Cell"><div class="cdp-caveat">Police data caveat.</div></div>')
    footer = ('<section class="cdp-about"><h2 id="about-this-page">About this page</h2>'
              '<a href="https://example.org/x">link</a></section>')
    printable = pdf.print_html(_document(body, footer, '<h2 id="board-summary">Board summary: Fenwick</h2>'), COVER)
    laid_out = pdf.render(printable)
    anchors = [set(page.anchors) for page in laid_out.pages]
    cover_page = next(i for i, a in enumerate(anchors) if "pdf-contents" in a)
    assert cover_page == 2  # cover, board summary, contents
    # the board summary is the document's own front section, moved after the cover (printed once)
    assert "board-summary" in anchors[1] and printable.count("Board summary: Fenwick") == 1
    assert 'class="cdp-doc-board"' not in printable
    assert "Fen CDP" in printable and "Jan 2024 to Dec 2025" in printable and "9.9" in printable
    # the 30-row table went to the appendix (page named in the chapter); the 12-column one prints in smaller
    # type on a portrait page, the 15-column one on a landscape page
    assert re.search(r'<div class="pdf-dense"><table[^>]*><caption>T 3x12<', printable)
    assert re.search(r'<div class="pdf-wide"><table[^>]*><caption>T 3x15<', printable)
    assert "T 30x4: 30 rows, in the appendix" in printable
    moved = next(i for i, a in enumerate(anchors) if "pdf-moved-01_supply-0" in a)
    appendix = next(i for i, a in enumerate(anchors) if "appendix-about" in a)
    assert moved >= appendix > next(i for i, a in enumerate(anchors) if "01_supply-where" in a)
    assert re.search(rf"T 30x4: 30 rows, in the appendix \(page {moved + 1}\) and the data pack", _text(laid_out))
    wide_pages = [i for i, page in enumerate(laid_out.pages) if page.width > page.height]
    assert len(wide_pages) == 1
    assert all(round(min(p.width, p.height)) == round(210 / 25.4 * 96) for p in laid_out.pages)  # A4, CSS px
    assert "¶" not in printable.split("</nav>")[0].split('class="pdf-toc"')[-1]
    assert pdf.layout_problems(laid_out) == []


def pdf_pages(path) -> list[tuple[float, float]]:
    """(width, height) in points of every page, read by poppler's pdfinfo (independent of WeasyPrint)."""
    import os
    import shutil
    import subprocess

    if not shutil.which("pdfinfo"):
        message = "pdfinfo (Debian's poppler-utils) is needed to read the PDF back; `make test-deps` installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    out = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(path)], capture_output=True, text=True,
                         check=True).stdout
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", out, re.M)
    assert int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1)) == len(sizes)
    return [(float(w), float(h)) for w, h in sizes]


def test_pdf_file_is_a4_and_counts_its_pages(tmp_path):
    document = _document(_cell('<h2 id="01_supply-s">Supply</h2>') + "<p>Words.</p>")
    path, laid_out = pdf.write_pdf(tmp_path, document, COVER)
    sizes = pdf_pages(path)
    assert len(sizes) == len(laid_out.pages) == 3  # cover, contents, chapter
    assert {(round(w / 72 * 25.4), round(h / 72 * 25.4)) for w, h in sizes} == {(210, 297)}


def test_publish_pdf_setting_must_be_true_or_false(tmp_path):
    config = tmp_path / "cdp.toml"
    config.write_text('[publish]\npdf = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[publish\] pdf = 'yes'.*true or false"):
        load_config(config)
    config.write_text("[publish]\npdf = true\n", encoding="utf-8")
    assert load_config(config).publish_pdf is True
    config.write_text("[paths]\n", encoding="utf-8")
    assert load_config(config).publish_pdf is False


def _png(width: int, height: int) -> str:
    """A blank PNG of that size as a data URI (its header is all the print version reads)."""
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _figure(width: int, height: int, title: str) -> str:
    return (f'<figure class="cdp-figure"><img alt="{title}" src="{_png(width, height)}">'
            f"<figcaption><strong>{title}</strong>. Source: here.</figcaption></figure>")


def test_print_sizes_charts_by_their_shape_and_sends_one_too_tall_to_read_to_the_web_page():
    # 800 x 260 (three bars): two thirds of the width; 800 x 860 (a bar per category): beside the words;
    # 800 x 2320 (a column of small multiples): at A4 it would be a strip 30 mm wide, so it stays on the web page
    body = (_cell('<h2 id="01_supply-s">Supply</h2>') + _figure(800, 260, "Short") + _figure(800, 400, "Usual")
            + _figure(800, 860, "Tall") + _figure(800, 2320, "Strip"))
    printable = pdf.print_html(_document(body), COVER)
    classes = dict(re.findall(r'<figure class="([^"]+)"><img alt="(\w+)"', printable)[i][::-1] for i in range(3))
    assert classes == {"Short": "cdp-figure pdf-short", "Usual": "cdp-figure", "Tall": "cdp-figure pdf-tall"}
    assert 'alt="Strip"' not in printable
    assert "The chart “Strip” is on the web page: too tall to read at A4 size. The data pack holds its data." in printable
    laid_out = pdf.render(printable)
    assert pdf.layout_problems(laid_out) == []
    widths = {}
    for page in laid_out.pages:
        for box in pdf._boxes(page._page_box):
            if getattr(box, "element_tag", None) == "img":
                widths[box.element.get("alt")] = box.border_width()
    content = laid_out.pages[-1]._page_box.width  # the page's content box width
    assert widths["Short"] == pytest.approx(0.66 * content, rel=0.02)
    assert widths["Tall"] < 0.5 * content


def test_print_prints_a_repeated_method_note_and_a_repeated_table_once_pointing_to_the_first():
    note = ("Each headline indicator's latest period in this edition is compared with the latest period the earlier "
            "edition held that covers the same months of the year and is as long, every month held; a change is "
            "significant when the two intervals do not overlap.")
    table = _table(4, 3, "same row")
    first = _cell('<h2 id="01_supply-s">Supply</h2>') + f"<p>{note}</p>" + table
    second = _cell('<h3 id="01_supply-t">Later</h3>') + f"<p>{note}</p>" + table.replace("T 4x3", "T again")
    printable = pdf.print_html(_document(first + second), COVER)
    assert printable.count(note) == 1 and printable.count("same row") == 4 * 3
    assert re.search(r'<p class="pdf-seen">Each headline indicator\'s latest period in this edition is compared with '
                     r'the latest period the earlier edition held that covers the same months of the year and is as '
                     r'long, every month held; a change is significant when the two intervals do not overlap: '
                     r'<a href="#(pdf-note-[^"]+)">in full on page </a>.</p>', printable) is None  # too long a lead
    pointer = re.search(r'<p class="pdf-seen">The same note as <a href="#([^"]+)">on page </a>.</p>', printable)
    assert pointer and f'id="{pointer.group(1)}">{note}' in printable
    rows = re.search(r'<p class="pdf-seen">T again: its 4 rows are all in the table <a href="#([^"]+)">on page </a>',
                     printable)
    assert rows and re.search(rf'<table class="cdp-table" id="{rows.group(1)}"><caption>T 4x3<', printable)
    text = _text(pdf.render(printable))
    assert re.search(r"The same note as on page \d+\.", text) and re.search(r"all in the table on page \d+", text)


def test_print_of_synthetic_data_says_so_on_the_cover_and_every_page_footer_not_in_every_chapter_box():
    board = ('<h2 id="board-summary">Board summary: Fenwick</h2><p class="cdp-synthetic" role="note"><strong>'
             "Synthetic demonstration data.</strong> This describes a fictional area.</p>")
    body = (_cell('<h2 id="01_supply-s">Supply</h2><p class="cdp-synthetic" role="note"><strong>Synthetic '
                  'demonstration data.</strong> Every figure on this page is fictional.</p>')
            + _table(2, 2).replace("</caption>", " Synthetic demonstration data.</caption>")
            + '<p class="cdp-synthetic-inline">Synthetic demonstration data: these messages are fictional.</p>'
            + "<p><em>Synthetic demonstration data: these messages describe fictional areas.</em></p>"
            + _table(30, 2).replace("</caption>", " Synthetic demonstration data.</caption>"))
    printable = pdf.print_html(_document(body, board=board), COVER)
    assert printable.count('class="cdp-synthetic"') == 1  # the cover's
    assert "<caption>T 2x2</caption>" in printable and "these messages are fictional" not in printable
    assert "describe fictional areas" not in printable
    assert "<caption>T 30x2</caption>" in printable  # the long table the appendix holds, too
    laid_out = pdf.render(printable)
    pages = len(laid_out.pages)
    text = _text(laid_out)
    assert text.count("Synthetic demonstration data") == 1 + pages  # the cover's notice and each page's footer
    real = pdf.print_html(_document(body, board=board), pdf.CoverFacts("Fenwick", "E06000001", "2026-12-07", "9.9"))
    assert real.count('class="cdp-synthetic"') == 2  # a real area's print keeps what its pages say
    assert "describe fictional areas" in real

"""Strings from data and configuration never become live HTML, Markdown or spreadsheet formulas.

An area name (from a user ``areas.csv``) and an indicator name (from a Fingertips
row) carrying markup go through the whole pipeline; the pages, their CSV downloads
and the index are parsed as a browser and a spreadsheet would read them.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from IPython.display import Markdown

from cdp_analysis.publishing.export import IndexEntry, export_html, write_index
from cdp_analysis.report import render
from cdp_analysis.report.narrative import KeyMessage, escape_markdown, to_markdown
from cdp_analysis.report.section import Section
from tests.shared_data import REPO

EVIL_AREA = 'Elms<img src=x onerror=alert(2)>worth <script>alert(1)</script>'
EVIL_INDICATOR = "<img src=y onerror=alert(3)>*Opiate* [link](javascript:alert(4)) $x$"
FORMULA = '=HYPERLINK("http://evil.example","x")'


class _Page(HTMLParser):
    """Collects what a browser would make live: tags, ``on…`` attributes, scripts, text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.handlers += [(tag, k) for k, _ in attrs if k.lower().startswith("on")]
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag == "img":
            self.images.append(values.get("src") or "")
        if tag == "a":
            self.links.append(values.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        self.text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def _assert_inert(page: str, *, expected_text: tuple[str, ...] = ()) -> _Page:
    parsed = _parse(page)
    assert parsed.handlers == [], f"live event handlers: {parsed.handlers[:5]}"
    assert not any("alert" in s for s in parsed.scripts), "a script from the data is live"
    assert all(src.startswith("data:image/png;base64,") for src in parsed.images), parsed.images
    assert not any(h.lower().startswith("javascript:") for h in parsed.links)
    text = " ".join(" ".join(parsed.text).split())
    for wanted in expected_text:  # shown as written, not dropped
        assert " ".join(wanted.split()) in text, wanted
    return parsed


def _csv_downloads(page: str) -> list[list[list[str]]]:
    payloads = re.findall(r'href="data:text/csv;base64,([^"]+)"', page)
    return [list(csv.reader(io.StringIO(base64.b64decode(p).decode("utf-8")))) for p in payloads]


def _assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@"):
                float(cell)  # only a signed number may start so; anything else is a formula


# --------------------------------------------------------------------------- unit level
def test_markdown_key_messages_render_as_the_text_written():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    texts = [EVIL_AREA, EVIL_INDICATOR, "# not a heading", "1. not a list", "- not a list",
             "see http://evil.example/x", "a \\begin{equation}x\\end{equation} b", "&lt;b&gt;"]
    for text in texts:
        page = markdown2html_mistune(to_markdown([KeyMessage(text, recommendation=text, theme=text)]))
        parsed = _parse(page)
        assert parsed.handlers == [] and parsed.scripts == [] and parsed.images == [] and parsed.links == []
        items = re.findall(r"<li>(.*?)</li>", page, re.S)
        shown = [re.sub(r"<[^>]+>", "", item) for item in items]
        from html import unescape
        assert unescape(shown[0]) == text
        assert unescape(shown[1]) == f"{text} ({text})"  # recommendation, then its theme


def test_escape_markdown_keeps_ordinary_sentences_readable():
    sentence = "Brackenmoor drug offence rate was 2.0 per 1,000 residents (2024)."
    assert escape_markdown(sentence) == sentence


def test_csv_download_neutralises_formulas_but_keeps_numbers():
    frame = pd.DataFrame({"ward": [FORMULA, "+1-2", "@SUM(A1)", "-cmd", "Elm"],
                          "count": [-3, 4, 5, 6, 7], "rate": [-0.5, 1.0, 2.0, 3.0, 4.0]})
    chart_rows = list(csv.reader(io.StringIO(render.safe_csv(frame))))
    _assert_no_formula(chart_rows)
    assert [r[0] for r in chart_rows[1:]] == ["'" + FORMULA, "'+1-2", "'@SUM(A1)", "'-cmd", "Elm"]
    assert [r[1] for r in chart_rows[1:]] == ["-3", "4", "5", "6", "7"]  # numbers untouched


def test_sections_banner_and_messages_export_with_no_live_element():
    messages = [KeyMessage(f"{EVIL_AREA} drug offence rate was 2.0.", f"Review {EVIL_INDICATOR}.", EVIL_AREA)]
    section = Section("Rates", [render.table_html(pd.DataFrame({"Ward": [EVIL_AREA], "Rate": [1.0]}),
                                                  f"Rates, {EVIL_AREA}")], messages)
    outputs = [render.banner(False, EVIL_AREA, "Break drug supply chains"),
               Markdown(to_markdown(messages)), render.show_section(section), render.caveat(EVIL_INDICATOR)]
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("display(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={mime: o.data})
                    for o in outputs for mime in ["text/markdown" if isinstance(o, Markdown) else "text/html"]]
    nb.cells = [cell]
    page = export_html(nb, title=f"Break drug supply chains: {EVIL_AREA}")
    _assert_inert(page, expected_text=(EVIL_AREA, f"Review {EVIL_INDICATOR}."))


def test_index_escapes_names_codes_and_failure_messages(tmp_path):
    entries = [IndexEntry('X<b onmouseover="x()">', EVIL_AREA, "cdp", False,
                          {"01_supply": "ok", "00_outcomes_overview": f"DataFormatError: {EVIL_INDICATOR}"})]
    page = write_index(tmp_path, entries, ["00_outcomes_overview", "01_supply"]).read_text(encoding="utf-8")
    _assert_inert(page, expected_text=(EVIL_AREA, EVIL_INDICATOR))


# --------------------------------------------------------------------------- whole build
@pytest.fixture(scope="module")
def evil_build(tmp_path_factory):
    from cdp_analysis.config import load_config
    from cdp_analysis.publishing.batch import build_chapter, rebuild_index
    from cdp_demo.region import generate_demo

    root = tmp_path_factory.mktemp("escaping")
    settings = {"raw_dir": "raw", "processed_dir": "processed", "reports_dir": "reports",
                "notebooks_dir": str(REPO / "notebooks")}
    (root / "cdp.toml").write_text("[paths]\n" + "".join(f'{k} = "{v}"\n' for k, v in settings.items())
                                   + '[demo]\nseed = 7\nmonths = 30\nend_month = "2025-06"\n', encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDP_CONFIG", str(root / "cdp.toml"))  # inherited by the papermill kernel
        config = load_config()
        generate_demo(config.demo_dir, seed=7, months=30, end_month="2025-06")
        # A user areas file: a demo-style CDP whose name carries markup and a formula.
        (config.raw_dir / "areas.csv").write_text(
            "code,name,type,parent,members,comparators\n"
            f'Z95000009,"{FORMULA.replace(chr(34), chr(34) * 2)} {EVIL_AREA}",cdp,Z12000001,'
            "Z09000001;Z09000002,\n", encoding="utf-8")
        data, original = _data_with_markup_in_an_indicator_name(config.demo_dir, root / "evil-data")
        results = {ch: build_chapter("Z95000009", ch, config, data_dir=str(data))
                   for ch in ("00_outcomes_overview", "01_supply")}
        rebuild_index(config, list(results))
        yield config, results, original


def _data_with_markup_in_an_indicator_name(demo: Path, data: Path) -> tuple[Path, str]:
    """The demo files, with markup in one Fingertips indicator's name; that name before."""
    shutil.copytree(demo, data, ignore=shutil.ignore_patterns("manifest.json"))
    export = data / "fingertips" / "demo-indicators.csv"
    with export.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    name_col = rows[0].index("Indicator Name")
    original = rows[1][name_col]
    for row in rows[1:]:
        if row[name_col] == original:
            row[name_col] = f"{original} {EVIL_INDICATOR}"
    with export.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return data, original


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
@pytest.mark.parametrize("chapter", ["00_outcomes_overview", "01_supply"])
def test_built_pages_have_no_live_element_from_the_data(evil_build, chapter):
    config, results, _ = evil_build
    assert results[chapter].ok, results[chapter].error
    page = (config.reports_dir / "Z95000009" / f"{chapter}.html").read_text(encoding="utf-8")
    _assert_inert(page, expected_text=(EVIL_AREA,))
    for rows in _csv_downloads(page):
        _assert_no_formula(rows)


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_indicator_name_with_markup_reaches_the_build_inert(evil_build):
    config, _, original = evil_build
    tables = list(config.processed_dir.rglob("indicators.parquet"))
    names = set(pd.concat([pd.read_parquet(t, columns=["indicator_name"]) for t in tables])["indicator_name"])
    assert f"{original} {EVIL_INDICATOR}" in names  # the markup went through prepare
    for chapter in ("00_outcomes_overview", "01_supply"):
        page = (config.reports_dir / "Z95000009" / f"{chapter}.html").read_text(encoding="utf-8")
        _assert_inert(page)
        assert "alert(3)" not in "".join(_parse(page).images)


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_index_of_the_build_is_inert(evil_build):
    config, _, _ = evil_build
    _assert_inert((config.reports_dir / "index.html").read_text(encoding="utf-8"), expected_text=(EVIL_AREA,))

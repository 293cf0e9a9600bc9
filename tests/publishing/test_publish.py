"""HTML export: code hidden, accessible template, no local paths, atomic writes, index."""


import re

import nbformat
import pytest

from cdp_analysis.errors import BuildError
from cdp_analysis.publishing.export import IndexEntry, atomic_write_text, check_publishable, export_html, write_index


def _executed_notebook(text_output: str = "<p>Hello figure</p>"):
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("secret_code_here = 1\ndisplay(HTML('x'))")
    code.outputs = [nbformat.v4.new_output("display_data", data={"text/html": text_output})]
    hidden = nbformat.v4.new_code_cell("setup_only = True", metadata={"tags": ["remove_cell"]})
    hidden.outputs = [nbformat.v4.new_output("stream", name="stdout", text="HIDDEN OUTPUT")]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), code, hidden]
    return nb


def test_export_hides_code_and_tagged_cells_and_sets_language_and_title():
    page = export_html(_executed_notebook(), title="Break drug supply chains: Barnet")
    assert "Hello figure" in page
    assert "secret_code_here" not in page and "HIDDEN OUTPUT" not in page
    assert '<html lang="en">' in page
    assert "<title>Break drug supply chains: Barnet</title>" in page
    assert "require.js" not in page and "mathjax" not in page.lower()
    assert 'href="#main"' in page and "Skip to content" in page


def test_refuses_local_paths_and_tracebacks():
    with pytest.raises(BuildError, match="local path"):
        check_publishable("<p>/home/analyst/project/data</p>", ["/home/analyst/project"])
    with pytest.raises(BuildError, match="error"):
        check_publishable("<pre>Traceback (most recent call last):</pre>")
    check_publishable("<p>fine</p>", ["/home/analyst/project"])


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "page.html"
    atomic_write_text(target, "old")

    class Boom(Exception):
        pass

    def fail(*_args, **_kwargs):
        raise Boom

    monkeypatch.setattr("os.replace", fail)
    with pytest.raises(Boom):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_index_links_chapters_and_names_failures(tmp_path):
    entries = [
        IndexEntry("Z95000001", "Brackenmoor and Castlewick CDP", "cdp", True, {"01_supply": "ok"}),
        IndexEntry("E09000001", "City of London", "utla", False, {"01_supply": "MissingDataError: no LSOAs"}),
    ]
    page = write_index(tmp_path, entries, ["01_supply"]).read_text(encoding="utf-8")
    assert 'href="Z95000001/01_supply.html"' in page
    assert "Not built: MissingDataError: no LSOAs" in page
    assert "Synthetic demonstration data" in page
    assert page.index("City of London") < page.index("Brackenmoor")  # real areas first


def test_table_formats_numpy_numbers_and_marks_suppressed_cells():
    import numpy as np
    import pandas as pd

    from cdp_analysis.report.render import table_html

    table = pd.DataFrame({"Ward": ["A", "B"], "Count": [np.int64(2367), np.nan], "Rate": [1.23456, np.nan]})
    page = table_html(table, "Caption", formats={"Count": ",.0f", "Rate": ".2f"}, suppressed_cols=("Count", "Rate"))
    assert "<td>2,367</td>" in page and "<td>1.23</td>" in page
    assert page.count("<td>*</td>") == 2
    assert "<caption>Caption</caption>" in page and 'scope="col"' in page


def test_only_rows_hidden_by_disclosure_control_show_a_star():
    import numpy as np
    import pandas as pd

    from cdp_analysis.report.render import table_html

    table = pd.DataFrame({"Group": ["A", "B"], "Ratio": [np.nan, np.nan]})
    page = table_html(table, "c", suppressed_cols=("Ratio",), suppressed_rows=[True, False])
    assert page.count("<td>*</td>") == 1 and page.count("<td>–</td>") == 1


def test_index_never_shows_a_local_path_from_an_error(tmp_path):
    entry = IndexEntry("E09000003", "Barnet", "utla", False,
                       {"01_supply": "MissingDataError: put the files in /home/ana/cdp/data/raw/real or pass data_dir"})
    page = write_index(tmp_path, [entry], ["01_supply"]).read_text(encoding="utf-8")
    assert "/home/ana" not in page and "…/real" in page


def test_log_lines_on_stderr_never_reach_the_page():
    nb = _executed_notebook()
    nb.cells[1].outputs.append(nbformat.v4.new_output("stream", name="stderr", text="WARNING prepare: /home/x/y"))
    page = export_html(nb, title="t")
    assert "WARNING prepare" not in page and "Hello figure" in page


# --------------------------------------------------------------------------- build status
def _config(tmp_path):
    from cdp_analysis.config import Config

    (tmp_path / "notebooks").mkdir(exist_ok=True)
    (tmp_path / "notebooks" / "01_supply.ipynb").write_text("{}", encoding="utf-8")
    return Config(root=tmp_path, raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed",
                  reports_dir=tmp_path / "reports", notebooks_dir=tmp_path / "notebooks")


def _status_writer(config, chapter_prefix: str, count: int) -> None:
    from cdp_analysis.publishing import batch

    for k in range(count):
        batch._write_status(config, "Z09000001", f"{chapter_prefix}-{k}", {"ok": True, "n": k})


def test_two_processes_writing_status_lose_no_update(tmp_path):
    import multiprocessing

    from cdp_analysis.publishing import batch

    config = _config(tmp_path)
    count = 150
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_status_writer, args=(config, name, count)) for name in ("a", "b")]
    for w in writers:
        w.start()
    _status_writer(config, "c", count)  # and a thread of this process, at the same time
    for w in writers:
        w.join(60)
        assert w.exitcode == 0
    status = batch._read_status(config, "Z09000001")
    expected = {f"{p}-{k}" for p in "abc" for k in range(count)}
    assert set(status) == expected, f"{len(expected - set(status))} updates lost"


def test_status_never_lives_under_reports(tmp_path):
    from cdp_analysis.publishing import batch

    config = _config(tmp_path)
    legacy = config.reports_dir / "Z09000001" / "build.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text('{"01_supply": {"ok": false, "error": "in /home/ana/cdp/x/y"}}', encoding="utf-8")
    batch._write_status(config, "Z09000001", "01_supply", {"ok": False, "error": f"in {tmp_path}/raw/real"})
    assert not legacy.exists()
    assert not any(config.reports_dir.rglob("*.json"))
    assert batch._read_status(config, "Z09000001")["01_supply"]["ok"] is False


def test_failed_chapter_withdraws_its_old_page_consistently_with_the_index(tmp_path, monkeypatch):
    from html.parser import HTMLParser

    from cdp_analysis.errors import MissingDataError
    from cdp_analysis.publishing import batch

    config = _config(tmp_path)
    monkeypatch.setattr(batch, "_execute_and_export",
                        lambda *a, **k: "<html><body><p>Drug offence rate was 9.9 per 1,000.</p></body></html>")
    assert batch.build_chapter("Z09000001", "01_supply", config).ok
    page = config.reports_dir / "Z09000001" / "01_supply.html"
    assert "9.9 per 1,000" in page.read_text(encoding="utf-8")

    def fail(*_a, **_k):
        raise MissingDataError(f"No street crime for <b>Brackenmoor</b>: put the files in {tmp_path}/raw/real")

    monkeypatch.setattr(batch, "_execute_and_export", fail)
    result = batch.build_chapter("Z09000001", "01_supply", config, force=True)
    assert not result.ok and "No street crime" in result.error
    text = page.read_text(encoding="utf-8")
    assert "9.9 per 1,000" not in text  # the old numbers are no longer published
    assert "not built" in text and "No street crime for &lt;b&gt;Brackenmoor&lt;/b&gt;" in text
    tags = []
    parser = HTMLParser()
    parser.handle_starttag = lambda tag, attrs: tags.append(tag)
    parser.feed(text)
    assert "b" not in tags  # the reason is text, not markup
    index = batch.rebuild_index(config, ["01_supply"]).read_text(encoding="utf-8")
    assert "Not built: MissingDataError: No street crime" in index
    assert 'href="Z09000001/01_supply.html"' not in index
    for published in config.reports_dir.rglob("*"):  # no local path anywhere under reports/
        if published.is_file():
            assert str(tmp_path) not in published.read_text(encoding="utf-8"), published

    # Built again, the chapter is back, and so is its link.
    monkeypatch.setattr(batch, "_execute_and_export", lambda *a, **k: "<html><body>fresh</body></html>")
    assert batch.build_chapter("Z09000001", "01_supply", config).ok
    index = batch.rebuild_index(config, ["01_supply"]).read_text(encoding="utf-8")
    assert 'href="Z09000001/01_supply.html"' in index and "Not built" not in index


# -- one publication per area ------------------------------------------------------------

def _chapter_page(summary_text: str = "Rate was 2.0, significantly worse than England (1.0).") -> str:
    nb = _executed_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Break drug supply chains"),
                nbformat.v4.new_markdown_cell("## Key messages"),
                nbformat.v4.new_markdown_cell("## Drug offences: the latest twelve months"),
                nbformat.v4.new_code_cell("x")]
    nb.cells[-1].outputs = [nbformat.v4.new_output("display_data", data={"text/html": f"<p>{summary_text}</p>"}),
                            nbformat.v4.new_output("display_data", data={
                                "application/vnd.cdp.summary+json": {"messages": []}, "text/plain": ""})]
    return export_html(nb, title="Break drug supply chains: X")


def test_export_gives_headings_stable_ids_a_contents_list_and_hides_the_summary_record():
    from cdp_analysis.publishing.export import page_anchors

    page = _chapter_page()
    assert {"key-messages", "drug-offences-the-latest-twelve-months"} <= page_anchors(page)
    contents = page.split("<!-- cdp:contents -->")[1].split("<!-- /cdp:contents -->")[0]
    assert re.findall(r'href="#([^"]+)"', contents) == ["key-messages", "drug-offences-the-latest-twelve-months"]
    assert "messages" not in page.split("<main")[1].split("cdp:pager")[0].replace("key-messages", "").replace(
        "Key messages", "")


def test_assembly_is_idempotent_and_links_the_summary_to_the_section():
    from cdp_analysis.publishing.export import (
        ChapterLink,
        assemble_page,
        chapter_nav_html,
        executive_summary_html,
        section_anchor,
    )

    text = "Rate was 2.0, significantly worse than England (1.0)."
    page = _chapter_page(text)
    assert section_anchor(page, text) == "drug-offences-the-latest-twelve-months"
    links = [ChapterLink("00_outcomes_overview", "Outcomes overview"), ChapterLink("01_supply", "Supply")]
    summary = executive_summary_html([{"text": text, "chapter": "01_supply", "section_title": "Rate"}],
                                     {0: "01_supply.html#drug-offences-the-latest-twelve-months"}, synthetic=True)
    nav = chapter_nav_html(links, "00_outcomes_overview", members=[("Castlewick", "")])
    once = assemble_page(page, nav=nav, summary=summary)
    assert assemble_page(once, nav=nav, summary=summary) == once
    assert once.count("Executive summary") == 2  # the heading and its contents entry
    assert once.index("cdp:contents") < once.index("cdp:summary") < once.index('id="key-messages"')
    assert 'aria-current="page"' in once and "Castlewick (not built)" in once


def test_summary_priority_prefers_worse_getting_worse_and_under_reached():
    from cdp_analysis.publishing.summary import priority, top_messages
    from cdp_analysis.report.narrative import KeyMessage

    worse = KeyMessage("A was 3 (2024), significantly worse than England (2).", "Review A.")
    similar = KeyMessage("B was 3 (2024), similar to England (3).")
    rising = KeyMessage("The rate is up 20% on a year earlier (1.0 per 1,000 residents, 2023; "
                        "a statistically significant change).")
    group = KeyMessage("Black residents were searched 3.5 times as often as White residents.")
    # worse than England first, then getting worse, then a group searched disproportionately
    assert priority(worse) > priority(rising) > priority(group) > priority(similar) == 0
    records = {"00": {"messages": [{"text": similar.text, "priority": 0}]},
               "01": {"messages": [{"text": t.text, "priority": priority(t)} for t in (group, worse, rising)]}}
    assert [m["text"] for m in top_messages(records)] == [worse.text, rising.text, group.text]


def test_index_lists_real_then_synthetic_in_separate_tables(tmp_path):
    entries = [IndexEntry("Z95000001", "Brackenmoor and Castlewick CDP", "cdp", True, {"01_supply": "ok"}),
               IndexEntry("E09000001", "City of London", "utla", False, {"00_outcomes_overview": "ok"})]
    index = write_index(tmp_path, entries, ["01_supply"], printable=["Z95000001"]).read_text(encoding="utf-8")
    real, synthetic = index.split('id="synthetic-areas"')
    assert 'href="E09000001/00_outcomes_overview.html"' in real and "Z95000001" not in real
    assert 'href="Z95000001/01_supply.html"' in synthetic and 'href="Z95000001/needs_assessment.html"' in synthetic


def test_index_keeps_pages_on_disk_whatever_chapters_are_rebuilt(tmp_path):
    from cdp_analysis.config import load_config
    from cdp_analysis.publishing.batch import rebuild_index

    config = load_config(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "p", reports_dir=tmp_path / "r")
    for chapter in ("00_outcomes_overview", "01_supply", "02_treatment_recovery"):
        atomic_write_text(config.reports_dir / "Z09000001" / f"{chapter}.html", "<html></html>")
    index = rebuild_index(config, ["01_supply"]).read_text(encoding="utf-8")
    for chapter in ("00_outcomes_overview", "01_supply", "02_treatment_recovery"):
        assert f'href="Z09000001/{chapter}.html"' in index
    assert (config.reports_dir / "methods.html").is_file() and (config.reports_dir / "accessibility.html").is_file()
    assert config.disclosure_policy in (config.reports_dir / "methods.html").read_text(encoding="utf-8")


def test_unknown_chapter_exits_2_listing_the_valid_ones(capsys):
    from cdp_analysis.cli import main

    assert main(["build", "--area", "Z09000001", "--chapters", "01_suply"]) == 2
    err = capsys.readouterr().err
    assert "01_suply" in err and "00_outcomes_overview" in err and "01_supply" in err

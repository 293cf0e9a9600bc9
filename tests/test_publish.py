"""HTML export: code hidden, accessible template, no local paths, atomic writes, index."""


import nbformat
import pytest

from cdp_analysis.errors import BuildError
from cdp_analysis.publish import IndexEntry, atomic_write_text, check_publishable, export_html, write_index


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

    from cdp_analysis.render import table_html

    table = pd.DataFrame({"Ward": ["A", "B"], "Count": [np.int64(2367), np.nan], "Rate": [1.23456, np.nan]})
    page = table_html(table, "Caption", formats={"Count": ",.0f", "Rate": ".2f"}, suppressed_cols=("Count", "Rate"))
    assert "<td>2,367</td>" in page and "<td>1.23</td>" in page
    assert page.count("<td>*</td>") == 2
    assert "<caption>Caption</caption>" in page and 'scope="col"' in page


def test_only_rows_hidden_by_disclosure_control_show_a_star():
    import numpy as np
    import pandas as pd

    from cdp_analysis.render import table_html

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
    from cdp_analysis import batch

    for k in range(count):
        batch._write_status(config, "Z09000001", f"{chapter_prefix}-{k}", {"ok": True, "n": k})


def test_two_processes_writing_status_lose_no_update(tmp_path):
    import multiprocessing

    from cdp_analysis import batch

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
    from cdp_analysis import batch

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

    from cdp_analysis import batch
    from cdp_analysis.errors import MissingDataError

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

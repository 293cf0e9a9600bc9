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

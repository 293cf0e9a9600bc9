"""A section shows itself in JupyterLab: the page's view, then its frames' first rows; one-line text form."""

import re

import numpy as np
import pandas as pd

from cdp_analysis.chapters.base import Section
from cdp_analysis.report.narrative import KeyMessage
from cdp_analysis.store.coverage import Coverage


def _section() -> Section:
    figure = '<figure class="cdp-figure"><img src="data:image/png;base64,' + "A" * 13000 + '" alt="x"></figure>'
    frame = pd.DataFrame({"month": [f"2025-{m:02d}" for m in range(1, 8)], "count": [12, np.nan, 30, 41, 7, 9, 15]})
    return Section("Drug offences over time", [figure], [KeyMessage("Drug offences rose 14%.")],
                   Coverage.partial("Two months are missing."), {"series": frame}, "over_time")


def test_text_form_is_one_short_line_without_image_data():
    text = repr(_section())
    assert "\n" not in text and len(text) < 200 and "AAAA" not in text
    assert "series (7 x 2)" in text and "partial" in text and "'over_time'" in text


def test_html_form_shows_the_page_view_then_a_preview_of_each_frame_and_how_to_get_it():
    page = _section()._repr_html_()
    assert "<h3>Drug offences over time</h3>" in page and "Drug offences rose 14%." in page
    assert "Partial data." in page and "data:image/png;base64," in page  # the figure as published
    assert "<code>sections['over_time'].frames['series']</code>" in page
    preview = re.search(r"</summary>(.*?)</details>", page, re.S).group(1)
    assert preview.count("<tr") == 1 + 5  # header and the first five of seven rows
    assert "2025-05" in preview and "2025-06" not in preview
    assert "<td>*</td>" in preview  # a suppressed (missing) count shows as on the page
    assert "7 rows x 2 columns, first 5 shown" in page

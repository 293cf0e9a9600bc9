"""How a chapter section shows itself to an analyst in JupyterLab.

``sections["drug_offences"]`` as a cell's last line displays the section as the page
shows it (coverage, words, figures and tables), then a short preview of each frame it
publishes and the one line of code that gives the whole frame
(``sections["drug_offences"].frames["series"]``). Its text form is one short line,
never the figures' image data.
"""

from __future__ import annotations

import html
from typing import Any

__all__ = ["section_html", "section_repr", "PREVIEW_ROWS"]

PREVIEW_ROWS = 5


def section_repr(section: Any) -> str:
    """One line: title, key, coverage, frames (names and shapes), figures and messages counted.

    >>> from cdp_analysis.report.section import Section
    >>> import pandas as pd
    >>> Section("Drug offences", ["<figure>…</figure>"], frames={"series": pd.DataFrame({"n": [1, 2]})}, key="d")
    Section('Drug offences', key='d', covered, frames: series (2 x 1), 1 figure or table, 0 messages)
    """
    frames = ", ".join(f"{name} ({len(f)} x {len(f.columns)})" for name, f in section.frames.items()) or "none"
    items = len(section.items)
    return (f"Section({section.title!r}, key={section.key!r}, {section.coverage.status}, frames: {frames}, "
            f"{items} figure{'' if items == 1 else 's'} or table{'' if items == 1 else 's'}, "
            f"{len(section.messages)} message{'' if len(section.messages) == 1 else 's'})")


def section_html(section: Any) -> str:
    """The section as the page shows it, then each frame's first rows and how to get it whole."""
    title = f"<h3>{html.escape(section.title)}</h3>"
    body = section.body_html()
    previews = []
    ref = f"sections[{section.key!r}]" if section.key else "section"
    for name, frame in section.frames.items():
        head = frame.head(PREVIEW_ROWS).to_html(index=False, border=0, na_rep="*", max_cols=12)
        more = f", first {PREVIEW_ROWS} shown" if len(frame) > PREVIEW_ROWS else ""
        previews.append(
            f"<details><summary><code>{html.escape(f'{ref}.frames[{name!r}]', quote=False)}</code>: {len(frame)} rows x "
            f"{len(frame.columns)} columns{more} (published, after disclosure control)</summary>{head}</details>")
    frames = ("<p><strong>Data behind this section</strong> (a pandas DataFrame each; chart functions in "
              "<code>cdp_analysis.report.charts</code> take a frame and return a <code>Chart</code> whose <code>.figure</code> is a matplotlib figure to "
              "restyle):</p>"
              + "".join(previews)) if previews else ""
    return f'<div class="cdp-section-preview">{title}{body}{frames}</div>'

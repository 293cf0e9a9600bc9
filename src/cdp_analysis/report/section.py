"""A :class:`Section`: a titled part of a chapter, with its coverage, published frames, figures and words.

A Section holds

- its title and a stable key (the notebook shows ``sections[key]``);
- its :class:`~cdp_analysis.store.coverage.Coverage` (covered, partial with why,
  missing with what to add);
- the frames it publishes, by name: each figure's and table's data *after*
  disclosure control. That frame is the CSV download, the source of the alt
  text's numbers and of the key messages' numbers, so they agree by construction;
- the rendered figures and tables (HTML, from :mod:`cdp_analysis.report.render`);
- its key messages and recommendations.

It lives in the report layer, below the chapters, so that
:func:`cdp_analysis.report.render.show_section` can take it typed; chapters build it
(:mod:`cdp_analysis.chapters.base` re-exports it).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from cdp_analysis.report.narrative import KeyMessage
from cdp_analysis.store.coverage import COVERED, Coverage

__all__ = ["Section"]


@dataclass
class Section:
    """A titled part of a chapter: coverage, published frames, figures, words."""

    title: str
    items: list[str] = field(default_factory=list)
    messages: list[KeyMessage] = field(default_factory=list)
    coverage: Coverage = COVERED
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    key: str = ""

    @property
    def shown(self) -> bool:
        """True when the section shows numbers (its data covers the area, at least in part)."""
        return self.coverage.shown

    def __repr__(self) -> str:  # one line, never the figures' image data
        from cdp_analysis.report.explore import section_repr

        return section_repr(self)

    def _repr_html_(self) -> str:
        """JupyterLab's view: the section as published, then its frames' first rows (:mod:`cdp_analysis.report.explore`)."""
        from cdp_analysis.report.explore import section_html

        return section_html(self)

    def body_html(self) -> str:
        """The section as the page shows it: a missing section's one-sentence note and nothing else; a
        partial one labelled before its findings; then its findings in words, then its figures and tables."""
        coverage = self.coverage
        if coverage.status == "missing":
            return f'<p class="cdp-missing" role="note">{html.escape(coverage.note)}</p>'
        note = (f'<p class="cdp-partial" role="note"><strong>Partial data.</strong> {html.escape(coverage.note)}</p>'
                if coverage.status == "partial" else "")
        words = "".join(f"<p>{html.escape(m.text)}</p>" for m in self.messages)
        return note + words + "".join(self.items)

    def key_messages(self) -> list[KeyMessage]:
        """The messages that go into the chapter's key messages (none when data is missing)."""
        return [m for m in self.messages if m.key] if self.shown else []

"""The shape every chapter shares: sections with their coverage, frames, figures and words.

A :class:`Section` holds

- its title and a stable key (the notebook shows ``sections[key]``);
- its :class:`~cdp_analysis.coverage.Coverage` (covered, partial with why,
  missing with what to add);
- the frames it publishes, by name: each figure's and table's data *after*
  disclosure control. That frame is the CSV download, the source of the alt
  text's numbers and of the key messages' numbers, so they agree by construction;
- the rendered figures and tables (HTML);
- its key messages and recommendations.

A chapter yields its sections in reading order; :func:`key_messages` gathers
the chapter's messages (each once). The executive summary, the printable
document and the consistency test read sections, never the HTML.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from cdp_analysis import narrative
from cdp_analysis.coverage import COVERED, Coverage
from cdp_analysis.narrative import KeyMessage

__all__ = ["Section", "key_messages", "unique_messages", "missing_section"]


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

    def key_messages(self) -> list[KeyMessage]:
        """The messages that go into the chapter's key messages (none when data is missing)."""
        return [m for m in self.messages if m.key] if self.shown else []


def missing_section(title: str, note: str, key: str = "") -> Section:
    """A section whose data does not cover the area: one plain sentence, no number, no message."""
    return Section(title, coverage=Coverage.missing(note), key=key)


def unique_messages(messages: Iterable[KeyMessage]) -> list[KeyMessage]:
    """Messages in order, each text once; a recommendation already given is not repeated."""
    seen_text: set[str] = set()
    seen_rec: set[str] = set()
    out = []
    for message in messages:
        if message.text in seen_text:
            continue
        seen_text.add(message.text)
        if message.recommendation and message.recommendation in seen_rec:
            message = KeyMessage(message.text, "", message.theme, message.key)
        seen_rec.add(message.recommendation)
        out.append(message)
    return out


def key_messages(sections: Iterable[Section], synthetic: bool) -> str:
    """The chapter's key messages and recommendations as Markdown (escaped, each once)."""
    sections = list(sections)
    messages = unique_messages(m for s in sections for m in s.key_messages())
    if not messages:
        notes = list(dict.fromkeys(s.coverage.note for s in sections if not s.shown))
        why = [KeyMessage(n) for n in notes] or [KeyMessage("The data holds nothing for this chapter yet.")]
        return ("The data for this area does not support any key message yet.\n\n"
                + narrative.to_markdown(why, synthetic=synthetic))
    return narrative.to_markdown(messages, synthetic=synthetic)

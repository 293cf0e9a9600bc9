"""The shape every chapter shares: sections with their coverage, frames, figures and words.

A :class:`Section` holds

- its title and a stable key (the notebook shows ``sections[key]``);
- its :class:`~cdp_analysis.store.coverage.Coverage` (covered, partial with why,
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

from cdp_analysis import stats
from cdp_analysis.areas import Area
from cdp_analysis.report import narrative
from cdp_analysis.report.narrative import KeyMessage
from cdp_analysis.stats.sdc import DisclosurePolicy, suppress_table
from cdp_analysis.store.coverage import COVERED, Coverage

__all__ = ["Section", "key_messages", "unique_messages", "missing_section", "partnership_members", "member_rows",
           "ROLE_FOCUS", "ROLE_MEMBER", "ROLE_COMPARATOR", "MEMBER_LABEL"]

#: The ``role`` of a row in a headline table: the area itself, one of its member authorities, or a comparator.
ROLE_FOCUS, ROLE_MEMBER, ROLE_COMPARATOR = "focus", "member", "comparator"
#: ``focus_compared`` of a member's row: members are shown beside the partnership, never compared with it.
MEMBER_LABEL = "Member authority"


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


def partnership_members(area: Area, registry) -> list[Area]:
    """The member authorities of a partnership (an area of type ``cdp`` listing members), else none.

    A county's districts are not members in this sense: a county is one authority.
    """
    if area.type != "cdp" or not area.members:
        return []
    return registry.members(area.code)


def member_rows(rows: pd.DataFrame, focus_value: float, policy: DisclosurePolicy, *, count_col: str = "count",
                derived: tuple[str, ...] = ("value", "lower_ci", "upper_ci")) -> pd.DataFrame:
    """Member authorities' rows of a headline table: disclosure-controlled together, labelled, not compared.

    The partnership's total is published beside them, so one member hidden would be
    recovered by subtraction: secondary suppression over the members hides the next
    smallest too (:func:`cdp_analysis.stats.sdc.suppress_table`). ``role`` is ``member``,
    ``focus_compared`` is :data:`MEMBER_LABEL` (no key message is written about a
    member), and ``compared_with_partnership`` is the member's 95% interval against
    the partnership's value (``Higher``, ``Similar``, ``Lower`` or ``Not compared``).
    """
    if rows.empty:
        return rows.assign(role=pd.Series(dtype=object), focus_compared=pd.Series(dtype=object),
                           compared_with_partnership=pd.Series(dtype=object), suppressed=pd.Series(dtype=bool))
    out = suppress_table(rows, count_col, policy=policy, derived_cols=derived, total_published=True)
    out["role"] = ROLE_MEMBER
    out["focus_compared"] = MEMBER_LABEL
    usable = focus_value == focus_value
    out["compared_with_partnership"] = [
        stats.compare_to_benchmark(lo, hi, focus_value, polarity="NoJudgement")
        if usable and lo == lo and hi == hi else "Not compared"
        for lo, hi in zip(out["lower_ci"].astype(float), out["upper_ci"].astype(float), strict=True)
    ]
    return out

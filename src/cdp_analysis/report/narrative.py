"""Key messages in plain English, written from the numbers.

Sentences follow the pattern published needs assessments use:
"<Area> <metric> was <value> (<period>), <significantly higher than | similar
to | significantly lower than> <comparator> (<value>)". Numbers are rounded
only here, at the end, and carry their units.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "KeyMessage",
    "comparison_phrase",
    "rate_sentence",
    "change_sentence",
    "share_sentence",
    "to_markdown",
    "escape_markdown",
    "number",
    "join_words",
    "count_words",
    "RANK_WORSE_ENGLAND", "RANK_WORSE", "RANK_GETTING_WORSE", "RANK_REACHED_LESS", "RANK_CONCENTRATION",
    "RANK_DIFFERS", "RANK_BETTER", "RANK_CONTEXT", "RANK_GAP", "MAX_KEY_MESSAGES", "MARGIN_THAT_MATTERS",
    "judge", "priority", "ranked",
]

_PHRASES = {
    "Higher": "significantly higher than",
    "Lower": "significantly lower than",
    "Similar": "similar to",
    "Better": "significantly better than",
    "Worse": "significantly worse than",
    "Not compared": "not compared with",
}


@dataclass(frozen=True)
class KeyMessage:
    """One finding, and the action it suggests (optional).

    ``key=False`` marks a note about the data (what is missing) that belongs in its
    section but not in the chapter's key messages. ``rank`` says what the finding is
    (one of the ``RANK_*`` constants, see :func:`priority`); None leaves it to be read
    from the sentence's fixed phrases. ``gap=True`` marks a data gap: listed apart,
    never ranked among findings. ``subject`` names what the finding is about (a Fingertips
    indicator id, say) when two chapters may state it: the executive summary gives each
    subject once, from the chapter that ranks it highest.
    """

    text: str
    recommendation: str = ""
    theme: str = ""
    key: bool = True
    rank: int | None = None
    gap: bool = False
    subject: str = ""


#: What a finding is, highest first: how much it matters to a partnership.
RANK_WORSE_ENGLAND = 6  # significantly worse than England, by a margin that matters
RANK_WORSE = 5  # significantly worse than the region or neighbours (or than England by a small margin)
RANK_GETTING_WORSE = 5  # a significant trend in the harmful direction
RANK_REACHED_LESS = 4  # a group reached less than its need (against the area's own residents or need)
RANK_CONCENTRATION = 3  # harm concentrated in places or groups (hotspots, disproportionality)
RANK_DIFFERS = 2  # significantly different where the indicator has no better or worse direction
RANK_BETTER = 1  # significantly better
RANK_CONTEXT = 0  # a fact that sets the scene: stays in its section unless nothing else is found
RANK_GAP = -1  # a data gap: its own list, never a finding
#: The most key messages a chapter (and the executive summary) shows.
MAX_KEY_MESSAGES = 5
#: A relative difference from England below this (10%) is significant but small: ranked below one that matters.
MARGIN_THAT_MATTERS = 0.10
_ENGLAND = re.compile(r"^England\b")


def judge(comparisons: Sequence[tuple[str, str | None, float | None]], value: float | None,
          low_is_good: bool | None, *, reach: bool = False) -> int:
    """The rank of a value judged against its comparators (``(name, label, value)``).

    ``low_is_good`` is the indicator's polarity (None: no better or worse direction);
    labels ``Higher``/``Lower`` are read through it, ``Better``/``Worse`` as given.
    ``reach=True`` means the value measures how far a group is reached, so being on
    the harmful side is a group reached less than its need.

    >>> judge([("England", "Higher", 5.4)], 6.3, low_is_good=True)
    6
    >>> judge([("England", "Higher", 5.4)], 5.5, low_is_good=True)  # significant, but under 10%
    5
    >>> judge([("London", "Lower", 12.5)], 8.5, low_is_good=False, reach=True)
    4
    >>> judge([("England", "Higher", 20.0)], 30.0, low_is_good=None)
    2
    """
    best = RANK_CONTEXT
    for name, label, other in comparisons:
        if label in ("Worse", "Better"):
            harmful = label == "Worse"
        elif label in ("Higher", "Lower") and low_is_good is not None:
            harmful = (label == "Higher") == low_is_good
        elif label in ("Higher", "Lower"):
            best = max(best, RANK_DIFFERS)
            continue
        else:
            continue
        if not harmful:
            best = max(best, RANK_BETTER)
        elif reach:
            best = max(best, RANK_REACHED_LESS)
        elif _ENGLAND.match(str(name)):
            small = (value is not None and other is not None and other == other and value == value and other != 0
                     and abs(value - other) / abs(other) < MARGIN_THAT_MATTERS)
            best = max(best, RANK_WORSE if small else RANK_WORSE_ENGLAND)
        else:
            best = max(best, RANK_WORSE)
    return best


#: (pattern, rank) read from the fixed phrases of this module when a message carries no rank.
_SCORES: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"significantly worse than England\b"), RANK_WORSE_ENGLAND),
    (re.compile(r"significantly worse than"), RANK_WORSE),
    (re.compile(r"\bup \d+% on [^;]*; a statistically significant change"), RANK_GETTING_WORSE),
    (re.compile(r"times as often"), RANK_CONCENTRATION),
    (re.compile(r"significantly (higher|lower) than"), RANK_DIFFERS),
    (re.compile(r"significantly better than"), RANK_BETTER),
)


def priority(message: KeyMessage) -> int:
    """How much a message matters to a partnership: its ``rank``, else read from its phrases.

    A data gap ranks :data:`RANK_GAP` whatever its words.

    >>> priority(KeyMessage("X rate was 2.0 (2024), significantly worse than England (1.0).", "Act."))
    6
    >>> priority(KeyMessage("X rate was 2.0 (2024), similar to England (1.9)."))
    0
    """
    if message.gap:
        return RANK_GAP
    if message.rank is not None:
        return message.rank
    return max((points for pattern, points in _SCORES if pattern.search(message.text)), default=RANK_CONTEXT)


def ranked(messages: Iterable[KeyMessage], limit: int = MAX_KEY_MESSAGES, fill: int = 3
           ) -> tuple[list[KeyMessage], list[KeyMessage]]:
    """The key messages to show, ranked, and the data gaps, apart.

    Findings (priority above zero) come first, highest first and otherwise in
    reading order, at most ``limit``; when fewer than ``fill`` are found, context
    messages (priority zero) follow in reading order up to ``fill``. Data gaps are
    returned in their own list. Everything else stays in its section.
    """
    messages = list(messages)
    gaps = [m for m in messages if priority(m) < 0]
    order = {id(m): n for n, m in enumerate(messages)}
    findings = sorted((m for m in messages if priority(m) > 0), key=lambda m: (-priority(m), order[id(m)]))
    shown = findings[:limit]
    if len(shown) < fill:
        shown += [m for m in messages if priority(m) == 0][: fill - len(shown)]
    return shown, gaps


def number(value: float | None, decimals: int = 1) -> str:
    """``1,234.5``-style formatting; ``not available`` for None/NaN."""
    if value is None or value != value:  # NaN
        return "not available"
    if float(value).is_integer() and decimals == 0:
        return f"{int(value):,}"
    return f"{value:,.{decimals}f}"


def with_unit(text: str, unit: str) -> str:
    """``12.5%`` for percentages, ``3.1 per 1,000 residents`` otherwise."""
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}".rstrip()


def comparison_phrase(label: str | None) -> str:
    """Fingertips comparison label → words (``Higher`` → ``significantly higher than``)."""
    return _PHRASES.get(label or "Not compared", "not compared with")


def rate_sentence(
    area: str,
    metric: str,
    value: float,
    unit: str,
    period: str,
    comparisons: Sequence[tuple[str, str | None, float | None]] = (),
    decimals: int = 1,
    verb: str = "was",
) -> str:
    """A value against its comparators.

    ``comparisons`` holds ``(comparator name, Fingertips label, comparator value)``.

    >>> rate_sentence("Barnet", "drug offence rate", 2.04, "per 1,000 residents", "2024",
    ...               [("London", "Lower", 3.1)])
    'Barnet drug offence rate was 2.0 per 1,000 residents (2024), significantly lower than London (3.1).'
    """
    text = f"{area} {metric} {verb} {with_unit(number(value, decimals), unit)} ({period})"
    parts = [
        f"{comparison_phrase(label)} {name} ({number(v, decimals)})"
        for name, label, v in comparisons
    ]
    if parts:
        text += ", " + join_words(parts)
    return text + "."


def change_sentence(metric: str, change: dict, unit: str = "per 1,000 residents") -> str:
    """One- and five-year change of a rate, saying whether each change is significant.

    ``change`` is the dictionary :func:`cdp_analysis.indicators.supply.change_over_time` returns.
    """
    pieces = []
    for label, span in (("one_year", "a year earlier"), ("five_year", "five years earlier")):
        pct = change.get(f"{label}_pct")
        if pct is None:
            continue
        direction = "up" if pct > 0 else "down" if pct < 0 else "unchanged"
        amount = f" {abs(pct):.0f}%" if direction != "unchanged" else ""
        significance = (
            "a statistically significant change" if change.get(f"{label}_significant")
            else "within the range of chance variation"
        )
        pieces.append(
            f"{direction}{amount} on {span} ({number(change[f'{label}_value'])} {unit}, "
            f"{change[f'{label}_period']}; {significance})"
        )
    if not pieces:
        return f"There is not yet a full year of earlier data to measure change in the {metric}."
    return f"The {metric} is " + join_words(pieces) + "."


def count_words(n: int) -> str:
    """``One``…``Nine`` for small counts, digits above (sentence start).

    >>> count_words(3), count_words(12)
    ('Three', '12')
    """
    words = {1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six", 7: "Seven", 8: "Eight", 9: "Nine"}
    return words.get(n, str(n))


def share_sentence(names: Sequence[str], share: float, total_areas: int, what: str) -> str:
    """Concentration: how much of ``what`` a few small areas hold.

    >>> share_sentence(["Riverside", "Market"], 0.34, 20, "drug offences")
    'Two of the 20 wards (Riverside and Market) account for 34% of drug offences.'
    """
    count = count_words(len(names))
    verb = "accounts" if len(names) == 1 else "account"
    return (
        f"{count} of the {total_areas} wards ({join_words(list(names))}) {verb} for "
        f"{share * 100:.0f}% of {what}."
    )


#: Characters Markdown (CommonMark, GFM, the Jupyter math extension) gives a meaning
#: anywhere in a line; any ASCII punctuation may be backslash-escaped.
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_{}\[\]|~$:])")  # ":" stops bare-URL autolinks
#: What makes a line a heading, a list item or a quote when it starts it.
_BLOCK_START = re.compile(r"^([#+\-=]|\d+(?=[.)]))")
_HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def escape_markdown(text: str) -> str:
    """Plain text made inert in Markdown: shown as written, never markup or HTML.

    HTML-active characters become entities, Markdown-active punctuation is
    backslash-escaped, and line breaks become spaces (a message is one list item).

    >>> escape_markdown("Elms<img src=x onerror=alert(2)>worth *bold* $x$")
    'Elms&lt;img src=x onerror=alert(2)&gt;worth \\\\*bold\\\\* \\\\$x\\\\$'
    """
    text = _MARKDOWN_ACTIVE.sub(r"\\\1", " ".join(str(text).split()))
    text = _BLOCK_START.sub(lambda m: m.group() + "\\" if m.group()[0].isdigit() else "\\" + m.group(), text)
    return "".join(_HTML_ENTITIES.get(c, c) for c in text)


def to_markdown(messages: Iterable[KeyMessage], synthetic: bool = False,
                gaps: Iterable[KeyMessage] = ()) -> str:
    """Key messages as a Markdown list, recommendations in a second list, data gaps in a third.

    Message texts are plain text (they may hold area, ward and indicator names from
    the data): they are escaped here, at the Markdown boundary, so none becomes markup.
    Recommendations come only from the messages listed (each answers its finding);
    a message marked ``gap`` goes to the data gaps, without a recommendation.
    """
    messages = list(messages)
    gaps = [*(m for m in messages if m.gap), *gaps]  # a data gap is never listed among findings
    messages = [m for m in messages if not m.gap]
    gaps = list({g.text: g for g in gaps if g.text not in {m.text for m in messages}}.values())
    lines = [f"- {escape_markdown(m.text)}" for m in messages]
    actions = [m for m in messages if m.recommendation]
    if actions:
        lines += ["", "**Recommendations**", ""]
        lines += [f"- {escape_markdown(m.recommendation)}"
                  + (f" *({escape_markdown(m.theme)})*" if m.theme else "") for m in actions]
    if gaps:
        lines += ["", "**Data gaps**", ""]
        lines += [f"- {escape_markdown(g.text)}" for g in gaps]
    if synthetic:
        lines += ["", "*Synthetic demonstration data: these messages describe fictional areas.*"]
    return "\n".join(lines)


def join_words(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]

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
    section but not in the chapter's key messages.
    """

    text: str
    recommendation: str = ""
    theme: str = ""
    key: bool = True


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
) -> str:
    """A value against its comparators.

    ``comparisons`` holds ``(comparator name, Fingertips label, comparator value)``.

    >>> rate_sentence("Barnet", "drug offence rate", 2.04, "per 1,000 residents", "2024",
    ...               [("London", "Lower", 3.1)])
    'Barnet drug offence rate was 2.0 per 1,000 residents (2024), significantly lower than London (3.1).'
    """
    text = f"{area} {metric} was {with_unit(number(value, decimals), unit)} ({period})"
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


def to_markdown(messages: Iterable[KeyMessage], synthetic: bool = False) -> str:
    """Key messages as a Markdown list, recommendations in a second list.

    Message texts are plain text (they may hold area, ward and indicator names from
    the data): they are escaped here, at the Markdown boundary, so none becomes markup.
    """
    messages = list(messages)
    lines = [f"- {escape_markdown(m.text)}" for m in messages]
    actions = [m for m in messages if m.recommendation]
    if actions:
        lines += ["", "**Recommendations**", ""]
        lines += [f"- {escape_markdown(m.recommendation)}"
                  + (f" *({escape_markdown(m.theme)})*" if m.theme else "") for m in actions]
    if synthetic:
        lines += ["", "*Synthetic demonstration data: these messages describe fictional areas.*"]
    return "\n".join(lines)


def join_words(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]

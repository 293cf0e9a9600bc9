"""What a reader sees on a built page, and the words that must never reach it (issue 17).

A page's visible text is what a browser shows or reads aloud: the text of every element
except scripts and styles, and every image's alt text. Jargon in it is:

- a snake_case token (a store, column or source name: ``street_crime``, ``ratio_to_residents``),
  unless it is a file name a reader is told to supply (``young_people_treatment.csv``);
- a phrase that names how the code holds the data rather than what it means
  (``All local authorities in the export``, ``12 rows supplied``);
- a number written by matplotlib's offset or scientific notation on a year axis (``2.02e3``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

SNAKE = re.compile(r"(?<![\w./-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w-]|\.(?:csv|xlsx|json|toml)\b)")
PHRASES = (
    re.compile(r"in the export\b", re.IGNORECASE),
    re.compile(r"\b\d[\d,]* rows? supplied\b", re.IGNORECASE),
    re.compile(r"\b\d(?:\.\d+)?e[+−-]?\d+\b"),
)


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        alt = dict(attrs).get("alt")
        if tag == "img" and alt:
            self.parts.append(f"\n{alt}\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self._hidden = max(0, self._hidden - 1)
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    """The text a reader of ``page`` (HTML) sees or hears."""
    parser = _Visible()
    parser.feed(page)
    return " ".join("".join(parser.parts).split())


def jargon(text: str) -> list[str]:
    """Every snake_case token and code phrase in ``text``, each with a little context (empty when none)."""
    found = []
    for pattern in (SNAKE, *PHRASES):
        for match in pattern.finditer(text):
            start, end = max(0, match.start() - 40), min(len(text), match.end() + 40)
            found.append(f"{match.group(0)!r} in '…{text[start:end]}…'")
    return found

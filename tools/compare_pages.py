#!/usr/bin/env python3
"""Compare two folders of published pages: text, figures, downloads and links, build stamps apart.

Used to show that a change which must not change the pages (issue 16's re-layering) did not:
build the same area into two reports folders, before and after, then::

    python tools/compare_pages.py BEFORE_DIR AFTER_DIR

Every ``*.html`` file under either folder is compared (a page present in one folder only is a
difference). For each page it compares

- the visible text (tags removed, whitespace collapsed, ``<style>`` and ``<script>`` dropped),
  with full dates (``2026-12-07``, the build and file stamps) masked;
- the alt text of every image and the ``title``/``aria-label`` attributes, in order;
- every embedded figure (``data:image/...;base64``): the decoded bytes, or, when the bytes
  differ, the decoded pixels (PNG metadata may differ while the picture does not);
- every embedded download (``data:text/csv;base64`` and other non-image data URIs), decoded;
- every link target (``href``), in order.

Prints one line per page with what it compared, and exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import re
import sys
from pathlib import Path

_DATA_URI = re.compile(r"data:(?P<mime>[a-z]+/[a-z0-9.+-]+)(?:;charset=[^;,]+)?;base64,(?P<data>[A-Za-z0-9+/=]+)")
_DATE = re.compile(r"\b20\d\d-[01]\d-[0-3]\d\b")
_ATTR = re.compile(r'\b(alt|title|aria-label)="([^"]*)"')
_HREF = re.compile(r'\bhref="(?!data:)([^"]*)"')


def _text(page: str) -> str:
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = _DATA_URI.sub("DATA", page)
    page = re.sub(r"<[^>]+>", " ", page)
    return _DATE.sub("YYYY-MM-DD", " ".join(html.unescape(page).split()))


def _pixels(data: bytes):
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(data), format="png")


def _same_picture(a: bytes, b: bytes) -> bool:
    if a == b:
        return True
    try:
        import numpy as np

        pa, pb = _pixels(a), _pixels(b)
        return pa.shape == pb.shape and bool(np.array_equal(pa, pb))
    except Exception:  # not a PNG matplotlib can read: the bytes decide
        return False


def compare_page(before: str, after: str) -> tuple[list[str], dict[str, int]]:
    """The differences between two versions of one page, and what was compared."""
    problems: list[str] = []
    ta, tb = _text(before), _text(after)
    if ta != tb:
        at = next((i for i, (x, y) in enumerate(zip(ta, tb)) if x != y), min(len(ta), len(tb)))
        problems.append(f"text differs at character {at}: {ta[max(0, at - 60):at + 60]!r} vs {tb[max(0, at - 60):at + 60]!r}")
    aa, ab = _ATTR.findall(before), _ATTR.findall(after)
    if [(k, _DATE.sub("D", html.unescape(v))) for k, v in aa] != [(k, _DATE.sub("D", html.unescape(v))) for k, v in ab]:
        problems.append("alt/title/aria-label attributes differ")
    ua, ub = list(_DATA_URI.finditer(before)), list(_DATA_URI.finditer(after))
    figures = downloads = 0
    if [m["mime"] for m in ua] != [m["mime"] for m in ub]:
        problems.append(f"embedded data differ in kind or number: {len(ua)} vs {len(ub)}")
    else:
        for i, (ma, mb) in enumerate(zip(ua, ub)):
            da, db = base64.b64decode(ma["data"]), base64.b64decode(mb["data"])
            if ma["mime"].startswith("image/"):
                figures += 1
                if not _same_picture(da, db):
                    problems.append(f"figure {figures} ({ma['mime']}, item {i + 1}) differs")
            else:
                downloads += 1
                if _DATE.sub("D", da.decode("utf-8", "replace")) != _DATE.sub("D", db.decode("utf-8", "replace")):
                    problems.append(f"download {downloads} ({ma['mime']}, item {i + 1}) differs")
    ha, hb = _HREF.findall(before), _HREF.findall(after)
    if ha != hb:
        problems.append(f"links differ ({len(ha)} vs {len(hb)})")
    counts = {"text_chars": len(ta), "attributes": len(aa), "figures": figures, "downloads": downloads, "links": len(ha)}
    return problems, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    pages = sorted({p.relative_to(args.before) for p in args.before.rglob("*.html")}
                   | {p.relative_to(args.after) for p in args.after.rglob("*.html")})
    if not pages:
        print("no pages found", file=sys.stderr)
        return 1
    failed = 0
    totals = dict.fromkeys(("text_chars", "attributes", "figures", "downloads", "links"), 0)
    for rel in pages:
        a, b = args.before / rel, args.after / rel
        if not a.is_file() or not b.is_file():
            print(f"DIFFERS {rel}: only in {'after' if b.is_file() else 'before'}")
            failed += 1
            continue
        problems, counts = compare_page(a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8"))
        for key, value in counts.items():
            totals[key] += value
        what = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
        if problems:
            failed += 1
            print(f"DIFFERS {rel} ({what}):")
            for problem in problems:
                print(f"    {problem}")
        else:
            print(f"same    {rel} ({what})")
    summary = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in totals.items())
    print(f"{len(pages) - failed} of {len(pages)} pages identical apart from build stamps ({summary} compared)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

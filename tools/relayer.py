#!/usr/bin/env python3
"""Re-layer the package: move each module to its layer's folder and rewrite every reference.

Issue 16. The flat package (32 modules directly under ``cdp_analysis/``) becomes layers in
folders, each importing only from the layers below it::

    core (top level)  errors, config, areas            (cli.py sits on top of everything)
    sources/          one reader per public source, and the tidy table they map into (schema)
    store/            the processed store: prepare, dataset, vintages, police counts, coverage,
                      the data checklist
    stats/            public-health methods, disclosure control (stats/sdc.py)
    indicators/       pure functions from tables to indicator frames (no HTML, no words)
    report/           charts, maps, accessible HTML (render), narrative
    chapters/         Section/Chapter (base), the chapter context, one module per chapter
    publishing/       nbconvert export, batch, kernels, executors, summary, document
    cli.py            the ``cdp`` command

and the synthetic demo generator leaves the core for its own top-level package ``cdp_demo``
(``src/cdp_demo/``): a separate import name makes the boundary visible in every import line and
checkable by a test (no ``cdp_analysis`` module imports ``cdp_demo``, except the ``cdp demo``
command in cli.py, the application shell), and it ships in the same distribution so
``cdp demo`` keeps working from a fresh clone.

The publishing layer is ``publishing/`` rather than ``publish/``: ``cdp_analysis.publish`` is
today's export module, and a package of the same name would make every rewrite ambiguous
(``cdp_analysis.publish.x``: the old module's attribute, or the new package's module?).

What the script does, in order (every step deterministic and idempotent):

1. creates the new packages' ``__init__.py`` (a docstring naming the layer) when missing;
2. ``git mv``s every module still at its old place (a module another branch edited or added
   back at the old place moves too; a module found at both places is an error to resolve by hand);
3. rewrites every reference in src/, tests/, notebooks/ (the cells of the JSON), benchmarks/,
   tools/, docs/, README.md, pyproject.toml, Makefile, environment.yml, cdp.toml:
   ``from cdp_analysis import charts, demand`` (split per new package, aliased when the module's
   name changes), dotted names anywhere (``import cdp_analysis.charts as``, ``cdp_analysis.sdc.x``,
   mock.patch and importlib strings), file paths (``src/cdp_analysis/sdc.py``), and the README's
   module table (regenerated from LAYERS below);
4. applies the few fix-ups a deeper place needs (``Path(__file__).parent`` meaning the package
   root) listed in FIXUPS;
5. sorts the imports of the files it rewrote (``ruff check --select I001 --fix``, when ruff is
   installed: the ``test`` extra installs it; ``--no-sort`` skips it), so a rewritten import line
   sits where the project's import order puts it;
6. reports modules left at the top level that no layer claims (a module added by another branch:
   add it to MOVES, or to CORE if it belongs there, and run again).

Running it twice changes nothing: the second run finds every module in place and no old name.

Usage::

    python tools/relayer.py            # move and rewrite, in the repository holding this file
    python tools/relayer.py --check    # change nothing; exit 1 when anything is left to do
    python tools/relayer.py --root DIR # another checkout
    python tools/relayer.py --map cdp_analysis.pdf=cdp_analysis.publishing.pdf  # one more move

Then commit its output alone (``git add -A src tests ... && git commit``), before any content change.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "cdp_analysis"

# Modules that stay directly under cdp_analysis/ (the core, and the command on top).
CORE = ("__init__", "errors", "config", "areas", "vocabulary", "cli")

# old dotted module -> new dotted module. The order is the order of the layers.
MOVES: dict[str, str] = {
    # the tidy indicator table every reader maps into: the readers' contract, so beside them
    "cdp_analysis.schema": "cdp_analysis.sources.schema",
    # the processed store
    "cdp_analysis.prepare": "cdp_analysis.store.prepare",
    "cdp_analysis.dataset": "cdp_analysis.store.dataset",
    "cdp_analysis.vintages": "cdp_analysis.store.vintages",
    "cdp_analysis.police_counts": "cdp_analysis.store.police_counts",
    "cdp_analysis.coverage": "cdp_analysis.store.coverage",
    "cdp_analysis.checklist": "cdp_analysis.store.checklist",
    # stats: disclosure control beside the methods
    "cdp_analysis.sdc": "cdp_analysis.stats.sdc",
    # indicators: pure functions
    "cdp_analysis.supply": "cdp_analysis.indicators.supply",
    "cdp_analysis.demand": "cdp_analysis.indicators.demand",
    "cdp_analysis.stop_search": "cdp_analysis.indicators.stop_search",
    "cdp_analysis.spine": "cdp_analysis.indicators.spine",
    # report: figures, accessible HTML, words
    "cdp_analysis.charts": "cdp_analysis.report.charts",
    "cdp_analysis.maps": "cdp_analysis.report.maps",
    "cdp_analysis.render": "cdp_analysis.report.render",
    "cdp_analysis.narrative": "cdp_analysis.report.narrative",
    # chapters: the context every chapter is built from
    "cdp_analysis.context": "cdp_analysis.chapters.context",
    # publishing
    "cdp_analysis.publish": "cdp_analysis.publishing.export",
    "cdp_analysis.batch": "cdp_analysis.publishing.batch",
    "cdp_analysis.kernels": "cdp_analysis.publishing.kernels",
    "cdp_analysis.executors": "cdp_analysis.publishing.executors",
    "cdp_analysis.summary": "cdp_analysis.publishing.summary",
    "cdp_analysis.document": "cdp_analysis.publishing.document",
    # the synthetic demo, outside the core
    "cdp_analysis.demo": "cdp_demo.region",
    "cdp_analysis.demo_geo": "cdp_demo.geography",
    "cdp_analysis.demo_treatment": "cdp_demo.treatment",
    "cdp_analysis.demo_demand": "cdp_demo.demand",
}

# New packages and the docstring of their __init__.py (written only when the file is missing).
NEW_PACKAGES: dict[str, str] = {
    "cdp_analysis.store": "The processed store: raw downloads to Parquet (idempotent, atomic), read back with "
    "filters;\nLSOA vintages, the national police aggregate, coverage and the data checklist.",
    "cdp_analysis.indicators": "Indicators: pure functions from tables to indicator frames (no HTML, no words).",
    "cdp_analysis.report": "Report: charts and maps with alt text and data, accessible HTML for them, and the "
    "narrative\n(key messages and recommendations from the numbers).",
    "cdp_analysis.publishing": "Publishing: papermill runs, nbconvert export, the site pages, the executive "
    "summary,\nthe printable document, warm kernels, executors and the batch runner.",
    "cdp_demo": "The synthetic demo region, written in the real sources' published formats.\n\n"
    "Its own package, outside the core: nothing in ``cdp_analysis`` imports it except the\n"
    "``cdp demo`` command (cdp_analysis/cli.py). ``cdp_demo.region.generate_demo`` writes it.",
}

# The layers, lowest first: (layer, folder or modules, one job). The README's module table is
# generated from it (tests/test_layers.py keeps its own order of the layers, which it enforces).
LAYERS: list[tuple[str, str, str]] = [
    ("core", "`errors.py`, `config.py`, `areas.py`, `vocabulary.py`",
     "one `CdpError` tree; where data and reports live (`cdp.toml` and the environment); the area "
     "registry: every English area, legacy codes, police forces, CDP members, comparators, neighbours; "
     "the words and codes every layer shares (England's code, the synthetic-data notice, policy names)"),
    ("sources", "`sources/`",
     "one reader per public source, validating its real published format, all listed in `api`; "
     "`schema` (the tidy indicator table every reader maps into, validated on construction)"),
    ("store", "`store/`",
     "`prepare`/`dataset` (raw → processed Parquet, idempotent "
     "and atomic, and reading it back), `vintages` (LSOA 2011 → 2021, every dropped row counted), "
     "`police_counts` (the national police aggregate), `coverage` (does the data cover this area "
     "and period), `checklist` (`cdp data`: every source each chapter needs, found / partial / missing)"),
    ("stats", "`stats/`",
     "public-health methods matching PHEindicatormethods / Fingertips, one a file; `sdc` "
     "(statistical disclosure control: primary and secondary suppression)"),
    ("indicators", "`indicators/`",
     "pure functions from tables to indicator frames: `supply`, `demand`, `stop_search`, `spine` "
     "(counts, rolling rates, change, seasonality, hotspots; DfE series; the spine chart's rows), "
     "`outcomes` (the Fingertips outcome indicators' catalogue and each area's series)"),
    ("report", "`report/`",
     "`charts`, `maps`, `render` (figures with alt text and data; accessible HTML for them), "
     "`narrative` (key messages and recommendations from the numbers)"),
    ("chapters", "`chapters/`",
     "`base` (the Section every chapter returns: coverage, published frames, figures, messages), "
     "`context` (what a chapter is built from), one module per chapter: `overview`, `supply`, "
     "`treatment`, `demand`"),
    ("publishing", "`publishing/`",
     "`export` (nbconvert, the page shell), `batch` (parallel, resumable, isolated failures; the "
     "index), `kernels`, `executors` (warm kernels; threads, processes, Dask; run logs), `summary` "
     "(the executive summary), `document` (the printable needs assessment)"),
    ("command", "`cli.py`", "the `cdp` command"),
    ("demo", "`src/cdp_demo/`",
     "the synthetic demo region in the real source formats (its own package: the core never imports it)"),
]

# Text fix-ups a module needs at its new depth: (new module, old text, new text).
FIXUPS: list[tuple[str, str, str]] = [
    # batch fingerprints every source file of the package, from the package root
    ("cdp_analysis.publishing.batch",
     "package = Path(__file__).resolve().parent\n",
     "package = Path(__file__).resolve().parents[1]  # the cdp_analysis package root\n"),
]

SCAN_DIRS = ("src", "tests", "notebooks", "benchmarks", "tools", "docs")
SCAN_FILES = ("README.md", "pyproject.toml", "Makefile", "environment.yml", "cdp.toml")
SUFFIXES = {".py", ".ipynb", ".md", ".toml", ".cfg", ".ini", ".txt", ".yml", ".yaml", ".j2", ".json", ".rst"}
SKIP_PARTS = {".git", "node_modules", "__pycache__", ".ipynb_checkpoints", "output", ".venv"}

README_TABLE_START = "| module | one job |"
# Files that hold the old names on purpose (this script's map, its test's made-up repository).
KEEP_OLD_NAMES = ("tools/relayer.py", "tests/test_relayer.py")


@dataclass
class Outcome:
    moved: list[tuple[str, str]]
    created: list[str]
    rewritten: list[str]
    unclaimed: list[str]
    conflicts: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.moved or self.created or self.rewritten)


def module_path(root: Path, dotted: str) -> Path:
    return root / "src" / Path(*dotted.split(".")).with_suffix(".py")


def package_init(root: Path, dotted: str) -> Path:
    return root / "src" / Path(*dotted.split(".")) / "__init__.py"


# ---------------------------------------------------------------------------------------------
# Rewriting text

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def _dotted_pattern(moves: dict[str, str]) -> re.Pattern[str]:
    names = sorted(moves, key=len, reverse=True)
    alternatives = "|".join(re.escape(n) for n in names)
    # not preceded by an identifier character or a dot; not followed by an identifier character
    return re.compile(rf"(?<![\w.])({alternatives})(?!\w)")


def _path_pattern(moves: dict[str, str]) -> re.Pattern[str]:
    names = sorted(moves, key=len, reverse=True)
    alternatives = "|".join(re.escape(n.replace(".", "/")) for n in names)
    return re.compile(rf"(?<![\w.])({alternatives})\.py(?!\w)")


_FROM_IMPORT = re.compile(
    rf"^(?P<indent>[ \t]*)from[ \t]+{PACKAGE}[ \t]+import[ \t]+"
    r"(?P<names>\([^)]*\)|[^\n#]*?)(?P<comment>[ \t]*#[^\n]*)?$",
    re.MULTILINE,
)


def _rewrite_from_imports(text: str, moves: dict[str, str]) -> str:
    """``from cdp_analysis import a, b as c`` → one line per package the names now live in."""

    def replace(match: re.Match[str]) -> str:
        raw = match.group("names").strip()
        if raw.startswith("("):
            raw = raw[1:-1]
        comments = re.findall(r"#[^\n]*", raw)  # inside the parentheses: kept on the first line
        raw = re.sub(r"#[^\n]*", "", raw)
        items = [" ".join(part.split()) for part in raw.split(",") if part.strip()]
        parsed: list[tuple[str, str | None]] = []
        for item in items:
            bits = item.split(" as ")
            parsed.append((bits[0].strip(), bits[1].strip() if len(bits) > 1 else None))
        if not any(f"{PACKAGE}.{name}" in moves for name, _ in parsed):
            return match.group(0)
        indent = match.group("indent")
        groups: dict[str, list[str]] = {}
        for name, alias in parsed:
            new = moves.get(f"{PACKAGE}.{name}")
            if new is None:
                parent, leaf = PACKAGE, name
            else:
                parent, leaf = new.rsplit(".", 1)
            bound = alias or name
            groups.setdefault(parent, []).append(leaf if bound == leaf else f"{leaf} as {bound}")
        lines = []
        first_comment = match.group("comment") or ("  " + "  ".join(comments) if comments else "")
        for i, (parent, names) in enumerate(groups.items()):
            comment = first_comment if i == 0 else ""
            lines.append(f"{indent}from {parent} import {', '.join(names)}{comment}")
        return "\n".join(lines)

    return _FROM_IMPORT.sub(replace, text)


def rewrite_text(text: str, moves: dict[str, str]) -> str:
    text = _rewrite_from_imports(text, moves)
    text = _dotted_pattern(moves).sub(lambda m: moves[m.group(1)], text)
    text = _path_pattern(moves).sub(lambda m: moves[m.group(1).replace("/", ".")].replace(".", "/") + ".py", text)
    return text


def rewrite_notebook(text: str, moves: dict[str, str]) -> str:
    notebook = json.loads(text)
    changed = False
    for cell in notebook.get("cells", []):
        source = cell.get("source", "")
        joined = "".join(source) if isinstance(source, list) else source
        new = rewrite_text(joined, moves)
        if new != joined:
            new = sort_first_party_lines(new)
            changed = True
            cell["source"] = new.splitlines(keepends=True) if isinstance(source, list) else new
    if not changed:
        return text
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


_FIRST_PARTY_FROM = re.compile(rf"^from (?:{PACKAGE}|cdp_demo)[.\w]* import [^(\\\n]+$")


def sort_first_party_lines(source: str) -> str:
    """Sort each run of single-line ``from cdp_analysis... import`` lines by module (isort's order).

    A notebook cell's imports, after a rewrite changed their modules; done here rather than by
    ruff, whose notebook fix rewrites the whole file's JSON layout.
    """
    lines = source.split("\n")
    out: list[str] = []
    run: list[str] = []
    for line in [*lines, None]:
        if line is not None and _FIRST_PARTY_FROM.match(line):
            run.append(line)
            continue
        out += sorted(run, key=lambda item: item.split()[1])
        run = []
        if line is not None:
            out.append(line)
    return "\n".join(out)


def readme_table() -> str:
    lines = ["| module | one job |", "|---|---|"]
    lines += [f"| {where} | {job} |" for _, where, job in LAYERS]
    return "\n".join(lines)


def rewrite_readme_table(text: str) -> str:
    start = text.find(README_TABLE_START)
    if start < 0:
        return text
    end = text.find("\n\n", start)
    end = len(text) if end < 0 else end
    return text[:start] + readme_table() + text[end:]


# ---------------------------------------------------------------------------------------------
# The run

def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True)


def _files_to_scan(root: Path, skip: set[Path]) -> list[Path]:
    found: list[Path] = []
    for folder in SCAN_DIRS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and not SKIP_PARTS & set(path.relative_to(root).parts):
                found.append(path)
    found += [root / name for name in SCAN_FILES if (root / name).is_file()]
    return [p for p in found if p.resolve() not in skip]


def relayer(root: Path, moves: dict[str, str], *, apply: bool) -> Outcome:
    outcome = Outcome([], [], [], [], [])
    # 1. the new packages
    for package, doc in NEW_PACKAGES.items():
        init = package_init(root, package)
        if not init.exists():
            outcome.created.append(str(init.relative_to(root)))
            if apply:
                init.parent.mkdir(parents=True, exist_ok=True)
                init.write_text(f'"""{doc}"""\n', encoding="utf-8")
                _git(root, "add", str(init))
    # 2. the moves
    for old, new in moves.items():
        source, target = module_path(root, old), module_path(root, new)
        if source.exists() and target.exists():
            outcome.conflicts.append(f"{source.relative_to(root)} and {target.relative_to(root)} both exist: "
                                     "merge the old file's changes into the new one by hand, delete the old one, run again")
        elif source.exists():
            outcome.moved.append((str(source.relative_to(root)), str(target.relative_to(root))))
            if apply:
                target.parent.mkdir(parents=True, exist_ok=True)
                _git(root, "mv", str(source), str(target))
    # 3. references
    skip = {Path(__file__).resolve(), *((root / path).resolve() for path in KEEP_OLD_NAMES)}
    for path in _files_to_scan(root, skip):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            new = rewrite_notebook(text, moves)
        else:
            new = rewrite_text(text, moves)
        if path.name == "README.md" and path.parent == root:
            new = rewrite_readme_table(new)
        if new != text:
            outcome.rewritten.append(str(path.relative_to(root)))
            if apply:
                path.write_text(new, encoding="utf-8")
    # 4. fix-ups at the new depth
    for module, old_text, new_text in FIXUPS:
        path = module_path(root, module)
        if not path.exists() and apply is False:
            old_names = [o for o, n in moves.items() if n == module]
            path = module_path(root, old_names[0]) if old_names else path
        if path.exists():
            text = path.read_text(encoding="utf-8")
            if old_text in text:
                rel = str(path.relative_to(root))
                if rel not in outcome.rewritten:
                    outcome.rewritten.append(rel)
                if apply:
                    path.write_text(text.replace(old_text, new_text), encoding="utf-8")
    # 5. what no layer claims
    top = root / "src" / PACKAGE
    claimed = {o.rsplit(".", 1)[1] for o in moves}
    for path in sorted(top.glob("*.py")):
        if path.stem not in CORE and path.stem not in claimed:
            outcome.unclaimed.append(str(path.relative_to(root)))
    return outcome


def find_ruff() -> str | None:
    beside = Path(sys.executable).parent / "ruff"
    return str(beside) if beside.is_file() else shutil.which("ruff")


def sort_imports(root: Path, files: list[str], ruff: str) -> None:
    """isort-order the imports of ``files`` (the project's ruff settings), nothing else."""
    targets = [f for f in files if f.endswith(".py")]
    if targets:
        subprocess.run([ruff, "check", "--select", "I001", "--fix", "--exit-zero", "--quiet", *targets],
                       cwd=root, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the repository to re-layer (default: the one holding this script)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything is left to do")
    parser.add_argument("--map", action="append", default=[], metavar="OLD=NEW",
                        help="one more move, dotted (e.g. cdp_analysis.pdf=cdp_analysis.publishing.pdf)")
    parser.add_argument("--no-sort", action="store_true", help="leave the import order of rewritten files as it is")
    args = parser.parse_args(argv)
    moves = dict(MOVES)
    for item in args.map:
        old, sep, new = item.partition("=")
        if not sep or not old.startswith(PACKAGE + ".") or not new:
            parser.error(f"--map {item!r}: expected cdp_analysis.OLD=package.NEW")
        moves[old.strip()] = new.strip()
    root = args.root.resolve()
    if not (root / "src" / PACKAGE).is_dir():
        parser.error(f"{root} holds no src/{PACKAGE}/")
    outcome = relayer(root, moves, apply=not args.check)
    if not args.check and not args.no_sort and outcome.rewritten:
        ruff = find_ruff()
        if ruff:
            sort_imports(root, outcome.rewritten, ruff)
        else:
            print("WARNING: ruff not found: imports of the rewritten files may be out of order "
                  "(pip install -e '.[test]', then run `ruff check --select I001 --fix`)", file=sys.stderr)
    verb = "to move" if args.check else "moved"
    for old, new in outcome.moved:
        print(f"{verb}: {old} -> {new}")
    for path in outcome.created:
        print(f"{'to create' if args.check else 'created'}: {path}")
    for path in outcome.rewritten:
        print(f"{'to rewrite' if args.check else 'rewritten'}: {path}")
    for path in outcome.unclaimed:
        print(f"WARNING: {path} is at the top level and no layer claims it: add it to MOVES or CORE "
              "(or pass --map) and run again", file=sys.stderr)
    for conflict in outcome.conflicts:
        print(f"ERROR: {conflict}", file=sys.stderr)
    if not outcome.changed:
        print("nothing to do: every module is in its layer and no reference uses an old name")
    if outcome.conflicts:
        return 2
    return 1 if args.check and outcome.changed else 0


if __name__ == "__main__":
    sys.exit(main())

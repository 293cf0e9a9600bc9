"""The package's layers: every import points down a layer, and no imports close a cycle.

Read from the source with ``ast`` (every ``import`` statement, those inside functions too, since
an import hidden in a function is still a dependency), so the test needs nothing imported.

Layers, lowest first (docs/architecture.md draws them)::

    core        cdp_analysis/{__init__,errors,config,areas,vocabulary}.py
    stats       public-health methods and disclosure control (pure: they import only the core)
                (stats, sources and indicators never read the config: settings come as arguments)
    sources     one reader per public source
    store       the processed store
    indicators  pure functions from tables to indicator frames
    report      charts, maps, render, narrative
    chapters    base and context, then one module per chapter (which never import each other)
    publishing  export, batch, kernels, executors, summary, document
    command     cli.py

``stats`` sits below ``sources`` although data flows sources → stats: a reader may need a
method (the survey reader's Wilson intervals) and a method never needs a reader.
The demo generator, ``cdp_demo``, is outside: it may use the layers up to the store (the
readers' headers, the methods), and only the ``cdp`` command imports it.

Run as a script to print the import graph's figures: ``python tests/test_layers.py``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "cdp_analysis"
DEMO = "cdp_demo"

LAYERS = ("core", "stats", "sources", "store", "indicators", "report", "chapters", "publishing", "command")
RANK = {name: rank for rank, name in enumerate(LAYERS)}
CORE = {"errors", "config", "areas", "vocabulary", "resources"}
#: chapter modules may import these, never another chapter
CHAPTER_FOUNDATIONS = {f"{PACKAGE}.chapters", f"{PACKAGE}.chapters.base", f"{PACKAGE}.chapters.context"}
#: readers, methods and indicators take what they need as arguments: the control panel is read
#: from the store up
READS_CONFIG_FROM = RANK["store"]
#: the highest layer the demo may import
DEMO_CEILING = RANK["store"]


def modules(src: Path = SRC) -> dict[str, Path]:
    """Dotted name → file, for every module of both packages (a package's name → its __init__)."""
    found: dict[str, Path] = {}
    for top in (PACKAGE, DEMO):
        for path in sorted((src / top).rglob("*.py")):
            parts = list(path.relative_to(src).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] == DEMO:
        return "demo"
    if len(parts) == 1 or parts[1] in CORE:
        return "core"
    if parts[1] == "cli":
        return "command"
    return parts[1]


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> Iterable[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    base = node.module or ""
    if node.level:
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, *([base] if base else [])])
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        yield candidate if candidate in known else base


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """Module → the package modules it imports (anywhere in its body)."""
    files = modules(src)
    known = set(files)
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _targets(node, name, is_package, known):
                    # a name inside a module: the module (longest known prefix)
                    while target and target not in known:
                        target = target.rpartition(".")[0]
                    if target and target != name:
                        graph[name].add(target)
    return graph


def wrong_way(graph: dict[str, set[str]]) -> list[str]:
    """Every import that points up a layer, reaches the demo, or joins two chapters."""
    found = []
    for source, targets in sorted(graph.items()):
        for target in sorted(targets):
            ls, lt = layer(source), layer(target)
            if lt == "demo" and ls not in ("demo", "command"):
                found.append(f"{source} -> {target} (only the cdp command may import the demo)")
            elif ls == "demo" and lt != "demo" and RANK[lt] > DEMO_CEILING:
                found.append(f"{source} -> {target} (the demo may use the layers up to the store, not {lt})")
            elif ls not in ("demo",) and lt != "demo" and RANK[lt] > RANK[ls]:
                found.append(f"{source} -> {target} ({ls} imports {lt}, a layer above it)")
            elif target == f"{PACKAGE}.config" and ls != "demo" and RANK[ls] < READS_CONFIG_FROM:
                found.append(f"{source} -> {target} ({ls} takes settings as arguments, never reads the config)")
            elif ls == lt == "chapters" and source not in CHAPTER_FOUNDATIONS and target not in CHAPTER_FOUNDATIONS:
                found.append(f"{source} -> {target} (chapters never import each other)")
            elif source in CHAPTER_FOUNDATIONS and ls == lt == "chapters" and target not in CHAPTER_FOUNDATIONS:
                found.append(f"{source} -> {target} (the chapters' foundations import no chapter)")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: strongly connected components of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


# -- the tests -----------------------------------------------------------------------------------

def test_every_module_has_a_layer():
    unknown = sorted(m for m in modules() if layer(m) not in RANK and layer(m) != "demo")
    assert not unknown, f"modules in no layer (a new top-level module? put it in a layer's folder): {unknown}"


def test_the_top_level_keeps_a_handful_of_modules():
    top = sorted(p.stem for p in (SRC / PACKAGE).glob("*.py"))
    assert set(top) <= {"__init__", "cli", *CORE}, top


def test_no_import_points_up_a_layer():
    found = wrong_way(import_graph())
    assert not found, "imports pointing the wrong way:\n" + "\n".join(found)


def test_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_checks_can_fail(tmp_path):
    """A made-up package with an upward import, a cycle and two chapters importing each other."""
    root = tmp_path / "src" / PACKAGE
    for folder in ("stats", "report", "chapters", "publishing"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (tmp_path / "src" / DEMO).mkdir()
    (tmp_path / "src" / DEMO / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "config.py").write_text("def f():\n    from cdp_analysis.stats import sdc\n")  # hidden in a function
    (root / "stats" / "sdc.py").write_text("from cdp_analysis import config\n")
    (root / "report" / "render.py").write_text("from cdp_analysis.chapters.context import NOTICE\n")
    (root / "chapters" / "context.py").write_text("import cdp_demo\n")
    (root / "stats" / "rate.py").write_text("from cdp_analysis.config import load_config\n")
    (root / "chapters" / "a.py").write_text("from . import b\n")
    (root / "chapters" / "b.py").write_text("from cdp_analysis.chapters.base import x\n")
    (root / "publishing" / "batch.py").write_text("from cdp_analysis.publishing import executors\n")
    (root / "publishing" / "executors.py").write_text("def g():\n    from .batch import run\n")
    graph = import_graph(tmp_path / "src")
    found = wrong_way(graph)
    assert found == [
        "cdp_analysis.chapters.a -> cdp_analysis.chapters.b (chapters never import each other)",
        "cdp_analysis.chapters.context -> cdp_demo (only the cdp command may import the demo)",
        "cdp_analysis.config -> cdp_analysis.stats.sdc (core imports stats, a layer above it)",
        "cdp_analysis.report.render -> cdp_analysis.chapters.context (report imports chapters, a layer above it)",
        "cdp_analysis.stats.rate -> cdp_analysis.config (stats takes settings as arguments, never reads the config)",
        "cdp_analysis.stats.sdc -> cdp_analysis.config (stats takes settings as arguments, never reads the config)",
    ]
    assert cycles(graph) == [
        ["cdp_analysis.config", "cdp_analysis.stats.sdc"],
        ["cdp_analysis.publishing.batch", "cdp_analysis.publishing.executors"],
    ]


def test_the_package_asks_for_the_demo_data_it_never_generates(tmp_path):
    """load_context no longer generates the demo (the core does not import cdp_demo): it says how."""
    import pytest

    from cdp_analysis.chapters.context import load_context
    from cdp_analysis.config import load_config
    from cdp_analysis.errors import MissingDataError

    config = load_config(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed")
    with pytest.raises(MissingDataError, match=r"cdp demo --data-only"):
        load_context("Z09000001", config=config)
    assert not (tmp_path / "raw").exists()


if __name__ == "__main__":
    graph = import_graph()
    bad = wrong_way(graph)
    loops = cycles(graph)
    top = sorted(p.name for p in (SRC / PACKAGE).glob("*.py"))
    print(f"{len(graph)} modules; {len(top)} files at the top level of {PACKAGE}/: {', '.join(top)}")
    print(f"{len(bad)} wrong-way imports")
    for line in bad:
        print("   ", line)
    print(f"{len(loops)} cycles")
    for loop in loops:
        print("   ", " <-> ".join(loop))

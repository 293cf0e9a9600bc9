"""Every chapter has one shape, and its notebook shows every section it builds.

A section the notebook does not display still sends its key message and recommendation to
the page's key messages and the executive summary (issue 16: demand's ``parents``): the
notebook must show each section the chapter class lists, through ``render.show_section``.
The section keys are read from each class's ``sections()`` source (its ``build_sections``
triples), so the test needs no data.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import textwrap
from pathlib import Path

import pytest

from cdp_analysis.chapters import base
from cdp_analysis.chapters.demand import DemandChapter
from cdp_analysis.chapters.overview import OverviewChapter
from cdp_analysis.chapters.supply import SupplyChapter
from cdp_analysis.chapters.treatment import TreatmentChapter

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
#: chapter class, its notebook, the name the notebook gives its sections, methods listing sections
CHAPTERS = [
    (OverviewChapter, "00_outcomes_overview.ipynb", {"sections": "sections", "context": "context_sections"}),
    (SupplyChapter, "01_supply.ipynb", {"sections": "sections"}),
    (TreatmentChapter, "02_treatment_recovery.ipynb", {"sections": "sections"}),
    (DemandChapter, "03_demand.ipynb", {"sections": "sections"}),
]


def section_keys(cls: type, method: str) -> list[str]:
    """The keys of the ``(key, title, builder)`` triples a ``sections``-like method passes to build_sections."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(getattr(cls, method))))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and getattr(n.func, "attr", getattr(n.func, "id", "")) == "build_sections"]
    assert len(calls) == 1, f"{cls.__name__}.{method} builds its sections through one build_sections call"
    triples = calls[0].args[0]
    assert isinstance(triples, ast.List)
    keys = [key for t in triples.elts if isinstance(t, ast.Tuple) and (key := _literal_key(t.elts[0])) is not None]
    assert len(keys) == len(triples.elts), f"{cls.__name__}.{method}: every triple starts with a literal key"
    return keys


def _literal_key(node: ast.expr) -> str | None:
    """A key written as a string, or as a constant of ``chapters.base`` (``base.SINCE_KEY``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "base":
        value = getattr(base, node.attr, None)
        return value if isinstance(value, str) else None
    return None


def shown_keys(notebook: str, variable: str, folder: Path = NOTEBOOKS) -> list[str]:
    """The keys the notebook passes to ``render.show_section(<variable>[key])`` (or ``.get(key, ...)``)."""
    nb = json.loads((folder / notebook).read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    pattern = rf"render\.show_section\(\s*{variable}(?:\[\s*['\"](\w+)['\"]\s*\]|\.get\(\s*['\"](\w+)['\"])"
    return [a or b for a, b in re.findall(pattern, code)]


def check_shown(cls: type, notebook: str, lists: dict[str, str], folder: Path = NOTEBOOKS) -> None:
    """Fails when the notebook leaves out, adds or reorders a section of the chapter."""
    for variable, method in lists.items():
        built = section_keys(cls, method)
        shown = shown_keys(notebook, variable, folder)
        assert built, f"{cls.__name__}.{method} lists no section"
        missing = [k for k in built if k not in shown]
        assert not missing, f"{notebook} never shows {variable}{missing}: their key messages would reach the page unseen"
        unknown = [k for k in shown if k not in built]
        assert not unknown, f"{notebook} shows {variable}{unknown}, which {cls.__name__}.{method} does not build"
        assert shown == built, f"{notebook} shows {variable} in another order than the chapter builds them"


@pytest.mark.parametrize(("cls", "notebook", "lists"), CHAPTERS, ids=[c[1] for c in CHAPTERS])
def test_the_notebook_shows_every_section_the_chapter_builds_in_order(cls, notebook, lists):
    check_shown(cls, notebook, lists)


def test_the_check_catches_a_section_left_out(tmp_path):
    nb = json.loads((NOTEBOOKS / "03_demand.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        cell["source"] = [line for line in cell["source"] if "sections['parents']" not in line]
    (tmp_path / "03_demand.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    assert "parents" in shown_keys("03_demand.ipynb", "sections")
    assert "parents" not in shown_keys("03_demand.ipynb", "sections", tmp_path)
    with pytest.raises(AssertionError, match=r"never shows sections\['parents'\]"):
        check_shown(DemandChapter, "03_demand.ipynb", {"sections": "sections"}, tmp_path)


@pytest.mark.parametrize("cls", [c[0] for c in CHAPTERS], ids=[c[0].__name__ for c in CHAPTERS])
def test_every_chapter_follows_the_one_shape(cls):
    assert issubclass(cls, base.Chapter)
    assert not inspect.isabstract(cls)
    for method in ("sections", "key_messages"):
        assert callable(getattr(cls, method))
    hints = inspect.signature(cls.sections)
    assert all(p.default is not inspect.Parameter.empty for p in list(hints.parameters.values())[1:]), \
        "sections() can be called with no argument"
    assert "Section]" in str(hints.return_annotation)
    source = inspect.getsource(inspect.getmodule(cls))
    assert "html.escape" not in source and "import html" not in source, "a chapter never writes HTML"
    other = {f"cdp_analysis.chapters.{m}" for m in ("overview", "supply", "treatment", "demand")}
    imported = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)}
    assert not (imported & other), "chapters never import each other"

"""Chapter notebooks are thin, parameterised, and committed without outputs."""

import ast
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_there_is_a_supply_chapter():
    assert "01_supply.ipynb" in [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name} has stored outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_holds_only_typed_commented_literals(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    tree = ast.parse(tagged[0].source)
    names = []
    for node in tree.body:
        assert isinstance(node, ast.AnnAssign), "only annotated assignments"
        assert isinstance(node.value, ast.Constant), "values must be literals"
        names.append(node.target.id)
    assert names[0] == "area_code" and "data_dir" in names
    assert all("#" in line for line in tagged[0].source.splitlines() if line.strip())
    default = ast.literal_eval(tree.body[0].value)
    assert default.startswith("Z"), "defaults must run the synthetic demo"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_logic_in_notebooks(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(node, ast.ClassDef), "classes belong in src/cdp_analysis"
            if isinstance(node, ast.FunctionDef):
                assert len(node.body) <= 3, "functions longer than a few lines belong in the package"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_headings_never_skip_a_level(path):
    nb = nbformat.read(path, as_version=4)
    levels = [len(line) - len(line.lstrip("#")) for c in nb.cells if c.cell_type == "markdown"
              for line in c.source.splitlines() if line.startswith("#")]
    assert levels[0] == 1
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_documents_every_parameter(path):
    """`papermill --help-notebook` must parse each line (an '=' in a comment breaks it)."""
    from papermill.translators import PythonTranslator

    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params = PythonTranslator.inspect(cell)
    lines = [line for line in cell.source.splitlines() if line.strip()]
    assert len(params) == len(lines)
    assert all(p.help for p in params)


def test_every_notebook_names_the_kernel_make_lab_registers():
    from cdp_analysis.publishing.kernels import KERNEL_NAME

    names = {nbformat.read(p, as_version=4).metadata["kernelspec"]["name"] for p in NOTEBOOKS}
    assert names == {KERNEL_NAME}
    makefile = (NOTEBOOKS[0].parents[1] / "Makefile").read_text(encoding="utf-8")
    assert f"--name {KERNEL_NAME} " in makefile

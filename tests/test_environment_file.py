"""environment.yml cannot be created here (no conda), so check it statically."""

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_lists_every_dependency_of_pyproject():
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    missing = sorted({_name(d) for d in wanted} - conda)
    assert not missing, f"environment.yml lacks {missing}"
    assert "python=3.11" in env["dependencies"]
    assert "conda-forge" in env["channels"]
    assert "-e ." in pip


def test_the_required_stack_is_declared():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {_name(d) for d in project["dependencies"] + project["optional-dependencies"]["test"]}
    for required in ("jupyterlab", "pandas", "geopandas", "seaborn", "papermill", "nbconvert", "pytest", "nbval"):
        assert required in names

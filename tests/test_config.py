"""Configuration: found from the package, never from the current directory."""

from pathlib import Path

from cdp_analysis.config import load_config

REPO = Path(__file__).resolve().parents[1]


def test_paths_resolve_from_the_repository_whatever_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for var in ("CDP_CONFIG", "CDP_RAW_DIR", "CDP_PROCESSED_DIR", "CDP_REPORTS_DIR"):
        monkeypatch.delenv(var, raising=False)
    config = load_config()
    assert config.root == REPO
    assert config.raw_dir == REPO / "data" / "raw"
    assert config.reports_dir == REPO / "reports"
    assert config.demo_dir == REPO / "data" / "raw" / "demo"


def test_environment_overrides_file_and_arguments_override_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CDP_REPORTS_DIR", str(tmp_path / "env-reports"))
    assert load_config().reports_dir == tmp_path / "env-reports"
    assert load_config(reports_dir=tmp_path / "arg").reports_dir == tmp_path / "arg"


def test_another_config_file_via_environment(tmp_path, monkeypatch):
    cfg = tmp_path / "other.toml"
    cfg.write_text('[paths]\nreports_dir = "out"\n[disclosure]\npolicy = "nhsd"\n', encoding="utf-8")
    monkeypatch.setenv("CDP_CONFIG", str(cfg))
    monkeypatch.delenv("CDP_REPORTS_DIR", raising=False)
    config = load_config()
    assert config.reports_dir == tmp_path / "out"
    assert config.disclosure_policy == "nhsd"

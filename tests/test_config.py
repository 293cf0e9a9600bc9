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


# --------------------------------------------------------------------------- typed settings
import pytest  # noqa: E402

from cdp_analysis.errors import ConfigError  # noqa: E402

BAD_SETTINGS = [
    ("build", "workers", '"two"'),
    ("build", "workers", "0"),
    ("build", "workers", "2.5"),
    ("build", "workers", "true"),
    ("build", "timeout_seconds", '"600"'),
    ("build", "timeout_seconds", "-1"),
    ("build", "chapters", '"01_supply"'),
    ("build", "chapters", '["01_supply", 3]'),
    ("demo", "seed", '"abc"'),
    ("demo", "seed", "-4"),
    ("demo", "months", "0"),
    ("demo", "months", "1.5"),
    ("demo", "end_month", '"2025-13"'),
    ("demo", "end_month", "202512"),
    ("disclosure", "policy", '"strict"'),
    ("disclosure", "policy", "5"),
    ("paths", "raw_dir", "3"),
    ("paths", "reports_dir", '""'),
]


@pytest.mark.parametrize(("section", "key", "value"), BAD_SETTINGS)
def test_a_bad_setting_names_the_file_the_key_and_the_value(tmp_path, section, key, value):
    cfg = tmp_path / "cdp.toml"
    cfg.write_text(f"[{section}]\n{key} = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    message = str(info.value)
    assert str(cfg) in message and f"[{section}] {key}" in message
    import tomllib
    shown = repr(tomllib.loads(f"v = {value}")["v"])
    assert shown in message


def test_a_section_that_is_not_a_table_is_refused(tmp_path):
    cfg = tmp_path / "cdp.toml"
    cfg.write_text('build = "fast"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[build\]"):
        load_config(cfg)


def test_good_typed_settings_are_read(tmp_path):
    cfg = tmp_path / "cdp.toml"
    cfg.write_text('[build]\nworkers = 3\ntimeout_seconds = 90\nchapters = ["01_supply"]\n'
                   '[demo]\nseed = 0\nmonths = 12\nend_month = "2024-02"\n[disclosure]\npolicy = "NHSD"\n',
                   encoding="utf-8")
    config = load_config(cfg)
    assert (config.workers, config.timeout_seconds, config.chapters) == (3, 90, ("01_supply",))
    assert (config.demo_seed, config.demo_months, config.demo_end_month) == (0, 12, "2024-02")
    assert config.disclosure_policy == "nhsd"

"""The cdp command as a user meets it: help, area list, mistakes."""

from cdp_analysis.cli import main


def test_areas_lists_real_and_demo_areas(capsys):
    assert main(["areas", "--type", "cdp"]) == 0
    out = capsys.readouterr().out
    assert "Z95000001" in out and "Z09000001 + Z09000002" in out


def test_wrong_area_code_fails_cleanly_with_suggestion(capsys):
    assert main(["build", "--area", "E0900003"]) == 2
    err = capsys.readouterr().err
    assert "Unknown area 'E0900003'" in err and "E09000003" in err
    assert "Traceback" not in err


def test_batch_with_unknown_area_in_list(capsys):
    assert main(["batch", "--areas", "Z09000001,Z0900009"]) == 2
    assert "Z0900009" in capsys.readouterr().err


def test_templates_are_copied_for_an_analyst_to_fill_in(tmp_path, capsys):
    assert main(["templates", "--dest", str(tmp_path / "local")]) == 0
    names = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert "treatment_numbers.csv" in names and "continuity_of_care.csv" in names
    header = (tmp_path / "local" / "continuity_of_care.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("area_code,period")
    # never overwrites what an analyst filled in
    (tmp_path / "local" / "naloxone.csv").write_text("filled in", encoding="utf-8")
    assert main(["templates", "--dest", str(tmp_path / "local")]) == 0
    assert (tmp_path / "local" / "naloxone.csv").read_text(encoding="utf-8") == "filled in"


def test_prepare_reports_what_it_did(tmp_path, capsys, shared_dir):
    source = shared_dir / "data" / "real" / "police_uk" / "city-of-london"
    assert main(["--processed-dir", str(tmp_path), "prepare", "--source-dir", str(source)]) == 0
    assert any(tmp_path.rglob("street_crime/month=2018-04/part-0.parquet"))

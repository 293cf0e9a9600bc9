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


# --------------------------------------------------------------------------- bad input, no traceback
def test_bad_setting_in_config_is_one_message_and_exit_2(tmp_path, capsys):
    cfg = tmp_path / "cdp.toml"
    cfg.write_text('[build]\nworkers = "two"\n', encoding="utf-8")
    assert main(["--config", str(cfg), "areas"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(cfg) in err and "[build] workers = 'two'" in err
    assert len(err.strip().splitlines()) == 1


def test_prepare_lists_unreadable_and_unrecognised_files_in_normal_output(tmp_path, capsys, shared_dir):
    import shutil

    source = tmp_path / "raw"
    shutil.copytree(shared_dir / "data" / "real" / "police_uk" / "city-of-london", source)
    text = "Indicator ID\tIndicator Name\r\n93495\tx\r\n"
    (source / "fingertips-unicode.csv").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    (source / "image.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (source / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["--processed-dir", str(tmp_path / "out"), "prepare", "--source-dir", str(source)]) == 0
    out = capsys.readouterr().out
    assert "could not read fingertips-unicode.csv: UTF-16" in out
    assert "could not read image.csv: binary data" in out
    assert "notes.csv" in out


def test_prepare_of_a_runaway_line_exits_2_naming_the_file(tmp_path, capsys, shared_dir):
    source = tmp_path / "raw"
    source.mkdir()
    (source / "2023-01-city-of-london-street.csv").write_bytes(b"a" * (60 * 1024 * 1024))
    assert main(["--processed-dir", str(tmp_path / "out"), "prepare", "--source-dir", str(source)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "2023-01-city-of-london-street.csv" in err and "line 1" in err
